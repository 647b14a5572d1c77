// SQL behind number_queries.hpp. Every statement filters on rm_current_org() explicitly too (see
// tenant_queries.cpp for why).
#include "persistence/number_queries.hpp"

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence {
namespace {

namespace dn = domain::numbers;

using detail::at;
using detail::begun;
using detail::lock_key;
using detail::named_row;
using detail::optional_at;
using detail::or_null;
using domain::is_uuid;

// Epoch-second instants are aliased *_s so that they never shadow the timestamptz columns
// (ORDER BY created_at must still sort by the full timestamp).
constexpr const char* number_columns =
    "id, org_id, e164, label, status, source, coalesce(provider_sid, '') AS provider_sid,"
    " coalesce(vapi_phone_number_id, '') AS vapi_phone_number_id,"
    " coalesce(agent_id::text, '') AS agent_id, active, vapi_cleanup_pending,"
    " extract(epoch from created_at)::bigint AS created_at_s,"
    " extract(epoch from released_at)::bigint AS released_at_s,"
    " extract(epoch from quarantine_until)::bigint AS quarantine_until_s";

number_row read_number(named_row r) {
  number_row n;
  n.id = r["id"].c_str();
  n.org_id = r["org_id"].c_str();
  n.e164 = r["e164"].c_str();
  n.label = r["label"].c_str();
  n.status = dn::parse_number_status(r["status"].c_str()).value_or(dn::number_status::released);
  n.source = r["source"].c_str();
  n.provider_sid = r["provider_sid"].c_str();
  n.vapi_phone_number_id = r["vapi_phone_number_id"].c_str();
  n.agent_id = r["agent_id"].c_str();
  n.active = r["active"].as<bool>();
  n.vapi_cleanup_pending = r["vapi_cleanup_pending"].as<bool>();
  n.created_at = at(r["created_at_s"]);
  n.released_at = optional_at(r["released_at_s"]);
  n.quarantine_until = optional_at(r["quarantine_until_s"]);
  return n;
}

std::optional<number_row> number_where(pqxx::work& tx, const std::string& condition,
                                       const std::string& param) {
  auto rows = tx.exec_params(std::string{"SELECT "} + number_columns +
                                 " FROM phone_numbers WHERE org_id = rm_current_org() AND " +
                                 condition + " ORDER BY created_at DESC LIMIT 1",
                             param);
  if (rows.empty()) return std::nullopt;
  return read_number(rows[0]);
}

constexpr const char* order_columns =
    "id, org_id, coalesce(requested_by, '') AS requested_by,"
    " coalesce(requested_number, '') AS requested_number, coalesce(area_code, '') AS area_code,"
    " country, coalesce(agent_id::text, '') AS agent_id, state, coalesce(e164, '') AS e164,"
    " coalesce(pn_sid, '') AS pn_sid, coalesce(phone_number_id::text, '') AS phone_number_id,"
    " coalesce(vapi_phone_number_id, '') AS vapi_phone_number_id, attempts,"
    " coalesce(error_code, '') AS error_code, coalesce(error_message, '') AS error_message,"
    " extract(epoch from created_at)::bigint AS created_at_s";

provisioning_order read_order(named_row r) {
  provisioning_order o;
  o.id = r["id"].c_str();
  o.org_id = r["org_id"].c_str();
  o.requested_by = r["requested_by"].c_str();
  o.requested_number = r["requested_number"].c_str();
  o.area_code = r["area_code"].c_str();
  o.country = r["country"].c_str();
  o.agent_id = r["agent_id"].c_str();
  o.state = dn::parse_order_state(r["state"].c_str()).value_or(dn::order_state::failed);
  o.e164 = r["e164"].c_str();
  o.pn_sid = r["pn_sid"].c_str();
  o.phone_number_id = r["phone_number_id"].c_str();
  o.vapi_phone_number_id = r["vapi_phone_number_id"].c_str();
  o.attempts = r["attempts"].as<int>();
  o.error_code = r["error_code"].c_str();
  o.error_message = r["error_message"].c_str();
  o.created_at = at(r["created_at_s"]);
  return o;
}

// (id, org_id) of each row.
std::vector<std::pair<std::string, std::string>> id_pairs(const pqxx::result& rows) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(rows.size());
  for (const named_row r : rows) out.emplace_back(r["id"].c_str(), r["org_id"].c_str());
  return out;
}

}  // namespace

// ---- numbers ------------------------------------------------------------------------------------

std::vector<number_row> list_numbers(pqxx::work& tx, bool include_released) {
  auto rows = tx.exec(std::string{"SELECT "} + number_columns +
                      " FROM phone_numbers WHERE org_id = rm_current_org()" +
                      (include_released ? "" : " AND active") + " ORDER BY created_at, id");
  std::vector<number_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_number(r));
  return out;
}

std::optional<number_row> find_number(pqxx::work& tx, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  return number_where(tx, "id = $1", id);
}

std::optional<number_row> find_active_number(pqxx::work& tx, const std::string& e164) {
  return number_where(tx, "e164 = $1 AND active", e164);
}

availability number_availability_for(pqxx::work& tx, const std::string& e164,
                                     const std::string& org_id) {
  if (!tx.exec_params("SELECT 1 FROM rm_route_by_number($1) WHERE org_id <> $2", e164, org_id)
           .empty())
    return {number_availability::taken, std::nullopt};
  const named_row q = tx.exec_params1(
      "SELECT extract(epoch from rm_number_quarantine($1, $2))::bigint AS quarantine_until_s",
      e164, org_id);
  if (auto until = optional_at(q["quarantine_until_s"]))
    return {number_availability::quarantined, until};
  return {};
}

record_result record_number(pqxx::work& tx, const std::string& org_id, const new_number& n) {
  lock_key(tx, "rm.number:" + n.e164);  // the key save_phone_mapping takes
  switch (number_availability_for(tx, n.e164, org_id).state) {
    case number_availability::taken: return {record_outcome::taken, std::nullopt};
    case number_availability::quarantined: return {record_outcome::quarantined, std::nullopt};
    case number_availability::free: break;
  }
  try {
    pqxx::subtransaction sub{tx, "record_number"};
    begun(sub);
    std::string id;
    record_outcome outcome = record_outcome::created;
    auto mine = sub.exec_params(
        "SELECT id FROM phone_numbers WHERE org_id = rm_current_org() AND e164 = $1 AND active"
        " FOR UPDATE",
        n.e164);
    if (!mine.empty()) {
      id = named_row{mine[0]}["id"].c_str();
      outcome = record_outcome::adopted;
      sub.exec_params0(
          "UPDATE phone_numbers SET provider_sid = $2,"
          " source = CASE WHEN source = 'mapped' THEN $3 ELSE source END,"
          " agent_id = coalesce($4::uuid, agent_id) WHERE id = $1",
          id, n.provider_sid, n.source, or_null(n.agent_id));
    } else {
      const named_row r = sub.exec_params1(
          "INSERT INTO phone_numbers (org_id, e164, label, provider_sid, source, status,"
          " agent_id, created_by) VALUES ($1, $2, $3, $4, $5, 'owned', $6::uuid, $7)"
          " RETURNING id",
          org_id, n.e164, n.label, or_null(n.provider_sid), n.source, or_null(n.agent_id),
          or_null(n.created_by));
      id = r["id"].c_str();
    }
    sub.commit();
    return {outcome, find_number(tx, id)};
  } catch (const pqxx::unique_violation&) {
    // Activated for another tenant by a writer that skips the number lock (the operator API).
    return {record_outcome::taken, std::nullopt};
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "RMQ01") return {record_outcome::quarantined, std::nullopt};
    throw;
  }
}

bool mark_linked(pqxx::work& tx, const std::string& id, const std::string& vapi_phone_number_id,
                 const std::string& agent_id) {
  try {
    pqxx::subtransaction sub{tx, "mark_linked"};
    begun(sub);
    sub.exec_params0(
        "UPDATE phone_numbers SET status = 'linked', vapi_phone_number_id = $2,"
        " agent_id = coalesce($3::uuid, agent_id) WHERE id = $1 AND org_id = rm_current_org()"
        " AND active",
        id, vapi_phone_number_id, or_null(agent_id));
    sub.commit();
    return true;
  } catch (const pqxx::unique_violation&) {
    return false;  // phone_numbers_active_vapi_id_unique: the id is active on another number
  }
}

void mark_released(pqxx::work& tx, const std::string& id, const std::string& user_id,
                   std::optional<domain::instant> quarantine_until, bool vapi_cleanup_pending) {
  const bool quarantined = quarantine_until.has_value();
  const std::int64_t until = quarantined ? to_epoch(*quarantine_until) : 0;
  tx.exec_params0(
      "UPDATE phone_numbers SET active = false, status = 'released', deactivated_at = now(),"
      " deactivated_by = $2, released_at = now(),"
      " quarantine_until = CASE WHEN $3::boolean THEN to_timestamp($4) END,"
      " vapi_cleanup_pending = $5 WHERE id = $1 AND org_id = rm_current_org() AND active",
      id, or_null(user_id), quarantined, until, vapi_cleanup_pending);
}

void clear_vapi_cleanup(pqxx::work& tx, const std::string& id) {
  tx.exec_params0(
      "UPDATE phone_numbers SET vapi_cleanup_pending = false WHERE id = $1"
      " AND org_id = rm_current_org()",
      id);
}

bool forwarding_points_at(pqxx::work& tx, const std::string& e164) {
  return !tx.exec_params(
                "SELECT 1 FROM hybrid_forwarding_configs WHERE org_id = rm_current_org()"
                " AND twilio_forwarding_number = $1 AND status <> 'disabled' LIMIT 1",
                e164)
              .empty();
}

// ---- orders -------------------------------------------------------------------------------------

provisioning_order create_order(pqxx::work& tx, const provisioning_order& o,
                                std::chrono::seconds lease) {
  return read_order(tx.exec_params1(
      std::string{"INSERT INTO provisioning_orders (org_id, requested_by, requested_number,"
                  " area_code, country, agent_id, lease_until) VALUES ($1, $2, $3, $4, $5,"
                  " $6::uuid, now() + make_interval(secs => $7)) RETURNING "} +
          order_columns,
      o.org_id, or_null(o.requested_by), or_null(o.requested_number), or_null(o.area_code),
      o.country, or_null(o.agent_id), static_cast<double>(lease.count())));
}

std::optional<provisioning_order> load_order(pqxx::work& tx, const std::string& id,
                                             bool for_update) {
  if (!is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"SELECT "} + order_columns +
                                 " FROM provisioning_orders WHERE id = $1"
                                 " AND org_id = rm_current_org()" +
                                 (for_update ? " FOR UPDATE" : ""),
                             id);
  if (rows.empty()) return std::nullopt;
  return read_order(rows[0]);
}

void save_order(pqxx::work& tx, const provisioning_order& o, std::chrono::seconds retry_in,
                bool release_lease) {
  tx.exec_params0(
      "UPDATE provisioning_orders SET state = $2, e164 = $3, pn_sid = $4,"
      " phone_number_id = $5::uuid, vapi_phone_number_id = $6, attempts = $7, error_code = $8,"
      " error_message = $9, next_attempt_at = now() + make_interval(secs => $10),"
      " lease_until = CASE WHEN $11::boolean THEN now() ELSE lease_until END"
      " WHERE id = $1 AND org_id = rm_current_org()",
      o.id, dn::to_string(o.state), or_null(o.e164), or_null(o.pn_sid),
      or_null(o.phone_number_id), or_null(o.vapi_phone_number_id), o.attempts,
      or_null(o.error_code), or_null(o.error_message), static_cast<double>(retry_in.count()),
      release_lease);
}

void lease_order(pqxx::work& tx, const std::string& id, std::chrono::seconds lease) {
  tx.exec_params0(
      "UPDATE provisioning_orders SET lease_until = now() + make_interval(secs => $2)"
      " WHERE id = $1 AND org_id = rm_current_org()",
      id, static_cast<double>(lease.count()));
}

bool claim_order(pqxx::work& tx, const std::string& id, std::chrono::seconds lease) {
  return !tx.exec_params(
                "UPDATE provisioning_orders SET lease_until = now() + make_interval(secs => $2)"
                " WHERE id = $1 AND org_id = rm_current_org() AND lease_until <= now()"
                " AND state IN ('pending', 'purchased', 'compensating') RETURNING id",
                id, static_cast<double>(lease.count()))
              .empty();
}

std::vector<provisioning_order> open_orders(pqxx::work& tx, int limit) {
  auto rows = tx.exec_params(std::string{"SELECT "} + order_columns +
                                 " FROM provisioning_orders WHERE org_id = rm_current_org()"
                                 " AND state IN ('pending', 'purchased', 'compensating')"
                                 " ORDER BY created_at DESC LIMIT $1",
                             limit);
  std::vector<provisioning_order> out;
  for (const auto& r : rows) out.push_back(read_order(r));
  return out;
}

agent_ref find_agent(pqxx::work& tx, const std::string& agent_id) {
  agent_ref out;
  const named_row probe = tx.exec1("SELECT to_regclass('public.agents') IS NOT NULL AS present");
  out.agents_available = probe["present"].as<bool>();
  if (!out.agents_available || !is_uuid(agent_id)) return out;
  auto rows = tx.exec_params(
      "SELECT coalesce(vapi_assistant_id, '') AS vapi_assistant_id FROM agents WHERE id = $1"
      " AND org_id = rm_current_org()",
      agent_id);
  if (rows.empty()) return out;
  out.found = true;
  out.assistant_id = named_row{rows[0]}["vapi_assistant_id"].c_str();
  return out;
}

std::vector<std::pair<std::string, std::string>> due_orders(pqxx::work& tx, int limit) {
  return id_pairs(tx.exec_params("SELECT id, org_id FROM rm_due_provisioning_orders($1)", limit));
}

std::vector<std::pair<std::string, std::string>> vapi_cleanups_due(pqxx::work& tx, int limit) {
  return id_pairs(tx.exec_params("SELECT id, org_id FROM rm_pending_vapi_cleanups($1)", limit));
}

}  // namespace rm::persistence
