// The tenants' calendars as immutable snapshots, published by each tenant actor (the only
// writer of its own) and read by HTTP workers, so a read-only tool (check_availability, Vapi and
// legacy) is answered on the worker's own thread with no message to any actor (issue 13 §2, §4).
// No CAF here.
//
// Contract:
// - A tenant actor publishes a new snapshot after every change of its memory (a load, its own
//   reserve or book, a pruned hold, new rules, Google busy time) and before it answers the tool
//   call that made the change, so a caller that held a slot sees it taken in its next check.
// - A snapshot is never changed once published (readers keep theirs while a newer one replaces
//   it). Holds are kept with their hold_expires_at and compared with the reader's clock, so an
//   expired hold frees its slot without a new snapshot.
// - A snapshot lags the database exactly as the tenant actor's memory does: its own mutations at
//   once; the tenant API's changes and another instance's after the reload they trigger (within
//   a second). PostgreSQL stays the arbiter of reserve and book; a read never decides anything.
// - When the actor stops, its snapshot is withdrawn (only its own: a successor's stays), and
//   readers fall back to asking the actor, which loads and publishes again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/messages.hpp"
#include "domain/calendar.hpp"
#include "persistence/records.hpp"

namespace rm::actors {

// One tenant's calendar at one moment: its rules, every held and booked interval within `window`
// (UTC), and the clinic's Google busy time.
struct calendar_snapshot {
  struct entry {
    domain::instant start;  // UTC
    domain::instant end;    // blocked_until (buffer included), UTC
    std::optional<domain::instant> hold_expires_at;  // a hold blocks only until then
  };
  persistence::tenant_record record;
  domain::busy_interval window{};  // what `entries` covers
  std::vector<entry> entries;      // sorted by start
  std::vector<domain::busy_interval> google_busy;
  std::uint64_t owner = 0;  // the publishing actor instance (see calendar_board::withdraw)
};

// The busy intervals of `snap` overlapping `within` at `now` (live holds and bookings, sorted by
// start), joined with the Google busy time. The one definition both the tenant actor (reserve
// refusals) and the readers use.
std::vector<domain::busy_interval> busy_at(const calendar_snapshot& snap,
                                           domain::busy_interval within, domain::instant now);

// check_availability answered from `snap`: the reply (an error naming a missing or malformed
// `date`, or the free slots of that tenant-local date, store_behind = true), or nullopt when the
// snapshot does not cover the date's window (the tenant actor must widen its memory first).
std::optional<tenant_tool_reply> check_from(const calendar_snapshot& snap,
                                            const tool_request& request, domain::instant now);

class calendar_board {
 public:
  // The current snapshot of `org_id`, or null when no tenant actor has published one.
  std::shared_ptr<const calendar_snapshot> find(const std::string& org_id) const;
  void publish(const std::string& org_id, std::shared_ptr<const calendar_snapshot> snap);
  // Removes `org_id`'s snapshot if `owner` published it.
  void withdraw(const std::string& org_id, std::uint64_t owner);
  // A fresh owner id for a tenant actor instance.
  std::uint64_t next_owner();
  std::size_t size() const;

 private:
  mutable std::shared_mutex m_;
  std::unordered_map<std::string, std::shared_ptr<const calendar_snapshot>> by_org_;
  std::uint64_t owners_ = 0;
};

}  // namespace rm::actors
