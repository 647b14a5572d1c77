// 9. Crash recovery with the real `ringmaster` binary (RINGMASTER_BIN): kill -9 in the middle of a
// call, start again, and the call carries on from the database.
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
#include <sstream>

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
