// Twilio REST API 2010-04-01, the subset ringmaster calls. Blocking (cpp-httplib client); run it
// only from a detached actor. Source: ../shared/contracts/twilio.md §3 (twilio-oai
// twilio_api_v2010.json, the SDKs' error parsers).
//
// Requests: HTTP Basic AccountSid:AuthToken, application/x-www-form-urlencoded, PascalCase keys.
// Errors: Twilio's JSON {"code","message","more_info","status"} (and the RFC 9457 form
// {"type","title","status","code","detail"}) are parsed into `twilio_error`.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rm::twilio {

struct credentials {
  std::string account_sid;  // AC + 32 hex
  std::string auth_token;
};

struct twilio_error {
  int http_status = 0;  // 0 = transport failure (connection refused, timeout)
  int code = 0;         // Twilio error code (21211, 21610, 20003 …), 0 when none
  std::string message;
};

struct sms_request {
  std::string from;  // E.164 (the tenant's number)
  std::string to;    // E.164
  std::string body;
  std::string status_callback;  // optional URL
};

struct sms_sent {
  std::string sid;     // SM… / MM…
  std::string status;  // "queued" | "accepted" | …
};

struct sms_result {
  bool ok = false;
  sms_sent sent;       // when ok
  twilio_error error;  // when !ok
  int attempts = 0;    // HTTP attempts made (retries on 429/5xx/transport failures)
};

struct retry_policy {
  int max_attempts = 3;                                  // 1 = no retry
  std::chrono::milliseconds first_backoff{200};          // doubled after each retry
  std::chrono::milliseconds max_backoff{2000};
};

// A voice call whose behaviour is given inline as TwiML (`Twiml` parameter of Calls.json).
struct call_request {
  std::string from;   // E.164 (the tenant's number)
  std::string to;     // E.164
  std::string twiml;  // <Response>…</Response>
  std::string status_callback;  // optional URL
};
struct call_result {
  bool ok = false;
  std::string sid;     // CA… when ok
  std::string status;  // "queued" when ok
  twilio_error error;  // when !ok
};

// OutgoingCallerIds.json (CreateValidationRequest): Twilio calls `phone_number` and the owner keys
// in `validation_code` (shown by us); Twilio then posts VerificationStatus to `status_callback`.
struct caller_id_request {
  std::string phone_number;  // E.164
  std::string friendly_name;
  std::string status_callback;  // optional URL
};
struct caller_id_result {
  bool ok = false;
  std::string validation_code;  // 6 digits, when ok
  std::string call_sid;         // CA…
  twilio_error error;
};

class client {
 public:
  // base_url: "https://api.twilio.com" in production; "http://127.0.0.1:PORT" for fakes.
  // `sleeper` is how the client waits between retries (injectable for tests).
  explicit client(std::string base_url, retry_policy retry = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(10),
                  std::function<void(std::chrono::milliseconds)> sleeper = {});

  // POST /2010-04-01/Accounts/{Sid}/Messages.json (To, From, Body[, StatusCallback]) → 201.
  // 429 and 5xx (and transport failures) are retried with exponential backoff; 4xx are not.
  sms_result send_sms(const credentials& creds, const sms_request& req);

  // POST …/Calls.json (To, From, Twiml[, StatusCallback]) → 201. Never retried: a retry after a
  // lost reply could ring the phone twice.
  call_result create_call(const credentials& creds, const call_request& req);
  // POST …/OutgoingCallerIds.json (PhoneNumber[, FriendlyName, StatusCallback]) → 200. Not retried.
  caller_id_result create_caller_id(const credentials& creds, const caller_id_request& req);

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  retry_policy retry_;
  std::chrono::milliseconds timeout_;
  std::function<void(std::chrono::milliseconds)> sleeper_;
};

// application/x-www-form-urlencoded encoding of ordered key/value pairs (RFC 3986 unreserved kept,
// space as '+'); repeated keys allowed.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
// Decodes a form body into pairs in order ('+' → space, %XX).
std::vector<std::pair<std::string, std::string>> form_decode(const std::string& body);

// A clear sentence for a Twilio error, for tool results and logs, e.g. 21211 → "the number
// +1… is not a valid phone number", 21610 → "the recipient has opted out of SMS (STOP)",
// 21614 → "that number cannot receive SMS (not a mobile number)".
std::string describe(const twilio_error& e);

}  // namespace rm::twilio
