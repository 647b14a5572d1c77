// The isolation matrix: every tenant-JWT and service-token route registered on a real server
// (http::server::routes(); add_route is the only way routes are registered, so the tenant API's
// table and /api/telephony/* are both in it) against
//   - no token, an expired token and a badly signed token → 401;
//   - tenant B's token on tenant A's ids → 404 and A's rows unchanged; lists show none of A's rows;
//   - the service-token route: tenant JWTs, the operator token and no token → 401.
// A registered tenant or service route without an entry here fails the suite, and so does an
// entry without a route. Every other registered route must declare how it authenticates, and the
// operator and Twilio routes are checked to refuse a request without credentials. The sources of
// adapters/http are scanned so that no route is handed to httplib behind add_route's back.
#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "adapters/http/server.hpp"
#include "adapters/vapi/vapi_client.hpp"
#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;
using rm::http::registered_route;
using rm::http::route_auth;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";
// Tenant A's caller IDs: verified with a forwarding configuration, verified without one, pending.
const std::string phone_verified = "+12127360101";
const std::string phone_spare = "+12127360102";
const std::string phone_pending = "+12127360103";

bool in_matrix_scope(const registered_route& r) {
  return r.auth == route_auth::tenant || r.auth == route_auth::service;
}

// Tenant A with one of everything, tenant B with its own number (and the same Twilio account, so
// it can start verifications) and nothing else.
struct world {
  fixture f;
  std::string a, b;
  std::string a_mapping, a_call = "call-of-a", a_appointment;
  std::string a_verified, a_spare, a_pending, a_pending_code, a_forwarding;
  // Agents, campaigns, call-back (agent_routes.cpp): a ready agent, a failed one (and the admin
  // notification its failure left), a campaign with A's number and A's contact in it.
  std::string a_agent, a_failed_agent, a_notification, a_campaign, a_contact;
  std::string a_token, b_token;

  world() {
    // A's number is imported into the fake Vapi, so A's own call-back can be placed from it.
    rm::vapi::client vapi{f.vapi().base_url(), vapi_private_key};
    rm::vapi::phone_number_import imported;
    imported.number = number_a;
    imported.twilio_account_sid = twilio_account_sid;
    imported.twilio_auth_token = twilio_auth_token;
    auto vapi_number = vapi.import_twilio_number(imported);
    REQUIRE(vapi_number.ok);
    a = f.create_tenant("Harbor Dental", number_a, vapi_number.body["id"], "America/New_York",
                        true);
    b = f.create_tenant("Uptown Smiles", number_b, "", "America/New_York", true);
    a_token = mint(a, "admin", "a-admin");
    b_token = mint(b, "admin", "b-admin");
    a_mapping = f.get("/api/inbound/phone-mappings", a_token).body["mappings"][0]["id"];
    const auto day = future_weekday();
    auto held = f.tool_result(
        tool_calls(a_call, number_a, {{"a-r", "reserve_slot", {{"start", day + "T10:00"}}}}));
    REQUIRE(held.contains("result"));
    auto hold = json::parse(held["result"].get<std::string>())["hold_id"].get<std::string>();
    auto booked = f.tool_result(tool_calls(
        a_call, number_a, {{"a-b", "book_appointment", {{"hold_id", hold}, {"name", "Ada"}}}}));
    REQUIRE(booked.contains("result"));
    a_appointment = json::parse(booked["result"].get<std::string>())["appointment_id"];

    // Hybrid telephony, through the API; the codes are read from the Twilio fake's SMS.
    a_verified = verify(phone_verified);
    a_spare = verify(phone_spare);
    a_pending = initiate(phone_pending);
    a_pending_code = f.last_sms_code(phone_pending);
    REQUIRE(a_pending_code.size() == 6);
    auto made = f.post("/api/telephony/forwarding-config", a_token,
                       {{"verifiedCallerId", a_verified},
                        {"forwardingType", "total_ai"},
                        {"carrier", "att"}});
    INFO(made.text);
    REQUIRE(made.status == 201);
    a_forwarding = made.body["config"]["id"];

    auto agent = f.post("/api/agents", a_token,
                        {{"agent_name", "Harbor Desk"}, {"language", "en"},
                         {"provision_phone", false}});
    INFO(agent.text);
    REQUIRE(agent.status == 201);
    a_agent = agent.body["agent"]["id"];
    f.vapi().fail_next(400, 1, "POST");
    auto failed = f.post("/api/agents", a_token,
                         {{"agent_name", "Harbor Night"}, {"language", "en"},
                          {"provision_phone", false}});
    REQUIRE(failed.status == 502);
    a_failed_agent = failed.body["agent"]["id"];
    a_notification = f.get("/api/notifications", a_token).body["notifications"][0]["id"];
    auto campaign = f.post("/api/campaigns", a_token, {{"name", "Harbor Recall"}});
    REQUIRE(campaign.status == 201);
    a_campaign = campaign.body["campaign"]["id"];
    REQUIRE(f.post("/api/campaigns/" + a_campaign + "/numbers", a_token,
                   {{"phone_number_id", a_mapping}})
                .status == 201);
    a_contact = f.scalar("SELECT id FROM contacts WHERE org_id = $1", {a});
    REQUIRE(f.post("/api/campaigns/" + a_campaign + "/contacts", a_token,
                   {{"contact_ids", {a_contact}}})
                .status == 200);
    // A number A released a moment ago, still in quarantine (as DELETE /api/phone-numbers/{id}
    // leaves it).
    f.scalar("INSERT INTO phone_numbers (org_id, e164, source, status, active, deactivated_at,"
             " released_at, quarantine_until) VALUES ($1, '+14155550142', 'purchased',"
             " 'released', false, now(), now(), now() + interval '30 days')",
             {a});
    // A's own Vapi webhook credential (org_credentials, provider vapi_webhook).
    auto hook = request(f.port(), "PUT", "/api/org/vapi-webhook-auth", a_token,
                        R"({"mode":"secret","secret":"clinic-a-webhook-secret-0123"})");
    INFO(hook.text);
    REQUIRE(hook.status == 200);
  }

  std::string initiate(const std::string& phone) {
    auto r = f.post("/api/telephony/verify-caller-id/initiate", a_token,
                    {{"phoneNumber", phone}, {"friendlyName", "Dr. Lee"}, {"channel", "sms"}});
    INFO(r.text);
    REQUIRE(r.status == 200);
    return r.body["verificationId"];
  }

  std::string verify(const std::string& phone) {
    auto id = initiate(phone);
    auto r = f.post("/api/telephony/verify-caller-id/confirm", a_token,
                    {{"verificationId", id}, {"verificationCode", f.last_sms_code(phone)}});
    INFO(r.text);
    REQUIRE(r.status == 200);
    return id;
  }

  // `text` with <a_…> replaced by A's ids.
  std::string fill(std::string text) const {
    const std::pair<const char*, const std::string*> ids[] = {
        {"<a_mapping>", &a_mapping},       {"<a_call>", &a_call},
        {"<a_appointment>", &a_appointment}, {"<a_verified>", &a_verified},
        {"<a_spare>", &a_spare},           {"<a_pending>", &a_pending},
        {"<a_pending_code>", &a_pending_code}, {"<a_forwarding>", &a_forwarding},
        {"<a_agent>", &a_agent},           {"<a_failed_agent>", &a_failed_agent},
        {"<a_notification>", &a_notification}, {"<a_campaign>", &a_campaign},
        {"<a_contact>", &a_contact}};
    for (const auto& [token, value] : ids)
      for (auto at = text.find(token); at != std::string::npos; at = text.find(token))
        text.replace(at, std::string{token}.size(), *value);
    REQUIRE(text.find("<a_") == std::string::npos);
    return text;
  }
};

// What B's token may (not) do with A's data on one route.
using cross_check = std::function<void(world&, const reply&)>;

struct matrix_entry {
  std::string target;  // the request path with A's ids (<a_…>); "" = the route's own path
  std::string body;    // sent with POST/PATCH; may name A's ids too
  cross_check with_b_token;
};

void is_404(world&, const reply& r) {
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "not_found");
}

// No id, number or name of A's in the reply. (Not phone_verified: B starts a verification of
// that number itself, and then it is in B's own list.)
void mentions_nothing_of_a(world& w, const reply& r) {
  for (const auto& id : {w.a, w.a_mapping, w.a_call, w.a_appointment, w.a_verified, w.a_spare,
                         w.a_pending, w.a_forwarding, number_a, phone_spare, phone_pending,
                         std::string{"Ada"}, std::string{"Dr. Lee"}, w.a_agent, w.a_failed_agent,
                         w.a_notification, w.a_campaign, w.a_contact,
                         std::string{"Harbor Desk"}, std::string{"Harbor Night"},
                         std::string{"Harbor Recall"}}) {
    INFO("A's " << id << " shows in " << r.text);
    CHECK(r.text.find(id) == std::string::npos);
  }
}

// Nothing of A in a 200 list.
void shows_nothing_of_a(world& w, const reply& r) {
  CHECK(r.status == 200);
  mentions_nothing_of_a(w, r);
}

std::string caller_id_status(world& w, const std::string& id) {
  return w.f.scalar("SELECT status FROM verified_caller_ids WHERE id = $1", {id});
}
std::string forwarding_status(world& w, const std::string& id) {
  return w.f.scalar("SELECT status FROM hybrid_forwarding_configs WHERE id = $1", {id});
}
std::string agent_state(world& w, const std::string& id) {
  return w.f.scalar("SELECT name || '/' || status FROM agents WHERE id = $1", {id});
}
std::string contact_campaign(world& w) {
  return w.f.scalar("SELECT campaign_id FROM contacts WHERE id = $1", {w.a_contact});
}
std::string number_campaign(world& w) {
  return w.f.scalar("SELECT campaign_id FROM campaign_numbers WHERE phone_number_id = $1",
                    {w.a_mapping});
}

const std::map<std::string, matrix_entry>& matrix() {
  static const std::map<std::string, matrix_entry> m{
      // ---- the tenant API (tenant_routes.cpp) ----
      {"GET /api/org/settings",
       {"", "",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          CHECK(r.body["id"] == w.b);
        }}},
      {"PATCH /api/org/settings",
       {"", R"({"name":"Renamed by B"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 200);
          CHECK(r.body["id"] == w.b);  // B renamed itself, and only itself
          CHECK(w.f.get("/api/org/settings", w.a_token).body["name"] == "Harbor Dental");
        }}},
      {"POST /api/inbound/phone-mappings",
       {"", R"({"inbound_phone_number":"+14155550100","clinic_name":"B takes A's number"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 409);
          CHECK(r.text.find(w.a) == std::string::npos);
          CHECK(w.f.get("/api/inbound/phone-lookup/%2B14155550100", service_token)
                    .body["org_id"] == w.a);
        }}},
      {"GET /api/inbound/phone-mappings", {"", "", shows_nothing_of_a}},
      {"DELETE /api/inbound/phone-mappings/{id}",
       {"/api/inbound/phone-mappings/<a_mapping>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT active FROM phone_numbers WHERE id = $1", {w.a_mapping}) ==
                "t");
        }}},
      {"GET /api/inbound/phone-lookup/{phone}",
       {"/api/inbound/phone-lookup/%2B14155550100", "",
        [](world&, const reply& r) {
          CHECK(r.status == 401);  // a tenant JWT is not the service token
        }}},
      {"GET /api/calls", {"", "", shows_nothing_of_a}},
      {"GET /api/calls/{id}", {"/api/calls/<a_call>", "", is_404}},
      {"GET /api/appointments", {"", "", shows_nothing_of_a}},
      {"POST /api/appointments/{id}/cancel",
       {"/api/appointments/<a_appointment>/cancel", "{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT status FROM appointments WHERE id = $1", {w.a_appointment}) ==
                "booked");
        }}},
      {"GET /api/contacts", {"", "", shows_nothing_of_a}},

      // ---- phone numbers (number_routes.cpp); A's hand-made mapping is one of its numbers ----
      {"GET /api/phone-numbers/available",
       {"/api/phone-numbers/available?area_code=415", "",
        [](world& w, const reply& r) {
          // Twilio offers +1 415 555 01xx; A's active number is left out of B's offer.
          shows_nothing_of_a(w, r);
          CHECK(!r.body["available_phone_numbers"].empty());
        }}},
      {"POST /api/phone-numbers",
       {"", R"({"phone_number":"+14155550142"})",
        [](world& w, const reply& r) {
          // A released this number lately: B is refused, A may buy it back.
          CHECK(r.status == 409);
          CHECK(r.body["error"]["code"] == "number_in_quarantine");
          mentions_nothing_of_a(w, r);
          for (const auto& q : w.f.twilio().requests())  // nothing bought
            CHECK(!(q.method == "POST" && q.path.find("IncomingPhoneNumbers") != std::string::npos));
          CHECK(w.f.scalar("SELECT count(*) FROM phone_numbers WHERE e164 = '+14155550142'") ==
                "1");
        }}},
      {"GET /api/phone-numbers", {"", "", shows_nothing_of_a}},
      {"DELETE /api/phone-numbers/{id}",
       {"/api/phone-numbers/<a_mapping>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT status FROM phone_numbers WHERE id = $1", {w.a_mapping}) ==
                "linked");
        }}},
      {"POST /api/phone-numbers/import",
       {"", "{}",
        [](world& w, const reply& r) {
          // B imports its own account (empty at the fake): none of A's numbers move.
          CHECK(r.status == 200);
          shows_nothing_of_a(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM phone_numbers WHERE org_id = $1 AND active",
                           {w.a}) == "1");
        }}},
      // ---- stored credentials (credential_routes.cpp) ----
      {"PUT /api/org/vapi-webhook-auth",
       {"", R"({"mode":"bearer","secret":"clinic-b-own-bearer-0123"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 200);  // B set its own, and only its own
          CHECK(r.body["mode"] == "bearer");
          CHECK(w.f.get("/api/org/vapi-webhook-auth", w.a_token).body["mode"] == "secret");
          CHECK(w.f.scalar("SELECT auth_mode FROM org_credentials WHERE org_id = $1 AND "
                           "provider = 'vapi_webhook'",
                           {w.a}) == "secret");
        }}},
      {"GET /api/org/vapi-webhook-auth",
       {"", "",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          // B's own view: the deployment's, or B's bearer override once B set one — never A's.
          CHECK(r.body["mode"] != "secret");
        }}},
      {"DELETE /api/org/vapi-webhook-auth",
       {"", "",
        [](world& w, const reply& r) {
          // B removes its own override at most (404 when it has none); A's stays.
          CHECK((r.status == 200 || r.status == 404));
          CHECK(w.f.scalar("SELECT auth_mode FROM org_credentials WHERE org_id = $1 AND "
                           "provider = 'vapi_webhook'",
                           {w.a}) == "secret");
          CHECK(w.f.get("/api/org/vapi-webhook-auth", w.a_token).body["mode"] == "secret");
        }}},

      // ---- connecting Twilio (twilio_integration_routes.cpp) ----
      // B has its own stored Twilio account (the same test account as A's); whatever B does to
      // its connection, A's stays as it was: stored, never synced to Vapi by B's calls.
      {"POST /api/integrations/twilio",
       {"", R"({"account_sid":"AC0123456789abcdef0123456789abcdef",)"
            R"("auth_token":"tenant-api-tests-twilio-auth-token"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 201);  // B connected its own
          mentions_nothing_of_a(w, r);
          CHECK(w.f.scalar("SELECT coalesce(vapi_credential_id, '-') FROM org_credentials "
                           "WHERE org_id = $1 AND provider = 'twilio'",
                           {w.a}) == "-");
        }}},
      {"GET /api/integrations/twilio", {"", "", shows_nothing_of_a}},
      {"POST /api/integrations/twilio/sync",
       {"", "{}",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          CHECK(w.f.scalar("SELECT coalesce(vapi_credential_id, '-') FROM org_credentials "
                           "WHERE org_id = $1 AND provider = 'twilio'",
                           {w.a}) == "-");
        }}},
      {"DELETE /api/integrations/twilio",
       {"", "",
        [](world& w, const reply& r) {
          CHECK(r.status == 200);  // B's own connection, and only B's
          CHECK(w.f.scalar("SELECT count(*) FROM org_credentials WHERE org_id = $1 AND "
                           "provider = 'twilio'",
                           {w.a}) == "1");
        }}},

      // ---- hybrid telephony (telephony_routes.cpp) ----
      {"POST /api/telephony/verify-caller-id/initiate",
       {"", R"({"phoneNumber":"+12127360104","friendlyName":"Front desk","channel":"sms"})",
        [](world& w, const reply& r) {
          // B verifies numbers of its own; A's verifications are invisible to it, so even A's
          // verified number starts a new session for B rather than answering already_verified.
          CHECK(r.status == 200);
          shows_nothing_of_a(w, r);
          auto again = w.f.post("/api/telephony/verify-caller-id/initiate", w.b_token,
                                {{"phoneNumber", phone_verified}, {"channel", "sms"}});
          INFO(again.text);
          CHECK(again.status == 200);
          CHECK(again.body["verificationId"] != w.a_verified);
          CHECK(caller_id_status(w, w.a_verified) == "verified");
        }}},
      {"POST /api/telephony/verify-caller-id/confirm",
       {"", R"({"verificationId":"<a_pending>","verificationCode":"<a_pending_code>"})",
        [](world& w, const reply& r) {
          // Even with the right code, B cannot reach A's live session.
          is_404(w, r);
          CHECK(caller_id_status(w, w.a_pending) == "pending");
          CHECK(w.f.scalar("SELECT verification_attempts FROM verified_caller_ids WHERE id = $1",
                           {w.a_pending}) == "0");
        }}},
      {"GET /api/telephony/verified-numbers", {"", "", shows_nothing_of_a}},
      {"DELETE /api/telephony/verified-numbers/{id}",
       {"/api/telephony/verified-numbers/<a_spare>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(caller_id_status(w, w.a_spare) == "verified");
        }}},
      {"POST /api/telephony/verified-numbers/{id}/caller-id",
       {"/api/telephony/verified-numbers/<a_verified>/caller-id", "{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.twilio().caller_id_requests().empty());  // nothing went to Twilio
        }}},
      {"POST /api/telephony/forwarding-config",
       {"", R"({"verifiedCallerId":"<a_spare>","forwardingType":"total_ai","carrier":"att"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM hybrid_forwarding_configs WHERE "
                           "verified_caller_id = $1",
                           {w.a_spare}) == "0");
        }}},
      {"GET /api/telephony/forwarding-config",
       {"/api/telephony/forwarding-config?verifiedCallerId=<a_verified>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          mentions_nothing_of_a(w, r);
        }}},
      {"POST /api/telephony/forwarding-config/confirm",
       {"", R"({"forwardingConfigId":"<a_forwarding>"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(forwarding_status(w, w.a_forwarding) == "pending_setup");
        }}},
      {"DELETE /api/telephony/forwarding-config/{id}",
       {"/api/telephony/forwarding-config/<a_forwarding>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(r.text.find("#") == std::string::npos);  // no deactivation code of A's
          CHECK(forwarding_status(w, w.a_forwarding) == "pending_setup");
        }}},

      // ---- agents, campaigns, call-back, notifications (agent_routes.cpp) ----
      {"POST /api/agents",
       {"", R"({"agent_name":"B Desk","language":"en","provision_phone":false})",
        [](world& w, const reply& r) {
          CHECK(r.status == 201);  // B's own agent
          mentions_nothing_of_a(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM agents WHERE org_id = $1", {w.a}) == "2");
        }}},
      {"GET /api/agents", {"", "", shows_nothing_of_a}},
      {"POST /api/agents/{id}/retry",
       {"/api/agents/<a_failed_agent>/retry", "{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(agent_state(w, w.a_failed_agent) == "Harbor Night/failed");
        }}},
      {"PATCH /api/agents/{id}",
       {"/api/agents/<a_agent>", R"({"agent_name":"Renamed by B"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(agent_state(w, w.a_agent) == "Harbor Desk/ready");
        }}},
      {"GET /api/notifications", {"", "", shows_nothing_of_a}},
      {"POST /api/notifications/{id}/read",
       {"/api/notifications/<a_notification>/read", "{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT read_at FROM org_notifications WHERE id = $1",
                           {w.a_notification}) == "");
        }}},
      {"POST /api/campaigns",
       {"", R"({"name":"B Recall"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 201);
          mentions_nothing_of_a(w, r);
        }}},
      {"GET /api/campaigns", {"", "", shows_nothing_of_a}},
      {"POST /api/campaigns/{id}/numbers",
       {"/api/campaigns/<a_campaign>/numbers", R"({"phone_number_id":"<a_mapping>"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(number_campaign(w) == w.a_campaign);
        }}},
      {"DELETE /api/campaigns/{id}/numbers/{phone_number_id}",
       {"/api/campaigns/<a_campaign>/numbers/<a_mapping>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(number_campaign(w) == w.a_campaign);
        }}},
      {"POST /api/campaigns/{id}/contacts",
       {"/api/campaigns/<a_campaign>/contacts", R"({"contact_ids":["<a_contact>"]})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(contact_campaign(w) == w.a_campaign);
        }}},
      {"DELETE /api/campaigns/{id}/contacts/{contact_id}",
       {"/api/campaigns/<a_campaign>/contacts/<a_contact>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(contact_campaign(w) == w.a_campaign);
        }}},
      {"POST /api/contacts/{id}/call-back",
       {"/api/contacts/<a_contact>/call-back", "{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.vapi().calls().empty());  // nothing was placed on A's behalf
          CHECK(w.f.scalar("SELECT count(*) FROM calls WHERE direction = 'outbound'") == "0");
        }}},
  };
  return m;
}

// Registered routes under /api/ that are neither tenant nor service routes, and why.
const std::map<std::string, route_auth>& other_api_routes() {
  static const std::map<std::string, route_auth> m{
      // The legacy Vapi tool endpoints: Vapi's webhook credentials, the tenant by dialled number.
      {"POST /api/vapi/tools/calendar/check", route_auth::vapi},
      {"POST /api/vapi/tools/calendar/reserve", route_auth::vapi},
      {"POST /api/vapi/tools/sms/send", route_auth::vapi},
  };
  return m;
}

std::string key_of(const registered_route& r) { return r.method + " " + r.path; }

const matrix_entry& entry_for(const registered_route& r) {
  auto it = matrix().find(key_of(r));
  if (it == matrix().end()) FAIL(key_of(r) << " has no entry in the isolation matrix");
  return it->second;
}

// The request path of a matrix route, with A's ids.
std::string target_of(const world& w, const registered_route& r) {
  const auto& entry = entry_for(r);
  if (!entry.target.empty()) return w.fill(entry.target);
  INFO(key_of(r) << " has placeholders: its matrix entry must give a target with A's ids");
  REQUIRE(r.path.find('{') == std::string::npos);
  return r.path;
}

std::vector<registered_route> matrix_routes(const fixture& f) {
  std::vector<registered_route> out;
  for (const auto& r : f.routes())
    if (in_matrix_scope(r)) out.push_back(r);
  REQUIRE(!out.empty());
  return out;
}

}  // namespace

TEST_CASE("every tenant and service route registered on the server has an isolation-matrix "
          "entry, and every entry a route") {
  fixture f;
  const auto routes = f.routes();
  REQUIRE(!routes.empty());
  std::set<std::string> keys, in_scope;
  for (const auto& r : routes) {
    INFO(key_of(r) << " (" << rm::http::to_string(r.auth) << ", pattern " << r.pattern << ")");
    CHECK(keys.insert(key_of(r)).second);  // registered once
    if (in_matrix_scope(r)) {
      in_scope.insert(key_of(r));
      INFO("this route is registered but has no entry in the isolation matrix");
      CHECK(matrix().count(key_of(r)) == 1);
      CHECK(r.path.rfind("/api/", 0) == 0);
    } else if (r.path.rfind("/api/", 0) == 0) {
      INFO("an /api/ route that is neither a tenant nor a service route must be listed, with "
           "its authentication, in other_api_routes()");
      REQUIRE(other_api_routes().count(key_of(r)) == 1);
      CHECK(other_api_routes().at(key_of(r)) == r.auth);
    }
    if (r.auth == route_auth::tenant) CHECK((r.min_role == "member" || r.min_role == "admin"));
    if (r.auth == route_auth::none) CHECK((r.path == "/healthz" || r.path == "/readyz"));
  }
  // The telephony routes are registered like any other (they once were not enumerated).
  CHECK(in_scope.count("POST /api/telephony/verify-caller-id/confirm") == 1);
  CHECK(in_scope.count("DELETE /api/telephony/forwarding-config/{id}") == 1);
  for (const auto& [key, entry] : matrix()) {
    INFO("matrix entry " << key << " names no registered tenant or service route");
    CHECK(in_scope.count(key) == 1);
  }
  for (const auto& [key, auth] : other_api_routes()) {
    INFO("other_api_routes() entry " << key << " names no registered route");
    CHECK(keys.count(key) == 1);
  }
}

// server::routes() only knows what went through add_route; a handler given to httplib directly
// would escape the matrix. So no source of the HTTP adapter but add_route's own registers one.
TEST_CASE("no route is registered with httplib except through add_route") {
  const std::string dir = std::string{RM_SOURCE_DIR} + "/adapters/http";
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  std::vector<std::string> sources;
  while (auto* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cpp") == 0) sources.push_back(name);
  }
  closedir(d);
  REQUIRE(sources.size() >= 7);
  static const std::regex direct{R"(\.\s*(Get|Post|Put|Patch|Delete|Options)\s*\()"};
  for (const auto& name : sources) {
    if (name == "route_registry.cpp") continue;
    std::ifstream in{dir + "/" + name};
    std::stringstream text;
    text << in.rdbuf();
    const auto source = text.str();
    std::smatch m;
    INFO("adapters/http/" << name << " registers a route with httplib directly; use add_route");
    CHECK(!std::regex_search(source, m, direct));
  }
}

TEST_CASE("every tenant route refuses a missing, expired or badly signed token with 401") {
  world w;
  for (const auto& r : matrix_routes(w.f)) {
    // A fresh server per route: its own failed-auth throttle, so the 21st failure of the whole
    // matrix does not turn into a 429.
    auto s = w.f.another_server();
    const auto path = target_of(w, r);
    const auto body = w.fill(entry_for(r).body);
    std::vector<std::pair<std::string, std::string>> refused{
        {"no token", ""},
        {"expired", mint(w.a, "admin", "a-admin", -3600)},
        {"bad signature",
         mint(w.a, "admin", "a-admin", 3600, "not-the-secret-but-32-bytes-long!!")},
        {"garbage", "not.a.jwt"}};
    if (r.auth == route_auth::service) {
      refused.push_back({"tenant jwt", w.a_token});
      refused.push_back({"operator token", operator_token});
    } else {
      refused.push_back({"service token", service_token});
      refused.push_back({"operator token", operator_token});
    }
    for (const auto& [what, token] : refused) {
      auto reply = request(s->port(), r.method, path, token, body);
      INFO(key_of(r) << " with " << what << " → " << reply.text);
      CHECK(reply.status == 401);
      CHECK(reply.body["error"]["code"] == "unauthorized");
      CHECK(reply.headers["WWW-Authenticate"] == "Bearer");
    }
  }
  // Nothing of A moved, and nothing was sent on A's behalf.
  CHECK(w.f.scalar("SELECT name FROM organizations WHERE id = $1", {w.a}) == "Harbor Dental");
  CHECK(w.f.scalar("SELECT active FROM phone_numbers WHERE id = $1", {w.a_mapping}) == "t");
  CHECK(w.f.scalar("SELECT status FROM appointments WHERE id = $1", {w.a_appointment}) ==
        "booked");
  CHECK(caller_id_status(w, w.a_verified) == "verified");
  CHECK(caller_id_status(w, w.a_spare) == "verified");
  CHECK(caller_id_status(w, w.a_pending) == "pending");
  CHECK(forwarding_status(w, w.a_forwarding) == "pending_setup");
  CHECK(w.f.scalar("SELECT count(*) FROM verified_caller_ids") == "3");
  CHECK(w.f.twilio().messages().size() == 3);  // the three codes of the set-up
  CHECK(w.f.twilio().caller_id_requests().empty());
}

TEST_CASE("tenant B's token never reaches tenant A's data on any route") {
  world w;
  for (const auto& r : matrix_routes(w.f)) {
    const auto& entry = entry_for(r);
    auto reply = request(w.f.port(), r.method, target_of(w, r), w.b_token, w.fill(entry.body));
    INFO(key_of(r) << " with B's token → " << reply.status << " " << reply.text);
    entry.with_b_token(w, reply);
  }
  // And A still sees all of its own.
  CHECK(w.f.get("/api/calls/" + w.a_call, w.a_token).status == 200);
  CHECK(w.f.get("/api/contacts", w.a_token).body["contacts"].size() == 1);
  CHECK(w.f.get("/api/appointments", w.a_token).body["appointments"].size() == 1);
  CHECK(w.f.get("/api/telephony/verified-numbers", w.a_token).body["numbers"].size() == 3);
  auto forwarding =
      w.f.get("/api/telephony/forwarding-config?verifiedCallerId=" + w.a_verified, w.a_token);
  CHECK(forwarding.body["config"]["id"] == w.a_forwarding);
  auto confirmed = w.f.post("/api/telephony/verify-caller-id/confirm", w.a_token,
                            {{"verificationId", w.a_pending},
                             {"verificationCode", w.a_pending_code}});
  INFO(confirmed.text);
  CHECK(confirmed.status == 200);
}

TEST_CASE("the matrix's ids are real: tenant A's own token reaches every route") {
  world w;
  auto routes = matrix_routes(w.f);
  // Reads first, deletions last: the writes deactivate A's number, cancel its appointment, set
  // forwarding up on the spare number and delete it.
  auto rank = [](const registered_route& r) {
    return r.method == "GET" ? 0 : r.method == "DELETE" ? 2 : 1;
  };
  std::stable_sort(routes.begin(), routes.end(),
                   [&](const registered_route& x, const registered_route& y) {
                     return rank(x) < rank(y);
                   });
  for (const auto& r : routes) {
    const auto token = r.auth == route_auth::service ? std::string{service_token} : w.a_token;
    const auto& entry = entry_for(r);
    auto reply = request(w.f.port(), r.method, target_of(w, r), token, w.fill(entry.body));
    INFO(key_of(r) << " with A's token → " << reply.text);
    // POST of A's own number is an update (200), everything else a plain success.
    CHECK((reply.status == 200 || reply.status == 201));
  }
}

// Roles (docs/security.md "Roles"): every admin route of the registry refuses a member of the
// same tenant with 403 before its handler runs, with the matrix's real ids of A, so each request
// would succeed with A's admin token (previous test). The telephony routes that cost money or
// change/remove a verified number or a forwarding are admin routes (they once accepted members).
TEST_CASE("a member gets 403 on every admin route, destructive and paid telephony included") {
  world w;
  const auto member = mint(w.a, "member", "a-member");
  const std::set<std::string> telephony_admin{
      "POST /api/telephony/verify-caller-id/initiate",
      "POST /api/telephony/verify-caller-id/confirm",
      "DELETE /api/telephony/verified-numbers/{id}",
      "POST /api/telephony/verified-numbers/{id}/caller-id",
      "POST /api/telephony/forwarding-config",
      "POST /api/telephony/forwarding-config/confirm",
      "DELETE /api/telephony/forwarding-config/{id}"};
  std::set<std::string> refused;
  for (const auto& r : matrix_routes(w.f)) {
    if (r.auth != route_auth::tenant) continue;
    const bool telephony = telephony_admin.count(key_of(r)) == 1;
    if (telephony) CHECK(r.min_role == "admin");
    if (r.min_role != "admin" && !telephony) continue;
    const auto& entry = entry_for(r);
    auto reply = request(w.f.port(), r.method, target_of(w, r), member, w.fill(entry.body));
    INFO(key_of(r) << " with a member's token → " << reply.text);
    CHECK(reply.status == 403);
    CHECK(reply.body["error"]["code"] == "forbidden");
    CHECK(reply.body["error"]["message"] ==
          "this action needs the admin role; your role is member");
    refused.insert(key_of(r));
  }
  for (const auto& key : telephony_admin) {
    INFO(key << " is not registered");
    CHECK(refused.count(key) == 1);
  }
  // Nothing was paid for, verified, removed or changed on the member's request.
  CHECK(w.f.twilio().messages().size() == 3);  // the three codes of the set-up
  CHECK(w.f.twilio().calls().empty());
  CHECK(w.f.twilio().caller_id_requests().empty());
  CHECK(w.f.scalar("SELECT count(*) FROM verified_caller_ids") == "3");
  CHECK(caller_id_status(w, w.a_spare) == "verified");
  CHECK(caller_id_status(w, w.a_pending) == "pending");
  CHECK(forwarding_status(w, w.a_forwarding) == "pending_setup");
  CHECK(w.f.scalar("SELECT count(*) FROM hybrid_forwarding_configs") == "1");
  // Reads stay open to members.
  auto numbers = w.f.get("/api/telephony/verified-numbers", member);
  CHECK(numbers.status == 200);
  CHECK(numbers.body["numbers"].size() == 3);
  auto forwarding =
      w.f.get("/api/telephony/forwarding-config?verifiedCallerId=" + w.a_verified, member);
  CHECK(forwarding.status == 200);
  CHECK(forwarding.body["config"]["id"] == w.a_forwarding);
}

TEST_CASE("operator and Twilio routes refuse a request without credentials") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a, "", "America/New_York", true);
  int checked = 0;
  for (const auto& r : f.routes()) {
    if (r.auth != route_auth::operator_token && r.auth != route_auth::twilio) continue;
    auto s = f.another_server();  // its own failed-auth throttle
    // Placeholders become a well-formed id (a UUID fits every placeholder's pattern).
    std::string path = r.path;
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      int depth = 0;
      auto close = open;
      for (; close < path.size(); ++close) {
        if (path[close] == '{') ++depth;
        if (path[close] == '}' && --depth == 0) break;
      }
      path.replace(open, close - open + 1, org);
    }
    const bool form = r.auth == route_auth::twilio;
    std::vector<std::string> tokens{"", mint(org)};
    if (form) tokens.pop_back();  // Twilio signs; a Bearer token means nothing there
    for (const auto& token : tokens) {
      auto reply = request(s->port(), r.method, path, token, form ? "To=%2B14155550100" : "{}",
                           form ? "application/x-www-form-urlencoded" : "application/json");
      INFO(key_of(r) << " (" << path << ") with " << (token.empty() ? "no token" : "a tenant JWT")
                     << " → " << reply.text);
      CHECK(reply.status == 401);
      CHECK(reply.body["error"]["code"] == "unauthorized");
    }
    ++checked;
  }
  CHECK(checked >= 8);  // /ops/tenants, /sessions/* (4), the Twilio webhooks (4)
}

TEST_CASE("repeated failed authentications on tenant routes are throttled with Retry-After") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  for (int i = 0; i < 21; ++i)
    REQUIRE(f.get("/api/calls", mint(org, "admin", "u", -3600)).status == 401);
  auto blocked = f.get("/api/calls", mint(org, "admin", "u", -3600));
  CHECK(blocked.status == 429);
  CHECK(!blocked.headers["Retry-After"].empty());
  // Never a good token (issue 9 §3; more in test_auth_hardening.cpp).
  CHECK(f.get("/api/calls", mint(org)).status == 200);
}
