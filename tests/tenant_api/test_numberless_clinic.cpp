// Issue 9 §11: a clinic is created by the operator without numbers (it buys, imports or maps
// them later through the tenant API), and an active Vapi phone-number id belongs to at most one
// number (migration 009), whichever API path tries to give it to a second one.
#include <catch2/catch.hpp>

#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

std::string create_numberless(fixture& f, const json& body) {
  auto r = request(f.port(), "POST", "/ops/tenants", operator_token, body.dump());
  INFO(r.text);
  REQUIRE(r.status == 201);
  REQUIRE(r.body["id"].is_string());
  return r.body["id"];
}

// A check_availability call dialled to `dialled` (and, when given, naming only the Vapi id).
json availability(fixture& f, const std::string& call, const std::string& dialled,
                  const std::string& vapi_id = "") {
  auto m = tool_calls(call, dialled,
                      {{call + "-t", "check_availability", {{"date", future_weekday()}}}});
  if (!vapi_id.empty()) {
    m["message"]["phoneNumber"] = {{"id", vapi_id}};
    m["message"]["call"]["phoneNumberId"] = vapi_id;
  }
  return f.tool_result(m);
}

}  // namespace

TEST_CASE("the operator creates a clinic without numbers, which then maps one and takes calls") {
  fixture f;
  const std::string number = GENERATE(as<std::string>{}, "+14155550142", "+14155550143");
  // Both forms: no `numbers` at all, and an empty array.
  json body{{"name", "Harbor Dental"}, {"time_zone", "America/New_York"}};
  if (number == "+14155550143") body["numbers"] = json::array();
  auto org = create_numberless(f, body);
  CHECK(f.scalar("SELECT count(*) FROM phone_numbers WHERE org_id = $1", {org}) == "0");

  auto admin = mint(org);
  auto none = f.get("/api/inbound/phone-mappings", admin);
  REQUIRE(none.status == 200);
  CHECK(none.body["mappings"].empty());
  auto tenants = request(f.port(), "GET", "/sessions/tenants", operator_token);
  REQUIRE(tenants.status == 200);
  CHECK(tenants.text.find(org) != std::string::npos);

  CHECK(availability(f, "nl-1-" + number, number).value("error", "") ==
        "this phone number is not assigned to any clinic");
  auto mapped = f.post("/api/inbound/phone-mappings", admin,
                       {{"inbound_phone_number", number},
                        {"clinic_name", "Harbor main line"},
                        {"vapi_phone_number_id", "pn_" + number.substr(1)}});
  INFO(mapped.text);
  REQUIRE(mapped.status == 201);
  auto routed = availability(f, "nl-2-" + number, number);
  INFO(routed.dump());
  CHECK(routed.contains("result"));
  CHECK(f.scalar("SELECT org_id FROM calls WHERE id = $1", {"nl-2-" + number}) == org);
  // By the Vapi phone-number id alone, too.
  auto by_id = availability(f, "nl-3-" + number, "", "pn_" + number.substr(1));
  INFO(by_id.dump());
  CHECK(by_id.contains("result"));
}

TEST_CASE("POST /ops/tenants still refuses numbers that are not an array") {
  fixture f;
  auto r = request(f.port(), "POST", "/ops/tenants", operator_token,
                   json{{"name", "X"}, {"numbers", "+14155550142"}}.dump());
  CHECK(r.status == 400);
  CHECK(r.body["error"]["field"] == "numbers");
  auto v = request(f.port(), "POST", "/ops/tenants", operator_token,
                   json{{"name", "X"},
                        {"numbers", {{{"e164", "+14155550142"}, {"vapi_phone_number_id", 7}}}}}
                       .dump());
  CHECK(v.status == 400);
  CHECK(v.body["error"]["field"] == "numbers[0].vapi_phone_number_id");
  CHECK(f.scalar("SELECT count(*) FROM organizations") == "0");
}

TEST_CASE("an active Vapi phone-number id belongs to one number: a second claim gets 409 and "
          "nothing changes") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", "+14155550100", "pn_shared");
  auto b = f.create_tenant("Uptown Smiles", "+12125550100");
  const auto orgs = f.scalar("SELECT count(*) FROM organizations");
  const auto rows = f.scalar("SELECT count(*) FROM phone_numbers");

  SECTION("the operator API: a new clinic naming the id") {
    auto r = request(f.port(), "POST", "/ops/tenants", operator_token,
                     json{{"name", "Copycat"},
                          {"numbers", {{{"e164", "+13125550100"},
                                        {"vapi_phone_number_id", "pn_shared"}}}}}
                         .dump());
    INFO(r.text);
    CHECK(r.status == 409);
    CHECK(r.body["error"]["code"] == "vapi_phone_number_id_taken");
    CHECK(r.text.find(a) == std::string::npos);
  }
  SECTION("the operator API: two numbers of one new clinic sharing an id") {
    auto r = request(f.port(), "POST", "/ops/tenants", operator_token,
                     json{{"name", "Twins"},
                          {"numbers", {{{"e164", "+13125550100"}, {"vapi_phone_number_id", "pn_2"}},
                                       {{"e164", "+13125550101"}, {"vapi_phone_number_id", "pn_2"}}}}}
                         .dump());
    INFO(r.text);
    CHECK(r.status == 409);
    CHECK(r.body["error"]["code"] == "vapi_phone_number_id_taken");
  }
  SECTION("the tenant API: another clinic maps a number with the id") {
    auto r = f.post("/api/inbound/phone-mappings", mint(b),
                    {{"inbound_phone_number", "+12125550101"},
                     {"clinic_name", "Mine"},
                     {"vapi_phone_number_id", "pn_shared"}});
    INFO(r.text);
    CHECK(r.status == 409);
    CHECK(r.body["error"]["code"] == "vapi_phone_number_id_taken");
  }
  SECTION("the tenant API: the same clinic puts the id on a second number") {
    auto r = f.post("/api/inbound/phone-mappings", mint(a),
                    {{"inbound_phone_number", "+14155550101"},
                     {"clinic_name", "Annex"},
                     {"vapi_phone_number_id", "pn_shared"}});
    INFO(r.text);
    CHECK(r.status == 409);
    CHECK(r.body["error"]["code"] == "vapi_phone_number_id_taken");
    CHECK(r.body["error"]["field"] == "vapi_phone_number_id");
  }
  CHECK(f.scalar("SELECT count(*) FROM organizations") == orgs);
  CHECK(f.scalar("SELECT count(*) FROM phone_numbers") == rows);
  CHECK(f.scalar("SELECT count(*) FROM phone_numbers WHERE vapi_phone_number_id = 'pn_shared'") ==
        "1");
  // Calls naming the id still reach the clinic that holds it.
  auto routed = availability(f, "shared-1", "", "pn_shared");
  INFO(routed.dump());
  CHECK(routed.contains("result"));
  CHECK(f.scalar("SELECT org_id FROM calls WHERE id = 'shared-1'") == a);
}
