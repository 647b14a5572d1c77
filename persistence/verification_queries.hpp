// SQL of hybrid telephony (persistence/migrations/005_verification.sql): verification sessions,
// the send log of the rate limit, forwarding configurations. Like repositories.hpp, every
// function runs in the caller's transaction and needs set_tenant first, except the three
// cross-tenant ones marked SECURITY DEFINER. Times are epoch seconds (UTC) from the caller's
// clock, so tests can drive them. No function ever reads or returns a code; the hash only leaves
// the database through lock_for_check, for the comparison.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace rm::persistence {

struct caller_id_row {
  std::string id;
  std::string org_id;
  std::string phone_number;   // E.164
  std::string friendly_name;  // "" when none
  std::string channel;        // "call" | "sms"
  std::string status;         // "pending" | "verified" | "failed" | "expired"
  std::optional<std::int64_t> expires_at;    // code expiry while pending
  int attempts = 0;                          // wrong codes entered
  std::optional<std::int64_t> locked_until;  // after the 3rd wrong code
  std::optional<std::int64_t> verified_at;
  std::string twilio_caller_id_sid;
  std::string twilio_validation_status;
  bool has_forwarding_config = false;  // a pending_setup or active configuration exists
};

// Serialises initiations for one number (transaction-level advisory lock).
void lock_caller_number(pqxx::work& tx, const std::string& e164);

std::optional<caller_id_row> find_caller_id(pqxx::work& tx, const std::string& id);
std::optional<caller_id_row> find_caller_id_by_number(pqxx::work& tx, const std::string& e164);
std::vector<caller_id_row> list_caller_ids(pqxx::work& tx);

// SECURITY DEFINER: send times for `e164` after `since`, all tenants.
std::vector<std::int64_t> recent_verification_sends(pqxx::work& tx, const std::string& e164,
                                                    std::int64_t since);

// Starts (or restarts, superseding the old code) the tenant's session for `e164`: status
// pending, the new hash, expiry, attempts 0, lock cleared; logs the send. Returns the row id
// (stable across restarts for one tenant and number).
std::string start_verification(pqxx::work& tx, const std::string& org_id, const std::string& e164,
                               const std::string& friendly_name, const std::string& channel,
                               const std::string& code_hash, std::int64_t now,
                               std::int64_t expires_at);

// Row locked FOR UPDATE for a code check (concurrent confirms queue here).
struct check_row {
  std::string status;
  std::string code_hash;  // "" when the session has ended
  std::int64_t expires_at = 0;
  int attempts = 0;
  std::optional<std::int64_t> locked_until;
};
std::optional<check_row> lock_for_check(pqxx::work& tx, const std::string& id);
void record_wrong_code(pqxx::work& tx, const std::string& id, int attempts);
void mark_verified(pqxx::work& tx, const std::string& id, std::int64_t now);
void mark_failed(pqxx::work& tx, const std::string& id, int attempts, std::int64_t now,
                 std::int64_t locked_until);
// pending → expired if its expiry has come; false when nothing changed.
bool mark_expired(pqxx::work& tx, const std::string& id, std::int64_t now);
// Twilio's caller-ID registration: state and sids ("" leaves a field unchanged).
void set_twilio_validation(pqxx::work& tx, const std::string& id, const std::string& status,
                           const std::string& call_sid, const std::string& caller_id_sid);
// Deletes the row (its forwarding configurations go with it: ON DELETE CASCADE).
bool delete_caller_id(pqxx::work& tx, const std::string& id);

// SECURITY DEFINER: every pending session (start-up resume).
struct pending_verification {
  std::string id;
  std::string org_id;
  std::string phone_number;
  std::int64_t expires_at = 0;
  int attempts = 0;
};
std::vector<pending_verification> pending_verifications(pqxx::work& tx);

// SECURITY DEFINER: the periodic sweep (see the SQL function).
struct housekeeping_counts {
  long expired = 0;
  long deleted = 0;
};
housekeeping_counts verification_housekeeping(pqxx::work& tx, std::int64_t now,
                                              std::int64_t retention_seconds);

// ---- forwarding configurations ---------------------------------------------------------------

// The tenant's first active AI number (phone_numbers.active), E.164.
std::optional<std::string> active_ai_number(pqxx::work& tx);
bool is_active_ai_number(pqxx::work& tx, const std::string& e164);

struct forwarding_row {
  std::string id;
  std::string org_id;
  std::string verified_caller_id;
  std::string sim_phone_number;
  std::string forwarding_type;  // total_ai | safety_net
  std::string carrier;
  std::string destination;      // twilio_forwarding_number, E.164
  std::optional<int> ring_time_seconds;
  std::string activation_code;
  std::string deactivation_code;
  std::string status_check_code;
  std::string instructions_json = "[]";
  std::string notes_json = "[]";
  std::string status;  // pending_setup | active | disabled
  bool user_confirmed_setup = false;
  std::optional<std::int64_t> confirmed_at;
};

enum class insert_forwarding_error { none, live_config_exists };
// Inserts in a subtransaction; a live configuration for the SIM → live_config_exists.
insert_forwarding_error insert_forwarding(pqxx::work& tx, forwarding_row& row);
std::optional<forwarding_row> find_forwarding(pqxx::work& tx, const std::string& id);
std::vector<forwarding_row> forwarding_for_caller_id(pqxx::work& tx,
                                                     const std::string& verified_caller_id);
// Sets status (and confirmed_at/disabled_at); false when the row does not exist.
bool set_forwarding_status(pqxx::work& tx, const std::string& id, const std::string& status,
                           std::int64_t now);

}  // namespace rm::persistence
