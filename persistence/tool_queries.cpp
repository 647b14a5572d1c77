#include "persistence/tool_queries.hpp"

namespace rm::persistence::tools {

std::optional<vapi_tool_row> find_vapi_tool(pqxx::work& tx, const std::string& tool_name) {
  auto r = tx.exec_params(
      "SELECT tool_name, vapi_tool_id, definition_hash FROM vapi_tools WHERE tool_name = $1",
      tool_name);
  if (r.empty()) return std::nullopt;
  return vapi_tool_row{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                       r[0][2].as<std::string>()};
}

void save_vapi_tool(pqxx::work& tx, const vapi_tool_row& row) {
  tx.exec_params(
      "INSERT INTO vapi_tools (tool_name, vapi_tool_id, definition_hash) VALUES ($1, $2, $3) "
      "ON CONFLICT (tool_name) DO UPDATE SET vapi_tool_id = EXCLUDED.vapi_tool_id, "
      "definition_hash = EXCLUDED.definition_hash, updated_at = now()",
      row.tool_name, row.vapi_tool_id, row.definition_hash);
}

namespace {
std::vector<vapi_tool_row> rows_of(const pqxx::result& r) {
  std::vector<vapi_tool_row> out;
  for (const auto& row : r)
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
  return out;
}
}  // namespace

std::vector<vapi_tool_row> vapi_tools(pqxx::work& tx) {
  return rows_of(tx.exec(
      "SELECT tool_name, vapi_tool_id, definition_hash FROM vapi_tools ORDER BY tool_name"));
}

void record_org_tools(pqxx::work& tx, const std::string& org_id,
                      const std::vector<vapi_tool_row>& linked) {
  for (const auto& t : linked) {
    tx.exec_params(
        "INSERT INTO org_tools (org_id, tool_name, vapi_tool_id, definition_hash) "
        "VALUES ($1::uuid, $2, $3, $4) ON CONFLICT (org_id, tool_name) DO UPDATE SET "
        "vapi_tool_id = EXCLUDED.vapi_tool_id, definition_hash = EXCLUDED.definition_hash, "
        "linked_at = now()",
        org_id, t.tool_name, t.vapi_tool_id, t.definition_hash);
  }
}

std::vector<vapi_tool_row> org_tools(pqxx::work& tx, const std::string& org_id) {
  return rows_of(tx.exec_params(
      "SELECT tool_name, vapi_tool_id, definition_hash FROM org_tools WHERE org_id = $1::uuid "
      "ORDER BY tool_name",
      org_id));
}

std::vector<assistant_ref> assistants_with_vapi_id(pqxx::work& tx, const std::string& org_id) {
  auto r = tx.exec_params(
      "SELECT org_id::text, id::text, vapi_assistant_id FROM agents "
      "WHERE vapi_assistant_id IS NOT NULL AND ($1 = '' OR org_id = NULLIF($1, '')::uuid) "
      "ORDER BY org_id, created_at, id",
      org_id);
  std::vector<assistant_ref> out;
  for (const auto& row : r)
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
  return out;
}

void begin_tools_sync(pqxx::work& tx, const std::string& org_id, const std::string& agent_id) {
  tx.exec_params(
      "INSERT INTO agent_tool_syncs (agent_id, org_id, status, reason, attempts) "
      "VALUES ($1::uuid, $2::uuid, 'pending', NULL, 0) "
      "ON CONFLICT (agent_id) DO UPDATE SET status = 'pending', reason = NULL, attempts = 0, "
      "updated_at = now()",
      agent_id, org_id);
}

void set_tools_sync(pqxx::work& tx, const std::string& org_id, const std::string& agent_id,
                    const std::string& status, const std::string& reason, int attempts) {
  std::string why = status == "synced" ? std::string{} : reason;
  if (status == "failed" && why.empty()) why = "unknown failure";
  tx.exec_params(
      "INSERT INTO agent_tool_syncs (agent_id, org_id, status, reason, attempts, synced_at) "
      "VALUES ($1::uuid, $2::uuid, $3, NULLIF($4, ''), $5, "
      "        CASE WHEN $3 = 'synced' THEN now() END) "
      "ON CONFLICT (agent_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, "
      "attempts = EXCLUDED.attempts, "
      "synced_at = coalesce(EXCLUDED.synced_at, agent_tool_syncs.synced_at), updated_at = now()",
      agent_id, org_id, status, why, attempts);
}

namespace {
constexpr const char* sync_columns =
    "org_id::text, agent_id::text, status, coalesce(reason, ''), attempts, "
    "extract(epoch from synced_at)::bigint, extract(epoch from updated_at)::bigint";

tools_sync_row sync_row_of(const pqxx::row& r) {
  tools_sync_row out;
  out.org_id = r[0].as<std::string>();
  out.agent_id = r[1].as<std::string>();
  out.status = r[2].as<std::string>();
  out.reason = r[3].as<std::string>();
  out.attempts = r[4].as<int>();
  if (!r[5].is_null()) out.synced_at = r[5].as<std::int64_t>();
  out.updated_at = r[6].as<std::int64_t>();
  return out;
}
}  // namespace

std::optional<tools_sync_row> tools_sync_of(pqxx::work& tx, const std::string& org_id,
                                            const std::string& agent_id) {
  auto r = tx.exec_params(std::string("SELECT ") + sync_columns +
                              " FROM agent_tool_syncs WHERE agent_id = $1::uuid AND org_id = "
                              "$2::uuid",
                          agent_id, org_id);
  if (r.empty()) return std::nullopt;
  return sync_row_of(r[0]);
}

std::vector<tools_sync_row> pending_tools_syncs(pqxx::work& tx) {
  auto r = tx.exec(std::string("SELECT ") + sync_columns + " FROM rm_tool_syncs_pending()");
  std::vector<tools_sync_row> out;
  for (const auto& row : r) out.push_back(sync_row_of(row));
  return out;
}

std::map<std::string, int> pending_tools_sync_counts(pqxx::work& tx) {
  std::map<std::string, int> out;
  for (const auto& row : tx.exec("SELECT org_id::text, count(*)::int FROM rm_tool_syncs_pending() "
                                 "GROUP BY org_id"))
    out[row[0].as<std::string>()] = row[1].as<int>();
  return out;
}

}  // namespace rm::persistence::tools
