// The agent saga (actors/agent_interfaces.hpp) finishes creations from the agents rows: after a
// service restart, and after the saga actor itself was killed (the root supervisor restarts it),
// (as a crash would: exit_reason::unhandled_exception — `kill` cannot be trapped, so it would take
// the supervisor down with it), with Vapi refusing the first attempt and accepting the automatic retry the saga's timer sends.
// Whole service: waits poll with a deadline (testing::eventually), never a fixed sleep; the
// saga's backoff is shortened to 50 ms.
#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include "actors/wiring.hpp"
#include "tests/agents/fixture.hpp"

using namespace rm::agents_test;

namespace {

// An agents row as a process that died mid-creation leaves it: status creating, untouched for
// ten minutes (older than the saga's 120 s take-over), no assistant yet.
std::string interrupted_agent(fixture& f, const std::string& org_id, const std::string& name) {
  return f.scalar(
      "INSERT INTO agents (org_id, name, language, provision_phone, status, created_by,"
      " created_at, updated_at) VALUES ($1, $2, 'en', false, 'creating', 'a-admin',"
      " now() - interval '10 minutes', now() - interval '10 minutes') RETURNING id",
      {org_id, name});
}

bool ready(fixture& f, const std::string& id) {
  return f.scalar("SELECT status FROM agents WHERE id = $1", {id}) == "ready";
}

std::unique_ptr<fixture> saga_fixture() {
  return std::make_unique<fixture>([](rm::http::server_options& o) {
    o.agent_retry_backoff = std::chrono::milliseconds(50);
    o.agent_max_attempts = 3;
  });
}

}  // namespace

TEST_CASE("a creation interrupted by a restart is finished by the saga from its row, Vapi "
          "refusing once and then accepting") {
  auto f = saga_fixture();
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  const auto id = interrupted_agent(*f, a, "Night Line");

  // The first attempt after the restart is refused by Vapi; the saga's timer retries.
  f->vapi().fail_next(400, 1, "POST", "/assistant");
  f->restart();
  REQUIRE(rm::testing::eventually([&] { return ready(*f, id); }));

  auto list = f->get("/api/agents", mint(a, "admin", "a-admin"));
  REQUIRE(list.status == 200);
  REQUIRE(list.body["agents"].size() == 1);
  const auto agent = list.body["agents"][0];
  CHECK(agent["id"] == id);
  CHECK(agent["status"] == "ready");
  CHECK(agent["error"].is_null());
  CHECK(agent["attempts"] == 3);  // the interrupted one, the refused one, the automatic retry
  REQUIRE(agent["vapi_assistant_id"].is_string());
  CHECK(f->vapi().assistants().size() == 1);
  // The refused attempt was recorded and told to the admins, like a request's.
  CHECK(f->count("SELECT count(*) FROM org_notifications WHERE kind = 'agent.failed'"
                 " AND subject_id = $1", {id}) == 1);
  // The agent became the clinic's assistant (it had none).
  CHECK(f->scalar("SELECT assistant_id FROM organizations WHERE id = $1", {a}) ==
        agent["vapi_assistant_id"].get<std::string>());
}

TEST_CASE("the saga actor killed: the supervisor restarts it and it resumes from the rows; "
          "automatic retries stop at max_attempts") {
  auto f = saga_fixture();
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  const auto id = interrupted_agent(*f, a, "Day Line");

  auto w = f->service().shared_wiring();
  const auto before = w->agents();
  f->vapi().fail_next(400, 1, "POST", "/assistant");
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  REQUIRE(rm::testing::eventually([&] { return ready(*f, id); }));
  CHECK(w->agents() != before);
  CHECK(f->count("SELECT attempts FROM agents WHERE id = $1", {id}) == 3);
  CHECK(f->vapi().assistants().size() == 1);

  // Vapi refusing every time: the saga stops after max_attempts and leaves it failed for a
  // request's retry (POST …/retry still resumes it).
  const auto stuck = interrupted_agent(*f, a, "Stuck Line");
  f->vapi().fail_next(400, 2, "POST", "/assistant");  // both automatic attempts (attempts 2 and 3)
  caf::anon_send_exit(w->agents(), caf::exit_reason::unhandled_exception);
  REQUIRE(rm::testing::eventually([&] {
    return f->scalar("SELECT status || ':' || attempts FROM agents WHERE id = $1", {stuck}) ==
           "failed:3";
  }));
  auto again = f->post("/api/agents/" + stuck + "/retry", mint(a, "admin", "a-admin"));
  INFO(again.text);
  CHECK(again.status == 200);
  CHECK(again.body["agent"]["status"] == "ready");
  CHECK(again.body["agent"]["attempts"] == 4);
}
