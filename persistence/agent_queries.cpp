// SQL behind agent_queries.hpp, sections "notifications" and "agents"; campaigns and call-back
// are in agent_queries_campaigns.cpp. Every statement filters on rm_current_org() as well as
// relying on row-level security (see tenant_queries.cpp for why). Readers take columns by name.
#include "persistence/agent_queries.hpp"

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::named_row;
using detail::optional_at;
using detail::or_null;
using detail::text;

// ---- notifications ----

// Epoch-second instants are aliased *_s so that they never shadow the timestamptz columns
// (ORDER BY created_at must still sort by the full timestamp).
constexpr const char* notification_columns =
    "id, kind, severity, subject_type, subject_id, message,"
    " extract(epoch from created_at)::bigint AS created_at_s,"
    " extract(epoch from read_at)::bigint AS read_at_s, read_by";

notification read_notification(named_row r) {
  return {r["id"].c_str(),         r["kind"].c_str(),       r["severity"].c_str(),
          r["subject_type"].c_str(), r["subject_id"].c_str(), r["message"].c_str(),
          at(r["created_at_s"]),   optional_at(r["read_at_s"]), text(r["read_by"])};
}

// ---- agents ----

constexpr const char* agent_columns =
    "a.id, a.org_id, a.name, a.language, coalesce(a.area_code, '') AS area_code,"
    " a.provision_phone, coalesce(a.vapi_assistant_id, '') AS vapi_assistant_id,"
    " coalesce(a.phone_number_id::text, '') AS phone_number_id,"
    " coalesce(p.e164, '') AS phone_number, a.status, coalesce(a.failed_step, '') AS failed_step,"
    " coalesce(a.error_message, '') AS error_message, a.attempts,"
    " coalesce(a.created_by, '') AS created_by,"
    " extract(epoch from a.created_at)::bigint AS created_at_s,"
    " extract(epoch from a.updated_at)::bigint AS updated_at_s";
constexpr const char* agent_from =
    " FROM agents a LEFT JOIN phone_numbers p ON p.id = a.phone_number_id"
    " AND p.org_id = a.org_id";

agent_row read_agent(named_row r) {
  agent_row a;
  a.id = r["id"].c_str();
  a.org_id = r["org_id"].c_str();
  a.name = r["name"].c_str();
  a.language = r["language"].c_str();
  a.area_code = r["area_code"].c_str();
  a.provision_phone = r["provision_phone"].as<bool>();
  a.vapi_assistant_id = r["vapi_assistant_id"].c_str();
  a.phone_number_id = r["phone_number_id"].c_str();
  a.phone_number = r["phone_number"].c_str();
  a.status = r["status"].c_str();
  a.failed_step = r["failed_step"].c_str();
  a.error_message = r["error_message"].c_str();
  a.attempts = r["attempts"].as<int>();
  a.created_by = r["created_by"].c_str();
  a.created_at = at(r["created_at_s"]);
  a.updated_at = at(r["updated_at_s"]);
  return a;
}

}  // namespace

// ---- notifications ------------------------------------------------------------------------------

std::string notify_admins(pqxx::work& tx, const std::string& org_id, const std::string& kind,
                          const std::string& severity, const std::string& subject_type,
                          const std::string& subject_id, const std::string& message) {
  const named_row r = tx.exec_params1(
      "INSERT INTO org_notifications (org_id, kind, severity, subject_type, subject_id, message)"
      " VALUES ($1, $2, $3, $4, $5, left($6, 2000)) RETURNING id",
      org_id, kind, severity, subject_type, subject_id, message);
  return r["id"].c_str();
}

std::vector<notification> list_notifications(pqxx::work& tx, bool unread_only, int limit) {
  auto rows = tx.exec_params(std::string{"SELECT "} + notification_columns +
                                 " FROM org_notifications WHERE org_id = rm_current_org()"
                                 " AND ($1 = false OR read_at IS NULL)"
                                 " ORDER BY created_at DESC, id LIMIT $2",
                             unread_only, limit);
  std::vector<notification> out;
  for (const auto& r : rows) out.push_back(read_notification(r));
  return out;
}

std::optional<notification> mark_notification_read(pqxx::work& tx, const std::string& id,
                                                   const std::string& user_id) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(
      std::string{"UPDATE org_notifications SET read_at = coalesce(read_at, now()),"
                  " read_by = coalesce(read_by, $2)"
                  " WHERE id = $1 AND org_id = rm_current_org() RETURNING "} +
          notification_columns,
      id, user_id);
  if (rows.empty()) return std::nullopt;
  return read_notification(rows[0]);
}

// ---- agents -------------------------------------------------------------------------------------

agent_row insert_agent(pqxx::work& tx, const std::string& org_id, const std::string& user_id,
                       const new_agent& a) {
  const named_row r = tx.exec_params1(
      "INSERT INTO agents (org_id, name, language, area_code, provision_phone,"
      " created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      org_id, a.name, a.language, or_null(a.area_code), a.provision_phone, or_null(user_id));
  return *load_agent(tx, r["id"].c_str());
}

std::optional<agent_row> load_agent(pqxx::work& tx, const std::string& id, bool for_update) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"SELECT "} + agent_columns + agent_from +
                                 " WHERE a.id = $1 AND a.org_id = rm_current_org()" +
                                 (for_update ? " FOR UPDATE OF a" : ""),
                             id);
  if (rows.empty()) return std::nullopt;
  return read_agent(rows[0]);
}

std::vector<agent_row> list_agents(pqxx::work& tx) {
  auto rows = tx.exec(std::string{"SELECT "} + agent_columns + agent_from +
                      " WHERE a.org_id = rm_current_org() ORDER BY a.created_at, a.id");
  std::vector<agent_row> out;
  for (const auto& r : rows) out.push_back(read_agent(r));
  return out;
}

void agent_assistant_created(pqxx::work& tx, const std::string& id,
                             const std::string& assistant_id) {
  tx.exec_params0("UPDATE agents SET vapi_assistant_id = $2 WHERE id = $1"
                  " AND org_id = rm_current_org()",
                  id, assistant_id);
}

void agent_number_linked(pqxx::work& tx, const std::string& id,
                         const std::string& phone_number_id) {
  tx.exec_params0("UPDATE agents SET phone_number_id = $2 WHERE id = $1"
                  " AND org_id = rm_current_org()",
                  id, phone_number_id);
}

void agent_ready(pqxx::work& tx, const std::string& id) {
  tx.exec_params0("UPDATE agents SET status = 'ready', failed_step = NULL, error_message = NULL"
                  " WHERE id = $1 AND org_id = rm_current_org()",
                  id);
}

void agent_failed(pqxx::work& tx, const std::string& id, const std::string& step,
                  const std::string& message) {
  tx.exec_params0("UPDATE agents SET status = 'failed', failed_step = $2, error_message = $3"
                  " WHERE id = $1 AND org_id = rm_current_org()",
                  id, step, message);
}

agent_number_state agent_numbers(pqxx::work& tx, const std::string& agent_id) {
  agent_number_state out;
  if (!domain::is_uuid(agent_id)) return out;
  for (const named_row r : tx.exec_params(
           "SELECT id, status, e164 FROM phone_numbers WHERE agent_id = $1"
           " AND org_id = rm_current_org() AND active ORDER BY created_at, e164",
           agent_id)) {
    if (std::string{r["status"].c_str()} == "linked") {
      if (out.linked_id.empty()) out.linked_id = r["id"].c_str();
    } else if (out.pending_id.empty()) {
      out.pending_id = r["id"].c_str();
      out.pending_e164 = r["e164"].c_str();
    }
  }
  out.open_order = !tx.exec_params("SELECT 1 FROM provisioning_orders WHERE agent_id = $1"
                                   " AND org_id = rm_current_org()"
                                   " AND state IN ('pending', 'purchased', 'compensating')"
                                   " LIMIT 1",
                                   agent_id)
                        .empty();
  return out;
}

retry_outcome begin_agent_retry(pqxx::work& tx, const std::string& id, int stale_seconds,
                                agent_row& out) {
  auto row = load_agent(tx, id, true);
  if (!row) return retry_outcome::not_found;
  auto rows = tx.exec_params(
      "UPDATE agents SET status = 'creating', failed_step = NULL, error_message = NULL,"
      " attempts = attempts + 1 WHERE id = $1 AND org_id = rm_current_org()"
      " AND (status = 'failed' OR (status = 'creating'"
      "      AND updated_at < now() - make_interval(secs => $2)))"
      " RETURNING id",
      id, stale_seconds);
  if (rows.empty()) {
    out = *row;
    return retry_outcome::not_retryable;
  }
  out = *load_agent(tx, id);
  return retry_outcome::started;
}

std::string org_name(pqxx::work& tx) {
  auto rows = tx.exec("SELECT name FROM organizations WHERE id = rm_current_org()");
  return rows.empty() ? std::string{} : named_row{rows[0]}["name"].c_str();
}

bool adopt_default_assistant(pqxx::work& tx, const std::string& assistant_id) {
  auto rows = tx.exec_params(
      "UPDATE organizations SET assistant_id = $1 WHERE id = rm_current_org()"
      " AND assistant_id = '' RETURNING id",
      assistant_id);
  return !rows.empty();
}

}  // namespace rm::persistence
