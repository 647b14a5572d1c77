// Timers of the tenant and call actors, run on CAF's deterministic test coordinator: time moves
// only when the test advances it, so five-minute holds and two-minute lingers take no real time.
// The database is a real PostgreSQL (a scratch database); its pool workers run on the test
// scheduler instead of detached threads, so every step is deterministic.
#include "tests/actors/deterministic_fixture.hpp"

using namespace rm;
using namespace rm::testing::actors_fixture;
using namespace std::chrono_literals;

TEST_CASE("a hold expires after five minutes and frees its slot") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();
  f.ensure_call("call-a");
  const std::string slot = "2030-01-08T10:00:00-05:00";

  auto held = ask_tenant(f, self, tenant, "call-a", "t1", "reserve_slot", {{"start", slot}});
  REQUIRE_FALSE(held.outcome.is_error);
  REQUIRE_FALSE(held.hold_id.empty());
  CHECK(f.appointment_status(held.hold_id) == "held");
  CHECK_FALSE(slot_offered(
      ask_tenant(f, self, tenant, "call-a", "t2", "check_availability", {{"date", "2030-01-08"}}),
      slot));

  f.advance(4min + 59s);
  CHECK(f.appointment_status(held.hold_id) == "held");

  f.advance(1s);
  CHECK(f.appointment_status(held.hold_id) == "expired");
  CHECK(slot_offered(
      ask_tenant(f, self, tenant, "call-a", "t3", "check_availability", {{"date", "2030-01-08"}}),
      slot));
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("another call can hold a slot once the first hold has expired") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto tenant = actors::spawn_tenant(*f.sys, f.w, f.tenant);
  f.run();
  f.ensure_call("call-a");
  f.ensure_call("call-b");
  const nlohmann::json args{{"start", "2030-01-08T11:00"}};
  REQUIRE_FALSE(ask_tenant(f, self, tenant, "call-a", "a1", "reserve_slot", args).outcome.is_error);
  auto refused = ask_tenant(f, self, tenant, "call-b", "b1", "reserve_slot", args);
  CHECK(refused.outcome.is_error);
  CHECK_THAT(refused.outcome.result, Catch::Contains("nearest free"));
  f.advance(5min);
  CHECK_FALSE(ask_tenant(f, self, tenant, "call-b", "b2", "reserve_slot", args).outcome.is_error);
  caf::anon_send_exit(tenant, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("a call lingers two minutes after its end-of-call report, then stops") {
  fixture f;
  f.w->times.call_linger = 2min;
  caf::scoped_actor self{*f.sys};
  persistence::call_identity id{"call-linger", f.tenant.id, "inbound", "+14155550177",
                                "+14155550100", ""};
  auto call = actors::spawn_call(*f.sys, f.w, id);
  self->monitor(call);
  f.run();
  for (auto [state, key] : {std::pair{domain::call_state::ringing, "status:ringing"},
                            std::pair{domain::call_state::in_progress, "status:in-progress"},
                            std::pair{domain::call_state::ended, "status:ended"}}) {
    self->send(call, actors::event_atom::value, status_event(id, state, key));
    f.run();
  }
  auto report = status_event(id, domain::call_state::ringing, "report");
  report.event.kind = domain::call_event_kind::report;
  report.report = persistence::call_report{};
  self->send(call, actors::event_atom::value, report);
  f.run();
  actors::event_ack ack;
  for (int i = 0; i < 4; ++i)
    self->receive([&](actors::event_ack& a) { ack = a; },
                  [&](caf::error& e) { FAIL("error reply: " << f.sys->render(e)); },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("no ack"); });
  CHECK(ack.state == "reported");
  CHECK(ack.outcome == "lost");

  f.advance(119s);
  CHECK_FALSE(is_down(self));
  f.advance(1s);
  CHECK(is_down(self));
}

TEST_CASE("an ended call whose report never comes closes after the no-report timeout") {
  fixture f;
  f.w->times.no_report_timeout = 10min;
  caf::scoped_actor self{*f.sys};
  persistence::call_identity id{"call-noreport", f.tenant.id, "inbound", "+14155550177",
                                "+14155550100", ""};
  auto call = actors::spawn_call(*f.sys, f.w, id);
  self->monitor(call);
  f.run();
  self->send(call, actors::event_atom::value, status_event(id, domain::call_state::ended,
                                                           "status:ended"));
  f.run();
  f.advance(9min);
  CHECK_FALSE(is_down(self));
  f.advance(1min);
  CHECK(is_down(self));
}

TEST_CASE("a call silent for 4 h is closed as ended, counted from its last message") {
  fixture f;
  f.w->times.sanity_timeout = 4h;
  caf::scoped_actor self{*f.sys};
  persistence::call_identity id{"call-silent", f.tenant.id, "inbound", "+14155550177",
                                "+14155550100", ""};
  auto call = actors::spawn_call(*f.sys, f.w, id);
  self->monitor(call);
  f.run();
  self->send(call, actors::event_atom::value,
             status_event(id, domain::call_state::in_progress, "status:in-progress"));
  f.run();
  f.advance(3h);
  SECTION("silent since its first message") {
    CHECK_FALSE(is_down(self));
    f.advance(1h);
    CHECK(is_down(self));
  }
  SECTION("heard of again 3 h in") {
    // One timer is pending (due at 4 h); its expiry re-arms it for the 3 h left.
    self->send(call, actors::event_atom::value,
               status_event(id, domain::call_state::in_progress, "status:in-progress:again"));
    f.run();
    f.advance(1h);  // the first timer is due: silent for 1 h only
    CHECK_FALSE(is_down(self));
    f.advance(2h + 59min);
    CHECK_FALSE(is_down(self));
    f.advance(1min);  // 4 h after the last message
    CHECK(is_down(self));
  }
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  auto row = persistence::load_call(tx, "call-silent");
  REQUIRE(row);
  CHECK(row->projection.state == domain::call_state::ended);
  CHECK(row->projection.ended_reason == "ringmaster-sanity-timeout");
}
