// SQL behind the number lifecycle (actors/number_service.hpp, /api/phone-numbers): a tenant's
// numbers with their lifecycle, the quarantine, and the provisioning saga's orders.
// Schema: persistence/migrations/007_number_lifecycle.sql (on 001's phone_numbers).
//
// Same conventions as tenant_queries.hpp: each function runs in the caller's transaction, which
// must have named its tenant with set_tenant() first (row-level security), and also filters on
// rm_current_org() explicitly. The cross-tenant questions (is the number active or in quarantine
// for another tenant? which orders are due, of any tenant?) go through 007's and 002's
// SECURITY DEFINER functions and answer no more than needed. Malformed UUIDs are unknown ids.
// Instants are UTC (domain::instant). Database errors throw pqxx exceptions; expected refusals are
// values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "domain/calendar.hpp"
#include "domain/number_lifecycle.hpp"

namespace rm::persistence {

struct number_row {
  std::string id;
  std::string org_id;
  std::string e164;
  std::string label;
  domain::numbers::number_status status = domain::numbers::number_status::owned;
  std::string source;                // purchased | imported | mapped
  std::string provider_sid;          // PN…, "" when unknown (hand-made mappings)
  std::string vapi_phone_number_id;  // "" when not imported into Vapi
  std::string agent_id;              // "" when none
  bool active = true;
  bool vapi_cleanup_pending = false;  // released, but its Vapi copy still to delete
  domain::instant created_at;
  std::optional<domain::instant> released_at;
  std::optional<domain::instant> quarantine_until;
};

// The tenant's numbers, oldest first; released ones too when `include_released`.
std::vector<number_row> list_numbers(pqxx::work& tx, bool include_released);
std::optional<number_row> find_number(pqxx::work& tx, const std::string& id);
// The tenant's active row for a number, if any.
std::optional<number_row> find_active_number(pqxx::work& tx, const std::string& e164);

// Whose is `e164` from `org_id`'s point of view, before anything is bought or written.
enum class number_availability {
  free,         // nobody else holds it (the tenant itself may)
  taken,        // active for another tenant
  quarantined,  // released by another tenant, still aging
};
struct availability {
  number_availability state = number_availability::free;
  std::optional<domain::instant> quarantine_until;  // when quarantined
};
availability number_availability_for(pqxx::work& tx, const std::string& e164,
                                     const std::string& org_id);

// Records a number the tenant now holds at Twilio (bought or imported): status owned, active.
// Takes the per-number advisory lock (the key save_phone_mapping uses), so concurrent writers of
// the same number queue. A tenant's own active row for the number (e.g. mapped by hand before) is
// adopted: it gets the PN SID (and the source when it was a hand-made mapping).
enum class record_outcome { created, adopted, taken, quarantined };
struct record_result {
  record_outcome outcome = record_outcome::created;
  std::optional<number_row> row;  // unless taken / quarantined
};
struct new_number {
  std::string e164;
  std::string label;
  std::string provider_sid;  // PN…
  std::string source;        // purchased | imported
  std::string agent_id;      // "" when none
  std::string created_by;    // the JWT's sub, "" for the sweep
};
// Uses a subtransaction, so a refusal leaves the caller's transaction usable.
record_result record_number(pqxx::work& tx, const std::string& org_id, const new_number& n);

// owned → linked: imported into Vapi with this id (and the agent, when given). false (nothing
// changed; the caller's transaction stays usable: subtransaction) when the id is already active
// on another number (migration 009's unique index).
bool mark_linked(pqxx::work& tx, const std::string& id, const std::string& vapi_phone_number_id,
                 const std::string& agent_id);
// → released: inactive at once (routing stops with the transaction's commit), released_at now,
// quarantine until `quarantine_until` (nullopt: none). `vapi_cleanup_pending`: the Vapi copy
// could not be deleted yet (the sweep retries, see vapi_cleanups_due).
void mark_released(pqxx::work& tx, const std::string& id, const std::string& user_id,
                   std::optional<domain::instant> quarantine_until, bool vapi_cleanup_pending);
// The Vapi copy of a released number is gone.
void clear_vapi_cleanup(pqxx::work& tx, const std::string& id);

// True while a live forwarding configuration (005's hybrid_forwarding_configs, not disabled)
// forwards the tenant's mobile to `e164`: releasing it would silently break the clinic's calls.
bool forwarding_points_at(pqxx::work& tx, const std::string& e164);

// ---- provisioning orders (the saga) --------------------------------------------------------------

struct provisioning_order {
  std::string id;
  std::string org_id;
  std::string requested_by;
  std::string requested_number;  // E.164, or
  std::string area_code;         // digits
  std::string country = "US";
  std::string agent_id;
  domain::numbers::order_state state = domain::numbers::order_state::pending;
  std::string e164;    // once bought
  std::string pn_sid;  // once bought
  std::string phone_number_id;
  std::string vapi_phone_number_id;
  int attempts = 0;
  std::string error_code;
  std::string error_message;
  domain::instant created_at;
};

// Inserts a pending order whose lease (the time the requesting thread owns it; the sweep leaves
// it alone meanwhile) runs `lease` from now. Returns it with its id.
provisioning_order create_order(pqxx::work& tx, const provisioning_order& o,
                                std::chrono::seconds lease);
// The tenant's order; `for_update` locks it (the sweep and a request never work on one together).
std::optional<provisioning_order> load_order(pqxx::work& tx, const std::string& id,
                                             bool for_update = false);
// Writes state, e164, pn_sid, phone_number_id, vapi id, attempts and error; the next attempt is
// due `retry_in` from now and the lease ends now (`release_lease`) or stays.
void save_order(pqxx::work& tx, const provisioning_order& o,
                std::chrono::seconds retry_in = std::chrono::seconds(0),
                bool release_lease = true);
// Renews the lease of an order the caller is about to work on (`lease` from now).
void lease_order(pqxx::work& tx, const std::string& id, std::chrono::seconds lease);
// Takes an open order whose lease has ended (the sweep): true when this transaction got it.
bool claim_order(pqxx::work& tx, const std::string& id, std::chrono::seconds lease);
// Open orders of the tenant, newest first (shown next to its numbers).
std::vector<provisioning_order> open_orders(pqxx::work& tx, int limit);

// ---- agents (migration 008, branch `agents`) ----------------------------------------------------

// The agent a number should answer with: found=false when the agents table does not exist (yet)
// or the tenant has no such agent; assistant_id "" while its Vapi assistant is not created.
struct agent_ref {
  bool agents_available = false;  // the agents table exists
  bool found = false;
  std::string assistant_id;
};
agent_ref find_agent(pqxx::work& tx, const std::string& agent_id);

// Open orders of every tenant whose lease has ended and whose next attempt is due (SECURITY
// DEFINER rm_due_provisioning_orders; no set_tenant needed): (order id, org id).
std::vector<std::pair<std::string, std::string>> due_orders(pqxx::work& tx, int limit);
// Released numbers of every tenant whose Vapi copy is still to delete: (number id, org id).
std::vector<std::pair<std::string, std::string>> vapi_cleanups_due(pqxx::work& tx, int limit);

}  // namespace rm::persistence
