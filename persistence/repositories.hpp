// SQL over libpqxx 6.4, one function per question. Every function runs inside the caller's
// transaction (`pqxx::work&`), so an actor can combine several into one atomic unit (e.g. claim a
// toolCallId, insert a hold and store the tool result in one commit). Functions throw
// pqxx exceptions on database errors, except where a result type names the expected failure.
// Schema: persistence/migrations/*.sql.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/records.hpp"

namespace rm::persistence {

// ---- tenancy ------------------------------------------------------------------------------------

// Names the transaction's tenant (set_config('ringmaster.org_id', …, true): SET LOCAL semantics).
// Under the runtime role, row-level security shows and accepts only that tenant's rows; a
// transaction that names none sees nothing (persistence/migrations/002_row_level_security.sql).
void set_tenant(pqxx::work& tx, const std::string& org_id);
// The one tenant transaction of the code base (the HTTP routes' http::in_tenant and the number
// sagas both run it on a pool connection): `work` in one transaction on `c` with the tenant named
// first; it commits only when `work` returns true (a refusal rolls back whatever it touched).
// Exceptions propagate (the transaction is rolled back).
void in_tenant(pqxx::connection& c, const std::string& org_id,
               const std::function<bool(pqxx::work&)>& work);

// The cross-tenant reads below go through SECURITY DEFINER functions (rm_route_by_number,
// rm_route_by_vapi_id, rm_call_org, rm_unfinished_calls, rm_list_tenants); every other function
// needs set_tenant first.

// The tenant of a call id, if the call is stored.
std::optional<std::string> call_org(pqxx::work& tx, const std::string& call_id);

// ---- tenants and numbers ------------------------------------------------------------------------

enum class create_tenant_error { none, number_taken, vapi_id_taken };
struct create_tenant_result {
  std::string org_id;
  create_tenant_error error = create_tenant_error::none;
  std::string conflicting_number;  // E.164 already active for a tenant (which one is not revealed)
  std::string conflicting_vapi_id;  // vapi_id_taken: the Vapi phone-number id already active
};
// Inserts the organization, its numbers (none is fine: a clinic may buy, import or map them
// later through the tenant API) and (if given) its Twilio account; names the new tenant on `tx`
// (set_tenant) first.
// A number active for any tenant → number_taken; a Vapi phone-number id active on any number
// (another tenant's, or an earlier number of the same request) → vapi_id_taken (migration 009).
// Nothing written then: uses a subtransaction.
create_tenant_result create_tenant(pqxx::work& tx, const new_tenant& t);

std::optional<tenant_record> load_tenant(pqxx::work& tx, const std::string& org_id);
std::optional<number_route> find_route_by_number(pqxx::work& tx, const std::string& e164);
std::optional<number_route> find_route_by_vapi_id(pqxx::work& tx, const std::string& vapi_id);
std::vector<tenant_summary> list_tenants(pqxx::work& tx);
// The tenant's Twilio account with its auth token decrypted (org_credentials, provider 'twilio',
// under the installed master key: persistence/credentials.hpp). Throws credential_error when the
// stored token cannot be opened; nullopt when the tenant has none. Never log the token.
std::optional<twilio_account> load_twilio_account(pqxx::work& tx, const std::string& org_id);

// ---- calls and their events -----------------------------------------------------------------------

// Inserts the call if unknown (first writer wins; later calls change nothing).
void ensure_call(pqxx::work& tx, const call_identity& c);
// Appends an event; false when its dedup_key was already stored for this call (a duplicate).
bool append_call_event(pqxx::work& tx, const std::string& call_id, const std::string& org_id,
                       const domain::call_event& e, const std::string& payload_json);
// All events of a call, in insertion order.
std::vector<stored_event> load_call_events(pqxx::work& tx, const std::string& call_id);
// Writes the projection (state, outcome, ended_reason, started/ended times) to `calls`.
void save_projection(pqxx::work& tx, const std::string& call_id, const domain::call_projection& p);
void save_report(pqxx::work& tx, const std::string& call_id, const call_report& r);
// calls.transfer_to / transfer_reason / transfer_time (at_ms, now() when 0); the latest wins.
void save_transfer(pqxx::work& tx, const std::string& call_id, const call_transfer& t);
std::optional<call_row> load_call(pqxx::work& tx, const std::string& call_id);
// Calls not yet finished: before `ended`, or reported but not yet scored (rebuilt at start-up).
std::vector<std::string> unfinished_call_ids(pqxx::work& tx);

// ---- calls in bulk, of the tenant set on the transaction (a few queries, not one per call; across
// tenants for recovery and the operator's listing: persistence/bulk_queries.hpp) ---------------

// text[] literal of `xs` for `$1::text[]` (every element quoted and escaped: any content).
std::string text_array(const std::vector<std::string>& xs);
// The tenants of stored calls: (call id, org_id) for each id of `call_ids` that is stored
// (rm_call_org; needs no tenant).
std::vector<std::pair<std::string, std::string>> call_orgs(pqxx::work& tx,
                                                           const std::vector<std::string>& call_ids);
// The calls of `call_ids` of the tenant set on `tx` (others are not visible).
std::vector<call_row> load_calls(pqxx::work& tx, const std::vector<std::string>& call_ids);
// Their events, (call id, event) in insertion order per call.
std::vector<std::pair<std::string, stored_event>> load_events_of_calls(
    pqxx::work& tx, const std::vector<std::string>& call_ids);
// Their appointments (holds and bookings), oldest first per call.
std::vector<appointment> appointments_for_calls(pqxx::work& tx,
                                                const std::vector<std::string>& call_ids);

// ---- tool invocations (exactly once per call and toolCallId) ----------------------------------------

// INSERT … ON CONFLICT DO NOTHING. Blocks while another transaction holds the same key, so two
// concurrent deliveries of one toolCallId serialise here; the loser sees the winner's result.
claim claim_tool_call(pqxx::work& tx, const std::string& call_id, const std::string& tool_call_id,
                      const std::string& org_id, const std::string& name,
                      const std::string& arguments_json);
void complete_tool_call(pqxx::work& tx, const std::string& call_id,
                        const std::string& tool_call_id, const tool_outcome& outcome);

// Inserts them all in one statement, rows of any number of tenants (no set_tenant needed:
// rm_log_tool_calls, migration 020), together with the rows of `calls` not stored yet (a call
// whose first webhooks are reads gets its row with its first records; an existing call, of
// whichever org, is left as it is). An already stored (call, toolCallId) keeps its first result.
// Returns the 0-based positions in `rows` of the rows refused because their call is stored under
// another org than the one they name (nothing of them is written). Throws pqxx::sql_error when
// the statement fails: a row whose call does not exist (foreign key), a value PostgreSQL cannot
// store (a NUL escape in jsonb) …; then nothing of the batch is written.
std::vector<std::size_t> insert_completed_tool_calls(pqxx::work& tx,
                                                     const std::vector<completed_tool_call>& rows,
                                                     const std::vector<call_identity>& calls = {});
// The completed invocations of a call, for a call actor rebuilding its replay cache.
std::vector<std::pair<std::string, tool_outcome>> completed_tool_calls_of(
    pqxx::work& tx, const std::string& call_id);
// A completed invocation with its call (start-up recovery, persistence/bulk_queries.hpp).
struct call_tool_outcome {
  std::string call_id, tool_call_id;
  tool_outcome outcome;
};

// ---- appointments ---------------------------------------------------------------------------------

// Busy intervals (booked, and held with hold_expires_at > now) overlapping [from, to), each as
// [starts_at, blocked_until).
std::vector<domain::busy_interval> busy_between(pqxx::work& tx, const std::string& org_id,
                                                domain::instant from, domain::instant to,
                                                domain::instant now);

// The rows that can block time (held — expired or not, the reader compares hold_expires_at with
// its clock — and booked) overlapping [from, to), ordered by starts_at: the tenant actor's
// in-memory calendar is loaded from this.
std::vector<appointment> blocking_between(pqxx::work& tx, const std::string& org_id,
                                          domain::instant from, domain::instant to);

// Marks held rows whose hold_expires_at <= now as expired; returns their ids. With `start`/`end`
// given, only holds overlapping [start, end) are touched (used right before inserting a hold).
std::vector<std::string> expire_holds(pqxx::work& tx, const std::string& org_id,
                                      domain::instant now,
                                      std::optional<domain::busy_interval> only_overlapping = {});

enum class insert_error { none, overlaps };
struct insert_result {
  std::optional<appointment> row;
  insert_error error = insert_error::none;
};
// Inserts a held (or directly booked) appointment inside a subtransaction; the exclusion
// constraint (SQLSTATE 23P01) → overlaps, and the outer transaction stays usable.
// insert_appointment and expire_holds first take the tenant's calendar lock (an advisory lock
// held until the caller's transaction ends), so racing writers queue instead of deadlocking in
// the exclusion check.
insert_result insert_appointment(pqxx::work& tx, const appointment& a);

std::optional<appointment> find_appointment(pqxx::work& tx, const std::string& org_id,
                                            const std::string& id);
// held → booked for the contact; clears hold_expires_at. False when the row is not `held`.
bool book_held(pqxx::work& tx, const std::string& appointment_id, const std::string& contact_id);
std::vector<appointment> appointments_for_call(pqxx::work& tx, const std::string& call_id);
// The earliest live hold expiry of a tenant (for its timer), if any.
std::optional<domain::instant> next_hold_expiry(pqxx::work& tx, const std::string& org_id);

// ---- contacts and messages ------------------------------------------------------------------------

// Upserts by (org_id, phone); a non-empty name replaces the stored one. Returns the contact id.
std::string upsert_contact(pqxx::work& tx, const std::string& org_id, const std::string& e164,
                           const std::string& name);
std::optional<std::string> contact_by_phone(pqxx::work& tx, const std::string& org_id,
                                            const std::string& e164);
// Audit trail of every outbound (and inbound) message. Returns the message id.
std::string insert_message(pqxx::work& tx, const message_row& m);
std::vector<message_row> messages_for_call(pqxx::work& tx, const std::string& call_id);
// The send_sms attempts of a call so far: its outbound SMS rows that were not refused (sent,
// failed, or still 'sending'). First takes the call's SMS lock (a transaction-scoped advisory
// lock), so that two senders of one call count and reserve one after the other.
int sms_attempts_of_call(pqxx::work& tx, const std::string& call_id);
// Rewrites a message row's outcome (status, external id, error, sent_at) after the provider
// answered; the row was inserted before (status 'sending').
void update_message_outcome(pqxx::work& tx, const std::string& message_id, const message_row& m);

// ---- time conversion helpers used by the SQL above ------------------------------------------------
std::int64_t to_epoch(domain::instant t);
domain::instant from_epoch(std::int64_t seconds);

}  // namespace rm::persistence
