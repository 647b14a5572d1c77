// The agent saga actor (agent provisioning, actors/agent_provisioning.hpp): its messages and
// handle. Listed from actors/interfaces.hpp; spawned by the root supervisor (child kind agents).
//
// One actor for every agent being created. It runs each attempt (the blocking steps of
// agent_steps) on a detached worker of its own, answers the requests that started it with the
// attempt's outcome, and drives what follows with timers (delayed_send): a failed attempt is
// retried after backoff × 2^(attempts-1) while attempts < max_attempts; at start (and when the
// HTTP server installs its steps) it reads the agents rows (rm_agents_to_resume, any tenant) and
// schedules every creating agent (taken over once stale) and failed agent with attempts left.
// Nothing lives only in its memory: killed and restarted, it resumes from the rows.
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/agent_provisioning.hpp"

namespace rm::actors {

using agent_start_atom = caf::atom_constant<caf::atom("agstart")>;
using agent_retry_atom = caf::atom_constant<caf::atom("agretry")>;
using agent_tick_atom = caf::atom_constant<caf::atom("agtick")>;
using agent_scan_atom = caf::atom_constant<caf::atom("agscan")>;
using agent_steps_atom = caf::atom_constant<caf::atom("agsteps")>;

// The steps the saga runs (installed by the HTTP server; null = none yet: requests then answer
// ec::not_configured and the rows wait).
struct agent_steps_ref {
  std::shared_ptr<agent_steps> steps;
};

using agent_saga_actor = caf::typed_actor<
    // Run the steps of a freshly inserted "creating" agent (org_id, user_id, agent_id); replies
    // with the attempt's outcome (ready or failed, already recorded in the row).
    caf::replies_to<agent_start_atom, std::string, std::string, std::string>::with<agent_outcome>,
    // A request's retry (org_id, user_id, agent_id): agent_steps::retry's outcome.
    caf::replies_to<agent_retry_atom, std::string, std::string, std::string>::with<agent_outcome>,
    // self-sent timer: the automatic attempt of one agent (org_id, agent_id) is due.
    caf::reacts_to<agent_tick_atom, std::string, std::string>,
    // read the rows and schedule every agent that needs an attempt.
    caf::reacts_to<agent_scan_atom>,
    // (un)install the steps: the saga keeps them and scans.
    caf::reacts_to<agent_steps_atom, agent_steps_ref>>;

}  // namespace rm::actors

namespace rm::actors {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_outcome&) {
  return f(caf::meta::type_name("agent_outcome"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_steps_ref&) {
  return f(caf::meta::type_name("agent_steps_ref"));
}
}  // namespace rm::actors
