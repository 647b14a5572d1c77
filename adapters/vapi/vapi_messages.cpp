#include "adapters/vapi/vapi_messages.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_set>

#include "adapters/json/json_guard.hpp"
#include "domain/calendar.hpp"
#include "domain/scoring.hpp"

namespace rm::vapi {

namespace {

using nlohmann::json;

// The member `key` of `j` when `j` is an object that has it, else a shared null. Never throws.
const json& at(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  const auto it = j.find(key);
  return it == j.end() ? null : *it;
}

std::string text(const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }

std::string first_text(std::initializer_list<const json*> candidates) {
  for (const json* j : candidates)
    if (j->is_string() && !j->get_ref<const std::string&>().empty()) return j->get<std::string>();
  return "";
}

std::optional<double> number(const json& j) {
  if (j.is_number()) return j.get<double>();
  return std::nullopt;
}

// Vapi's ISO-8601 stamps ("2026-01-12T15:04:06.480Z") as epoch seconds: whole seconds from the
// domain parser, plus the fraction it drops.
std::optional<double> epoch_seconds(const json& j) {
  if (!j.is_string()) return std::nullopt;
  const auto& s = j.get_ref<const std::string&>();
  const auto t = domain::parse_instant(s, "UTC");
  if (!t) return std::nullopt;
  double seconds = static_cast<double>(t->time_since_epoch().count());
  if (s.size() > 20 && s[19] == '.') {
    double scale = 0.1;
    for (std::size_t i = 20; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10)
      seconds += (s[i] - '0') * scale;
  }
  return seconds;
}

// Arguments arrive as an object, as a JSON string of one, or (flat form) as `parameters`.
void read_arguments(const json& source, tool_call& call) {
  if (source.is_null()) return;
  if (source.is_object()) {
    call.arguments = source;  // the body was parsed with json_guard: at most 64 deep
    return;
  }
  if (source.is_string()) {
    const auto& s = source.get_ref<const std::string&>();
    if (s.find_first_not_of(" \t\r\n") == std::string::npos) return;  // "" means no arguments
    // The same limits as a request body (depth 64, UTF-8, NUL removed): the string is as
    // untrusted as the body that carried it.
    auto parsed = json_guard::parse(s);
    if (parsed.ok() && parsed.value.is_object()) {
      call.arguments = std::move(parsed.value);
      return;
    }
    switch (parsed.status) {
      case json_guard::verdict::ok:
        call.arguments_error = "arguments is JSON but not an object";
        break;
      case json_guard::verdict::too_deep:
        call.arguments_error = "arguments nests deeper than " +
                               std::to_string(json_guard::default_max_depth) + " levels";
        break;
      case json_guard::verdict::invalid_utf8:
        call.arguments_error = "arguments is not valid UTF-8";
        break;
      default: call.arguments_error = "arguments is not valid JSON";
    }
    return;
  }
  call.arguments_error = std::string("arguments is a JSON ") + source.type_name() +
                         ", expected an object";
}

// One entry of toolCallList / toolCalls / toolWithToolCallList[].toolCall, in either the
// OpenAI form {id, function:{name, arguments}} or the flat form {id, name, parameters}.
tool_call read_tool_call(const json& entry) {
  tool_call call;
  call.id = text(at(entry, "id"));
  const json& function = at(entry, "function");
  call.name = first_text({&at(function, "name"), &at(entry, "name")});
  const json* args = &at(function, "arguments");
  if (args->is_null()) args = &at(entry, "arguments");
  if (args->is_null()) args = &at(entry, "parameters");
  read_arguments(*args, call);
  return call;
}

}  // namespace

std::optional<envelope> parse_envelope(const json& body, parse_error* error) {
  const auto fail = [&](const char* code, const char* message) -> std::optional<envelope> {
    if (error) *error = {code, message};
    return std::nullopt;
  };
  if (body.is_discarded()) return fail("invalid_json", "The request body is not valid JSON.");
  const json& m = at(body, "message");
  if (!m.is_object()) return fail("missing_message", "The body has no object named message.");
  if (!at(m, "type").is_string())
    return fail("missing_type", "The message has no string field named type.");

  const json& call = at(m, "call");
  envelope e;
  e.type = text(at(m, "type"));
  e.call_id = text(at(call, "id"));
  e.call_type = text(at(call, "type"));
  e.dialled = text(at(at(m, "phoneNumber"), "number"));
  e.phone_number_id = first_text({&at(at(m, "phoneNumber"), "id"), &at(call, "phoneNumberId")});
  e.caller = first_text(
      {&at(at(m, "customer"), "number"), &at(at(call, "customer"), "number")});
  e.provider_call_sid =
      first_text({&at(call, "phoneCallProviderId"), &at(at(call, "transport"), "callSid")});
  // A timestamp no int64 holds (2^64, 1e300: converting it is undefined behaviour; found by
  // tests/fuzz/fuzz_vapi_messages) counts as absent.
  const json& ts = at(m, "timestamp");
  if (ts.is_number_unsigned()) {
    if (ts.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX))
      e.timestamp_ms = ts.get<std::int64_t>();
  } else if (ts.is_number_integer()) {
    e.timestamp_ms = ts.get<std::int64_t>();
  } else if (ts.is_number_float()) {
    const double d = ts.get<double>();
    if (std::isfinite(d) && std::fabs(d) < 9.2e18) e.timestamp_ms = static_cast<std::int64_t>(d);
  }
  e.status = text(at(m, "status"));
  e.ended_reason = text(at(m, "endedReason"));
  return e;
}

std::vector<tool_call> extract_tool_calls(const json& message) {
  std::vector<tool_call> out;
  std::unordered_set<std::string> seen;
  const auto take = [&](const json& entry) {
    auto call = read_tool_call(entry);
    if (call.id.empty() || !seen.insert(call.id).second) return;
    out.push_back(std::move(call));
  };
  for (const char* list : {"toolCallList", "toolCalls"}) {
    const json& entries = at(message, list);
    if (entries.is_array())
      for (const auto& entry : entries) take(entry);
  }
  const json& wrapped = at(message, "toolWithToolCallList");
  if (wrapped.is_array())
    for (const auto& entry : wrapped) take(at(entry, "toolCall"));
  return out;
}

json tool_results_body(const std::vector<tool_result>& results) {
  // Members set in place: an initializer list copies every value once more (the result text is
  // the largest string of a check_availability's answer).
  json list = json::array();
  list.get_ref<json::array_t&>().reserve(results.size());
  for (const auto& r : results) {
    json& item = list.emplace_back(json::object());
    item["name"] = r.name;
    item["toolCallId"] = r.tool_call_id;
    item[r.is_error ? "error" : "result"] = single_line(r.text);
  }
  json body = json::object();
  body["results"] = std::move(list);
  return body;
}

std::optional<domain::call_event> lifecycle_event(const envelope& e) {
  domain::call_event event;
  event.ended_reason = e.ended_reason;
  event.occurred_at_ms = e.timestamp_ms;
  if (e.type == "status-update") {
    const auto state = domain::from_vapi_status(e.status);
    if (!state) return std::nullopt;
    event.kind = domain::call_event_kind::status;
    event.status = *state;
    event.dedup_key = "status:" + e.status;
    return event;
  }
  if (e.type == "end-of-call-report") {
    event.kind = domain::call_event_kind::report;
    event.status = domain::call_state::reported;
    event.dedup_key = "report";
    return event;
  }
  if (e.type == "transfer-update") {
    event.kind = domain::call_event_kind::transfer;
    event.status = domain::call_state::forwarding;
    event.ended_reason.clear();
    event.dedup_key = "transfer:" + std::to_string(e.timestamp_ms);
    return event;
  }
  return std::nullopt;
}

report_fields extract_report(const json& message) {
  const json& artifact = at(message, "artifact");
  const json& analysis = at(message, "analysis");
  report_fields r;
  r.ended_reason = text(at(message, "endedReason"));
  r.transcript = first_text({&at(artifact, "transcript"), &at(message, "transcript")});
  r.summary = first_text({&at(analysis, "summary"), &at(message, "summary")});
  r.recording_url =
      first_text({&at(artifact, "recordingUrl"), &at(message, "recordingUrl"),
                  &at(at(at(artifact, "recording"), "mono"), "combinedUrl")});
  r.duration_seconds = number(at(message, "durationSeconds"));
  if (!r.duration_seconds) {
    const auto started = epoch_seconds(at(message, "startedAt"));
    const auto ended = epoch_seconds(at(message, "endedAt"));
    if (started && ended && *ended >= *started) r.duration_seconds = *ended - *started;
  }
  r.cost_usd = number(at(message, "cost"));
  const json& success = at(analysis, "successEvaluation");
  if (success.is_string()) r.success_evaluation = success.get<std::string>();
  if (success.is_boolean()) r.success_evaluation = success.get<bool>() ? "true" : "false";
  const json& structured = at(analysis, "structuredData");
  // replace: a stray invalid UTF-8 byte from the model must not throw.
  if (!structured.is_null())
    r.structured_data_json = structured.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::optional<transfer_fields> extract_transfer(const json& message) {
  const json& destination = at(message, "destination");
  transfer_fields t;
  t.to = first_text({&at(destination, "number"), &at(destination, "sipUri")});
  if (t.to.empty()) return std::nullopt;
  t.reason = first_text({&at(message, "reason"), &at(destination, "description")});
  return t;
}

namespace {

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Keys whose values are identifiers, timestamps, URLs or enumerations: never free text.
bool structural_key(const std::string& key) {
  static const std::unordered_set<std::string> exact{
      "id", "type", "status", "endedReason", "role", "provider", "timestamp"};
  return exact.count(key) > 0 || ends_with(key, "Id") || ends_with(key, "At") ||
         ends_with(key, "Url") || ends_with(key, "URL");
}

// Recursion is bounded: the message was parsed with json_guard (depth ≤ 64).
json redact_value(const json& j, const std::vector<std::string>& keep, bool structural) {
  if (j.is_string()) {
    if (structural) return j;
    return domain::redact_pii(j.get_ref<const std::string&>(), keep).text;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& item : j) out.push_back(redact_value(item, keep, false));
    return out;
  }
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it)
      out[it.key()] = redact_value(it.value(), keep, structural_key(it.key()));
    return out;
  }
  return j;
}

}  // namespace

json redacted_payload(const json& message, const std::vector<std::string>& keep_numbers) {
  return redact_value(message, keep_numbers, false);
}

std::string single_line(std::string text) {
  // Most results are JSON text (nlohmann's dump escapes every control character): nothing to do.
  // One pass with a plain predicate: find_first_of calls memchr on its set for every character,
  // which cost ~2 % of a check_availability on the HTTP workers (issue 13, eighth round).
  const auto breaks = [](char c) { return c == '\r' || c == '\n' || c == '\t'; };
  if (std::none_of(text.begin(), text.end(), breaks)) return text;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF: one space
    out += c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
  }
  return out;
}

}  // namespace rm::vapi
