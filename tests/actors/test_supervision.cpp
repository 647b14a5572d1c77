// Supervision on the real (threaded) scheduler: the root supervisor restarts what may restart,
// and publishes the new handle so callers never notice. Failures are simulated with the exit
// reason an uncaught exception produces (exit_reason::kill would also take the parent down).
#include <catch2/catch.hpp>
#include <caf/all.hpp>
#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "persistence/repositories.hpp"
#include "tests/support/test_db.hpp"

using namespace rm;
using namespace std::chrono_literals;

namespace {

// Polls `pred` until it holds or 5 s passed.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

actors::tenant_ref resolve(caf::actor_system& sys, const actors::wiring& w,
                           const std::string& e164) {
  caf::scoped_actor self{sys};
  actors::tenant_ref ref;
  self->request(w.directory(), 5s, actors::resolve_atom::value, e164, std::string{})
      .receive([&](actors::tenant_ref& r) { ref = r; },
               [&](caf::error& e) { FAIL("resolve failed: " << sys.render(e)); });
  return ref;
}

}  // namespace

TEST_CASE("a failed directory or database pool is restarted and found under its new handle") {
  testing::scratch_database db;
  {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    persistence::new_tenant t;
    t.name = "Harbor Dental";
    t.numbers.push_back({"+14155550100", "Harbor Dental", ""});
    persistence::create_tenant(tx, t);
    tx.commit();
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto w = std::make_shared<actors::wiring>();
  actors::supervisor_settings s;
  s.database_url = db.url();
  s.db_workers = 2;
  auto supervisor = actors::spawn_root_supervisor(sys, w, s);
  REQUIRE(eventually([&] { return w->directory() && w->calls() && w->db(); }));
  CHECK(resolve(sys, *w, "+14155550100").found);

  SECTION("the directory") {
    auto before = w->directory();
    caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
    REQUIRE(eventually([&] { return w->directory() != before; }));
    CHECK(resolve(sys, *w, "+14155550100").found);
  }
  SECTION("the database pool") {
    auto before = w->db();
    caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
    REQUIRE(eventually([&] { return w->db() != before; }));
    CHECK(resolve(sys, *w, "+14155550100").found);
  }
  SECTION("a tenant actor, re-spawned by the directory on its next use") {
    caf::scoped_actor self{sys};
    actors::tenant_actor first;
    auto org = resolve(sys, *w, "+14155550100").org_id;
    self->request(w->directory(), 5s, actors::org_atom::value, org)
        .receive([&](actors::tenant_actor& t) { first = t; }, [](caf::error&) {});
    REQUIRE(first);
    self->monitor(first);
    caf::anon_send_exit(first, caf::exit_reason::unhandled_exception);
    self->receive([](caf::down_msg&) {});
    actors::tenant_actor second;
    REQUIRE(eventually([&] {
      self->request(w->directory(), 5s, actors::org_atom::value, org)
          .receive([&](actors::tenant_actor& t) { second = t; }, [](caf::error&) {});
      return second && second != first;
    }));
  }
  caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
}
