// Failed-authentication throttle on a fake clock: more than 20 failures in a sliding 60 s
// block an address.
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "adapters/http/auth_throttle.hpp"

using rm::http::auth_throttle;
using namespace std::chrono_literals;

namespace {

struct fake_clock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  auth_throttle::clock_fn fn() {
    return [this] { return now; };
  }
};

void fail_n(auth_throttle& t, const std::string& addr, int n) {
  for (int i = 0; i < n; ++i) t.record_failure(addr);
}

}  // namespace

TEST_CASE("twenty failures in a minute are tolerated, the twenty-first blocks") {
  fake_clock clock;
  auth_throttle t({}, clock.fn());
  int retry = -1;
  CHECK_FALSE(t.blocked("203.0.113.7", &retry));
  CHECK(retry == 0);
  fail_n(t, "203.0.113.7", 20);
  CHECK_FALSE(t.blocked("203.0.113.7", &retry));
  t.record_failure("203.0.113.7");
  CHECK(t.blocked("203.0.113.7", &retry));
  CHECK(retry == 60);
  CHECK(t.blocked("203.0.113.7", nullptr));
}

TEST_CASE("a blocked address is told how long to wait and is let back in after it") {
  fake_clock clock;
  auth_throttle t({}, clock.fn());
  fail_n(t, "a", 1);
  clock.now += 10s;
  fail_n(t, "a", 20);  // 21 failures spread over 10 s
  int retry = 0;
  clock.now += 5s;
  REQUIRE(t.blocked("a", &retry));
  CHECK(retry == 45);  // the first failure leaves the window 60 s after it happened
  clock.now += 44s + 500ms;
  REQUIRE(t.blocked("a", &retry));
  CHECK(retry == 1);  // rounded up, never 0 while blocked
  clock.now += 500ms;
  CHECK_FALSE(t.blocked("a", &retry));
  CHECK(retry == 0);
  // The 20 later failures still count: one more blocks again, until they age out.
  t.record_failure("a");
  CHECK(t.blocked("a", &retry));
  CHECK(retry == 10);
}

TEST_CASE("failures older than the window do not count") {
  fake_clock clock;
  auth_throttle t({}, clock.fn());
  for (int i = 0; i < 100; ++i) {
    t.record_failure("slow");
    clock.now += 3s;  // 20 per minute, never more than 20 inside any window
  }
  CHECK_FALSE(t.blocked("slow", nullptr));
}

TEST_CASE("failing while blocked keeps the address blocked") {
  fake_clock clock;
  auth_throttle t({}, clock.fn());
  fail_n(t, "x", 21);
  clock.now += 30s;
  fail_n(t, "x", 21);  // still guessing while blocked
  clock.now += 40s;    // the first burst has aged out, the second has not
  int retry = 0;
  CHECK(t.blocked("x", &retry));
  CHECK(retry == 20);
  clock.now += 20s;
  CHECK_FALSE(t.blocked("x", nullptr));
}

TEST_CASE("addresses are throttled independently") {
  fake_clock clock;
  auth_throttle t({}, clock.fn());
  fail_n(t, "198.51.100.1", 21);
  CHECK(t.blocked("198.51.100.1", nullptr));
  CHECK_FALSE(t.blocked("198.51.100.2", nullptr));
  CHECK_FALSE(t.blocked("2001:db8::1", nullptr));
}

TEST_CASE("addresses without recent failures are forgotten") {
  fake_clock clock;
  auth_throttle t({}, clock.fn());
  fail_n(t, "a", 3);
  fail_n(t, "b", 3);
  CHECK(t.tracked() == 2);
  clock.now += 61s;
  CHECK_FALSE(t.blocked("a", nullptr));
  CHECK(t.tracked() == 1);
}

TEST_CASE("the table is capped, idle entries are swept, live ones are never evicted") {
  fake_clock clock;
  auth_throttle t({20, 60s, 3}, clock.fn());
  fail_n(t, "attacker", 21);
  t.record_failure("a");
  t.record_failure("b");
  CHECK(t.tracked() == 3);
  t.record_failure("c");  // full of live entries: c is not tracked
  CHECK(t.tracked() == 3);
  fail_n(t, "c", 30);
  CHECK_FALSE(t.blocked("c", nullptr));
  CHECK(t.blocked("attacker", nullptr));  // flooding from others did not unblock it

  clock.now += 30s;
  fail_n(t, "attacker", 21);  // refreshed; a and b go idle at 60 s
  clock.now += 31s;
  t.record_failure("d");  // the sweep frees a and b
  CHECK(t.tracked() == 2);
  CHECK(t.blocked("attacker", nullptr));
}

TEST_CASE("the throttle may be used from many threads at once") {
  auth_throttle t;  // the real clock
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&t, i] {
      for (int n = 0; n < 1000; ++n) {
        t.record_failure("shared");
        t.record_failure("own-" + std::to_string(i));
        t.blocked("shared", nullptr);
      }
    });
  for (auto& th : threads) th.join();
  int retry = 0;
  CHECK(t.blocked("shared", &retry));
  CHECK(retry >= 59);
  CHECK(t.tracked() == 5);
}
