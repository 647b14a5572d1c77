// The number sagas' actor (listed from actors/interfaces.hpp): number_sweeper, a child of the root
// supervisor. It owns no state worth keeping: the sagas' state lives in provisioning_orders and
// phone_numbers (migration 007), so a restarted sweeper rebuilds its work from those rows.
//
// Behaviour: at every (re)start it runs one pass of the driver (actors/number_saga_driver.hpp,
// published in wiring by actors::number_service) at once, then one per timer (`delayed_send`):
// after each pass the next is due after the driver's interval, or sooner when a driven order asked
// to be retried sooner. Without an interval (0) it sweeps at start and on request only.
// It is spawned detached: the driver's steps block on the pool and the provider adapters.
#pragma once

#include <caf/all.hpp>

#include "actors/number_saga_driver.hpp"

namespace rm::actors {

class wiring;

using nsweep_atom = caf::atom_constant<caf::atom("nsweep")>;   // one pass now
using ntick_atom = caf::atom_constant<caf::atom("ntick")>;     // the timer's pass
using nattach_atom = caf::atom_constant<caf::atom("nattach")>; // the driver was published

using number_sweeper_actor = caf::typed_actor<
    // One pass now (sweep_now): (orders driven, Vapi cleanups done). Without a driver (no
    // number_service on this server): (0, 0).
    caf::replies_to<nsweep_atom>::with<int, int>,
    // The driver has been published in wiring (or withdrawn): pass at once if there is one.
    // Replies after that pass, so a caller can wait for the start-up pass.
    caf::replies_to<nattach_atom>::with<int, int>,
    // Its own timer; the number is the pass it was set after (older timers are ignored).
    caf::reacts_to<ntick_atom, std::uint64_t>>;

// Spawned by the root supervisor (child kind `numbers`); reads wiring::number_driver() on
// every message, so a restart or a driver published later needs nothing else.
number_sweeper_actor spawn_number_sweeper(caf::actor_system& sys,
                                          std::shared_ptr<wiring> w);

}  // namespace rm::actors
