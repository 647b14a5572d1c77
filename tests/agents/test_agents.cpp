// POST/GET/PATCH /api/agents, retry, admin notifications and campaigns, against the fake Vapi:
// what Vapi received (the assistant body), failure injection (status failed + a notification,
// then a retry that resumes), validation and roles.
#include <set>

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include "tests/agents/fixture.hpp"

using namespace rm::agents_test;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";

std::vector<rm::fakes::vapi_recorded_request> requests_to(fixture& f, const std::string& method,
                                                          const std::string& path_prefix) {
  std::vector<rm::fakes::vapi_recorded_request> out;
  for (const auto& r : f.vapi().requests())
    if (r.method == method && r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
  return out;
}

json agent_body(const std::string& name = "Front Desk", const std::string& language = "en-us") {
  return {{"agent_name", name}, {"language", language}, {"provision_phone", false}};
}

}  // namespace

TEST_CASE("an admin creates an agent: Vapi gets an assistant wired to our webhook and tools") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, f.vapi_number(number_a)}});
  auto admin = mint(a, "admin", "a-admin");

  auto r = f.post("/api/agents", admin, agent_body("Harbor Front Desk", "en-us"));
  INFO(r.text);
  REQUIRE(r.status == 201);
  const auto& agent = r.body["agent"];
  CHECK(agent["status"] == "ready");
  CHECK(agent["language"] == "en-US");  // canonical casing
  CHECK(agent["failed_step"].is_null());
  CHECK(agent["error"].is_null());
  CHECK(agent["provision_phone"] == false);
  CHECK(agent["created_by"] == "a-admin");
  REQUIRE(agent["vapi_assistant_id"].is_string());

  // What the fake received.
  auto created = requests_to(f, "POST", "/assistant");
  REQUIRE(created.size() == 1);
  CHECK(created[0].header("authorization") == std::string{"Bearer "} + vapi_key);
  const auto& body = created[0].body;
  CHECK(body["name"] == "Harbor Front Desk");
  CHECK(body["server"]["url"] == std::string{public_url} + "/webhooks/vapi");
  CHECK(body["server"]["headers"]["X-Vapi-Secret"] == vapi_secret);
  CHECK(body["transcriber"]["language"] == "en-US");
  const auto prompt = body["model"]["messages"][0]["content"].get<std::string>();
  CHECK(body["model"]["messages"][0]["role"] == "system");
  CHECK(prompt.find("Harbor Dental") != std::string::npos);
  std::set<std::string> tools;
  for (const auto& t : body["model"]["tools"]) {
    CHECK(t["type"] == "function");
    CHECK(t["function"]["parameters"]["type"] == "object");
    tools.insert(t["function"]["name"].get<std::string>());
    if (t["function"]["name"] == "send_sms") {  // issue 9 §8: the assistant is told the rule
      const auto description = t["function"]["description"].get<std::string>();
      CHECK(description.find("only the caller") != std::string::npos);
      CHECK(description.find("at most 3 text messages per call") != std::string::npos);
      CHECK_FALSE(t["function"]["parameters"]["properties"].contains("to"));
    }
  }
  CHECK(tools == std::set<std::string>{"check_availability", "reserve_slot", "book_appointment",
                                       "send_sms", "search_knowledge_base"});
  std::set<std::string> types;
  for (const auto& t : body["serverMessages"]) types.insert(t.get<std::string>());
  CHECK(types.count("tool-calls") == 1);
  CHECK(types.count("status-update") == 1);
  CHECK(types.count("end-of-call-report") == 1);
  CHECK(body["metadata"]["ringmaster_org_id"] == a);
  // The assistant exists in Vapi with the id we recorded.
  REQUIRE(f.vapi().assistants().size() == 1);
  CHECK(f.vapi().assistants()[0]["id"] == agent["vapi_assistant_id"]);

  // The tenant had no assistant: inbound assistant-request now answers with this one.
  auto routed = f.webhook({{"message",
                            {{"type", "assistant-request"},
                             {"call", {{"id", "in-1"}, {"type", "inboundPhoneCall"}}},
                             {"phoneNumber", {{"number", number_a}}}}}});
  INFO(routed.text);
  CHECK(routed.body["assistantId"] == agent["vapi_assistant_id"]);

  // GET lists it, for members too.
  auto list = f.get("/api/agents", mint(a, "member", "a-member"));
  REQUIRE(list.status == 200);
  REQUIRE(list.body["agents"].size() == 1);
  CHECK(list.body["agents"][0]["id"] == agent["id"]);
}

TEST_CASE("agent input is validated field by field, and only admins create agents") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}});
  auto admin = mint(a);
  const std::vector<std::pair<json, std::string>> bad{
      {json{{"language", "en"}}, "agent_name"},
      {json{{"agent_name", ""}, {"language", "en"}}, "agent_name"},
      {json{{"agent_name", std::string(201, 'x')}, {"language", "en"}}, "agent_name"},
      {json{{"agent_name", "A"}}, "language"},
      {json{{"agent_name", "A"}, {"language", "english"}}, "language"},
      {json{{"agent_name", "A"}, {"language", "en_US"}}, "language"},
      {json{{"agent_name", "A"}, {"language", 7}}, "language"},
      {json{{"agent_name", "A"}, {"language", "en"}, {"area_code", "21"}}, "area_code"},
      {json{{"agent_name", "A"}, {"language", "en"}, {"area_code", 212}}, "area_code"},
      {json{{"agent_name", "A"}, {"language", "en"}, {"area_code", "012"}}, "area_code"},
      {json{{"agent_name", "A"}, {"language", "en"}, {"provision_phone", "yes"}},
       "provision_phone"},
      {json{{"agent_name", "A"}, {"language", "en"}, {"voice", "x"}}, "voice"},
  };
  for (const auto& [body, field] : bad) {
    auto r = f.post("/api/agents", admin, body);
    INFO(body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"]["field"] == field);
  }
  auto member = f.post("/api/agents", mint(a, "member"), agent_body());
  CHECK(member.status == 403);
  CHECK(f.vapi().requests().empty());  // nothing reached Vapi
  CHECK(f.scalar("SELECT count(*) FROM agents") == "0");
}

TEST_CASE("a Vapi failure leaves the agent failed with a clear error and notifies the admins; "
          "a retry resumes") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}});
  auto admin = mint(a, "admin", "a-admin");

  f.vapi().fail_next(400, 1, "POST", "/assistant");
  auto r = f.post("/api/agents", admin, agent_body("Night Line", "es"));
  INFO(r.text);
  REQUIRE(r.status == 502);
  CHECK(r.body["error"]["code"] == "vapi_error");
  const auto agent = r.body["agent"];
  CHECK(agent["status"] == "failed");
  CHECK(agent["failed_step"] == "assistant");
  CHECK(agent["error"].get<std::string>().find("HTTP 400") != std::string::npos);
  CHECK(agent["vapi_assistant_id"].is_null());
  CHECK(f.vapi().assistants().empty());
  const std::string id = agent["id"];
  CHECK(f.get("/api/agents", admin).body["agents"][0]["status"] == "failed");

  // The admins are told, with what failed and how to retry; members may not read it.
  auto notes = f.get("/api/notifications", admin);
  INFO(notes.text);
  REQUIRE(notes.status == 200);
  REQUIRE(notes.body["notifications"].size() == 1);
  const auto note = notes.body["notifications"][0];
  CHECK(note["kind"] == "agent.failed");
  CHECK(note["severity"] == "error");
  CHECK(note["subject_type"] == "agent");
  CHECK(note["subject_id"] == id);
  CHECK(note["message"].get<std::string>().find("Night Line") != std::string::npos);
  CHECK(note["message"].get<std::string>().find("/api/agents/" + id + "/retry") !=
        std::string::npos);
  CHECK(note["read_at"].is_null());
  CHECK(f.get("/api/notifications", mint(a, "member")).status == 403);

  // Retry: the assistant is created now; the agent is ready; nothing else was duplicated.
  auto again = f.post("/api/agents/" + id + "/retry", admin, json::object());
  INFO(again.text);
  REQUIRE(again.status == 200);
  CHECK(again.body["agent"]["id"] == id);
  CHECK(again.body["agent"]["status"] == "ready");
  CHECK(again.body["agent"]["attempts"] == 2);
  CHECK(again.body["agent"]["error"].is_null());
  CHECK(f.vapi().assistants().size() == 1);
  CHECK(f.scalar("SELECT count(*) FROM agents") == "1");
  // A ready agent has nothing to retry.
  auto twice = f.post("/api/agents/" + id + "/retry", admin, json::object());
  CHECK(twice.status == 409);
  CHECK(twice.body["error"]["code"] == "not_retryable");
  CHECK(f.post("/api/agents/not-a-uuid/retry", admin, json::object()).status == 404);

  // Reading the notification.
  auto read = f.post("/api/notifications/" + note["id"].get<std::string>() + "/read", admin,
                     json::object());
  REQUIRE(read.status == 200);
  CHECK(read.body["notification"]["read_by"] == "a-admin");
  CHECK(f.get("/api/notifications?unread=true", admin).body["notifications"].empty());
  CHECK(f.get("/api/notifications", admin).body["notifications"].size() == 1);
  CHECK(f.get("/api/notifications?unread=maybe", admin).status == 400);
}

TEST_CASE("changing an agent updates its assistant by fetch-merge-patch: model is sent whole") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}});
  auto admin = mint(a);
  auto made = f.post("/api/agents", admin, agent_body("Front Desk", "en"));
  REQUIRE(made.status == 201);
  const std::string id = made.body["agent"]["id"];
  const std::string assistant = made.body["agent"]["vapi_assistant_id"];
  // The background tools sync links the global tools first (actors/tools_sync.hpp).
  auto synced = [&] {
    auto g = f.get("/api/agents/" + id, admin);
    return g.status == 200 && g.body["agent"]["tools_sync"].is_object() &&
           g.body["agent"]["tools_sync"]["status"] == "synced";
  };
  REQUIRE(rm::testing::eventually(synced));
  f.vapi().clear_requests();

  auto r = f.patch("/api/agents/" + id, admin, {{"language", "es-MX"}, {"agent_name", "Recepción"}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["agent"]["language"] == "es-MX");
  CHECK(r.body["agent"]["agent_name"] == "Recepción");
  // Saved: its tools sync runs again (one more GET, no PATCH: the links are kept by the merge).
  REQUIRE(rm::testing::eventually(synced));
  auto gets = requests_to(f, "GET", "/assistant/" + assistant);
  auto patches = requests_to(f, "PATCH", "/assistant/" + assistant);
  REQUIRE(gets.size() == 2);
  REQUIRE(patches.size() == 1);
  const auto& sent = patches[0].body;
  CHECK(sent["transcriber"]["language"] == "es-MX");
  CHECK(sent["name"] == "Recepción");
  // model complete: provider, model, the new prompt and the five linked tools kept.
  CHECK(sent["model"]["provider"] == "openai");
  CHECK(sent["model"]["toolIds"].size() == 5);
  CHECK_FALSE(sent["model"].contains("tools"));
  CHECK(sent["model"]["messages"][0]["content"].get<std::string>().find("es-MX") !=
        std::string::npos);
  CHECK(f.vapi().assistants()[0]["model"]["toolIds"].size() == 5);

  CHECK(f.patch("/api/agents/" + id, admin, {{"language", "klingon!"}}).status == 400);
  CHECK(f.patch("/api/agents/" + id, admin, {{"area_code", "212"}}).status == 400);
}

TEST_CASE("provision_phone defaults to true: the agent gets a number bought by its area code") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}});
  const auto admin = mint(a);
  // AreaCode 500 is Twilio's magic area code: the purchase succeeds with +15005550006.
  auto r = f.post("/api/agents", admin, {{"agent_name", "Front desk"}, {"language", "en"},
                                         {"area_code", "500"}});
  INFO(r.text);
  REQUIRE(r.status == 201);
  CHECK(r.body["agent"]["status"] == "ready");
  const auto number_id = r.body["agent"]["phone_number_id"].get<std::string>();
  CHECK(!number_id.empty());
  CHECK(f.scalar("SELECT e164 FROM phone_numbers WHERE id = $1", {number_id}) == "+15005550006");
  CHECK(f.scalar("SELECT agent_id::text FROM phone_numbers WHERE id = $1", {number_id}) ==
        r.body["agent"]["id"].get<std::string>());
  // Twilio was asked for the area code with our webhook URLs; Vapi imported the number with the
  // agent's assistant.
  bool bought = false;
  for (const auto& q : f.twilio().requests())
    if (q.method == "POST" && q.path.find("/IncomingPhoneNumbers.json") != std::string::npos) {
      bought = true;
      CHECK(q.field("AreaCode") == "500");
      CHECK(q.field("VoiceUrl") == std::string{public_url} + "/webhooks/twilio/voice");
    }
  CHECK(bought);
  bool imported = false;
  for (const auto& q : f.vapi().requests())
    if (q.method == "POST" && q.path == "/phone-number") {
      imported = true;
      CHECK(q.body["number"] == "+15005550006");
      CHECK(q.body["assistantId"] == r.body["agent"]["vapi_assistant_id"]);
    }
  CHECK(imported);
  // The number now routes to the clinic.
  auto listed = f.get("/api/phone-numbers", admin);
  INFO(listed.text);
  CHECK(listed.status == 200);
}

TEST_CASE("an agent whose number cannot be bought is failed at that step, with a notification; "
          "a retry does not create a second assistant") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}});
  const auto admin = mint(a);
  // AreaCode 533 is Twilio's magic "no numbers in that area code" (21452).
  auto r = f.post("/api/agents", admin, {{"agent_name", "A"}, {"language", "en"},
                                         {"area_code", "533"}});
  INFO(r.text);
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
  CHECK(r.body["agent"]["status"] == "failed");
  CHECK(r.body["agent"]["failed_step"] == "phone_number");
  CHECK(!r.body["agent"]["vapi_assistant_id"].get<std::string>().empty());
  CHECK(f.scalar("SELECT count(*) FROM org_notifications") == "1");
  CHECK(f.scalar("SELECT count(*) FROM phone_numbers WHERE agent_id IS NOT NULL") == "0");
  const auto id = r.body["agent"]["id"].get<std::string>();
  // A retry resumes at the failed step: the same assistant, no second one in Vapi.
  auto again = f.post("/api/agents/" + id + "/retry", admin, json::object());
  INFO(again.text);
  CHECK(again.body["agent"]["failed_step"] == "phone_number");
  CHECK(again.body["agent"]["vapi_assistant_id"] == r.body["agent"]["vapi_assistant_id"]);
  CHECK(f.vapi().assistants().size() == 1);
}

TEST_CASE("campaigns: create, list, link numbers, assign contacts; other tenants' ids are 404") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}, {"+14155550101", ""}});
  auto b = f.create_tenant("Uptown Smiles", {{number_b, ""}});
  auto admin = mint(a);
  auto made = f.post("/api/campaigns", admin, {{"name", "Recall 2026"}, {"description", "x"}});
  INFO(made.text);
  REQUIRE(made.status == 201);
  const std::string c = made.body["campaign"]["id"];
  CHECK(f.post("/api/campaigns", admin, {{"name", "Recall 2026"}}).status == 409);
  CHECK(f.post("/api/campaigns", admin, {{"name", ""}}).body["error"]["field"] == "name");
  CHECK(f.post("/api/campaigns", mint(a, "member"), {{"name", "M"}}).status == 403);
  auto other = f.post("/api/campaigns", admin, {{"name", "Whitening"}});
  REQUIRE(other.status == 201);
  const std::string c2 = other.body["campaign"]["id"];

  const auto n1 = f.number_id(number_a);
  auto linked = f.post("/api/campaigns/" + c + "/numbers", admin, {{"phone_number_id", n1}});
  INFO(linked.text);
  CHECK(linked.status == 201);
  CHECK(linked.body["campaign"]["numbers"][0]["phone_number"] == number_a);
  CHECK(f.post("/api/campaigns/" + c + "/numbers", admin, {{"phone_number_id", n1}}).status ==
        200);  // already linked
  auto taken = f.post("/api/campaigns/" + c2 + "/numbers", admin, {{"phone_number_id", n1}});
  CHECK(taken.status == 409);
  CHECK(taken.body["error"]["code"] == "number_in_other_campaign");
  // B's number is not A's to link.
  auto foreign = f.post("/api/campaigns/" + c + "/numbers", admin,
                        {{"phone_number_id", f.number_id(number_b)}});
  CHECK(foreign.status == 404);
  CHECK(foreign.body["error"]["field"] == "phone_number_id");

  auto x = f.add_contact(a, "+14155550177", "Ada");
  auto y = f.add_contact(a, "+14155550178", "Bob");
  auto z = f.add_contact(b, "+14155550179", "Cy");
  auto refused = f.post("/api/campaigns/" + c + "/contacts", admin, {{"contact_ids", {x, z}}});
  CHECK(refused.status == 404);
  CHECK(refused.body["error"]["field"] == "contact_ids[1]");
  CHECK(f.scalar("SELECT count(*) FROM contacts WHERE campaign_id IS NOT NULL") == "0");
  auto assigned = f.post("/api/campaigns/" + c + "/contacts", admin, {{"contact_ids", {x, y}}});
  INFO(assigned.text);
  CHECK(assigned.status == 200);
  CHECK(assigned.body["assigned"] == 2);
  auto list = f.get("/api/campaigns", mint(a, "member"));
  REQUIRE(list.status == 200);
  REQUIRE(list.body["campaigns"].size() == 2);
  CHECK(list.body["campaigns"][0]["contact_count"] == 2);
  auto contacts = f.get("/api/contacts", admin);
  REQUIRE(contacts.status == 200);
  for (const auto& k : contacts.body["contacts"]) CHECK(k["campaign_id"] == c);
  CHECK(f.del("/api/campaigns/" + c + "/contacts/" + y, admin).status == 200);
  CHECK(f.del("/api/campaigns/" + c + "/contacts/" + y, admin).status == 404);
  CHECK(f.del("/api/campaigns/" + c + "/numbers/" + n1, admin).status == 200);
  CHECK(f.del("/api/campaigns/" + c + "/numbers/" + n1, admin).status == 404);
  // B sees none of it.
  CHECK(f.get("/api/campaigns", mint(b)).body["campaigns"].empty());
}

TEST_CASE("migration 008's tables: row-level security forced, and under ringmaster_app a "
          "transaction sees only its own tenant's rows") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", {{number_a, ""}});
  auto b = f.create_tenant("Uptown Smiles", {{number_b, ""}});
  REQUIRE(f.post("/api/agents", mint(a), agent_body()).status == 201);
  f.vapi().fail_next(400, 1, "POST", "/assistant");
  REQUIRE(f.post("/api/agents", mint(a), agent_body("Night")).status == 502);  // + notification
  auto c = f.post("/api/campaigns", mint(a), {{"name", "Recall"}});
  REQUIRE(c.status == 201);
  REQUIRE(f.post("/api/campaigns/" + c.body["campaign"]["id"].get<std::string>() + "/numbers",
                 mint(a), {{"phone_number_id", f.number_id(number_a)}})
              .status == 201);
  f.scalar("INSERT INTO caller_id_cursors (org_id, scope, position) VALUES ($1, 'pool', 3) "
           "RETURNING 1",
           {a});

  const std::vector<std::string> tables{"agents", "campaigns", "campaign_numbers",
                                        "caller_id_cursors", "org_notifications"};
  for (const auto& t : tables) {
    INFO(t);
    CHECK(f.scalar("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = $1",
                   {t}) == "t");
    CHECK(f.scalar("SELECT count(*) FROM pg_policies WHERE tablename = $1 AND "
                   "policyname = 'tenant_isolation'",
                   {t}) == "1");
    CHECK(f.scalar("SELECT has_table_privilege('ringmaster_app', $1, 'SELECT, INSERT, UPDATE')",
                   {t}) == "t");
    CHECK(f.scalar("SELECT count(*) FROM " + t + " WHERE org_id = $1", {a}) != "0");
  }
  // As the service role: tenant B sees nothing of A; no tenant named sees nothing at all.
  pqxx::connection conn{f.db_url()};
  for (const auto& [org, expected] : {std::make_pair(b, std::string{"0"}),
                                      std::make_pair(std::string{}, std::string{"0"})}) {
    pqxx::work tx{conn};
    tx.exec("SET LOCAL ROLE ringmaster_app");
    if (!org.empty()) tx.exec_params("SELECT set_config('ringmaster.org_id', $1, true)", org);
    for (const auto& t : tables) {
      INFO(t << " as " << (org.empty() ? "no tenant" : "tenant B"));
      CHECK(tx.exec1("SELECT count(*) FROM " + t)[0].as<std::string>() == expected);
    }
    // Writing a row for A while naming B is refused by the policy.
    if (!org.empty()) {
      CHECK_THROWS(tx.exec_params("INSERT INTO org_notifications (org_id, kind, message) "
                                  "VALUES ($1, 'x', 'y')",
                                  a));
    }
  }
}
