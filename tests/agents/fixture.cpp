#include "tests/agents/fixture.hpp"

#include <catch2/catch.hpp>

#include "adapters/vapi/vapi_client.hpp"

namespace rm::agents_test {

namespace {
constexpr const char* twilio_sid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* twilio_token = "agents-tests-twilio-auth-token";
}  // namespace

fixture::fixture(std::function<void(http::server_options&)> server_edit,
                 std::function<void(actors::service_options&)> service_edit)
    : service_fixture(testing::service_fixture_builder{}
                          .twilio_accounts({{twilio_sid, twilio_token}})
                          .fake_vapi(vapi_key)
                          .jwt_secret(agents_test::jwt_secret)
                          .operator_token(agents_test::operator_token)
                          .service_token(agents_test::service_token)
                          .service([service_edit](actors::service_options& o) {
                            if (service_edit) service_edit(o);
                          })
                          .server([server_edit](http::server_options& o) {
                            o.vapi_auth.secret = vapi_secret;
                            o.public_url = public_url;
                            if (server_edit) server_edit(o);
                          })
                          .with_numbers([](actors::number_service_options& o) {
                            o.vapi_retry = {2, std::chrono::milliseconds(10),
                                            std::chrono::milliseconds(10)};
                          })) {}

reply fixture::webhook(const json& message) const {
  return request("POST", "/webhooks/vapi", "", message.dump(), "application/json",
                 {{"X-Vapi-Secret", vapi_secret}});
}

std::string fixture::vapi_number(const std::string& e164) {
  vapi::client c{vapi().base_url(), vapi_key};
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
  return create_tenant(json{{"name", name},
                            {"time_zone", "America/New_York"},
                            {"numbers", list},
                            {"twilio", {{"account_sid", twilio_sid}, {"auth_token", twilio_token}}}});
}

std::string fixture::number_id(const std::string& e164) const {
  return scalar("SELECT id FROM phone_numbers WHERE e164 = $1 AND active", {e164});
}

std::string fixture::add_contact(const std::string& org_id, const std::string& phone,
                                 const std::string& name, bool opted_out) const {
  return scalar("INSERT INTO contacts (org_id, phone_e164, name, opted_out) VALUES ($1, $2, $3, " +
                    std::string{opted_out ? "true" : "false"} + ") RETURNING id",
                {org_id, phone, name});
}

}  // namespace rm::agents_test
