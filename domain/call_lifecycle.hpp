// The call's lifecycle as a pure state machine.
//
//   ringing → in-progress → (forwarding) → ended → reported → scored
//                                                     outcome at the report: booked | lost
//
// `scored` is reached only through a `score` event, which the call actor appends once, after the
// report, in its scoring transaction (actors/call_scoring.hpp); a `score` before any report
// changes nothing. `transfer` (Vapi transfer-update, forwarding) is recorded without a state change.
//
// Webhooks (Vapi status-update / end-of-call-report, Twilio CallStatus callbacks) can be duplicated
// and arrive in any order. A call's state is therefore a function of the *set* of its events:
// `project()` sorts them canonically and folds `apply()` over them, and `apply()` never moves the
// state backwards. The same set in any arrival order gives the same projection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rm::domain {

enum class call_state { ringing, in_progress, forwarding, ended, reported, scored };
enum class call_outcome { none, booked, lost };

// "ringing" "in-progress" "forwarding" "ended" "reported" "scored"
const char* to_string(call_state s);
const char* to_string(call_outcome o);  // "" for none, "booked", "lost"
std::optional<call_state> call_state_from_string(std::string_view s);

enum class call_event_kind {
  status,    // a lifecycle status (Vapi status-update or Twilio CallStatus), mapped to call_state
  report,    // Vapi end-of-call-report
  booking,   // a booking was made during the call (book_appointment succeeded)
  hang,      // Vapi "hang" (assistant delayed): recorded, no state change
  score,     // the scoring step ran: reported → scored (ignored before the report)
  transfer,  // Vapi transfer-update / forwarding destination: recorded, no state change
};
const char* to_string(call_event_kind k);

// One stored event, as it is kept in call_events (payload details live in the DB as JSON).
struct call_event {
  call_event_kind kind = call_event_kind::status;
  call_state status = call_state::ringing;  // for kind == status
  std::string ended_reason;                 // open string (Vapi has 600+ values); may be empty
  std::int64_t occurred_at_ms = 0;          // provider timestamp (epoch ms), 0 when unknown
  std::string dedup_key;                    // unique per call; ties in the canonical order
};

struct call_projection {
  call_state state = call_state::ringing;
  call_outcome outcome = call_outcome::none;  // set only once reported
  std::string ended_reason;                   // report's reason wins over a status's reason
  bool booked = false;                        // any booking event seen
  std::int64_t started_at_ms = 0;             // first in-progress (0 when none)
  std::int64_t ended_at_ms = 0;               // first ended (0 when none)
};

// One step. Rules: state rank only grows (ringing < in-progress < forwarding < ended < reported <
// scored); a report implies ended; a score moves reported → scored and is ignored earlier;
// outcome = booked|lost once reported; hang and transfer change nothing.
call_projection apply(call_projection p, const call_event& e);

// Canonical fold: sort by (kind rank: status, booking, hang, transfer, report, score), then state
// rank, then
// occurred_at_ms, then dedup_key; fold apply() from the initial projection.
call_projection project(std::vector<call_event> events);

// Vapi `message.status` of a status-update → state. "scheduled"/"queued"/"ringing" → ringing,
// "in-progress", "forwarding", "ended"; "not-found"/"deletion-failed"/unknown → nullopt (ignored).
std::optional<call_state> from_vapi_status(std::string_view status);

// Twilio CallStatus → state plus the ended reason it implies: queued/ringing → ringing,
// in-progress → in-progress, completed → ended (""), busy → ended ("customer-busy"),
// no-answer → ended ("customer-did-not-answer"), failed → ended ("twilio-failed-to-connect-call"),
// canceled → ended ("customer-canceled"). Unknown → nullopt.
struct mapped_status {
  call_state state;
  std::string ended_reason;
};
std::optional<mapped_status> from_twilio_call_status(std::string_view call_status);

}  // namespace rm::domain
