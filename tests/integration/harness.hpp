// Integration harness: a scratch database, the Twilio fake, the actor service and the HTTP server
// on an ephemeral loopback port, plus builders for Vapi messages made from the shared samples
// (../shared/contracts/vapi-samples) with a given call id, date and toolCallId.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "actors/service.hpp"
#include "actors/verification_service.hpp"
#include "adapters/http/server.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/support/test_db.hpp"

namespace rm::itest {

using nlohmann::json;

inline constexpr const char* operator_token = "integration-operator-token-0123456789";
inline constexpr const char* clinic_number = "+14155550100";  // the samples' dialled number
inline constexpr const char* clinic_vapi_id = "c41e8b27-9d3a-4f6c-b0e5-1a7d2c9f3e80";
inline constexpr const char* clinic_assistant = "7d2f9a10-6c4b-4e8a-a1d3-2b5c8e0f9a64";
inline constexpr const char* caller_number = "+14155550177";  // the samples' caller
inline constexpr const char* account_sid = "AC0123456789abcdef0123456789abcdef";
inline constexpr const char* auth_token = "integration-auth-token";

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
std::string future_weekday(int min_days = 2);

// ---- HTTP
// ----------------------------------------------------------------------------------------

struct reply {
  int status = 0;  // 0 when the request failed at the transport level
  std::string text;
  json body;  // discarded when not JSON
  std::map<std::string, std::string> headers;
  std::string transport_error;  // httplib's error when status is 0
};

// One request on a fresh client (safe from any thread). `token` "" sends no Authorization.
reply http_post(int port, const std::string& path, const std::string& body,
                const std::string& token = "",
                const std::string& content_type = "application/json");
reply http_get(int port, const std::string& path, const std::string& token = "");

// The single result of a tool-calls reply: {"name","toolCallId","result"|"error"}.
json only_result(const reply& r);

// Polls `probe` until it returns true or `timeout` passes; returns the last probe's value.
template <class Probe>
bool eventually(Probe probe, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- the in-process service
// ----------------------------------------------------------------------

struct harness_options {
  std::size_t http_threads = 48;
  std::string jwt_hs256_secret;  // tenant JWTs (/api/*) accepted when non-empty
  bool verification = false;     // caller-ID verification actors and /api/telephony/*
  domain::breaker_settings breaker;  // the per-tenant provider circuit breakers
  int sms_per_call = 3;              // RINGMASTER_SMS_PER_CALL

  std::string public_url;             // server_options::public_url (and the verification's)
  unsigned argon2_slots = 0;          // verification_service_options::argon2_slots
  std::chrono::milliseconds argon2_wait{2000};
};

class harness {
 public:
  explicit harness(harness_options options = {});
  ~harness();
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  int port() const { return port_; }
  const std::string& db_url() const { return db_.url(); }
  fakes::fake_twilio& twilio() { return twilio_; }
  actors::verification_service* verification() { return verification_.get(); }
  actors::service& service() { return *service_; }

  reply post(const std::string& path, const json& body, bool auth = false);
  reply vapi(const json& body) { return post("/webhooks/vapi", body); }
  reply get(const std::string& path, bool auth = true);

  // POST /ops/tenants; returns the tenant id (REQUIREs 201).
  std::string create_tenant(const std::string& name, const std::string& number,
                            const std::string& vapi_id, bool with_twilio = true,
                            const std::string& assistant_id = clinic_assistant);
  // The samples' clinic: +14155550100, the samples' phone-number id and assistant.
  std::string create_sample_clinic() {
    return create_tenant("Harbor Dental", clinic_number, clinic_vapi_id);
  }
  json call_view(const std::string& call_id);  // GET /sessions/calls/{id} body (REQUIREs 200)

  // One-value SQL query against the scratch database ("" for NULL / no row).
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});
  long count(const std::string& sql, const std::vector<std::string>& params = {}) {
    return std::stol(scalar(sql, params));
  }

 private:
  testing::scratch_database db_;
  fakes::fake_twilio twilio_;
  std::unique_ptr<actors::service> service_;
  std::unique_ptr<actors::verification_service> verification_;
  std::unique_ptr<http::server> server_;
  std::thread listener_;
  int port_ = -1;
};

}  // namespace rm::itest
