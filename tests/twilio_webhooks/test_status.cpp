// POST /webhooks/twilio/status: CallStatus callbacks drive the call through the state machine.
#include <catch2/catch.hpp>

#include "tests/twilio_webhooks/fixture.hpp"

using namespace rm::twtest;

namespace {

const std::string path = "/webhooks/twilio/status";

rm::twilio::params status_fields(const std::string& call_sid, const std::string& status,
                                 int sequence, const std::string& duration = "") {
  auto p = voice_fields(call_sid, caller, number_a);
  for (auto& kv : p)
    if (kv.first == "CallStatus") kv.second = status;
  p.emplace_back("CallbackSource", "call-progress-events");
  if (sequence >= 0) p.emplace_back("SequenceNumber", std::to_string(sequence));
  p.emplace_back("Timestamp", "Sun, 25 Mar 2018 09:53:1" + std::to_string(sequence % 10) +
                                  " +0000");
  if (!duration.empty()) p.emplace_back("CallDuration", duration);
  return p;
}

reply send(fixture& f, const std::string& call_sid, const std::string& status, int sequence,
           const std::string& duration = "") {
  auto r = f.post_signed(path, status_fields(call_sid, status, sequence, duration), token_a);
  INFO(call_sid << " " << status << " → " << r.text);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/xml");
  return r;
}

std::string state_of(fixture& f, const std::string& call_id) {
  return f.scalar("SELECT state FROM calls WHERE id = $1", {call_id});
}

}  // namespace

TEST_CASE("ringing, in-progress and completed callbacks take a call from ringing to ended") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  send(f, "CA10", "ringing", 0);
  CHECK(state_of(f, "CA10") == "ringing");
  send(f, "CA10", "in-progress", 1);
  CHECK(state_of(f, "CA10") == "in-progress");
  send(f, "CA10", "completed", 2, "42");
  CHECK(state_of(f, "CA10") == "ended");
  CHECK(f.scalar("SELECT org_id FROM calls WHERE id = 'CA10'") == org);
  CHECK(f.scalar("SELECT provider_call_sid FROM calls WHERE id = 'CA10'") == "CA10");
  CHECK(f.scalar("SELECT caller || ' ' || dialled FROM calls WHERE id = 'CA10'") ==
        std::string{caller} + " " + number_a);
  CHECK(f.scalar("SELECT duration_seconds::int FROM calls WHERE id = 'CA10'") == "42");
  CHECK(f.scalar("SELECT started_at IS NOT NULL AND ended_at IS NOT NULL FROM calls"
                 " WHERE id = 'CA10'") == "t");
  CHECK(f.scalar("SELECT string_agg(dedup_key, ',' ORDER BY id) FROM call_events") ==
        "twilio:0,twilio:1,twilio:2");
  CHECK(f.scalar("SELECT payload->>'CallDuration' FROM call_events WHERE dedup_key = 'twilio:2'")
        == "42");
}

TEST_CASE("busy, no-answer, failed and canceled end the call with the mapped reason") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  const std::vector<std::pair<std::string, std::string>> cases{
      {"busy", "customer-busy"},
      {"no-answer", "customer-did-not-answer"},
      {"failed", "twilio-failed-to-connect-call"},
      {"canceled", "customer-canceled"}};
  int n = 0;
  for (const auto& [status, reason] : cases) {
    auto sid = "CA2" + std::to_string(n++);
    send(f, sid, "ringing", 0);
    send(f, sid, status, 1);
    INFO(status);
    CHECK(state_of(f, sid) == "ended");
    CHECK(f.scalar("SELECT ended_reason FROM calls WHERE id = $1", {sid}) == reason);
  }
}

TEST_CASE("a callback delivered twice with the same SequenceNumber is stored once") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  send(f, "CA30", "ringing", 0);
  send(f, "CA30", "in-progress", 1);
  send(f, "CA30", "in-progress", 1);
  CHECK(f.count("SELECT count(*) FROM call_events WHERE call_id = 'CA30'") == 2);
  CHECK(f.count("SELECT count(*) FROM calls") == 1);
  // Without a SequenceNumber the status itself is the key.
  send(f, "CA31", "ringing", -1);
  send(f, "CA31", "ringing", -1);
  CHECK(f.count("SELECT count(*) FROM call_events WHERE call_id = 'CA31'") == 1);
  CHECK(f.scalar("SELECT dedup_key FROM call_events WHERE call_id = 'CA31'") == "twilio:ringing");
}

TEST_CASE("callbacks arriving out of order converge on the state of the in-order delivery") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  send(f, "CA40", "ringing", 0);
  send(f, "CA40", "in-progress", 1);
  send(f, "CA40", "completed", 2, "30");

  send(f, "CA41", "completed", 2, "30");
  CHECK(state_of(f, "CA41") == "ended");
  send(f, "CA41", "ringing", 0);
  send(f, "CA41", "in-progress", 1);
  CHECK(state_of(f, "CA41") == "ended");  // never moves backwards
  auto row = [&](const std::string& id) {
    return f.scalar("SELECT state || '|' || coalesce(ended_reason, '') || '|' ||"
                    " (started_at IS NOT NULL) || '|' || duration_seconds FROM calls"
                    " WHERE id = $1", {id});
  };
  CHECK(row("CA41") == row("CA40"));
}

TEST_CASE("callbacks for a call Vapi already recorded go to that call, found by its CallSid") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  json vapi{{"message",
             {{"type", "status-update"},
              {"status", "in-progress"},
              {"timestamp", 1768230246480LL},
              {"call", {{"id", "vapi-call-1"}, {"type", "inboundPhoneCall"},
                        {"phoneCallProviderId", "CA50"}}},
              {"phoneNumber", {{"number", number_a}}},
              {"customer", {{"number", caller}}}}}};
  auto v = f.post("/webhooks/vapi", vapi.dump(), "application/json");
  INFO(v.text);
  REQUIRE(v.status == 200);
  send(f, "CA50", "completed", 3, "61");
  CHECK(state_of(f, "vapi-call-1") == "ended");
  CHECK(f.count("SELECT count(*) FROM calls") == 1);
  CHECK(f.count("SELECT count(*) FROM call_events WHERE call_id = 'vapi-call-1'") == 2);
}

TEST_CASE("a status callback for a number of no clinic is refused and writes nothing") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto fields = status_fields("CA60", "ringing", 0);
  for (auto& kv : fields)
    if (kv.first == "To") kv.second = "+13105550100";
  auto r = f.post_signed(path, fields, platform_token);
  INFO(r.text);
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "unknown_number");
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("a callback with a bad CallStatus, SequenceNumber, CallDuration or CallSid is refused") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  send(f, "CA70", "ringing", 0);
  const long before = f.webhook_rows();
  struct bad {
    std::string field, value;
  };
  for (const auto& b : {bad{"CallStatus", "exploded"}, bad{"SequenceNumber", "-1"},
                        bad{"CallDuration", "12s"}, bad{"CallSid", ""}}) {
    auto fields = status_fields("CA70", "completed", 5, "10");
    for (auto& kv : fields)
      if (kv.first == b.field) kv.second = b.value;
    auto r = f.post_signed(path, fields, token_a);
    INFO(b.field << "=" << b.value << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["field"] == b.field);
  }
  CHECK(f.webhook_rows() == before);
  CHECK(state_of(f, "CA70") == "ringing");
}
