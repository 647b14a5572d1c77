// POST /api/phone-numbers/import: every number of the clinic's Twilio account, across pages,
// pointed at our webhooks and imported into Vapi, idempotently; numbers another clinic holds or
// quarantines are reported, not taken.
#include <catch2/catch.hpp>

#include "tests/numbers/fixture.hpp"

using namespace rm::ntest;

namespace {

long url_updates(fixture& f) {
  long n = 0;
  for (const auto& r : f.twilio().requests())
    if (r.method == "POST" && r.path.find("/IncomingPhoneNumbers/PN") != std::string::npos) ++n;
  return n;
}

long list_pages(fixture& f) {
  long n = 0;
  for (const auto& r : f.twilio().requests())
    if (r.method == "GET" && r.path.find("/IncomingPhoneNumbers.json") != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("importing reads every page, points each number at our webhooks, imports it into Vapi "
          "and a second run adds nothing") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  f.twilio().set_list_page_size(2);
  std::vector<std::string> owned;
  for (int i = 0; i < 5; ++i) {
    const std::string e164 = "+1312555010" + std::to_string(i);
    f.twilio().add_owned_number(account_a, e164, "front desk " + std::to_string(i));
    owned.push_back(e164);
  }
  auto r = f.post("/api/phone-numbers/import", mint(a));
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["imported"].size() == 5);
  CHECK(r.body["already"].empty());
  CHECK(r.body["refused"].empty());
  CHECK(r.body["failed"].empty());
  CHECK(r.body["pages"] == 3);
  CHECK(list_pages(f) == 3);
  for (const auto& n : r.body["imported"]) {
    CHECK(n["status"] == "linked");
    CHECK(n["source"] == "imported");
  }
  // Twilio: each number now points at us.
  for (const auto& n : f.twilio().owned_numbers(account_a)) {
    CHECK(n["voice_url"] == std::string{public_url} + "/webhooks/twilio/voice");
    CHECK(n["sms_url"] == std::string{public_url} + "/webhooks/twilio/sms");
    CHECK(n["status_callback"] == std::string{public_url} + "/webhooks/twilio/status");
  }
  CHECK(url_updates(f) == 5);
  CHECK(f.vapi().phone_numbers().size() == 5);
  CHECK(f.count("SELECT count(*) FROM phone_numbers WHERE source = 'imported' AND active") == 5);

  // Again: nothing added, nothing sent but the listing.
  auto again = f.post("/api/phone-numbers/import", mint(a));
  INFO(again.text);
  REQUIRE(again.status == 200);
  CHECK(again.body["imported"].empty());
  CHECK(again.body["already"].size() == 5);
  CHECK(url_updates(f) == 5);
  CHECK(f.vapi().phone_numbers().size() == 5);
  CHECK(f.count("SELECT count(*) FROM phone_numbers") == 6);
}

TEST_CASE("an imported number another clinic holds or quarantines is reported, not taken") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  // B released +13125550150 a moment ago (bought through us, then deleted): in quarantine.
  auto bought = f.post("/api/phone-numbers", mint(b), {{"phone_number", "+13125550150"}});
  INFO(bought.text);
  REQUIRE(bought.status == 201);
  REQUIRE(f.del("/api/phone-numbers/" + bought.body["number"]["id"].get<std::string>(), mint(b))
              .status == 200);
  // A's account holds B's active number, the quarantined one and one of its own.
  f.twilio().add_owned_number(account_a, number_b);
  f.twilio().add_owned_number(account_a, "+13125550150");
  f.twilio().add_owned_number(account_a, "+13125550151");
  auto r = f.post("/api/phone-numbers/import", mint(a));
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["imported"].size() == 1);
  CHECK(r.body["imported"][0]["phone_number"] == "+13125550151");
  REQUIRE(r.body["refused"].size() == 2);
  CHECK(r.body["refused"][0] == json{{"phone_number", number_b}, {"reason", "taken"}});
  CHECK(r.body["refused"][1] == json{{"phone_number", "+13125550150"}, {"reason", "quarantined"}});
  CHECK(r.text.find(b) == std::string::npos);
  // Neither was repointed at our webhooks through A's account.
  for (const auto& n : f.twilio().owned_numbers(account_a))
    if (n["phone_number"] != "+13125550151")
      CHECK((!n.contains("voice_url") || n["voice_url"].is_null() || n["voice_url"] == ""));
  CHECK(f.scalar("SELECT org_id FROM phone_numbers WHERE e164 = $1 AND active", {number_b}) == b);
}

TEST_CASE("a clinic's hand-mapped number is adopted by the import, not duplicated") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto mapped_id = f.scalar("SELECT id FROM phone_numbers WHERE e164 = $1", {number_a});
  auto pn = f.twilio().add_owned_number(account_a, number_a);
  auto r = f.post("/api/phone-numbers/import", mint(a));
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["imported"].size() == 1);
  CHECK(r.body["imported"][0]["id"] == mapped_id);
  CHECK(r.body["imported"][0]["pn_sid"] == pn["sid"]);
  CHECK(r.body["imported"][0]["source"] == "imported");
  CHECK(f.count("SELECT count(*) FROM phone_numbers") == 1);
}
