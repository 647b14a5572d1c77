// A call's durable record: events, projection and the inspection view, as database operations
// (no CAF, so they are tested directly against PostgreSQL and shared by the call actor, the
// booking transaction and the HTTP layer's view of calls that are no longer live).
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "actors/messages.hpp"

namespace rm::calls {

struct recorded {
  bool stored = false;  // false: duplicate delivery, nothing changed
  domain::call_projection projection;
};

// In one transaction: ensure the call row, append the event (deduplicated), store the report,
// and recompute the projection from *all* stored events (so another process's events count too).
recorded record_event(pqxx::connection& c, const actors::call_event_msg& msg);

// Recomputes `calls` state/outcome from call_events inside the caller's transaction.
domain::call_projection refresh_projection(pqxx::work& tx, const std::string& call_id);

struct loaded_call {
  bool found = false;
  persistence::call_identity identity;
  domain::call_projection projection;
  std::vector<std::pair<std::string, persistence::tool_outcome>> outcomes;  // by toolCallId
};
// Identity, projection and completed tool results of a stored call.
loaded_call load(pqxx::connection& c, const std::string& call_id);

// GET /sessions/calls/{id}:
// {"id","tenant_id","state","outcome","caller","dialled","direction","ended_reason",
//  "holds":[{"id","status","start","end","expires_at"}],
//  "events":[{"kind","status","ended_reason","occurred_at_ms","dedup_key"}],
//  "report":{…, "transcript","summary" (PII-redacted)}|null once reported, "live",
//  and the scoring fields of persistence::scoring_fields: "sentiment", "lead_score", "lead_tier",
//  "score_factors", "financial_value", "matched_service", "recording_status", "transfer",
//  "redactions", "contact_id", "scored_at"}. Times are UTC ISO 8601. "" when the call is unknown.
std::string view_json(pqxx::connection& c, const std::string& call_id, bool live);

}  // namespace rm::calls
