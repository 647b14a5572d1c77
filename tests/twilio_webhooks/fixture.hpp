// The whole service for the Twilio webhook tests (tests/support/service_fixture.hpp): the Twilio
// fake (which knows both test tenants' accounts), with the server options these tests vary
// (public URL, platform Twilio token, Vapi webhook authentication).
#pragma once

#include <string>
#include <vector>

#include "adapters/twilio/request_validator.hpp"
#include "tests/support/service_fixture.hpp"
#include "tests/support/two_clinics.hpp"

namespace rm::twtest {

using nlohmann::json;
using namespace testing::two_clinics;  // number_a/b, account_a/b, token_a/b, caller

inline constexpr const char* operator_token = "twilio-webhook-operator-token-0123";
inline constexpr const char* platform_token = "platform-auth-token";

struct fixture_options {
  std::string public_url;                         // server_options::public_url
  std::string platform_token = twtest::platform_token;  // server_options::twilio_auth_token
  // server_options::vapi_auth; by default none configured and RINGMASTER_VAPI_AUTH=none.
  vapi::webhook_auth_settings vapi_auth{"", "", "", 300, true};
};

using testing::reply;

class fixture : public testing::service_fixture {
 public:
  explicit fixture(fixture_options options = {});

  const http::server_counters& counters() const { return server().counters(); }

  // POST with a body, a content type and extra headers.
  reply post(const std::string& path, const std::string& body, const std::string& content_type,
             const testing::header_map& headers = {}) const {
    return request("POST", path, "", body, content_type, headers);
  }
  // A form POST signed with `token` over `signed_url` (default: direct_url(path)) + `fields`.
  reply post_signed(const std::string& path, const twilio::params& fields,
                    const std::string& token, const std::string& signed_url = "") const;

  // POST /ops/tenants with the operator token; REQUIREs 201 and returns the tenant id. `twilio`
  // is {account_sid, auth_token} or empty for a tenant without a Twilio account.
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::vector<std::string>& twilio, const json& extra = {});
  using service_fixture::create_tenant;

  // Rows in every table a webhook may write (calls, call_events, messages, contacts).
  long webhook_rows() const;
};

// Twilio's incoming-call fields for a call from `from` to `to`.
twilio::params voice_fields(const std::string& call_sid, const std::string& from,
                            const std::string& to);

}  // namespace rm::twtest
