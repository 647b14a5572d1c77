#include "tests/twilio_webhooks/fixture.hpp"

#include <chrono>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <pqxx/pqxx>

#include "adapters/twilio/twilio_client.hpp"

namespace rm::twtest {

namespace {

actors::service_options service_options_for(const std::string& db, const std::string& twilio) {
  actors::service_options o;
  o.database_url = db;
  o.db_workers = 3;
  o.twilio_base_url = twilio;
  o.request_timeout = std::chrono::milliseconds(20000);
  o.scheduler_threads = 2;
  return o;
}

reply to_reply(const httplib::Result& res) {
  reply r;
  if (!res) return r;
  r.status = res->status;
  r.text = res->body;
  r.content_type = res->get_header_value("Content-Type");
  r.body = json::parse(res->body, nullptr, false);
  return r;
}

}  // namespace

fixture::fixture(fixture_options options)
    : twilio_(std::map<std::string, std::string>{{account_a, token_a}, {account_b, token_b}}),
      service_(std::make_unique<actors::service>(
          service_options_for(db_.url(), twilio_.base_url()))) {
  http::server_options o;
  o.operator_token = operator_token;
  o.public_url = options.public_url;
  o.twilio_auth_token = options.platform_token;
  o.vapi_auth = options.vapi_auth;
  o.worker_threads = 8;
  server_ = std::make_unique<http::server>(*service_, o);
  port_ = server_->bind("127.0.0.1", 0);
  if (port_ <= 0) throw std::runtime_error("the HTTP server could not bind a loopback port");
  listener_ = std::thread{[this] { server_->listen(); }};
  for (int i = 0; i < 500; ++i) {
    httplib::Client c{"127.0.0.1", port_};
    if (auto res = c.Get("/healthz"); res && res->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("the HTTP server did not answer /healthz");
}

fixture::~fixture() {
  server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
  service_.reset();
}

std::uint64_t fixture::auth_failures(const std::string& reason) const {
  auto all = counters().auth_failures();
  auto it = all.find(reason);
  return it == all.end() ? 0 : it->second;
}

std::string fixture::direct_url(const std::string& path_and_query) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path_and_query;
}

reply fixture::post(const std::string& path, const std::string& body,
                    const std::string& content_type,
                    const std::map<std::string, std::string>& headers) {
  httplib::Client c{"127.0.0.1", port_};
  c.set_read_timeout(30, 0);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return to_reply(c.Post(path.c_str(), h, body, content_type.c_str()));
}

reply fixture::post_signed(const std::string& path, const twilio::params& fields,
                           const std::string& token, const std::string& signed_url) {
  auto url = signed_url.empty() ? direct_url(path) : signed_url;
  return post(path, twilio::form_encode(fields), "application/x-www-form-urlencoded",
              {{"X-Twilio-Signature", twilio::compute_signature(token, url, fields)}});
}

std::string fixture::create_tenant(const std::string& name, const std::string& number,
                                   const std::vector<std::string>& twilio, const json& extra) {
  json body{{"name", name}, {"numbers", {{{"e164", number}}}}};
  if (twilio.size() == 2) body["twilio"] = {{"account_sid", twilio[0]}, {"auth_token", twilio[1]}};
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) body[k] = v;
  auto r = post("/ops/tenants", body.dump(), "application/json",
                {{"Authorization", std::string{"Bearer "} + operator_token}});
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
    default: throw std::invalid_argument("scalar(): at most 2 parameters");
  }
  tx.commit();
  if (res.empty() || res[0][0].is_null()) return "";
  return res[0][0].c_str();
}

long fixture::webhook_rows() {
  return count(
      "SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM call_events)"
      " + (SELECT count(*) FROM messages) + (SELECT count(*) FROM contacts)");
}

twilio::params voice_fields(const std::string& call_sid, const std::string& from,
                            const std::string& to) {
  return {{"AccountSid", account_a}, {"ApiVersion", "2010-04-01"}, {"CallSid", call_sid},
          {"CallStatus", "ringing"}, {"Called", to}, {"Caller", from},
          {"Direction", "inbound"}, {"From", from}, {"FromCountry", "US"}, {"To", to}};
}

}  // namespace rm::twtest
