// Verification sessions on CAF's deterministic test coordinator, against a real PostgreSQL
// (scratch database, pool as ringmaster_app so row-level security applies): ten-minute expiry,
// the one-hour lock, the rate limit, resuming after a restart, racing confirms, housekeeping.
// Time moves only when a test advances it; wiring::now follows the test clock.
#include <catch2/catch.hpp>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "actors/verification_code.hpp"
#include "actors/verification_interfaces.hpp"
#include "persistence/repositories.hpp"
#include "tests/support/test_db.hpp"

using namespace rm;
using namespace std::chrono_literals;

namespace {

const std::string owner_phone = "+12127360123";

struct fixture {
  testing::scratch_database db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  actors::wiring_ptr w = std::make_shared<actors::wiring>();
  domain::instant wall_start;
  std::string org;
  actors::verification_registry_actor registry;
  std::string right_hash = actors::hash_verification_code("314159");

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.inline-output", true);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    wall_start = domain::instant{std::chrono::seconds{1900000000}};
    auto start = sched->clock().now();
    w->now = [this, start] {
      return wall_start +
             std::chrono::duration_cast<std::chrono::seconds>(sched->clock().now() - start);
    };
    w->set(actors::spawn_db_pool(*sys, db.url(), 1, /*detached=*/false));
    persistence::new_tenant t;
    t.name = "Harbor Dental";
    t.numbers.push_back({"+14155550100", "Harbor Dental", ""});
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    org = persistence::create_tenant(tx, t).org_id;
    tx.commit();
    registry = actors::spawn_verification_registry(*sys, w, {});
    run();
  }

  ~fixture() {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->db(), caf::exit_reason::user_shutdown);
    sched->run();
    sys.reset();
  }

  void run() { sched->run(); }
  void advance(caf::timespan d) {
    sched->advance_time(d);
    sched->run();
  }

  actors::initiate_reply initiate(const std::string& phone = owner_phone) {
    caf::scoped_actor self{*sys};
    self->send(registry, actors::vinit_atom::value,
               actors::initiate_cmd{org, phone, "Office", "sms", right_hash});
    run();
    actors::initiate_reply reply;
    self->receive([&](actors::initiate_reply& r) { reply = std::move(r); },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("the registry did not reply"); });
    return reply;
  }

  actors::confirm_reply confirm(const std::string& id, const std::string& code) {
    caf::scoped_actor self{*sys};
    self->send(registry, actors::vconfirm_atom::value, actors::confirm_cmd{org, id, code});
    run();
    actors::confirm_reply reply;
    self->receive([&](actors::confirm_reply& r) { reply = std::move(r); },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("the session did not reply"); });
    return reply;
  }

  nlohmann::json sessions() {
    caf::scoped_actor self{*sys};
    self->send(registry, actors::list_atom::value);
    run();
    std::string out;
    self->receive([&](std::string& s) { out = s; },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("no session list"); });
    return nlohmann::json::parse(out);
  }

  std::string status(const std::string& id) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto r = tx.exec_params("SELECT status FROM verified_caller_ids WHERE id::text = $1", id);
    return r.empty() ? "missing" : r[0][0].c_str();
  }
};

}  // namespace

TEST_CASE("a pending code expires after exactly ten minutes") {
  fixture f;
  auto started = f.initiate();
  REQUIRE(started.outcome == actors::verification_outcome::started);
  CHECK(started.expires_at == 1900000000 + 600);
  REQUIRE(f.sessions().size() == 1);

  f.advance(9min + 59s);
  CHECK(f.status(started.verification_id) == "pending");
  CHECK(f.sessions()[0]["expiresInSeconds"] == 1);

  f.advance(1s);
  CHECK(f.status(started.verification_id) == "expired");
  CHECK(f.sessions().empty());
  CHECK(f.confirm(started.verification_id, "314159").outcome == actors::verification_outcome::expired);
}

TEST_CASE("the third wrong code fails the session and locks the number for an hour") {
  fixture f;
  auto id = f.initiate().verification_id;
  auto first = f.confirm(id, "000001");
  CHECK(first.outcome == actors::verification_outcome::wrong_code);
  CHECK(first.attempts_left == 2);
  CHECK(f.confirm(id, "000002").attempts_left == 1);
  auto third = f.confirm(id, "000003");
  CHECK(third.outcome == actors::verification_outcome::failed);
  CHECK(third.locked_until == 1900000000 + 3600);
  CHECK(f.status(id) == "failed");

  SECTION("the fourth guess is refused even when it is the right code") {
    CHECK(f.confirm(id, "314159").outcome == actors::verification_outcome::locked);
    CHECK(f.status(id) == "failed");
  }
  SECTION("a new code is refused for the hour, then allowed") {
    auto locked = f.initiate();
    CHECK(locked.outcome == actors::verification_outcome::locked);
    CHECK(locked.retry_after == 3600);
    f.advance(59min + 59s);
    CHECK(f.initiate().outcome == actors::verification_outcome::locked);
    f.advance(1s);
    CHECK(f.initiate().outcome == actors::verification_outcome::started);
  }
}

TEST_CASE("a confirm racing the locked session's exit is answered from the row, not as an error") {
  // The session quits right after its final answer; a confirm that reaches the registry before
  // the session's down_msg must still be answered "locked" (it was a 503 once, in CI).
  fixture f;
  auto id = f.initiate().verification_id;
  f.confirm(id, "000001");
  f.confirm(id, "000002");
  caf::scoped_actor a{*f.sys}, b{*f.sys};
  a->send(f.registry, actors::vconfirm_atom::value, actors::confirm_cmd{f.org, id, "000003"});
  while (a->mailbox().empty() && f.sched->try_run_once()) {
  }
  REQUIRE_FALSE(a->mailbox().empty());
  auto racing = b->request(f.registry, caf::infinite, actors::vconfirm_atom::value,
                           actors::confirm_cmd{f.org, id, "314159"});
  f.run();
  a->receive([&](actors::confirm_reply& r) { CHECK(r.outcome == actors::verification_outcome::failed); },
             caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply to the third guess"); });
  REQUIRE_FALSE(b->mailbox().empty());
  racing.receive(
      [&](actors::confirm_reply& r) { CHECK(r.outcome == actors::verification_outcome::locked); },
      [&](caf::error& e) { FAIL("the racing confirm failed: " << f.sys->render(e)); });
  CHECK(f.status(id) == "failed");
}

TEST_CASE("a fourth code for the same number within an hour is refused with the wait") {
  fixture f;
  CHECK(f.initiate().outcome == actors::verification_outcome::started);
  f.advance(10min);
  CHECK(f.initiate().outcome == actors::verification_outcome::started);
  f.advance(10min);
  auto third = f.initiate();
  CHECK(third.outcome == actors::verification_outcome::started);
  auto refused = f.initiate();
  CHECK(refused.outcome == actors::verification_outcome::rate_limited);
  CHECK(refused.retry_after == 40 * 60);
  f.advance(40min);
  CHECK(f.initiate().outcome == actors::verification_outcome::started);
}

TEST_CASE("a new code supersedes the old one and keeps one session per number") {
  fixture f;
  auto first = f.initiate();
  f.right_hash = actors::hash_verification_code("271828");
  auto second = f.initiate();
  CHECK(second.verification_id == first.verification_id);
  CHECK(f.sessions().size() == 1);
  CHECK(f.confirm(second.verification_id, "314159").outcome == actors::verification_outcome::wrong_code);
  CHECK(f.confirm(second.verification_id, "271828").outcome == actors::verification_outcome::verified);
}

TEST_CASE("a restarted registry resumes pending sessions with their remaining time") {
  fixture f;
  auto id = f.initiate().verification_id;
  caf::anon_send_exit(f.registry, caf::exit_reason::user_shutdown);
  f.run();
  f.advance(4min);

  f.registry = actors::spawn_verification_registry(*f.sys, f.w, {});
  caf::anon_send(f.registry, actors::recover_atom::value);
  f.run();
  auto live = f.sessions();
  REQUIRE(live.size() == 1);
  CHECK(live[0]["id"] == id);
  CHECK(live[0]["expiresInSeconds"] == 6 * 60);

  SECTION("and the right code still verifies") {
    CHECK(f.confirm(id, "314159").outcome == actors::verification_outcome::verified);
    CHECK(f.status(id) == "verified");
  }
  SECTION("and the code still expires at its original time") {
    f.advance(5min + 59s);
    CHECK(f.status(id) == "pending");
    f.advance(1s);
    CHECK(f.status(id) == "expired");
  }
}

TEST_CASE("two confirms with the right code racing: exactly one succeeds") {
  fixture f;
  auto id = f.initiate().verification_id;
  caf::scoped_actor a{*f.sys}, b{*f.sys};
  a->send(f.registry, actors::vconfirm_atom::value, actors::confirm_cmd{f.org, id, "314159"});
  b->send(f.registry, actors::vconfirm_atom::value, actors::confirm_cmd{f.org, id, "314159"});
  f.run();
  std::vector<std::string> outcomes;
  for (auto* self : {&a, &b})
    (*self)->receive([&](actors::confirm_reply& r) { outcomes.push_back(actors::to_string(r.outcome)); },
                     caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply"); });
  std::sort(outcomes.begin(), outcomes.end());
  CHECK(outcomes == std::vector<std::string>{"already_verified", "verified"});
}

TEST_CASE("another tenant cannot confirm a session it does not own") {
  fixture f;
  auto id = f.initiate().verification_id;
  caf::scoped_actor self{*f.sys};
  self->send(f.registry, actors::vconfirm_atom::value,
             actors::confirm_cmd{"00000000-0000-0000-0000-000000000001", id, "314159"});
  f.run();
  self->receive([&](actors::confirm_reply& r) { CHECK(r.outcome == actors::verification_outcome::not_found); },
                caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply"); });
  CHECK(f.status(id) == "pending");
}

TEST_CASE("housekeeping expires stale sessions and deletes old failures it is free to delete") {
  fixture f;
  auto expired_id = f.initiate("+12127360123").verification_id;
  auto failed_id = f.initiate("+12127360124").verification_id;
  for (auto code : {"000001", "000002", "000003"}) f.confirm(failed_id, code);
  auto kept_id = f.initiate("+12127360125").verification_id;
  caf::anon_send_exit(f.registry, caf::exit_reason::user_shutdown);  // no timers: sweep only
  f.run();
  {
    // A forwarding configuration references the third one.
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    tx.exec_params(
        "INSERT INTO hybrid_forwarding_configs (org_id, verified_caller_id, sim_phone_number,"
        " forwarding_type, carrier, twilio_forwarding_number, generated_activation_code,"
        " generated_deactivation_code) VALUES ($1, $2, '+12127360125', 'total_ai', 'tmobile',"
        " '+14155550100', '**21*14155550100#', '##21#')",
        f.org, kept_id);
    tx.commit();
  }
  actors::verification_config cfg;
  cfg.sweep_interval = 1000h;  // the test sweeps by hand
  auto keeper = actors::spawn_verification_housekeeper(*f.sys, f.w, cfg);
  f.run();
  auto sweep = [&] {
    caf::scoped_actor self{*f.sys};
    self->send(keeper, actors::vsweep_atom::value);
    f.run();
    actors::sweep_result out;
    self->receive([&](actors::sweep_result& r) { out = r; },
                  [&](caf::error& e) { FAIL("the sweep failed: " << actors::describe(e)); },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("no sweep result"); });
    return out;
  };
  f.advance(11min);
  auto first = sweep();
  CHECK(first.expired == 2);
  CHECK(first.deleted == 0);
  CHECK(f.status(expired_id) == "expired");

  f.advance(24h);
  auto second = sweep();
  CHECK(second.deleted == 2);
  CHECK(f.status(expired_id) == "missing");
  CHECK(f.status(failed_id) == "missing");
  CHECK(f.status(kept_id) == "expired");
  caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
  f.run();
}
