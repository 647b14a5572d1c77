// The tools sync of agents (actors/tools_sync.hpp, issue 12 §4): saving an agent answers at once
// and the supervised sync actor links the global Vapi tools in the background — one registered
// tool per definition for every tenant, one PATCH per changed definition, retries with backoff
// (shortened to 20 ms here) ending `synced` or `failed` with the reason, pending rows resumed
// after a restart. Whole service against the fake Vapi; waits poll with a deadline.
#include <set>

#include <catch2/catch.hpp>

#include "adapters/vapi/tool_sync.hpp"
#include "tests/agents/fixture.hpp"

using namespace rm::agents_test;

namespace {

std::unique_ptr<fixture> sync_fixture(int attempts = 4) {
  return std::make_unique<fixture>(nullptr, [attempts](rm::actors::service_options& o) {
    o.tools_sync_backoff = std::chrono::milliseconds(20);
    o.tools_sync_attempts = attempts;
  });
}

json agent_body(const std::string& name) {
  return {{"agent_name", name}, {"language", "en"}, {"provision_phone", false}};
}

// POST /api/agents as the tenant's admin; the created agent.
json create_agent(fixture& f, const std::string& org, const std::string& name) {
  auto r = f.post("/api/agents", mint(org), agent_body(name));
  INFO(r.text);
  REQUIRE(r.status == 201);
  return r.body["agent"];
}

json tools_sync(fixture& f, const std::string& org, const std::string& id) {
  auto r = f.get("/api/agents/" + id, mint(org, "member"));
  INFO(r.text);
  REQUIRE(r.status == 200);
  return r.body["agent"]["tools_sync"];
}

bool ends(fixture& f, const std::string& org, const std::string& id, const std::string& status) {
  return rm::testing::eventually([&] {
    auto s = tools_sync(f, org, id);
    return s.is_object() && s["status"] == status;
  });
}

int requests(fixture& f, const std::string& method, const std::string& path_prefix) {
  int n = 0;
  for (const auto& r : f.vapi().requests())
    if (r.method == method && r.path.rfind(path_prefix, 0) == 0 && r.status < 300) ++n;
  return n;
}

json assistant(fixture& f, const std::string& id) {
  for (const auto& a : f.vapi().assistants())
    if (a["id"] == id) return a;
  FAIL("no assistant " << id);
  return nullptr;
}

std::set<std::string> tool_ids_of(const json& assistant) {
  std::set<std::string> out;
  for (const auto& id : assistant["model"].value("toolIds", json::array())) out.insert(id);
  return out;
}

const std::size_t definitions = rm::vapi::global_tool_definitions(3).size();

}  // namespace

TEST_CASE("two agents of two tenants share one registered tool per definition") {
  auto f = sync_fixture();
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  auto b = f->create_tenant("Uptown Smiles", {{"+14155550101", ""}});
  const auto agent_a = create_agent(*f, a, "Harbor Front Desk");
  const auto agent_b = create_agent(*f, b, "Uptown Front Desk");
  REQUIRE(ends(*f, a, agent_a["id"], "synced"));
  REQUIRE(ends(*f, b, agent_b["id"], "synced"));

  CHECK(requests(*f, "POST", "/tool") == int(definitions));  // once per definition, in all
  REQUIRE(f->vapi().tools().size() == definitions);
  std::set<std::string> registered;
  for (const auto& t : f->vapi().tools()) registered.insert(t["id"].get<std::string>());
  const auto linked_a = tool_ids_of(assistant(*f, agent_a["vapi_assistant_id"]));
  const auto linked_b = tool_ids_of(assistant(*f, agent_b["vapi_assistant_id"]));
  CHECK(linked_a == registered);
  CHECK(linked_b == registered);
  // Our inline tools are gone; the rest of the assistant is the clinic's as created.
  const auto asst_a = assistant(*f, agent_a["vapi_assistant_id"]);
  CHECK_FALSE(asst_a["model"].contains("tools"));
  CHECK(asst_a["model"]["messages"].size() == 1);
  CHECK(asst_a["name"] == "Harbor Front Desk");

  const auto s = tools_sync(*f, a, agent_a["id"]);
  CHECK(s["attempts"] == 1);
  CHECK(s["reason"].is_null());
  CHECK(s["synced_at"].is_string());
  // Each tenant records what its assistants link (org_tools, one row per tool).
  CHECK(f->count("SELECT count(*) FROM org_tools WHERE org_id = $1", {a}) == int(definitions));
  CHECK(f->count("SELECT count(*) FROM org_tools WHERE org_id = $1", {b}) == int(definitions));
  // Another tenant's agent is not found.
  CHECK(f->get("/api/agents/" + agent_a["id"].get<std::string>(), mint(b)).status == 404);
}

TEST_CASE("a definition change triggers one PATCH per tool, not one per assistant") {
  auto f = sync_fixture();
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  auto b = f->create_tenant("Uptown Smiles", {{"+14155550101", ""}});
  const auto agent_a = create_agent(*f, a, "Harbor Front Desk");
  const auto agent_b = create_agent(*f, b, "Uptown Front Desk");
  REQUIRE(ends(*f, a, agent_a["id"], "synced"));
  REQUIRE(ends(*f, b, agent_b["id"], "synced"));
  const auto current = f->scalar(
      "SELECT definition_hash FROM vapi_tools WHERE tool_name = 'check_availability'");

  // What a deployment with a new check_availability definition finds: the recorded version
  // differs from the definition it carries.
  f->scalar("UPDATE vapi_tools SET definition_hash = repeat('0', 64) WHERE tool_name = "
            "'check_availability' RETURNING tool_name");
  f->vapi().clear_requests();
  // Both agents saved again (renamed): both are synced again.
  for (const auto& [org, agent] : {std::pair{a, agent_a}, std::pair{b, agent_b}}) {
    auto r = f->request("PATCH", "/api/agents/" + agent["id"].get<std::string>(), mint(org),
                        json{{"agent_name", "Renamed"}}.dump());
    INFO(r.text);
    REQUIRE(r.status == 200);
  }
  REQUIRE(ends(*f, a, agent_a["id"], "synced"));
  REQUIRE(ends(*f, b, agent_b["id"], "synced"));
  CHECK(requests(*f, "PATCH", "/tool/") == 1);
  CHECK(requests(*f, "POST", "/tool") == 0);
  CHECK(f->scalar("SELECT definition_hash FROM vapi_tools WHERE tool_name = "
                  "'check_availability'") == current);
}

TEST_CASE("Vapi failing 3 times then succeeding ends synced") {
  auto f = sync_fixture();
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  f->vapi().fail_next(503, 3, "", "/tool");
  const auto agent = create_agent(*f, a, "Harbor Front Desk");
  REQUIRE(ends(*f, a, agent["id"], "synced"));
  const auto s = tools_sync(*f, a, agent["id"]);
  CHECK(s["attempts"] == 4);
  CHECK(s["reason"].is_null());
  CHECK(tool_ids_of(assistant(*f, agent["vapi_assistant_id"])).size() == definitions);
}

TEST_CASE("Vapi failing beyond the retries ends failed with the reason; a 4xx fails at once") {
  auto f = sync_fixture(3);
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  f->vapi().fail_next(503, 3, "", "/tool");
  const auto agent = create_agent(*f, a, "Harbor Front Desk");
  REQUIRE(ends(*f, a, agent["id"], "failed"));
  auto s = tools_sync(*f, a, agent["id"]);
  CHECK(s["attempts"] == 3);
  CHECK(s["reason"].get<std::string>().find("HTTP 503") != std::string::npos);
  CHECK(s["synced_at"].is_null());
  CHECK(f->vapi().tools().empty());

  // Vapi refusing the request itself (400) is not retried.
  f->vapi().fail_next(400, 1, "", "/tool");
  const auto other = create_agent(*f, a, "Harbor Night Line");
  REQUIRE(ends(*f, a, other["id"], "failed"));
  s = tools_sync(*f, a, other["id"]);
  CHECK(s["attempts"] == 1);
  CHECK(s["reason"].get<std::string>().find("HTTP 400") != std::string::npos);
}

TEST_CASE("pending syncs show in /sessions/tenants and are resumed after a restart") {
  auto f = sync_fixture();
  auto a = f->create_tenant("Harbor Dental", {{"+14155550100", ""}});
  const auto agent = create_agent(*f, a, "Harbor Front Desk");
  REQUIRE(ends(*f, a, agent["id"], "synced"));
  // A sync left pending by a process that died before its attempt.
  const std::string assistant_id = agent["vapi_assistant_id"];
  f->scalar("UPDATE agent_tool_syncs SET status = 'pending', attempts = 0 WHERE agent_id = $1 "
            "RETURNING status",
            {agent["id"].get<std::string>()});
  auto tenants = f->request("GET", "/sessions/tenants", operator_token);
  REQUIRE(tenants.status == 200);
  int pending = -1;
  for (const auto& t : tenants.body["tenants"])
    if (t["id"] == a) pending = t["pending_tool_syncs"];
  CHECK(pending == 1);

  f->vapi().clear_requests();
  f->restart();
  REQUIRE(ends(*f, a, agent["id"], "synced"));
  CHECK(requests(*f, "GET", "/assistant/" + assistant_id) == 1);  // the resumed attempt ran
  tenants = f->request("GET", "/sessions/tenants", operator_token);
  for (const auto& t : tenants.body["tenants"])
    if (t["id"] == a) CHECK(t["pending_tool_syncs"] == 0);
}
