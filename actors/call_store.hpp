// A call's durable record: events, projection and the inspection view, as database operations
// (no CAF, so they are tested directly against PostgreSQL and shared by the call actor, the
// booking transaction and the HTTP layer's view of calls that are no longer live).
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "actors/messages.hpp"
#include "persistence/journal_queries.hpp"

namespace rm::calls {

struct recorded {
  bool stored = false;  // false: duplicate delivery, nothing changed
  domain::call_projection projection;
  // Every stored event of the call after the record (the projection's input), so the call actor
  // knows its history again (actors/call.cpp keeps it to compute its projection itself).
  std::vector<domain::call_event> events;
};

// In one transaction: ensure the call row, append the event (deduplicated), store the report,
// and recompute the projection from *all* stored events (so another process's events count too).
// `events` holds them.
recorded record_event(pqxx::connection& c, const actors::call_event_msg& msg);
// The same inside the caller's transaction (a journal entry), with the tenant already set.
recorded record_event_in(pqxx::work& tx, const actors::call_event_msg& msg);

// The event of `msg` as a data row for the journal's set-based write (persistence::
// journal_events), computed from what the call actor knows: `known` = every stored event of the
// call (empty when `fresh`: the call is not stored yet as far as the actor knows). The row's
// projection is domain::project(known + the event). nullopt when the event takes the general way
// (record_event_in): an end-of-call report or a transfer (their extra columns and rows).
std::optional<persistence::journal_event_row> event_row(
    const actors::call_event_msg& msg, bool fresh,
    const std::vector<domain::call_event>& known);

// Recomputes `calls` state/outcome from call_events inside the caller's transaction.
domain::call_projection refresh_projection(pqxx::work& tx, const std::string& call_id);

struct loaded_call {
  bool found = false;
  persistence::call_identity identity;
  domain::call_projection projection;
  std::vector<std::pair<std::string, persistence::tool_outcome>> outcomes;  // by toolCallId
  // Every stored event of the call (kind, status, reasons, times, dedup keys; no payloads) when
  // `events_loaded`: load and load_in read them, load_unfinished does not (recovery stays a few
  // queries per tenant; such a call actor records its next event the general way, which reads
  // them).
  bool events_loaded = false;
  std::vector<domain::call_event> events;
};
// Identity, projection, completed tool results and events of a stored call.
loaded_call load(pqxx::connection& c, const std::string& call_id);
// The same inside the caller's transaction (sets the tenant to the stored call's org).
loaded_call load_in(pqxx::work& tx, const std::string& call_id);

// The first event of a call actor that has not loaded yet, in ONE journal entry (issue 13 §3:
// no extra round trip): the stored call (if any) is loaded, then the event recorded under the
// stored identity. `refused`: the call id is stored for another tenant than msg's; nothing was
// written. Leaves the tenant set to msg's org.
struct first_recorded {
  loaded_call loaded;
  bool refused = false;
  recorded record;
};
first_recorded load_and_record_in(pqxx::work& tx, actors::call_event_msg msg);

// Every unfinished call of every tenant (not ended, or reported but not scored) with its
// identity, projection and completed tool results, for the call registry's start-up: two
// statements in all (persistence::any_tenant, migration 019), however many calls and tenants.
std::vector<loaded_call> load_unfinished(pqxx::connection& c);

// GET /sessions/calls/{id}:
// {"id","tenant_id","state","outcome","caller","dialled","direction","ended_reason",
//  "holds":[{"id","status","start","end","expires_at"}],
//  "events":[{"kind","status","ended_reason","occurred_at_ms","dedup_key"}],
//  "report":{…, "transcript","summary" (PII-redacted)}|null once reported, "live",
//  and the scoring fields of persistence::scoring_fields: "sentiment", "lead_score", "lead_tier",
//  "score_factors", "financial_value", "matched_service", "recording_status", "transfer",
//  "redactions", "contact_id", "scored_at"}. Times are UTC ISO 8601. "" when the call is unknown.
std::string view_json(pqxx::connection& c, const std::string& call_id, bool live);

// The views of view_json (same shape, each "live": `live`) of many calls of any tenants at once,
// for the operator's GET /sessions/calls: three statements in all (persistence::any_tenant,
// migration 019), not a few per tenant or call. Reads every tenant's rows: operator paths only.
// Unknown ids are left out; the order follows `call_ids`.
std::vector<std::string> views_json(pqxx::connection& c, const std::vector<std::string>& call_ids,
                                    bool live);

}  // namespace rm::calls
