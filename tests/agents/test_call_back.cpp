// POST /api/contacts/{id}/call-back against the fake Vapi: the caller-ID order (campaign →
// round-robin → default) end to end with the cursor surviving a restart, the call in the
// inspection API as outbound moving through the lifecycle on Vapi's webhooks, and the refusals.
#include <ctime>

#include <catch2/catch.hpp>

#include "tests/agents/fixture.hpp"

using namespace rm::agents_test;

namespace {

const std::string n1 = "+14155550100", n2 = "+14155550101", n3 = "+14155550102";
const std::string phone_x = "+14155550177", phone_y = "+14155550178";

// Tenant A: three numbers in Vapi, a ready agent, campaign C with n3, contact X in C, contact Y
// in no campaign.
struct clinic {
  fixture f;
  std::string a, admin, member, agent, assistant, campaign, x, y;
  std::map<std::string, std::string> vapi_id;  // e164 → Vapi phone-number id

  clinic() {
    for (const auto& n : {n1, n2, n3}) vapi_id[n] = f.vapi_number(n);
    a = f.create_tenant("Harbor Dental", {{n1, vapi_id[n1]}, {n2, vapi_id[n2]}, {n3, vapi_id[n3]}});
    admin = mint(a, "admin", "a-admin");
    member = mint(a, "member", "a-member");
    auto made = f.post("/api/agents", admin,
                       {{"agent_name", "Front Desk"}, {"language", "en"}, {"provision_phone", false}});
    INFO(made.text);
    REQUIRE(made.status == 201);
    agent = made.body["agent"]["id"];
    assistant = made.body["agent"]["vapi_assistant_id"];
    auto c = f.post("/api/campaigns", admin, {{"name", "Recall"}});
    REQUIRE(c.status == 201);
    campaign = c.body["campaign"]["id"];
    REQUIRE(f.post("/api/campaigns/" + campaign + "/numbers", admin,
                   {{"phone_number_id", f.number_id(n3)}})
                .status == 201);
    x = f.add_contact(a, phone_x, "Ada");
    y = f.add_contact(a, phone_y, "Bob");
    REQUIRE(f.post("/api/campaigns/" + campaign + "/contacts", admin, {{"contact_ids", {x}}})
                .status == 200);
  }

  reply call_back(const std::string& contact, const std::string& token = "") {
    return f.post("/api/contacts/" + contact + "/call-back", token.empty() ? member : token,
                  json::object());
  }
  // Places a call-back and returns the caller ID's (number, source).
  std::pair<std::string, std::string> caller_of(const std::string& contact) {
    auto r = call_back(contact);
    INFO(r.text);
    REQUIRE(r.status == 201);
    return {r.body["call"]["caller_id"]["phone_number"], r.body["call"]["caller_id"]["source"]};
  }
};

json lifecycle(const std::string& type, const std::string& call_id, const std::string& from,
               const std::string& to, json extra) {
  json m{{"type", type},
         {"timestamp", static_cast<long long>(std::time(nullptr)) * 1000},
         {"call", {{"id", call_id}, {"type", "outboundPhoneCall"}, {"customer", {{"number", to}}}}},
         {"phoneNumber", {{"number", from}}},
         {"customer", {{"number", to}}}};
  m.update(extra);
  return {{"message", m}};
}

}  // namespace

TEST_CASE("call-back caller ID: campaign number, else round-robin (surviving a restart), else the "
          "agent's default number") {
  clinic w;
  auto& f = w.f;
  // X is in campaign Recall, whose number is n3.
  CHECK(w.caller_of(w.x) == std::make_pair(n3, std::string{"campaign"}));
  const auto placed = f.vapi().calls();
  REQUIRE(placed.size() == 1);
  CHECK(placed[0]["assistantId"] == w.assistant);
  CHECK(placed[0]["phoneNumberId"] == w.vapi_id[n3]);
  CHECK(placed[0]["customer"]["number"] == phone_x);

  // Y has no campaign: the pool (n1, n2 — n3 is reserved by its campaign) in turn.
  CHECK(w.caller_of(w.y) == std::make_pair(n1, std::string{"round_robin"}));
  CHECK(w.caller_of(w.y) == std::make_pair(n2, std::string{"round_robin"}));
  CHECK(f.scalar("SELECT position FROM caller_id_cursors WHERE scope = 'pool'") == "2");
  f.restart();  // the rotation lives in the database
  CHECK(w.caller_of(w.y) == std::make_pair(n1, std::string{"round_robin"}));
  CHECK(w.caller_of(w.y) == std::make_pair(n2, std::string{"round_robin"}));

  // Every number serves a campaign now: no pool. The agent's own number is the default.
  auto c2 = f.post("/api/campaigns", w.admin, {{"name", "Whitening"}});
  REQUIRE(c2.status == 201);
  const std::string c2_id = c2.body["campaign"]["id"];
  for (const auto& n : {n1, n2})
    REQUIRE(f.post("/api/campaigns/" + c2_id + "/numbers", w.admin,
                   {{"phone_number_id", f.number_id(n)}})
                .status == 201);
  auto none = w.call_back(w.y);
  CHECK(none.status == 409);
  CHECK(none.body["error"]["code"] == "no_caller_number");
  // The agent's number, as number provisioning links it.
  f.scalar("UPDATE agents SET phone_number_id = $1 WHERE id = $2 RETURNING 1",
           {f.number_id(n2), w.agent});
  CHECK(w.caller_of(w.y) == std::make_pair(n2, std::string{"default"}));
  // X still calls from its own campaign's number.
  CHECK(w.caller_of(w.x) == std::make_pair(n3, std::string{"campaign"}));
  CHECK(f.vapi().calls().size() == 7);
}

TEST_CASE("a call-back is an outbound call in the inspection API and Vapi's webhooks move it "
          "through the lifecycle") {
  clinic w;
  auto& f = w.f;
  auto r = w.call_back(w.y);
  INFO(r.text);
  REQUIRE(r.status == 201);
  const std::string id = r.body["call"]["id"];
  CHECK(r.body["call"]["direction"] == "outbound");
  CHECK(r.body["call"]["state"] == "ringing");
  CHECK(r.body["call"]["vapi_status"] == "queued");
  CHECK(id == f.vapi().calls()[0]["id"]);

  auto view = f.ops_get("/sessions/calls/" + id);
  INFO(view.text);
  REQUIRE(view.status == 200);
  CHECK(view.body["direction"] == "outbound");
  CHECK(view.body["state"] == "ringing");
  CHECK(view.body["tenant_id"] == w.a);
  CHECK(view.body["caller"] == phone_y);
  CHECK(view.body["dialled"] == n1);
  CHECK(view.body["live"] == true);
  bool listed = false;
  const auto live = f.ops_get("/sessions/calls");
  for (const auto& c : live.body["calls"]) listed |= c["id"] == id;
  CHECK(listed);
  CHECK(f.get("/api/calls/" + id, w.member).body["direction"] == "outbound");
  // The audit trail has the call-back (a voice message, outbound).
  CHECK(f.scalar("SELECT method || '/' || direction || '/' || recipient FROM messages WHERE "
                 "call_id = $1",
                 {id}) == "voice/outbound/" + phone_y);

  // Vapi's lifecycle webhooks for the same id join the same call.
  auto queued = f.webhook(lifecycle("status-update", id, n1, phone_y, {{"status", "queued"}}));
  CHECK(queued.body["duplicate"] == true);  // we recorded "queued" already
  auto started =
      f.webhook(lifecycle("status-update", id, n1, phone_y, {{"status", "in-progress"}}));
  INFO(started.text);
  CHECK(started.status == 200);
  CHECK(started.body["state"] == "in-progress");
  auto ended = f.webhook(lifecycle("status-update", id, n1, phone_y,
                                   {{"status", "ended"}, {"endedReason", "customer-ended-call"}}));
  CHECK(ended.body["state"] == "ended");
  auto report = f.webhook(lifecycle(
      "end-of-call-report", id, n1, phone_y,
      {{"endedReason", "customer-ended-call"},
       {"artifact", {{"transcript", "AI: Hello Bob, this is Harbor Dental calling back.\n"}}},
       {"analysis", {{"summary", "Called Bob back."}, {"successEvaluation", "true"}}}}));
  INFO(report.text);
  CHECK(report.body["state"] == "reported");

  // Acknowledged once reported; the scoring step follows before the call's next message.
  auto after = f.ops_get("/sessions/calls/" + id);
  CHECK(after.body["state"] == "scored");
  CHECK(after.body["direction"] == "outbound");
  CHECK(after.body["report"]["summary"] == "Called Bob back.");
  CHECK(f.scalar("SELECT count(*) FROM calls WHERE id = $1 AND direction = 'outbound'", {id}) ==
        "1");
  CHECK(f.scalar("SELECT state FROM calls WHERE id = $1", {id}) == "scored");
  // A call-back that booked nothing: the clinic reached out, so the contact is "contacted", and
  // an outbound call never raises a hot-lead alert.
  CHECK(f.scalar("SELECT lead_status FROM contacts WHERE phone_e164 = $1", {phone_y}) ==
        "contacted");
  CHECK(f.scalar("SELECT count(*) FROM message_outbox") == "0");
}

TEST_CASE("call-back refusals: other tenant's contact, opted out, no assistant, Vapi errors, "
          "breaker open") {
  clinic w;
  auto& f = w.f;
  auto b = f.create_tenant("Uptown Smiles", {{"+12125550100", ""}});
  auto b_contact = f.add_contact(b, "+12125550177", "Cy");

  // Another tenant's contact is unknown.
  auto foreign = w.call_back(b_contact);
  CHECK(foreign.status == 404);
  CHECK(foreign.body["error"]["code"] == "not_found");
  CHECK(w.call_back("not-a-uuid").status == 404);
  // B has neither agent nor Vapi number.
  auto b_admin = mint(b);
  auto no_assistant = w.f.post("/api/contacts/" + b_contact + "/call-back", b_admin, json::object());
  CHECK(no_assistant.status == 409);
  CHECK(no_assistant.body["error"]["code"] == "no_assistant");
  // Opted out (STOP): no automated call.
  auto stopped = f.add_contact(w.a, "+14155550199", "Dee", true);
  auto opted = w.call_back(stopped);
  CHECK(opted.status == 409);
  CHECK(opted.body["error"]["code"] == "contact_opted_out");
  CHECK(f.vapi().calls().empty());

  // Vapi refuses the call: 502 with its reason; no call recorded.
  f.vapi().fail_next(400, 1, "POST", "/call");
  auto refused = w.call_back(w.y);
  INFO(refused.text);
  CHECK(refused.status == 502);
  CHECK(refused.body["error"]["code"] == "vapi_error");
  CHECK(f.scalar("SELECT count(*) FROM calls") == "0");

  // Repeated 5xx open the tenant's Vapi breaker: then call-backs fail fast with 503 and
  // Retry-After, without reaching Vapi.
  f.vapi().fail_next(500, 100, "POST", "/call");
  int opened_after = -1;
  for (int i = 0; i < 30 && opened_after < 0; ++i) {
    auto r = w.call_back(w.y);
    INFO(r.text);
    if (r.status == 503) {
      opened_after = i;
      CHECK(r.body["error"]["code"] == "provider_unavailable");
      CHECK(std::stoi(r.headers["Retry-After"]) >= 1);
    } else {
      CHECK(r.status == 502);
    }
  }
  REQUIRE(opened_after > 0);
  const auto sent = f.vapi().requests().size();
  CHECK(w.call_back(w.y).status == 503);
  CHECK(f.vapi().requests().size() == sent);  // nothing reached Vapi
  CHECK(f.scalar("SELECT count(*) FROM calls") == "0");
}
