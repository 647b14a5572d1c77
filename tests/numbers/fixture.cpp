#include "tests/numbers/fixture.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <jwt.h>
#include <pqxx/pqxx>

#include "adapters/twilio/twilio_client.hpp"

namespace rm::ntest {

std::string mint(const std::string& org_id, const std::string& role, const std::string& user) {
  const long now = static_cast<long>(std::time(nullptr));
  json claims{{"sub", user},
              {"iat", now},
              {"exp", now + 3600},
              {"app_metadata", {{"org_id", org_id}, {"role", role}}}};
  jwt_t* j = nullptr;
  REQUIRE(jwt_new(&j) == 0);
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> owner(j, jwt_free);
  REQUIRE(jwt_add_grants_json(j, claims.dump().c_str()) == 0);
  const std::string secret = jwt_secret;
  REQUIRE(jwt_set_alg(j, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) == 0);
  char* token = jwt_encode_str(j);
  REQUIRE(token != nullptr);
  std::string out = token;
  std::free(token);
  return out;
}

namespace {

actors::service_options service_options(const std::string& url, const std::string& twilio) {
  actors::service_options o;
  o.database_url = url;
  o.db_workers = 4;
  o.twilio_base_url = twilio;
  o.request_timeout = std::chrono::milliseconds(20000);
  o.scheduler_threads = 4;
  return o;
}

actors::number_service_options number_options(const std::string& twilio, const std::string& vapi,
                                              const fixture_options& f) {
  actors::number_service_options o;
  o.twilio_base_url = twilio;
  o.vapi_base_url = vapi;
  o.vapi_private_key = vapi_key;
  o.public_url = public_url;
  o.quarantine_days = f.quarantine_days;
  o.sweep_interval = std::chrono::milliseconds(0);  // tests sweep by hand
  o.twilio_retry = {2, std::chrono::milliseconds(5), std::chrono::milliseconds(10)};
  o.vapi_retry = {2, std::chrono::milliseconds(5), std::chrono::milliseconds(10)};
  o.provider_timeout = std::chrono::seconds(20);
  return o;
}

}  // namespace

fixture::fixture(fixture_options options)
    : twilio_(std::map<std::string, std::string>{{account_a, token_a}, {account_b, token_b}}),
      vapi_(vapi_key),
      service_(std::make_unique<actors::service>(service_options(db_.url(), twilio_.base_url()))),
      numbers_(std::make_unique<actors::number_service>(
          *service_, number_options(twilio_.base_url(), vapi_.base_url(), options))) {
  http::server_options o;
  o.operator_token = operator_token;
  o.jwt.hs256_secret = jwt_secret;
  o.public_url = public_url;
  o.twilio_auth_token = platform_token;
  o.vapi_auth.allow_unauthenticated = true;  // RINGMASTER_VAPI_AUTH=none
  o.worker_threads = 8;
  o.numbers = numbers_.get();
  server_ = std::make_unique<http::server>(*service_, o);
  port_ = server_->bind("127.0.0.1", 0);
  if (port_ <= 0) throw std::runtime_error("the HTTP server could not bind a loopback port");
  listener_ = std::thread{[this] { server_->listen(); }};
  for (int i = 0; i < 500 && request("GET", "/healthz", "").status != 200; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

fixture::~fixture() {
  server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
  numbers_.reset();
  service_.reset();
}

reply fixture::request(const std::string& method, const std::string& path,
                       const std::string& token, const std::string& body,
                       const std::map<std::string, std::string>& extra,
                       const std::string& content_type) {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(90);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  for (const auto& [k, v] : extra) headers.emplace(k, v);
  httplib::Result res{nullptr, httplib::Error::Unknown};
  if (method == "GET") res = cli.Get(path.c_str(), headers);
  else if (method == "POST") res = cli.Post(path.c_str(), headers, body, content_type.c_str());
  else if (method == "DELETE") res = cli.Delete(path.c_str(), headers);
  else throw std::invalid_argument("request(): unsupported method " + method);
  reply r;
  if (!res) return r;
  r.status = res->status;
  r.text = res->body;
  r.body = json::parse(res->body, nullptr, false);
  for (const auto& [k, v] : res->headers) r.headers[k] = v;
  return r;
}

reply fixture::twilio_webhook(const std::string& path, const twilio::params& fields,
                              const std::string& token) {
  const std::string url = std::string{public_url} + path;
  return request("POST", path, "", twilio::form_encode(fields),
                 {{"X-Twilio-Signature", twilio::compute_signature(token, url, fields)}},
                 "application/x-www-form-urlencoded");
}

std::string fixture::create_tenant(const std::string& name, const std::string& number,
                                   const std::string& account_sid,
                                   const std::string& auth_token) {
  json body{{"name", name},
            {"time_zone", "America/New_York"},
            {"numbers", {{{"e164", number}, {"label", name}}}}};
  if (!account_sid.empty())
    body["twilio"] = {{"account_sid", account_sid}, {"auth_token", auth_token}};
  auto r = request("POST", "/ops/tenants", operator_token, body.dump());
  INFO(r.text);
  REQUIRE(r.status == 201);
  return r.body["id"].get<std::string>();
}

std::string fixture::scalar(const std::string& sql, const std::vector<std::string>& params) {
  pqxx::connection c{db_.url()};
  pqxx::work tx{c};
  pqxx::result res;
  switch (params.size()) {
    case 0: res = tx.exec(sql); break;
    case 1: res = tx.exec_params(sql, params[0]); break;
    case 2: res = tx.exec_params(sql, params[0], params[1]); break;
    case 3: res = tx.exec_params(sql, params[0], params[1], params[2]); break;
    default: throw std::invalid_argument("scalar(): at most 3 parameters");
  }
  tx.commit();
  if (res.empty() || res.columns() == 0 || res[0][0].is_null()) return "";
  return res[0][0].c_str();
}

twilio::params voice_fields(const std::string& call_sid, const std::string& from,
                            const std::string& to) {
  return {{"ApiVersion", "2010-04-01"}, {"CallSid", call_sid}, {"CallStatus", "ringing"},
          {"Direction", "inbound"},     {"From", from},         {"To", to}};
}

twilio::params sms_fields(const std::string& message_sid, const std::string& from,
                          const std::string& to, const std::string& body) {
  return {{"ApiVersion", "2010-04-01"}, {"Body", body}, {"From", from},
          {"MessageSid", message_sid},  {"NumMedia", "0"}, {"SmsStatus", "received"},
          {"To", to}};
}

}  // namespace rm::ntest
