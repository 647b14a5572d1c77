// Integration harness: the whole service (tests/support/service_fixture.hpp) with the Twilio fake
// and options the integration tests vary, plus builders for Vapi messages made from the shared samples
// (../shared/contracts/vapi-samples) with a given call id, date and toolCallId.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/service_fixture.hpp"

namespace rm::itest {

using nlohmann::json;

inline constexpr const char* operator_token = "integration-operator-token-0123456789";
inline constexpr const char* clinic_number = "+14155550100";  // the samples' dialled number
inline constexpr const char* clinic_vapi_id = "c41e8b27-9d3a-4f6c-b0e5-1a7d2c9f3e80";
inline constexpr const char* clinic_assistant = "7d2f9a10-6c4b-4e8a-a1d3-2b5c8e0f9a64";
inline constexpr const char* caller_number = "+14155550177";  // the samples' caller
inline constexpr const char* account_sid = "AC0123456789abcdef0123456789abcdef";
inline constexpr const char* auth_token = "integration-auth-token";

// The samples' clinic as POST /ops/tenants takes it: "Harbor Dental" (America/New_York) on
// clinic_number (Vapi id clinic_vapi_id) with clinic_assistant, and the Twilio account
// account_sid with `twilio_token` as its auth token.
inline json clinic_tenant(const std::string& twilio_token = auth_token) {
  return json{{"name", "Harbor Dental"},
              {"time_zone", "America/New_York"},
              {"numbers", {{{"e164", clinic_number}, {"vapi_phone_number_id", clinic_vapi_id}}}},
              {"assistant_id", clinic_assistant},
              {"twilio", {{"account_sid", account_sid}, {"auth_token", twilio_token}}}};
}

// ---- the shared samples and messages built from them
// ---------------------------------------------

json load_sample(const std::string& name);  // "status-update-ringing" → parsed file

struct call_spec {
  std::string call_id;
  std::string dialled = clinic_number;
  std::string phone_number_id = clinic_vapi_id;
  std::string caller = caller_number;
};

// status-update with message.status = status (endedReason when given), timestamp `ts_ms`.
json status_update(const call_spec& call, const std::string& status, std::int64_t ts_ms,
                   const std::string& ended_reason = "");
json end_of_call_report(const call_spec& call, std::int64_t ts_ms,
                        const std::string& ended_reason = "customer-ended-call");
json assistant_request(const call_spec& call);

struct tool_spec {
  std::string id;    // toolCallId
  std::string name;  // check_availability, reserve_slot, book_appointment, send_sms
  json arguments;    // an object, or a string sent as is
};
// A tool-calls message with the calls in toolCallList (object arguments), toolCalls (JSON-string
// arguments, as in the sample) and toolWithToolCallList.
json tool_calls(const call_spec& call, const std::vector<tool_spec>& tools);

// A weekday (Mon–Fri) at least `min_days` days after today (UTC), as YYYY-MM-DD.
inline std::string future_weekday(int min_days = 2) { return testing::future_weekday(min_days); }

// ---- HTTP
// ----------------------------------------------------------------------------------------

using testing::eventually;  // polls with a deadline (20 s by default)
using testing::reply;       // status 0 and transport_error when the request failed

// One request on a fresh client (safe from any thread). `token` "" sends no Authorization.
inline reply http_post(int port, const std::string& path, const std::string& body,
                       const std::string& token = "",
                       const std::string& content_type = "application/json") {
  return testing::http_request(port, "POST", path, token, body, content_type);
}
inline reply http_get(int port, const std::string& path, const std::string& token = "") {
  return testing::http_request(port, "GET", path, token);
}

// The single result of a tool-calls reply: {"name","toolCallId","result"|"error"}.
json only_result(const reply& r);
// A booking by the caller of `call`: three tool calls posted to /webhooks/vapi on `port` (no
// credential) with ids "<prefix>-hold", "<prefix>-book", "<prefix>-sms": reserve_slot `start`
// ("YYYY-MM-DDTHH:MM"), book_appointment of that hold for "Ada", send_sms `message`. REQUIREs a
// result for each and the SMS's status "sent".
void hold_book_and_text(int port, const call_spec& call, const std::string& prefix,
                        const std::string& start, const std::string& message);

// ---- the in-process service
// ----------------------------------------------------------------------

struct harness_options {
  std::size_t http_threads = 48;
  std::string jwt_hs256_secret;  // tenant JWTs (/api/*) accepted when non-empty
  bool verification = false;     // caller-ID verification actors and /api/telephony/*
  domain::breaker_settings breaker;  // the per-tenant provider circuit breakers
  int sms_per_call = 3;              // RINGMASTER_SMS_PER_CALL

  std::string public_url;             // server_options::public_url (and the verification's)
  unsigned argon2_slots = 0;          // service_options::argon2_slots
  std::chrono::milliseconds argon2_wait{2000};
};

class harness : public testing::service_fixture {
 public:
  explicit harness(harness_options options = {});

  reply post(const std::string& path, const json& body, bool auth = false) const {
    return service_fixture::post(path, auth ? operator_token() : "", body);
  }
  reply vapi(const json& body) const { return post("/webhooks/vapi", body); }
  reply get(const std::string& path, bool auth = true) const {
    return service_fixture::get(path, auth ? operator_token() : "");
  }

  // POST /ops/tenants; returns the tenant id (REQUIREs 201).
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::string& vapi_id, bool with_twilio = true,
                            const std::string& assistant_id = clinic_assistant);
  using service_fixture::create_tenant;
  // The samples' clinic: +14155550100, the samples' phone-number id and assistant.
  std::string create_sample_clinic() {
    return create_tenant("Harbor Dental", clinic_number, clinic_vapi_id);
  }
  json call_view(const std::string& call_id);  // GET /sessions/calls/{id} body (REQUIREs 200)
};

}  // namespace rm::itest
