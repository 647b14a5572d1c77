// The event hub (listed from actors/interfaces.hpp): a child of the root supervisor that fans
// committed call changes out to the open live-event streams (issue 15; the types and the
// delivery contract are in actors/call_events.hpp, which has no CAF).
//
//   call actor ──(evpub, call_changed)──► event_hub ──push──► event_queue × subscribers
//                                                              (read by HTTP worker threads)
//
// - `evpub` numbers the change (wiring::event_seq: one sequence per process, so it keeps
//   growing across a restart of the hub) and pushes it to every subscriber whose org filter is
//   "" (operator: every tenant) or the change's org_id. A full queue drops that subscriber
//   (event_queue::overflow, ringmaster_event_subscribers_dropped_total); the hub never waits.
// - `evsub` registers a subscriber and answers its id once registered: every change published
//   after that answer reaches it (the stream sends `ready` only then, so the client's list read
//   that follows leaves no gap).
// - `evunsub` forgets one (the stream ended); a subscriber whose queue was closed is also
//   forgotten at the next publish.
// - When the hub stops (shutdown, or a crash before its restart) it closes every queue: those
//   streams end and their clients reconnect to the new hub.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/call_events.hpp"

namespace rm::actors {

using evpub_atom = caf::atom_constant<caf::atom("evpub")>;
using evsub_atom = caf::atom_constant<caf::atom("evsub")>;
using evunsub_atom = caf::atom_constant<caf::atom("evunsub")>;
using evcount_atom = caf::atom_constant<caf::atom("evcount")>;

// A stream asking for events: org_id "" = every tenant's calls (the operator), else only that
// tenant's.
struct event_subscriber {
  std::string org_id;
  std::shared_ptr<event_queue> queue;
};

using event_hub_actor = caf::typed_actor<
    caf::reacts_to<evpub_atom, call_changed>,
    caf::replies_to<evsub_atom, event_subscriber>::with<std::uint64_t /*subscriber id*/>,
    caf::reacts_to<evunsub_atom, std::uint64_t /*subscriber id*/>,
    // The subscribers registered now (closed ones pruned first), for tests and inspection.
    caf::replies_to<evcount_atom>::with<std::uint64_t>>;

class wiring;
// Spawned by the root supervisor (child kind `events`).
event_hub_actor spawn_event_hub(caf::actor_system& sys, std::shared_ptr<wiring> w);

}  // namespace rm::actors

namespace rm::actors {
// Local messages only (never serialised): their type names only.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_changed&) {
  return f(caf::meta::type_name("call_changed"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_subscriber&) {
  return f(caf::meta::type_name("event_subscriber"));
}
}  // namespace rm::actors
