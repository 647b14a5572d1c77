// POST /webhooks/twilio/sms: inbound messages, STOP / START, and send_sms refusing opted-out
// recipients before Twilio is called.
#include <catch2/catch.hpp>

#include "tests/twilio_webhooks/fixture.hpp"

using namespace rm::twtest;

namespace {

const std::string path = "/webhooks/twilio/sms";

rm::twilio::params sms_fields(const std::string& sid, const std::string& body,
                              const std::string& to = number_a, const std::string& from = caller) {
  return {{"AccountSid", account_a}, {"ApiVersion", "2010-04-01"}, {"Body", body},
          {"From", from},           {"MessageSid", sid},           {"NumMedia", "0"},
          {"NumSegments", "1"},     {"SmsMessageSid", sid},        {"SmsSid", sid},
          {"SmsStatus", "received"}, {"To", to}};
}

reply text_in(fixture& f, const std::string& sid, const std::string& body,
              const std::string& token = token_a, const std::string& to = number_a) {
  auto r = f.post_signed(path, sms_fields(sid, body, to), token);
  INFO(sid << " '" << body << "' → " << r.text);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/xml");
  CHECK(r.text == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
  return r;
}

std::string opted_out(fixture& f) {
  return f.scalar("SELECT opted_out FROM contacts WHERE phone_e164 = $1", {caller});
}

// A Vapi tool-calls message asking send_sms to text the caller.
reply send_sms_tool(fixture& f, const std::string& call_id, const std::string& tool_call_id) {
  json args{{"message", "Your appointment is confirmed."}};
  json m{{"message",
          {{"type", "tool-calls"},
           {"timestamp", 1768230283410LL},
           {"call", {{"id", call_id}, {"type", "inboundPhoneCall"},
                     {"customer", {{"number", caller}}}}},
           {"phoneNumber", {{"number", number_a}}},
           {"customer", {{"number", caller}}},
           {"toolCallList", {{{"id", tool_call_id}, {"type", "function"},
                              {"function", {{"name", "send_sms"}, {"arguments", args}}}}}}}}};
  auto r = f.post("/webhooks/vapi", m.dump(), "application/json");
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["results"].size() == 1);
  return r;
}

}  // namespace

TEST_CASE("an inbound SMS is stored once per MessageSid, with its sender as a contact") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  text_in(f, "SM01", "Can I move my appointment to Friday?");
  text_in(f, "SM01", "Can I move my appointment to Friday?");  // Twilio retried
  CHECK(f.count("SELECT count(*) FROM messages") == 1);
  CHECK(f.scalar("SELECT concat_ws('|', org_id, direction, method, recipient, content, status,"
                 " external_message_id, service_provider) FROM messages") ==
        org + "|inbound|sms|" + number_a + "|Can I move my appointment to Friday?|received|SM01"
              "|twilio");
  CHECK(f.scalar("SELECT m.contact_id = c.id FROM messages m, contacts c"
                 " WHERE c.phone_e164 = $1", {caller}) == "t");
  CHECK(opted_out(f) == "f");
  text_in(f, "SM02", "Thanks");
  CHECK(f.count("SELECT count(*) FROM messages") == 2);
  CHECK(f.count("SELECT count(*) FROM contacts") == 1);
}

TEST_CASE("texts to the numbers of two clinics are stored for the right clinic") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto b = f.create_tenant("Midtown Smiles", number_b, {account_b, token_b});
  text_in(f, "SM10", "for A", token_a, number_a);
  text_in(f, "SM11", "for B", token_b, number_b);
  CHECK(f.scalar("SELECT org_id FROM messages WHERE content = 'for A'") == a);
  CHECK(f.scalar("SELECT org_id FROM messages WHERE content = 'for B'") == b);
  CHECK(f.count("SELECT count(*) FROM contacts WHERE org_id = $1", {a}) == 1);
  CHECK(f.count("SELECT count(*) FROM contacts WHERE org_id = $1", {b}) == 1);
}

TEST_CASE("a text to a number of no clinic is refused and writes nothing") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto r = f.post_signed(path, sms_fields("SM20", "hello", "+13105550100"), platform_token);
  INFO(r.text);
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "unknown_number");
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("after STOP send_sms is refused without reaching Twilio, and START re-enables it") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  text_in(f, "SM30", "  stop ");
  CHECK(opted_out(f) == "t");

  auto refused = send_sms_tool(f, "sms-call-1", "tool-1");
  const auto& res = refused.body["results"][0];
  CHECK(res.contains("error"));
  CHECK(res.value("error", "") == "the recipient has opted out of SMS (replied STOP)");
  CHECK(f.twilio().requests().empty());
  CHECK(f.scalar("SELECT concat_ws('|', direction, status, error_code, recipient) FROM messages"
                 " WHERE call_id = 'sms-call-1'") == std::string{"outbound|refused|opted_out|"} +
                                                         caller);

  text_in(f, "SM31", "START");
  CHECK(opted_out(f) == "f");
  auto sent = send_sms_tool(f, "sms-call-1", "tool-2");
  INFO(sent.text);
  CHECK(sent.body["results"][0].contains("result"));
  REQUIRE(f.twilio().requests().size() == 1);
  CHECK(f.twilio().requests()[0].field("To") == caller);
}

TEST_CASE("a late retry of an old STOP does not undo a later START") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  text_in(f, "SM40", "STOP");
  text_in(f, "SM41", "Unstop");
  text_in(f, "SM40", "STOP");  // Twilio retried the first delivery
  CHECK(opted_out(f) == "f");
  CHECK(f.count("SELECT count(*) FROM messages") == 2);
}

TEST_CASE("an SMS without MessageSid or From is refused with the missing field named") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  for (const char* missing : {"MessageSid", "From"}) {
    rm::twilio::params fields;
    for (const auto& kv : sms_fields("SM50", "STOP"))
      if (kv.first != missing) fields.push_back(kv);
    auto r = f.post_signed(path, fields, token_a);
    INFO(r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["field"] == missing);
  }
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("a signed form field with NUL or invalid UTF-8 is refused with 400 naming the field") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  const auto rows_before = f.webhook_rows();
  struct bad {
    std::string sid, body;
  };
  for (const auto& c : {bad{"SMNUL", std::string("STOP\0", 5)},
                        bad{"SMUTF", "caf\xC3"},           // truncated é
                        bad{"SMOVER", "\xC0\xAF etc/passwd"}}) {  // overlong '/'
    auto r = f.post_signed(path, sms_fields(c.sid, c.body), token_a);
    INFO(c.sid << " → " << r.text);
    CHECK(r.status == 400);
    REQUIRE(r.body.is_object());
    CHECK(r.body["error"]["code"] == "bad_request");
    CHECK(r.body["error"]["field"] == "Body");
  }
  // A field name with NUL is named percent-encoded.
  auto fields = sms_fields("SMNAME", "hello");
  fields.emplace_back(std::string("X\0Y", 3), "1");
  auto r = f.post_signed(path, fields, token_a);
  INFO(r.text);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["field"] == "X%00Y");
  CHECK(f.webhook_rows() == rows_before);  // nothing stored
  // Unsigned, the same body is still refused for its signature first.
  auto unsigned_reply =
      f.post(path, "Body=%00&From=%2B14155550177&To=%2B14155550100&MessageSid=SMX",
             "application/x-www-form-urlencoded");
  CHECK(unsigned_reply.status == 401);
  text_in(f, "SMOK", "caf\xC3\xA9 ok");  // well-formed text is stored
  CHECK(f.count("SELECT count(*) FROM messages WHERE content = $1", {"caf\xC3\xA9 ok"}) == 1);
}
