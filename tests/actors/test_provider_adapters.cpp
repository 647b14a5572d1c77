// The provider gate and the adapter actors (issue 10 §3): a typed request is refused while the
// tenant's breaker for that provider is open, another tenant (and the other provider) is not,
// and the cool-off passes on an injected clock (wiring::steady_now), not on the real one.
// Twilio is a closed local port (connection refused at once): every request that is admitted is
// a transport failure, which the breaker counts. No database needed.
#include <catch2/catch.hpp>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <optional>

#include "actors/actors.hpp"

using namespace rm;
using namespace std::chrono_literals;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::wiring_ptr w = std::make_shared<actors::wiring>();
  std::shared_ptr<std::atomic<std::int64_t>> clock_ms =
      std::make_shared<std::atomic<std::int64_t>>(0);
  actors::twilio_endpoint dead;  // nothing listens there

  fixture() {
    sys = std::make_unique<caf::actor_system>(cfg);
    auto ms = clock_ms;
    w->steady_now = [ms] {
      return std::chrono::steady_clock::time_point{} + std::chrono::hours(1) +
             std::chrono::milliseconds(ms->load());
    };
    w->times.breaker = {2, 60s, 1500ms};
    w->set(actors::spawn_provider_gate(*sys, w));
    w->set(actors::spawn_twilio(*sys, "http://127.0.0.1:1", w));
    w->set(actors::spawn_vapi(*sys, w));
    dead.base_url = "http://127.0.0.1:1";
    dead.retry.max_attempts = 1;
    dead.timeout = 2s;
  }
  ~fixture() {
    caf::anon_send_exit(w->twilio(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->vapi(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(w->gate(), caf::exit_reason::user_shutdown);
    sys.reset();
  }

  // One fetch_account for `org`: the result when it ran, else the refusal's retry-after (ms).
  struct answer {
    std::optional<twilio::account_result> ran;
    std::optional<std::int64_t> refused_ms;
    std::string refused_text;
    std::string other_error;
  };
  answer fetch(const std::string& org) {
    caf::scoped_actor self{*sys};
    answer a;
    self->request(w->twilio(), 10s, actors::account_atom::value, org, dead,
                  twilio::credentials{"AC00000000000000000000000000000000", "token"})
        .receive([&](twilio::account_result& r) { a.ran = r; },
                 [&](caf::error& e) {
                   if (actors::ec_of(e) == ec::provider_unavailable &&
                       actors::retry_after_ms_of(e)) {
                     a.refused_ms = actors::retry_after_ms_of(e);
                     a.refused_text = actors::message_of(e);
                   } else
                     a.other_error = sys->render(e);
                 });
    return a;
  }

  nlohmann::json breakers() {
    caf::scoped_actor self{*sys};
    std::string out;
    self->request(w->gate(), 10s, actors::breakers_atom::value)
        .receive([&](std::string& s) { out = s; }, [&](caf::error&) {});
    return nlohmann::json::parse(out);
  }
};

}  // namespace

TEST_CASE("a typed Twilio request is refused while its tenant's breaker is open; other tenants "
          "and Vapi go through; the probe after the cool-off runs",
          "[actors][breaker]") {
  fixture f;
  for (int i = 0; i < 2; ++i) {
    auto a = f.fetch("org-a");
    INFO(a.other_error);
    REQUIRE(a.ran);
    CHECK_FALSE(a.ran->ok);
    CHECK(a.ran->error.http_status == 0);  // transport failure: counted
  }
  auto b = f.breakers();
  REQUIRE(b.contains("org-a"));
  CHECK(b["org-a"][0]["state"] == "open");

  // Refused before anything is attempted, with the cool-off left.
  auto refused = f.fetch("org-a");
  CHECK_FALSE(refused.ran);
  REQUIRE(refused.refused_ms);
  CHECK(*refused.refused_ms == 1500);
  CHECK(refused.refused_text ==
        "Twilio is unavailable for this clinic after repeated failures: requests are paused for "
        "2 s (circuit breaker open)");

  // The call actor's short SMS form folds the refusal into a result the assistant can read.
  {
    caf::scoped_actor self{*f.sys};
    std::optional<twilio::sms_result> sms;
    std::string error;
    self->request(f.w->twilio(), 10s, actors::sms_atom::value, std::string("org-a"),
                  twilio::credentials{"AC00000000000000000000000000000000", "token"},
                  twilio::sms_request{"+14155550100", "+14155550177", "hello", ""})
        .receive([&](twilio::sms_result& r) { sms = r; },
                 [&](caf::error& e) { error = f.sys->render(e); });
    INFO(error);
    REQUIRE(sms);
    CHECK_FALSE(sms->ok);
    CHECK(sms->error.http_status == 0);
    CHECK(sms->error.message ==
          "Twilio calls for this clinic are paused after repeated failures (circuit breaker "
          "open; retry in 2 s)");
  }

  // Another tenant's Twilio breaker is its own: admitted (and it runs, and fails on its own).
  auto other = f.fetch("org-b");
  INFO(other.other_error);
  REQUIRE(other.ran);
  CHECK(other.ran->error.http_status == 0);
  CHECK(f.breakers()["org-b"][0]["state"] == "closed");

  // The same tenant's Vapi breaker too: without a private key the client fails without I/O, but
  // the request was admitted and answered (not refused).
  {
    caf::scoped_actor self{*f.sys};
    actors::vapi_endpoint no_key;
    no_key.base_url = "http://127.0.0.1:1";
    bool answered = false;
    std::string error;
    self->request(f.w->vapi(), 10s, actors::asst_get_atom::value, std::string("org-a"), no_key,
                  std::string("asst-1"))
        .receive([&](vapi::response& r) { answered = !r.ok; },
                 [&](caf::error& e) { error = f.sys->render(e); });
    INFO(error);
    CHECK(answered);
  }

  // Time moves only on the injected clock: 1 s later still open, with 500 ms left.
  *f.clock_ms += 1000;
  auto still = f.fetch("org-a");
  REQUIRE(still.refused_ms);
  CHECK(*still.refused_ms == 500);

  // After the cool-off the next request is the probe: it runs (and fails again → open).
  *f.clock_ms += 600;
  CHECK(f.breakers()["org-a"][0]["state"] == "half_open");
  auto probe = f.fetch("org-a");
  REQUIRE(probe.ran);
  CHECK(f.breakers()["org-a"][0]["state"] == "open");
  CHECK(f.fetch("org-a").refused_ms);
}

TEST_CASE("the gate's admit / outcome messages: one probe at a time while half-open",
          "[actors][breaker]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto admit = [&](const std::string& org) {
    actors::admission out;
    self->request(f.w->gate(), 10s, actors::admit_atom::value, org, actors::provider::vapi)
        .receive([&](actors::admission& a) { out = a; }, [&](caf::error&) {});
    return out;
  };
  auto report = [&](const std::string& org, actors::outcome_kind k) {
    self->send(f.w->gate(), actors::outcome_atom::value, org, actors::provider::vapi, k);
  };
  for (int i = 0; i < 2; ++i) {
    REQUIRE(admit("org-a").allowed);
    report("org-a", actors::outcome_kind::failure);
  }
  CHECK_FALSE(admit("org-a").allowed);
  CHECK(admit("org-b").allowed);
  report("org-b", actors::outcome_kind::neutral);
  *f.clock_ms += 1500;
  CHECK(admit("org-a").allowed);        // the probe
  CHECK_FALSE(admit("org-a").allowed);  // while it is out
  report("org-a", actors::outcome_kind::success);
  CHECK(admit("org-a").allowed);  // closed again
  report("org-a", actors::outcome_kind::success);
  CHECK(f.breakers()["org-a"][0]["state"] == "closed");
}
