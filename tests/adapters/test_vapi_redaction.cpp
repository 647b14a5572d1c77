// Issue 11: what the Vapi route stores of a message. Free text is PII-redacted before storage
// (the report's transcript, summary, messages[], structured data), identifiers, times, URLs and
// enumerations keep their values; transfer-update gives a transfer event and its destination.
#include <fstream>

#include <catch2/catch.hpp>

#include "adapters/vapi/vapi_messages.hpp"

using namespace rm::vapi;
using nlohmann::json;
namespace domain = rm::domain;

namespace {

json sample_message(const std::string& name) {
  const std::string path = std::string(RM_SHARED_DIR) + "/contracts/vapi-samples/" + name;
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  return json::parse(in)["message"];
}

const std::vector<std::string> keep{"+14155550177", "+14155550100"};

}  // namespace

TEST_CASE("a stored end-of-call report holds no raw PII and keeps its shape") {
  auto m = sample_message("end-of-call-report.json");
  const std::string said = "My SSN is 123-45-6789, card 4111 1111 1111 1111, mail a.b@example.com,"
                           " call me on +14155550177 or my wife on 415-555-0123.";
  m["artifact"]["transcript"] = "User: " + said;
  m["analysis"]["summary"] = said;
  m["analysis"]["structuredData"]["notes"] = said;
  m["artifact"]["messages"][1]["message"] = said;

  const auto stored = redacted_payload(m, keep);
  const auto text = stored.dump();
  for (const char* raw : {"123-45-6789", "4111 1111 1111 1111", "a.b@example.com", "555-0123"})
    CHECK(text.find(raw) == std::string::npos);
  CHECK(text.find("+14155550177") != std::string::npos);  // the caller's own number is kept

  const auto r = extract_report(stored);
  CHECK(r.transcript == "User: My SSN is [SSN], card [CARD], mail [EMAIL], call me on "
                        "+14155550177 or my wife on [PHONE].");
  CHECK(r.summary.find("[SSN]") != std::string::npos);
  CHECK(r.structured_data_json.find("[CARD]") != std::string::npos);
  // Identifiers, timestamps, URLs and enumerations are untouched.
  const auto raw = extract_report(m);
  CHECK(r.recording_url == raw.recording_url);
  CHECK(r.ended_reason == raw.ended_reason);
  CHECK(r.duration_seconds == raw.duration_seconds);
  CHECK(stored["call"]["id"] == m["call"]["id"]);
  CHECK(stored["startedAt"] == m["startedAt"]);
  CHECK(stored["type"] == "end-of-call-report");
  CHECK(stored["artifact"]["messages"][1]["role"] == m["artifact"]["messages"][1]["role"]);
  CHECK(stored["artifact"]["messages"][1]["time"] == m["artifact"]["messages"][1]["time"]);
}

TEST_CASE("transfer-update is a transfer event, and its destination is a number or a SIP URI") {
  json m{{"type", "transfer-update"},
         {"timestamp", 1768230300000},
         {"call", {{"id", "c1"}}},
         {"destination", {{"type", "number"}, {"number", "+14155550111"},
                          {"description", "front desk"}}}};
  auto env = parse_envelope(json{{"message", m}}, nullptr);
  REQUIRE(env);
  auto e = lifecycle_event(*env);
  REQUIRE(e);
  CHECK(e->kind == domain::call_event_kind::transfer);
  CHECK(e->dedup_key == "transfer:1768230300000");
  CHECK(e->occurred_at_ms == 1768230300000);
  auto t = extract_transfer(m);
  REQUIRE(t);
  CHECK(t->to == "+14155550111");
  CHECK(t->reason == "front desk");

  m["reason"] = "caller asked for a person";
  m["destination"] = {{"type", "sip"}, {"sipUri", "sip:desk@clinic.example"}};
  t = extract_transfer(m);
  REQUIRE(t);
  CHECK(t->to == "sip:desk@clinic.example");
  CHECK(t->reason == "caller asked for a person");

  m["destination"] = {{"type", "assistant"}, {"assistantName", "Billing"}};
  CHECK_FALSE(extract_transfer(m));
  CHECK_FALSE(extract_transfer(json{{"type", "status-update"}, {"status", "forwarding"}}));
}
