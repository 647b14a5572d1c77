// The booking tools: reserve_slot and book_appointment as database transactions, and
// check_availability as a pure computation over busy intervals.
// Run by the tenant actor on a pool worker's connection (no CAF here, so they are tested directly
// against PostgreSQL). Each tool claims its (call id, toolCallId) and stores its result in the
// same transaction as its action, so a retried tool call returns the first result and never acts
// twice — even after a crash between the action and the reply.
//
// Tool arguments (Vapi tool-calls, ../shared/contracts/vapi.md §1):
//   check_availability {date: "YYYY-MM-DD"}         tenant-local date
//   reserve_slot       {start: ISO 8601}             with offset, or tenant-local wall time
//   book_appointment   {hold_id?: uuid, start?: ISO 8601, name: string}   hold_id or start required
// Results are single-line JSON strings; errors are single-line sentences naming the argument or
// the reason and, for a refused slot, the nearest free alternatives.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pqxx/connection>

#include "actors/messages.hpp"
#include "persistence/records.hpp"


namespace rm::booking {

struct context {
  persistence::tenant_record tenant;
  std::string call_id;
  std::string caller;  // E.164, "" when unknown
  actors::tool_request request;
  domain::instant now;
  // Busy intervals of external calendars (the clinic's Google busy time); PostgreSQL's own holds
  // and bookings are always read inside the transaction.
  std::vector<domain::busy_interval> calendar_busy;
};

// reserve_slot | book_appointment, dispatched on request.name; any other name → error outcome
// "unknown tool 'x'". When `touched` is given, the appointment rows the transaction inserted or
// booked are appended to it as committed (the tenant actor applies them to its in-memory
// calendar without reading it back); holds it expired are not listed (their hold_expires_at
// already says so).
actors::tenant_tool_reply run_tool(pqxx::connection& c, const context& ctx,
                                   std::vector<persistence::appointment>* touched = nullptr);

// reserve_slot decided from the tenant actor's calendar alone, when it cannot succeed: the start
// breaks a rule or `busy` (every live hold and booking within start ± 8 days, external calendars
// joined) already covers it. Returns the same refusal the transaction would store (verdict
// sentence and nearest free alternatives) with store_behind = true: a refusal acts on nothing, so
// it is recorded write-behind. nullopt when the slot looks free (or the start does not parse):
// then only the transaction decides, and PostgreSQL's exclusion constraint stays the arbiter.
std::optional<actors::tenant_tool_reply> refuse_reserve(const context& ctx,
                                                        const std::vector<domain::busy_interval>& busy);

// check_availability is a read: the tenant actor answers it from its in-memory calendar with
// these two functions, and the call actor stores the result write-behind (tool_log_actor).
// The `date` argument of `request` (an error reply naming it when missing or malformed), and the
// reply for that date given the busy intervals.
std::optional<domain::local_date> availability_date(const actors::tool_request& request,
                                                    actors::tenant_tool_reply* error);
actors::tenant_tool_reply availability(const persistence::tenant_record& tenant,
                                       domain::local_date date,
                                       const std::vector<domain::busy_interval>& busy,
                                       domain::instant now);

// Marks the tenant's due holds expired; returns the next live expiry (epoch s, 0 = none).
std::int64_t expire_due_holds(pqxx::connection& c, const std::string& org_id, domain::instant now);

// The window [from, to) of busy data a tool needs (the named date, or the start's neighbourhood
// for alternatives), so the tenant actor can ask the calendar adapter for exactly that.
domain::busy_interval busy_window(const persistence::tenant_record& tenant,
                                  const actors::tool_request& request, domain::instant now);
// busy_window of a check_availability for `date` (from availability_date): the tenant's local
// noon of that date ± 36 h, enough for any slot grid of the day.
domain::busy_interval date_window(const persistence::tenant_record& tenant,
                                  domain::local_date date, domain::instant now);

}  // namespace rm::booking
