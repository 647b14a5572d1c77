// 9. Crash recovery with the real `ringmaster` binary (RINGMASTER_BIN): kill -9 in the middle of a
// call, start again, and the call carries on from the database. With group commit (the journal,
// issue 13 §3): kill -9 while many fresh calls' status-updates are being batched, and every
// acknowledged event is stored. Recovery (§5): calls left unfinished in the database are all
// listed again by GET /sessions/calls after a restart, with the same views.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

TEST_CASE("a call survives kill -9 of the service and carries on after the restart",
          "[crash-recovery]") {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-crash-" + std::to_string(::getpid()) + ".log";
  const std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_VAPI_AUTH", "none"},  // the webhooks below carry no credential
      {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
      {"RINGMASTER_MASTER_KEY", test_master_key()},
  };
  auto start = [&] {
    auto child = start_serve(env, port, log_path, std::chrono::seconds(60));
    REQUIRE(http_get(port, "/readyz").status == 200);
    return child;
  };

  auto post = [&](const json& body, const std::string& path = "/webhooks/vapi",
                  const std::string& token = "") {
    return http_post(port, path, body.dump(), token);
  };
  auto view = [&](const std::string& id) {
    auto r = http_get(port, "/sessions/calls/" + id, operator_token);
    INFO(r.text);
    REQUIRE(r.status == 200);
    return r.body;
  };

  call_spec call{"crash-call-1"};
  const auto reserve = tool_calls(
      call, {{"tc-crash-hold", "reserve_slot", json{{"start", future_weekday(2) + "T13:00"}}}});
  std::string hold_result;
  {
    auto first = start();
    const json tenant = clinic_tenant();
    auto created = post(tenant, "/ops/tenants", operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    REQUIRE(post(status_update(call, "ringing", 1000)).status == 200);
    REQUIRE(post(status_update(call, "in-progress", 2000)).status == 200);
    auto hold = only_result(post(reserve));
    INFO(hold.dump());
    REQUIRE(hold.contains("result"));
    hold_result = hold["result"].get<std::string>();
    first->kill_hard();  // kill -9, in the middle of the call
    CHECK_FALSE(first->running());
  }
  const std::string hold_id = json::parse(hold_result)["hold_id"];

  auto second = start();
  bool listed = eventually(
      [&] {
        auto r = http_get(port, "/sessions/calls", operator_token);
        if (r.status != 200 || !r.body["calls"].is_array()) return false;
        for (const auto& c : r.body["calls"])
          if (c["id"] == call.call_id) return true;
        return false;
      },
      std::chrono::seconds(30));
  INFO(read_file(log_path));
  REQUIRE(listed);

  auto after = view(call.call_id);
  INFO(after.dump());
  CHECK(after["live"] == true);
  CHECK(after["state"] == "in-progress");
  REQUIRE(after["holds"].size() == 1);
  CHECK(after["holds"][0]["id"] == hold_id);
  CHECK(after["holds"][0]["status"] == "held");

  auto retried = only_result(post(reserve));
  INFO(retried.dump());
  REQUIRE(retried.contains("result"));
  CHECK(retried["result"] == hold_result);
  CHECK(json::parse(retried["result"].get<std::string>())["hold_id"] == hold_id);

  REQUIRE(post(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
  REQUIRE(post(end_of_call_report(call, 4000)).status == 200);
  auto done = view(call.call_id);
  INFO(done.dump());
  CHECK(done["state"] == "scored");
  CHECK(done["outcome"] == "lost");  // a hold that was never booked is not a booking
  CHECK(done["ended_reason"] == "customer-ended-call");
  second->kill_hard();
  std::remove(log_path.c_str());
}

namespace {

std::map<std::string, std::string> service_env(const rm::testing::scratch_database& db, int port,
                                               const rm::fakes::fake_twilio& twilio) {
  return {{"DATABASE_URL", db.url()},
          {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
          {"RINGMASTER_OPERATOR_TOKEN", operator_token},
          {"RINGMASTER_VAPI_AUTH", "none"},
          {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
          {"RINGMASTER_MASTER_KEY", test_master_key()}};
}

}  // namespace

TEST_CASE("kill -9 during group commit loses no acknowledged status-update",
          "[crash-recovery]") {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-crash-gc-" + std::to_string(::getpid()) + ".log";
  const auto env = service_env(db, port, twilio);
  auto first = start_serve(env, port, log_path, std::chrono::seconds(60));
  REQUIRE(http_get(port, "/readyz").status == 200);
  REQUIRE(http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token).status == 201);

  // 16 senders, each posting the first status-update of fresh calls as fast as it is answered,
  // until the service is gone; the journal batches them (many calls, one commit).
  constexpr int senders = 16;
  std::mutex m;
  std::set<std::string> acked, sent;
  std::atomic<int> acks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        call_spec call{"gc-" + std::to_string(t) + "-" + std::to_string(i)};
        {
          std::lock_guard<std::mutex> g{m};
          sent.insert(call.call_id);
        }
        auto r = http_post(port, "/webhooks/vapi", status_update(call, "ringing", 1000).dump());
        if (r.status == 0) return;  // the service is gone
        if (r.status == 200) {
          std::lock_guard<std::mutex> g{m};
          acked.insert(call.call_id);
          ++acks;
        }
      }
    });
  }
  // Kill while the senders are in full flow (batches are being formed and committed).
  REQUIRE(eventually([&] { return acks.load() >= 300; }, std::chrono::seconds(30)));
  first->kill_hard();
  for (auto& th : threads) th.join();
  CHECK_FALSE(first->running());
  INFO("acknowledged " << acked.size() << " of " << sent.size() << " sent");
  REQUIRE(acked.size() >= 300);

  auto second = start_serve(env, port, log_path, std::chrono::seconds(60));
  REQUIRE(http_get(port, "/readyz").status == 200);
  std::set<std::string> stored;
  {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    for (const auto& r : tx.exec("SELECT DISTINCT call_id FROM call_events WHERE kind = 'status'"
                                 " AND call_id LIKE 'gc-%'"))
      stored.insert(r[0].c_str());
  }
  std::vector<std::string> lost;
  for (const auto& id : acked)
    if (!stored.count(id)) lost.push_back(id);
  CHECK(lost.empty());  // every acknowledged event is stored
  for (const auto& id : stored) CHECK(sent.count(id) == 1);  // nothing invented
  // And every stored (unfinished) call is live again and listed.
  auto listed = http_get(port, "/sessions/calls", operator_token);
  REQUIRE(listed.status == 200);
  std::set<std::string> live;
  for (const auto& c : listed.body["calls"]) live.insert(c["id"].get<std::string>());
  for (const auto& id : stored) CHECK(live.count(id) == 1);
  second->kill_hard();
  std::remove(log_path.c_str());
}

TEST_CASE("after a restart every unfinished call is listed by GET /sessions/calls, same views",
          "[crash-recovery]") {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-crash-rec-" + std::to_string(::getpid()) + ".log";
  const auto env = service_env(db, port, twilio);
  auto first = start_serve(env, port, log_path, std::chrono::seconds(60));
  auto created = http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token);
  REQUIRE(created.status == 201);
  const std::string org = created.body["id"];
  // One call through the service (events, a view with content) …
  call_spec call{"rec-call-0"};
  REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "ringing", 1000).dump()).status ==
          200);
  REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "in-progress", 2000).dump())
              .status == 200);
  first->kill_hard();
  // … and 2,000 unfinished calls written straight to the database, plus finished ones that
  // must not come back.
  constexpr int n = 2000;
  {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    tx.exec_params(
        "INSERT INTO calls (id, org_id, direction, caller, dialled, state)"
        " SELECT 'rec-bulk-' || g, $1::uuid, 'inbound', '+14155550177', '+14155550100',"
        " CASE WHEN g % 2 = 0 THEN 'ringing' ELSE 'in-progress' END"
        " FROM generate_series(1, $2::int) g",
        org, n);
    tx.exec_params(
        "INSERT INTO calls (id, org_id, direction, caller, dialled, state)"
        " SELECT 'rec-done-' || g, $1::uuid, 'inbound', '+14155550177', '+14155550100', 'ended'"
        " FROM generate_series(1, 10) g",
        org);
    tx.commit();
  }
  auto second = start_serve(env, port, log_path, std::chrono::seconds(60));
  json calls;
  bool all = eventually(
      [&] {
        auto r = http_get(port, "/sessions/calls", operator_token);
        if (r.status != 200) return false;
        calls = r.body["calls"];
        return calls.size() >= static_cast<std::size_t>(n + 1);
      },
      std::chrono::seconds(30));
  INFO(read_file(log_path));
  REQUIRE(all);
  CHECK(calls.size() == static_cast<std::size_t>(n + 1));
  std::set<std::string> ids;
  for (const auto& c : calls) ids.insert(c["id"].get<std::string>());
  CHECK(ids.count("rec-call-0") == 1);
  CHECK(ids.count("rec-bulk-1") == 1);
  CHECK(ids.count("rec-bulk-2000") == 1);
  CHECK(ids.count("rec-done-1") == 0);
  // The listed view is the call's own view (the shape of GET /sessions/calls/{id}).
  for (const auto& c : calls) {
    if (c["id"] != "rec-call-0" && c["id"] != "rec-bulk-7") continue;
    auto one = http_get(port, "/sessions/calls/" + c["id"].get<std::string>(), operator_token);
    REQUIRE(one.status == 200);
    CHECK(c == one.body);
  }
  for (const auto& c : calls)
    if (c["id"] == "rec-call-0") {
      CHECK(c["state"] == "in-progress");
      CHECK(c["events"].size() == 2);
      CHECK(c["live"] == true);
    }
  second->kill_hard();
  std::remove(log_path.c_str());
}
