// Tenant A's and B's world for the isolation tests, and the lookups over the matrix.
#include <catch2/catch.hpp>

#include "adapters/vapi/vapi_client.hpp"
#include "tests/tenant_api/isolation.hpp"

namespace rm::tapi::isolation {

world::world() {
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
  // The call's recording and (redacted) transcript, as its scored report would leave them: the
  // dashboard actions share and export them.
  f.scalar("UPDATE calls SET recording_url = $2, transcript = $3 WHERE id = $1",
           {a_call, a_recording_url, a_transcript});

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
  f.vapi().fail_next(400, 1, "POST", "/assistant");
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
  a_service = f.scalar("SELECT id FROM services WHERE org_id = $1 AND name = 'Botox'", {a});
  REQUIRE(!a_service.empty());
  auto handbook = request(f.port(), "POST", "/api/knowledge-base", a_token,
                          R"({"name":"Harbor Handbook","content_type":"text/plain",)"
                          R"("content":"Harbor walk-ins are welcome before noon."})");
  REQUIRE(handbook.status == 201);
  a_document = handbook.body["document"]["id"];
  // A's Google Calendar link (migration 014): B must neither see nor remove it.
  f.scalar("INSERT INTO google_links (org_id, connected_email) VALUES ($1,"
           " 'a-frontdesk@harbor.example') RETURNING org_id",
           {a});
  // A's own Vapi webhook credential (org_credentials, provider vapi_webhook).
  auto hook = request(f.port(), "PUT", "/api/org/vapi-webhook-auth", a_token,
                      R"({"mode":"secret","secret":"clinic-a-webhook-secret-0123"})");
  INFO(hook.text);
  REQUIRE(hook.status == 200);
}

std::string world::initiate(const std::string& phone) {
  auto r = f.post("/api/telephony/verify-caller-id/initiate", a_token,
                  {{"phoneNumber", phone}, {"friendlyName", "Dr. Lee"}, {"channel", "sms"}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  return r.body["verificationId"];
}

std::string world::verify(const std::string& phone) {
  auto id = initiate(phone);
  auto r = f.post("/api/telephony/verify-caller-id/confirm", a_token,
                  {{"verificationId", id}, {"verificationCode", f.last_sms_code(phone)}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  return id;
}

std::string world::fill(std::string text) const {
  const std::pair<const char*, const std::string*> ids[] = {
      {"<a_mapping>", &a_mapping},       {"<a_call>", &a_call},
      {"<a_appointment>", &a_appointment}, {"<a_verified>", &a_verified},
      {"<a_spare>", &a_spare},           {"<a_pending>", &a_pending},
      {"<a_pending_code>", &a_pending_code}, {"<a_forwarding>", &a_forwarding},
      {"<a_agent>", &a_agent},           {"<a_failed_agent>", &a_failed_agent},
      {"<a_notification>", &a_notification}, {"<a_campaign>", &a_campaign},
      {"<a_contact>", &a_contact},       {"<a_service>", &a_service},
      {"<a_document>", &a_document}};
  for (const auto& [token, value] : ids)
    for (auto at = text.find(token); at != std::string::npos; at = text.find(token))
      text.replace(at, std::string{token}.size(), *value);
  REQUIRE(text.find("<a_") == std::string::npos);
  return text;
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

}  // namespace rm::tapi::isolation
