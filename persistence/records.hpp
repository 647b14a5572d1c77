// Plain records exchanged with the repositories (no libpqxx in this header, so actor code and
// tests can use them cheaply). Instants are UTC seconds (rm::domain::instant); ids are UUID text
// except calls, whose id is the provider's call id (Vapi `call.id`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/call_lifecycle.hpp"

namespace rm::persistence {

struct number_spec {
  std::string e164;                  // normalised E.164
  std::string label;                 // clinic name / line label
  std::string vapi_phone_number_id;  // may be empty
};

struct twilio_account {
  std::string account_sid;  // AC…
  std::string auth_token;
};

struct new_tenant {
  std::string name;
  domain::calendar_rules rules;  // time zone + booking rules
  std::vector<number_spec> numbers;
  std::string assistant_id;                // Vapi assistant, may be empty
  std::optional<twilio_account> twilio;    // the tenant's own Twilio account
};

struct tenant_record {
  std::string id;  // org_id
  std::string name;
  domain::calendar_rules rules;
  std::string assistant_id;
};

// Where a dialled number routes (active numbers only).
struct number_route {
  std::string org_id;
  std::string phone_number_id;
  std::string e164;
  std::string label;
  std::string vapi_phone_number_id;
};

struct tenant_summary {
  std::string id;
  std::string name;
  std::string time_zone;
  std::vector<std::string> numbers;  // active E.164 numbers
};

struct call_identity {
  std::string id;                 // Vapi call.id
  std::string org_id;
  std::string direction;          // "inbound" | "outbound"
  std::string caller;             // customer number (E.164 when valid, else as received)
  std::string dialled;            // the tenant's number
  std::string provider_call_sid;  // Twilio CallSid (CA…) when known
};

struct stored_event {
  domain::call_event event;
  std::string payload_json;  // the message as received (for the inspection API)
  std::int64_t received_at_ms = 0;
};

// The end-of-call report's durable part.
struct call_report {
  std::string ended_reason;
  std::string transcript;
  std::string summary;
  std::string recording_url;
  std::optional<double> duration_seconds;
  std::optional<double> cost_usd;
  std::string success_evaluation;
  std::string structured_data_json;  // "" when absent
  std::string redactions_json;       // {"ssn":1,…}: what redaction replaced ("" when unknown)
};

// Where the call was transferred (Vapi transfer-update, or status-update "forwarding" with a
// destination): only the destination and the reason are kept.
struct call_transfer {
  std::string to;      // E.164 number, or the SIP URI
  std::string reason;  // "" when the message gives none
  std::int64_t at_ms = 0;  // provider timestamp (epoch ms), 0 when unknown
};

struct call_row {
  call_identity identity;
  domain::call_projection projection;
  call_report report;
  std::int64_t created_at_ms = 0;
};

// tool_invocations: one row per (call_id, toolCallId); `result` is the exact string returned.
struct tool_outcome {
  std::string result;  // the tool's `result` or `error` string
  bool is_error = false;
};

// A finished invocation written in one go (read-only tools, stored write-behind:
// insert_completed_tool_calls).
struct completed_tool_call {
  std::string call_id;
  std::string tool_call_id;
  std::string org_id;
  std::string name;
  std::string arguments_json;  // "" → JSON null
  tool_outcome outcome;
};

struct claim {
  bool claimed = false;                 // true: this transaction owns the invocation
  std::optional<tool_outcome> stored;   // when !claimed: the first result, if already completed
};

enum class appointment_status { held, booked, cancelled, expired };
const char* to_string(appointment_status s);

struct appointment {
  std::string id;
  std::string org_id;
  std::string call_id;       // call that made it (may be empty)
  std::string tool_call_id;  // toolCallId that made it (may be empty)
  std::string contact_id;    // set when booked
  appointment_status status = appointment_status::held;
  domain::instant starts_at;
  domain::instant ends_at;        // appointment end, without buffer
  domain::instant blocked_until;  // ends_at + buffer: the exclusion range is [starts_at, blocked_until)
  std::optional<domain::instant> hold_expires_at;
};

struct message_row {
  std::string org_id;
  std::string contact_id;   // may be empty
  std::string call_id;      // may be empty
  std::string direction;    // "outbound" | "inbound"
  std::string method;       // "sms" | "voice" | "email"
  std::string recipient;    // E.164, or an e-mail address
  std::string subject;      // e-mail only ("" = NULL)
  std::string content;
  std::string status;       // "sent" | "failed" | "received" | …
  std::string service_provider = "twilio";
  std::string external_message_id;  // SM… when sent
  std::string error_code;           // Twilio code, e.g. "21211", when failed
  std::string error_message;
  std::optional<domain::instant> sent_at;
};

}  // namespace rm::persistence
