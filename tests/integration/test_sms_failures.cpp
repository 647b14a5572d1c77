// 7. SMS failures: Twilio's magic To numbers and a clinic without Twilio credentials.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

TEST_CASE("an SMS Twilio refuses gives an error sentence and a failed audit row", "[sms]") {
  harness h;
  h.create_sample_clinic();
  struct magic {
    const char* to;
    const char* code;
    const char* words;  // part of the sentence the agent reads
  };
  const magic cases[] = {
      {"+15005550001", "21211", "not a valid phone number"},
      {"+15005550004", "21610", "opted out"},
      {"+15005550009", "21614", "cannot receive SMS"},
  };
  int n = 0;
  for (const auto& m : cases) {
    // send_sms texts only the caller, so the magic number is the caller.
    call_spec call{"sms-magic-" + std::to_string(++n)};
    call.caller = m.to;
    REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
    auto r = only_result(h.vapi(tool_calls(
        call, {{"tc-magic", "send_sms", json{{"message", "Your appointment"}}}})));
    INFO(m.to << ": " << r.dump());
    CHECK_FALSE(r.contains("result"));
    REQUIRE(r["error"].is_string());
    auto text = r["error"].get<std::string>();
    CHECK(text.rfind("the SMS was not sent: ", 0) == 0);
    CHECK(text.find(m.words) != std::string::npos);
    CHECK(h.count("SELECT count(*) FROM messages WHERE call_id = $1", {call.call_id}) == 1);
    CHECK(h.scalar("SELECT status FROM messages WHERE call_id = $1", {call.call_id}) == "failed");
    CHECK(h.scalar("SELECT error_code FROM messages WHERE call_id = $1", {call.call_id}) == m.code);
    CHECK(h.scalar("SELECT recipient FROM messages WHERE call_id = $1", {call.call_id}) == m.to);
    CHECK(h.scalar("SELECT coalesce(external_message_id, '') FROM messages WHERE call_id = $1",
                   {call.call_id}) == "");
  }
  CHECK(h.twilio().requests().size() == 3);
  CHECK(h.twilio().messages().empty());
}

TEST_CASE("a clinic without Twilio credentials gets an SMS error and a failed audit row", "[sms]") {
  harness h;
  h.create_tenant("No Twilio Clinic", "+12125550123", "vapi-no-twilio", /*with_twilio=*/false);
  call_spec call{"sms-no-credentials"};
  call.dialled = "+12125550123";
  call.phone_number_id = "vapi-no-twilio";
  REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
  auto r = only_result(
      h.vapi(tool_calls(call, {{"tc-no-creds", "send_sms", json{{"message", "Hello"}}}})));
  INFO(r.dump());
  REQUIRE(r["error"].is_string());
  CHECK(r["error"].get<std::string>().find("no Twilio account") != std::string::npos);
  CHECK(h.scalar("SELECT status FROM messages WHERE call_id = $1", {call.call_id}) == "failed");
  CHECK(h.scalar("SELECT error_code FROM messages WHERE call_id = $1", {call.call_id}) ==
        "no_credentials");
  CHECK(h.scalar("SELECT recipient FROM messages WHERE call_id = $1", {call.call_id}) ==
        caller_number);
  CHECK(h.twilio().requests().empty());
}
