// The isolation matrix: one entry per tenant-JWT and service-token route of the route registry
// (http::server::routes()), with the request that names A's ids and what B's token may see or
// change there. test_isolation_registry.cpp fails when a registered route has no entry here, or
// an entry no route.
#include <catch2/catch.hpp>

#include "tests/tenant_api/isolation.hpp"

namespace rm::tapi::isolation {

namespace {

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
                         std::string{"Harbor Recall"}, w.a_service, w.a_document,
                         std::string{"Harbor Handbook"},
                         std::string{"a-frontdesk@harbor.example"}}) {
    INFO("A's " << id << " shows in " << r.text);
    CHECK(r.text.find(id) == std::string::npos);
  }
}

// Nothing of A in a 200 list.
void shows_nothing_of_a(world& w, const reply& r) {
  CHECK(r.status == 200);
  mentions_nothing_of_a(w, r);
}

}  // namespace

namespace {
// The route groups' entries that live in files of their own.
std::map<std::string, matrix_entry> with_other_files(std::map<std::string, matrix_entry> m) {
  for (const auto& e : action_matrix()) m.insert(e);
  for (const auto& e : event_matrix()) m.insert(e);
  return m;
}
}  // namespace

const std::map<std::string, matrix_entry>& matrix() {
  static const std::map<std::string, matrix_entry> m = with_other_files({
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
      {"GET /api/appointments", {"", "", shows_nothing_of_a}},
      {"POST /api/appointments/{id}/cancel",
       {"/api/appointments/<a_appointment>/cancel", "{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT status FROM appointments WHERE id = $1", {w.a_appointment}) ==
                "booked");
        }}},

      // ---- the dashboard's reads (dashboard_routes.cpp) ----
      {"GET /api/calls", {"", "", shows_nothing_of_a}},
      {"GET /api/calls/{id}", {"/api/calls/<a_call>", "", is_404}},
      {"GET /api/contacts", {"", "", shows_nothing_of_a}},
      {"GET /api/contacts/stats",
       {"", "",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          CHECK(std::to_string(r.body["total_leads"].get<long>()) ==
                w.f.scalar("SELECT count(*) FROM contacts WHERE org_id = $1", {w.b}));
        }}},
      {"GET /api/dashboard/summary",
       {"", "",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);  // A's call is not in B's recent activity
          CHECK(r.body["total_calls"] == 0);
          CHECK(r.body["recent_activity"].empty());
        }}},

      // ---- services (service_routes.cpp); every tenant has its own seven defaults ----
      {"GET /api/services",
       {"", "",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          CHECK(r.body["services"].size() >= 7);
        }}},
      {"POST /api/services",
       {"", R"({"name":"Whitening","price":300,"keywords":["whitening"]})",
        [](world& w, const reply& r) {
          CHECK(r.status == 201);  // B's own service
          mentions_nothing_of_a(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM services WHERE org_id = $1", {w.a}) == "7");
        }}},
      {"GET /api/services/{id}", {"/api/services/<a_service>", "", is_404}},
      {"PATCH /api/services/{id}",
       {"/api/services/<a_service>", R"({"price":1,"name":"Taken by B"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT name || '/' || price FROM services WHERE id = $1",
                           {w.a_service}) == "Botox/400.00");
        }}},
      {"DELETE /api/services/{id}",
       {"/api/services/<a_service>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM services WHERE id = $1", {w.a_service}) == "1");
        }}},

      // ---- the knowledge base (knowledge_routes.cpp) ----
      {"GET /api/knowledge-base", {"", "", shows_nothing_of_a}},
      {"POST /api/knowledge-base",
       {"", R"({"name":"Bay notes","content_type":"text/plain","content":"No walk-ins."})",
        [](world& w, const reply& r) {
          CHECK(r.status == 201);  // B's own document
          mentions_nothing_of_a(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM knowledge_documents WHERE org_id = $1",
                           {w.a}) == "1");
        }}},
      {"DELETE /api/knowledge-base/{id}",
       {"/api/knowledge-base/<a_document>", "",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT count(*) FROM knowledge_passages WHERE document_id = $1",
                           {w.a_document}) == "1");
        }}},

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

      // ---- linking Google Calendar (google_integration_routes.cpp) ----
      // A has a link; B's calls show, change and remove nothing of it.
      {"GET /api/integrations/google/authorize",
       {"", "",
        [](world& w, const reply& r) {
          CHECK(r.status == 200);  // B's own consent URL: its state names B
          mentions_nothing_of_a(w, r);
        }}},
      {"GET /api/integrations/google",
       {"", "",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          CHECK(r.body["connected"] == false);
        }}},
      {"DELETE /api/integrations/google",
       {"", "",
        [](world& w, const reply& r) {
          is_404(w, r);  // B has none; A's stays
          CHECK(w.f.scalar("SELECT count(*) FROM google_links WHERE org_id = $1", {w.a}) == "1");
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
      {"GET /api/agents/{id}",
       {"/api/agents/<a_agent>", "",
        [](world& w, const reply& r) {
          is_404(w, r);  // A's agent and its tools sync are not B's to see
          mentions_nothing_of_a(w, r);
        }}},
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
  });
  return m;
}

// Registered routes under /api/ that are neither tenant nor service routes, and why.
const std::map<std::string, route_auth>& other_api_routes() {
  static const std::map<std::string, route_auth> m{
      // The legacy Vapi tool endpoints: Vapi's webhook credentials, the tenant by dialled number.
      {"POST /api/vapi/tools/calendar/check", route_auth::vapi},
      {"POST /api/vapi/tools/calendar/reserve", route_auth::vapi},
      {"POST /api/vapi/tools/sms/send", route_auth::vapi},
      // Google's redirect after the consent: the signed, single-use state authenticates it
      // (public_link_routes() checks it).
      {"GET /api/integrations/google/callback", route_auth::none},
  };
  return m;
}

}  // namespace rm::tapi::isolation
