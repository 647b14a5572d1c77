// The whole service for the Twilio webhook tests: a scratch database, the Twilio fake (which
// knows both test tenants' accounts), the actor service and the HTTP server on an ephemeral
// loopback port, with the server options these tests vary (public URL, platform Twilio token,
// Vapi webhook authentication). Kept apart from tests/integration/harness.hpp, whose options do
// not reach http::server_options.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/service.hpp"
#include "adapters/http/server.hpp"
#include "adapters/twilio/request_validator.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/support/test_db.hpp"

namespace rm::twtest {

using nlohmann::json;

inline constexpr const char* operator_token = "twilio-webhook-operator-token-0123";
inline constexpr const char* platform_token = "platform-auth-token";

// Two clinics, each with its own Twilio account, and a caller.
inline constexpr const char* number_a = "+14155550100";
inline constexpr const char* account_a = "AC0000000000000000000000000000000a";
inline constexpr const char* token_a = "tenant-a-auth-token";
inline constexpr const char* number_b = "+12125550100";
inline constexpr const char* account_b = "AC0000000000000000000000000000000b";
inline constexpr const char* token_b = "tenant-b-auth-token";
inline constexpr const char* caller = "+14155550177";

struct fixture_options {
  std::string public_url;                         // server_options::public_url
  std::string platform_token = twtest::platform_token;  // server_options::twilio_auth_token
  // server_options::vapi_auth; by default none configured and RINGMASTER_VAPI_AUTH=none.
  vapi::webhook_auth_settings vapi_auth{"", "", "", 300, true};
};

struct reply {
  int status = 0;  // 0: transport failure
  std::string text;
  std::string content_type;
  json body;  // discarded when not JSON
};

class fixture {
 public:
  explicit fixture(fixture_options options = {});
  ~fixture();
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  int port() const { return port_; }
  fakes::fake_twilio& twilio() { return twilio_; }
  const http::server_counters& counters() const { return server_->counters(); }
  std::uint64_t auth_failures(const std::string& reason) const;

  // The URL Twilio would sign when it reaches this process directly: http://127.0.0.1:PORT + path.
  std::string direct_url(const std::string& path_and_query) const;

  // POST with a body, a content type and extra headers.
  reply post(const std::string& path, const std::string& body, const std::string& content_type,
             const std::map<std::string, std::string>& headers = {});
  // A form POST signed with `token` over `signed_url` (default: direct_url(path)) + `fields`.
  reply post_signed(const std::string& path, const twilio::params& fields,
                    const std::string& token, const std::string& signed_url = "");

  // POST /ops/tenants with the operator token; REQUIREs 201 and returns the tenant id. `twilio`
  // is {account_sid, auth_token} or empty for a tenant without a Twilio account.
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::vector<std::string>& twilio, const json& extra = {});

  // One value of a SQL query run as the database owner ("" for NULL / no row).
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});
  long count(const std::string& sql, const std::vector<std::string>& params = {}) {
    return std::stol(scalar(sql, params));
  }
  // Rows in every table a webhook may write (calls, call_events, messages, contacts).
  long webhook_rows();

 private:
  testing::scratch_database db_;
  fakes::fake_twilio twilio_;
  std::unique_ptr<actors::service> service_;
  std::unique_ptr<http::server> server_;
  std::thread listener_;
  int port_ = -1;
};

// Twilio's incoming-call fields for a call from `from` to `to`.
twilio::params voice_fields(const std::string& call_sid, const std::string& from,
                            const std::string& to);

}  // namespace rm::twtest
