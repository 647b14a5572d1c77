#include "tests/tenant_api/fixture.hpp"

#include <cstdlib>
#include <ctime>
#include <regex>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <jwt.h>
#include <pqxx/pqxx>

namespace rm::tapi {

std::string mint(const std::string& org_id, const std::string& role, const std::string& user,
                 long exp_in_s, const std::string& secret) {
  const long now = static_cast<long>(std::time(nullptr));
  json claims{{"sub", user},
              {"iat", now},
              {"exp", now + exp_in_s},
              {"role", "authenticated"},
              {"app_metadata", {{"org_id", org_id}, {"role", role}}}};
  jwt_t* j = nullptr;
  REQUIRE(jwt_new(&j) == 0);
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> owner(j, jwt_free);
  REQUIRE(jwt_add_grants_json(j, claims.dump().c_str()) == 0);
  REQUIRE(jwt_set_alg(j, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) == 0);
  char* token = jwt_encode_str(j);
  REQUIRE(token != nullptr);
  std::string out = token;
  std::free(token);
  return out;
}

std::string future_weekday(int min_days) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(min_days) * 86400;
  for (;;) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    if (tm.tm_wday != 0 && tm.tm_wday != 6) {
      char buf[16];
      std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
      return buf;
    }
    t += 86400;
  }
}

json tool_calls(const std::string& call_id, const std::string& dialled,
                const std::vector<tool>& tools) {
  json list = json::array();
  for (const auto& t : tools)
    list.push_back({{"id", t.id},
                    {"type", "function"},
                    {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
  return {{"message",
           {{"type", "tool-calls"},
            {"timestamp", static_cast<long long>(std::time(nullptr)) * 1000},
            {"call", {{"id", call_id},
                      {"type", "inboundPhoneCall"},
                      {"customer", {{"number", caller_number}}}}},
            {"phoneNumber", {{"number", dialled}}},
            {"customer", {{"number", caller_number}}},
            {"toolCallList", list}}}};
}

reply request(int port, const std::string& method, const std::string& path,
              const std::string& token, const std::string& body,
              const std::string& content_type) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(60);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return cli.Get(path.c_str(), headers);
    if (method == "POST") return cli.Post(path.c_str(), headers, body, content_type.c_str());
    if (method == "PUT") return cli.Put(path.c_str(), headers, body, content_type.c_str());
    if (method == "PATCH") return cli.Patch(path.c_str(), headers, body, content_type.c_str());
    if (method == "DELETE") return cli.Delete(path.c_str(), headers);
    throw std::invalid_argument("request(): unsupported method " + method);
  };
  auto res = send();
  reply r;
  if (!res) return r;
  r.status = res->status;
  r.text = res->body;
  r.body = json::parse(res->body, nullptr, false);
  for (const auto& [k, v] : res->headers) r.headers[k] = v;
  return r;
}

namespace {

http::server_options server_options(actors::verification_service* verification,
                                    actors::number_service* numbers) {
  http::server_options o;
  o.public_url = public_url;
  o.verification = verification;
  o.numbers = numbers;
  o.operator_token = operator_token;
  o.service_token = service_token;
  o.jwt.hs256_secret = jwt_secret;
  o.vapi_auth.allow_unauthenticated = true;  // RINGMASTER_VAPI_AUTH=none
  o.worker_threads = 8;
  return o;
}

actors::service_options service_options(const std::string& url, const std::string& twilio,
                                        const std::string& vapi) {
  actors::service_options o;
  o.vapi_base_url = vapi;  // agents and call-backs reach the fake Vapi
  o.vapi_private_key = vapi_private_key;
  o.database_url = url;
  o.db_workers = 4;
  o.twilio_base_url = twilio;  // only tenants created with_twilio send anything
  o.request_timeout = std::chrono::milliseconds(20000);
  o.scheduler_threads = 4;
  return o;
}

actors::number_service_options number_options(const std::string& twilio,
                                              const std::string& vapi) {
  actors::number_service_options o;
  o.twilio_base_url = twilio;
  o.vapi_base_url = vapi;
  o.vapi_private_key = vapi_private_key;
  o.public_url = "https://tenant-api.example.test";
  o.sweep_interval = std::chrono::milliseconds(0);
  return o;
}

}  // namespace

server_run::server_run(actors::service& service, actors::verification_service* verification,
                       actors::number_service* numbers)
    : server_(std::make_unique<http::server>(service, server_options(verification, numbers))) {
  port_ = server_->bind("127.0.0.1", 0);
  if (port_ <= 0) throw std::runtime_error("the HTTP server could not bind a loopback port");
  listener_ = std::thread{[this] { server_->listen(); }};
  bool up = eventually([&] { return request(port_, "GET", "/healthz").status == 200; },
                       std::chrono::seconds(10));
  if (!up) throw std::runtime_error("the HTTP server did not answer /healthz");
}

server_run::~server_run() {
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

fixture::fixture()
    : twilio_(std::map<std::string, std::string>{{twilio_account_sid, twilio_auth_token}}),
      service_(std::make_unique<actors::service>(
          service_options(db_.url(), twilio_.base_url(), vapi_.base_url()))),
      verification_(std::make_unique<actors::verification_service>(
          *service_, actors::verification_service_options{twilio_.base_url(), ""})),
      numbers_(std::make_unique<actors::number_service>(*service_,
                                                        number_options(twilio_.base_url(),
                                                                       vapi_.base_url()))),
      server_(std::make_unique<server_run>(*service_, verification_.get(), numbers_.get())) {}

fixture::~fixture() {
  server_.reset();
  numbers_.reset();
  verification_.reset();
  service_.reset();
}

std::string fixture::last_sms_code(const std::string& to) const {
  std::string code;
  static const std::regex six{"([0-9]{6})"};
  for (const auto& m : twilio_.messages()) {
    std::smatch match;
    const std::string body = m.value("body", "");
    if (m.value("to", "") == to && std::regex_search(body, match, six)) code = match[1];
  }
  return code;
}

json fixture::tool_result(const json& message) {
  auto r = vapi(message);
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["results"].size() == 1);
  return r.body["results"][0];
}

std::string fixture::create_tenant(const std::string& name, const std::string& number,
                                   const std::string& vapi_id, const std::string& time_zone,
                                   bool with_twilio) {
  json n{{"e164", number}, {"label", name}};
  if (!vapi_id.empty()) n["vapi_phone_number_id"] = vapi_id;
  json body{{"name", name}, {"time_zone", time_zone}, {"numbers", json::array({n})}};
  if (with_twilio)
    body["twilio"] = {{"account_sid", twilio_account_sid}, {"auth_token", twilio_auth_token}};
  auto r = request(port(), "POST", "/ops/tenants", operator_token, body.dump());
  INFO(r.text);
  REQUIRE(r.status == 201);
  return r.body["id"];
}

std::string fixture::scalar(const std::string& sql, const std::vector<std::string>& params) {
  pqxx::connection c{db_.url()};
  pqxx::work tx{c};
  pqxx::result res;
  switch (params.size()) {
    case 0: res = tx.exec(sql); break;
    case 1: res = tx.exec_params(sql, params[0]); break;
    case 2: res = tx.exec_params(sql, params[0], params[1]); break;
    default: throw std::invalid_argument("scalar(): at most 2 parameters");
  }
  tx.commit();
  if (res.empty() || res[0][0].is_null()) return "";
  return res[0][0].c_str();
}

}  // namespace rm::tapi
