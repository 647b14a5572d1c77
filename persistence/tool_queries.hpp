// Global Vapi tools (migration 013_global_tools.sql; adapters/vapi/tool_sync.hpp): the platform's
// registrations (vapi_tools, schema owner only), which tool each tenant links (org_tools) and
// each agent's tools sync (agent_tool_syncs). No Vapi calls here.
//
// vapi_tools (no tenant data, no RLS) is read and written by the owner (the CLI) and by
// ringmaster_app (the service's tools sync actor). The org_tools / agent_tool_syncs functions
// work as the owner (any org_id) or as ringmaster_app after set_tenant (RLS: only that tenant's
// rows).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace rm::persistence::tools {

struct vapi_tool_row {
  std::string tool_name;
  std::string vapi_tool_id;
  std::string definition_hash;  // 64 lower-case hex digits (SHA-256)
};

std::optional<vapi_tool_row> find_vapi_tool(pqxx::work& tx, const std::string& tool_name);
// Insert or replace by tool_name.
void save_vapi_tool(pqxx::work& tx, const vapi_tool_row& row);
std::vector<vapi_tool_row> vapi_tools(pqxx::work& tx);  // by tool_name

// Records that `org_id`'s assistants link these tools (insert or replace per (org, tool)).
void record_org_tools(pqxx::work& tx, const std::string& org_id,
                      const std::vector<vapi_tool_row>& linked);
std::vector<vapi_tool_row> org_tools(pqxx::work& tx, const std::string& org_id);  // by tool_name

// An agent whose assistant exists in Vapi.
struct assistant_ref {
  std::string org_id, agent_id, vapi_assistant_id;
};
// Every such agent (of `org_id`, or of every tenant when it is ""), by org then creation.
std::vector<assistant_ref> assistants_with_vapi_id(pqxx::work& tx, const std::string& org_id);

struct tools_sync_row {
  std::string org_id, agent_id;
  std::string status;  // pending | synced | failed
  std::string reason;  // failed: why; pending: the last attempt's failure ("" before any)
  int attempts = 0;    // Vapi attempts of the current sync (0 = none yet)
  std::optional<std::int64_t> synced_at;  // Unix seconds of the last `synced` end
  std::int64_t updated_at = 0;            // Unix seconds of the last change
};
// A new sync is wanted (an agent saved): pending, attempts 0, no reason; synced_at kept.
void begin_tools_sync(pqxx::work& tx, const std::string& org_id, const std::string& agent_id);
// Records the state after attempt number `attempts` (absolute): pending (a retry is due; reason
// = the failure), synced (synced_at = now(), reason cleared) or failed (reason required).
void set_tools_sync(pqxx::work& tx, const std::string& org_id, const std::string& agent_id,
                    const std::string& status, const std::string& reason = "",
                    int attempts = 1);
std::optional<tools_sync_row> tools_sync_of(pqxx::work& tx, const std::string& org_id,
                                            const std::string& agent_id);

// Every pending sync of every tenant, oldest first (SECURITY DEFINER rm_tool_syncs_pending,
// migration 013: the sync actor resumes them at start, running as ringmaster_app).
std::vector<tools_sync_row> pending_tools_syncs(pqxx::work& tx);
// org_id → number of pending syncs, for GET /sessions/tenants (tenants without any absent).
std::map<std::string, int> pending_tools_sync_counts(pqxx::work& tx);

}  // namespace rm::persistence::tools
