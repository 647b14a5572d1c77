// Issue 9 §8: send_sms texts only the caller of its call, at most RINGMASTER_SMS_PER_CALL times
// per call; anything else is a tool error, a `refused` audit row, and nothing sent to Twilio.
#include <cstdlib>
#include <thread>

#include <catch2/catch.hpp>

#include "app/config.hpp"
#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

const std::string stranger = "+12125550123";

json sms(const std::string& message, const std::string& to = "") {
  json args{{"message", message}};
  if (!to.empty()) args["to"] = to;
  return args;
}

json send(harness& h, const call_spec& call, const std::string& tool_call_id, json args) {
  auto r = only_result(h.vapi(tool_calls(call, {{tool_call_id, "send_sms", std::move(args)}})));
  INFO(r.dump());
  REQUIRE(r["toolCallId"] == tool_call_id);
  return r;
}

bool sent(const json& r) {
  return r.contains("result") &&
         json::parse(r["result"].get<std::string>(), nullptr, false).value("status", "") == "sent";
}

std::string error_of(const json& r) { return r.value("error", ""); }

long outbound(harness& h, const std::string& call_id, const std::string& status) {
  return h.count("SELECT count(*) FROM messages WHERE call_id = $1 AND direction = 'outbound'"
                 " AND status = $2",
                 {call_id, status});
}

long twilio_messages(harness& h) {
  long n = 0;
  for (const auto& r : h.twilio().requests())
    if (r.path.find("/Messages.json") != std::string::npos) ++n;
  return n;
}

json legacy_sms(const std::string& id, json arguments) {
  arguments["inboundPhoneNumber"] = clinic_number;
  return {{"toolCall", {{"id", id}, {"arguments", std::move(arguments)}}}};
}

json legacy_content(const reply& r) {
  INFO(r.text);
  REQUIRE(r.status == 200);
  return json::parse(r.body["toolResult"]["content"].get<std::string>());
}

}  // namespace

TEST_CASE("send_sms to a stranger is refused: a tool error, a refused audit row, nothing sent",
          "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"sms-stranger"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);

  auto r = send(h, call, "tc-stranger", sms("Win a prize at example.com", "(212) 555-0123"));
  CHECK_FALSE(r.contains("result"));
  CHECK(error_of(r) == "the SMS was not sent: text messages can only go to the caller's own number");
  CHECK(h.twilio().requests().empty());
  CHECK(h.twilio().messages().empty());
  CHECK(h.scalar("SELECT concat_ws('|', direction, method, status, error_code, recipient, content)"
                 " FROM messages WHERE call_id = $1",
                 {call.call_id}) ==
        "outbound|sms|refused|not_caller|" + stranger + "|Win a prize at example.com");
  CHECK(h.scalar("SELECT error_message FROM messages WHERE call_id = $1", {call.call_id}) ==
        error_of(r));

  // The refusal is the stored result of that toolCallId: a retry replays it, still sends nothing.
  auto again = send(h, call, "tc-stranger", sms("Win a prize at example.com", stranger));
  CHECK(again == r);
  CHECK(h.count("SELECT count(*) FROM messages WHERE call_id = $1", {call.call_id}) == 1);
  CHECK(h.twilio().requests().empty());

  // A refusal does not use up the call's SMS: the caller can still be texted.
  CHECK(sent(send(h, call, "tc-caller", sms("See you Tuesday"))));
  CHECK(twilio_messages(h) == 1);
}

TEST_CASE("send_sms without 'to' texts the caller, and 'to' in another format of the caller's "
          "number is the caller",
          "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"sms-to-caller"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);

  auto r = send(h, call, "tc-no-to", sms("See you Tuesday"));
  REQUIRE(sent(r));
  CHECK(json::parse(r["result"].get<std::string>())["to"] == caller_number);
  auto spelled = send(h, call, "tc-spelled", sms("Bring your card", "(415) 555-0177"));
  REQUIRE(sent(spelled));

  auto requests = h.twilio().requests();
  REQUIRE(requests.size() == 2);
  for (const auto& req : requests) {
    CHECK(req.field("To") == caller_number);
    CHECK(req.field("From") == clinic_number);
  }
  CHECK(outbound(h, call.call_id, "sent") == 2);
}

TEST_CASE("the 4th SMS of a call is refused; three were sent", "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"sms-limit"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);

  for (int i = 1; i <= 3; ++i)
    CHECK(sent(send(h, call, "tc-limit-" + std::to_string(i), sms("Note " + std::to_string(i)))));
  auto fourth = send(h, call, "tc-limit-4", sms("Note 4"));
  CHECK_FALSE(fourth.contains("result"));
  CHECK(error_of(fourth) ==
        "the SMS was not sent: at most 3 text messages can be sent during one call");
  CHECK(twilio_messages(h) == 3);
  CHECK(h.twilio().messages().size() == 3);
  CHECK(outbound(h, call.call_id, "sent") == 3);
  CHECK(outbound(h, call.call_id, "refused") == 1);
  CHECK(h.scalar("SELECT error_code FROM messages WHERE call_id = $1 AND status = 'refused'",
                 {call.call_id}) == "per_call_limit");

  // Another call of the same caller has its own three.
  call_spec next{"sms-limit-next"};
  REQUIRE(h.vapi(status_update(next, "in-progress", 1000)).status == 200);
  CHECK(sent(send(h, next, "tc-limit-1", sms("Note 1"))));
  CHECK(twilio_messages(h) == 4);
}

TEST_CASE("a retried toolCallId sends once and is counted once", "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"sms-retry-count"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);

  auto first = send(h, call, "tc-dup-1", sms("One"));
  REQUIRE(sent(first));
  for (int i = 0; i < 3; ++i) CHECK(send(h, call, "tc-dup-1", sms("One")) == first);
  // Four deliveries of tc-dup-1 used one of the three: two more distinct SMS still go out.
  CHECK(sent(send(h, call, "tc-dup-2", sms("Two"))));
  CHECK(sent(send(h, call, "tc-dup-3", sms("Three"))));
  CHECK_FALSE(sent(send(h, call, "tc-dup-4", sms("Four"))));
  CHECK(twilio_messages(h) == 3);
  CHECK(outbound(h, call.call_id, "sent") == 3);
}

TEST_CASE("concurrent send_sms calls of one call send at most the limit", "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"sms-concurrent"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);

  constexpr int n = 8;
  std::vector<json> results(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto body = tool_calls(call, {{"tc-conc-" + std::to_string(i), "send_sms",
                                     sms("Hello " + std::to_string(i))}});
      results[i] = only_result(http_post(h.port(), "/webhooks/vapi", body.dump()));
    });
  for (auto& t : threads) t.join();
  int ok = 0, refused = 0;
  for (const auto& r : results) {
    INFO(r.dump());
    if (sent(r)) ++ok;
    else if (error_of(r).find("at most 3 text messages") != std::string::npos) ++refused;
  }
  CHECK(ok == 3);
  CHECK(refused == n - 3);
  CHECK(twilio_messages(h) == 3);
  CHECK(outbound(h, call.call_id, "sent") == 3);
  CHECK(outbound(h, call.call_id, "refused") == n - 3);
}

TEST_CASE("SMS attempts already in the database count, as after a restart", "[sms-policy]") {
  harness h;
  auto org = h.create_sample_clinic();
  call_spec call{"sms-restart"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  // What an earlier process recorded for this call: one sent, one failed, one left 'sending' by
  // a crash mid-send (it may have gone out), and one refusal (which does not count).
  for (const char* status : {"sent", "failed", "sending", "refused"})
    h.scalar("INSERT INTO messages (org_id, call_id, direction, method, recipient, content, status)"
             " VALUES ($1, $2, 'outbound', 'sms', '" + std::string{caller_number} +
                 "', 'earlier', '" + status + "') RETURNING id",
             {org, call.call_id});
  auto r = send(h, call, "tc-after-restart", sms("One more"));
  CHECK(error_of(r) == "the SMS was not sent: at most 3 text messages can be sent during one call");
  CHECK(h.twilio().requests().empty());
}

TEST_CASE("RINGMASTER_SMS_PER_CALL sets the limit; 0 turns texting off", "[sms-policy]") {
  SECTION("1 per call") {
    harness_options o;
    o.sms_per_call = 1;
    harness h{o};
    h.create_sample_clinic();
    call_spec call{"sms-limit-one"};
    REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
    CHECK(sent(send(h, call, "tc-1", sms("One"))));
    CHECK(error_of(send(h, call, "tc-2", sms("Two"))) ==
          "the SMS was not sent: at most 1 text message can be sent during one call");
    CHECK(twilio_messages(h) == 1);
  }
  SECTION("0 per call") {
    harness_options o;
    o.sms_per_call = 0;
    harness h{o};
    h.create_sample_clinic();
    call_spec call{"sms-limit-zero"};
    REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
    CHECK(error_of(send(h, call, "tc-1", sms("One"))) ==
          "the SMS was not sent: text messages are turned off during calls");
    CHECK(h.twilio().requests().empty());
  }
  SECTION("the setting is validated at start-up") {
    auto load = [](const char* value, rm::app::config& cfg) {
      ::setenv("RINGMASTER_SMS_PER_CALL", value, 1);
      auto e = rm::app::load_config({}, false, cfg);
      ::unsetenv("RINGMASTER_SMS_PER_CALL");
      return e;
    };
    rm::app::config defaults;
    CHECK(defaults.sms_per_call == 3);
    for (const char* bad : {"-1", "101", "three", "3x"}) {
      INFO(bad);
      rm::app::config cfg;
      auto e = load(bad, cfg);
      REQUIRE(e);
      CHECK(e->setting == "RINGMASTER_SMS_PER_CALL");
      CHECK(e->message.find("from 0 to 100") != std::string::npos);
    }
    for (auto [text, value] : {std::pair{"0", 0}, std::pair{"100", 100}, std::pair{"7", 7}}) {
      rm::app::config cfg;
      auto e = load(text, cfg);
      CHECK((!e || e->setting != "RINGMASTER_SMS_PER_CALL"));
      CHECK(cfg.sms_per_call == value);
    }
  }
}

TEST_CASE("a call without a caller number texts nobody", "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"sms-anonymous"};
  call.caller = "";
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  auto r = send(h, call, "tc-anon", sms("Hello", stranger));
  CHECK(error_of(r).find("the caller's number is unknown") != std::string::npos);
  CHECK(h.scalar("SELECT concat_ws('|', status, error_code, recipient) FROM messages"
                 " WHERE call_id = $1",
                 {call.call_id}) == "refused|unknown_caller|" + stranger);
  CHECK(h.twilio().requests().empty());
}

TEST_CASE("the legacy SMS route texts only the caller of a known call it names", "[sms-policy]") {
  harness h;
  h.create_sample_clinic();
  auto other_org = h.create_tenant("Other Clinic", "+12125550100", "vapi-other-clinic");
  call_spec call{"sms-legacy-call"};
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  const std::string path = "/api/vapi/tools/sms/send";

  SECTION("without a call: refused and audited, nothing sent") {
    auto c = legacy_content(h.post(path, legacy_sms("lg-free", {{"to", stranger},
                                                                {"message", "spam"}})));
    CHECK(c["success"] == false);
    CHECK(c["error"].get<std::string>().find("the caller's number is unknown") !=
          std::string::npos);
    CHECK(h.scalar("SELECT concat_ws('|', status, error_code, recipient) FROM messages"
                   " WHERE call_id = 'legacy:lg-free'") == "refused|unknown_caller|" + stranger);
    CHECK(h.twilio().requests().empty());
  }
  SECTION("naming a known call: its caller only, its limit") {
    auto to_caller = legacy_content(h.post(
        path, legacy_sms("lg-1", {{"callId", call.call_id}, {"message", "See you Tuesday"}})));
    CHECK(to_caller["success"] == true);
    CHECK(to_caller["to"] == caller_number);
    auto to_stranger = legacy_content(h.post(
        path, legacy_sms("lg-2", {{"callId", call.call_id}, {"to", stranger}, {"message", "x"}})));
    CHECK(to_stranger["success"] == false);
    CHECK(to_stranger["error"] ==
          "the SMS was not sent: text messages can only go to the caller's own number");
    // The webhook's and the legacy route's SMS share the call's limit.
    CHECK(sent(send(h, call, "tc-1", sms("Two"))));
    CHECK(legacy_content(h.post(path, legacy_sms("lg-3", {{"callId", call.call_id},
                                                          {"message", "Three"}})))["success"] ==
          true);
    auto fourth = legacy_content(
        h.post(path, legacy_sms("lg-4", {{"callId", call.call_id}, {"message", "Four"}})));
    CHECK(fourth["success"] == false);
    CHECK(fourth["error"].get<std::string>().find("at most 3") != std::string::npos);
    CHECK(twilio_messages(h) == 3);
    CHECK(outbound(h, call.call_id, "sent") == 3);
    CHECK(outbound(h, call.call_id, "refused") == 2);
  }
  SECTION("naming another clinic's call: treated as no call") {
    call_spec theirs{"sms-legacy-theirs"};
    theirs.dialled = "+12125550100";
    theirs.phone_number_id = "vapi-other-clinic";
    REQUIRE(h.vapi(status_update(theirs, "in-progress", 1000)).status == 200);
    auto c = legacy_content(h.post(
        path, legacy_sms("lg-theirs", {{"callId", theirs.call_id}, {"message", "hi"}})));
    CHECK(c["success"] == false);
    CHECK(h.twilio().requests().empty());
    CHECK(h.count("SELECT count(*) FROM messages WHERE call_id = $1", {theirs.call_id}) == 0);
    CHECK_FALSE(other_org.empty());
  }
}
