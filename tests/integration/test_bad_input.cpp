// 6. Bad input is refused with a clear error and changes nothing already stored.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

void check_error(const reply& r, int status, const std::string& code) {
  INFO(r.text);
  CHECK(r.status == status);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body["error"].is_object());
  CHECK(r.body["error"]["code"] == code);
  CHECK(r.body["error"]["message"].is_string());
}

}  // namespace

TEST_CASE("bad requests are refused with JSON errors and leave stored data intact", "[bad-input]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"bad-input-call"};
  REQUIRE(h.vapi(status_update(call, "ringing", 1000)).status == 200);
  REQUIRE(h.vapi(status_update(call, "in-progress", 2000)).status == 200);
  auto hold = only_result(h.vapi(tool_calls(
      call, {{"tc-good-hold", "reserve_slot", json{{"start", future_weekday(2) + "T10:00"}}}})));
  REQUIRE(hold.contains("result"));
  const auto before = h.call_view(call.call_id);
  const auto tenants_before = h.get("/sessions/tenants").body;
  auto intact = [&] {
    CHECK(h.call_view(call.call_id) == before);
    CHECK(h.get("/sessions/tenants").body == tenants_before);
  };

  SECTION("a body over 1 MiB gets 413 with a JSON error") {
    std::string big =
        R"({"message":{"type":"status-update","pad":")" + std::string(1 << 20, 'x') + R"("}})";
    check_error(http_post(h.port(), "/webhooks/vapi", big), 413, "payload_too_large");
    intact();
  }
  SECTION("a body that is not JSON gets 400 invalid_json") {
    check_error(http_post(h.port(), "/webhooks/vapi", "{\"message\": nope"), 400, "invalid_json");
    intact();
  }
  SECTION("a message without a type gets 400") {
    auto body = status_update(call, "ended", 3000, "customer-ended-call");
    body["message"].erase("type");
    auto r = h.vapi(body);
    check_error(r, 400, "missing_type");
    intact();
  }
  SECTION("tool calls with bad arguments get a 200 error result naming the argument") {
    auto not_json = only_result(
        h.vapi(tool_calls(call, {{"tc-bad-1", "reserve_slot", json("{start: tomorrow")}})));
    INFO(not_json.dump());
    REQUIRE(not_json["error"].is_string());
    CHECK(not_json["error"].get<std::string>().find("arguments") != std::string::npos);

    auto no_date =
        only_result(h.vapi(tool_calls(call, {{"tc-bad-2", "check_availability", json::object()}})));
    INFO(no_date.dump());
    REQUIRE(no_date["error"].is_string());
    CHECK(no_date["error"].get<std::string>().find("'date'") != std::string::npos);

    auto bad_start = only_result(h.vapi(
        tool_calls(call, {{"tc-bad-3", "reserve_slot", json{{"start", "next tuesday-ish"}}}})));
    INFO(bad_start.dump());
    REQUIRE(bad_start["error"].is_string());
    CHECK(bad_start["error"].get<std::string>().find("'start'") != std::string::npos);
    intact();
  }
  SECTION("operator routes without or with a wrong token get 401") {
    json tenant{{"name", "Sneaky"}, {"numbers", {{{"e164", "+12125550123"}}}}};
    for (const std::string token : {"", "wrong-token-wrong-token-wrong"}) {
      check_error(http_post(h.port(), "/ops/tenants", tenant.dump(), token), 401, "unauthorized");
      check_error(http_get(h.port(), "/sessions/calls", token), 401, "unauthorized");
      check_error(http_get(h.port(), "/sessions/calls/" + call.call_id, token), 401,
                  "unauthorized");
      check_error(http_get(h.port(), "/sessions/tenants", token), 401, "unauthorized");
    }
    intact();
  }
  SECTION("a tenant with an invalid number gets 400 naming numbers[0].e164") {
    for (const std::string number : {"not a number", "+1-555-0100"}) {
      json tenant{{"name", "Bad Number Clinic"}, {"numbers", {{{"e164", number}}}}};
      auto r = h.post("/ops/tenants", tenant, true);
      check_error(r, 400, "invalid_field");
      CHECK(r.body["error"]["field"] == "numbers[0].e164");
    }
    intact();
  }
  SECTION("a number already active for another tenant gets 409") {
    json tenant{{"name", "Copycat Dental"},
                {"numbers", {{{"e164", "(415) 555-0100"}, {"label", "stolen"}}}}};
    check_error(h.post("/ops/tenants", tenant, true), 409, "number_taken");
    intact();
    // The call still routes to its own clinic.
    auto check = only_result(h.vapi(tool_calls(
        call, {{"tc-after-409", "check_availability", json{{"date", future_weekday(2)}}}})));
    CHECK(check.contains("result"));
  }
}
