#include "tests/tenant_api/fixture.hpp"

#include <ctime>

#include <catch2/catch.hpp>

namespace rm::tapi {

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

json status_update(const std::string& call_id, const std::string& dialled) {
  return {{"message",
           {{"type", "status-update"},
            {"status", "ringing"},
            {"timestamp", static_cast<long long>(std::time(nullptr)) * 1000},
            {"call", {{"id", call_id}, {"type", "inboundPhoneCall"},
                      {"customer", {{"number", caller_number}}}}},
            {"phoneNumber", {{"number", dialled}}},
            {"customer", {{"number", caller_number}}}}}};
}

http::server_options bare_server_options() {
  http::server_options o;
  o.jwt.hs256_secret = jwt_secret;
  o.operator_token = operator_token;
  o.service_token = service_token;
  o.worker_threads = 4;
  return o;
}

fixture::fixture()
    : service_fixture(
          testing::service_fixture_builder{}
              .twilio_accounts({{twilio_account_sid, twilio_auth_token}})
              .fake_vapi(vapi_private_key)
              .fake_smtp()
              .jwt_secret(tapi::jwt_secret)
              .operator_token(tapi::operator_token)
              .service_token(tapi::service_token)
              .service([](actors::service_options& o) {
                // A Google client whose endpoints answer nothing (port 9 refuses): the Google
                // routes run up to their first Google request.
                o.google_endpoint.client_id = "tenant-api-tests.apps.googleusercontent.com";
                o.google_endpoint.client_secret = "tenant-api-tests-google-secret";
                o.google_endpoint.oauth_base = "http://127.0.0.1:9";
                o.google_endpoint.api_base = "http://127.0.0.1:9";
                o.google_endpoint.authorize_url = "http://127.0.0.1:9/o/oauth2/v2/auth";
              })
              .server([](http::server_options& o) {
                o.public_url = public_url;
                o.vapi_auth.allow_unauthenticated = true;  // RINGMASTER_VAPI_AUTH=none
                // Live event streams end after 2 s, so a plain request to /api/events returns
                // (the isolation matrix requests every route).
                o.event_stream_max_age = std::chrono::seconds(2);
                o.event_keepalive = std::chrono::milliseconds(100);
              })
              .with_verification()
              .with_numbers([](actors::number_service_options& o) {
                o.public_url = "https://tenant-api.example.test";
              })) {}

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
  return create_tenant(body);
}

}  // namespace rm::tapi
