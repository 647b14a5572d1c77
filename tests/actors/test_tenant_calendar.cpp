// The tenant actor owns its calendar (issue 13 §1–2): check_availability and the refusals of a
// taken reserve_slot come from its memory, current at once after its own reserve, with expired
// holds free again without any write; only a reserve that may succeed goes to PostgreSQL. The
// database pool is killed mid-test to prove no round trip on the read path: the old cache read
// through the calendar adapter after every booking decision and answered "unavailable" then.
#include "tests/actors/deterministic_fixture.hpp"

using namespace rm;
using namespace rm::testing::actors_fixture;
using namespace std::chrono_literals;

namespace {

actors::tenant_tool_reply check(fixture& f, caf::scoped_actor& self, const actors::tenant_actor& t,
                                const std::string& date) {
  static int n = 0;
  // A legacy read has no call id: the tenant must not need one for check_availability.
  return ask_tenant(f, self, t, "", "check-" + std::to_string(++n), "check_availability",
                    {{"date", date}});
}

void kill_database(fixture& f) {
  caf::anon_send_exit(f.w->db(), caf::exit_reason::kill);
  f.run();
}

// A booked appointment written behind the tenant actor's back (as the tenant API or another
// instance would), blocking [start, start + 30 min).
void book_behind(fixture& f, const std::string& start) {
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  tx.exec_params(
      "INSERT INTO appointments (org_id, status, starts_at, ends_at, blocked_until)"
      " VALUES ($1::uuid, 'booked', $2::timestamptz, $2::timestamptz + interval '30 minutes',"
      " $2::timestamptz + interval '30 minutes')",
      f.tenant.id, start);
  tx.commit();
}

}  // namespace

TEST_CASE("check_availability shows the tenant's own hold at once and frees it when it expires",
          "[tenant][calendar]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();
  f.ensure_call("call-a");
  const std::string slot = "2030-01-08T10:00:00-05:00";
  auto before = check(f, self, tenant, "2030-01-08");
  REQUIRE_FALSE(before.outcome.is_error);
  CHECK(before.store_behind);
  CHECK(slot_offered(before, slot));

  auto held = ask_tenant(f, self, tenant, "call-a", "r1", "reserve_slot", {{"start", slot}});
  REQUIRE_FALSE(held.outcome.is_error);
  CHECK_FALSE(held.store_behind);  // a hold is stored in its own transaction
  kill_database(f);  // from here on, everything the tenant answers comes from its memory

  auto after = check(f, self, tenant, "2030-01-08");
  INFO(after.outcome.result);
  REQUIRE_FALSE(after.outcome.is_error);
  CHECK_FALSE(slot_offered(after, slot));
  // The hold runs five minutes; one second before, the slot is still taken.
  f.advance(4min + 59s);
  CHECK_FALSE(slot_offered(check(f, self, tenant, "2030-01-08"), slot));
  f.advance(1s);
  auto expired = check(f, self, tenant, "2030-01-08");
  REQUIRE_FALSE(expired.outcome.is_error);
  CHECK(slot_offered(expired, slot));
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("a reserve_slot on a slot memory shows taken is refused without the database",
          "[tenant][calendar]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();
  f.ensure_call("call-a");
  f.ensure_call("call-b");
  const nlohmann::json args{{"start", "2030-01-08T11:00"}};
  auto won = ask_tenant(f, self, tenant, "call-a", "a1", "reserve_slot", args);
  REQUIRE_FALSE(won.outcome.is_error);
  kill_database(f);
  auto lost = ask_tenant(f, self, tenant, "call-b", "b1", "reserve_slot", args);
  INFO(lost.outcome.result);
  CHECK(lost.outcome.is_error);
  CHECK_FALSE(lost.failure);  // a refusal by the calendar, not an outage
  CHECK(lost.store_behind);   // recorded write-behind by the call actor
  CHECK_THAT(lost.outcome.result, Catch::StartsWith("that time is already taken; nearest free: "));
  // A free slot still needs the transaction: with the database gone it is "unavailable".
  auto free = ask_tenant(f, self, tenant, "call-b", "b2", "reserve_slot",
                         {{"start", "2030-01-08T14:00"}});
  CHECK(free.failure);
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("the tenant's calendar is loaded before its first answer, widened for far dates and "
          "reloaded on notice", "[tenant][calendar]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  // Booked rows written behind the actor's back: one in the horizon before it starts, one in
  // 100 days (beyond the 62-day horizon), one after it loaded.
  auto book = [&](const std::string& start) { book_behind(f, start); };
  book("2030-01-09T10:00:00-05:00");
  book("2030-04-17T10:00:00-04:00");  // a Wednesday, 100 days after 2030-01-07
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  // Asked before the scheduler ran the first load: the answer waits for it.
  auto first = check(f, self, tenant, "2030-01-09");
  REQUIRE_FALSE(first.outcome.is_error);
  CHECK_FALSE(slot_offered(first, "2030-01-09T10:00:00-05:00"));
  CHECK(slot_offered(first, "2030-01-09T11:00:00-05:00"));
  auto far = check(f, self, tenant, "2030-04-17");
  REQUIRE_FALSE(far.outcome.is_error);
  CHECK_FALSE(slot_offered(far, "2030-04-17T10:00:00-04:00"));
  CHECK(slot_offered(far, "2030-04-17T11:00:00-04:00"));

  book("2030-01-09T11:00:00-05:00");
  CHECK(slot_offered(check(f, self, tenant, "2030-01-09"), "2030-01-09T11:00:00-05:00"));
  // What calendar_notices does on NOTIFY rm_calendar: the directory tells the live tenant.
  self->send(tenant, actors::reload_atom::value);
  f.run();
  CHECK_FALSE(slot_offered(check(f, self, tenant, "2030-01-09"), "2030-01-09T11:00:00-05:00"));
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("the tenant publishes its calendar for the HTTP workers: its own hold before the "
          "reply, withdrawn when it stops", "[tenant][calendar][board]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto& board = *f.w->calendars;
  CHECK_FALSE(board.find(f.tenant.id));
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();  // the first load
  auto snap = board.find(f.tenant.id);
  REQUIRE(snap);
  const actors::tool_request read{"w1", "check_availability",
                                  nlohmann::json{{"date", "2030-01-08"}}.dump(), "", nullptr};
  const std::string slot = "2030-01-08T10:00:00-05:00";
  auto free = actors::check_from(*snap, read, f.w->now());
  REQUIRE(free);
  CHECK(free->store_behind);
  CHECK(slot_offered(*free, slot));
  // Beyond the window the tenant read: no answer from the snapshot (the actor must widen).
  CHECK_FALSE(actors::check_from(
      *snap,
      {"w2", "check_availability", nlohmann::json{{"date", "2030-06-04"}}.dump(), "", nullptr},
      f.w->now()));
  // A malformed date is answered without any calendar.
  auto bad = actors::check_from(*snap, {"w3", "check_availability", "{}", "", nullptr},
                                f.w->now());
  REQUIRE(bad);
  CHECK(bad->outcome.is_error);
  // The webhook's own parse is used when the request carries it (its text is then only the
  // record, and is not parsed again): the same answer as from the text.
  auto parsed = actors::check_from(
      *snap,
      {"w4", "check_availability", "not parsed", "",
       std::make_shared<const nlohmann::json>(nlohmann::json{{"date", "2030-01-08"}})},
      f.w->now());
  REQUIRE(parsed);
  CHECK_FALSE(parsed->outcome.is_error);
  CHECK(parsed->outcome.result == free->outcome.result);

  f.ensure_call("call-a");
  auto held = ask_tenant(f, self, tenant, "call-a", "r1", "reserve_slot", {{"start", slot}});
  REQUIRE_FALSE(held.outcome.is_error);
  // The reply has arrived, so the published calendar already shows the hold: the same caller's
  // next check on a worker cannot be offered its own slot.
  auto after = actors::check_from(*board.find(f.tenant.id), read, f.w->now());
  REQUIRE(after);
  CHECK_FALSE(slot_offered(*after, slot));
  // The snapshot the worker took earlier is unchanged (immutable), and the hold frees itself
  // when it expires, without a new snapshot.
  CHECK(slot_offered(*actors::check_from(*snap, read, f.w->now()), slot));
  auto later = board.find(f.tenant.id);
  CHECK(slot_offered(*actors::check_from(*later, read, f.w->now() + std::chrono::minutes(5)),
                     slot));

  // A successor's snapshot is not withdrawn by its predecessor.
  auto successor = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();
  auto theirs = board.find(f.tenant.id);
  REQUIRE(theirs);
  CHECK(theirs != later);
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
  CHECK(board.find(f.tenant.id) == theirs);
  caf::anon_send_exit(successor, caf::exit_reason::user_shutdown);
  f.run();
  CHECK_FALSE(board.find(f.tenant.id));
}

TEST_CASE("a change through the tenant API is answered once the tenant's memory has it",
          "[tenant][calendar][changed]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();
  const std::string slot = "2030-01-08T10:00:00-05:00";
  REQUIRE(slot_offered(check(f, self, tenant, "2030-01-08"), slot));
  book_behind(f, slot);  // what the tenant API's write does: the database, not the actor
  // The reply to `changed` comes only after the reload: the API answers after it, so the
  // caller's next check (on a worker, from the published snapshot) cannot offer the slot.
  bool confirmed = false;
  self->send(tenant, actors::changed_atom::value, f.tenant);
  f.run();
  self->receive([&](bool ok) { confirmed = ok; },
                caf::after(std::chrono::seconds(0)) >> [] { FAIL("the tenant did not reply"); });
  CHECK(confirmed);
  auto snap = f.w->calendars->find(f.tenant.id);
  REQUIRE(snap);
  auto after = actors::check_from(
      *snap,
      {"c1", "check_availability", nlohmann::json{{"date", "2030-01-08"}}.dump(), "", nullptr},
      f.w->now());
  REQUIRE(after);
  CHECK_FALSE(slot_offered(*after, slot));
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
}
