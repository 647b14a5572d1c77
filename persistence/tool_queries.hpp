// Global Vapi tools (migration 012 "global-tools"; adapters/vapi/tool_sync.hpp): the platform's
// registrations (vapi_tools, schema owner only), which tool each tenant links (org_tools) and
// each agent's tools sync (agent_tool_syncs). No Vapi calls here.
//
// vapi_tools functions need the schema owner's transaction (ringmaster_app has no grant). The
// org_tools / agent_tool_syncs functions work as the owner (any org_id) or as ringmaster_app
// after set_tenant (RLS: only that tenant's rows).
#pragma once

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
  std::string status;  // pending | synced | failed
  std::string reason;  // when failed
  int attempts = 0;    // attempts finished (synced or failed)
};
// pending: a sync is wanted (attempts kept); synced / failed: an attempt ended (attempts + 1).
void set_tools_sync(pqxx::work& tx, const std::string& org_id, const std::string& agent_id,
                    const std::string& status, const std::string& reason = "");
std::optional<tools_sync_row> tools_sync_of(pqxx::work& tx, const std::string& org_id,
                                            const std::string& agent_id);

}  // namespace rm::persistence::tools
