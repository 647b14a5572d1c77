#include "tests/agents/fixture.hpp"

#include <stdexcept>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <pqxx/pqxx>

#include "adapters/vapi/vapi_client.hpp"

namespace rm::agents_test {

namespace {
constexpr const char* twilio_sid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* twilio_token = "agents-tests-twilio-auth-token";
}  // namespace

fixture::fixture()
    : twilio_(std::map<std::string, std::string>{{twilio_sid, twilio_token}}), vapi_(vapi_key) {
  start();
}

fixture::~fixture() { stop(); }

void fixture::start() {
  actors::service_options so;
  so.database_url = db_.url();
  so.db_workers = 4;
  so.twilio_base_url = twilio_.base_url();
  so.vapi_base_url = vapi_.base_url();
  so.vapi_private_key = vapi_key;
  so.request_timeout = std::chrono::milliseconds(20000);
  so.scheduler_threads = 4;
  service_ = std::make_unique<actors::service>(so);
  actors::number_service_options no;
  no.twilio_base_url = twilio_.base_url();
  no.vapi_base_url = vapi_.base_url();
  no.vapi_private_key = vapi_key;
  no.public_url = public_url;
  no.sweep_interval = std::chrono::milliseconds(0);
  no.vapi_retry = {2, std::chrono::milliseconds(10), std::chrono::milliseconds(10)};
  numbers_ = std::make_unique<actors::number_service>(*service_, no);

  http::server_options ho;
  ho.operator_token = tapi::operator_token;
  ho.service_token = tapi::service_token;
  ho.jwt.hs256_secret = tapi::jwt_secret;
  ho.vapi_auth.secret = vapi_secret;
  ho.public_url = public_url;
  ho.numbers = numbers_.get();
  ho.worker_threads = 8;
  server_ = std::make_unique<http::server>(*service_, ho);
  port_ = server_->bind("127.0.0.1", 0);
  if (port_ <= 0) throw std::runtime_error("the HTTP server could not bind a loopback port");
  listener_ = std::thread{[this] { server_->listen(); }};
  bool up = tapi::eventually(
      [&] { return tapi::request(port_, "GET", "/healthz").status == 200; },
      std::chrono::seconds(10));
  if (!up) throw std::runtime_error("the HTTP server did not answer /healthz");
}

void fixture::stop() {
  if (server_) server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
  numbers_.reset();
  service_.reset();
}

void fixture::restart() {
  stop();
  start();
}

reply fixture::webhook(const json& message) {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_read_timeout(60);
  httplib::Headers h{{"X-Vapi-Secret", vapi_secret}};
  auto res = cli.Post("/webhooks/vapi", h, message.dump(), "application/json");
  reply r;
  if (!res) return r;
  r.status = res->status;
  r.text = res->body;
  r.body = json::parse(res->body, nullptr, false);
  return r;
}

reply fixture::ops_get(const std::string& path) {
  return tapi::request(port_, "GET", path, tapi::operator_token);
}

std::string fixture::vapi_number(const std::string& e164) {
  vapi::client c{vapi_.base_url(), vapi_key};
  vapi::phone_number_import n;
  n.number = e164;
  n.twilio_account_sid = twilio_sid;
  n.twilio_auth_token = twilio_token;
  auto r = c.import_twilio_number(n);
  INFO(r.error.message);
  REQUIRE(r.ok);
  return r.body["id"];
}

std::string fixture::create_tenant(
    const std::string& name, const std::vector<std::pair<std::string, std::string>>& numbers) {
  json list = json::array();
  for (const auto& [e164, vapi_id] : numbers) {
    json n{{"e164", e164}, {"label", name}};
    if (!vapi_id.empty()) n["vapi_phone_number_id"] = vapi_id;
    list.push_back(n);
  }
  json body{{"name", name},
            {"time_zone", "America/New_York"},
            {"numbers", list},
            {"twilio", {{"account_sid", twilio_sid}, {"auth_token", twilio_token}}}};
  auto r = tapi::request(port_, "POST", "/ops/tenants", tapi::operator_token, body.dump());
  INFO(r.text);
  REQUIRE(r.status == 201);
  return r.body["id"];
}

std::string fixture::number_id(const std::string& e164) {
  return scalar("SELECT id FROM phone_numbers WHERE e164 = $1 AND active", {e164});
}

std::string fixture::add_contact(const std::string& org_id, const std::string& phone,
                                 const std::string& name, bool opted_out) {
  return scalar("INSERT INTO contacts (org_id, phone_e164, name, opted_out) VALUES ($1, $2, $3, " +
                    std::string{opted_out ? "true" : "false"} + ") RETURNING id",
                {org_id, phone, name});
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
  if (res.empty() || res[0][0].is_null()) return "";
  return res[0][0].c_str();
}

}  // namespace rm::agents_test
