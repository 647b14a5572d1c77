// The outbox actor (listed from actors/interfaces.hpp): a child of the root supervisor that sends
// every message_outbox row (migration 011) exactly once — automatic appointment reminders, which
// it also schedules, and hot-lead alerts (written by the call's scoring step). It keeps no state
// worth keeping: the rows are the state (persistence/outbox_queries.hpp), so a restarted actor,
// a restarted process or a second instance on the same database simply carries on from them.
//
// Each pass (at start, then `poll` after the previous pass ended, and on request):
//   1. schedule_reminders (booked appointments whose reminder time has come; one row each);
//   2. due_rows (pending and due, or sending with an expired lease), then per row, at most
//      `max_in_flight` rows at once: claim (its own transaction: lease, attempts + 1, audit row)
//      → for a row whose previous sender died (lease ran out): RECONCILE — Twilio's Message list
//      (To, From) for a message with this body created after that claim; found → sent with that
//      sid; not found → send → finish sent / refused (retried with backoff, failed after
//      max_attempts + an org notification) / uncertain (no answer: reconciled by the next claim).
// The send makes ONE HTTP attempt (the client's retry could send twice after a lost answer; the
// reconcile is the retry). A send's worst-case time (list + POST, each ≤ lease / 3) stays under
// the lease, so a live sender's message is recorded at Twilio before anyone else may reconcile.
// Database work goes through the db pool (db_then), Twilio through the twilio adapter actor
// (the tenant's breaker applies); the actor itself never blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/all.hpp>

#include "persistence/outbox_queries.hpp"

namespace rm::actors {

using opoll_atom = caf::atom_constant<caf::atom("opoll")>;  // one pass now
using otick_atom = caf::atom_constant<caf::atom("otick")>;  // the timer's pass

struct outbox_config {
  // RINGMASTER_OUTBOX_POLL_MS: the pause between passes; 0 = no timer (passes on request only;
  // the in-process test service's default, so its tests see no unexpected SMS).
  std::chrono::milliseconds poll{0};
  persistence::outbox::settings rows;  // lease, attempts, backoff, batch
  int max_in_flight = 4;               // rows being sent at once
  std::string twilio_base_url = "https://api.twilio.com";
};

using outbox_actor = caf::typed_actor<
    // One pass now; answers when it is over (a pass already running is followed by one more):
    // (reminders scheduled, rows sent, rows settled otherwise — refused, failed, cancelled,
    // uncertain).
    caf::replies_to<opoll_atom>::with<int, int, int>,
    // Its own timer; the number is the pass it was set after (older timers are ignored).
    caf::reacts_to<otick_atom, std::uint64_t>>;

class wiring;
// Spawned by the root supervisor (child kind `outbox`) with wiring::outbox.
outbox_actor spawn_outbox(caf::actor_system& sys, std::shared_ptr<wiring> w);

}  // namespace rm::actors
