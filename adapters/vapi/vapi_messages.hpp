// Vapi "server URL" messages: parsing the webhook envelope and tool calls, building the replies.
// Source: ../shared/contracts/vapi.md §1–§2 (Vapi OpenAPI `ServerMessage*`, custom-tools docs)
// and the captured quirks in vapi-samples/README.md. Pure functions over nlohmann::json; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/call_lifecycle.hpp"

namespace rm::vapi {

// The fields of `message` every handler needs. Lifecycle comes from `message.status` /
// `message.endedReason`, never from the stale `message.call.status` snapshot.
struct envelope {
  std::string type;             // message.type ("status-update", "tool-calls", …)
  std::string call_id;          // message.call.id ("" when absent)
  std::string call_type;        // message.call.type ("inboundPhoneCall", "outboundPhoneCall", …)
  std::string dialled;          // message.phoneNumber.number (the tenant's number), as received
  std::string phone_number_id;  // message.phoneNumber.id, else message.call.phoneNumberId
  std::string caller;           // message.customer.number, else message.call.customer.number
  std::string provider_call_sid;  // message.call.phoneCallProviderId / transport.callSid
  std::int64_t timestamp_ms = 0;  // message.timestamp (epoch ms), 0 when absent or no int64
  std::string status;             // message.status (status-update)
  std::string ended_reason;       // message.endedReason
};

struct parse_error {
  std::string code;     // "invalid_json" | "missing_message" | "missing_type"
  std::string message;  // human sentence
};

// Parses a webhook body ({"message":{…}}). Errors: body not JSON, no object `message`,
// no string `message.type`. Bodies must have been parsed with rm::json_guard::parse (depth ≤ 64):
// the functions below copy parts of them, and nlohmann::json copies recurse.
std::optional<envelope> parse_envelope(const nlohmann::json& body, parse_error* error);

// One tool call. Arguments may arrive as an object or a JSON string, in toolCallList,
// toolCalls or toolWithToolCallList[].toolCall, with `function.name` or flat `name`/`parameters`.
struct tool_call {
  std::string id;    // toolCallId
  std::string name;  // function name
  nlohmann::json arguments = nlohmann::json::object();
  // Non-empty when `arguments` was a string that is not a JSON object. Such a string is parsed
  // with rm::json_guard::parse: deeper than 64, not UTF-8 or not JSON → an error; U+0000 removed.
  std::string arguments_error;
};

// At most this many tool calls in one tool-calls message (after de-duplication): an assistant
// turn asks for a few (parallel tool calls), so a longer list is refused whole with 400
// too_many_tool_calls instead of running any of it.
inline constexpr std::size_t max_tool_calls_per_message = 64;

// The tool calls of a tool-calls message, in order, de-duplicated by id (toolCallList first,
// then toolCalls, then toolWithToolCallList; the first list that has an id wins for that id).
// An entry without an id is skipped: no result could name it.
std::vector<tool_call> extract_tool_calls(const nlohmann::json& message);

struct tool_result {
  std::string name;
  std::string tool_call_id;
  std::string text;  // tool_results_body makes it one line (newlines and tabs become spaces)
  bool is_error = false;
};

// {"results":[{"name","toolCallId","result"|"error"}, …]} in the given order.
nlohmann::json tool_results_body(const std::vector<tool_result>& results);

// Lifecycle event derived from a status-update, end-of-call-report or transfer-update (nullopt for
// other types or an unmapped status). dedup_key: "status:<status>", "report" or
// "transfer:<timestamp>"; occurred_at_ms = timestamp.
std::optional<domain::call_event> lifecycle_event(const envelope& e);

// The durable part of an end-of-call report: endedReason, artifact.transcript (fallback top-level
// transcript), analysis.summary (fallback summary), artifact.recordingUrl (fallback recordingUrl,
// artifact.recording.mono.combinedUrl), durationSeconds (fallback endedAt − startedAt), cost,
// analysis.successEvaluation (string or bool), analysis.structuredData (compact JSON).
struct report_fields {
  std::string ended_reason;
  std::string transcript;
  std::string summary;
  std::string recording_url;
  std::optional<double> duration_seconds;
  std::optional<double> cost_usd;
  std::string success_evaluation;
  std::string structured_data_json;
};
report_fields extract_report(const nlohmann::json& message);

// Where the call is being transferred: `message.destination` of a transfer-update, or of a
// status-update "forwarding" (vapi.md §1). `to` is destination.number (type "number") or
// destination.sipUri (type "sip"); `reason` is message.reason, else destination.description
// ("" when neither). nullopt when there is no such destination (e.g. a transfer to an assistant).
struct transfer_fields {
  std::string to;
  std::string reason;
};
std::optional<transfer_fields> extract_transfer(const nlohmann::json& message);

// A copy of `message` fit for storage: every string value goes through domain::redact_pii
// (keeping `keep_numbers`, the call's caller and dialled numbers), except the values of keys that
// only ever hold identifiers, timestamps, URLs or enumerations ("id", "*Id", "*At", "*Url",
// "*URL", "type", "status", "endedReason", "role", "provider", "timestamp"), so that the stored
// payload keeps its shape. Transcripts, summaries, messages[], tool arguments and results,
// structuredData: all redacted. Object keys are left as they are.
nlohmann::json redacted_payload(const nlohmann::json& message,
                                const std::vector<std::string>& keep_numbers);

// Makes any string safe as a tool result: newlines and tabs → spaces.
std::string single_line(std::string text);

}  // namespace rm::vapi
