// Tenant API tests: the whole service (tests/support/service_fixture.hpp) with the Twilio fake
// (one account, for tenants created with_twilio), the Vapi fake, caller-ID verification
// (/api/telephony/*) and the number service (/api/phone-numbers*), and a server configured with a
// JWT secret, a service token and an operator token. Vapi messages are built by hand (no shared
// samples needed), so routing can be checked right after a phone mapping changes.
#pragma once

#include <string>
#include <vector>

#include "tests/support/service_fixture.hpp"

namespace rm::tapi {

using nlohmann::json;
using testing::eventually;
using testing::reply;
using testing::server_run;

inline constexpr const char* jwt_secret = "tenant-api-tests-hs256-secret-0123456789";
inline constexpr const char* service_token = "tenant-api-tests-service-token-0123";
inline constexpr const char* operator_token = "tenant-api-tests-operator-token-0123";
inline constexpr const char* caller_number = "+14155550177";
// The Twilio account of tenants created with_twilio (the fake knows it).
inline constexpr const char* twilio_account_sid = "AC0123456789abcdef0123456789abcdef";
inline constexpr const char* twilio_auth_token = "tenant-api-tests-twilio-auth-token";
// The fake Vapi's private key (agents and call-back reach the fake; RINGMASTER_PUBLIC_URL is
// public_url).
inline constexpr const char* vapi_private_key = "tenant-api-tests-vapi-private-key";
inline constexpr const char* public_url = "https://ringmaster.tenant-api.test";

// HS256 token for a tenant user. `exp_in_s` relative to now (negative: already expired, beyond
// the 60 s leeway when < -60); `secret` other than jwt_secret gives a bad signature.
inline std::string mint(const std::string& org_id, const std::string& role = "admin",
                        const std::string& user = "user-1", long exp_in_s = 3600,
                        const std::string& secret = jwt_secret) {
  return testing::mint_jwt(secret, org_id, role, user, exp_in_s);
}

// A weekday (Mon–Fri) at least `min_days` days after today (UTC), as YYYY-MM-DD.
inline std::string future_weekday(int min_days = 3) { return testing::future_weekday(min_days); }

// One request to 127.0.0.1:`port` (another server than the fixture's, or the fixture's).
inline reply request(int port, const std::string& method, const std::string& path,
                     const std::string& token = "", const std::string& body = "",
                     const std::string& content_type = "application/json") {
  return testing::http_request(port, method, path, token, body, content_type);
}

struct tool {
  std::string id;    // toolCallId
  std::string name;  // check_availability, reserve_slot, book_appointment
  json arguments;
};
// A Vapi tool-calls message for `call_id`, dialled `dialled`, from `caller_number`.
json tool_calls(const std::string& call_id, const std::string& dialled,
                const std::vector<tool>& tools);
// A Vapi status-update "ringing" for `call_id`, dialled `dialled`, from `caller_number`.
json status_update(const std::string& call_id, const std::string& dialled);

// The fixture's server options for servers the tests start themselves (their own throttle and
// Vapi authentication): tokens as the fixture's, nothing else set.
http::server_options bare_server_options();

class fixture : public testing::service_fixture {
 public:
  fixture();

  fakes::fake_vapi& vapi() { return vapi_fake(); }
  // POST /webhooks/vapi without credentials (the fixture's server allows that).
  reply vapi(const json& message) const {
    return request("POST", "/webhooks/vapi", "", message.dump());
  }
  // The single tool result of a tool-calls reply: {"name","toolCallId","result"|"error"}.
  json tool_result(const json& message);

  // POST /ops/tenants with one number; returns the tenant id (REQUIREs 201). with_twilio: the
  // tenant's Twilio account is the fake's (caller-ID verification sends its codes there).
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::string& vapi_id = "",
                            const std::string& time_zone = "America/New_York",
                            bool with_twilio = false);
  using service_fixture::create_tenant;
};

}  // namespace rm::tapi
