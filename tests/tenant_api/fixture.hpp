// Tenant API tests: a scratch database, the actor service, the Twilio fake, caller-ID
// verification (/api/telephony/*) and the HTTP server on an ephemeral loopback port, configured
// with a JWT secret, a service token and an operator token; tokens are minted here with libjwt
// (HS256). Vapi tool-calls are built by hand (no shared samples needed),
// so routing can be checked right after a phone mapping changes.
//
// The integration harness (tests/integration/harness.hpp) is left alone: its owner is still
// changing it, and these tests need server options it does not carry.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/number_service.hpp"
#include "actors/service.hpp"
#include "actors/verification_service.hpp"
#include "adapters/http/server.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/fakes/fake_vapi.hpp"
#include "tests/support/test_db.hpp"

namespace rm::tapi {

using nlohmann::json;

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

struct reply {
  int status = 0;  // 0: transport failure
  std::string text;
  json body;  // discarded when not JSON
  std::map<std::string, std::string> headers;
};

// HS256 token for a tenant user. `exp_in_s` relative to now (negative: already expired, beyond
// the 60 s leeway when < -60); `secret` other than jwt_secret gives a bad signature.
std::string mint(const std::string& org_id, const std::string& role = "admin",
                 const std::string& user = "user-1", long exp_in_s = 3600,
                 const std::string& secret = jwt_secret);

// A weekday (Mon–Fri) at least `min_days` days after today (UTC), as YYYY-MM-DD.
std::string future_weekday(int min_days = 3);

struct tool {
  std::string id;    // toolCallId
  std::string name;  // check_availability, reserve_slot, book_appointment
  json arguments;
};
// A Vapi tool-calls message for `call_id`, dialled `dialled`, from `caller_number`.
json tool_calls(const std::string& call_id, const std::string& dialled,
                const std::vector<tool>& tools);

// One HTTP server over the shared service; several can run at once (each has its own failed-auth
// throttle, so a test that fails authentication many times can use a fresh one).
class server_run {
 public:
  server_run(actors::service& service, actors::verification_service* verification,
             actors::number_service* numbers);
  ~server_run();
  int port() const { return port_; }
  std::vector<http::registered_route> routes() const { return server_->routes(); }

 private:
  std::unique_ptr<http::server> server_;
  std::thread listener_;
  int port_ = -1;
};

reply request(int port, const std::string& method, const std::string& path,
              const std::string& token = "", const std::string& body = "",
              const std::string& content_type = "application/json");

class fixture {
 public:
  fixture();
  ~fixture();

  int port() const { return server_->port(); }
  actors::service& service() { return *service_; }
  actors::verification_service* verification() { return verification_.get(); }
  actors::number_service* numbers() { return numbers_.get(); }
  fakes::fake_twilio& twilio() { return twilio_; }
  fakes::fake_vapi& vapi() { return vapi_; }
  // Every route registered on this fixture's server.
  std::vector<http::registered_route> routes() const { return server_->routes(); }
  // Another server over the same service and verification (its own failed-auth throttle).
  std::unique_ptr<server_run> another_server() {
    return std::make_unique<server_run>(*service_, verification_.get(), numbers_.get());
  }

  reply get(const std::string& path, const std::string& token) {
    return request(port(), "GET", path, token);
  }
  reply post(const std::string& path, const std::string& token, const json& body) {
    return request(port(), "POST", path, token, body.dump());
  }
  reply patch(const std::string& path, const std::string& token, const json& body) {
    return request(port(), "PATCH", path, token, body.dump());
  }
  reply del(const std::string& path, const std::string& token) {
    return request(port(), "DELETE", path, token);
  }
  reply vapi(const json& message) {
    return request(port(), "POST", "/webhooks/vapi", "", message.dump());
  }
  // The single tool result of a tool-calls reply: {"name","toolCallId","result"|"error"}.
  json tool_result(const json& message);

  // POST /ops/tenants with one number; returns the tenant id (REQUIREs 201). with_twilio: the
  // tenant's Twilio account is the fake's (caller-ID verification sends its codes there).
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::string& vapi_id = "",
                            const std::string& time_zone = "America/New_York",
                            bool with_twilio = false);

  // The six-digit code of the last SMS the Twilio fake accepted for `to` ("" if none).
  std::string last_sms_code(const std::string& to) const;

  // One-value SQL as the database owner ("" for NULL / no row); parameters as text.
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  testing::scratch_database db_;
  fakes::fake_twilio twilio_;
  fakes::fake_vapi vapi_{vapi_private_key};
  std::unique_ptr<actors::service> service_;
  std::unique_ptr<actors::verification_service> verification_;
  // /api/phone-numbers* over the Twilio and Vapi fakes.
  std::unique_ptr<actors::number_service> numbers_;
  std::unique_ptr<server_run> server_;
};

// Polls `probe` until true or `timeout` passes.
template <class Probe>
bool eventually(Probe probe, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace rm::tapi
