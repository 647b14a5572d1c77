// The tenant actor: one per organization. It owns the tenant's calendar in memory — every held and
// booked interval of the booking horizon — and answers check_availability from it alone. Its own
// reserve/book transactions hand back the rows they wrote, which it applies at once; everything
// else that changes the appointments (hold expiry, the tenant API, another ringmaster instance)
// makes it reload (`changed`, `reload`: the latter from calendar_notices, LISTEN rm_calendar).
// Booking decisions (reserve, book) still go to PostgreSQL one at a time in arrival order, and
// its exclusion constraint stays the arbiter across processes; a reserve_slot that memory already
// shows cannot succeed is refused without a transaction (docs/architecture.md, State placement).
#include <algorithm>
#include <deque>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "actors/booking.hpp"
#include "actors/calendar_board.hpp"
#include "actors/db_call.hpp"
#include "adapters/metrics/metrics.hpp"
#include "domain/google_calendar.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

using promise = caf::typed_response_promise<tenant_tool_reply>;
using persistence::appointment;

constexpr auto day = std::chrono::hours(24);
// The booking horizon held in memory: yesterday (appointments in progress) to the weeks callers
// ask about. Dates beyond it widen the window on demand (one read, then memory again).
constexpr auto horizon_back = day;
constexpr auto horizon_ahead = 62 * day;
// A failed load is retried this much later (tool calls waiting for it are answered "unavailable").
constexpr auto reload_retry = std::chrono::seconds(1);

// One live row of the calendar: [start, blocked_until), buffer included; a hold blocks only
// until hold_expires_at (compared with the clock when answering, so expiry needs no write here).
struct entry {
  domain::instant start;
  domain::instant end;
  std::optional<domain::instant> hold_expires_at;
};

struct waiting_call {
  tenant_tool_call call;
  promise rp;
};

// The tenant's one lane to the database for calendar work: booking transactions and reloads
// run one at a time, so a reload never reads a snapshot older than a booking it then overwrites.
struct lane_item {
  std::optional<waiting_call> mutation;  // none: a reload
};

// This actor's entry on the calendar board: withdrawn when the actor stops, so readers ask a
// live actor again rather than trust a calendar nobody keeps current any more.
struct board_slot {
  std::shared_ptr<calendar_board> board;
  std::string org_id;
  std::uint64_t owner = 0;
  ~board_slot() {
    if (board) board->withdraw(org_id, owner);
  }
};

struct tenant_state {
  persistence::tenant_record record;
  std::int64_t timer_due = 0;  // epoch seconds of the armed expiry timer, 0 = none
  std::unordered_map<std::string, entry> calendar;  // appointment id → interval
  domain::busy_interval window{};  // what `calendar` covers (valid once loaded)
  std::optional<domain::busy_interval> wanted;  // dates asked beyond the horizon (widening)
  bool loaded = false;
  std::vector<waiting_call> waiting;  // tool calls whose dates the calendar does not cover yet
  std::deque<lane_item> lane;
  bool lane_busy = false;
  bool reload_queued = false;  // a reload waits in the lane (debounce: one in flight, one queued)
  // Those told of a change (`changed`) wait for the reload that starts after it: queued until
  // that reload starts, then answered when it ends.
  std::vector<caf::typed_response_promise<bool>> changed_queued;
  std::vector<caf::typed_response_promise<bool>> changed_reading;
  // The clinic's Google Calendar busy time as the google actor last read it (gbusy; empty when
  // not linked or the link broke): joined to the local busy intervals of every tool call.
  std::vector<domain::busy_interval> google_busy;
  // What the HTTP workers read (calendar_board): rebuilt from the above after every change.
  std::shared_ptr<const calendar_snapshot> snap;
  board_slot slot;
  metrics::live_token live{metrics::live::tenants};  // ringmaster_live_tenant_actors
  static inline const char* name = "tenant";
};
using tenant_ptr = tenant_actor::stateful_pointer<tenant_state>;

void dispatch(tenant_ptr self, const wiring_ptr& w, waiting_call wc, bool after_load);
void pump(tenant_ptr self, const wiring_ptr& w);

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

void apply(tenant_state& st, const appointment& a) {
  using s = persistence::appointment_status;
  if (a.status == s::held || a.status == s::booked)
    st.calendar[a.id] = entry{a.starts_at, a.blocked_until, a.hold_expires_at};
  else
    st.calendar.erase(a.id);
}

// Publishes memory as an immutable snapshot (calendar_board.hpp): for this actor's own reads and
// for the HTTP workers'. Called after every change, before the reply that follows from it.
void publish(tenant_ptr self) {
  auto& st = self->state;
  if (!st.loaded) return;
  auto snap = std::make_shared<calendar_snapshot>();
  snap->record = st.record;
  snap->window = st.window;
  snap->google_busy = st.google_busy;
  snap->owner = st.slot.owner;
  snap->entries.reserve(st.calendar.size());
  for (const auto& [id, e] : st.calendar)
    snap->entries.push_back({e.start, e.end, e.hold_expires_at});
  std::sort(snap->entries.begin(), snap->entries.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  st.snap = snap;
  st.slot.board->publish(st.record.id, std::move(snap));
}

bool covers(const tenant_state& st, domain::busy_interval needed) {
  return st.loaded && st.window.start <= needed.start && needed.end <= st.window.end;
}

void queue_reload(tenant_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  if (st.reload_queued) return;  // the queued one has not read yet: it will see this change too
  st.reload_queued = true;
  st.lane.push_back(lane_item{});
  pump(self, w);
}

// Reads the calendar of the horizon (and any dates asked beyond it) and replaces memory with it;
// then answers the tool calls that waited for it.
void run_reload(tenant_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  st.reload_queued = false;
  for (auto& rp : st.changed_queued) st.changed_reading.push_back(std::move(rp));
  st.changed_queued.clear();
  auto now = w->now();
  domain::busy_interval win{now - horizon_back, now + horizon_ahead};
  if (st.wanted) {
    win.start = std::min(win.start, st.wanted->start);
    win.end = std::max(win.end, st.wanted->end);
  }
  auto org = st.record.id;
  db_then<std::vector<appointment>>(
      self, *w,
      [org, win](pqxx::connection& c) {
        pqxx::work tx{c};
        persistence::set_tenant(tx, org);
        auto rows = persistence::blocking_between(tx, org, win.start, win.end);
        tx.commit();
        return rows;
      },
      [=](caf::expected<std::vector<appointment>> rows) {
        auto& st = self->state;
        st.lane_busy = false;
        auto waiting = std::move(st.waiting);
        st.waiting.clear();
        // Told after the new calendar is published: their next read must see it.
        auto changed = std::move(st.changed_reading);
        st.changed_reading.clear();
        if (!rows) {
          for (auto& wc : waiting) wc.rp.deliver(unavailable("calendar: ", rows.error()));
          self->delayed_send(self, reload_retry, reload_atom::value);
        } else {
          st.calendar.clear();
          for (const auto& a : *rows) apply(st, a);
          st.window = win;
          st.loaded = true;
          publish(self);
          for (auto& wc : waiting) dispatch(self, w, std::move(wc), true);
        }
        for (auto& rp : changed) rp.deliver(static_cast<bool>(rows));
        pump(self, w);
      });
}

// A booking transaction on a pool connection; its committed rows go into memory at once.
void run_mutation(tenant_ptr self, const wiring_ptr& w, waiting_call wc) {
  struct done_tx {
    tenant_tool_reply reply;
    std::vector<appointment> touched;
  };
  auto now = w->now();
  booking::context ctx;
  ctx.tenant = self->state.record;
  ctx.call_id = wc.call.call_id;
  ctx.caller = wc.call.caller;
  ctx.request = wc.call.request;
  ctx.now = now;
  ctx.calendar_busy = self->state.google_busy;  // the transaction reads PostgreSQL's own rows
  auto rp = wc.rp;
  db_then<done_tx>(
      self, *w,
      [ctx](pqxx::connection& c) {
        done_tx d;
        d.reply = booking::run_tool(c, ctx, &d.touched);
        return d;
      },
      [=](caf::expected<done_tx> done) mutable {
        auto& st = self->state;
        st.lane_busy = false;
        if (!done) {
          // Committed or not is unknown (e.g. a timeout): memory may be stale, so read it again.
          rp.deliver(unavailable("", done.error()));
          queue_reload(self, w);
          pump(self, w);
          return;
        }
        for (const auto& a : done->touched) apply(st, a);
        if (!done->touched.empty()) publish(self);
        auto& reply = done->reply;
        if (!reply.hold_id.empty()) {
          auto minutes = st.record.rules.hold_minutes;
          arm_expiry(self, w, persistence::to_epoch(now) + minutes * 60);
        }
        rp.deliver(std::move(reply));
        pump(self, w);
      });
}

// reserve_slot refused from memory when the slot is already taken or breaks a rule; nullopt when
// the transaction must decide.
std::optional<tenant_tool_reply> refusal_from_memory(tenant_ptr self, const wiring_ptr& w,
                                                     const tenant_tool_call& call) {
  if (call.request.name != "reserve_slot") return std::nullopt;
  auto now = w->now();
  auto window = booking::busy_window(self->state.record, call.request, now);
  if (!covers(self->state, window)) return std::nullopt;
  booking::context ctx;
  ctx.tenant = self->state.record;
  ctx.call_id = call.call_id;
  ctx.caller = call.caller;
  ctx.request = call.request;
  ctx.now = now;
  return booking::refuse_reserve(ctx, busy_at(*self->state.snap, window, now));
}

// Starts the lane's next item unless one is running. Queued reserves that memory now refuses are
// answered without waiting for their turn at the database.
void pump(tenant_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  while (!st.lane_busy && !st.lane.empty()) {
    auto item = std::move(st.lane.front());
    st.lane.pop_front();
    if (!item.mutation) {
      st.lane_busy = true;
      run_reload(self, w);
      return;
    }
    if (auto refused = refusal_from_memory(self, w, item.mutation->call)) {
      item.mutation->rp.deliver(std::move(*refused));
      continue;
    }
    st.lane_busy = true;
    run_mutation(self, w, std::move(*item.mutation));
  }
}

// check_availability: from memory only (the same snapshot and function the HTTP workers use).
// No database on this path: the call actor stores the result write-behind (store_behind). A call
// id is not needed (legacy checks have none).
void check_availability(tenant_ptr self, const wiring_ptr& w, const tenant_tool_call& call,
                        promise rp) {
  auto reply = check_from(*self->state.snap, call.request, w->now());
  // dispatch made sure memory covers the date (or a load has just run): an uncovered date left
  // after a load is beyond any window read, so it is answered as nothing booked there.
  if (!reply) {
    auto wide = *self->state.snap;
    wide.window = booking::busy_window(wide.record, call.request, w->now());
    reply = check_from(wide, call.request, w->now());
  }
  rp.deliver(std::move(*reply));
}

// Every tool call enters here. One whose dates memory does not cover yet (before the first load,
// or a date beyond the horizon) waits for a load; after the load that covers it, it is answered.
void dispatch(tenant_ptr self, const wiring_ptr& w, waiting_call wc, bool after_load) {
  auto& st = self->state;
  const auto& request = wc.call.request;
  tenant_tool_reply error;
  if (request.name == "check_availability" && !booking::availability_date(request, &error)) {
    wc.rp.deliver(error);  // a malformed date needs no calendar
    return;
  }
  auto now = w->now();
  auto needed = booking::busy_window(st.record, request, now);
  // After a load the call is answered unless that load began before this date was asked
  // (another reload, which covers it, is then queued).
  if ((!after_load || st.reload_queued) && !covers(st, needed) &&
      (request.name == "check_availability" || is_mutating(request.name))) {
    // Widen: the next load covers this date too (and every date asked before it).
    domain::busy_interval want = st.wanted.value_or(needed);
    st.wanted = domain::busy_interval{std::min(want.start, needed.start),
                                      std::max(want.end, needed.end)};
    st.waiting.push_back(std::move(wc));
    queue_reload(self, w);
    return;
  }
  if (request.name == "check_availability") {
    check_availability(self, w, wc.call, wc.rp);
    return;
  }
  if (is_mutating(request.name)) {
    // Refusing before queueing keeps the losers of a contested slot off the database entirely;
    // mutations only ever take time, so an earlier queued one cannot make this slot free.
    if (auto refused = refusal_from_memory(self, w, wc.call)) {
      wc.rp.deliver(std::move(*refused));
      return;
    }
    st.lane.push_back(lane_item{std::move(wc)});
    pump(self, w);
    return;
  }
  // Any other name (the call actor routes only booking tools here): refused, nothing stored.
  wc.rp.deliver(tenant_tool_reply{{"unknown tool '" + request.name + "'", true}, "", ""});
}

tenant_actor::behavior_type tenant_behavior(tenant_ptr self, wiring_ptr w,
                                            persistence::tenant_record record) {
  self->state.record = std::move(record);
  self->state.slot.board = w->calendars;
  self->state.slot.org_id = self->state.record.id;
  self->state.slot.owner = w->calendars->next_owner();
  queue_reload(self, w);  // the first load: tool calls wait for it
  // Holds left by an earlier run (or another process) still need their expiry.
  self->send(self, expire_atom::value);
  return {
      [=](tool_atom, tenant_tool_call& call) -> promise {
        auto rp = self->make_response_promise<tenant_tool_reply>();
        dispatch(self, w, waiting_call{std::move(call), rp}, false);
        return rp;
      },
      [=](view_atom) -> std::string {
        const auto& st = self->state;
        const auto& r = st.record;
        nlohmann::json j{{"id", r.id},
                         {"name", r.name},
                         {"time_zone", r.rules.time_zone},
                         {"live", true},
                         {"next_hold_expiry", st.timer_due}};
        return j.dump();
      },
      [=](gbusy_atom, const busy_list& busy) {
        auto& g = self->state.google_busy;
        g.clear();
        for (std::size_t i = 0; i < busy.starts.size() && i < busy.ends.size(); ++i)
          g.push_back({persistence::from_epoch(busy.starts[i]),
                       persistence::from_epoch(busy.ends[i])});
        publish(self);
      },
      [=](changed_atom, persistence::tenant_record& record) -> caf::typed_response_promise<bool> {
        auto rp = self->make_response_promise<bool>();
        self->state.record = std::move(record);
        publish(self);  // the new rules at once; the appointments after the reload
        // The API may have cancelled or moved appointments: it answers once memory has them.
        self->state.changed_queued.push_back(rp);
        queue_reload(self, w);
        return rp;
      },
      // the appointments changed in the database (calendar_notices), or a failed load retries
      [=](reload_atom) { queue_reload(self, w); },
      [=](expire_atom) {
        auto& st = self->state;
        st.timer_due = 0;
        auto now = w->now();
        // Memory already ignores them (hold_expires_at); drop them to keep it small.
        for (auto i = st.calendar.begin(); i != st.calendar.end();)
          i = i->second.hold_expires_at && *i->second.hold_expires_at <= now ? st.calendar.erase(i)
                                                                             : std::next(i);
        publish(self);
        auto org = st.record.id;
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
