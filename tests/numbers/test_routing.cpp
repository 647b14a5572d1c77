// Calls and texts to numbers bought and imported through the API reach the right clinic; an
// unknown number is rejected with no row written (../shared/contracts/twilio.md §2).
#include <catch2/catch.hpp>

#include "tests/numbers/fixture.hpp"

using namespace rm::ntest;

namespace {

long rows(fixture& f) {
  return f.count("SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM call_events) +"
                 " (SELECT count(*) FROM messages) + (SELECT count(*) FROM contacts)");
}

}  // namespace

TEST_CASE("calls and texts to two clinics' numbers reach the right clinic; an unknown number is "
          "rejected and writes nothing") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  f.scalar("UPDATE organizations SET agent_sip_uri = 'sip:harbor@sip.vapi.ai' WHERE id = $1", {a});
  f.scalar("UPDATE organizations SET agent_sip_uri = 'sip:uptown@sip.vapi.ai' WHERE id = $1", {b});
  // A buys by area code; B imports a number its account already had.
  auto bought = f.post("/api/phone-numbers", mint(a), {{"area_code", "312"}});
  INFO(bought.text);
  REQUIRE(bought.status == 201);
  const std::string a_number = bought.body["number"]["phone_number"];
  f.twilio().add_owned_number(account_b, "+16465550123");
  auto imported = f.post("/api/phone-numbers/import", mint(b));
  INFO(imported.text);
  REQUIRE(imported.status == 200);
  REQUIRE(imported.body["imported"].size() == 1);
  const std::string b_number = "+16465550123";

  auto call_a = f.twilio_webhook("/webhooks/twilio/voice", voice_fields("CAa", caller, a_number),
                                 token_a);
  INFO(call_a.text);
  CHECK(call_a.status == 200);
  CHECK(call_a.text.find("<Sip>sip:harbor@sip.vapi.ai</Sip>") != std::string::npos);
  auto call_b = f.twilio_webhook("/webhooks/twilio/voice", voice_fields("CAb", caller, b_number),
                                 token_b);
  INFO(call_b.text);
  CHECK(call_b.text.find("<Sip>sip:uptown@sip.vapi.ai</Sip>") != std::string::npos);

  auto sms_a = f.twilio_webhook("/webhooks/twilio/sms",
                                sms_fields("SMa", caller, a_number, "Hello Harbor"), token_a);
  CHECK(sms_a.status == 200);
  auto sms_b = f.twilio_webhook("/webhooks/twilio/sms",
                                sms_fields("SMb", caller, b_number, "Hello Uptown"), token_b);
  CHECK(sms_b.status == 200);
  CHECK(f.scalar("SELECT org_id FROM messages WHERE external_message_id = 'SMa'") == a);
  CHECK(f.scalar("SELECT org_id FROM messages WHERE external_message_id = 'SMb'") == b);
  CHECK(f.scalar("SELECT content FROM messages WHERE org_id = $1", {a}) == "Hello Harbor");

  // A text to B's number signed with A's token is refused: the number's own clinic verifies.
  auto forged = f.twilio_webhook("/webhooks/twilio/sms",
                                 sms_fields("SMx", caller, b_number, "forged"), token_a);
  CHECK(forged.status == 403);

  const auto before = rows(f);
  auto unknown = f.twilio_webhook("/webhooks/twilio/voice",
                                  voice_fields("CAu", caller, "+13105550100"), platform_token);
  INFO(unknown.text);
  CHECK(unknown.status == 200);
  CHECK(unknown.text.find("<Response><Reject/></Response>") != std::string::npos);
  auto unknown_sms = f.twilio_webhook("/webhooks/twilio/sms",
                                      sms_fields("SMu", caller, "+13105550100", "hi"), platform_token);
  CHECK(unknown_sms.status == 404);
  CHECK(rows(f) == before);
}
