// DELETE /api/phone-numbers/{id}: Twilio release (204), removal from Vapi, routing stops at once,
// and the quarantine that keeps the number from any other clinic (buy, map) but not from its own.
#include <catch2/catch.hpp>

#include "tests/numbers/fixture.hpp"

using namespace rm::ntest;

namespace {

const std::string magic_ok = "+15005550006";

struct bought {
  std::string id, pn_sid, vapi_id;
};

bought buy(fixture& f, const std::string& org) {
  auto r = f.post("/api/phone-numbers", mint(org), {{"phone_number", magic_ok}});
  INFO(r.text);
  REQUIRE(r.status == 201);
  return {r.body["number"]["id"], r.body["number"]["pn_sid"],
          r.body["number"]["vapi_phone_number_id"]};
}

bool twilio_got(fixture& f, const std::string& method, const std::string& path_part) {
  for (const auto& r : f.twilio().requests())
    if (r.method == method && r.path.find(path_part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("releasing a number gives it back to Twilio and Vapi, stops routing at once and starts "
          "the quarantine") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto n = buy(f, a);
  // Routed before …
  auto call = f.twilio_webhook("/webhooks/twilio/voice", voice_fields("CA1", caller, magic_ok),
                               token_a);
  CHECK(call.text.find("<Reject") == std::string::npos);

  auto r = f.del("/api/phone-numbers/" + n.id, mint(a));
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["result"] == "released");
  CHECK(r.body["number"]["status"] == "aging");
  CHECK(r.body["number"]["is_active"] == false);
  REQUIRE(r.body["number"]["quarantine_until"].is_string());
  CHECK(twilio_got(f, "DELETE", "/IncomingPhoneNumbers/" + n.pn_sid + ".json"));
  bool vapi_deleted = false;
  for (const auto& q : f.vapi().requests())
    if (q.method == "DELETE" && q.path == "/phone-number/" + n.vapi_id) vapi_deleted = true;
  CHECK(vapi_deleted);
  CHECK(f.vapi().phone_numbers().empty());
  // 30 days, stored with the row.
  CHECK(f.scalar("SELECT round(extract(epoch from quarantine_until - released_at) / 86400)"
                 " FROM phone_numbers WHERE id = $1",
                 {n.id}) == "30");

  // … and not after: the next call is rejected, the next text refused, nothing stored.
  const auto before = f.count("SELECT count(*) FROM calls") + f.count("SELECT count(*) FROM messages");
  call = f.twilio_webhook("/webhooks/twilio/voice", voice_fields("CA2", caller, magic_ok), token_a);
  CHECK(call.status == 200);
  CHECK(call.text.find("<Reject/>") != std::string::npos);
  auto text = f.twilio_webhook("/webhooks/twilio/sms", sms_fields("SM1", caller, magic_ok, "hi"),
                               token_a);
  CHECK(text.status == 404);
  CHECK(f.count("SELECT count(*) FROM calls") + f.count("SELECT count(*) FROM messages") == before);

  // Deleting again calls nobody.
  const auto twilio_requests = f.twilio().requests().size();
  auto again = f.del("/api/phone-numbers/" + n.id, mint(a));
  CHECK(again.status == 200);
  CHECK(again.body["result"] == "already_released");
  CHECK(f.twilio().requests().size() == twilio_requests);

  // Listed as aging only with include_released.
  auto list = f.get("/api/phone-numbers", mint(a, "member"));
  CHECK(list.body["phone_numbers"].size() == 1);
  list = f.get("/api/phone-numbers?include_released=true", mint(a, "member"));
  CHECK(list.body["phone_numbers"].size() == 2);
}

TEST_CASE("within the quarantine another clinic can neither buy nor map the number; the same "
          "clinic can") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  auto n = buy(f, a);
  REQUIRE(f.del("/api/phone-numbers/" + n.id, mint(a)).status == 200);

  const auto purchases_before = f.twilio().requests().size();
  auto r = f.post("/api/phone-numbers", mint(b), {{"phone_number", magic_ok}});
  INFO(r.text);
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "number_in_quarantine");
  CHECK(r.text.find(a) == std::string::npos);
  CHECK(f.twilio().requests().size() == purchases_before);  // Twilio never asked
  r = f.post("/api/inbound/phone-mappings", mint(b),
             {{"inbound_phone_number", magic_ok}, {"clinic_name", "Uptown"}});
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "number_in_quarantine");
  // Not offered to B by the search either (when Twilio lists it).
  auto search = f.get("/api/phone-numbers/available?area_code=500", mint(b));
  CHECK(search.text.find(magic_ok) == std::string::npos);

  // A takes it back at once.
  auto back = f.post("/api/phone-numbers", mint(a), {{"phone_number", magic_ok}});
  INFO(back.text);
  CHECK(back.status == 201);
}

TEST_CASE("after the quarantine, or with none configured, another clinic may take the number") {
  SECTION("the quarantine has ended") {
    fixture f;
    auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
    auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
    auto n = buy(f, a);
    REQUIRE(f.del("/api/phone-numbers/" + n.id, mint(a)).status == 200);
    f.scalar("UPDATE phone_numbers SET quarantine_until = now() - interval '1 second'"
             " WHERE id = $1",
             {n.id});
    CHECK(f.post("/api/phone-numbers", mint(b), {{"phone_number", magic_ok}}).status == 201);
  }
  SECTION("RINGMASTER_NUMBER_QUARANTINE_DAYS=0") {
    fixture_options o;
    o.quarantine_days = 0;
    fixture f{o};
    auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
    auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
    auto n = buy(f, a);
    auto r = f.del("/api/phone-numbers/" + n.id, mint(a));
    CHECK(r.body["number"]["status"] == "released");
    CHECK(f.post("/api/phone-numbers", mint(b), {{"phone_number", magic_ok}}).status == 201);
  }
}

TEST_CASE("a number a forwarding configuration points at cannot be released") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto n = buy(f, a);
  f.scalar("INSERT INTO verified_caller_ids (id, org_id, phone_number, status) VALUES"
           " ('11111111-1111-1111-1111-111111111111', $1, '+12127360101', 'verified')",
           {a});
  f.scalar("INSERT INTO hybrid_forwarding_configs (org_id, verified_caller_id, sim_phone_number,"
           " forwarding_type, carrier, twilio_forwarding_number, generated_activation_code,"
           " generated_deactivation_code) VALUES ($1, '11111111-1111-1111-1111-111111111111',"
           " '+12127360101', 'total_ai', 'att', $2, '**21*15005550006#', '##21#')",
           {a, magic_ok});
  auto r = f.del("/api/phone-numbers/" + n.id, mint(a));
  INFO(r.text);
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "number_forwarded_to");
  CHECK_FALSE(twilio_got(f, "DELETE", "/IncomingPhoneNumbers/"));
  CHECK(f.scalar("SELECT status FROM phone_numbers WHERE id = $1", {n.id}) == "linked");
  // Disabled, it no longer holds the number.
  f.scalar("UPDATE hybrid_forwarding_configs SET status = 'disabled'");
  CHECK(f.del("/api/phone-numbers/" + n.id, mint(a)).status == 200);
}

TEST_CASE("another clinic's number, or an unknown id, is not found") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  auto n = buy(f, a);
  for (const auto& id : {n.id, std::string{"00000000-0000-0000-0000-000000000000"},
                         std::string{"not-a-uuid"}}) {
    auto r = f.del("/api/phone-numbers/" + id, mint(b));
    CHECK(r.status == 404);
    CHECK(r.body["error"]["code"] == "not_found");
  }
  CHECK(f.scalar("SELECT status FROM phone_numbers WHERE id = $1", {n.id}) == "linked");
  CHECK_FALSE(twilio_got(f, "DELETE", "/IncomingPhoneNumbers/"));
}

TEST_CASE("when Twilio will not release the number nothing changes") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto n = buy(f, a);
  f.twilio().fail_next(500, 1);
  auto r = f.del("/api/phone-numbers/" + n.id, mint(a));
  INFO(r.text);
  CHECK(r.status == 502);
  CHECK(f.scalar("SELECT status || '/' || active FROM phone_numbers WHERE id = $1", {n.id}) ==
        "linked/true");
  CHECK(f.vapi().phone_numbers().size() == 1);
}
