// The tools sync actor (actors/tools_sync.hpp: what a sync does and where its state lives): its
// messages and handle. Listed from actors/interfaces.hpp; spawned by the root supervisor (child
// kind tools_sync) and restarted by it (one-for-one) — a restarted actor takes its steps from
// wiring::tools_sync_steps_now() and rescans the pending rows.
//
// One actor for every tenant's agents. It runs ONE attempt at a time, on a detached worker of
// its own: registrations of the global tools are never raced inside the process (two agents
// saved together never POST the same tool twice). Waiting agents queue in arrival order (each
// at most once); a retry is a timer (delayed_send of tsync_atom after the attempt's retry_in).
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/tools_sync.hpp"

namespace rm::actors {

using tsync_atom = caf::atom_constant<caf::atom("tsync")>;
using tsync_scan_atom = caf::atom_constant<caf::atom("tsyncscan")>;
using tsync_steps_atom = caf::atom_constant<caf::atom("tsyncsteps")>;

struct tools_sync_steps_ref {
  std::shared_ptr<tools_sync_steps> steps;
};

using tools_sync_actor = caf::typed_actor<
    // An agent's pending sync (org_id, agent_id) should run: queued unless already queued.
    caf::reacts_to<tsync_atom, std::string, std::string>,
    // Read the pending rows (any tenant) and schedule each when due.
    caf::reacts_to<tsync_scan_atom>,
    // (Un)install the steps; the actor keeps them and scans.
    caf::reacts_to<tsync_steps_atom, tools_sync_steps_ref>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tools_sync_steps_ref&) {
  return f(caf::meta::type_name("tools_sync_steps_ref"));
}

}  // namespace rm::actors
