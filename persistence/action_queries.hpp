// SQL of the dashboard actions (issue 11 §3: follow-up SMS, recording share links, transcript
// export, appointment reminders) and the audit trail every one of them writes (audit_events,
// migration 011 §5). Every function runs in the caller's transaction; those that read or write
// tenant rows need set_tenant first (row-level security then hides other tenants' rows, so an id
// of another tenant is simply not found).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/transaction>

#include "persistence/records.hpp"

namespace rm::persistence {

// ---- audit ---------------------------------------------------------------------------------------
// Appends one audit_events row; returns its id. `actor`: the JWT's sub, or "link:<share id>" for
// a share link's use. `action`: "call.followup", "recording.share", "recording.share_used",
// "transcript.export", "appointment.reminder" (the table checks ^[a-z][a-z0-9_.]{0,63}$).
// `subject_type` / `subject_id`: what it was done to ("call", <call id>). `detail_json`: a JSON
// object as text ("" = NULL) — never a secret, never raw transcript text. `client_ip`: "" = NULL.
std::int64_t record_audit(pqxx::work& tx, const std::string& org_id, const std::string& actor,
                          const std::string& action, const std::string& subject_type,
                          const std::string& subject_id, const std::string& detail_json,
                          const std::string& client_ip);

// ---- calls, contacts, appointments as the actions need them ------------------------------------
struct action_call {
  std::string id, org_id;
  std::string caller;         // the customer's number as stored (E.164 when valid)
  std::string dialled;        // the tenant's number that was dialled (E.164)
  std::string recording_url;  // "" when none
  std::string transcript;     // the stored (redacted) transcript, "" when none
  std::string contact_id;     // calls.contact_id, "" when not linked
};
// The tenant's call (nullopt for an unknown id or another tenant's).
std::optional<action_call> load_action_call(pqxx::work& tx, const std::string& call_id);

struct action_contact {
  std::string id, phone_e164, name;
  std::string email;  // "" when none
  bool opted_out = false;
  std::string lead_status;  // "new" | "contacted" | "booked" | "lost"
};
std::optional<action_contact> load_action_contact(pqxx::work& tx, const std::string& id);
std::optional<action_contact> action_contact_by_phone(pqxx::work& tx, const std::string& org_id,
                                                      const std::string& e164);
// The clinic reached out: lead_status := `lead_status`, last_contacted_at := now().
void mark_contacted(pqxx::work& tx, const std::string& contact_id, const std::string& lead_status);

struct reminder_target {
  std::string appointment_id, status;  // status: held | booked | cancelled | expired
  std::int64_t starts_at = 0;          // epoch seconds
  std::string call_id;                 // "" when booked outside a call
  std::string contact_id;              // appointments.contact_id, "" when none
  std::string clinic_name, time_zone;  // the tenant's (organizations)
  std::string call_dialled;            // the number the booking call dialled, "" when none
};
// The tenant's appointment with what a reminder needs (nullopt for an unknown id / another's).
std::optional<reminder_target> load_reminder_target(pqxx::work& tx, const std::string& id);
void set_confirmation_sent(pqxx::work& tx, const std::string& appointment_id);
// The tenant's name and IANA time zone (organizations), for the texts the actions send.
struct clinic_identity {
  std::string name, time_zone;
};
clinic_identity load_clinic_identity(pqxx::work& tx, const std::string& org_id);
// (The sender of an SMS that no call names: tenant_queries.hpp first_active_number.)
// (An outbound message's audit row, e-mail subject included: repositories.hpp insert_message.)

// ---- recording shares ------------------------------------------------------------------------------
// A recording_shares row for the tenant's call; returns its id.
std::string create_recording_share(pqxx::work& tx, const std::string& org_id,
                                   const std::string& call_id, const std::string& email,
                                   const std::string& created_by, std::int64_t expires_at);
struct share_ref {
  std::string id, org_id, call_id;
  std::int64_t expires_at = 0;  // epoch seconds
};
// A share by id across tenants (rm_recording_share, SECURITY DEFINER): only for a link whose
// signature already verified (http action routes), so that the tenant can then be named.
std::optional<share_ref> find_recording_share(pqxx::work& tx, const std::string& share_id);

}  // namespace rm::persistence
