// The pure rules of caller-ID verification (domain/verification.hpp) and the code's cryptography
// (actors/verification_code.hpp).
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <regex>
#include <set>
#include <thread>

#include "actors/verification_code.hpp"
#include "domain/verification.hpp"

using namespace rm;
using namespace std::chrono_literals;
using domain::verification_state;

namespace {
const domain::instant t0{std::chrono::seconds{1900000000}};

domain::verification_session pending() {
  domain::verification_session s;
  s.expires_at = t0 + 600s;
  return s;
}
}  // namespace

TEST_CASE("a right code verifies a pending session") {
  auto o = domain::apply_check(pending(), true, t0 + 10s);
  CHECK(o.result == domain::check_result::verified);
  CHECK(o.next.state == verification_state::verified);
}

TEST_CASE("wrong codes count down and the third fails the session with a one-hour lock") {
  auto s = pending();
  CHECK(domain::attempts_left(s) == 3);
  auto first = domain::apply_check(s, false, t0);
  CHECK(first.result == domain::check_result::wrong_code);
  CHECK(domain::attempts_left(first.next) == 2);
  auto second = domain::apply_check(first.next, false, t0);
  CHECK(domain::attempts_left(second.next) == 1);
  auto third = domain::apply_check(second.next, false, t0 + 5s);
  CHECK(third.result == domain::check_result::failed);
  CHECK(third.next.state == verification_state::failed);
  REQUIRE(third.next.locked_until);
  CHECK(*third.next.locked_until == t0 + 5s + 3600s);
  CHECK(domain::gate_check(third.next, t0 + 6s) == domain::check_gate::locked);
}

TEST_CASE("a code is checked only while pending and before its expiry") {
  CHECK(domain::gate_check(pending(), t0 + 599s) == domain::check_gate::ok);
  CHECK(domain::gate_check(pending(), t0 + 600s) == domain::check_gate::expired);
  auto v = pending();
  v.state = verification_state::verified;
  CHECK(domain::gate_check(v, t0) == domain::check_gate::already_verified);
  v.state = verification_state::expired;
  CHECK(domain::gate_check(v, t0) == domain::check_gate::gone);
}

TEST_CASE("the expiry timer expires a pending session only once its time has come") {
  CHECK(domain::on_expiry_timer(pending(), t0 + 599s).state == verification_state::pending);
  CHECK(domain::on_expiry_timer(pending(), t0 + 600s).state == verification_state::expired);
}

TEST_CASE("at most three codes per number per sliding hour, with the wait until the next") {
  std::vector<domain::instant> sends{t0, t0 + 600s};
  CHECK(domain::check_initiation_rate(sends, t0 + 700s).allowed);
  sends.push_back(t0 + 1200s);
  auto refused = domain::check_initiation_rate(sends, t0 + 1300s);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == 3600s - 1300s);
  CHECK(domain::check_initiation_rate(sends, t0 + 3600s).allowed);
}

TEST_CASE("a new code is refused for a verified, locked or rate-limited number, before hashing") {
  using g = domain::initiation_gate;
  CHECK(domain::gate_initiation(false, std::nullopt, {}, t0).gate == g::ok);
  CHECK(domain::gate_initiation(true, std::nullopt, {}, t0).gate == g::already_verified);
  auto locked = domain::gate_initiation(false, t0 + 3000s, {}, t0);
  CHECK(locked.gate == g::locked);
  CHECK(locked.retry_after == 3000s);
  CHECK(domain::gate_initiation(false, t0 - 1s, {}, t0).gate == g::ok);  // the lock has run out
  auto limited = domain::gate_initiation(false, std::nullopt, {t0, t0 + 60s, t0 + 120s}, t0 + 180s);
  CHECK(limited.gate == g::rate_limited);
  CHECK(limited.retry_after == 3600s - 180s);
  // A verified number wins over everything; a lock over the rate limit.
  CHECK(domain::gate_initiation(true, t0 + 60s, {t0, t0, t0}, t0).gate == g::already_verified);
  CHECK(domain::gate_initiation(false, t0 + 60s, {t0, t0, t0}, t0).gate == g::locked);
}

TEST_CASE("the argon2 limiter runs at most its capacity at once and refuses after its wait") {
  actors::argon2_limiter limiter{2, std::chrono::seconds(30)};
  std::atomic<int> running{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      CHECK(limiter.run([&] {
        int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --running;
      }));
    });
  for (auto& t : threads) t.join();
  auto s = limiter.snapshot();
  CHECK(s.capacity == 2);
  CHECK(s.runs == 8);
  CHECK(s.max_in_flight <= 2);
  CHECK(most.load() <= 2);
  CHECK(s.in_flight == 0);

  SECTION("a caller that finds every slot taken for max_wait is refused; fn does not run") {
    actors::argon2_limiter one{1, std::chrono::milliseconds(50)};
    std::promise<void> release;
    auto released = release.get_future().share();
    std::thread holder{[&] { one.run([&] { released.wait(); }); }};
    while (one.snapshot().in_flight == 0) std::this_thread::yield();
    bool ran = false;
    auto t = std::chrono::steady_clock::now();
    CHECK_FALSE(one.run([&] { ran = true; }));
    CHECK(std::chrono::steady_clock::now() - t >= std::chrono::milliseconds(40));
    CHECK_FALSE(ran);
    CHECK(one.snapshot().refused == 1);
    release.set_value();
    holder.join();
    CHECK(one.run([&] { ran = true; }));
    CHECK(ran);
  }
  SECTION("capacity 0 means one slot per core") {
    actors::argon2_limiter cores;
    CHECK(cores.capacity() == std::max(1u, std::thread::hardware_concurrency()));
  }
  SECTION("an exception gives the slot back") {
    actors::argon2_limiter one{1, std::chrono::milliseconds(10)};
    CHECK_THROWS(one.run([] { throw std::runtime_error("out of memory"); }));
    CHECK(one.snapshot().in_flight == 0);
    CHECK(one.run([] {}));
  }
}

TEST_CASE("random bits become six digits without modulo bias") {
  CHECK(domain::code_from_random(0) == std::optional<std::string>{"000000"});
  CHECK(domain::code_from_random(4293999999u) == std::optional<std::string>{"999999"});
  CHECK_FALSE(domain::code_from_random(4294000000u));
  CHECK_FALSE(domain::code_from_random(4294967295u));
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto code = actors::generate_verification_code();
    CHECK(domain::is_code_syntax(code));
    seen.insert(code);
  }
  CHECK(seen.size() > 45);
}

TEST_CASE("the hash is salted argon2id and matches only its code") {
  auto h1 = actors::hash_verification_code("123456");
  auto h2 = actors::hash_verification_code("123456");
  CHECK(h1.rfind("$argon2id$", 0) == 0);
  CHECK(h1 != h2);
  CHECK(h1.find("123456") == std::string::npos);
  CHECK(actors::verification_code_matches(h1, "123456"));
  CHECK_FALSE(actors::verification_code_matches(h1, "123457"));
  CHECK_FALSE(actors::verification_code_matches("", "123456"));
}

TEST_CASE("the SMS carries the code once and the call speaks it twice") {
  CHECK(domain::verification_sms_body("482913").find("482913") != std::string::npos);
  auto twiml = domain::verification_twiml("482913");
  std::regex spoken{"4, 8, 2, 9, 1, 3"};
  CHECK(std::distance(std::sregex_iterator(twiml.begin(), twiml.end(), spoken),
                      std::sregex_iterator()) == 2);
  CHECK_THROWS(domain::verification_twiml("12<34>"));
}

TEST_CASE("masking removes the code in both its written and spoken forms") {
  auto masked = domain::mask_code(domain::verification_twiml("482913") + " 482913", "482913");
  CHECK(masked.find("482913") == std::string::npos);
  CHECK(masked.find("4, 8, 2") == std::string::npos);
  CHECK(masked.find(domain::masked_code) != std::string::npos);
  CHECK(domain::verification_call_script_masked().find(domain::masked_code) != std::string::npos);
}
