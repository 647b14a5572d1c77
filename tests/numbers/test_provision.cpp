// POST /api/phone-numbers and GET /api/phone-numbers[/available]: the saga's happy path, the
// documented Twilio magic numbers, input validation and the refusals that buy nothing.
#include <catch2/catch.hpp>

#include "tests/numbers/fixture.hpp"

using namespace rm::ntest;

namespace {

const std::string magic_ok = "+15005550006";

long purchases(fixture& f) {
  long n = 0;
  for (const auto& r : f.twilio().requests())
    if (r.method == "POST" && r.path.find("/IncomingPhoneNumbers.json") != std::string::npos) ++n;
  return n;
}

long vapi_imports(fixture& f) {
  long n = 0;
  for (const auto& r : f.vapi().requests())
    if (r.method == "POST" && r.path == "/phone-number") ++n;
  return n;
}

}  // namespace

TEST_CASE("buying a number records it, imports it into Vapi with the clinic's Twilio credentials "
          "and links it") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto r = f.post("/api/phone-numbers", mint(a), {{"phone_number", magic_ok}});
  INFO(r.text);
  REQUIRE(r.status == 201);
  const auto& n = r.body["number"];
  CHECK(n["phone_number"] == magic_ok);
  CHECK(n["status"] == "linked");
  CHECK(n["source"] == "purchased");
  CHECK(n["is_active"] == true);
  REQUIRE(n["pn_sid"].is_string());
  CHECK(n["pn_sid"].get<std::string>().rfind("PN", 0) == 0);
  REQUIRE(n["vapi_phone_number_id"].is_string());
  CHECK(r.body["order"]["state"] == "completed");

  // Twilio was asked with our webhook URLs and the order's tag.
  const rm::fakes::recorded_request* buy = nullptr;
  auto requests = f.twilio().requests();
  for (const auto& q : requests)
    if (q.method == "POST" && q.path.find("/IncomingPhoneNumbers.json") != std::string::npos)
      buy = &q;
  REQUIRE(buy != nullptr);
  CHECK(buy->auth_account_sid == account_a);
  CHECK(buy->field("PhoneNumber") == magic_ok);
  CHECK(buy->field("VoiceUrl") == std::string{public_url} + "/webhooks/twilio/voice");
  CHECK(buy->field("SmsUrl") == std::string{public_url} + "/webhooks/twilio/sms");
  CHECK(buy->field("StatusCallback") == std::string{public_url} + "/webhooks/twilio/status");
  CHECK(buy->field("FriendlyName") ==
        "ringmaster order " + r.body["order"]["id"].get<std::string>());

  // Vapi got the number with the clinic's own Twilio account.
  auto stored = f.vapi().phone_numbers();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0]["number"] == magic_ok);
  CHECK(stored[0]["twilioAccountSid"] == account_a);
  CHECK(stored[0]["id"] == n["vapi_phone_number_id"]);
  CHECK(f.vapi().phone_number_secret(stored[0]["id"]) == token_a);
  CHECK(stored[0].dump().find(token_a) == std::string::npos);  // never echoed

  // The database agrees, and the list shows it (the secret nowhere).
  CHECK(f.scalar("SELECT status || '/' || source || '/' || provider_sid FROM phone_numbers"
                 " WHERE e164 = $1",
                 {magic_ok}) == "linked/purchased/" + n["pn_sid"].get<std::string>());
  auto list = f.get("/api/phone-numbers", mint(a, "member"));
  REQUIRE(list.status == 200);
  CHECK(list.body["phone_numbers"].size() == 2);  // the hand-mapped line and the new one
  CHECK(list.body["orders"].empty());
  CHECK(list.text.find(token_a) == std::string::npos);
}

TEST_CASE("area code 500 buys Twilio's test number") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto r = f.post("/api/phone-numbers", mint(a), {{"area_code", "500"}});
  INFO(r.text);
  REQUIRE(r.status == 201);
  CHECK(r.body["number"]["phone_number"] == magic_ok);
  CHECK(r.body["order"]["area_code"] == "500");
}

TEST_CASE("Twilio's magic refusals become clear errors and buy nothing") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  const auto token = mint(a);
  struct expectation {
    json body;
    int status;
    std::string code, message, field;
  };
  for (const auto& e : std::vector<expectation>{
           {{{"phone_number", "+15005550000"}}, 409, "number_unavailable",
            "that number is no longer available", "phone_number"},
           {{{"phone_number", "+15005550001"}}, 400, "invalid_phone_number", "", "phone_number"},
           {{{"area_code", "533"}}, 422, "no_numbers_in_area_code", "no numbers in that area code",
            "area_code"}}) {
    auto r = f.post("/api/phone-numbers", token, e.body);
    INFO(e.body.dump() << " → " << r.text);
    CHECK(r.status == e.status);
    CHECK(r.body["error"]["code"] == e.code);
    if (!e.message.empty()) CHECK(r.body["error"]["message"] == e.message);
    CHECK(r.body["error"]["field"] == e.field);
  }
  CHECK(purchases(f) == 3);      // each went to Twilio once (never retried)
  CHECK(vapi_imports(f) == 0);   // and no further
  CHECK(f.count("SELECT count(*) FROM phone_numbers") == 1);
  CHECK(f.count("SELECT count(*) FROM provisioning_orders WHERE state = 'failed'") == 3);
  CHECK(f.scalar("SELECT string_agg(error_code, ',' ORDER BY created_at) FROM provisioning_orders") ==
        "number_unavailable,invalid_phone_number,no_numbers_in_area_code");
}

TEST_CASE("bad input is refused with its field before anything is recorded or bought") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  const auto token = mint(a);
  const std::vector<std::pair<json, std::string>> cases{
      {{{"area_code", "41"}}, "area_code"},
      {{{"area_code", "4155"}}, "area_code"},
      {{{"area_code", "015"}}, "area_code"},
      {{{"area_code", "abc"}}, "area_code"},
      {{{"area_code", "020"}, {"country", "GB"}}, "area_code"},
      {{{"area_code", "415"}, {"country", "usa"}}, "country"},
      {{{"phone_number", "hello"}}, "phone_number"},
      {{{"phone_number", magic_ok}, {"area_code", "500"}}, "area_code"},
      {json::object(), "phone_number"},
      {{{"phone_number", 15005550006}}, "phone_number"},
      {{{"area_code", "500"}, {"agent_id", "not-a-uuid"}}, "agent_id"},
      {{{"area_code", "500"}, {"colour", "red"}}, "colour"},
  };
  for (const auto& [body, field] : cases) {
    auto r = f.post("/api/phone-numbers", token, body);
    INFO(body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"]["field"] == field);
  }
  auto bad_json = f.request("POST", "/api/phone-numbers", token, "{not json");
  CHECK(bad_json.status == 400);
  auto search = f.get("/api/phone-numbers/available?area_code=12", token);
  CHECK(search.status == 400);
  CHECK(search.body["error"]["field"] == "area_code");
  search = f.get("/api/phone-numbers/available?country=us", token);
  CHECK(search.status == 400);
  CHECK(search.body["error"]["field"] == "country");
  CHECK(purchases(f) == 0);
  CHECK(f.count("SELECT count(*) FROM provisioning_orders") == 0);
}

TEST_CASE("members read, admins change; a clinic without Twilio is told to connect it") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto none = f.create_tenant("No Twilio", number_b, "", "");
  auto r = f.post("/api/phone-numbers", mint(a, "member"), {{"area_code", "500"}});
  CHECK(r.status == 403);
  CHECK(f.del("/api/phone-numbers/00000000-0000-0000-0000-000000000000", mint(a, "member"))
            .status == 403);
  CHECK(f.post("/api/phone-numbers/import", mint(a, "member")).status == 403);
  CHECK(f.get("/api/phone-numbers", mint(a, "member")).status == 200);
  r = f.post("/api/phone-numbers", mint(none), {{"area_code", "500"}});
  INFO(r.text);
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "twilio_not_connected");
  CHECK(f.get("/api/phone-numbers/available?area_code=415", mint(none)).status == 409);
  CHECK(f.post("/api/phone-numbers/import", mint(none)).status == 409);
  CHECK(purchases(f) == 0);
}

TEST_CASE("a number the clinic has, or another clinic holds, is refused before Twilio") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  auto r = f.post("/api/phone-numbers", mint(a), {{"phone_number", number_a}});
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "number_already_yours");
  r = f.post("/api/phone-numbers", mint(b), {{"phone_number", number_a}});
  INFO(r.text);
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "number_taken");
  CHECK(r.text.find(a) == std::string::npos);
  CHECK(purchases(f) == 0);
}

TEST_CASE("the search lists Twilio's offer and the clinic's numbers list shows only its own") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  auto r = f.get("/api/phone-numbers/available?area_code=415&country=US", mint(a, "member"));
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["available_phone_numbers"].is_array());
  bool asked = false;
  for (const auto& q : f.twilio().requests())
    if (q.method == "GET" && q.path.find("/AvailablePhoneNumbers/US/Local.json") != std::string::npos)
      asked = true;
  CHECK(asked);
  REQUIRE(f.post("/api/phone-numbers", mint(a), {{"phone_number", magic_ok}}).status == 201);
  auto list_b = f.get("/api/phone-numbers", mint(b, "member"));
  REQUIRE(list_b.status == 200);
  CHECK(list_b.body["phone_numbers"].size() == 1);
  CHECK(list_b.text.find(magic_ok) == std::string::npos);
  CHECK(list_b.text.find(number_a) == std::string::npos);
}

TEST_CASE("while the clinic's Twilio breaker is open requests fail fast with 503 and Retry-After, "
          "and nothing is bought") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  const auto token = mint(a);
  f.twilio().fail_next(503, 10000);  // Twilio is down
  reply r;
  for (int i = 0; i < 60; ++i) {
    r = f.get("/api/phone-numbers/available?area_code=415", token);
    if (r.status == 503) break;
    CHECK(r.status == 502);  // a failure the breaker counts
  }
  INFO(r.text);
  REQUIRE(r.status == 503);
  CHECK(r.body["error"]["code"] == "provider_unavailable");
  REQUIRE(r.headers.count("Retry-After") == 1);
  CHECK(std::stoi(r.headers["Retry-After"]) >= 1);

  const auto before = purchases(f);
  auto bought = f.post("/api/phone-numbers", token, {{"area_code", "415"}});
  INFO(bought.text);
  CHECK(bought.status == 503);
  CHECK(bought.body["error"]["code"] == "provider_unavailable");
  CHECK(bought.headers.count("Retry-After") == 1);
  CHECK(purchases(f) == before);  // not attempted
  CHECK(f.scalar("SELECT state || '/' || error_code FROM provisioning_orders") ==
        "failed/provider_unavailable");
  // Per clinic: B's breaker is closed, so B's request reaches (the still failing) Twilio.
  auto other = f.get("/api/phone-numbers/available?area_code=415", mint(b));
  CHECK(other.status == 502);
}
