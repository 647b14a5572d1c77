// 8. The seed's legacy tool endpoints.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

json legacy_check(const std::string& id, json arguments) {
  return {{"toolCall", {{"id", id}, {"arguments", std::move(arguments)}}}};
}

}  // namespace

TEST_CASE("the legacy availability check finds the clinic by a human-format number or tenantId",
          "[legacy]") {
  harness h;
  auto tenant = h.create_sample_clinic();
  const auto date = future_weekday(2);

  auto check_reply = [&](const reply& r) {
    INFO(r.text);
    REQUIRE(r.status == 200);
    REQUIRE(r.body["toolResult"]["content"].is_string());
    auto content = json::parse(r.body["toolResult"]["content"].get<std::string>());
    CHECK(content["success"] == true);
    CHECK(content["date"] == date);
    CHECK_FALSE(content["slots"].empty());
    REQUIRE(r.body["speech"].is_string());
    CHECK_FALSE(r.body["speech"].get<std::string>().empty());
  };

  SECTION("by inboundPhoneNumber as people write it") {
    check_reply(h.post(
        "/api/vapi/tools/calendar/check",
        legacy_check("legacy-human", {{"date", date}, {"inboundPhoneNumber", "(415) 555-0100"}})));
  }
  SECTION("by tenantId, with arguments as a JSON string") {
    check_reply(
        h.post("/api/vapi/tools/calendar/check",
               legacy_check("legacy-tenant", json{{"date", date}, {"tenantId", tenant}}.dump())));
  }
  // A pure read (issue 13 §2): no pseudo-call, no row, no call actor, nothing stored.
  CHECK(h.count("SELECT count(*) FROM calls") == 0);
  CHECK(h.count("SELECT count(*) FROM tool_invocations") == 0);
  auto live = h.get("/sessions/calls");
  REQUIRE(live.status == 200);
  CHECK(live.body["calls"].empty());
}

TEST_CASE("the legacy availability check sees a reservation at once and refuses an unknown tenantId",
          "[legacy]") {
  harness h;
  auto tenant = h.create_sample_clinic();
  const auto date = future_weekday(2);
  auto slots_of = [&](const std::string& id) {
    auto r = h.post("/api/vapi/tools/calendar/check",
                    legacy_check(id, {{"date", date}, {"inboundPhoneNumber", "+14155550100"}}));
    INFO(r.text);
    REQUIRE(r.status == 200);
    return json::parse(r.body["toolResult"]["content"].get<std::string>())["slots"];
  };
  auto before = slots_of("legacy-before");
  REQUIRE_FALSE(before.empty());
  const std::string first = before[0];
  auto held = h.post("/api/vapi/tools/calendar/reserve",
                     legacy_check("legacy-hold", {{"start", first}, {"tenantId", tenant}}));
  INFO(held.text);
  REQUIRE(held.status == 200);
  REQUIRE(json::parse(held.body["toolResult"]["content"].get<std::string>())["success"] == true);
  auto after = slots_of("legacy-after");  // answered from the tenant actor's memory
  for (const auto& s : after) CHECK(s != first);

  auto unknown = h.post(
      "/api/vapi/tools/calendar/check",
      legacy_check("legacy-nobody",
                   {{"date", date}, {"tenantId", "00000000-0000-4000-8000-000000000000"}}));
  INFO(unknown.text);
  CHECK(unknown.status == 404);
  CHECK(unknown.body["error"]["code"] == "unknown_tenant");
}

TEST_CASE("the legacy availability check refuses a missing tenant and the seed's invalid number",
          "[legacy]") {
  harness h;
  h.create_sample_clinic();
  const auto date = future_weekday(2);

  auto missing =
      h.post("/api/vapi/tools/calendar/check", legacy_check("legacy-missing", {{"date", date}}));
  INFO(missing.text);
  CHECK(missing.status == 400);
  CHECK(missing.body["error"]["code"] == "missing_tenant");

  auto seed =
      h.post("/api/vapi/tools/calendar/check",
             legacy_check("legacy-seed", {{"date", date}, {"inboundPhoneNumber", "+1-555-0100"}}));
  INFO(seed.text);
  CHECK(seed.status == 400);
  CHECK(seed.body["error"]["code"] == "invalid_phone_number");
  CHECK(seed.body["error"]["field"] == "toolCall.arguments.inboundPhoneNumber");
}
