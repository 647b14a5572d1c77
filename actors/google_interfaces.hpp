// The google actor (listed from actors/interfaces.hpp): the Google Calendar adapter, a child of the
// root supervisor. Every Google request of the service goes through it or through its blocking
// port (actors/google_port.hpp), each admitted by the provider gate under the tenant's `google`
// breaker and its outcome reported back (transport, 429, 5xx = failure).
//
// Detached (its own thread: its passes block on Google and on the database pool). A pass — at
// start, every `refresh` (RINGMASTER_GOOGLE_REFRESH_MS), and on gpoll:
//   1. per linked clinic (rm_google_linked_orgs): an access token from its memory, refreshed
//      before expiry (domain::google::token_needs_refresh; this one thread is the only refresher,
//      so there is one refresh at a time per clinic and whoever needs the token next waits for
//      it); invalid_grant → the link is marked broken (+ a notification) and the clinic's Google
//      busy time is withdrawn from its tenant actor (local calendar only);
//   2. freeBusy of the link's calendar over [now − 1 day, now + horizon) → pushed to the tenant
//      actor (gbusy), which joins it to its own busy intervals for check_availability, reserve
//      and book; a tool call never waits for Google. A failed read keeps the last busy time;
//   3. the event queue (google_event_syncs, persistence/google_queries.hpp): each due row claimed
//      with a lease, inserted with its client-chosen id (409 = already there = done) or deleted
//      (404/410 = done); a failure goes back to pending with domain::google::sync_backoff.
// The rows are the state: a restarted actor or process carries on from them; only access tokens
// and the last busy time live in memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/all.hpp>

#include "adapters/google/google_client.hpp"

namespace rm::actors {

using gpoll_atom = caf::atom_constant<caf::atom("gpoll")>;      // one pass now
using gtick_atom = caf::atom_constant<caf::atom("gtick")>;      // the timer's pass
using glink_atom = caf::atom_constant<caf::atom("glink")>;      // a link changed (org_id)
using gbusy_atom = caf::atom_constant<caf::atom("gbusy")>;      // → tenant: Google's busy time

struct google_config {
  google::endpoint endpoint;                   // "" client_id → no Google I/O at all
  std::chrono::milliseconds refresh{60000};    // RINGMASTER_GOOGLE_REFRESH_MS; 0 = gpoll only
  std::chrono::hours horizon{24 * 62};         // how far ahead freeBusy reads
  std::chrono::milliseconds lease{30000};      // an event sync's lease (> one HTTP attempt)
  int max_attempts = 8;                        // claims of one row before it is failed
  int batch = 20;                              // queue rows per pass
};

using google_actor = caf::typed_actor<
    // One pass now; answers when it is over: (clinics whose busy time was read, rows done).
    caf::replies_to<gpoll_atom>::with<int, int>,
    // Its own timer; the number is the pass it was set after (older timers are ignored).
    caf::reacts_to<gtick_atom, std::uint64_t>,
    // The clinic's link was created, replaced or deleted: forget its token, pass now.
    caf::reacts_to<glink_atom, std::string>>;

class wiring;
// Spawned by the root supervisor (child kind `google`) with wiring::google.
google_actor spawn_google(caf::actor_system& sys, std::shared_ptr<wiring> w);

}  // namespace rm::actors
