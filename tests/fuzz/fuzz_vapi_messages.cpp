// Harness: Vapi webhook handling (adapters/vapi/vapi_messages.hpp), fed as the server feeds it.
// Input: any bytes, used twice:
//   1. as a webhook body: rm::json_guard::parse, then parse_envelope, lifecycle_event,
//      extract_tool_calls, extract_report and tool_results_body, with the copies and dumps the
//      routes and the tool log make;
//   2. as the raw text of a tool call's `arguments` string (Vapi sends arguments as an object or
//      as a JSON string of one), inside an otherwise well-formed tool-calls message.
// Invariants: nothing throws or crashes; every tool call has an id and object arguments (or an
// arguments_error); arguments obey the body limits (depth ≤ 64, no U+0000: the tool log stores
// them) and dump strictly; a tool-results body dumps and has one entry per result.
#include <cstdint>

#include "adapters/json/json_guard.hpp"
#include "adapters/vapi/vapi_messages.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using nlohmann::json;
using rm::fuzz::check;
namespace vapi = rm::vapi;

namespace {

std::string dump_strict(const json& j, const char* what) {
  try {
    return j.dump();
  } catch (const std::exception& e) {
    rm::fuzz::fail(what, e.what());
  }
}

void check_tool_calls(const json& message) {
  const auto calls = vapi::extract_tool_calls(message);
  std::vector<vapi::tool_result> results;
  for (const auto& call : calls) {
    check(!call.id.empty(), "a tool call without an id was returned");
    check(call.arguments.is_object(), "tool call arguments are not an object");
    if (!call.arguments_error.empty())
      check(call.arguments.empty(), "arguments_error set but arguments kept");
    const auto shape = rm::fuzz::shape_of(call.arguments);
    check(shape.depth <= rm::json_guard::default_max_depth, "tool arguments deeper than 64");
    check(!shape.has_nul, "U+0000 in tool arguments (the tool log cannot store it)");
    const json copy = call.arguments;  // the routes copy arguments into the tool log entry
    dump_strict(copy, "tool arguments do not dump");
    results.push_back({call.name, call.id, call.arguments_error.empty() ? "ok\nline" : "bad\ttab",
                       !call.arguments_error.empty()});
  }
  const json body = vapi::tool_results_body(results);
  check(body["results"].size() == results.size(), "tool results body lost an entry");
  dump_strict(body, "tool results body does not dump");
  for (const auto& r : body["results"]) {  // the result text is single-line (names are echoed)
    const auto& text = r.contains("result") ? r["result"] : r["error"];
    check(text.is_string() && text.get_ref<const std::string&>().find_first_of("\r\n\t") ==
                                  std::string::npos,
          "a tool result is not single-line", r.dump());
  }
}

void as_body(std::string_view text) {
  const auto parsed = rm::json_guard::parse(text);
  if (!parsed.ok()) return;  // the server answers 400 before any handler runs
  const json& body = parsed.value;
  vapi::parse_error error;
  const auto e = vapi::parse_envelope(body, &error);
  if (!e) {
    check(error.code == "invalid_json" || error.code == "missing_message" ||
              error.code == "missing_type",
          "undocumented envelope error", error.code);
    return;
  }
  if (const auto event = vapi::lifecycle_event(*e))
    check(event->dedup_key == "report" || event->dedup_key == "status:" + e->status,
          "unexpected dedup key", event->dedup_key);
  const json& message = body["message"];
  check_tool_calls(message);
  const auto report = vapi::extract_report(message);
  if (report.duration_seconds) check(*report.duration_seconds == *report.duration_seconds, "NaN");
  if (!report.structured_data_json.empty()) {
    const auto again = rm::json_guard::parse(report.structured_data_json);
    check(again.ok(), "structuredData dump does not parse back", again.message);
  }
}

void as_arguments(std::string_view text) {
  // The server only ever sees arguments that came through json_guard: valid UTF-8, NUL removed.
  if (!rm::json_guard::valid_utf8(text)) return;
  std::string arguments(text);
  rm::json_guard::strip_nul(arguments);
  json message = {{"type", "tool-calls"}};
  message["toolCallList"] = json::array(
      {{{"id", "call_1"}, {"function", {{"name", "check_availability"}, {"arguments", arguments}}}},
       {{"id", "call_2"}, {"name", "book_appointment"}, {"parameters", arguments}}});
  check_tool_calls(message);
  const auto calls = vapi::extract_tool_calls(message);
  check(calls.size() == 2, "a tool call with an id was dropped");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rm::fuzz::as_text(data, size);
  as_body(text);
  as_arguments(text);
  check(vapi::single_line(std::string(text)).find_first_of("\r\n\t") == std::string::npos,
        "single_line left a line break or tab");
  return 0;
}
