// The deterministic actor fixture shared by tests/actors: CAF's test coordinator (time moves
// only when a test advances it; nothing runs until it runs the scheduler), a real PostgreSQL
// scratch database (tests/support/test_db.hpp) whose pool worker runs on the test scheduler,
// the calendar and the directory, and one tenant "Harbor Dental" on +14155550100.
#pragma once

#include <catch2/catch.hpp>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "persistence/repositories.hpp"
#include "tests/support/test_db.hpp"

namespace rm::testing::actors_fixture {

struct fixture {
  testing::scratch_database db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  actors::wiring_ptr w = std::make_shared<actors::wiring>();
  caf::timestamp clock_start;
  domain::instant wall_start;
  persistence::tenant_record tenant;

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.inline-output", true);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    // Booking rules read the wall clock through wiring::now; here it follows the test clock,
    // starting on a Monday morning so that the default working hours apply.
    wall_start = *domain::parse_instant("2030-01-07T09:00:00-05:00", "America/New_York");
    auto start = sched->clock().now();
    w->now = [this, start] {
      auto elapsed = sched->clock().now() - start;
      return wall_start + std::chrono::duration_cast<std::chrono::seconds>(elapsed);
    };
    w->set(actors::spawn_db_pool(*sys, db.url(), 1, /*detached=*/false));
    w->set(actors::spawn_local_calendar(*sys, w));
    w->set(actors::spawn_journal(*sys, w));  // the call actors' lifecycle events go through it
    w->set(actors::spawn_directory(*sys, w));
    persistence::new_tenant t;
    t.name = "Harbor Dental";
    t.numbers.push_back({"+14155550100", "Harbor Dental", ""});
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto created = persistence::create_tenant(tx, t);
    tenant = *persistence::load_tenant(tx, created.org_id);
    tx.commit();
  }

  ~fixture() {
    caf::anon_send_exit(w->db(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->calendar(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->journal(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->directory(), caf::exit_reason::user_shutdown);
    sched->run();
    sys.reset();
  }

  void run() { sched->run(); }

  // Advances the test clock, firing due timers, and runs everything they caused.
  void advance(caf::timespan d) {
    sched->advance_time(d);
    sched->run();
  }

  std::string appointment_status(const std::string& id) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto a = persistence::find_appointment(tx, tenant.id, id);
    return a ? persistence::to_string(a->status) : "missing";
  }

  void ensure_call(const std::string& call_id) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    persistence::ensure_call(tx, {call_id, tenant.id, "inbound", "+14155550177", "+14155550100", ""});
    tx.commit();
  }
};

inline actors::tenant_tool_reply ask_tenant(fixture& f, caf::scoped_actor& self,
                                     const actors::tenant_actor& t, const std::string& call_id,
                                     const std::string& tool_call_id, const std::string& name,
                                     const nlohmann::json& args) {
  actors::tenant_tool_call call{call_id, "+14155550177",
                                {tool_call_id, name, args.dump(), "", nullptr}};
  self->send(t, actors::tool_atom::value, call);
  f.run();
  actors::tenant_tool_reply reply;
  self->receive([&](actors::tenant_tool_reply& r) { reply = std::move(r); },
                caf::after(std::chrono::seconds(0)) >> [] { FAIL("the tenant did not reply"); });
  return reply;
}

inline bool slot_offered(const actors::tenant_tool_reply& r, const std::string& iso) {
  auto j = nlohmann::json::parse(r.outcome.result);
  for (const auto& s : j["slots"])
    if (s == iso) return true;
  return false;
}

inline actors::call_event_msg status_event(const persistence::call_identity& id, domain::call_state s,
                                    const std::string& key) {
  actors::call_event_msg m;
  m.identity = id;
  m.event.kind = domain::call_event_kind::status;
  m.event.status = s;
  m.event.dedup_key = key;
  m.payload_json = "{}";
  return m;
}

inline bool is_down(caf::scoped_actor& self) {
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(std::chrono::seconds(0)) >> [] {});
  return down;
}


// Sends `msg` to `dest`, runs the scheduler until nothing is left to do and returns the one reply
// of type T (FAIL when none came: with the test coordinator every reply is already there).
template <class T, class Dest, class... Ts>
T ask(fixture& f, caf::scoped_actor& self, const Dest& dest, Ts&&... xs) {
  self->send(dest, std::forward<Ts>(xs)...);
  f.run();
  T out{};
  self->receive([&](T& x) { out = std::move(x); },
                [&](caf::error& e) { FAIL("error reply: " << f.sys->render(e)); },
                caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply"); });
  return out;
}

// A second tenant ("Bayside Ortho", no numbers) in the fixture's database; its org_id.
inline std::string second_tenant(fixture& f) {
  persistence::new_tenant t;
  t.name = "Bayside Ortho";
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  auto id = persistence::create_tenant(tx, t).org_id;
  tx.commit();
  return id;
}

// The journal's counters (commits, entries, largest batch …) as it has them now.
inline actors::journal_stats stats(fixture& f, caf::scoped_actor& self) {
  return ask<actors::journal_stats>(f, self, f.w->journal(), actors::jstats_atom::value);
}

}  // namespace rm::testing::actors_fixture
