// Issue 12 §4 with the real `ringmaster` binary (RINGMASTER_BIN) and the Vapi fake (the server
// behind the fake-vapi executable, in this process so failures can be scripted): an agent created
// through the API is answered at once with its tools sync `pending`; the tools sync actor then
// registers each global tool once and links them to the assistant through model.toolIds, Vapi
// failing twice first (503 on /tool, retried after RINGMASTER_TOOLS_SYNC_BACKOFF_MS, doubled), and
// GET /api/agents/{id} ends `synced` with 3 attempts.
#include <catch2/catch.hpp>
#include <cstdio>
#include <set>

#include "adapters/vapi/tool_sync.hpp"
#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

TEST_CASE("an agent created through the binary shows its tools sync pending then synced",
          "[tools_sync]") {
  rm::testing::scratch_database db;
  const std::string vapi_key = "integration-vapi-private-key";
  rm::fakes::fake_vapi vapi{vapi_key};
  const int port = free_port();
  const std::string jwt_secret = "tools-sync-jwt-secret-0123456789abcdef";
  const std::string log_path = "/tmp/rm-integ-tools-sync-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  const std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_VAPI_AUTH", "none"},
      {"RINGMASTER_VAPI_API_BASE", vapi.base_url()},
      {"RINGMASTER_VAPI_PRIVATE_KEY", vapi_key},
      {"RINGMASTER_PUBLIC_URL", "https://ringmaster.example.test"},
      {"RINGMASTER_TOOLS_SYNC_BACKOFF_MS", "300"},
      {"RINGMASTER_MASTER_KEY", test_master_key()},
      {"RINGMASTER_MASTER_KEY_FILE", ""},
      {"RINGMASTER_JWT_SECRET", jwt_secret},
  };
  auto serve = start_serve(env, port, log_path, std::chrono::seconds(60));

  auto created = http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token);
  INFO(created.text);
  REQUIRE(created.status == 201);
  const std::string org = created.body["id"];
  const std::string jwt = rm::testing::mint_jwt(jwt_secret, org, "admin");

  // The first two attempts fail (the first request of each is GET /tool); the third succeeds
  // no sooner than 300 + 600 ms after the agent is saved.
  vapi.fail_next(503, 2, "", "/tool");
  auto agent = http_post(port, "/api/agents",
                         json{{"agent_name", "Front Desk"}, {"language", "en"},
                              {"provision_phone", false}}
                             .dump(),
                         jwt);
  INFO(agent.text);
  REQUIRE(agent.status == 201);
  const std::string id = agent.body["agent"]["id"];
  const std::string assistant_id = agent.body["agent"]["vapi_assistant_id"];
  auto sync_of = [&] {
    auto r = http_get(port, "/api/agents/" + id, jwt);
    INFO(r.text);
    REQUIRE(r.status == 200);
    return r.body["agent"]["tools_sync"];
  };
  auto first = sync_of();
  CHECK(first["status"] == "pending");
  CHECK(first["synced_at"].is_null());

  REQUIRE(eventually([&] { return sync_of()["status"] == "synced"; }));
  const auto done = sync_of();
  CHECK(done["attempts"] == 3);
  CHECK(done["reason"].is_null());
  CHECK(done["synced_at"].is_string());

  // One registration per definition; the assistant links exactly those ids, no inline tools.
  const auto definitions = rm::vapi::global_tool_definitions(3).size();
  REQUIRE(vapi.tools().size() == definitions);
  std::set<std::string> registered, linked;
  for (const auto& t : vapi.tools()) registered.insert(t["id"].get<std::string>());
  for (const auto& a : vapi.assistants())
    if (a["id"] == assistant_id) {
      for (const auto& t : a["model"]["toolIds"]) linked.insert(t.get<std::string>());
      CHECK_FALSE(a["model"].contains("tools"));
    }
  CHECK(linked == registered);

  auto tenants = http_get(port, "/sessions/tenants", operator_token);
  REQUIRE(tenants.status == 200);
  REQUIRE(tenants.body["tenants"].size() == 1);
  CHECK(tenants.body["tenants"][0]["pending_tool_syncs"] == 0);
  std::remove(log_path.c_str());
}
