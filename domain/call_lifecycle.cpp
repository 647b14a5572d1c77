#include "domain/call_lifecycle.hpp"

#include <algorithm>
#include <tuple>

namespace rm::domain {

namespace {

int rank(call_state s) { return static_cast<int>(s); }  // declaration order is the rank

int rank(call_event_kind k) {
  switch (k) {
    case call_event_kind::status: return 0;
    case call_event_kind::booking: return 1;
    case call_event_kind::hang: return 2;
    case call_event_kind::transfer: return 3;
    case call_event_kind::report: return 4;
    case call_event_kind::score: return 5;
  }
  return 6;
}

// Keeps the earliest known timestamp, so the fold does not depend on arrival order.
void keep_earliest(std::int64_t& field, std::int64_t at) {
  if (at != 0 && (field == 0 || at < field)) field = at;
}

}  // namespace

const char* to_string(call_state s) {
  switch (s) {
    case call_state::ringing: return "ringing";
    case call_state::in_progress: return "in-progress";
    case call_state::forwarding: return "forwarding";
    case call_state::ended: return "ended";
    case call_state::reported: return "reported";
    case call_state::scored: return "scored";
  }
  return "";
}

const char* to_string(call_outcome o) {
  switch (o) {
    case call_outcome::none: return "";
    case call_outcome::booked: return "booked";
    case call_outcome::lost: return "lost";
  }
  return "";
}

std::optional<call_state> call_state_from_string(std::string_view s) {
  for (auto st : {call_state::ringing, call_state::in_progress, call_state::forwarding,
                  call_state::ended, call_state::reported, call_state::scored})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

const char* to_string(call_event_kind k) {
  switch (k) {
    case call_event_kind::status: return "status";
    case call_event_kind::report: return "report";
    case call_event_kind::booking: return "booking";
    case call_event_kind::hang: return "hang";
    case call_event_kind::score: return "score";
    case call_event_kind::transfer: return "transfer";
  }
  return "";
}

call_projection apply(call_projection p, const call_event& e) {
  switch (e.kind) {
    case call_event_kind::status:
      if (rank(e.status) > rank(p.state)) p.state = e.status;
      if (e.status == call_state::in_progress) keep_earliest(p.started_at_ms, e.occurred_at_ms);
      if (e.status == call_state::ended) {
        keep_earliest(p.ended_at_ms, e.occurred_at_ms);
        // A status reason only fills a gap: the report's reason wins whenever it arrives.
        if (p.ended_reason.empty()) p.ended_reason = e.ended_reason;
      }
      break;
    case call_event_kind::report:
      if (rank(p.state) < rank(call_state::reported)) p.state = call_state::reported;
      if (!e.ended_reason.empty()) p.ended_reason = e.ended_reason;
      break;
    case call_event_kind::booking:
      p.booked = true;
      break;
    case call_event_kind::score:
      // Scoring reads the report: a score event can only follow one.
      if (p.state == call_state::reported) p.state = call_state::scored;
      break;
    case call_event_kind::hang:
    case call_event_kind::transfer:
      break;
  }
  // Recomputed every step so a booking that arrives after the report still counts.
  if (rank(p.state) >= rank(call_state::reported))
    p.outcome = p.booked ? call_outcome::booked : call_outcome::lost;
  return p;
}

call_projection project(std::vector<call_event> events) {
  const auto key = [](const call_event& e) {
    return std::tuple<int, int, std::int64_t, const std::string&>(rank(e.kind), rank(e.status),
                                                                  e.occurred_at_ms, e.dedup_key);
  };
  std::sort(events.begin(), events.end(),
            [&](const call_event& a, const call_event& b) { return key(a) < key(b); });
  call_projection p;
  for (const auto& e : events) p = apply(std::move(p), e);
  return p;
}

std::optional<call_state> from_vapi_status(std::string_view status) {
  if (status == "scheduled" || status == "queued" || status == "ringing")
    return call_state::ringing;
  if (status == "in-progress") return call_state::in_progress;
  if (status == "forwarding") return call_state::forwarding;
  if (status == "ended") return call_state::ended;
  return std::nullopt;
}

std::optional<mapped_status> from_twilio_call_status(std::string_view s) {
  if (s == "queued" || s == "ringing") return mapped_status{call_state::ringing, ""};
  if (s == "in-progress") return mapped_status{call_state::in_progress, ""};
  if (s == "completed") return mapped_status{call_state::ended, ""};
  if (s == "busy") return mapped_status{call_state::ended, "customer-busy"};
  if (s == "no-answer") return mapped_status{call_state::ended, "customer-did-not-answer"};
  if (s == "failed") return mapped_status{call_state::ended, "twilio-failed-to-connect-call"};
  if (s == "canceled") return mapped_status{call_state::ended, "customer-canceled"};
  return std::nullopt;
}

}  // namespace rm::domain
