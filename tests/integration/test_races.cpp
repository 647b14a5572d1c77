// 3–4. Races and retries over HTTP: one slot for 32 callers, a retried tool call acts once.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

// Releases every waiting thread at once when the last one arrives.
class start_line {
 public:
  explicit start_line(int n) : waiting_(n) {}
  void arrive_and_wait() {
    --waiting_;
    while (waiting_.load() > 0) std::this_thread::yield();
  }

 private:
  std::atomic<int> waiting_;
};

}  // namespace

TEST_CASE("32 callers reserving the same start at once get exactly one hold", "[races]") {
  harness h;
  auto tenant = h.create_sample_clinic();
  const auto start = future_weekday(3) + "T10:00";
  constexpr int n = 32;
  std::vector<call_spec> calls;
  for (int i = 0; i < n; ++i) {
    call_spec c{"race-call-" + std::to_string(i)};
    c.caller = "+1415555" + std::to_string(1000 + i);
    REQUIRE(h.vapi(status_update(c, "ringing", 1000)).status == 200);
    calls.push_back(c);
  }

  std::vector<reply> replies(n);
  std::vector<long> elapsed_ms(n);
  start_line line{n};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto body =
          tool_calls(calls[i],
                     {{"tc-race-" + std::to_string(i), "reserve_slot", json{{"start", start}}}})
              .dump();
      line.arrive_and_wait();
      auto t0 = std::chrono::steady_clock::now();
      replies[i] = http_post(h.port(), "/webhooks/vapi", body);
      elapsed_ms[i] = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
    });
  }
  for (auto& t : threads) t.join();
  int transport_failures = 0;
  for (int i = 0; i < n; ++i) {
    if (replies[i].status != 0) continue;
    ++transport_failures;
    UNSCOPED_INFO("request " << i << " failed after " << elapsed_ms[i]
                             << " ms: " << replies[i].transport_error);
  }
  CHECK(transport_failures == 0);

  int holds = 0, refusals = 0;
  std::string hold_id;
  for (const auto& r : replies) {
    if (r.status == 0) continue;  // counted above; the database checks below still run
    auto result = only_result(r);
    if (result.contains("result")) {
      ++holds;
      auto hold = json::parse(result["result"].get<std::string>());
      hold_id = hold["hold_id"].get<std::string>();
    } else {
      ++refusals;
      INFO(result.dump());
      CHECK(result["error"].get<std::string>().find("nearest free: ") != std::string::npos);
    }
  }
  CHECK(holds == 1);
  CHECK(refusals == n - 1);
  CHECK(h.count("SELECT count(*) FROM appointments WHERE org_id = $1 "
                "AND status IN ('held', 'booked')",
                {tenant}) == 1);
  CHECK(h.scalar("SELECT id FROM appointments WHERE org_id = $1 AND status IN ('held', 'booked')",
                 {tenant}) == hold_id);
}

TEST_CASE("a retried reserve_slot returns the same text and holds once", "[retries]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"retry-reserve"};
  REQUIRE(h.vapi(status_update(call, "ringing", 1000)).status == 200);
  auto body = tool_calls(
      call, {{"tc-retry-reserve", "reserve_slot", json{{"start", future_weekday(2) + "T11:00"}}}});
  auto first = only_result(h.vapi(body));
  auto second = only_result(h.vapi(body));
  INFO(first.dump());
  REQUIRE(first.contains("result"));
  CHECK(second == first);
  CHECK(h.count("SELECT count(*) FROM appointments WHERE call_id = $1", {call.call_id}) == 1);
}

TEST_CASE("a retried send_sms returns the same text and sends one SMS", "[retries]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"retry-sms"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  auto body = tool_calls(call, {{"tc-retry-sms", "send_sms", json{{"message", "Hello once"}}}});
  auto first = only_result(h.vapi(body));
  auto second = only_result(h.vapi(body));
  INFO(first.dump());
  REQUIRE(first.contains("result"));
  CHECK(second == first);
  CHECK(h.twilio().requests().size() == 1);
  CHECK(h.count("SELECT count(*) FROM messages WHERE call_id = $1", {call.call_id}) == 1);
}

TEST_CASE("two concurrent deliveries of the same toolCallId act once", "[retries]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"concurrent-retry"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  auto sms = tool_calls(call, {{"tc-twice-sms", "send_sms", json{{"message", "Only one"}}}}).dump();
  auto hold =
      tool_calls(call,
                 {{"tc-twice-hold", "reserve_slot", json{{"start", future_weekday(2) + "T14:00"}}}})
          .dump();

  for (const auto& body : {sms, hold}) {
    std::vector<reply> replies(2);
    start_line line{2};
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        line.arrive_and_wait();
        replies[i] = http_post(h.port(), "/webhooks/vapi", body);
      });
    for (auto& t : threads) t.join();
    auto a = only_result(replies[0]);
    auto b = only_result(replies[1]);
    INFO(a.dump() << "\n" << b.dump());
    // At least one delivery reports the action; any other success is the same result.
    CHECK((a.contains("result") || b.contains("result")));
    if (a.contains("result") && b.contains("result")) CHECK(a == b);
  }
  CHECK(h.twilio().requests().size() == 1);
  CHECK(h.count("SELECT count(*) FROM messages WHERE call_id = $1", {call.call_id}) == 1);
  CHECK(h.count("SELECT count(*) FROM appointments WHERE call_id = $1", {call.call_id}) == 1);
}
