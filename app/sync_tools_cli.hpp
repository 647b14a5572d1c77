// `ringmaster sync-tools [--org ID]` (issue 12 §4): registers the global Vapi tools at their
// current definitions (adapters/vapi/tool_sync.hpp; once for the platform key, PATCHed when a
// definition's SHA-256 changed) and links them to every existing assistant (of one tenant with
// --org) by fetch-merge-patch of model.toolIds, removing our inline model.tools. Records
// vapi_tools, org_tools and agent_tool_syncs (migration 013). Idempotent: a second run changes
// nothing and says so.
//
// Output (stdout), one line per change, then a summary:
//   tool <name>: created|adopted|updated <vapi tool id>
//   assistant <vapi id> (org <org id>, agent <agent id>): linked
//   sync-tools: <n> tools (<k> changed), <m> assistants (<l> linked, <u> already linked, <f> failed)
// Failures go to stderr ("assistant …: <reason>"). Exit 0 when everything synced, 1 otherwise.
// Runs hold a PostgreSQL advisory lock: a second run waits for the first.
//
// Vapi is called through a plain vapi::client (client_tool_api), not the adapter actors: this
// command starts no actor system, and issue 10's provider gate would buy nothing here — its
// per-tenant breakers live in the serving process's memory, so a breaker of this one-shot
// process would share no state with them, and the client's own retries (2 s, 4 s, 8 s) already
// pace it. Inside `serve` every tool request goes through the vapi adapter (actors/tools_sync.hpp).
#pragma once

#include <iosfwd>
#include <string>

#include <pqxx/pqxx>

#include "adapters/vapi/tool_sync.hpp"

namespace rm::app {

// The registry kept in vapi_tools, each find/save its own transaction on `owner` (the schema
// owner's connection), so a registration is recorded as soon as Vapi answered.
class pg_tool_store final : public vapi::tool_registry_store {
 public:
  explicit pg_tool_store(pqxx::connection& owner) : owner_(owner) {}
  std::optional<vapi::registered_tool> find(const std::string& tool_name) override;
  void save(const vapi::registered_tool& tool) override;

 private:
  pqxx::connection& owner_;
};

// `org_id` "" = every tenant. `sms_per_call`: RINGMASTER_SMS_PER_CALL (named in send_sms).
int run_sync_tools(pqxx::connection& owner, vapi::client& vapi, const std::string& org_id,
                   int sms_per_call, std::ostream& out, std::ostream& err);

}  // namespace rm::app
