// The call actor and the directory on CAF's deterministic test coordinator (issue 10 §7), against
// a real PostgreSQL scratch database: nothing runs until the test runs the scheduler and no time
// passes unless it advances the clock, so these tests never sleep.
//   call: duplicate and out-of-order lifecycle events give the same projection as the in-order
//         sequence; a repeated toolCallId returns its first result without acting again, also
//         after the call actor was rebuilt from the database.
//   directory: resolve answers from its cache once a number was found; invalidate drops that
//         cache; a crashed tenant actor is re-spawned on its next use.
#include <algorithm>
#include <set>

#include "tests/actors/deterministic_fixture.hpp"

using namespace rm;
using namespace rm::testing::actors_fixture;
using namespace std::chrono_literals;

namespace {

persistence::call_identity identity_of(const fixture& f, const std::string& call_id) {
  return {call_id, f.tenant.id, "inbound", "+14155550177", "+14155550100", ""};
}

actors::call_event_msg at(actors::call_event_msg m, std::int64_t occurred_at_ms,
                          std::string ended_reason = "") {
  m.event.occurred_at_ms = occurred_at_ms;
  m.event.ended_reason = std::move(ended_reason);
  return m;
}

actors::call_event_msg report_event(const persistence::call_identity& id,
                                    std::int64_t occurred_at_ms) {
  auto m = status_event(id, domain::call_state::ringing, "report");
  m.event.kind = domain::call_event_kind::report;
  m.event.occurred_at_ms = occurred_at_ms;
  m.event.ended_reason = "customer-ended-call";
  m.report = persistence::call_report{};
  m.report->ended_reason = "customer-ended-call";
  return m;
}

// The call's lifecycle: ringing, answered, ended by the assistant, then the report (whose
// reason wins).
std::vector<actors::call_event_msg> lifecycle(const persistence::call_identity& id) {
  return {at(status_event(id, domain::call_state::ringing, "status:ringing"), 1000),
          at(status_event(id, domain::call_state::in_progress, "status:in-progress"), 2000),
          at(status_event(id, domain::call_state::ended, "status:ended"), 9000,
             "assistant-ended-call"),
          report_event(id, 9500)};
}

domain::call_projection stored_projection(fixture& f, const std::string& call_id) {
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  auto row = persistence::load_call(tx, call_id);
  REQUIRE(row);
  return row->projection;
}

std::vector<actors::tool_reply> run_tools(fixture& f, caf::scoped_actor& self,
                                          const actors::call_actor& call,
                                          const persistence::call_identity& id,
                                          std::vector<actors::tool_request> reqs) {
  return ask<std::vector<actors::tool_reply>>(f, self, call, actors::tools_atom::value, id,
                                              std::move(reqs));
}

// What service::run_tools sends on after answering a read from the tenant's snapshot: a marker
// text, so that a replay is told apart from an answer the tenant computes.
actors::tenant_tool_reply answered_on_worker(const std::string& marker) {
  actors::tenant_tool_reply r;
  r.outcome = {nlohmann::json{{"marker", marker}}.dump(), false};
  r.store_behind = true;
  return r;
}

// A reply the tenant computed now, not the worker's remembered marker.
void check_computed(const std::vector<actors::tool_reply>& replies,
                    const actors::tenant_tool_reply& marker) {
  REQUIRE(replies.size() == 1);
  INFO(replies[0].text);
  CHECK_FALSE(replies[0].is_error);
  CHECK(replies[0].text != marker.outcome.result);
  CHECK(replies[0].text.find("slots") != std::string::npos);
}

// A check_availability on a Tuesday the default working hours cover.
actors::tool_request availability_read(const std::string& tool_call_id) {
  return {tool_call_id, "check_availability", nlohmann::json{{"date", "2030-01-08"}}.dump(), "",
          nullptr};
}

// Stops a call actor and the tool log, and lets both finish.
void stop_with_tool_log(fixture& f, const actors::call_actor& call) {
  caf::anon_send_exit(call, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(f.w->tool_log(), caf::exit_reason::user_shutdown);
  f.run();
}

actors::tool_request reserve(const std::string& tool_call_id, const std::string& start) {
  return {tool_call_id, "reserve_slot", nlohmann::json{{"start", start}}.dump(), "", nullptr};
}

actors::tenant_ref resolve(fixture& f, caf::scoped_actor& self, const std::string& e164) {
  return ask<actors::tenant_ref>(f, self, f.w->directory(), actors::resolve_atom::value, e164,
                                 std::string{});
}

actors::tenant_actor tenant_of(fixture& f, caf::scoped_actor& self) {
  return ask<actors::tenant_actor>(f, self, f.w->directory(), actors::org_atom::value,
                                   f.tenant.id);
}

void sql(fixture& f, const std::string& statement) {
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  tx.exec(statement);
  tx.commit();
}

}  // namespace

TEST_CASE("call actor: duplicate and out-of-order lifecycle events give the in-order projection",
          "[actors][call]") {
  fixture f;
  caf::scoped_actor self{*f.sys};

  // In order, each event once.
  auto in_order_id = identity_of(f, "call-in-order");
  auto in_order = actors::spawn_call(*f.sys, f.w, in_order_id);
  actors::event_ack last;
  for (const auto& e : lifecycle(in_order_id)) {
    last = ask<actors::event_ack>(f, self, in_order, actors::event_atom::value, e);
    CHECK(last.stored);
  }
  CHECK(last.state == "reported");  // acknowledged once reported; the score follows
  CHECK(last.outcome == "lost");
  auto expected = stored_projection(f, "call-in-order");
  CHECK(expected.state == domain::call_state::scored);
  CHECK(expected.ended_reason == "customer-ended-call");
  CHECK(expected.started_at_ms == 2000);
  CHECK(expected.ended_at_ms == 9000);

  // The same events reversed, each one delivered twice (a webhook retried): the repeats are
  // recognised and change nothing, and the result is the same projection.
  auto shuffled_id = identity_of(f, "call-shuffled");
  auto shuffled = actors::spawn_call(*f.sys, f.w, shuffled_id);
  auto events = lifecycle(shuffled_id);
  std::reverse(events.begin(), events.end());
  for (const auto& e : events) {
    CHECK(ask<actors::event_ack>(f, self, shuffled, actors::event_atom::value, e).stored);
    auto again = ask<actors::event_ack>(f, self, shuffled, actors::event_atom::value, e);
    CHECK_FALSE(again.stored);
    last = again;
  }
  CHECK(last.state == "scored");
  CHECK(last.outcome == "lost");
  auto got = stored_projection(f, "call-shuffled");
  CHECK(got.state == expected.state);
  CHECK(got.outcome == expected.outcome);
  CHECK(got.ended_reason == expected.ended_reason);
  CHECK(got.booked == expected.booked);
  CHECK(got.started_at_ms == expected.started_at_ms);
  CHECK(got.ended_at_ms == expected.ended_at_ms);

  caf::anon_send_exit(in_order, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(shuffled, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("call actor: a repeated toolCallId returns its first result and does not act again",
          "[actors][call]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto id = identity_of(f, "call-tools");
  auto call = actors::spawn_call(*f.sys, f.w, id);
  ask<actors::event_ack>(f, self, call, actors::event_atom::value,
                         status_event(id, domain::call_state::in_progress, "status:in-progress"));

  auto first = run_tools(f, self, call, id, {reserve("t1", "2030-01-08T10:00")});
  REQUIRE(first.size() == 1);
  INFO(first[0].text);
  REQUIRE_FALSE(first[0].is_error);

  // The same id again, now asking for another slot (and in one batch with a new call id): the
  // first result comes back for t1; only t2 acts.
  auto again = run_tools(f, self, call, id,
                         {reserve("t1", "2030-01-08T11:00"), reserve("t2", "2030-01-08T14:00")});
  REQUIRE(again.size() == 2);
  CHECK(again[0].tool_call_id == "t1");
  CHECK(again[0].text == first[0].text);
  CHECK(again[0].is_error == first[0].is_error);
  CHECK(again[1].tool_call_id == "t2");
  CHECK_FALSE(again[1].is_error);

  // The call actor is rebuilt from the database (e.g. after a crash): still the first result.
  self->monitor(call);
  caf::anon_send_exit(call, caf::exit_reason::user_shutdown);
  f.run();
  CHECK(is_down(self));
  auto rebuilt = actors::spawn_call(*f.sys, f.w, id);
  auto replay = run_tools(f, self, rebuilt, id, {reserve("t1", "2030-01-08T11:00")});
  REQUIRE(replay.size() == 1);
  CHECK(replay[0].text == first[0].text);

  // Proof that t1 never acted on 11:00: another call can hold that slot, not 10:00.
  auto other_id = identity_of(f, "call-other");
  auto other = actors::spawn_call(*f.sys, f.w, other_id);
  ask<actors::event_ack>(f, self, other, actors::event_atom::value,
                         status_event(other_id, domain::call_state::in_progress,
                                      "status:in-progress"));
  auto eleven = run_tools(f, self, other, other_id, {reserve("o1", "2030-01-08T11:00")});
  REQUIRE(eleven.size() == 1);
  INFO(eleven[0].text);
  CHECK_FALSE(eleven[0].is_error);
  auto ten = run_tools(f, self, other, other_id, {reserve("o2", "2030-01-08T10:00")});
  REQUIRE(ten.size() == 1);
  CHECK(ten[0].is_error);

  caf::anon_send_exit(rebuilt, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("directory: resolve caches a found number; invalidate drops the cache",
          "[actors][directory]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto ref = resolve(f, self, "+14155550100");
  REQUIRE(ref.found);
  CHECK(ref.org_id == f.tenant.id);
  CHECK(ref.number_label == "Harbor Dental");

  // Changed behind the directory's back: the cached route is still answered.
  sql(f, "UPDATE phone_numbers SET label = 'Front desk' WHERE e164 = '+14155550100'");
  CHECK(resolve(f, self, "+14155550100").number_label == "Harbor Dental");

  // After invalidate, the next resolve reads the database again.
  self->send(f.w->directory(), actors::invalidate_atom::value);
  f.run();
  CHECK(resolve(f, self, "+14155550100").number_label == "Front desk");

  // A released number stops routing once the cache is invalidated; an unknown number is not
  // cached (it may be added at any time).
  sql(f, "UPDATE phone_numbers SET active = false, deactivated_at = now() "
         "WHERE e164 = '+14155550100'");
  self->send(f.w->directory(), actors::invalidate_atom::value);
  f.run();
  CHECK_FALSE(resolve(f, self, "+14155550100").found);
  sql(f, "UPDATE phone_numbers SET active = true, deactivated_at = NULL "
         "WHERE e164 = '+14155550100'");
  CHECK(resolve(f, self, "+14155550100").found);
}

TEST_CASE("directory: a crashed tenant actor is re-spawned on its next use",
          "[actors][directory]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto first = tenant_of(f, self);
  REQUIRE(first);
  CHECK(tenant_of(f, self) == first);  // live: the same actor is handed out

  self->monitor(first);
  caf::anon_send_exit(first, caf::exit_reason::unhandled_exception);
  f.run();
  REQUIRE(is_down(self));

  auto second = tenant_of(f, self);
  REQUIRE(second);
  CHECK(second != first);
  // The new actor works: it answers its view with the tenant's data.
  auto view = nlohmann::json::parse(ask<std::string>(f, self, second, actors::view_atom::value));
  CHECK(view["id"] == f.tenant.id);
  CHECK(view["name"] == "Harbor Dental");
  // The directory itself survived the crash of its child.
  CHECK(resolve(f, self, "+14155550100").found);
}

TEST_CASE("read-only tool calls answered by a worker are remembered by the call for retries, "
          "except for a call of another tenant", "[call][tools][board]") {
  fixture f;
  f.w->set(actors::spawn_tool_log(*f.sys, f.w));
  caf::scoped_actor self{*f.sys};
  auto id = identity_of(f, "call-answered");
  auto call = actors::spawn_call(*f.sys, f.w, id);
  const auto read = availability_read("c1");
  const auto answered = answered_on_worker("answered on the worker");
  // `pending` counts the records not stored yet (backpressure): released once they are.
  auto behind = std::make_shared<int>(0);
  auto token = [&] {
    ++*behind;
    return std::shared_ptr<void>{nullptr, [behind](void*) { --*behind; }};
  };
  self->send(call, actors::tools_atom::value,
             actors::answered_reads{id, {read}, {answered}, token()});
  f.run();
  CHECK(*behind == 0);
  // The call's row exists now, inserted by the tool log with the read's record (a fresh call
  // whose first message was a read: no load, no journal entry), and a retry of the same
  // toolCallId gets the worker's answer back, not a new one.
  CHECK(stored_projection(f, id.id).state == domain::call_state::ringing);
  CHECK(stats(f, self).entries == 0);
  {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    auto stored = persistence::completed_tool_calls_of(tx, id.id);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].second.result == answered.outcome.result);
  }
  auto retry = run_tools(f, self, call, id, {read});
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].text == answered.outcome.result);
  // Its first mutation needs no load either (its row is known stored): the hold is placed, and
  // the journal saw nothing of this call.
  auto held = run_tools(f, self, call, id, {reserve("c-hold", "2030-01-08T10:00:00-05:00")});
  REQUIRE(held.size() == 1);
  INFO(held[0].text);
  CHECK_FALSE(held[0].is_error);
  CHECK(held[0].text.find("hold_id") != std::string::npos);
  CHECK(stats(f, self).entries == 0);

  // The same from a requester of another tenant: nothing is remembered for it.
  auto foreign = id;
  foreign.org_id = "00000000-0000-4000-8000-000000000001";
  const actors::tool_request other{"c2", "check_availability", read.arguments_json, "", nullptr};
  self->send(call, actors::tools_atom::value,
             actors::answered_reads{foreign, {other}, {answered}, token()});
  f.run();
  CHECK(*behind == 0);
  check_computed(run_tools(f, self, call, id, {other}), answered);
  stop_with_tool_log(f, call);
}

TEST_CASE("a read's token is released only once its record and its call's row are committed",
          "[call][tools][board]") {
  // The token frees the worker's place in the backlog and tells the call actor that its row
  // exists (its first reserve then skips inserting it). Released before the commit, a reserve
  // right after the read failed on the foreign key (call_id, org_id) → calls. The token is a
  // shared_ptr with only a deleter, which tests false: the tool log once dropped it on receipt.
  fixture f;
  f.w->set(actors::spawn_tool_log(*f.sys, f.w));
  caf::scoped_actor self{*f.sys};
  auto id = identity_of(f, "call-token");
  auto call = actors::spawn_call(*f.sys, f.w, id);
  const auto read = availability_read("c1");
  auto released = std::make_shared<bool>(false);
  self->send(call, actors::tools_atom::value,
             actors::answered_reads{id, {read}, {answered_on_worker("worker")},
                                    std::shared_ptr<void>{nullptr,
                                                          [released](void*) { *released = true; }}});
  auto stored = [&] {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    return !persistence::completed_tool_calls_of(tx, id.id).empty() &&
           !tx.exec_params("SELECT 1 FROM calls WHERE id = $1", id.id).empty();
  };
  // One job at a time: whenever the token is gone, the row and its record are in the database.
  std::size_t steps = 0;
  while (f.sched->try_run_once()) {
    ++steps;
    if (*released) {
      CHECK(stored());
      break;
    }
  }
  CHECK(*released);
  CHECK(steps > 1);
  f.run();
  stop_with_tool_log(f, call);
}

TEST_CASE("the tool log releases a record's token with the batch that stores its last row",
          "[call][tools][board]") {
  // A record of more rows than one batch takes (1024) is split; its token must wait for the
  // batch with its last row. A record queued behind it has its own token, released with its own
  // rows.
  fixture f;
  f.w->set(actors::spawn_tool_log(*f.sys, f.w));
  auto id = identity_of(f, "call-split");
  auto row = [&](std::size_t i) {
    return persistence::completed_tool_call{id.id, "t" + std::to_string(i), id.org_id,
                                            "check_availability", "{}",
                                            persistence::tool_outcome{"{}", false}};
  };
  actors::read_records big, small;
  big.call = id;
  for (std::size_t i = 0; i < 1500; ++i) big.rows.push_back(row(i));
  for (std::size_t i = 1500; i < 1510; ++i) small.rows.push_back(row(i));
  bool big_released = false, small_released = false;
  big.pending = std::shared_ptr<void>{nullptr, [&](void*) { big_released = true; }};
  small.pending = std::shared_ptr<void>{nullptr, [&](void*) { small_released = true; }};
  caf::anon_send(f.w->tool_log(), actors::log_atom::value, std::move(big));
  caf::anon_send(f.w->tool_log(), actors::log_atom::value, std::move(small));
  auto stored = [&] {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    return persistence::completed_tool_calls_of(tx, id.id).size();
  };
  bool big_seen = false, small_seen = false;
  while (f.sched->try_run_once()) {
    if (big_released && !big_seen) {
      big_seen = true;
      CHECK(stored() >= 1500);
    }
    if (small_released && !small_seen) {
      small_seen = true;
      CHECK(stored() == 1510);
    }
  }
  CHECK(big_released);
  CHECK(small_released);
  CHECK(stored() == 1510);
  caf::anon_send_exit(f.w->tool_log(), caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("reads answered for a call id stored under another tenant are neither stored nor "
          "replayed to its owner", "[call][tools][board]") {
  fixture f;
  f.w->set(actors::spawn_tool_log(*f.sys, f.w));
  caf::scoped_actor self{*f.sys};
  // The call is stored under Harbor Dental; an actor not loaded is spawned by the reads of a
  // requester of another tenant naming the same call id (its identity unverified).
  auto id = identity_of(f, "call-claimed");
  f.ensure_call(id.id);
  auto other_org = second_tenant(f);
  auto claim = id;
  claim.org_id = other_org;
  auto call = actors::spawn_call(*f.sys, f.w, claim);
  const auto read = availability_read("c1");
  const auto answered = answered_on_worker("the other clinic's calendar");
  self->send(call, actors::tools_atom::value,
             actors::answered_reads{claim, {read}, {answered}, nullptr});
  f.run();
  {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    CHECK(persistence::completed_tool_calls_of(tx, id.id).empty());
    CHECK(tx.exec_params1("SELECT org_id::text FROM calls WHERE id = $1", id.id)[0]
              .as<std::string>() == f.tenant.id);
  }
  // The owner's retry of that toolCallId loads the call and gets its own clinic's answer.
  check_computed(run_tools(f, self, call, id, {read}), answered);
  stop_with_tool_log(f, call);
}

TEST_CASE("reads in the registry's inbox reach their calls with one ring, and without one "
          "by the registry's sweep",
          "[actors][calls][reads]") {
  fixture f;
  f.w->set(actors::spawn_tool_log(*f.sys, f.w));
  auto registry = actors::spawn_call_registry(*f.sys, f.w);
  f.run();  // the registry's first look at the inbox (empty) and its sweep armed
  caf::scoped_actor self{*f.sys};
  auto behind = std::make_shared<int>(0);
  auto token = [&] {
    ++*behind;
    return std::shared_ptr<void>{nullptr, [behind](void*) { --*behind; }};
  };
  auto put = [&](const std::string& call_id, const std::string& tool_call_id) {
    return f.w->reads_inbox->put(actors::answered_reads{
        identity_of(f, call_id), {availability_read(tool_call_id)},
        {answered_on_worker(tool_call_id)}, token()});
  };
  auto stored = [&](const std::string& call_id) {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    std::set<std::string> ids;
    for (const auto& [id, outcome] : persistence::completed_tool_calls_of(tx, call_id))
      ids.insert(id);
    return ids;
  };
  // Only the first put into an empty inbox asks for a ring; one ring carries all three.
  CHECK(put("inbox-a", "a1"));
  CHECK_FALSE(put("inbox-b", "b1"));
  CHECK_FALSE(put("inbox-a", "a2"));
  caf::anon_send(registry, actors::tools_atom::value, false);
  f.run();
  CHECK(f.w->reads_inbox->empty());
  CHECK(*behind == 0);
  CHECK(stored("inbox-a") == std::set<std::string>{"a1", "a2"});
  CHECK(stored("inbox-b") == std::set<std::string>{"b1"});
  auto live = ask<std::vector<std::string>>(f, self, registry, actors::list_atom::value);
  CHECK(std::set<std::string>(live.begin(), live.end()) ==
        std::set<std::string>{"inbox-a", "inbox-b"});
  // A ring that never arrived (sent to a registry being replaced): the sweep takes the read.
  CHECK(put("inbox-c", "c1"));
  f.run();
  CHECK_FALSE(f.w->reads_inbox->empty());
  f.advance(actors::read_inbox_sweep);
  CHECK(f.w->reads_inbox->empty());
  CHECK(stored("inbox-c") == std::set<std::string>{"c1"});
  CHECK(*behind == 0);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(f.w->tool_log(), caf::exit_reason::user_shutdown);
  f.run();
}
