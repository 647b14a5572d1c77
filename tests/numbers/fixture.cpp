#include "tests/numbers/fixture.hpp"

#include <chrono>

#include "adapters/twilio/twilio_client.hpp"

namespace rm::ntest {

fixture::fixture(fixture_options options)
    : service_fixture(
          testing::service_fixture_builder{}
              .twilio_accounts(testing::two_clinics::accounts())
              .fake_vapi(vapi_key)
              .jwt_secret(ntest::jwt_secret)
              .operator_token(ntest::operator_token)
              .server([](http::server_options& o) {
                o.public_url = public_url;
                o.twilio_auth_token = platform_token;
                o.vapi_auth.allow_unauthenticated = true;  // RINGMASTER_VAPI_AUTH=none
              })
              .with_numbers([options](actors::number_service_options& o) {
                o.quarantine_days = options.quarantine_days;
                o.twilio_retry = {2, std::chrono::milliseconds(5), std::chrono::milliseconds(10)};
                o.vapi_retry = {2, std::chrono::milliseconds(5), std::chrono::milliseconds(10)};
                o.provider_timeout = std::chrono::seconds(20);
              })) {}

reply fixture::twilio_webhook(const std::string& path, const twilio::params& fields,
                              const std::string& token) const {
  const std::string url = std::string{public_url} + path;
  return request("POST", path, "", twilio::form_encode(fields),
                 "application/x-www-form-urlencoded",
                 {{"X-Twilio-Signature", twilio::compute_signature(token, url, fields)}});
}

std::string fixture::create_tenant(const std::string& name, const std::string& number,
                                   const std::string& account_sid,
                                   const std::string& auth_token) {
  json body{{"name", name},
            {"time_zone", "America/New_York"},
            {"numbers", {{{"e164", number}, {"label", name}}}}};
  if (!account_sid.empty())
    body["twilio"] = {{"account_sid", account_sid}, {"auth_token", auth_token}};
  return create_tenant(body);
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
