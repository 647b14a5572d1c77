// SQL of the Google Calendar link (migration 014; docs/integrations.md): the link row, the sealed
// refresh token (org_credentials provider 'google', sealed like the Twilio token), the single-use
// OAuth state nonces and the durable event queue google_event_syncs. Plain C++ over a
// transaction: every function needs set_tenant (in_tenant) first, except the two discovery
// queries, which cross tenants through 014's SECURITY DEFINER functions. Times are the database's.
//
// A queue row's life (like message_outbox): written `pending` by the trigger of migration 014 in
// the booking's (or cancellation's) own transaction → claim (its own transaction: lease
// claimed_until = now + lease, attempts + 1, a new claim_token) `working` → finish: `done`
// (Google has the event / it is gone), `pending` again after a backoff (transient failure, or the
// breaker was open), or `failed` after max_attempts or a permanent refusal (+ an org
// notification). A working row whose lease ran out (its worker died) is claimed again; the
// insert carries the same client-chosen event id, so Google answers 409 = done, never a second
// event.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace rm::persistence::google {

struct link {
  std::string connected_email;
  std::string google_sub;
  std::string calendar_id;  // "primary"
  std::string status;       // connected | broken
  std::string broken_reason;
  std::string connected_at;  // ISO 8601 UTC
  std::string last_sync_at;  // "" when never
  std::string last_error;
};
std::optional<link> load_link(pqxx::work& tx, const std::string& org_id);
// Stores (or replaces) the link after a consent: status connected, the refresh token sealed in
// org_credentials. Pending queue rows of a broken link go out again.
void store_link(pqxx::work& tx, const std::string& org_id, const std::string& email,
                const std::string& sub, const std::string& refresh_token,
                const std::string& user_id);
// The refresh token in clear (credential_error when it does not open), nullopt when none.
std::optional<std::string> load_refresh_token(pqxx::work& tx, const std::string& org_id);
// Forgets the link, its sealed token and its unfinished queue rows; false when there was none.
bool delete_link(pqxx::work& tx, const std::string& org_id);

// Records a state nonce as used; false when it was used before (a replay). Deletes expired ones.
bool use_state_nonce(pqxx::work& tx, const std::string& org_id, const std::string& nonce,
                     std::int64_t expires_at_epoch);

// invalid_grant: status broken with the reason, and — on the change only — a notification for
// the clinic's admins (kind google.link_broken). Returns true when it changed.
bool mark_broken(pqxx::work& tx, const std::string& org_id, const std::string& reason);
void record_sync(pqxx::work& tx, const std::string& org_id);  // last_sync_at = now, no error
void record_error(pqxx::work& tx, const std::string& org_id, const std::string& error);

// ---- discovery (cross-tenant) -----------------------------------------------------------------
struct linked_org {
  std::string org_id;
  std::string status;
};
std::vector<linked_org> linked_orgs(pqxx::work& tx);
struct due_sync {
  std::string id;
  std::string org_id;
};
std::vector<due_sync> syncs_due(pqxx::work& tx, int limit);

// ---- the queue --------------------------------------------------------------------------------
struct sync_job {
  std::string id, org_id, appointment_id, action, event_id, claim_token;
  int attempts = 0;  // including this claim
  std::int64_t starts_at = 0, ends_at = 0;  // epoch seconds
  std::string time_zone, clinic_name, contact_name, contact_phone;
};
// Claims a due row (pending and due, or working with an expired lease) for `lease`; nullopt when
// another worker holds it or it is no longer due.
std::optional<sync_job> claim_sync(pqxx::work& tx, const std::string& id,
                                   std::chrono::milliseconds lease);
// The finishes, each only while `claim_token` still holds the row (false otherwise).
bool sync_done(pqxx::work& tx, const sync_job& job);
// Pending again after `backoff` (error recorded); failed with a notification once attempts reach
// max_attempts, or at once when `permanent`.
bool sync_retry(pqxx::work& tx, const sync_job& job, const std::string& error,
                std::chrono::milliseconds backoff, int max_attempts, bool permanent);

// For tests and GET views: rows of the tenant's queue by state.
int count_syncs(pqxx::work& tx, const std::string& org_id, const std::string& state);

}  // namespace rm::persistence::google
