// The number lifecycle end to end: a scratch database, the Twilio fake (two clinics' accounts:
// magic numbers, number inventory with paging), the Vapi fake, the actor service, the number
// service (no background sweep: tests call sweep_now) and the HTTP server on an ephemeral
// loopback port with a public URL, a JWT secret and an operator token.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/number_service.hpp"
#include "actors/service.hpp"
#include "adapters/http/server.hpp"
#include "adapters/twilio/request_validator.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/fakes/fake_vapi.hpp"
#include "tests/support/test_db.hpp"

namespace rm::ntest {

using nlohmann::json;

inline constexpr const char* jwt_secret = "number-tests-hs256-secret-0123456789abcdef";
inline constexpr const char* operator_token = "number-tests-operator-token-0123";
inline constexpr const char* vapi_key = "number-tests-vapi-private-key";
inline constexpr const char* public_url = "https://ringmaster.example.test";
// Verifies webhooks for numbers no clinic ever held.
inline constexpr const char* platform_token = "number-tests-platform-token";

inline constexpr const char* number_a = "+14155550100";  // A's hand-mapped main line
inline constexpr const char* account_a = "AC0000000000000000000000000000000a";
inline constexpr const char* token_a = "tenant-a-auth-token";
inline constexpr const char* number_b = "+12125550100";
inline constexpr const char* account_b = "AC0000000000000000000000000000000b";
inline constexpr const char* token_b = "tenant-b-auth-token";
inline constexpr const char* caller = "+14155550177";

struct reply {
  int status = 0;  // 0: transport failure
  std::string text;
  json body;  // discarded when not JSON
  std::map<std::string, std::string> headers;
};

std::string mint(const std::string& org_id, const std::string& role = "admin",
                 const std::string& user = "user-1");

struct fixture_options {
  int quarantine_days = 30;
};

class fixture {
 public:
  explicit fixture(fixture_options options = {});
  ~fixture();
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  int port() const { return port_; }
  fakes::fake_twilio& twilio() { return twilio_; }
  fakes::fake_vapi& vapi() { return vapi_; }
  actors::number_service& numbers() { return *numbers_; }
  actors::service& service() { return *service_; }

  reply request(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "", const std::map<std::string, std::string>& headers = {},
                const std::string& content_type = "application/json");
  reply get(const std::string& path, const std::string& token) {
    return request("GET", path, token);
  }
  reply post(const std::string& path, const std::string& token, const json& body = json::object()) {
    return request("POST", path, token, body.dump());
  }
  reply del(const std::string& path, const std::string& token) {
    return request("DELETE", path, token);
  }
  // A Twilio webhook (form POST) signed with `token` over public_url + path.
  reply twilio_webhook(const std::string& path, const twilio::params& fields,
                       const std::string& token);

  // POST /ops/tenants with one hand-mapped number and a Twilio account ({} = none).
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::string& account_sid, const std::string& auth_token);

  // One value of a SQL query run as the database owner ("" for NULL / no row).
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});
  long count(const std::string& sql, const std::vector<std::string>& params = {}) {
    return std::stol(scalar(sql, params));
  }

 private:
  testing::scratch_database db_;
  fakes::fake_twilio twilio_;
  fakes::fake_vapi vapi_;
  std::unique_ptr<actors::service> service_;
  std::unique_ptr<actors::number_service> numbers_;
  std::unique_ptr<http::server> server_;
  std::thread listener_;
  int port_ = -1;
};

twilio::params voice_fields(const std::string& call_sid, const std::string& from,
                            const std::string& to);
twilio::params sms_fields(const std::string& message_sid, const std::string& from,
                          const std::string& to, const std::string& body);

}  // namespace rm::ntest
