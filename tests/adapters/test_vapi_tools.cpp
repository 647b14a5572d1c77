// Global Vapi tools (adapters/vapi/tool_sync.hpp) against the local fake Vapi: one registration
// per definition for every tenant, hash versioning, fetch-merge-patch linking, retries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "adapters/vapi/assistant_spec.hpp"
#include "adapters/vapi/tool_sync.hpp"
#include "tests/fakes/fake_vapi.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using rm::fakes::fake_vapi;
namespace vapi = rm::vapi;

namespace {

const std::string key = "vapi-private-key-for-tool-tests";

struct recording_client {
  std::vector<std::chrono::milliseconds> slept;
  vapi::client api;
  explicit recording_client(const std::string& base_url)
      : api(base_url, key, {}, 2s, [this](std::chrono::milliseconds d) { slept.push_back(d); }) {}
};

int count(const fake_vapi& fake, const std::string& method, const std::string& path_prefix) {
  int n = 0;
  for (const auto& r : fake.requests())
    if (r.method == method && r.path.rfind(path_prefix, 0) == 0) ++n;
  return n;
}

// An assistant as ringmaster created it before global tools: inline tools, no toolIds.
std::string seed_tenant_assistant(fake_vapi& fake, const std::string& org_id) {
  vapi::assistant_spec spec;
  spec.agent_name = "Front desk " + org_id;
  spec.clinic_name = "Clinic " + org_id;
  spec.language = "en-US";
  spec.server_url = "https://ringmaster.example/webhooks/vapi";
  spec.org_id = org_id;
  spec.agent_id = "agent-" + org_id;
  return fake.add_assistant(vapi::assistant_body(spec))["id"].get<std::string>();
}

json assistant_by_id(const fake_vapi& fake, const std::string& id) {
  for (const auto& a : fake.assistants())
    if (a["id"] == id) return a;
  return nullptr;
}

std::set<std::string> tool_ids_of(const json& assistant) {
  std::set<std::string> out;
  for (const auto& id : assistant["model"].value("toolIds", json::array()))
    out.insert(id.get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("definition_hash is SHA-256 of the canonical JSON, independent of key order",
          "[vapi][tools]") {
  CHECK(vapi::definition_hash(json::object()) ==
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  CHECK(vapi::definition_hash(json::parse(R"({"b":1,"a":{"y":2,"x":3}})")) ==
        vapi::definition_hash(json::parse(R"({"a":{"x":3,"y":2},"b":1})")));
  auto three = vapi::global_tool_definitions(3);
  auto five = vapi::global_tool_definitions(5);
  REQUIRE(three.size() == five.size());
  REQUIRE(three.size() >= 4);
  for (size_t i = 0; i < three.size(); ++i) {
    CHECK(three[i].name == five[i].name);
    CHECK(three[i].hash.size() == 64);
    // Only send_sms names the per-call limit.
    CHECK((three[i].hash != five[i].hash) == (three[i].name == "send_sms"));
    CHECK_FALSE(three[i].body.contains("server"));  // the calling assistant's server answers
  }
}

TEST_CASE("two agents of two tenants share one registered tool per definition", "[vapi][tools]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  vapi::memory_tool_store store;
  const auto defs = vapi::global_tool_definitions(3);
  const std::string a = seed_tenant_assistant(fake, "org-a");
  const std::string b = seed_tenant_assistant(fake, "org-b");

  auto first = vapi::sync_assistant_tools(c.api, store, defs, a);
  REQUIRE(first.synced);
  CHECK(first.assistant_changed);
  for (const auto& t : first.tools) CHECK(t.action == vapi::tool_action::created);
  auto second = vapi::sync_assistant_tools(c.api, store, defs, b);
  REQUIRE(second.synced);
  for (const auto& t : second.tools) CHECK(t.action == vapi::tool_action::unchanged);

  CHECK(fake.tools().size() == defs.size());
  CHECK(count(fake, "POST", "/tool") == static_cast<int>(defs.size()));
  const auto ids_a = tool_ids_of(assistant_by_id(fake, a));
  CHECK(ids_a.size() == defs.size());
  CHECK(ids_a == tool_ids_of(assistant_by_id(fake, b)));
  for (const auto& t : fake.tools()) CHECK(ids_a.count(t["id"].get<std::string>()) == 1);
  // The inline copies are gone: the linked tools answer instead.
  CHECK_FALSE(assistant_by_id(fake, a)["model"].contains("tools"));

  // Idempotent: a second run changes nothing in Vapi.
  fake.clear_requests();
  auto again = vapi::sync_assistant_tools(c.api, store, defs, a);
  REQUIRE(again.synced);
  CHECK_FALSE(again.assistant_changed);
  CHECK(count(fake, "POST", "/") == 0);
  CHECK(count(fake, "PATCH", "/") == 0);
}

TEST_CASE("a definition change triggers one PATCH of the tool and none of the assistants",
          "[vapi][tools]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  vapi::memory_tool_store store;
  const std::string a = seed_tenant_assistant(fake, "org-a");
  const std::string b = seed_tenant_assistant(fake, "org-b");
  REQUIRE(vapi::sync_assistant_tools(c.api, store, vapi::global_tool_definitions(3), a).synced);
  REQUIRE(vapi::sync_assistant_tools(c.api, store, vapi::global_tool_definitions(3), b).synced);
  const auto sms_id = store.find("send_sms")->vapi_tool_id;

  fake.clear_requests();
  const auto changed = vapi::global_tool_definitions(5);
  for (const auto& assistant : {a, b}) {
    auto r = vapi::sync_assistant_tools(c.api, store, changed, assistant);
    REQUIRE(r.synced);
    CHECK_FALSE(r.assistant_changed);
  }
  CHECK(count(fake, "PATCH", "/tool/") == 1);
  CHECK(count(fake, "PATCH", "/tool/" + sms_id) == 1);
  for (const auto& req : fake.requests())
    if (req.method == "PATCH") CHECK_FALSE(req.body.contains("type"));  // fixed at creation
  CHECK(count(fake, "POST", "/tool") == 0);
  CHECK(count(fake, "PATCH", "/assistant/") == 0);
  const auto sms = std::find_if(changed.begin(), changed.end(),
                                [](const auto& d) { return d.name == "send_sms"; });
  CHECK(store.find("send_sms")->definition_hash == sms->hash);
  for (const auto& t : fake.tools())
    if (t["id"] == sms_id) CHECK(t["function"] == sms->body["function"]);
}

TEST_CASE("Vapi failing 3 times then succeeding ends synced after 2 s, 4 s, 8 s",
          "[vapi][tools]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  vapi::memory_tool_store store;
  const std::string a = seed_tenant_assistant(fake, "org-a");
  fake.fail_next(503, 3);
  auto r = vapi::sync_assistant_tools(c.api, store, vapi::global_tool_definitions(3), a);
  CHECK(r.synced);
  CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms, 4000ms, 8000ms});

  SECTION("a fourth failure ends failed, transient, with Vapi's reason") {
    vapi::memory_tool_store empty;
    fake.fail_next(503, 4, "GET");
    auto failed = vapi::sync_assistant_tools(c.api, empty, vapi::global_tool_definitions(3), a);
    CHECK_FALSE(failed.synced);
    CHECK(failed.transient);
    CHECK(failed.reason.find("HTTP 503") != std::string::npos);
    CHECK(failed.reason.find("Internal server error") != std::string::npos);
  }
}

TEST_CASE("fetch-merge-patch keeps the clinic's other toolIds and settings", "[vapi][tools]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  vapi::memory_tool_store store;
  json clinic_tool = {{"type", "function"},
                      {"function", {{"name", "lookup_insurance"}, {"parameters", json::object()}}}};
  json inline_ours = vapi::tool_definitions(3)[0];  // check_availability, inline
  json seeded = fake.add_assistant(
      {{"name", "Harbor Dental"},
       {"firstMessage", "Harbor Dental, how can I help?"},
       {"voice", {{"provider", "11labs"}, {"voiceId", "clinic-voice"}}},
       {"model",
        {{"provider", "openai"},
         {"model", "gpt-4o"},
         {"temperature", 0.3},
         {"messages", json::array({{{"role", "system"}, {"content", "Be kind."}}})},
         {"toolIds", json::array({"clinic-tool-1"})},
         {"tools", json::array({inline_ours, clinic_tool})}}}});
  const std::string id = seeded["id"];

  auto r = vapi::sync_assistant_tools(c.api, store, vapi::global_tool_definitions(3), id);
  REQUIRE(r.synced);
  json after = assistant_by_id(fake, id);
  CHECK(after["firstMessage"] == seeded["firstMessage"]);
  CHECK(after["voice"] == seeded["voice"]);
  CHECK(after["model"]["messages"] == seeded["model"]["messages"]);
  CHECK(after["model"]["temperature"] == 0.3);
  CHECK(after["model"]["toolIds"][0] == "clinic-tool-1");  // the clinic's id first, kept
  CHECK(after["model"]["toolIds"].size() == 1 + store.all().size());
  CHECK(after["model"]["tools"] == json::array({clinic_tool}));  // ours removed, theirs kept

  // Only `model` was sent, whole.
  int patches = 0;
  for (const auto& req : fake.requests()) {
    if (req.method != "PATCH" || req.path != "/assistant/" + id) continue;
    ++patches;
    CHECK(req.body.size() == 1);
    CHECK(req.body["model"]["messages"] == seeded["model"]["messages"]);
  }
  CHECK(patches == 1);
  std::map<std::string, std::string> ids;
  for (const auto& t : r.tools) ids[t.tool_name] = t.vapi_tool_id;
  CHECK(vapi::linked_model(after, ids).is_null());  // already linked: nothing to PATCH
}

TEST_CASE("a tool deleted in Vapi is registered again and a tool already there is adopted",
          "[vapi][tools]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  const auto defs = vapi::global_tool_definitions(3);

  // Registered by a run that crashed before saving: adopted, not created twice.
  REQUIRE(c.api.create_tool(defs[0].body).ok);
  vapi::memory_tool_store store;
  auto reg = vapi::ensure_registered(c.api, store, defs);
  REQUIRE(reg.ok);
  CHECK(reg.tools[0].action == vapi::tool_action::adopted);
  CHECK(fake.tools().size() == defs.size());

  // Deleted from Vapi's dashboard (here: a fresh Vapi account), with stale recorded hashes:
  // PATCH answers 404, GET /tool has nothing, so each tool is created again and recorded.
  fake_vapi emptied(key);
  recording_client c2(emptied.base_url());
  vapi::memory_tool_store stale;
  for (const auto& d : defs) stale.save({d.name, "gone-" + d.name, "stale-hash"});
  auto again = vapi::ensure_registered(c2.api, stale, defs);
  REQUIRE(again.ok);
  for (const auto& t : again.tools) CHECK(t.action == vapi::tool_action::created);
  CHECK(emptied.tools().size() == defs.size());
  CHECK(count(emptied, "GET", "/tool") == 1);  // listed once, not once per tool
  for (const auto& d : defs) {
    CHECK(stale.find(d.name)->definition_hash == d.hash);
    CHECK(stale.find(d.name)->vapi_tool_id.rfind("gone-", 0) != 0);
  }
}

TEST_CASE("fake Vapi /tool answers Vapi's error shapes", "[vapi][tools][fake]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  auto bad = c.api.create_tool({{"type", "function"}, {"function", {{"name", "has space"}}}});
  CHECK(bad.http_status == 400);
  CHECK(bad.error.message.find("function.name must be") != std::string::npos);
  auto no_type = c.api.create_tool({{"function", {{"name", "ok"}}}});
  CHECK(no_type.http_status == 400);
  CHECK(no_type.error.message.find("type should not be empty") != std::string::npos);
  auto missing = c.api.update_tool("nope", {{"async", true}});
  CHECK(missing.http_status == 404);
  CHECK(missing.error.message == "Tool Not Found");
  auto list = c.api.list_tools();
  REQUIRE(list.ok);
  CHECK(list.body == json::array());
}
