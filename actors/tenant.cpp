// The tenant actor: one per organization. Booking decisions (reserve, book) are made one at a
// time in arrival order (CAF `await`), reads (check_availability) run concurrently. PostgreSQL's
// exclusion constraint stays the arbiter across processes; this actor adds per-tenant ordering,
// the hold-expiry timer and the calendar lookups.
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "actors/booking.hpp"
#include "actors/db_call.hpp"
#include "adapters/metrics/metrics.hpp"
#include "domain/google_calendar.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

// Busy intervals of a window of time, as read from the calendar adapter.
struct cached_busy {
  domain::busy_interval window;
  std::vector<domain::busy_interval> busy;
  domain::instant loaded_at;
};

// How far ahead one calendar read reaches: the weeks callers ask about.
constexpr auto cache_ahead = std::chrono::hours(24 * 62);

struct tenant_state {
  persistence::tenant_record record;
  std::int64_t timer_due = 0;  // epoch seconds of the armed expiry timer, 0 = none
  // check_availability answers from here while fresh (wiring::times.availability_cache_ttl);
  // every booking decision, hold expiry or settings change of this tenant clears it.
  std::optional<cached_busy> cache;
  // The clinic's Google Calendar busy time as the google actor last read it (gbusy; empty when
  // not linked or the link broke): joined to the local busy intervals of every tool call.
  std::vector<domain::busy_interval> google_busy;
  metrics::live_token live{metrics::live::tenants};  // ringmaster_live_tenant_actors
  static inline const char* name = "tenant";
};
using tenant_ptr = tenant_actor::stateful_pointer<tenant_state>;

// Arms the hold-expiry timer for `due` (epoch s) unless an earlier one is already armed.
void arm_expiry(tenant_ptr self, const wiring_ptr& w, std::int64_t due) {
  auto& st = self->state;
  if (due == 0 || (st.timer_due != 0 && st.timer_due <= due)) return;
  st.timer_due = due;
  auto now = persistence::to_epoch(w->now());
  auto delay = std::chrono::seconds(std::max<std::int64_t>(0, due - now));
  self->delayed_send(self, delay, expire_atom::value);
}

bool is_mutating(const std::string& tool) {
  return tool == "reserve_slot" || tool == "book_appointment";
}

// The reply when the calendar or the database failed: the sentence the assistant reads (wire
// text, unchanged) with the failure's detail, and its kind.
tenant_tool_reply unavailable(const std::string& source, const caf::error& err) {
  tenant_tool_reply r;
  r.outcome = {"the booking system is unavailable right now, please try again (" + source +
                   describe(err) + ")",
               true};
  r.failure = ec_of(err).value_or(ec::unavailable);
  return r;
}

std::vector<domain::busy_interval> to_intervals(const busy_list& busy) {
  std::vector<domain::busy_interval> out;
  for (std::size_t i = 0; i < busy.starts.size(); ++i)
    out.push_back({persistence::from_epoch(busy.starts[i]), persistence::from_epoch(busy.ends[i])});
  return out;
}

// check_availability: from the cached busy intervals of that date when fresh, else from the
// calendar adapter (then cached). No database write on this path: the call actor stores the
// result write-behind (store_behind).
void check_availability(tenant_ptr self, const wiring_ptr& w, const tenant_tool_call& call,
                        caf::typed_response_promise<tenant_tool_reply> rp) {
  tenant_tool_reply error;
  auto date = booking::availability_date(call.request, &error);
  if (!date) {
    rp.deliver(error);
    return;
  }
  auto now = w->now();
  auto answer = [=](const std::vector<domain::busy_interval>& busy) mutable {
    auto reply = booking::availability(self->state.record, *date,
                                       domain::google::join_busy(busy, self->state.google_busy),
                                       now);
    reply.store_behind = true;
    rp.deliver(std::move(reply));
  };
  auto needed = booking::busy_window(self->state.record, call.request, now);
  auto& cache = self->state.cache;
  if (cache && now - cache->loaded_at < w->times.availability_cache_ttl &&
      cache->window.start <= needed.start && needed.end <= cache->window.end) {
    answer(cache->busy);
    return;
  }
  // One read covers the coming weeks (and the date asked for, if further out).
  domain::busy_interval window{std::min(needed.start, now - std::chrono::hours(24)),
                               std::max(needed.end, now + cache_ahead)};
  self->request(w->calendar(), w->times.db_timeout, busy_atom::value, self->state.record.id,
                persistence::to_epoch(window.start), persistence::to_epoch(window.end))
      .then(
          [=](const busy_list& list) mutable {
            auto busy = to_intervals(list);
            self->state.cache = cached_busy{window, busy, now};
            answer(busy);
          },
          [=](caf::error& err) mutable { rp.deliver(unavailable("calendar: ", err)); });
}

void run_tool(tenant_ptr self, const wiring_ptr& w, tenant_tool_call call,
              caf::typed_response_promise<tenant_tool_reply> rp) {
  if (call.request.name == "check_availability") {
    check_availability(self, w, call, rp);
    return;
  }
  auto now = w->now();
  auto window = booking::busy_window(self->state.record, call.request, now);
  bool ordered = is_mutating(call.request.name);

  auto on_busy = [=](const busy_list& busy) mutable {
    booking::context ctx;
    ctx.tenant = self->state.record;
    ctx.call_id = call.call_id;
    ctx.caller = call.caller;
    ctx.request = call.request;
    ctx.now = now;
    ctx.calendar_busy = domain::google::join_busy(to_intervals(busy), self->state.google_busy);
    auto job = [ctx](pqxx::connection& c) { return booking::run_tool(c, ctx); };
    auto done = [=](caf::expected<tenant_tool_reply> done) mutable {
      self->state.cache.reset();  // a booking decision was attempted: re-read availability
      if (!done) {
        rp.deliver(unavailable("", done.error()));
        return;
      }
      auto& reply = *done;
      if (!reply.hold_id.empty()) {
        auto minutes = self->state.record.rules.hold_minutes;
        arm_expiry(self, w, persistence::to_epoch(now) + minutes * 60);
      }
      rp.deliver(std::move(reply));
    };
    if (ordered)
      db_await<tenant_tool_reply>(self, *w, job, done);
    else
      db_then<tenant_tool_reply>(self, *w, job, done);
  };
  auto on_error = [=](caf::error& err) mutable { rp.deliver(unavailable("calendar: ", err)); };
  auto req = self->request(w->calendar(), w->times.db_timeout, busy_atom::value,
                           self->state.record.id, persistence::to_epoch(window.start),
                           persistence::to_epoch(window.end));
  if (ordered)
    req.await(on_busy, on_error);
  else
    req.then(on_busy, on_error);
}

tenant_actor::behavior_type tenant_behavior(tenant_ptr self, wiring_ptr w,
                                            persistence::tenant_record record) {
  self->state.record = std::move(record);
  // Holds left by an earlier run (or another process) still need their expiry.
  self->send(self, expire_atom::value);
  return {
      [=](tool_atom, tenant_tool_call& call) -> caf::typed_response_promise<tenant_tool_reply> {
        auto rp = self->make_response_promise<tenant_tool_reply>();
        run_tool(self, w, std::move(call), rp);
        return rp;
      },
      [=](view_atom) -> std::string {
        const auto& r = self->state.record;
        nlohmann::json j{{"id", r.id},
                         {"name", r.name},
                         {"time_zone", r.rules.time_zone},
                         {"live", true},
                         {"next_hold_expiry", self->state.timer_due}};
        return j.dump();
      },
      [=](gbusy_atom, const busy_list& busy) { self->state.google_busy = to_intervals(busy); },
      [=](changed_atom, persistence::tenant_record& record) {
        self->state.record = std::move(record);
        self->state.cache.reset();
      },
      [=](expire_atom) {
        self->state.timer_due = 0;
        self->state.cache.reset();
        auto org = self->state.record.id;
        auto now = w->now();
        db_then<std::int64_t>(
            self, *w,
            [org, now](pqxx::connection& c) { return booking::expire_due_holds(c, org, now); },
            [=](caf::expected<std::int64_t> next) {
              if (!next) {  // try again in a minute rather than leave holds behind
                arm_expiry(self, w, persistence::to_epoch(w->now()) + 60);
                return;
              }
              arm_expiry(self, w, *next);
            });
      },
  };
}

}  // namespace

tenant_actor spawn_tenant(caf::actor_system& sys, wiring_ptr w,
                          persistence::tenant_record record) {
  return sys.spawn(tenant_behavior, std::move(w), std::move(record));
}

}  // namespace rm::actors
