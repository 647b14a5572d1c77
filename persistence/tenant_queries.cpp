// SQL behind tenant_queries.hpp. Every statement also filters on rm_current_org() explicitly:
// under ringmaster_app row-level security already does, but a connection that runs as the owner
// (migrations, tests, a DBA's console) passes the owner_access policy, and these functions must
// mean "this tenant's rows" there too.
#include "persistence/tenant_queries.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::lock_key;
using detail::named_row;
using detail::optional_at;
using detail::or_null;
using detail::text;
using domain::is_uuid;

// Epoch-second instants are aliased *_s so that they never shadow the timestamptz columns
// (ORDER BY created_at must still sort by the full timestamp).
constexpr const char* settings_columns =
    "id, name, time_zone, working_hours::text AS working_hours, slot_minutes, buffer_minutes,"
    " min_notice_minutes, hold_minutes, extract(epoch from updated_at)::bigint AS updated_at_s,"
    " alert_phone, reminders_enabled, reminder_lead_minutes,"
    " default_consultation_price::float8 AS default_consultation_price";

org_settings read_settings(named_row r) {
  org_settings s;
  s.id = r["id"].c_str();
  s.name = r["name"].c_str();
  s.rules.time_zone = r["time_zone"].c_str();
  auto error =
      domain::working_hours_from_json(nlohmann::json::parse(r["working_hours"].c_str()), s.rules);
  if (!error.empty())
    throw std::runtime_error("organizations " + s.id + ": bad working_hours: " + error);
  s.rules.slot_minutes = r["slot_minutes"].as<int>();
  s.rules.buffer_minutes = r["buffer_minutes"].as<int>();
  s.rules.min_notice_minutes = r["min_notice_minutes"].as<int>();
  s.rules.hold_minutes = r["hold_minutes"].as<int>();
  s.updated_at = at(r["updated_at_s"]);
  s.alert_phone = r["alert_phone"].c_str();
  s.reminders_enabled = r["reminders_enabled"].as<bool>();
  s.reminder_lead_minutes = r["reminder_lead_minutes"].as<int>();
  s.default_consultation_price = r["default_consultation_price"].as<double>();
  return s;
}

constexpr const char* mapping_columns =
    "id, org_id, e164, label, coalesce(vapi_phone_number_id, '') AS vapi_phone_number_id,"
    " active, coalesce(created_by, '') AS created_by,"
    " extract(epoch from created_at)::bigint AS created_at_s,"
    " extract(epoch from updated_at)::bigint AS updated_at_s,"
    " extract(epoch from deactivated_at)::bigint AS deactivated_at_s,"
    " coalesce(deactivated_by, '') AS deactivated_by";

phone_mapping read_mapping(named_row r) {
  phone_mapping m;
  m.id = r["id"].c_str();
  m.org_id = r["org_id"].c_str();
  m.e164 = r["e164"].c_str();
  m.clinic_name = r["label"].c_str();
  m.vapi_phone_number_id = r["vapi_phone_number_id"].c_str();
  m.active = r["active"].as<bool>();
  m.created_by = r["created_by"].c_str();
  m.created_at = at(r["created_at_s"]);
  m.updated_at = at(r["updated_at_s"]);
  m.deactivated_at = optional_at(r["deactivated_at_s"]);
  m.deactivated_by = r["deactivated_by"].c_str();
  return m;
}

phone_mapping mapping_by_id(pqxx::work& tx, const std::string& id) {
  return read_mapping(tx.exec_params1(std::string{"SELECT "} + mapping_columns +
                                          " FROM phone_numbers WHERE id = $1",
                                      id));
}

constexpr const char* appointment_view_columns =
    "a.id, a.status, extract(epoch from a.starts_at)::bigint AS starts_at_s,"
    " extract(epoch from a.ends_at)::bigint AS ends_at_s,"
    " coalesce(a.contact_id::text, '') AS contact_id, coalesce(c.name, '') AS contact_name,"
    " coalesce(c.phone_e164, '') AS phone_number, coalesce(a.call_id, '') AS call_id,"
    " extract(epoch from a.created_at)::bigint AS created_at_s,"
    " extract(epoch from a.cancelled_at)::bigint AS cancelled_at_s,"
    " coalesce(a.cancelled_by, '') AS cancelled_by";
constexpr const char* appointment_view_from =
    " FROM appointments a LEFT JOIN contacts c ON c.id = a.contact_id AND c.org_id = a.org_id";

appointment_view read_appointment_view(named_row r) {
  appointment_view a;
  a.id = r["id"].c_str();
  a.status = r["status"].c_str();
  a.starts_at = at(r["starts_at_s"]);
  a.ends_at = at(r["ends_at_s"]);
  a.contact_id = r["contact_id"].c_str();
  a.contact_name = r["contact_name"].c_str();
  a.phone_number = r["phone_number"].c_str();
  a.call_id = r["call_id"].c_str();
  a.created_at = at(r["created_at_s"]);
  a.cancelled_at = optional_at(r["cancelled_at_s"]);
  a.cancelled_by = r["cancelled_by"].c_str();
  return a;
}

}  // namespace

// ---- settings -----------------------------------------------------------------------------------

std::optional<org_settings> load_settings(pqxx::work& tx, bool for_update) {
  auto rows = tx.exec(std::string{"SELECT "} + settings_columns +
                      " FROM organizations WHERE id = rm_current_org()" +
                      (for_update ? " FOR UPDATE" : ""));
  if (rows.empty()) return std::nullopt;
  return read_settings(rows[0]);
}

org_settings update_settings(pqxx::work& tx, const org_settings& s) {
  const auto& r = s.rules;
  // The price travels as text with two decimals: numeric(12, 2) stores exactly what was given.
  char price[32];
  std::snprintf(price, sizeof price, "%.2f", s.default_consultation_price);
  return read_settings(tx.exec_params1(
      std::string{"UPDATE organizations SET name = $1, time_zone = $2, working_hours = $3::jsonb,"
                  " slot_minutes = $4, buffer_minutes = $5, min_notice_minutes = $6,"
                  " hold_minutes = $7, alert_phone = $8, reminders_enabled = $9,"
                  " reminder_lead_minutes = $10, default_consultation_price = $11::numeric"
                  " WHERE id = rm_current_org() RETURNING "} +
          settings_columns,
      s.name, r.time_zone, domain::working_hours_to_json(r).dump(), r.slot_minutes,
      r.buffer_minutes, r.min_notice_minutes, r.hold_minutes, s.alert_phone,
      s.reminders_enabled, s.reminder_lead_minutes, std::string{price}));
}

// ---- phone mappings -----------------------------------------------------------------------------

save_mapping_result save_phone_mapping(pqxx::work& tx, const std::string& org_id,
                                       const std::string& user_id, const std::string& e164,
                                       const std::string& clinic_name,
                                       const std::optional<std::string>& vapi_phone_number_id) {
  // Locks first (number, then Vapi id: one order for everyone), so the reads below see what any
  // concurrent writer of the same number committed.
  lock_key(tx, "rm.number:" + e164);
  if (vapi_phone_number_id && !vapi_phone_number_id->empty())
    lock_key(tx, "rm.vapi_id:" + *vapi_phone_number_id);

  if (!tx.exec_params("SELECT 1 FROM rm_route_by_number($1) WHERE org_id <> $2", e164, org_id)
           .empty())
    return {mapping_outcome::number_taken, std::nullopt};
  // The Vapi id may be active on this very mapping only (migration 009: one active number per
  // id), not on another tenant's number nor on another number of this tenant.
  if (vapi_phone_number_id && !vapi_phone_number_id->empty() &&
      !tx.exec_params("SELECT 1 FROM rm_route_by_vapi_id($1) WHERE org_id <> $2 OR e164 <> $3",
                      *vapi_phone_number_id, org_id, e164)
           .empty())
    return {mapping_outcome::vapi_id_taken, std::nullopt};
  // Released by another tenant and still aging (migration 007's trigger is the guarantee).
  const named_row quarantine = tx.exec_params1(
      "SELECT rm_number_quarantine($1, $2) IS NOT NULL AS quarantined", e164, org_id);
  if (quarantine["quarantined"].as<bool>())
    return {mapping_outcome::number_quarantined, std::nullopt};

  // The active row if there is one, else the newest inactive one.
  auto existing = tx.exec_params(
      "SELECT id, active FROM phone_numbers WHERE org_id = rm_current_org() AND e164 = $1"
      " ORDER BY active DESC, updated_at DESC, id LIMIT 1 FOR UPDATE",
      e164);
  const bool keep_vapi_id = !vapi_phone_number_id.has_value();
  const std::string vapi_id = vapi_phone_number_id.value_or("");
  try {
    if (existing.empty()) {
      const named_row created = tx.exec_params1(
          "INSERT INTO phone_numbers (org_id, e164, label, vapi_phone_number_id,"
          " created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
          org_id, e164, clinic_name, or_null(vapi_id), or_null(user_id));
      return {mapping_outcome::created, mapping_by_id(tx, created["id"].c_str())};
    }
    const named_row row = existing[0];
    const std::string id = row["id"].c_str();
    const bool was_active = row["active"].as<bool>();
    tx.exec_params0(
        "UPDATE phone_numbers SET label = $2,"
        " vapi_phone_number_id = CASE WHEN $3::boolean THEN vapi_phone_number_id ELSE $4 END,"
        " active = true, deactivated_at = NULL, deactivated_by = NULL WHERE id = $1",
        id, clinic_name, keep_vapi_id, or_null(vapi_id));
    return {was_active ? mapping_outcome::updated : mapping_outcome::reactivated,
            mapping_by_id(tx, id)};
  } catch (const pqxx::unique_violation& e) {
    // A writer that does not take these locks (the operator API, a Vapi import) activated the
    // number (phone_numbers_active_e164) or, when this row keeps or reactivates its Vapi id, that
    // id (phone_numbers_active_vapi_id_unique) elsewhere between the checks above and our write.
    if (std::string{e.what()}.find("phone_numbers_active_vapi_id_unique") != std::string::npos)
      return {mapping_outcome::vapi_id_taken, std::nullopt};
    return {mapping_outcome::number_taken, std::nullopt};
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "RMQ01") return {mapping_outcome::number_quarantined, std::nullopt};
    throw;
  }
}

std::vector<phone_mapping> list_phone_mappings(pqxx::work& tx, bool include_inactive) {
  auto rows = tx.exec(std::string{"SELECT "} + mapping_columns +
                      " FROM phone_numbers WHERE org_id = rm_current_org()" +
                      (include_inactive ? "" : " AND active") + " ORDER BY created_at, id");
  std::vector<phone_mapping> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_mapping(r));
  return out;
}

std::optional<phone_mapping> deactivate_phone_mapping(pqxx::work& tx, const std::string& id,
                                                      const std::string& user_id) {
  if (!is_uuid(id)) return std::nullopt;
  tx.exec_params0(
      "UPDATE phone_numbers SET active = false, deactivated_at = now(), deactivated_by = $2"
      " WHERE id = $1 AND org_id = rm_current_org() AND active",
      id, or_null(user_id));
  auto found = tx.exec_params(
      "SELECT 1 FROM phone_numbers WHERE id = $1 AND org_id = rm_current_org()", id);
  if (found.empty()) return std::nullopt;
  return mapping_by_id(tx, id);
}

std::optional<std::string> first_active_number(pqxx::work& tx) {
  auto rows = tx.exec(
      "SELECT e164 FROM phone_numbers WHERE org_id = rm_current_org() AND active"
      " ORDER BY created_at, id LIMIT 1");
  if (rows.empty()) return std::nullopt;
  return std::string{named_row{rows[0]}["e164"].c_str()};
}

// ---- appointments -------------------------------------------------------------------------------

std::vector<appointment_view> list_appointments(pqxx::work& tx, domain::instant from,
                                                domain::instant to, int limit) {
  auto rows = tx.exec_params(
      std::string{"SELECT "} + appointment_view_columns + appointment_view_from +
          " WHERE a.org_id = rm_current_org() AND a.status <> 'expired'"
          " AND a.starts_at >= to_timestamp($1) AND a.starts_at < to_timestamp($2)"
          " ORDER BY a.starts_at, a.id LIMIT $3",
      to_epoch(from), to_epoch(to), limit);
  std::vector<appointment_view> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_appointment_view(r));
  return out;
}

std::optional<appointment_view> find_appointment_view(pqxx::work& tx, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"SELECT "} + appointment_view_columns +
                                 appointment_view_from +
                                 " WHERE a.id = $1 AND a.org_id = rm_current_org()",
                             id);
  if (rows.empty()) return std::nullopt;
  return read_appointment_view(rows[0]);
}

cancel_result cancel_appointment(pqxx::work& tx, const std::string& id,
                                 const std::string& user_id) {
  if (!is_uuid(id)) return {};
  // The row lock orders us against the tenant actor's held → booked (book_held), so a hold is
  // either booked first and then cancelled, or cancelled and then refused to the caller.
  auto current = tx.exec_params(
      "SELECT status FROM appointments WHERE id = $1 AND org_id = rm_current_org() FOR UPDATE",
      id);
  if (current.empty()) return {};
  const std::string status = named_row{current[0]}["status"].c_str();
  cancel_outcome outcome = cancel_outcome::cancelled;
  if (status == "cancelled") {
    outcome = cancel_outcome::already_cancelled;
  } else if (status == "expired") {
    outcome = cancel_outcome::not_cancellable;
  } else {
    tx.exec_params0(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2"
        " WHERE id = $1",
        id, or_null(user_id));
  }
  return {outcome, find_appointment_view(tx, id)};
}

}  // namespace rm::persistence
