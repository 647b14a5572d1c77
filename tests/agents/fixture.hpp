// Agents and call-back tests: the whole service (tests/support/service_fixture.hpp) with the fake
// Vapi (REST), the fake Twilio, the number service (the provisioning saga, no background sweep)
// and a server configured with a public URL, a Vapi private key (the fake's), a Vapi webhook
// secret and short Vapi retries. restart() replaces the service and the server over the same
// database, as a process restart would.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/service_fixture.hpp"

namespace rm::agents_test {

using nlohmann::json;
using testing::reply;

inline constexpr const char* jwt_secret = "agents-tests-hs256-secret-0123456789abcdef";
inline constexpr const char* service_token = "agents-tests-service-token-0123";
inline constexpr const char* operator_token = "agents-tests-operator-token-0123";
inline constexpr const char* vapi_key = "agents-tests-vapi-private-key";
inline constexpr const char* vapi_secret = "agents-tests-vapi-webhook-secret";
inline constexpr const char* public_url = "https://ringmaster.example.test";

// HS256 token for a tenant user of the fixture's server.
inline std::string mint(const std::string& org_id, const std::string& role = "admin",
                        const std::string& user = "user-1") {
  return testing::mint_jwt(jwt_secret, org_id, role, user);
}

class fixture : public testing::service_fixture {
 public:
  // `server_edit` runs after the fixture's own server settings (e.g. the agent saga's backoff);
  // `service_edit` after the service's (e.g. the tools sync's backoff).
  explicit fixture(std::function<void(http::server_options&)> server_edit = {},
                   std::function<void(actors::service_options&)> service_edit = {});

  fakes::fake_vapi& vapi() { return vapi_fake(); }

  // POST /webhooks/vapi with the deployment's X-Vapi-Secret.
  reply webhook(const json& message) const;

  // A Vapi phone-number id for `e164`, imported into the fake (so POST /call accepts it).
  std::string vapi_number(const std::string& e164);
  // POST /ops/tenants with these numbers ({e164, vapi id or ""}); returns the tenant id.
  std::string create_tenant(const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& numbers);
  using service_fixture::create_tenant;
  // The id of the tenant's phone_numbers row for `e164`.
  std::string number_id(const std::string& e164) const;
  // A contact of the tenant (inserted as the owner); returns its id.
  std::string add_contact(const std::string& org_id, const std::string& phone,
                          const std::string& name, bool opted_out = false) const;
};

}  // namespace rm::agents_test
