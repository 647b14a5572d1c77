// Plain message payloads exchanged between actors and with the HTTP layer. No CAF here, so
// code that only builds or reads messages (the HTTP adapter, tests) stays cheap to compile.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "domain/call_lifecycle.hpp"
#include "domain/errors.hpp"
#include "persistence/records.hpp"

namespace rm::actors {

// What the tenant directory knows of a dialled number.
struct tenant_ref {
  bool found = false;
  std::string org_id;
  std::string org_name;
  std::string assistant_id;    // Vapi assistant for assistant-request ("" when none)
  std::string dialled_e164;    // the tenant's number that was dialled
  std::string number_label;    // clinic name / line label
};

// One lifecycle event as delivered by a webhook, ready to be stored.
struct call_event_msg {
  persistence::call_identity identity;  // org_id already resolved
  domain::call_event event;
  std::string payload_json;  // the message, PII-redacted (stored in call_events)
  std::optional<persistence::call_report> report;  // for end-of-call-report
  // transfer-update, or a forwarding status-update with a destination: where the call went.
  std::optional<persistence::call_transfer> transfer;
};

struct event_ack {
  bool stored = false;     // false: a duplicate (already stored earlier; nothing changed)
  std::string state;       // the call's state after the event ("ringing" …)
  std::string outcome;     // "" | "booked" | "lost"
  bool foreign = false;    // refused: the call id belongs to another tenant (nothing stored)
};

// One tool call of a tool-calls message.
struct tool_request {
  std::string tool_call_id;
  std::string name;
  std::string arguments_json;   // a JSON object, as text (stored in tool_invocations.arguments)
  std::string arguments_error;  // non-empty when the arguments could not be parsed
  // The same object as already parsed by the webhook, when it has it (nullptr: parse
  // arguments_json), so a read answered on the HTTP worker parses its body once (issue 13 §4).
  // Local messages only: not serialised, and shared read-only between the copies of a request.
  std::shared_ptr<const nlohmann::json> arguments;
};

struct tool_reply {
  std::string name;
  std::string tool_call_id;
  std::string text;  // result or error string (single line)
  bool is_error = false;
};

// A tool call handed by the call actor to its tenant actor (which owns booking decisions).
struct tenant_tool_call {
  std::string call_id;
  std::string caller;  // E.164 of the caller (contact), "" when unknown
  tool_request request;
};

struct tenant_tool_reply {
  persistence::tool_outcome outcome;
  std::string booked_appointment_id;  // set when book_appointment booked something now
  std::string hold_id;                // set when reserve_slot placed a hold now
  // Set when the tool could not run (outcome holds the sentence for the assistant): nothing was
  // stored, so a retry may act. ec::database_unavailable / timeout / unavailable (calendar or
  // database did not answer). A refusal by the rules (slot taken …) is not a failure.
  std::optional<rm::ec> failure = std::nullopt;
  bool store_behind = false;  // a read answered from memory: the caller stores it write-behind
};

// Read-only tool calls an HTTP worker has already answered from the tenant's calendar snapshot
// (service::run_tools), sent on to the call actor, which remembers them for retries and stores
// them write-behind. `pending` is released when the call actor has handled the message or the
// message is dropped: it holds the record's place in wiring::reads_behind (read_backlog), so
// the workers wait for their records when those fall behind (backpressure).
struct answered_reads {
  persistence::call_identity identity;
  std::vector<tool_request> requests;
  std::vector<tenant_tool_reply> replies;  // one per request, in order
  std::shared_ptr<void> pending;
};

// The records of reads a call actor hands to the tool log (answered_reads, stored write-behind).
// `call` is set while the actor does not know its call's row to exist (a call whose first
// webhooks are reads, not loaded): the tool log then inserts that row with the records, in the
// same statement, unless a call of that id is stored already. `pending` (answered_reads::pending)
// is released once the records are stored, or dropped: the workers' backlog counts them until
// then.
struct read_records {
  std::optional<persistence::call_identity> call;
  std::vector<persistence::completed_tool_call> rows;
  std::shared_ptr<void> pending;
};

// A send_sms request from a call.
struct sms_job {
  std::string org_id;
  std::string call_id;
  std::string from;  // the tenant's number (E.164)
  std::string to;    // E.164
  std::string body;
};

}  // namespace rm::actors
