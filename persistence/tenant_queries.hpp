// SQL behind the tenant API (adapters/http/tenant_routes.cpp): a clinic's settings, its phone
// mappings, and read/cancel access to its appointments. Calls, contacts and the dashboard:
// persistence/dashboard_queries.hpp; services: persistence/service_queries.hpp.
//
// Tenancy: every function runs inside the caller's transaction, which must have named its tenant
// with set_tenant() first (persistence/repositories.hpp). Row-level security then confines every
// statement to that tenant, so an id of another tenant behaves exactly like an unknown id
// (nullopt / not_found): the functions never take an org_id to filter by, and cannot leak one.
// The two cross-tenant questions (is a number / Vapi id active elsewhere?) go through 002's
// SECURITY DEFINER routing functions and answer yes/no only.
//
// Ids: malformed UUIDs are treated as unknown (no cast error aborts the caller's transaction).
// Instants are UTC epoch seconds (domain::instant). Users are the JWT `sub` (free text).
// Database errors throw pqxx exceptions; expected refusals are values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/calendar.hpp"
#include "persistence/records.hpp"

namespace rm::persistence {

// ---- settings -----------------------------------------------------------------------------------

struct org_settings {
  std::string id;
  std::string name;
  domain::calendar_rules rules;  // time zone, working hours, slot, buffer, notice, hold
  domain::instant updated_at;
  // After the call (migration 011): where hot-lead alerts go (E.164, "" = none), the automatic
  // reminders and their lead time (15–10080 minutes before the appointment), and the value of a
  // call that matches no service (USD, cents).
  std::string alert_phone;
  bool reminders_enabled = true;
  int reminder_lead_minutes = 1440;
  double default_consultation_price = 150;
};

// The tenant's settings; `for_update` also locks the row until the transaction ends, so that a
// read-modify-write PATCH is not lost to a concurrent one.
std::optional<org_settings> load_settings(pqxx::work& tx, bool for_update = false);

// Writes name, rules (validated by the caller with domain::validate) and the after-the-call
// settings (validated by the caller; the table's CHECKs are the backstop) of `s` (its id and
// updated_at are ignored) and returns the new row.
org_settings update_settings(pqxx::work& tx, const org_settings& s);

// ---- phone mappings (phone_numbers) -------------------------------------------------------------

struct phone_mapping {
  std::string id;
  std::string org_id;
  std::string e164;                  // inbound_phone_number
  std::string clinic_name;           // label
  std::string vapi_phone_number_id;  // "" when none
  bool active = true;
  std::string created_by;            // "" for numbers created by the operator API
  domain::instant created_at;
  domain::instant updated_at;
  std::optional<domain::instant> deactivated_at;
  std::string deactivated_by;        // "" unless inactive through DELETE
};

enum class mapping_outcome {
  created,      // a new row
  updated,      // the tenant's active row for the number, new name / Vapi id
  reactivated,  // the tenant's newest inactive row for the number, active again
  number_taken,   // the number is active for another tenant (nothing written)
  vapi_id_taken,  // the Vapi phone-number id is active on another number, of any tenant
                  // (migration 009; nothing written)
  // another tenant released the number less than RINGMASTER_NUMBER_QUARANTINE_DAYS ago (its
  // quarantine, migration 007; nothing written)
  number_quarantined,
};

struct save_mapping_result {
  mapping_outcome outcome = mapping_outcome::created;
  std::optional<phone_mapping> row;  // set unless *_taken / number_quarantined
};

// Creates or updates the tenant's mapping for `e164` (already normalised). `vapi_phone_number_id`
// nullopt keeps the stored value (none on a new row); "" clears it. Number-level writes of all
// tenants queue on one advisory lock per number (and per Vapi id), so two concurrent posts of the
// same number by one tenant update one row instead of colliding. After number_taken,
// vapi_id_taken or number_quarantined the caller should roll back (the transaction may be
// aborted).
save_mapping_result save_phone_mapping(pqxx::work& tx, const std::string& org_id,
                                       const std::string& user_id, const std::string& e164,
                                       const std::string& clinic_name,
                                       const std::optional<std::string>& vapi_phone_number_id);

// Active mappings, oldest first; with `include_inactive`, soft-deleted ones too.
std::vector<phone_mapping> list_phone_mappings(pqxx::work& tx, bool include_inactive);

// Soft delete: active = false, deactivated_at = now(), deactivated_by = user. An already inactive
// row is returned unchanged (DELETE is idempotent); nullopt when the tenant has no such row.
std::optional<phone_mapping> deactivate_phone_mapping(pqxx::work& tx, const std::string& id,
                                                      const std::string& user_id);

// The tenant's oldest active number, if any (its region is the default for human-written input).
std::optional<std::string> first_active_number(pqxx::work& tx);

// ---- appointments -------------------------------------------------------------------------------

struct appointment_view {
  std::string id;
  std::string status;  // held | booked | cancelled | expired
  domain::instant starts_at;
  domain::instant ends_at;
  std::string contact_id;    // "" for a hold not booked yet
  std::string contact_name;  // ""
  std::string phone_number;  // the contact's E.164, ""
  std::string call_id;       // ""
  domain::instant created_at;
  std::optional<domain::instant> cancelled_at;
  std::string cancelled_by;
};

// Appointments starting in [from, to), by start time, expired holds left out, at most `limit`.
std::vector<appointment_view> list_appointments(pqxx::work& tx, domain::instant from,
                                                domain::instant to, int limit);
std::optional<appointment_view> find_appointment_view(pqxx::work& tx, const std::string& id);

enum class cancel_outcome {
  cancelled,          // held/booked → cancelled now; the slot is free
  already_cancelled,  // nothing changed
  not_cancellable,    // an expired hold
  not_found,
};
struct cancel_result {
  cancel_outcome outcome = cancel_outcome::not_found;
  std::optional<appointment_view> row;  // unless not_found
};
cancel_result cancel_appointment(pqxx::work& tx, const std::string& id,
                                 const std::string& user_id);

}  // namespace rm::persistence
