// SQL behind action_queries.hpp. Readers take columns by name (detail::named_row).
#include "persistence/action_queries.hpp"

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence {

namespace {

using detail::named_row;
using detail::or_null;
using detail::text;
using domain::is_uuid;

action_contact read_contact(named_row r) {
  action_contact c;
  c.id = r["id"].c_str();
  c.phone_e164 = r["phone_e164"].c_str();
  c.name = r["name"].c_str();
  c.email = text(r["email"]);
  c.opted_out = r["opted_out"].as<bool>();
  c.lead_status = r["lead_status"].c_str();
  return c;
}

constexpr const char* contact_columns =
    "id, phone_e164, name, email, opted_out, lead_status";

}  // namespace

std::int64_t record_audit(pqxx::work& tx, const std::string& org_id, const std::string& actor,
                          const std::string& action, const std::string& subject_type,
                          const std::string& subject_id, const std::string& detail_json,
                          const std::string& client_ip) {
  const named_row r = tx.exec_params1(
      "INSERT INTO audit_events (org_id, actor, action, subject_type, subject_id, detail,"
      " client_ip) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING id",
      org_id, actor, action, subject_type, subject_id, or_null(detail_json), or_null(client_ip));
  return r["id"].as<std::int64_t>();
}

std::optional<action_call> load_action_call(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      "SELECT id, org_id, caller, dialled, recording_url, transcript, contact_id"
      " FROM calls WHERE id = $1",
      call_id);
  if (rows.empty()) return std::nullopt;
  const named_row r{rows[0]};
  action_call c;
  c.id = r["id"].c_str();
  c.org_id = r["org_id"].c_str();
  c.caller = r["caller"].c_str();
  c.dialled = r["dialled"].c_str();
  c.recording_url = text(r["recording_url"]);
  c.transcript = text(r["transcript"]);
  c.contact_id = text(r["contact_id"]);
  return c;
}

std::optional<action_contact> load_action_contact(pqxx::work& tx, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string("SELECT ") + contact_columns +
                                 " FROM contacts WHERE id = $1",
                             id);
  if (rows.empty()) return std::nullopt;
  return read_contact(rows[0]);
}

std::optional<action_contact> action_contact_by_phone(pqxx::work& tx, const std::string& org_id,
                                                      const std::string& e164) {
  if (!is_uuid(org_id)) return std::nullopt;
  auto rows = tx.exec_params(std::string("SELECT ") + contact_columns +
                                 " FROM contacts WHERE org_id = $1 AND phone_e164 = $2",
                             org_id, e164);
  if (rows.empty()) return std::nullopt;
  return read_contact(rows[0]);
}

void mark_contacted(pqxx::work& tx, const std::string& contact_id,
                    const std::string& lead_status) {
  tx.exec_params("UPDATE contacts SET lead_status = $2, last_contacted_at = now() WHERE id = $1",
                 contact_id, lead_status);
}

std::optional<reminder_target> load_reminder_target(pqxx::work& tx, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT a.id, a.status, extract(epoch from a.starts_at)::bigint AS starts_at_s,"
      " a.call_id, a.contact_id, o.name AS clinic_name, o.time_zone,"
      " coalesce(c.dialled, '') AS call_dialled"
      " FROM appointments a JOIN organizations o ON o.id = a.org_id"
      " LEFT JOIN calls c ON c.id = a.call_id"
      " WHERE a.id = $1",
      id);
  if (rows.empty()) return std::nullopt;
  const named_row r{rows[0]};
  reminder_target t;
  t.appointment_id = r["id"].c_str();
  t.status = r["status"].c_str();
  t.starts_at = r["starts_at_s"].as<std::int64_t>();
  t.call_id = text(r["call_id"]);
  t.contact_id = text(r["contact_id"]);
  t.clinic_name = r["clinic_name"].c_str();
  t.time_zone = r["time_zone"].c_str();
  t.call_dialled = r["call_dialled"].c_str();
  return t;
}

void set_confirmation_sent(pqxx::work& tx, const std::string& appointment_id) {
  tx.exec_params("UPDATE appointments SET confirmation_sent = true WHERE id = $1",
                 appointment_id);
}

clinic_identity load_clinic_identity(pqxx::work& tx, const std::string& org_id) {
  const named_row r =
      tx.exec_params1("SELECT name, time_zone FROM organizations WHERE id = $1", org_id);
  return {r["name"].c_str(), r["time_zone"].c_str()};
}

std::string create_recording_share(pqxx::work& tx, const std::string& org_id,
                                   const std::string& call_id, const std::string& email,
                                   const std::string& created_by, std::int64_t expires_at) {
  const named_row r = tx.exec_params1(
      "INSERT INTO recording_shares (org_id, call_id, email, created_by, expires_at)"
      " VALUES ($1, $2, $3, $4, to_timestamp($5)) RETURNING id",
      org_id, call_id, email, created_by, expires_at);
  return r["id"].c_str();
}

std::optional<share_ref> find_recording_share(pqxx::work& tx, const std::string& share_id) {
  if (!is_uuid(share_id)) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT id, org_id, call_id, extract(epoch from expires_at)::bigint AS expires_at_s"
      " FROM rm_recording_share($1)",
      share_id);
  if (rows.empty()) return std::nullopt;
  const named_row r{rows[0]};
  share_ref s;
  s.id = r["id"].c_str();
  s.org_id = r["org_id"].c_str();
  s.call_id = r["call_id"].c_str();
  s.expires_at = r["expires_at_s"].as<std::int64_t>();
  return s;
}

}  // namespace rm::persistence
