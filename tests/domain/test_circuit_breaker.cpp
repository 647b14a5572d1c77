// The per-tenant circuit breaker's rules with a hand-driven clock.
#include <catch2/catch.hpp>

#include "domain/circuit_breaker.hpp"

using namespace std::chrono_literals;
using rm::domain::breaker_settings;
using rm::domain::breaker_state;
using rm::domain::circuit_breaker;

namespace {
const circuit_breaker::time_point t0 = circuit_breaker::time_point{} + 1000h;
const breaker_settings three_in_10s{3, 10s, 30s};
}  // namespace

TEST_CASE("breaker: closed admits, fewer failures than the threshold keep it closed", "[breaker]") {
  circuit_breaker b(three_in_10s);
  CHECK(b.state(t0) == breaker_state::closed);
  CHECK(b.admit(t0).allowed);
  b.on_failure(t0);
  b.on_failure(t0 + 1s);
  CHECK(b.state(t0 + 1s) == breaker_state::closed);
  CHECK(b.recent_failures(t0 + 1s) == 2);
  CHECK(b.admit(t0 + 2s).allowed);
  CHECK_FALSE(b.admit(t0 + 2s).probe);
}

TEST_CASE("breaker: failures older than the window do not count", "[breaker]") {
  circuit_breaker b(three_in_10s);
  b.on_failure(t0);
  b.on_failure(t0 + 5s);
  CHECK(b.recent_failures(t0 + 10s) == 1);  // the first one is exactly 10 s old: out
  b.on_failure(t0 + 11s);                    // t0+5 and t0+11: two within 10 s
  CHECK(b.state(t0 + 11s) == breaker_state::closed);
  b.on_failure(t0 + 12s);  // three within 10 s
  CHECK(b.state(t0 + 12s) == breaker_state::open);
}

TEST_CASE("breaker: a success while closed does not wipe recent failures", "[breaker]") {
  circuit_breaker b(three_in_10s);
  b.on_failure(t0);
  b.on_success(t0 + 1s);
  b.on_failure(t0 + 2s);
  b.on_success(t0 + 3s);
  b.on_failure(t0 + 4s);
  CHECK(b.state(t0 + 4s) == breaker_state::open);
}

TEST_CASE("breaker: open refuses with the time left, then lets one probe through", "[breaker]") {
  circuit_breaker b(three_in_10s);
  for (int i = 0; i < 3; ++i) b.on_failure(t0 + std::chrono::seconds(i));
  const auto opened = t0 + 2s;
  REQUIRE(b.state(opened) == breaker_state::open);
  CHECK(b.open_until() == opened + 30s);
  CHECK(b.recent_failures(opened) == 3);

  auto refused = b.admit(opened + 10s);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == 20s);
  CHECK(b.state(opened + 29s) == breaker_state::open);

  // Cool-off over: reads half-open, and the next request is the probe.
  CHECK(b.state(opened + 30s) == breaker_state::half_open);
  auto probe = b.admit(opened + 30s);
  CHECK(probe.allowed);
  CHECK(probe.probe);
  // Only one probe at a time.
  auto second = b.admit(opened + 30s);
  CHECK_FALSE(second.allowed);
  CHECK(second.retry_after == 1s);

  SECTION("the probe succeeds: closed, failures forgotten") {
    b.on_success(opened + 31s);
    CHECK(b.state(opened + 31s) == breaker_state::closed);
    CHECK(b.recent_failures(opened + 31s) == 0);
    CHECK(b.admit(opened + 31s).allowed);
    // It takes the full threshold again to open it.
    b.on_failure(opened + 32s);
    b.on_failure(opened + 33s);
    CHECK(b.state(opened + 33s) == breaker_state::closed);
  }
  SECTION("the probe fails: open again for a new cool-off") {
    b.on_failure(opened + 31s);
    CHECK(b.state(opened + 31s) == breaker_state::open);
    CHECK(b.open_until() == opened + 61s);
    CHECK(b.recent_failures(opened + 31s) == 4);
    CHECK_FALSE(b.admit(opened + 40s).allowed);
    CHECK(b.admit(opened + 61s).probe);
  }
  SECTION("the probe ends neutrally: the slot is free for another probe") {
    b.on_neutral(opened + 31s);
    CHECK(b.state(opened + 31s) == breaker_state::half_open);
    auto again = b.admit(opened + 31s);
    CHECK(again.allowed);
    CHECK(again.probe);
  }
}

TEST_CASE("breaker: late outcomes of requests admitted before it opened change nothing",
          "[breaker]") {
  circuit_breaker b(three_in_10s);
  for (int i = 0; i < 3; ++i) b.on_failure(t0);
  b.on_success(t0 + 1s);
  b.on_failure(t0 + 1s);
  CHECK(b.state(t0 + 1s) == breaker_state::open);
  CHECK(b.open_until() == t0 + 30s);
}

TEST_CASE("breaker: settings are clamped to sane values, state names", "[breaker]") {
  circuit_breaker b(breaker_settings{0, 0ms, -5s});
  CHECK(b.settings().failure_threshold == 1);
  CHECK(b.settings().cool_off == 0ms);
  b.on_failure(t0);
  CHECK(b.state(t0) == breaker_state::half_open);  // open with no cool-off: probe at once
  CHECK(std::string(rm::domain::to_string(breaker_state::closed)) == "closed");
  CHECK(std::string(rm::domain::to_string(breaker_state::open)) == "open");
  CHECK(std::string(rm::domain::to_string(breaker_state::half_open)) == "half_open");
}
