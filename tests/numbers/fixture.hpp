// The number lifecycle end to end on the whole-service fixture (tests/support): the Twilio fake
// (two clinics' accounts: magic numbers, number inventory with paging), the Vapi fake, the number
// service (no background sweep: tests call sweep_now) and a server with a public URL, a JWT secret
// and an operator token.
#pragma once

#include <string>

#include "adapters/twilio/request_validator.hpp"
#include "tests/support/service_fixture.hpp"
#include "tests/support/two_clinics.hpp"

namespace rm::ntest {

using nlohmann::json;
using namespace testing::two_clinics;  // number_a/b, account_a/b, token_a/b, caller

inline constexpr const char* jwt_secret = "number-tests-hs256-secret-0123456789abcdef";
inline constexpr const char* operator_token = "number-tests-operator-token-0123";
inline constexpr const char* vapi_key = "number-tests-vapi-private-key";
inline constexpr const char* public_url = "https://ringmaster.example.test";
// Verifies webhooks for numbers no clinic ever held.
inline constexpr const char* platform_token = "number-tests-platform-token";

using testing::reply;

// HS256 token for a tenant user of the fixture's server.
inline std::string mint(const std::string& org_id, const std::string& role = "admin",
                        const std::string& user = "user-1") {
  return testing::mint_jwt(jwt_secret, org_id, role, user);
}

struct fixture_options {
  int quarantine_days = 30;
};

class fixture : public testing::service_fixture {
 public:
  explicit fixture(fixture_options options = {});

  fakes::fake_vapi& vapi() { return vapi_fake(); }
  actors::number_service& numbers() { return *service_fixture::numbers(); }

  // A Twilio webhook (form POST) signed with `token` over public_url + path.
  reply twilio_webhook(const std::string& path, const twilio::params& fields,
                       const std::string& token) const;

  // POST /ops/tenants with one hand-mapped number and a Twilio account ({} = none).
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::string& account_sid, const std::string& auth_token);
  using service_fixture::create_tenant;
};

twilio::params voice_fields(const std::string& call_sid, const std::string& from,
                            const std::string& to);
twilio::params sms_fields(const std::string& message_sid, const std::string& from,
                          const std::string& to, const std::string& body);

}  // namespace rm::ntest
