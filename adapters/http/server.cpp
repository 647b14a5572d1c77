#include "adapters/http/server.hpp"

#include <random>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "adapters/http/routes.hpp"

namespace rm::http {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field) {
  nlohmann::json err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  send_json(res, status, {{"error", err}});
}

nlohmann::json parse_body(const httplib::Request& req, httplib::Response& res, context& ctx) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    ++ctx.counters.bad_request;
    send_error(res, 400, "invalid_json", "the request body is not valid JSON");
  }
  return j;
}

bool require_operator(const httplib::Request& req, httplib::Response& res, context& ctx) {
  const auto& token = ctx.options.operator_token;
  auto header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  bool ok = !token.empty() && header.size() == prefix.size() + token.size() &&
            header.compare(0, prefix.size(), prefix) == 0 &&
            CRYPTO_memcmp(header.data() + prefix.size(), token.data(), token.size()) == 0;
  if (!ok) {
    ++ctx.counters.unauthorized;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "a valid operator Bearer token is required");
  }
  return ok;
}

namespace {

// A caller's X-Request-Id is kept when it is short and printable; otherwise a new one is made.
std::string request_id(const httplib::Request& req) {
  auto given = req.get_header_value("X-Request-Id");
  bool sane = !given.empty() && given.size() <= 64 &&
              std::all_of(given.begin(), given.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
              });
  if (sane) return given;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

const char* code_for(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "payload_too_large";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal_error" : "error";
  }
}

}  // namespace

struct server::impl {
  actors::service& service;
  server_options options;
  server_counters counters;
  context ctx{service, options, counters};
  httplib::Server srv;

  impl(actors::service& s, server_options o) : service(s), options(std::move(o)) {
    srv.set_tcp_nodelay(true);
    srv.set_keep_alive_max_count(100000);
    srv.set_payload_max_length(options.max_body_bytes);
    auto threads = options.worker_threads;
    srv.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    srv.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Request-Id", request_id(req));
      return httplib::Server::HandlerResponse::Unhandled;
    });
    srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty())
        send_error(res, res.status, code_for(res.status),
                   res.status == 413 ? "the request body is larger than 1 MiB"
                                     : std::string{"HTTP "} + std::to_string(res.status));
    });
    srv.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                 std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        std::rethrow_exception(ep);
      } catch (const actors::service_error& e) {
        spdlog::warn("{} {} [{}]: service unavailable: {}", req.method, req.path,
                     res.get_header_value("X-Request-Id"), e.what());
        send_error(res, 503, "unavailable", "the service could not complete the request in time");
        return;
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("{} {} [{}]: {}", req.method, req.path, res.get_header_value("X-Request-Id"),
                    what);
      send_error(res, 500, "internal_error", "internal error");
    });
    srv.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (res.status >= 400)
        spdlog::info("{} {} → {} [{}]", req.method, req.path, res.status,
                     res.get_header_value("X-Request-Id"));
    });
    add_vapi_routes(srv, ctx);
    add_legacy_routes(srv, ctx);
    add_ops_routes(srv, ctx);
  }
};

server::server(actors::service& service, server_options options)
    : impl_(std::make_unique<impl>(service, std::move(options))) {}
server::~server() { stop(); }

int server::bind(const std::string& host, int port) {
  if (port == 0) return impl_->srv.bind_to_any_port(host.c_str());
  return impl_->srv.bind_to_port(host.c_str(), port) ? port : -1;
}

bool server::listen() { return impl_->srv.listen_after_bind(); }
void server::stop() {
  if (impl_->srv.is_running()) impl_->srv.stop();
}
const server_counters& server::counters() const { return impl_->counters; }

}  // namespace rm::http
