#include "app/sync_tools_cli.hpp"

#include <ostream>

#include "persistence/tool_queries.hpp"

namespace rm::app {

namespace pt = rm::persistence::tools;

std::optional<vapi::registered_tool> pg_tool_store::find(const std::string& tool_name) {
  pqxx::work tx{owner_};
  auto row = pt::find_vapi_tool(tx, tool_name);
  tx.commit();
  if (!row) return std::nullopt;
  return vapi::registered_tool{row->tool_name, row->vapi_tool_id, row->definition_hash};
}

void pg_tool_store::save(const vapi::registered_tool& tool) {
  pqxx::work tx{owner_};
  pt::save_vapi_tool(tx, {tool.tool_name, tool.vapi_tool_id, tool.definition_hash});
  tx.commit();
}

namespace {
// One registration run at a time across processes (two runs reading an empty vapi_tools would
// both POST /tool): a session advisory lock on the owner's connection, released on every exit.
struct registration_lock {
  pqxx::connection& c;
  explicit registration_lock(pqxx::connection& conn) : c(conn) {
    pqxx::nontransaction{c}.exec("SELECT pg_advisory_lock(hashtext('ringmaster.vapi_tools'))");
  }
  ~registration_lock() {
    try {
      pqxx::nontransaction{c}.exec("SELECT pg_advisory_unlock(hashtext('ringmaster.vapi_tools'))");
    } catch (...) {
      // The connection is gone, and the session's lock with it.
    }
  }
};
}  // namespace

int run_sync_tools(pqxx::connection& owner, vapi::client& vapi, const std::string& org_id,
                   int sms_per_call, std::ostream& out, std::ostream& err) {
  registration_lock lock{owner};
  const auto definitions = vapi::global_tool_definitions(sms_per_call);
  std::vector<pt::assistant_ref> assistants;
  {
    pqxx::work tx{owner};
    assistants = pt::assistants_with_vapi_id(tx, org_id);
    tx.commit();
  }

  pg_tool_store store{owner};
  auto reg = vapi::ensure_registered(vapi, store, definitions);
  int tools_changed = 0;
  for (const auto& t : reg.tools) {
    if (t.action == vapi::tool_action::unchanged) continue;
    ++tools_changed;
    out << "tool " << t.tool_name << ": " << vapi::to_string(t.action) << " " << t.vapi_tool_id
        << "\n";
  }
  if (!reg.ok) {
    const int status = reg.failure.error.http_status;
    err << "sync-tools: registering tool " << reg.failed_tool << " failed: "
        << (status ? "HTTP " + std::to_string(status) + " " : std::string{})
        << reg.failure.error.message << "\n";
    return 1;
  }
  std::vector<pt::vapi_tool_row> linked;
  for (const auto& t : reg.tools) {
    for (const auto& d : definitions)
      if (d.name == t.tool_name) linked.push_back({t.tool_name, t.vapi_tool_id, d.hash});
  }

  int changed = 0, unchanged = 0, failed = 0;
  for (const auto& a : assistants) {
    auto link = vapi::link_tools(vapi, a.vapi_assistant_id, reg.ids());
    pqxx::work tx{owner};
    if (link.ok) {
      pt::record_org_tools(tx, a.org_id, linked);
      pt::set_tools_sync(tx, a.org_id, a.agent_id, "synced");
      if (link.changed) {
        ++changed;
        out << "assistant " << a.vapi_assistant_id << " (org " << a.org_id << ", agent "
            << a.agent_id << "): linked\n";
      } else {
        ++unchanged;
      }
    } else {
      ++failed;
      std::string reason = link.failure.error.message;
      if (link.failure.error.http_status)
        reason = "HTTP " + std::to_string(link.failure.error.http_status) + " " + reason;
      if (reason.empty()) reason = "unknown failure";
      pt::set_tools_sync(tx, a.org_id, a.agent_id, "failed", reason);
      err << "assistant " << a.vapi_assistant_id << " (org " << a.org_id << ", agent "
          << a.agent_id << "): " << reason << "\n";
    }
    tx.commit();
  }
  out << "sync-tools: " << definitions.size() << " tools (" << tools_changed << " changed), "
      << assistants.size() << " assistants (" << changed << " linked, " << unchanged
      << " already linked, " << failed << " failed)\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace rm::app
