// Twilio REST API 2010-04-01, the subset ringmaster calls. Blocking (cpp-httplib client); run it
// only from a detached actor (the twilio adapter's workers). Source: ../shared/contracts/twilio.md §3 (twilio-oai
// twilio_api_v2010.json, the SDKs' error parsers).
//
// Requests: HTTP Basic AccountSid:AuthToken, application/x-www-form-urlencoded, PascalCase keys.
// Errors: Twilio's JSON {"code","message","more_info","status"} (and the RFC 9457 form
// {"type","title","status","code","detail"}) are parsed into `twilio_error`.
// Retries: one loop (twilio_http.cpp) for the operations marked "retried" below: 429, 5xx and
// transport failures, exponential backoff from retry_policy, a numeric Retry-After replacing the
// backoff (capped by max_backoff). Other operations are sent once.
// Implementation by responsibility: twilio_http.cpp (encoding, error parsing, the exchange, the
// retry loop), twilio_messaging.cpp, twilio_voice.cpp (calls, caller IDs), twilio_numbers.cpp,
// twilio_accounts.cpp, twilio_errors.cpp (describe). In the service only the twilio adapter
// actor (actors/provider_adapters.cpp) builds a client.
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

// ---- accounts and numbers (../shared/contracts/twilio.md §3) -------------------------------------

// GET /2010-04-01/Accounts/{Sid}.json — validates a tenant's credentials (20003 when Twilio rejects
// them). The response's own auth_token is never kept.
struct account_info {
  std::string sid;
  std::string friendly_name;
  std::string status;  // "active" | "suspended" | "closed"
  std::string type;    // "Full" | "Trial"
};
struct account_result {
  bool ok = false;
  account_info account;
  twilio_error error;
};

// One number from AvailablePhoneNumbers/{Country}/Local.json.
struct available_number {
  std::string phone_number;   // E.164
  std::string friendly_name;  // "(415) 555-0100"
  std::string locality;
  std::string region;
  std::string iso_country;
  bool voice = false, sms = false, mms = false;
};
struct available_search {
  std::string country = "US";  // ISO 3166-1 alpha-2
  std::string area_code;       // digits; "" = any
  std::string contains;        // optional pattern
  int page_size = 20;          // 1–1000
};
struct available_result {
  bool ok = false;
  std::vector<available_number> numbers;
  twilio_error error;
};

// An IncomingPhoneNumber the account owns.
struct incoming_number {
  std::string sid;  // PN…
  std::string phone_number;  // E.164
  std::string friendly_name;
  std::string voice_url, sms_url, status_callback;
};

// POST IncomingPhoneNumbers.json: exactly one of phone_number / area_code.
struct purchase_request {
  std::string phone_number;  // E.164, or
  std::string area_code;     // digits
  std::string voice_url;     // our /webhooks/twilio/voice
  std::string sms_url;       // our /webhooks/twilio/sms
  std::string status_callback;  // our /webhooks/twilio/status
  std::string friendly_name;    // optional
};
struct number_result {
  bool ok = false;
  incoming_number number;
  twilio_error error;
};
struct number_list_result {
  bool ok = false;
  std::vector<incoming_number> numbers;  // every page, in Twilio's order
  twilio_error error;
  int pages = 0;
};
// GET …/Messages.json: the account's messages, newest first, filtered by Twilio on To, From and
// DateSent (inclusive lower bound; Twilio compares the day or the instant given). Used by the
// outbox to reconcile a send whose answer was lost (actors/outbox_interfaces.hpp).
struct message_query {
  std::string to;                // E.164; "" = any
  std::string from;              // E.164; "" = any
  std::string date_sent_after;   // "YYYY-MM-DD" or ISO-8601 UTC ("DateSent>="); "" = none
  int page_size = 50;            // 1–1000
};
struct listed_message {
  std::string sid;  // SM…
  std::string from, to, body, status, direction;
  std::string date_created;  // as Twilio writes it (RFC 2822, "Sun, 25 Mar 2018 09:53:19 +0000")
  long long date_created_epoch = 0;  // seconds since 1970 UTC; 0 when unparseable
};
struct message_list_result {
  bool ok = false;
  std::vector<listed_message> messages;  // every page, in Twilio's order (newest first)
  twilio_error error;
  int pages = 0;
};

// "Sun, 25 Mar 2018 09:53:19 +0000" → seconds since 1970 UTC; 0 when it is not that form.
long long parse_rfc2822(const std::string& text);

struct release_result {
  bool ok = false;  // 204, or 404 (20404: already released)
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

  // GET Accounts/{Sid}.json → 200. Retried like SMS (read-only).
  account_result fetch_account(const credentials& creds);
  // GET …/AvailablePhoneNumbers/{Country}/Local.json?AreaCode=&Contains=&PageSize= → 200.
  // Retried (read-only). No numbers is ok with an empty list.
  available_result search_available(const credentials& creds, const available_search& q);
  // POST …/IncomingPhoneNumbers.json → 201. Never retried: a retry after a lost reply could buy
  // twice (the provisioning saga reconciles by listing instead).
  number_result purchase_number(const credentials& creds, const purchase_request& req);
  // GET …/IncomingPhoneNumbers.json[?PhoneNumber=] following next_page_uri to the last page
  // (base URL + next_page_uri, as twilio-python does; an absolute next_page_uri contributes only
  // its path, so credentials never go to another host). Retried per page (read-only). Fails
  // rather than loops on a next_page_uri that repeats the current page, or after 1000 pages.
  number_list_result list_numbers(const credentials& creds, const std::string& phone_number = "");
  // GET …/Messages.json?To=&From=&DateSent>=&PageSize= following next_page_uri like
  // list_numbers (same host rule, same limits). Retried per page (read-only).
  message_list_result list_messages(const credentials& creds, const message_query& q);
  // POST …/IncomingPhoneNumbers/{PN}.json with VoiceUrl, SmsUrl, StatusCallback → 200 (used when
  // importing a tenant's existing numbers). Not retried.
  number_result update_number_urls(const credentials& creds, const std::string& pn_sid,
                                   const purchase_request& urls);
  // DELETE …/IncomingPhoneNumbers/{PN}.json → 204 (a 404 with code 20404 counts as released: the
  // number is no longer on the account; a bare 404 does not). Not retried.
  release_result release_number(const credentials& creds, const std::string& pn_sid);

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
// 21614 → "that number cannot receive SMS (not a mobile number)", 21422 → "that number is no
// longer available", 21452 → "no numbers available in that area code", 20003 → "Twilio rejected
// these credentials …".
std::string describe(const twilio_error& e);

}  // namespace rm::twilio
