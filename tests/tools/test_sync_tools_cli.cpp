// `ringmaster sync-tools` (app/sync_tools_cli.hpp) against a scratch database and the fake Vapi:
// one registration per definition shared by two tenants, idempotence, one PATCH per changed
// definition, --org, failures recorded as tools_sync failed, and RLS on org_tools.
#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "adapters/vapi/assistant_spec.hpp"
#include "app/sync_tools_cli.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tool_queries.hpp"
#include "tests/fakes/fake_vapi.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace pt = rm::persistence::tools;

namespace {

const std::string key = "vapi-private-key-for-sync-tools";

struct world {
  rm::testing::scratch_database db;
  pqxx::connection owner{db.url()};
  rm::fakes::fake_vapi fake{key};
  rm::vapi::client vapi{fake.base_url(), key, {}, 2s, [](std::chrono::milliseconds) {}};
  std::string org_a, org_b, agent_a, agent_b, assistant_a, assistant_b;

  world() {
    pqxx::work tx{owner};
    org_a = rm::persistence::test::make_tenant(tx, "Harbor Dental", "+14155550100");
    org_b = rm::persistence::test::make_tenant(tx, "Pine Clinic", "+14155550101");
    assistant_a = seed_assistant(org_a);
    assistant_b = seed_assistant(org_b);
    agent_a = agent(tx, org_a, assistant_a);
    agent_b = agent(tx, org_b, assistant_b);
    tx.commit();
  }

  std::string seed_assistant(const std::string& org) {
    rm::vapi::assistant_spec spec;
    spec.agent_name = "Front desk";
    spec.clinic_name = "Clinic";
    spec.language = "en-US";
    spec.server_url = "https://ringmaster.example/webhooks/vapi";
    spec.org_id = org;
    return fake.add_assistant(rm::vapi::assistant_body(spec))["id"].get<std::string>();
  }

  static std::string agent(pqxx::work& tx, const std::string& org, const std::string& assistant) {
    return tx
        .exec_params1("INSERT INTO agents (org_id, name, language, provision_phone, "
                      "vapi_assistant_id, status) VALUES ($1::uuid, 'Front desk', 'en-US', false, "
                      "$2, 'ready') RETURNING id::text",
                      org, assistant)[0]
        .as<std::string>();
  }

  int run(const std::string& org, int sms_per_call, std::string* out_text = nullptr,
          std::string* err_text = nullptr) {
    std::ostringstream out, err;
    int rc = rm::app::run_sync_tools(owner, vapi, org, sms_per_call, out, err);
    if (out_text) *out_text = out.str();
    if (err_text) *err_text = err.str();
    return rc;
  }

  int requests(const std::string& method, const std::string& prefix) const {
    int n = 0;
    for (const auto& r : fake.requests())
      if (r.method == method && r.path.rfind(prefix, 0) == 0) ++n;
    return n;
  }

  std::optional<pt::tools_sync_row> sync_of(const std::string& org, const std::string& agent_id) {
    pqxx::work tx{owner};
    return pt::tools_sync_of(tx, org, agent_id);
  }
};

}  // namespace

TEST_CASE("sync-tools registers each definition once and links both tenants' assistants",
          "[tools][sync-tools]") {
  world w;
  std::string out;
  REQUIRE(w.run("", 3, &out) == 0);
  const auto defs = rm::vapi::global_tool_definitions(3);
  CHECK(w.fake.tools().size() == defs.size());
  CHECK(w.requests("POST", "/tool") == static_cast<int>(defs.size()));
  CHECK(out.find("tool check_availability: created") != std::string::npos);
  CHECK(out.find("assistant " + w.assistant_a) != std::string::npos);
  CHECK(out.find("assistant " + w.assistant_b) != std::string::npos);
  CHECK(out.find("2 linked, 0 already linked, 0 failed") != std::string::npos);

  {
    pqxx::work tx{w.owner};
    auto registered = pt::vapi_tools(tx);
    CHECK(registered.size() == defs.size());
    auto a = pt::org_tools(tx, w.org_a);
    auto b = pt::org_tools(tx, w.org_b);
    REQUIRE(a.size() == defs.size());
    REQUIRE(b.size() == defs.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].vapi_tool_id == b[i].vapi_tool_id);  // one tool per definition, shared
      CHECK(a[i].vapi_tool_id == registered[i].vapi_tool_id);
      CHECK(a[i].definition_hash == registered[i].definition_hash);
    }
  }
  CHECK(w.sync_of(w.org_a, w.agent_a)->status == "synced");
  CHECK(w.sync_of(w.org_b, w.agent_b)->status == "synced");

  SECTION("a second run changes nothing") {
    w.fake.clear_requests();
    REQUIRE(w.run("", 3, &out) == 0);
    CHECK(out == "sync-tools: " + std::to_string(defs.size()) +
                     " tools (0 changed), 2 assistants (0 linked, 2 already linked, 0 failed)\n");
    CHECK(w.requests("POST", "/") == 0);
    CHECK(w.requests("PATCH", "/") == 0);
  }
  SECTION("a changed definition is one PATCH of the tool, none of the assistants") {
    w.fake.clear_requests();
    REQUIRE(w.run("", 5, &out) == 0);
    CHECK(w.requests("PATCH", "/tool/") == 1);
    CHECK(w.requests("POST", "/tool") == 0);
    CHECK(w.requests("PATCH", "/assistant/") == 0);
    CHECK(out.find("tool send_sms: updated") != std::string::npos);
    pqxx::work t2{w.owner};
    const auto sms = pt::find_vapi_tool(t2, "send_sms");
    for (const auto& d : rm::vapi::global_tool_definitions(5))
      if (d.name == "send_sms") CHECK(sms->definition_hash == d.hash);
    for (const auto& row : pt::org_tools(t2, w.org_b))
      if (row.tool_name == "send_sms") CHECK(row.definition_hash == sms->definition_hash);
  }
}

TEST_CASE("sync-tools --org links only that tenant and records failures", "[tools][sync-tools]") {
  world w;
  std::string out, err;
  REQUIRE(w.run(w.org_a, 3, &out) == 0);
  CHECK(out.find(w.assistant_a) != std::string::npos);
  CHECK(out.find(w.assistant_b) == std::string::npos);
  CHECK_FALSE(w.sync_of(w.org_b, w.agent_b).has_value());

  // Org B's assistant was deleted in Vapi: the sync says so, for that agent only.
  {
    pqxx::work tx{w.owner};
    tx.exec_params("UPDATE agents SET vapi_assistant_id = 'deleted-in-vapi' WHERE id = $1::uuid",
                   w.agent_b);
    tx.commit();
  }
  CHECK(w.run("", 3, &out, &err) == 1);
  CHECK(err.find("HTTP 404 Assistant Not Found") != std::string::npos);
  auto failed = w.sync_of(w.org_b, w.agent_b);
  REQUIRE(failed.has_value());
  CHECK(failed->status == "failed");
  CHECK(failed->reason == "HTTP 404 Assistant Not Found");
  CHECK(w.sync_of(w.org_a, w.agent_a)->status == "synced");
}

TEST_CASE("org_tools is tenant-isolated and ringmaster_app keeps vapi_tools but never deletes",
          "[tools][rls]") {
  world w;
  REQUIRE(w.run("", 3) == 0);
  pqxx::connection app{w.db.url()};
  pqxx::nontransaction{app}.exec("SET ROLE ringmaster_app");
  {
    pqxx::work tx{app};
    rm::persistence::set_tenant(tx, w.org_a);
    CHECK(tx.exec1("SELECT count(*) FROM org_tools")[0].as<int>() ==
          static_cast<int>(rm::vapi::global_tool_definitions(3).size()));
    CHECK(pt::org_tools(tx, w.org_b).empty());
    CHECK_FALSE(pt::tools_sync_of(tx, w.org_b, w.agent_b).has_value());
    CHECK(pt::tools_sync_of(tx, w.org_a, w.agent_a).has_value());
  }
  {
    // vapi_tools holds no tenant data (the platform's tool ids and hashes): the service's tools
    // sync keeps it as ringmaster_app (migration 013), with no DELETE.
    pqxx::work tx{app};
    rm::persistence::set_tenant(tx, w.org_a);
    CHECK(pt::vapi_tools(tx).size() == rm::vapi::global_tool_definitions(3).size());
  }
  {
    pqxx::work tx{app};
    CHECK_THROWS_AS(tx.exec("DELETE FROM vapi_tools"), pqxx::insufficient_privilege);
  }
}

TEST_CASE("a second sync-tools waits for the one holding the registration lock",
          "[tools][sync-tools]") {
  world w;
  pqxx::connection other{w.db.url()};
  pqxx::nontransaction{other}.exec("SELECT pg_advisory_lock(hashtext('ringmaster.vapi_tools'))");
  std::atomic<int> rc{-1};
  std::thread run([&] { rc = w.run("", 3); });
  std::this_thread::sleep_for(300ms);
  CHECK(rc == -1);
  CHECK(w.fake.requests().empty());  // nothing sent while the other run holds the lock
  pqxx::nontransaction{other}.exec("SELECT pg_advisory_unlock(hashtext('ringmaster.vapi_tools'))");
  run.join();
  CHECK(rc == 0);
  CHECK(w.fake.tools().size() == rm::vapi::global_tool_definitions(3).size());
}
