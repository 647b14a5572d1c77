// POST /webhooks/twilio/voice: which TwiML each kind of number gets.
#include <catch2/catch.hpp>

#include "tests/twilio_webhooks/fixture.hpp"

using namespace rm::twtest;

namespace {

const std::string path = "/webhooks/twilio/voice";

// The verbs inside <Response>…</Response>.
std::string verbs(const reply& r) {
  auto open = r.text.find("<Response>");
  auto close = r.text.rfind("</Response>");
  if (open == std::string::npos || close == std::string::npos) return "";
  return r.text.substr(open + 10, close - open - 10);
}

}  // namespace

TEST_CASE("a call to a clinic with an agent SIP address is dialled to that address") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a},
                  {{"agent_sip_uri", "sip:harbor@sip.vapi.ai?X-Clinic=a&X-Line=1"},
                   {"fallback_number", "(415) 555-0199"}});
  auto r = f.post_signed(path, voice_fields("CA01", caller, number_a), token_a);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/xml");
  CHECK(verbs(r) == "<Dial><Sip>sip:harbor@sip.vapi.ai?X-Clinic=a&amp;X-Line=1</Sip></Dial>");
}

TEST_CASE("a call to a clinic without an agent but with a front desk number is forwarded there") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a},
                  {{"fallback_number", "(415) 555-0199"}});
  auto r = f.post_signed(path, voice_fields("CA02", caller, number_a), token_a);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(verbs(r) == "<Dial>+14155550199</Dial>");
}

TEST_CASE("a call to a clinic with neither an agent nor a front desk hears an apology and ends") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto r = f.post_signed(path, voice_fields("CA03", caller, number_a), token_a);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/xml");
  auto v = verbs(r);
  CHECK(v.rfind("<Say>Sorry", 0) == 0);
  CHECK(v.size() > 7);
  CHECK(v.substr(v.size() - 9) == "<Hangup/>");
}

TEST_CASE("a call to a number of no clinic is rejected first and writes nothing") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a},
                  {{"agent_sip_uri", "sip:harbor@sip.vapi.ai"}});
  auto r = f.post_signed(path, voice_fields("CA04", caller, "+13105550100"), platform_token);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/xml");
  CHECK(verbs(r) == "<Reject/>");
  CHECK(f.counters().unknown_number == 1);
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("a call to a released number is verified with its last clinic's token and rejected") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a},
                  {{"agent_sip_uri", "sip:harbor@sip.vapi.ai"}});
  f.scalar("UPDATE phone_numbers SET active = false, deactivated_at = now() WHERE e164 = $1",
           {number_a});
  auto r = f.post_signed(path, voice_fields("CA05", caller, number_a), token_a);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(verbs(r) == "<Reject/>");
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("calls to the numbers of two clinics reach each clinic's own agent") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a},
                  {{"agent_sip_uri", "sip:harbor@sip.vapi.ai"}});
  f.create_tenant("Midtown Smiles", number_b, {account_b, token_b},
                  {{"agent_sip_uri", "sip:midtown@sip.vapi.ai"}});
  auto a = f.post_signed(path, voice_fields("CA06", caller, number_a), token_a);
  auto b = f.post_signed(path, voice_fields("CA07", caller, number_b), token_b);
  CHECK(verbs(a) == "<Dial><Sip>sip:harbor@sip.vapi.ai</Sip></Dial>");
  CHECK(verbs(b) == "<Dial><Sip>sip:midtown@sip.vapi.ai</Sip></Dial>");
  // Each number is verified with its own clinic's token only.
  auto crossed = f.post_signed(path, voice_fields("CA08", caller, number_b), token_a);
  CHECK(crossed.status == 403);
  CHECK(crossed.text.find("Dial") == std::string::npos);
}

TEST_CASE("the agent address and the front desk number are validated when a clinic is created") {
  fixture f;
  auto create = [&](const json& extra) {
    json body{{"name", "X"}, {"numbers", {{{"e164", number_a}}}}};
    for (const auto& [k, v] : extra.items()) body[k] = v;
    return f.post("/ops/tenants", body.dump(), "application/json",
                  {{"Authorization", std::string{"Bearer "} + operator_token}});
  };
  for (const json& bad : {json{{"agent_sip_uri", "https://sip.vapi.ai"}},
                          json{{"agent_sip_uri", "sip:a b@host"}}, json{{"agent_sip_uri", 7}},
                          json{{"agent_sip_uri", "sip:"}}}) {
    auto r = create(bad);
    INFO(bad.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["field"] == "agent_sip_uri");
  }
  for (const json& bad : {json{{"fallback_number", "front desk"}}, json{{"fallback_number", 5}}}) {
    auto r = create(bad);
    INFO(bad.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["field"] == "fallback_number");
  }
  CHECK(f.count("SELECT count(*) FROM organizations") == 0);
}
