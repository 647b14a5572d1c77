// Agents and call-back tests: a scratch database, the actor service, the fake Vapi (REST), the
// fake Twilio, and the HTTP server on an ephemeral loopback port configured with a public URL, a
// Vapi private key (the fake's), a Vapi webhook secret and short Vapi retries. restart() replaces
// the service and the server over the same database, as a process restart would.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/number_service.hpp"
#include "actors/service.hpp"
#include "adapters/http/server.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/fakes/fake_vapi.hpp"
#include "tests/support/test_db.hpp"
#include "tests/tenant_api/fixture.hpp"  // mint(), request(), reply

namespace rm::agents_test {

using nlohmann::json;
using tapi::reply;

inline constexpr const char* vapi_key = "agents-tests-vapi-private-key";
inline constexpr const char* vapi_secret = "agents-tests-vapi-webhook-secret";
inline constexpr const char* public_url = "https://ringmaster.example.test";

class fixture {
 public:
  fixture();
  ~fixture();

  int port() const { return port_; }
  const std::string& db_url() const { return db_.url(); }
  fakes::fake_vapi& vapi() { return vapi_; }
  fakes::fake_twilio& twilio() { return twilio_; }
  void restart();

  reply get(const std::string& path, const std::string& token) {
    return tapi::request(port(), "GET", path, token);
  }
  reply post(const std::string& path, const std::string& token, const json& body) {
    return tapi::request(port(), "POST", path, token, body.dump());
  }
  reply patch(const std::string& path, const std::string& token, const json& body) {
    return tapi::request(port(), "PATCH", path, token, body.dump());
  }
  reply del(const std::string& path, const std::string& token) {
    return tapi::request(port(), "DELETE", path, token);
  }
  // POST /webhooks/vapi with the deployment's X-Vapi-Secret.
  reply webhook(const json& message);
  reply ops_get(const std::string& path);

  // A Vapi phone-number id for `e164`, imported into the fake (so POST /call accepts it).
  std::string vapi_number(const std::string& e164);
  // POST /ops/tenants with these numbers ({e164, vapi id or ""}); returns the tenant id.
  std::string create_tenant(const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& numbers);
  // The id of the tenant's phone_numbers row for `e164`.
  std::string number_id(const std::string& e164);
  // A contact of the tenant (inserted as the owner); returns its id.
  std::string add_contact(const std::string& org_id, const std::string& phone,
                          const std::string& name, bool opted_out = false);

  // One-value SQL as the database owner ("" for NULL / no row); parameters as text.
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  void start();
  void stop();

  testing::scratch_database db_;
  fakes::fake_twilio twilio_;
  fakes::fake_vapi vapi_;
  std::unique_ptr<actors::service> service_;
  std::unique_ptr<actors::number_service> numbers_;  // the provisioning saga (no background sweep)
  std::unique_ptr<http::server> server_;
  std::thread listener_;
  int port_ = -1;
};

}  // namespace rm::agents_test
