// Spawning every actor. The behaviours and their state structs stay private to their .cpp files;
// parents monitor what they spawn (supervision by monitor + re-spawn, see supervisor.cpp).
#pragma once

#include <string>

#include "actors/interfaces.hpp"
#include "actors/wiring.hpp"

namespace rm::calls {
struct loaded_call;  // actors/call_store.hpp
}

namespace rm::actors {

// ---- adapters (adapters.cpp) ----
// A pool of `workers` connections to `database_url`. `detached` false runs workers on the
// scheduler (deterministic actor tests); production always uses detached workers, so blocking
// libpqxx calls never starve the scheduler. Each connection does `SET ROLE runtime_role` first
// (the role row-level security applies to); "" when the URL already logs in as that role.
db_actor spawn_db_pool(caf::actor_system& sys, std::string database_url, std::size_t workers,
                       bool detached = true, std::string runtime_role = "ringmaster_app");
// ---- provider adapters (provider_adapters.cpp) and their gate (provider_gate.cpp) ----
// Twilio REST: one typed message per operation, admitted by the gate (w->gate()) under the
// tenant's Twilio breaker, run on a detached worker per request. `base_url` (e.g.
// https://api.twilio.com) serves the short SMS form; the other messages carry their endpoint.
twilio_actor spawn_twilio(caf::actor_system& sys, std::string base_url, wiring_ptr w);
// Vapi REST: the same, under the tenant's Vapi breaker (every message carries its endpoint).
vapi_actor spawn_vapi(caf::actor_system& sys, wiring_ptr w);
// E-mail over SMTP: the same, under the tenant's smtp breaker (every message carries its endpoint).
email_actor spawn_email(caf::actor_system& sys, wiring_ptr w);
// The provider gate: the per-(org_id, provider) circuit breakers (admit / outcome).
provider_gate_actor spawn_provider_gate(caf::actor_system& sys, wiring_ptr w);
// The local PostgreSQL calendar (appointments table).
calendar_actor spawn_local_calendar(caf::actor_system& sys, wiring_ptr w);
// The write-behind log of read-only tool results.
tool_log_actor spawn_tool_log(caf::actor_system& sys, wiring_ptr w);

// The group committer of the calls' lifecycle events (journal.cpp, journal_interfaces.hpp): its
// batches run on the pool (w->db()).
journal_actor spawn_journal(caf::actor_system& sys, wiring_ptr w);

// ---- tenants (tenant.cpp, directory.cpp) ----
tenant_actor spawn_tenant(caf::actor_system& sys, wiring_ptr w, persistence::tenant_record record);
directory_actor spawn_directory(caf::actor_system& sys, wiring_ptr w);
// LISTEN rm_calendar on its own connection to `database_url` → (reload, org_id) to the directory
// (calendar_notices.cpp; a detached actor).
calendar_notices_actor spawn_calendar_notices(caf::actor_system& sys, wiring_ptr w,
                                              std::string database_url);

// ---- calls (call.cpp, call_registry.cpp) ----
// With `preloaded` (start-up recovery: calls::load_unfinished) the actor starts from it without
// a load of its own; otherwise its first message loads it (an event: in the same journal entry
// as the event), or, with `identity.org_id` empty, it loads at once.
call_actor spawn_call(caf::actor_system& sys, wiring_ptr w, persistence::call_identity identity,
                      std::shared_ptr<const calls::loaded_call> preloaded = nullptr);
call_registry_actor spawn_call_registry(caf::actor_system& sys, wiring_ptr w);

// ---- agent provisioning (agent_saga.cpp) ----
// The agent saga (actors/agent_interfaces.hpp); it scans the agents rows once steps are
// installed (wiring::agent_steps_now at spawn, or agent_steps_atom later).
agent_saga_actor spawn_agent_saga(caf::actor_system& sys, wiring_ptr w);
// ---- the tools sync of agents (tools_sync_actor.cpp) ----
// Takes wiring::tools_sync_steps_now() at spawn (scans the pending rows when there are some).
tools_sync_actor spawn_tools_sync(caf::actor_system& sys, wiring_ptr w);

// ---- supervision (supervisor.cpp) ----
struct supervisor_settings {
  std::string database_url;
  std::size_t db_workers = 4;
  std::string twilio_base_url = "https://api.twilio.com";
  bool detached_db = true;
  std::string runtime_role = "ringmaster_app";  // "" when database_url logs in as the app role
  // Also supervise the caller-ID verification registry and housekeeper (configured by
  // wiring::verification).
  bool verification = false;
};
// Spawns the adapters, the directory and the call registry, publishes their handles in `w`,
// restarts any of them that fails, and asks the registry to rebuild unfinished calls.
// Stop it with anon_send_exit(handle, exit_reason::user_shutdown): it takes its children along.
caf::actor spawn_root_supervisor(caf::actor_system& sys, wiring_ptr w,
                                 supervisor_settings settings);

}  // namespace rm::actors
