#include "tests/twilio_webhooks/fixture.hpp"

#include "adapters/twilio/twilio_client.hpp"

namespace rm::twtest {

fixture::fixture(fixture_options options)
    : service_fixture(testing::service_fixture_builder{}
                          .twilio_accounts(testing::two_clinics::accounts())
                          .operator_token(twtest::operator_token)
                          .service([](actors::service_options& o) {
                            o.db_workers = 3;
                            o.scheduler_threads = 2;
                          })
                          .server([options](http::server_options& o) {
                            o.public_url = options.public_url;
                            o.twilio_auth_token = options.platform_token;
                            o.vapi_auth = options.vapi_auth;
                          })) {}

reply fixture::post_signed(const std::string& path, const twilio::params& fields,
                           const std::string& token, const std::string& signed_url) const {
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
  return create_tenant(body);
}

long fixture::webhook_rows() const {
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
