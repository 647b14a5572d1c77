// Issue 13 §1: two `ringmaster` instances on one database. Each tenant actor answers
// check_availability from its own memory; a hold placed through instance A reaches instance B's
// memory through NOTIFY rm_calendar (migration 015) within a second, and reserves of one slot
// through both instances at once still give exactly one hold (PostgreSQL's exclusion constraint).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

namespace {

struct two_instances {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const std::string master_key = test_master_key();
  const int port_a = free_port(), port_b = free_port();
  const std::string log_a = "/tmp/rm-integ-calendar-a-" + std::to_string(::getpid()) + ".log";
  const std::string log_b = "/tmp/rm-integ-calendar-b-" + std::to_string(::getpid()) + ".log";
  std::unique_ptr<child_process> a, b;

  std::map<std::string, std::string> env(int port) const {
    return {{"DATABASE_URL", db.url()},
            {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
            {"RINGMASTER_OPERATOR_TOKEN", operator_token},
            {"RINGMASTER_VAPI_AUTH", "none"},
            {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
            {"RINGMASTER_MASTER_KEY", master_key}};
  }

  two_instances() {
    a = start_serve(env(port_a), port_a, log_a, std::chrono::seconds(60));
    auto created = http_post(port_a, "/ops/tenants", clinic_tenant().dump(), operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    b = start_serve(env(port_b), port_b, log_b, std::chrono::seconds(60));
  }
  ~two_instances() {
    if (a) a->kill_hard();
    if (b) b->kill_hard();
    std::remove(log_a.c_str());
    std::remove(log_b.c_str());
  }

  // A ringing call on `port`'s instance.
  call_spec call(int port, const std::string& id) const {
    call_spec c{id};
    c.caller = "+1415555" + std::to_string(3000 + std::hash<std::string>{}(id) % 6000);
    REQUIRE(http_post(port, "/webhooks/vapi", status_update(c, "ringing", 1000).dump()).status ==
            200);
    return c;
  }

  json tool(int port, const call_spec& c, const std::string& tool_call_id,
            const std::string& name, const json& args) const {
    auto r = http_post(port, "/webhooks/vapi", tool_calls(c, {{tool_call_id, name, args}}).dump());
    INFO(r.text);
    REQUIRE(r.status == 200);
    return only_result(r);
  }

  int live_rows() const {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    return tx.exec1("SELECT count(*) FROM appointments WHERE status IN ('held', 'booked')")[0]
        .as<int>();
  }
};

std::vector<std::string> slots_of(const json& result) {
  INFO(result.dump());
  REQUIRE(result.contains("result"));
  std::vector<std::string> out;
  const auto parsed = json::parse(result["result"].get<std::string>());
  for (const auto& s : parsed["slots"]) out.push_back(s.get<std::string>());
  return out;
}

bool offered(const std::vector<std::string>& slots, const std::string& slot) {
  return std::find(slots.begin(), slots.end(), slot) != slots.end();
}

}  // namespace

TEST_CASE("a hold placed through one instance is unavailable in the other's check within 1 s",
          "[calendar][two-instances]") {
  two_instances e;
  const auto date = future_weekday(3);
  auto on_b = e.call(e.port_b, "cal-b");
  auto first = e.tool(e.port_b, on_b, "b-check-0", "check_availability", json{{"date", date}});
  INFO(first.dump());
  auto before = slots_of(first);
  REQUIRE(before.size() >= 2);
  const auto slot = before[1];

  auto on_a = e.call(e.port_a, "cal-a");
  auto held = e.tool(e.port_a, on_a, "a-reserve", "reserve_slot", json{{"start", slot}});
  INFO(held.dump());
  REQUIRE(held.contains("result"));
  const auto reserved_at = std::chrono::steady_clock::now();
  // Poll B with fresh toolCallIds until the slot is gone.
  int polls = 0;
  bool gone = false;
  while (std::chrono::steady_clock::now() - reserved_at < std::chrono::seconds(5)) {
    auto slots = slots_of(e.tool(e.port_b, on_b, "b-check-" + std::to_string(++polls),
                                 "check_availability", json{{"date", date}}));
    if (!offered(slots, slot)) {
      gone = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto lag = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - reserved_at)
                       .count();
  INFO("slot " << slot << " gone from B after " << lag << " ms, " << polls << " checks");
  INFO(read_file(e.log_b));
  REQUIRE(gone);
  CHECK(lag <= 1000);
  // B refuses a reserve of that slot (from its memory) and names alternatives.
  auto refused = e.tool(e.port_b, on_b, "b-reserve", "reserve_slot", json{{"start", slot}});
  INFO(refused.dump());
  REQUIRE(refused.contains("error"));
  CHECK(refused["error"].get<std::string>().find("nearest free: ") != std::string::npos);
  CHECK(e.live_rows() == 1);
}

TEST_CASE("reserves of one slot through two instances at once give exactly one hold",
          "[calendar][two-instances][races]") {
  two_instances e;
  const auto start = future_weekday(4) + "T10:00";
  constexpr int n = 16;  // 8 per instance
  std::vector<call_spec> calls;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    int port = i % 2 ? e.port_b : e.port_a;
    ports.push_back(port);
    calls.push_back(e.call(port, "cal-race-" + std::to_string(i)));
  }
  // Both tenant actors load their calendars before the race.
  for (int port : {e.port_a, e.port_b})
    slots_of(e.tool(port, calls[port == e.port_a ? 0 : 1], "warm", "check_availability",
                    json{{"date", future_weekday(4)}}));
  std::atomic<int> waiting{n};
  std::vector<reply> replies(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto body = tool_calls(calls[i], {{"race-" + std::to_string(i), "reserve_slot",
                                         json{{"start", start}}}})
                      .dump();
      --waiting;
      while (waiting.load() > 0) std::this_thread::yield();
      replies[i] = http_post(ports[i], "/webhooks/vapi", body);
    });
  for (auto& t : threads) t.join();
  int holds = 0, refusals = 0;
  for (const auto& r : replies) {
    INFO(r.text);
    REQUIRE(r.status == 200);
    auto result = only_result(r);
    if (result.contains("result"))
      ++holds;
    else if (result["error"].get<std::string>().find("nearest free: ") != std::string::npos)
      ++refusals;
  }
  CHECK(holds == 1);
  CHECK(refusals == n - 1);
  CHECK(e.live_rows() == 1);
}

TEST_CASE("64 concurrent reserve_slot on one slot: one hold, the losers refused from memory",
          "[calendar][races]") {
  harness h;
  auto tenant = h.create_sample_clinic();
  const auto date = future_weekday(3);
  const auto start = date + "T10:00";
  constexpr int n = 64;
  std::vector<call_spec> calls;
  for (int i = 0; i < n; ++i) {
    call_spec c{"race64-" + std::to_string(i)};
    c.caller = "+1415555" + std::to_string(4000 + i);
    REQUIRE(h.vapi(status_update(c, "ringing", 1000)).status == 200);
    calls.push_back(c);
  }
  // The tenant actor is live with its calendar loaded (as during a busy day).
  slots_of(only_result(h.vapi(tool_calls(calls[0], {{"warm", "check_availability",
                                                      json{{"date", date}}}}))));
  std::atomic<int> waiting{n};
  std::vector<reply> replies(n);
  std::vector<double> ms(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto body = tool_calls(calls[i], {{"r64-" + std::to_string(i), "reserve_slot",
                                         json{{"start", start}}}})
                      .dump();
      --waiting;
      while (waiting.load() > 0) std::this_thread::yield();
      auto t0 = std::chrono::steady_clock::now();
      replies[i] = http_post(h.port(), "/webhooks/vapi", body);
      ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count();
    });
  for (auto& t : threads) t.join();
  int holds = 0;
  for (const auto& r : replies) {
    INFO(r.text);
    REQUIRE(r.status == 200);
    auto result = only_result(r);
    if (result.contains("result")) {
      ++holds;
    } else {
      INFO(result.dump());
      CHECK(result["error"].get<std::string>().find("nearest free: ") != std::string::npos);
    }
  }
  CHECK(holds == 1);
  CHECK(h.count("SELECT count(*) FROM appointments WHERE org_id = $1 "
                "AND status IN ('held', 'booked')",
                {tenant}) == 1);
  // Every refusal is recorded (write-behind) under its toolCallId.
  CHECK(eventually([&] {
    return h.count("SELECT count(*) FROM tool_invocations WHERE tool_call_id LIKE 'r64-%'", {}) ==
           n;
  }));
  std::sort(ms.begin(), ms.end());
  // A measurement (the target is p99 ≤ 20 ms on the bench machine), not a timed assertion.
  WARN("64 concurrent reserve_slot: p50 " << ms[n / 2] << " ms, p99 " << ms[n * 99 / 100]
                                          << " ms, max " << ms[n - 1] << " ms");
}

TEST_CASE("after its LISTEN connection is killed, an instance listens again and stays current",
          "[calendar][two-instances]") {
  two_instances e;
  const auto date = future_weekday(3);
  auto on_a = e.call(e.port_a, "cal-a");
  auto on_b = e.call(e.port_b, "cal-b");
  auto before = slots_of(e.tool(e.port_b, on_b, "b-check-0", "check_availability",
                                json{{"date", date}}));
  REQUIRE(before.size() >= 3);
  {  // both instances' listeners lose their connection (as when PostgreSQL restarts)
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    auto killed = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND query ILIKE 'LISTEN%rm_calendar%'");
    tx.commit();
    REQUIRE(killed.size() == 2);
  }
  // A's booking is not lost for B: once B listens again (backoff from 0.25 s) it reloads every
  // live tenant, and later notices arrive as before.
  auto held = e.tool(e.port_a, on_a, "a-reserve-1", "reserve_slot", json{{"start", before[2]}});
  REQUIRE(held.contains("result"));
  int polls = 0;
  CHECK(eventually(
      [&] {
        auto slots = slots_of(e.tool(e.port_b, on_b, "b-check-" + std::to_string(++polls),
                                     "check_availability", json{{"date", date}}));
        return !offered(slots, before[2]);
      },
      std::chrono::seconds(3)));
  held = e.tool(e.port_a, on_a, "a-reserve-2", "reserve_slot", json{{"start", before[0]}});
  REQUIRE(held.contains("result"));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(eventually(
      [&] {
        auto slots = slots_of(e.tool(e.port_b, on_b, "b-check-" + std::to_string(++polls),
                                     "check_availability", json{{"date", date}}));
        return !offered(slots, before[0]);
      },
      std::chrono::seconds(1)));
  INFO(read_file(e.log_b));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  CHECK(read_file(e.log_b).find("calendar_notices: listening again") != std::string::npos);
}
