// Vapi server messages against the shared samples (../shared/contracts/vapi-samples), whose
// quirks are deliberate: stale call.status, string vs object arguments, legacy duration fields.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "adapters/vapi/vapi_messages.hpp"

using namespace rm::vapi;
using nlohmann::json;
namespace domain = rm::domain;

namespace {

json sample(const std::string& name) {
  const std::string path = std::string(RM_SHARED_DIR) + "/contracts/vapi-samples/" + name;
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  return json::parse(in);
}

envelope parsed(const json& body) {
  parse_error error;
  const auto e = parse_envelope(body, &error);
  INFO(error.code << ": " << error.message);
  REQUIRE(e);
  return *e;
}

json tool_calls_message(json entries, const char* list = "toolCallList") {
  return {{"type", "tool-calls"}, {list, std::move(entries)}};
}

const std::string sample_call_id = "019b7c3e-2a41-7f0d-b8e2-4c6a9d1e3f57";
const std::string sample_tool_call_id = "call_7Hq2Lm9Xw4Rb1Tz6Vn3Ks8Pd";

}  // namespace

TEST_CASE("a Vapi ringing status-update yields the call and both numbers") {
  const auto e = parsed(sample("status-update-ringing.json"));
  CHECK(e.type == "status-update");
  CHECK(e.call_id == sample_call_id);
  CHECK(e.call_type == "inboundPhoneCall");
  CHECK(e.dialled == "+14155550100");
  CHECK(e.caller == "+14155550177");
  CHECK(e.phone_number_id == "c41e8b27-9d3a-4f6c-b0e5-1a7d2c9f3e80");
  CHECK(e.provider_call_sid == "CA0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK(e.timestamp_ms == 1768230245350);
  CHECK(e.status == "ringing");
  CHECK(e.ended_reason.empty());

  const auto event = lifecycle_event(e);
  REQUIRE(event);
  CHECK(event->kind == domain::call_event_kind::status);
  CHECK(event->status == domain::call_state::ringing);
  CHECK(event->dedup_key == "status:ringing");
  CHECK(event->occurred_at_ms == 1768230245350);
}

TEST_CASE("a Vapi ended status-update takes the lifecycle from message.status not the stale call") {
  const auto body = sample("status-update-ended.json");
  REQUIRE(body["message"]["call"]["status"] == "ringing");  // the sample's deliberate quirk
  const auto e = parsed(body);
  CHECK(e.status == "ended");
  CHECK(e.ended_reason == "customer-ended-call");
  const auto event = lifecycle_event(e);
  REQUIRE(event);
  CHECK(event->status == domain::call_state::ended);
  CHECK(event->ended_reason == "customer-ended-call");
  CHECK(event->dedup_key == "status:ended");
  CHECK(event->occurred_at_ms == 1768230347650);
}

TEST_CASE("a Vapi end-of-call-report becomes a report event and its durable fields") {
  const auto body = sample("end-of-call-report.json");
  const auto e = parsed(body);
  CHECK(e.type == "end-of-call-report");
  CHECK(e.call_id == sample_call_id);
  const auto event = lifecycle_event(e);
  REQUIRE(event);
  CHECK(event->kind == domain::call_event_kind::report);
  CHECK(event->dedup_key == "report");
  CHECK(event->ended_reason == "customer-ended-call");
  CHECK(event->occurred_at_ms == 1768230355842);

  const auto r = extract_report(body["message"]);
  CHECK(r.ended_reason == "customer-ended-call");
  CHECK_THAT(r.transcript, Catch::StartsWith("AI: Thanks for calling Harbor Dental"));
  CHECK_THAT(r.transcript, Catch::EndsWith("User: No, that's all. Bye.\n"));
  CHECK_THAT(r.summary, Catch::StartsWith("The caller asked for a cleaning appointment"));
  CHECK(r.recording_url ==
        "https://storage.vapi.ai/019b7c3e-2a41-7f0d-b8e2-4c6a9d1e3f57-1768230348012-"
        "3c9e1a7b-5d2f-4e8a-9b6c-0a1d2e3f4b5c-mono.wav");
  REQUIRE(r.duration_seconds);
  CHECK(*r.duration_seconds == Approx(100.83));
  REQUIRE(r.cost_usd);
  CHECK(*r.cost_usd == Approx(0.1487));
  CHECK(r.success_evaluation == "true");
  CHECK(json::parse(r.structured_data_json) == body["message"]["analysis"]["structuredData"]);
  CHECK(r.structured_data_json.find('\n') == std::string::npos);
}

TEST_CASE("a Vapi report without durationSeconds takes endedAt minus startedAt") {
  const json message = {{"type", "end-of-call-report"},
                        {"startedAt", "2026-01-12T15:04:06.480Z"},
                        {"endedAt", "2026-01-12T15:05:47.310Z"},
                        {"transcript", "AI: Hello\n"},
                        {"summary", "Short call."},
                        {"recordingUrl", "https://storage.vapi.ai/x-mono.wav"},
                        {"analysis", {{"successEvaluation", false}}}};
  const auto r = extract_report(message);
  REQUIRE(r.duration_seconds);
  CHECK(*r.duration_seconds == Approx(100.83));
  CHECK(r.transcript == "AI: Hello\n");
  CHECK(r.summary == "Short call.");
  CHECK(r.recording_url == "https://storage.vapi.ai/x-mono.wav");
  CHECK(r.success_evaluation == "false");
  CHECK_FALSE(r.cost_usd);
  CHECK(r.structured_data_json.empty());
}

TEST_CASE("a Vapi report falls back to the mono recording and tolerates missing fields") {
  const json message = {
      {"type", "end-of-call-report"},
      {"artifact", {{"recording", {{"mono", {{"combinedUrl", "https://storage.vapi.ai/m.wav"}}}}}}},
      {"startedAt", "not a time"},
      {"endedAt", 12}};
  const auto r = extract_report(message);
  CHECK(r.recording_url == "https://storage.vapi.ai/m.wav");
  CHECK_FALSE(r.duration_seconds);
  CHECK(r.ended_reason.empty());
  CHECK(extract_report(json()).transcript.empty());
  CHECK(extract_report(json::array()).summary.empty());
}

TEST_CASE("the Vapi tool-calls sample yields one check_availability call") {
  const auto body = sample("tool-calls-check-availability.json");
  const auto e = parsed(body);
  CHECK(e.type == "tool-calls");
  CHECK_FALSE(lifecycle_event(e));
  const auto calls = extract_tool_calls(body["message"]);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].id == sample_tool_call_id);
  CHECK(calls[0].name == "check_availability");
  CHECK(calls[0].arguments == json{{"date", "2026-01-14"}});
  CHECK(calls[0].arguments_error.empty());
}

TEST_CASE("Vapi arguments as an object or as a JSON string give the same arguments") {
  const auto body = sample("tool-calls-check-availability.json");
  const auto& message = body["message"];
  // Each list alone: toolCalls carries a string, the other two an object.
  REQUIRE(message["toolCalls"][0]["function"]["arguments"].is_string());
  REQUIRE(message["toolCallList"][0]["function"]["arguments"].is_object());
  const auto from_string = extract_tool_calls({{"toolCalls", message["toolCalls"]}});
  const auto from_object = extract_tool_calls({{"toolCallList", message["toolCallList"]}});
  const auto from_wrapped =
      extract_tool_calls({{"toolWithToolCallList", message["toolWithToolCallList"]}});
  REQUIRE(from_string.size() == 1);
  REQUIRE(from_object.size() == 1);
  REQUIRE(from_wrapped.size() == 1);
  CHECK(from_string[0].arguments == from_object[0].arguments);
  CHECK(from_wrapped[0].arguments == from_object[0].arguments);
  CHECK(from_string[0].name == "check_availability");
  CHECK(from_wrapped[0].id == sample_tool_call_id);
}

TEST_CASE("a Vapi argument string that is not a JSON object sets arguments_error") {
  const auto calls = extract_tool_calls(tool_calls_message(json::array({
      {{"id", "a"}, {"function", {{"name", "book"}, {"arguments", "{date: 2026-01-14"}}}},
      {{"id", "b"}, {"function", {{"name", "book"}, {"arguments", "[1, 2]"}}}},
      {{"id", "c"}, {"function", {{"name", "book"}, {"arguments", 42}}}},
      {{"id", "d"}, {"function", {{"name", "book"}, {"arguments", ""}}}},
  })));
  REQUIRE(calls.size() == 4);
  for (int i = 0; i < 3; ++i) {
    INFO(calls[i].id);
    CHECK_FALSE(calls[i].arguments_error.empty());
    CHECK(calls[i].arguments == json::object());
  }
  CHECK(calls[3].arguments_error.empty());  // an empty string means no arguments
  CHECK(calls[3].arguments == json::object());
}

// Found by tests/fuzz/fuzz_vapi_messages (corpus crash-nul-in-arguments*): an escaped NUL inside
// an arguments string survived into the arguments, and the tool log's batch then failed whole.
TEST_CASE("a NUL escaped inside a Vapi arguments string is removed like one in the body") {
  const std::string arguments = R"({"body":"hi\u0000 there","x\u0000":1})";
  const auto calls = extract_tool_calls(tool_calls_message(json::array({
      {{"id", "a"}, {"function", {{"name", "send_sms"}, {"arguments", arguments}}}},
  })));
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].arguments_error.empty());
  CHECK(calls[0].arguments == json{{"body", "hi there"}, {"x", 1}});
}

// An arguments string is parsed under the body's depth cap, so nothing recursive (copy, dump)
// ever runs on a deeper structure hidden inside a string.
TEST_CASE("a Vapi arguments string nested deeper than 64 levels sets arguments_error") {
  const std::string deep = "{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}";
  const std::string fits = "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}";
  const auto calls = extract_tool_calls(tool_calls_message(json::array({
      {{"id", "deep"}, {"function", {{"name", "book"}, {"arguments", deep}}}},
      {{"id", "fits"}, {"function", {{"name", "book"}, {"arguments", fits}}}},
  })));
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].arguments_error == "arguments nests deeper than 64 levels");
  CHECK(calls[0].arguments == json::object());
  CHECK(calls[1].arguments_error.empty());
  CHECK(calls[1].arguments.contains("a"));
}

TEST_CASE("a Vapi tool call in the flat id name parameters form is understood") {
  const auto calls = extract_tool_calls(tool_calls_message(json::array(
      {{{"id", "toolu_01"}, {"name", "hold_slot"}, {"parameters", {{"start", "09:30"}}}}})));
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].id == "toolu_01");
  CHECK(calls[0].name == "hold_slot");
  CHECK(calls[0].arguments == json{{"start", "09:30"}});
}

TEST_CASE("Vapi tool calls keep their order and the first list wins for a repeated id") {
  const json message = {
      {"toolCallList",
       json::array({{{"id", "1"}, {"function", {{"name", "first"}, {"arguments", json::object()}}}},
                    {{"id", "2"}, {"function", {{"name", "second"}}}}})},
      {"toolCalls",
       json::array({{{"id", "2"}, {"function", {{"name", "other"}}}},
                    {{"id", "3"}, {"function", {{"name", "third"}, {"arguments", "{}"}}}},
                    {{"function", {{"name", "no id"}}}}})},
      {"toolWithToolCallList", json::array({{{"toolCall", {{"id", "1"}, {"name", "dup"}}}},
                                            {{"type", "function"}}})}};
  const auto calls = extract_tool_calls(message);
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].name == "first");
  CHECK(calls[1].name == "second");
  CHECK(calls[2].name == "third");
  CHECK(extract_tool_calls(json::object()).empty());
  CHECK(extract_tool_calls({{"toolCallList", "oops"}, {"toolCalls", {{"id", 5}}}}).empty());
}

TEST_CASE("a Vapi body without message or type is a parse error") {
  const auto error_for = [](const json& body) {
    parse_error error;
    CHECK_FALSE(parse_envelope(body, &error));
    CHECK_FALSE(error.message.empty());
    return error.code;
  };
  CHECK(error_for(json::parse("{not json", nullptr, false)) == "invalid_json");
  CHECK(error_for(json::object()) == "missing_message");
  CHECK(error_for({{"message", "status-update"}}) == "missing_message");
  CHECK(error_for(json::array()) == "missing_message");
  CHECK(error_for({{"message", {{"status", "ended"}}}}) == "missing_type");
  CHECK(error_for({{"message", {{"type", 7}}}}) == "missing_type");
  CHECK_FALSE(parse_envelope(json::object(), nullptr));  // the error is optional
}

// Found by tests/fuzz/fuzz_vapi_messages (corpus crash-timestamp-out-of-range.json): converting
// a float timestamp beyond int64 was undefined behaviour (x86 gave INT64_MIN).
TEST_CASE("a Vapi timestamp that no int64 can hold counts as absent") {
  for (const json& ts : {json(1e300), json(-1e300), json(18446744073709551615ULL),
                         json::parse("176823035584218446744073709551616")}) {
    INFO(ts.dump());
    CHECK(parsed({{"message", {{"type", "status-update"}, {"timestamp", ts}}}}).timestamp_ms == 0);
  }
  CHECK(parsed({{"message", {{"type", "x"}, {"timestamp", 1768230245350.9}}}}).timestamp_ms ==
        1768230245350);
  CHECK(parsed({{"message", {{"type", "x"}, {"timestamp", -5}}}}).timestamp_ms == -5);
}

TEST_CASE("a thin Vapi message with odd field types parses with empty fields") {
  const auto e = parsed({{"message",
                          {{"type", "hang"},
                           {"call", "not an object"},
                           {"customer", {{"number", 4155550177}}},
                           {"timestamp", "yesterday"}}}});
  CHECK(e.type == "hang");
  CHECK(e.call_id.empty());
  CHECK(e.caller.empty());
  CHECK(e.timestamp_ms == 0);
  CHECK_FALSE(lifecycle_event(e));
  envelope unknown = e;
  unknown.type = "status-update";
  unknown.status = "not-found";
  CHECK_FALSE(lifecycle_event(unknown));
}

TEST_CASE("Vapi caller and call sid fall back to the call snapshot") {
  const auto e = parsed({{"message",
                          {{"type", "status-update"},
                           {"call",
                            {{"id", "c1"},
                             {"phoneNumberId", "pn1"},
                             {"customer", {{"number", "+14155550177"}}},
                             {"transport", {{"callSid", "CA123"}}}}}}}});
  CHECK(e.caller == "+14155550177");
  CHECK(e.phone_number_id == "pn1");
  CHECK(e.provider_call_sid == "CA123");
}

TEST_CASE("Vapi tool results match the sample response shape on a single line") {
  const auto expected = sample("tool-calls-check-availability.response.json");
  const std::string result = expected["results"][0]["result"];
  const auto body = tool_results_body({{"check_availability", sample_tool_call_id, result, false}});
  CHECK(body == expected);

  const auto mixed = tool_results_body({{"book", "id-1", "Booked.\nSee you then.", false},
                                        {"sms", "id-2", "Twilio said:\r\n\tno", true}});
  REQUIRE(mixed["results"].size() == 2);
  CHECK(mixed["results"][0]["result"] == "Booked. See you then.");
  CHECK_FALSE(mixed["results"][0].contains("error"));
  CHECK(mixed["results"][1]["error"] == "Twilio said:  no");
  CHECK_FALSE(mixed["results"][1].contains("result"));
  CHECK(mixed["results"][1]["toolCallId"] == "id-2");
  CHECK(mixed["results"][1]["name"] == "sms");
  CHECK(tool_results_body({}) == json{{"results", json::array()}});
}
