// Issue 9 §1: input limits at the edge. A hostile body is refused with a 4xx and the service keeps
// answering; NUL in tool arguments never stops the tool log.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

// 300,000 nested arrays: 600 KB, under the 1 MiB body limit (the crash report's body).
std::string deep_arrays() { return std::string(300000, '[') + std::string(300000, ']'); }

// A tool-calls message for the samples' clinic whose only tool call has `arguments_text` as its
// arguments, spliced in as raw text (building it as a json value would copy it: that recurses).
std::string tool_calls_text(const std::string& call_id, const std::string& arguments_text) {
  return R"({"message":{"type":"tool-calls","timestamp":1000,"call":{"id":")" + call_id +
         R"(","type":"inboundPhoneCall","phoneNumberId":")" + clinic_vapi_id +
         R"("},"phoneNumber":{"id":")" + clinic_vapi_id + R"(","number":")" + clinic_number +
         R"("},"customer":{"number":")" + caller_number +
         R"("},"toolCallList":[{"id":"tc-deep","type":"function","function":{"name":)"
         R"("check_availability","arguments":)" +
         arguments_text + "}}]}}";
}

void check_error(const reply& r, int status, const std::string& code) {
  INFO(r.text << r.transport_error);
  CHECK(r.status == status);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body["error"].is_object());
  CHECK(r.body["error"]["code"] == code);
  CHECK(r.body["error"]["message"].is_string());
}

void still_answers(harness& h) {
  CHECK(http_get(h.port(), "/healthz").status == 200);
  const auto date = future_weekday(2);
  auto r = h.post("/api/vapi/tools/calendar/check",
                  {{"toolCall",
                    {{"id", "after-attack"},
                     {"arguments", {{"date", date}, {"inboundPhoneNumber", clinic_number}}}}}});
  INFO(r.text << r.transport_error);
  CHECK(r.status == 200);
}

long invocations(harness& h, const std::string& tool_call_id) {
  return h.count("SELECT count(*) FROM tool_invocations WHERE tool_call_id = $1", {tool_call_id});
}

}  // namespace

TEST_CASE("a 300,000-deep body without credentials gets a 4xx and the service keeps answering",
          "[input-limits]") {
  harness h;
  h.create_sample_clinic();
  const auto deep = deep_arrays();

  SECTION("the legacy calendar check (parsed before authentication)") {
    const auto body = R"({"toolCall":{"id":"tc-deep","arguments":)" + deep + "}}";
    REQUIRE(body.size() > 600000);
    REQUIRE(body.size() < (1u << 20));
    check_error(http_post(h.port(), "/api/vapi/tools/calendar/check", body), 400, "too_deep");
    // Deep objects inside the arguments, and a deep array as the whole body.
    std::string objects = R"({"toolCall":{"arguments":{"date":)";
    for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
    objects += "1" + std::string(100000, '}') + "}}}";
    check_error(http_post(h.port(), "/api/vapi/tools/calendar/check", objects), 400, "too_deep");
    check_error(http_post(h.port(), "/api/vapi/tools/calendar/check", deep), 400, "too_deep");
    still_answers(h);
  }
  SECTION("the Vapi webhook, with the deep value as tool arguments") {
    check_error(http_post(h.port(), "/webhooks/vapi", tool_calls_text("deep-call", deep)), 400,
                "too_deep");
    check_error(http_post(h.port(), "/webhooks/vapi", deep), 400, "too_deep");
    still_answers(h);
  }
  SECTION("the Vapi webhook, with deep arguments inside the arguments string") {
    // The string itself is one JSON value; its content is parsed under the same limits and the
    // tool call gets an error result the assistant can say (nothing else in the message fails).
    auto r = http_post(h.port(), "/webhooks/vapi",
                       tool_calls_text("deep-string-call", "\"{\\\"a\\\":" + deep + "}\""));
    INFO(r.text.substr(0, 500) << r.transport_error);
    REQUIRE(r.status == 200);
    REQUIRE(r.body["results"].size() == 1);
    REQUIRE(r.body["results"][0]["error"].is_string());
    CHECK(r.body["results"][0]["error"].get<std::string>().find("deeper than 64") !=
          std::string::npos);
    still_answers(h);
  }
}

TEST_CASE("bodies that are not UTF-8 get 400 invalid_utf8", "[input-limits]") {
  harness h;
  h.create_sample_clinic();
  const std::string overlong = "{\"message\":{\"type\":\"status-update\",\"x\":\"\xC0\xAF\"}}";
  check_error(http_post(h.port(), "/webhooks/vapi", overlong), 400, "invalid_utf8");
  const std::string surrogate = "{\"toolCall\":{\"arguments\":{\"date\":\"\xED\xA0\x80\"}}}";
  check_error(http_post(h.port(), "/api/vapi/tools/calendar/check", surrogate), 400,
              "invalid_utf8");
  const std::string truncated = "{\"name\":\"Clinic \xE2\x82\",\"numbers\":[]}";
  check_error(http_post(h.port(), "/ops/tenants", truncated, operator_token), 400,
              "invalid_utf8");
  check_error(http_post(h.port(), "/ops/tenants", "{\"name\":\"x\"} trailing", operator_token),
              400, "invalid_json");
  // A path or query that is not UTF-8 text without NUL once decoded: 400 naming it (was a 503:
  // PostgreSQL refused the lookup).
  auto bad_path = http_get(h.port(), "/sessions/calls/%C3%28", operator_token);
  check_error(bad_path, 400, "bad_request");
  CHECK(bad_path.body["error"]["field"] == "path");
  auto bad_query = http_get(h.port(), "/sessions/calls/x?q=a%00b", operator_token);
  check_error(bad_query, 400, "bad_request");
  CHECK(bad_query.body["error"]["field"] == "q");
  check_error(http_get(h.port(), "/sessions/calls/%00", operator_token), 400, "bad_request");
  check_error(http_get(h.port(), "/sessions/calls/caf%C3%A9", operator_token), 404, "not_found");
  still_answers(h);
}

TEST_CASE("a tool call with NUL in its arguments is answered and recorded, and so are later ones",
          "[input-limits]") {
  harness h;
  h.create_sample_clinic();
  const std::string second_number = "+14155550142";
  const std::string second_vapi_id = "5b0f6c1e-8a2d-4e3f-9c7b-6d1a2e3f4b50";
  h.create_tenant("Second Smile", second_number, second_vapi_id);
  const auto date = future_weekday(2);

  call_spec first{"nul-call-1"};
  call_spec second{"nul-call-2", second_number, second_vapi_id};
  for (const auto& c : {first, second}) {
    REQUIRE(h.vapi(status_update(c, "ringing", 1000)).status == 200);
    REQUIRE(h.vapi(status_update(c, "in-progress", 2000)).status == 200);
  }

  // NUL (sent as \u0000) in a key and in a value of the arguments.
  json nul_args{{"date", date}, {std::string("no\0te", 5), std::string("a\0b", 3)}};
  auto answer =
      only_result(h.vapi(tool_calls(first, {{"tc-nul", "check_availability", nul_args}})));
  INFO(answer.dump());
  REQUIRE(answer.contains("result"));
  REQUIRE(eventually([&] { return invocations(h, "tc-nul") == 1; }));
  CHECK(h.scalar("SELECT arguments->>'note' FROM tool_invocations"
                 " WHERE tool_call_id = 'tc-nul'") == "ab");

  // The legacy route too (its arguments as a JSON string holding \u0000).
  auto legacy = h.post(
      "/api/vapi/tools/calendar/check",
      {{"toolCall",
        {{"id", "tc-legacy-nul"},
         {"arguments",
          json{{"date", date}, {"inboundPhoneNumber", clinic_number}, {"x", std::string("\0", 1)}}
              .dump()}}}});
  INFO(legacy.text);
  CHECK(legacy.status == 200);

  // A later tool call of another tenant is recorded as well.
  auto later = only_result(
      h.vapi(tool_calls(second, {{"tc-after-nul", "check_availability", json{{"date", date}}}})));
  REQUIRE(later.contains("result"));
  CHECK(eventually([&] { return invocations(h, "tc-after-nul") == 1; }));
  // The legacy check is a pure read (issue 13 §2): answered, nothing stored.
  CHECK(invocations(h, "tc-legacy-nul") == 0);
}

TEST_CASE("a tool-calls message with more than 64 tool calls is refused whole; 64 are answered",
          "[input-limits]") {
  // 2,000 unknown tools in one message used to be answered by a recursion a frame per entry
  // deep on a scheduler thread, which overflowed its stack and crashed the service.
  harness h;
  h.create_sample_clinic();
  call_spec call{"many-tools-call"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  const auto unknown_tools = [](int n, const std::string& prefix) {
    std::vector<tool_spec> tools;
    for (int i = 0; i < n; ++i)
      tools.push_back({prefix + std::to_string(i), "no_such_tool", json::object()});
    return tools;
  };
  auto refused = h.vapi(tool_calls(call, unknown_tools(300, "tc-many-")));
  check_error(refused, 400, "too_many_tool_calls");
  CHECK(refused.body["error"]["field"] == "message.toolCallList");
  still_answers(h);

  // At the limit every one is answered, in order, each as an unknown tool.
  auto answered = h.vapi(tool_calls(call, unknown_tools(64, "tc-limit-")));
  INFO(answered.text);
  REQUIRE(answered.status == 200);
  REQUIRE(answered.body["results"].size() == 64);
  CHECK(answered.body["results"][63]["toolCallId"] == "tc-limit-63");
  CHECK(answered.body["results"][63]["error"] == "unknown tool 'no_such_tool'");

  // 63 checks answered once, then again in a message whose unknown tool sends it the actors'
  // way: the 63 are replays of the remembered results there, taken in the same loop.
  const auto date = future_weekday(2);
  std::vector<tool_spec> checks;
  for (int i = 0; i < 63; ++i)
    checks.push_back({"tc-check-" + std::to_string(i), "check_availability", json{{"date", date}}});
  auto first = h.vapi(tool_calls(call, checks));
  REQUIRE(first.status == 200);
  REQUIRE(first.body["results"].size() == 63);
  checks.push_back({"tc-check-unknown", "no_such_tool", json::object()});
  auto again = h.vapi(tool_calls(call, checks));
  INFO(again.text);
  REQUIRE(again.status == 200);
  REQUIRE(again.body["results"].size() == 64);
  for (int i = 0; i < 63; ++i) CHECK(again.body["results"][i] == first.body["results"][i]);
  CHECK(again.body["results"][63]["error"] == "unknown tool 'no_such_tool'");
}
