// rm::ec through CAF (actors/errors.hpp): an actor's rm error reaches the requester with its
// kind and sentence, renders by name, and the database pool's failures arrive in db_then's
// caf::expected as ec::database_unavailable. No database needed (the pool's target is a port
// nothing listens on).
#include <catch2/catch.hpp>
#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "actors/db_call.hpp"

using namespace rm;
using namespace std::chrono_literals;

namespace {

using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using finder = caf::typed_actor<caf::replies_to<lookup_atom, std::string>::with<std::string>>;

finder::behavior_type finder_impl() {
  return {
      [](lookup_atom, const std::string& id) -> caf::result<std::string> {
        if (id == "known") return std::string{"found"};
        return make_error(ec::not_found, "no call " + id);
      },
  };
}

// Runs one db_then job on `w`'s pool and hands its outcome to the test thread.
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using prober = caf::typed_actor<caf::replies_to<probe_atom>::with<std::string>>;

prober::behavior_type prober_impl(prober::pointer self, actors::wiring_ptr w) {
  return {
      [=](probe_atom) -> caf::typed_response_promise<std::string> {
        auto rp = self->make_response_promise<std::string>();
        actors::db_then<int>(
            self, *w, [](pqxx::connection&) { return 42; },
            [rp](caf::expected<int> n) mutable {
              if (n)
                rp.deliver(std::to_string(*n));
              else
                rp.deliver(std::move(n.error()));
            });
        return rp;
      },
  };
}

}  // namespace

TEST_CASE("an rm::ec error travels through a request/reply and renders its name") {
  caf::actor_system_config cfg;
  actors::register_errors(cfg);
  caf::actor_system sys{cfg};
  auto f = sys.spawn(finder_impl);
  caf::scoped_actor self{sys};

  caf::error err;
  std::string found;
  self->request(f, 5s, lookup_atom::value, std::string{"c-17"})
      .receive([&](std::string& s) { found = s; }, [&](caf::error& e) { err = e; });
  REQUIRE(err);
  CHECK(found.empty());
  CHECK(err.category() == ec_category);
  CHECK(actors::ec_of(err) == ec::not_found);
  CHECK(actors::message_of(err) == "no call c-17");
  CHECK(actors::describe(err) == "not_found: no call c-17");
  CHECK(sys.render(err) == "rm::not_found: no call c-17");

  // The happy path of the same handler still replies its value.
  self->request(f, 5s, lookup_atom::value, std::string{"known"})
      .receive([&](std::string& s) { found = s; }, [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(found == "found");

  // CAF's own errors get a kind too: a timeout is ec::timeout, anything else ec::unavailable.
  CHECK(actors::ec_of(caf::make_error(caf::sec::request_timeout)) == ec::timeout);
  CHECK(actors::ec_of(caf::make_error(caf::sec::runtime_error)) == ec::unavailable);
  CHECK_FALSE(actors::ec_of(caf::error{}).has_value());
  anon_send_exit(f, caf::exit_reason::user_shutdown);
}

TEST_CASE("every rm::ec renders as its own name") {
  caf::actor_system_config cfg;
  actors::register_errors(cfg);
  caf::actor_system sys{cfg};
  for (auto kind : all_ecs) {
    caf::error e = make_error(kind);  // also: an ec converts to caf::error
    CHECK(actors::ec_of(e) == kind);
    CHECK(sys.render(e) == std::string{"rm::"} + to_string(kind));
    caf::error implicit = kind;
    CHECK(implicit == e);
  }
}

TEST_CASE("an error with a retry-after keeps its sentence and gives back the milliseconds") {
  caf::actor_system_config cfg;
  actors::register_errors(cfg);
  caf::actor_system sys{cfg};
  auto e = make_retry_error(ec::provider_unavailable, "Twilio is paused", 1500);
  CHECK(actors::ec_of(e) == ec::provider_unavailable);
  CHECK(actors::message_of(e) == "Twilio is paused");
  CHECK(actors::describe(e) == "provider_unavailable: Twilio is paused");
  CHECK(sys.render(e) == "rm::provider_unavailable: Twilio is paused");
  CHECK(actors::retry_after_ms_of(e) == std::int64_t{1500});
  // Errors without one say so.
  CHECK_FALSE(actors::retry_after_ms_of(make_error(ec::provider_unavailable, "x")).has_value());
  CHECK_FALSE(actors::retry_after_ms_of(caf::make_error(caf::sec::request_timeout)).has_value());
  CHECK_FALSE(actors::retry_after_ms_of(caf::error{}).has_value());
}

TEST_CASE("db_then hands a failed database job to its continuation as database_unavailable") {
  caf::actor_system_config cfg;
  actors::register_errors(cfg);
  caf::actor_system sys{cfg};
  auto w = std::make_shared<actors::wiring>();
  // Nothing listens on port 1: the worker's connection fails at once.
  w->set(actors::spawn_db_pool(sys, "postgresql://127.0.0.1:1/none?connect_timeout=2", 1,
                               /*detached=*/true, /*runtime_role=*/""));
  auto p = sys.spawn(prober_impl, w);
  caf::scoped_actor self{sys};
  for (int attempt = 0; attempt < 2; ++attempt) {  // the worker stays usable after a failure
    caf::error err;
    self->request(p, 10s, probe_atom::value)
        .receive([&](std::string& s) { FAIL("the job should have failed, got " << s); },
                 [&](caf::error& e) { err = e; });
    REQUIRE(err);
    CHECK(actors::ec_of(err) == ec::database_unavailable);
    CHECK(actors::message_of(err).rfind("database unreachable: ", 0) == 0);
  }
  anon_send_exit(p, caf::exit_reason::user_shutdown);
  anon_send_exit(w->db(), caf::exit_reason::user_shutdown);
}
