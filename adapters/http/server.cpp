#include "adapters/http/server.hpp"

#include <random>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "adapters/http/connection_reactor.hpp"
#include "adapters/http/observability.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::http {

void send_unparsable(httplib::Response& res, context& ctx, const json_guard::parsed& p) {
  ++ctx.counters.bad_request;
  metrics::input_rejection(p.status == json_guard::verdict::invalid_utf8 ? "encoding"
                           : p.status == json_guard::verdict::too_deep   ? "depth"
                                                                         : "syntax");
  // Fixed messages: the parser's own text may quote bytes of the body.
  switch (p.status) {
    case json_guard::verdict::invalid_utf8:
      return send_error(res, 400, "invalid_utf8", "the request body is not valid UTF-8");
    case json_guard::verdict::too_deep:
      return send_error(res, 400, "too_deep",
                        "the request body nests objects and arrays deeper than " +
                            std::to_string(json_guard::default_max_depth) + " levels");
    default:
      return send_error(res, 400, "invalid_json", "the request body is not valid JSON");
  }
}

nlohmann::json parse_body(const httplib::Request& req, httplib::Response& res, context& ctx) {
  auto p = json_guard::parse(req.body);
  if (p.ok()) return std::move(p.value);
  send_unparsable(res, ctx, p);
  return nlohmann::json(nlohmann::json::value_t::discarded);
}

namespace {
// A form field's name as it can be quoted in an error: bytes outside printable ASCII
// percent-encoded (the name itself may be the invalid part).
std::string printable_name(const std::string& name) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7F && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}
}  // namespace

bool form_text_ok(const std::vector<std::pair<std::string, std::string>>& form,
                  httplib::Response& res, context& ctx) {
  for (const auto& [name, value] : form) {
    const bool name_ok = name.find('\0') == std::string::npos && json_guard::valid_utf8(name);
    const bool value_ok = value.find('\0') == std::string::npos && json_guard::valid_utf8(value);
    if (name_ok && value_ok) continue;
    ++ctx.counters.bad_request;
    metrics::input_rejection("encoding");
    const auto field = printable_name(name);
    send_error(res, ec::malformed_request,
               field + (name_ok ? " has a value" : " has a name") +
                   " that is not UTF-8 text without NUL (%00)",
               field);
    return false;
  }
  return true;
}

namespace {

std::string bearer_of(const httplib::Request& req) {
  auto header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  return header.compare(0, prefix.size(), prefix) == 0 ? header.substr(prefix.size()) : "";
}

bool same_secret(const std::string& given, const std::string& expected) {
  return !expected.empty() && given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

// The client address the throttle counts under: the TCP peer, or X-Forwarded-For when the peer
// is a trusted proxy (RINGMASTER_TRUSTED_PROXIES; client_address.hpp).
std::string client_of(const httplib::Request& req, const context& ctx) {
  const auto& proxies = ctx.options.trusted_proxies;
  if (proxies.empty()) return req.remote_addr;
  std::vector<std::string> forwarded;
  const auto range = req.headers.equal_range("X-Forwarded-For");
  for (auto it = range.first; it != range.second; ++it) forwarded.push_back(it->second);
  return proxies.client_of(req.remote_addr, forwarded);
}

// A credential that did not verify: counted under `key` ("<kind>@<client>", auth_throttle.hpp)
// and answered 401, or 429 with Retry-After while that key is blocked. Only failures come here,
// so a valid credential is never answered 429 whatever failed before it.
void refuse(httplib::Response& res, context& ctx, const std::string& key,
            const std::string& reason, const std::string& message) {
  int retry_after = 0;
  const bool blocked = ctx.throttle.blocked(key, &retry_after);
  ctx.throttle.record_failure(key);
  ctx.counters.count_auth_failure(reason);
  if (blocked) {
    res.set_header("Retry-After", std::to_string(retry_after));
    return send_error(res, ec::rate_limited, "too many failed authentications; retry later",
                      "", "too_many_failed_authentications");
  }
  res.set_header("WWW-Authenticate", "Bearer");
  send_error(res, ec::unauthenticated, message);
}

bool require_token(const httplib::Request& req, httplib::Response& res, context& ctx,
                   const std::string& expected, const char* kind) {
  auto given = bearer_of(req);
  if (same_secret(given, expected)) return true;
  refuse(res, ctx, std::string{kind} + "@" + client_of(req, ctx),
         std::string{kind} + (given.empty() ? ":missing" : ":mismatch"),
         std::string{"a valid "} + kind + " Bearer token is required");
  return false;
}

}  // namespace

std::string client_address(const httplib::Request& req, const context& ctx) {
  return client_of(req, ctx);
}

bool require_operator(const httplib::Request& req, httplib::Response& res, context& ctx) {
  return require_token(req, res, ctx, ctx.options.operator_token, "operator");
}

bool require_service(const httplib::Request& req, httplib::Response& res, context& ctx) {
  return require_token(req, res, ctx, ctx.options.service_token, "service");
}

std::optional<principal> require_tenant(const httplib::Request& req, httplib::Response& res,
                                        context& ctx) {
  auto token = bearer_of(req);
  if (token.empty()) {
    refuse(res, ctx, "jwt@" + client_of(req, ctx), "jwt:missing", "a Bearer JWT is required");
    return std::nullopt;
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  auto verdict = verify_jwt(token, ctx.options.jwt, now);
  if (!verdict.ok) {
    refuse(res, ctx, "jwt@" + client_of(req, ctx), "jwt:" + verdict.error,
           "the Bearer JWT was refused: " + verdict.error);
    return std::nullopt;
  }
  return verdict.who;
}

bool require_vapi(const httplib::Request& req, httplib::Response& res, context& ctx,
                  const std::string& org_id) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  auto header = [&req](const std::string& name) { return req.get_header_value(name.c_str()); };
  // The tenant's own credential replaces the deployment's (cached: no database read per message).
  std::optional<vapi_override> override;
  if (!org_id.empty())
    override = ctx.vapi_overrides->get(
        org_id, [&ctx](const std::string& org) { return load_vapi_override(ctx, org); });
  auto result = override ? vapi::verify_webhook(settings_for(*override, ctx.options.vapi_auth),
                                                header, req.body, now)
                         : vapi::verify_webhook(ctx.options.vapi_auth, header, req.body, now);
  if (result == vapi::auth_result::ok ||
      (!override && result == vapi::auth_result::not_configured &&
       ctx.options.vapi_auth.allow_unauthenticated))
    return true;
  // Vapi calls from shared addresses for every clinic: failures count per clinic when the
  // message names one, so one clinic's misconfiguration or attacker never throttles another.
  refuse(res, ctx, "vapi@" + (org_id.empty() ? client_of(req, ctx) : "tenant:" + org_id),
         std::string{override ? "vapi_tenant:" : "vapi:"} + vapi::to_string(result),
         std::string{"the Vapi webhook credentials were refused: "} + vapi::to_string(result));
  return false;
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

}  // namespace

struct server::impl {
  actors::service& service;
  server_options options;
  server_counters counters;
  auth_throttle throttle;
  context ctx{service, options, counters, throttle};
  // Connections wait in epoll, not in workers (connection_reactor.hpp): idle or slow clients
  // cannot hold the workers that webhooks need.
  reactor_server srv{reactor_options(options)};

  static reactor_settings reactor_options(const server_options& o) {
    reactor_settings r;
    // One more thread per allowed event stream: a stream holds its worker while it is open
    // (event_routes.cpp), and at most event_streams_max are open, so worker_threads stay free
    // for everything else.
    r.workers = o.worker_threads + o.event_streams_max;
    r.worker_nice = o.worker_nice;
    r.max_body_bytes = o.max_body_bytes;
    return r;
  }

  impl(actors::service& s, server_options o) : service(s), options(std::move(o)) {
    srv.set_tcp_nodelay(true);
    srv.set_payload_max_length(options.max_body_bytes);
    srv.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      const auto id = request_id(req);
      res.set_header("X-Request-Id", id);
      begin_request(id);  // metrics clock and log context (observability.hpp)
      return httplib::Server::HandlerResponse::Unhandled;
    });
    srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty())
        send_error(res, res.status, code_for_status(res.status),
                   res.status == 413 ? "the request body is larger than 1 MiB"
                                     : std::string{"HTTP "} + std::to_string(res.status));
    });
    srv.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                 std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        std::rethrow_exception(ep);
      } catch (const actors::service_error& e) {
        spdlog::warn("{} {} [{}]: service failed ({}): {}", req.method, req.path,
                     res.get_header_value("X-Request-Id"), to_string(e.code), e.what());
        send_service_error(res, e);
        return;
      } catch (const actors::provider_unavailable& e) {
        spdlog::warn("{} {} [{}]: {}", req.method, req.path, res.get_header_value("X-Request-Id"),
                     e.what());
        send_provider_unavailable(res, e);
        return;
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("{} {} [{}]: {}", req.method, req.path, res.get_header_value("X-Request-Id"),
                    what);
      send_error(res, ec::internal, "internal error");
    });
    srv.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (res.status >= 400)
        spdlog::info("{} {} → {} [{}]", req.method, req.path, res.status,
                     res.get_header_value("X-Request-Id"));
      end_request(req, res);  // counted once the status is final
    });
    add_vapi_routes(srv, ctx);
    add_legacy_routes(srv, ctx);
    add_ops_routes(srv, ctx);
    add_tenant_routes(srv, ctx);
    add_dashboard_routes(srv, ctx);
    add_service_routes(srv, ctx);
    add_knowledge_routes(srv, ctx);
    add_twilio_routes(srv, ctx);
    add_telephony_routes(srv, ctx);
    add_agent_routes(srv, ctx);
    add_number_routes(srv, ctx);
    add_credential_routes(srv, ctx);
    add_twilio_integration_routes(srv, ctx);
    add_google_integration_routes(srv, ctx);
    add_action_routes(srv, ctx);
    add_console_routes(srv, ctx);
    add_event_routes(srv, ctx);
  }
};

server::server(actors::service& service, server_options options)
    : impl_(std::make_unique<impl>(service, std::move(options))) {}
server::~server() { stop(); }

namespace {

// cpp-httplib 0.11 listens with a backlog of 5 (hard-coded in Server::create_server_socket), so a
// burst of concurrent webhooks loses connections before they are accepted. The library does not
// expose its socket; find the listening socket bound to `port` among our descriptors and listen
// again with the system's maximum backlog (Linux updates the backlog of a listening socket).
void widen_listen_backlog(int port) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (auto* entry = readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == dirfd(dir)) continue;
    int accepting = 0;
    socklen_t len = sizeof accepting;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int bound = addr.ss_family == AF_INET
                    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                    : addr.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                          : -1;
    if (bound == port) ::listen(fd, SOMAXCONN);
  }
  closedir(dir);
}

}  // namespace

int server::bind(const std::string& host, int port) {
  int bound = port == 0 ? impl_->srv.bind_to_any_port(host.c_str())
                        : (impl_->srv.bind_to_port(host.c_str(), port) ? port : -1);
  if (bound > 0) widen_listen_backlog(bound);
  if (bound > 0) impl_->ctx.listen_url = "http://" + host + ":" + std::to_string(bound);
  return bound;
}

bool server::listen() { return impl_->srv.listen_after_bind(); }
void server::stop() {
  for (auto& on_stop : impl_->ctx.stopping) on_stop();  // ends the open event streams
  impl_->ctx.vapi_overrides->stop();  // no credential reload after the service stops
  if (impl_->srv.is_running()) impl_->srv.stop();
}
const server_counters& server::counters() const { return impl_->counters; }
std::vector<registered_route> server::routes() const { return impl_->ctx.routes; }

}  // namespace rm::http
