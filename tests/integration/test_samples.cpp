// 1. The shared Vapi samples replayed against the HTTP front door.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

// The sample with 2026-01-14 (now in the past) replaced by `date` in every argument list.
json sample_check_with_date(const std::string& date) {
  auto text = load_sample("tool-calls-check-availability").dump();
  const std::string old_date = "2026-01-14";
  for (auto pos = text.find(old_date); pos != std::string::npos; pos = text.find(old_date, pos))
    text.replace(pos, old_date.size(), date);
  return json::parse(text);
}

}  // namespace

TEST_CASE("each shared Vapi sample replays with a 200 and the documented reply", "[samples]") {
  harness h;
  h.create_sample_clinic();
  const std::string call_id = load_sample("status-update-ringing")["message"]["call"]["id"];
  const auto date = future_weekday(2);

  auto ringing = h.vapi(load_sample("status-update-ringing"));
  INFO(ringing.text);
  REQUIRE(ringing.status == 200);
  CHECK(ringing.body == json{{"received", true}, {"duplicate", false}, {"state", "ringing"}});

  auto check = h.vapi(sample_check_with_date(date));
  auto result = only_result(check);
  auto documented = load_sample("tool-calls-check-availability.response")["results"][0];
  CHECK(result["name"] == documented["name"]);
  CHECK(result["toolCallId"] == documented["toolCallId"]);
  REQUIRE(result.contains("result"));
  REQUIRE(result["result"].is_string());
  auto slots = json::parse(result["result"].get<std::string>());
  CHECK(slots["date"] == date);
  REQUIRE(slots["slots"].is_array());
  CHECK_FALSE(slots["slots"].empty());
  CHECK(slots["slots"][0].get<std::string>().rfind(date + "T", 0) == 0);

  auto ended = h.vapi(load_sample("status-update-ended"));
  INFO(ended.text);
  REQUIRE(ended.status == 200);
  CHECK(ended.body["received"] == true);
  CHECK(ended.body["duplicate"] == false);
  CHECK(ended.body["state"] == "ended");

  auto report = h.vapi(load_sample("end-of-call-report"));
  INFO(report.text);
  REQUIRE(report.status == 200);
  CHECK(report.body["state"] == "reported");

  auto view = h.call_view(call_id);
  CHECK(view["state"] == "scored");
  CHECK(view["ended_reason"] == "customer-ended-call");
  CHECK(view["caller"] == caller_number);
  CHECK(view["dialled"] == clinic_number);
  CHECK(view["report"]["ended_reason"] == "customer-ended-call");
  CHECK(view["report"]["summary"].get<std::string>().find("cleaning") != std::string::npos);
}

TEST_CASE("a call to a number of no tenant gets a tool error, 404s and leaves no call row",
          "[samples]") {
  harness h;
  h.create_sample_clinic();
  call_spec stranger{"unknown-number-call"};
  stranger.dialled = "+14155550111";
  stranger.phone_number_id = "00000000-0000-4000-8000-000000000000";

  auto tools = h.vapi(tool_calls(
      stranger, {{"tc-unknown-1", "check_availability", json{{"date", future_weekday(2)}}}}));
  auto result = only_result(tools);
  CHECK(result["toolCallId"] == "tc-unknown-1");
  CHECK_FALSE(result.contains("result"));
  REQUIRE(result["error"].is_string());
  CHECK_FALSE(result["error"].get<std::string>().empty());

  for (const auto& body : {status_update(stranger, "ringing", 1000),
                           status_update(stranger, "ended", 2000, "customer-ended-call"),
                           end_of_call_report(stranger, 3000)}) {
    auto r = h.vapi(body);
    INFO(r.text);
    CHECK(r.status == 404);
    CHECK(r.body["error"]["code"] == "unknown_number");
  }
  CHECK(h.count("SELECT count(*) FROM calls WHERE id = $1", {stranger.call_id}) == 0);
  CHECK(h.count("SELECT count(*) FROM call_events WHERE call_id = $1", {stranger.call_id}) == 0);
  CHECK(h.get("/sessions/calls/" + stranger.call_id).status == 404);
}

TEST_CASE("an assistant-request gets the tenant's assistant, or an error for an unknown number",
          "[samples]") {
  harness h;
  h.create_sample_clinic();
  auto known = h.vapi(assistant_request({"assistant-request-known"}));
  INFO(known.text);
  REQUIRE(known.status == 200);
  CHECK(known.body == json{{"assistantId", clinic_assistant}});

  call_spec stranger{"assistant-request-unknown"};
  stranger.dialled = "+14155550111";
  stranger.phone_number_id = "00000000-0000-4000-8000-000000000000";
  auto unknown = h.vapi(assistant_request(stranger));
  INFO(unknown.text);
  REQUIRE(unknown.status == 200);
  CHECK_FALSE(unknown.body.contains("assistantId"));
  REQUIRE(unknown.body.contains("error"));
  CHECK(unknown.body["error"].is_string());
}
