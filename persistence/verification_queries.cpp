#include "persistence/verification_queries.hpp"

#include "persistence/detail/rows.hpp"

namespace rm::persistence {
namespace {

using detail::begun;
using detail::named_row;
using detail::optional_as;
using detail::or_null;

// Instants stay epoch seconds here (the records hold std::int64_t), aliased *_s.
const char* caller_columns =
    "v.id, v.org_id, v.phone_number, coalesce(v.friendly_name, '') AS friendly_name, v.channel,"
    " v.status, extract(epoch FROM v.verification_code_expires_at)::bigint AS expires_at_s,"
    " v.verification_attempts, extract(epoch FROM v.locked_until)::bigint AS locked_until_s,"
    " extract(epoch FROM v.verified_at)::bigint AS verified_at_s,"
    " coalesce(v.twilio_caller_id_sid, '') AS twilio_caller_id_sid,"
    " coalesce(v.twilio_validation_status, '') AS twilio_validation_status,"
    " EXISTS (SELECT 1 FROM hybrid_forwarding_configs f WHERE f.verified_caller_id = v.id"
    "         AND f.status <> 'disabled') AS has_forwarding_config";

caller_id_row read_caller(named_row r) {
  caller_id_row c;
  c.id = r["id"].c_str();
  c.org_id = r["org_id"].c_str();
  c.phone_number = r["phone_number"].c_str();
  c.friendly_name = r["friendly_name"].c_str();
  c.channel = r["channel"].c_str();
  c.status = r["status"].c_str();
  c.expires_at = optional_as<std::int64_t>(r["expires_at_s"]);
  c.attempts = r["verification_attempts"].as<int>();
  c.locked_until = optional_as<std::int64_t>(r["locked_until_s"]);
  c.verified_at = optional_as<std::int64_t>(r["verified_at_s"]);
  c.twilio_caller_id_sid = r["twilio_caller_id_sid"].c_str();
  c.twilio_validation_status = r["twilio_validation_status"].c_str();
  c.has_forwarding_config = r["has_forwarding_config"].as<bool>();
  return c;
}

const char* forwarding_columns =
    "id, org_id, verified_caller_id, sim_phone_number, forwarding_type, carrier,"
    " twilio_forwarding_number, ring_time_seconds, generated_activation_code,"
    " generated_deactivation_code, status_check_code, instructions::text AS instructions,"
    " notes::text AS notes, status, user_confirmed_setup,"
    " extract(epoch FROM confirmed_at)::bigint AS confirmed_at_s";

forwarding_row read_forwarding(named_row r) {
  forwarding_row f;
  f.id = r["id"].c_str();
  f.org_id = r["org_id"].c_str();
  f.verified_caller_id = r["verified_caller_id"].c_str();
  f.sim_phone_number = r["sim_phone_number"].c_str();
  f.forwarding_type = r["forwarding_type"].c_str();
  f.carrier = r["carrier"].c_str();
  f.destination = r["twilio_forwarding_number"].c_str();
  f.ring_time_seconds = optional_as<int>(r["ring_time_seconds"]);
  f.activation_code = r["generated_activation_code"].c_str();
  f.deactivation_code = r["generated_deactivation_code"].c_str();
  f.status_check_code = r["status_check_code"].c_str();
  f.instructions_json = r["instructions"].c_str();
  f.notes_json = r["notes"].c_str();
  f.status = r["status"].c_str();
  f.user_confirmed_setup = r["user_confirmed_setup"].as<bool>();
  f.confirmed_at = optional_as<std::int64_t>(r["confirmed_at_s"]);
  return f;
}

}  // namespace

void lock_caller_number(pqxx::work& tx, const std::string& e164) {
  detail::lock_key(tx, "rm.verify:" + e164);
}

std::optional<caller_id_row> find_caller_id(pqxx::work& tx, const std::string& id) {
  auto rows = tx.exec_params(std::string("SELECT ") + caller_columns +
                                 " FROM verified_caller_ids v WHERE v.id::text = $1",
                             id);
  if (rows.empty()) return std::nullopt;
  return read_caller(rows[0]);
}

std::optional<caller_id_row> find_caller_id_by_number(pqxx::work& tx, const std::string& e164) {
  auto rows = tx.exec_params(std::string("SELECT ") + caller_columns +
                                 " FROM verified_caller_ids v WHERE v.phone_number = $1",
                             e164);
  if (rows.empty()) return std::nullopt;
  return read_caller(rows[0]);
}

std::vector<caller_id_row> list_caller_ids(pqxx::work& tx) {
  auto rows = tx.exec(std::string("SELECT ") + caller_columns +
                      " FROM verified_caller_ids v ORDER BY v.created_at, v.id");
  std::vector<caller_id_row> out;
  for (const auto& r : rows) out.push_back(read_caller(r));
  return out;
}

std::vector<std::int64_t> recent_verification_sends(pqxx::work& tx, const std::string& e164,
                                                    std::int64_t since) {
  auto rows = tx.exec_params(
      "SELECT extract(epoch FROM t)::bigint AS sent_at_s FROM rm_recent_verification_sends($1,"
      " to_timestamp($2)) AS t",
      e164, since);
  std::vector<std::int64_t> out;
  for (const named_row r : rows) out.push_back(r["sent_at_s"].as<std::int64_t>());
  return out;
}

std::string start_verification(pqxx::work& tx, const std::string& org_id, const std::string& e164,
                               const std::string& friendly_name, const std::string& channel,
                               const std::string& code_hash, std::int64_t now,
                               std::int64_t expires_at) {
  tx.exec_params(
      "INSERT INTO verification_initiations (org_id, phone_number, initiated_at)"
      " VALUES ($1, $2, to_timestamp($3))",
      org_id, e164, now);
  const named_row r = tx.exec_params1(
      "INSERT INTO verified_caller_ids (org_id, phone_number, friendly_name, channel, status,"
      " verification_code_hash, verification_code_expires_at, verification_attempts)"
      " VALUES ($1, $2, $3, $4, 'pending', $5, to_timestamp($6), 0)"
      " ON CONFLICT (org_id, phone_number) DO UPDATE SET"
      "   friendly_name = coalesce(EXCLUDED.friendly_name, verified_caller_ids.friendly_name),"
      "   channel = EXCLUDED.channel, status = 'pending',"
      "   verification_code_hash = EXCLUDED.verification_code_hash,"
      "   verification_code_expires_at = EXCLUDED.verification_code_expires_at,"
      "   verification_attempts = 0, locked_until = NULL, finished_at = NULL"
      " RETURNING id",
      org_id, e164, or_null(friendly_name), channel, code_hash, expires_at);
  return r["id"].c_str();
}

std::optional<check_row> lock_for_check(pqxx::work& tx, const std::string& id) {
  auto rows = tx.exec_params(
      "SELECT status, coalesce(verification_code_hash, '') AS code_hash,"
      " coalesce(extract(epoch FROM verification_code_expires_at)::bigint, 0) AS expires_at_s,"
      " verification_attempts, extract(epoch FROM locked_until)::bigint AS locked_until_s"
      " FROM verified_caller_ids WHERE id::text = $1 FOR UPDATE",
      id);
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  check_row c;
  c.status = r["status"].c_str();
  c.code_hash = r["code_hash"].c_str();
  c.expires_at = r["expires_at_s"].as<std::int64_t>();
  c.attempts = r["verification_attempts"].as<int>();
  c.locked_until = optional_as<std::int64_t>(r["locked_until_s"]);
  return c;
}

void record_wrong_code(pqxx::work& tx, const std::string& id, int attempts) {
  tx.exec_params("UPDATE verified_caller_ids SET verification_attempts = $2 WHERE id::text = $1",
                 id, attempts);
}

void mark_verified(pqxx::work& tx, const std::string& id, std::int64_t now) {
  tx.exec_params(
      "UPDATE verified_caller_ids SET status = 'verified', verification_code_hash = NULL,"
      " verified_at = to_timestamp($2), locked_until = NULL WHERE id::text = $1",
      id, now);
}

void mark_failed(pqxx::work& tx, const std::string& id, int attempts, std::int64_t now,
                 std::int64_t locked_until) {
  tx.exec_params(
      "UPDATE verified_caller_ids SET status = 'failed', verification_code_hash = NULL,"
      " verification_attempts = $2, finished_at = to_timestamp($3),"
      " locked_until = to_timestamp($4) WHERE id::text = $1",
      id, attempts, now, locked_until);
}

bool mark_expired(pqxx::work& tx, const std::string& id, std::int64_t now) {
  auto r = tx.exec_params(
      "UPDATE verified_caller_ids SET status = 'expired', verification_code_hash = NULL,"
      " finished_at = to_timestamp($2) WHERE id::text = $1 AND status = 'pending'"
      " AND verification_code_expires_at <= to_timestamp($2)",
      id, now);
  return r.affected_rows() > 0;
}

void set_twilio_validation(pqxx::work& tx, const std::string& id, const std::string& status,
                           const std::string& call_sid, const std::string& caller_id_sid) {
  tx.exec_params(
      "UPDATE verified_caller_ids SET twilio_validation_status = coalesce($2,"
      " twilio_validation_status), twilio_call_sid = coalesce($3, twilio_call_sid),"
      " twilio_caller_id_sid = coalesce($4, twilio_caller_id_sid) WHERE id::text = $1",
      id, or_null(status), or_null(call_sid), or_null(caller_id_sid));
}

bool delete_caller_id(pqxx::work& tx, const std::string& id) {
  return tx.exec_params("DELETE FROM verified_caller_ids WHERE id::text = $1", id)
             .affected_rows() > 0;
}

std::vector<pending_verification> pending_verifications(pqxx::work& tx) {
  auto rows = tx.exec(
      "SELECT id, org_id, phone_number, extract(epoch FROM expires_at)::bigint AS expires_at_s,"
      " attempts FROM rm_pending_verifications()");
  std::vector<pending_verification> out;
  for (const named_row r : rows) {
    out.push_back({r["id"].c_str(), r["org_id"].c_str(), r["phone_number"].c_str(),
                   r["expires_at_s"].as<std::int64_t>(), r["attempts"].as<int>()});
  }
  return out;
}

housekeeping_counts verification_housekeeping(pqxx::work& tx, std::int64_t now,
                                              std::int64_t retention_seconds) {
  const named_row r = tx.exec_params1(
      "SELECT expired, deleted FROM rm_verification_housekeeping(to_timestamp($1),"
      " make_interval(secs => $2))",
      now, retention_seconds);
  return {r["expired"].as<long>(), r["deleted"].as<long>()};
}

std::optional<std::string> active_ai_number(pqxx::work& tx) {
  auto rows = tx.exec("SELECT e164 FROM phone_numbers WHERE active ORDER BY created_at, id LIMIT 1");
  if (rows.empty()) return std::nullopt;
  return std::string{named_row{rows[0]}["e164"].c_str()};
}

bool is_active_ai_number(pqxx::work& tx, const std::string& e164) {
  return !tx.exec_params("SELECT 1 FROM phone_numbers WHERE active AND e164 = $1", e164).empty();
}

insert_forwarding_error insert_forwarding(pqxx::work& tx, forwarding_row& f) {
  pqxx::subtransaction sub{tx, "insert_forwarding"};
  begun(sub);
  try {
    const named_row r = sub.exec_params1(
        "INSERT INTO hybrid_forwarding_configs (org_id, verified_caller_id,"
        " sim_phone_number, forwarding_type, carrier, twilio_forwarding_number,"
        " ring_time_seconds, generated_activation_code, generated_deactivation_code,"
        " status_check_code, instructions, notes)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb)"
        " RETURNING id",
        f.org_id, f.verified_caller_id, f.sim_phone_number, f.forwarding_type, f.carrier,
        f.destination, f.ring_time_seconds, f.activation_code, f.deactivation_code,
        f.status_check_code, f.instructions_json, f.notes_json);
    f.id = r["id"].c_str();
    sub.commit();
  } catch (const pqxx::unique_violation&) {
    sub.abort();
    return insert_forwarding_error::live_config_exists;
  }
  f.status = "pending_setup";
  return insert_forwarding_error::none;
}

std::optional<forwarding_row> find_forwarding(pqxx::work& tx, const std::string& id) {
  auto rows = tx.exec_params(std::string("SELECT ") + forwarding_columns +
                                 " FROM hybrid_forwarding_configs WHERE id::text = $1",
                             id);
  if (rows.empty()) return std::nullopt;
  return read_forwarding(rows[0]);
}

std::vector<forwarding_row> forwarding_for_caller_id(pqxx::work& tx,
                                                     const std::string& verified_caller_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + forwarding_columns +
                                 " FROM hybrid_forwarding_configs"
                                 " WHERE verified_caller_id::text = $1 ORDER BY created_at, id",
                             verified_caller_id);
  std::vector<forwarding_row> out;
  for (const auto& r : rows) out.push_back(read_forwarding(r));
  return out;
}

bool set_forwarding_status(pqxx::work& tx, const std::string& id, const std::string& status,
                           std::int64_t now) {
  return tx
             .exec_params(
                 "UPDATE hybrid_forwarding_configs SET status = $2,"
                 " user_confirmed_setup = (user_confirmed_setup OR $2 = 'active'),"
                 " confirmed_at = CASE WHEN $2 = 'active' THEN to_timestamp($3) ELSE confirmed_at END,"
                 " disabled_at = CASE WHEN $2 = 'disabled' THEN to_timestamp($3) ELSE NULL END"
                 " WHERE id::text = $1",
                 id, status, now)
             .affected_rows() > 0;
}

}  // namespace rm::persistence
