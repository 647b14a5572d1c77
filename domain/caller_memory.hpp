// Caller memory (issue 12 §3): what the assistant is told about a caller the clinic already knows,
// sent in the assistant-request reply as assistantOverrides.variableValues
// (../shared/contracts/vapi.md §2). Pure: the facts come from persistence (load_caller_memory),
// the choice of what to say and its wording are here.
//
// Vapi fills {{name}} placeholders of the assistant's prompt from variableValues (LiquidJS
// templates, docs.vapi.ai/assistants/dynamic-variables); a placeholder with no value renders
// empty. The prompt (adapters/vapi/assistant_spec.cpp) uses only {{callerContext}}, one block of
// sentences, so a first-time caller's prompt simply has nothing there; the single values are
// sent too, for clinics that edit the prompt themselves.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/calendar.hpp"

namespace rm::domain {

// What the clinic knows about one caller (one contacts row of the dialled number's tenant).
struct caller_history {
  std::string name;          // contacts.name ("" when the clinic never learnt it)
  std::string last_summary;  // calls.summary of the caller's latest reported/scored call with a
                             // summary (stored redacted since issue 11); "" when none
  std::optional<instant> next_appointment;  // earliest booked appointment starting after now
  std::string time_zone;     // the clinic's IANA zone (an unknown zone speaks UTC)
};

// Longest values sent, in bytes (cut on a UTF-8 boundary): a summary is context, not a transcript,
// and every byte is prompt the model reads on every turn.
inline constexpr std::size_t caller_name_max_bytes = 80;
inline constexpr std::size_t caller_summary_max_bytes = 600;

// The variableValues object, keys present only when known:
//   customerName       the trimmed name, e.g. "Ada Lovelace"
//   lastCallSummary    the last call's summary on one line, e.g. "Asked about a cleaning."
//   nextAppointment    spoken in the clinic's zone: "Wednesday, January 14 at 9:30 AM EST"
//   nextAppointmentAt  the same instant as ISO 8601 with the zone's offset
//   callerContext      the sentences the prompt shows, e.g. "This is a returning caller, Ada
//                      Lovelace: greet them by name (\"Welcome back, Ada Lovelace\"). Their last
//                      call, in short: Asked about a cleaning. Their next appointment: …"
// Text values are made single-line (control characters and runs of spaces become one space) and
// lose template delimiters ("{{", "}}", "{%", "%}"), so stored text can never become template.
// An empty object when nothing is known (no name, no summary, no appointment): the caller is then
// treated like an unknown one and the reply carries no assistantOverrides.
nlohmann::json caller_memory_variables(const caller_history& h);

// The text rules above, exposed for tests: one line, no template delimiters, trimmed, cut to
// `max_bytes` on a UTF-8 boundary.
std::string memory_text(const std::string& text, std::size_t max_bytes);

}  // namespace rm::domain
