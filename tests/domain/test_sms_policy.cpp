#include <catch2/catch.hpp>

#include "domain/sms_policy.hpp"

using rm::domain::decide_sms;
using rm::domain::sms_verdict;

namespace {
const std::string caller = "+14155552671";
}

TEST_CASE("send_sms without 'to' texts the caller") {
  auto d = decide_sms(caller, "", "US", 0, 3);
  CHECK(d.verdict == sms_verdict::send);
  CHECK(d.recipient == caller);
  CHECK(d.reason.empty());
  CHECK(std::string{d.code()}.empty());
}

TEST_CASE("a 'to' written another way that is the caller's number is the caller") {
  for (const char* to : {"+14155552671", "(415) 555-2671", "415.555.2671", "tel:+1-415-555-2671"}) {
    INFO(to);
    auto d = decide_sms(caller, to, "US", 2, 3);
    CHECK(d.verdict == sms_verdict::send);
    CHECK(d.recipient == caller);
  }
}

TEST_CASE("any other recipient is refused, naming who was asked for") {
  auto d = decide_sms(caller, "(212) 555-0123", "US", 0, 3);
  CHECK(d.verdict == sms_verdict::not_caller);
  CHECK(d.recipient == "+12125550123");
  CHECK(std::string{d.code()} == "not_caller");
  CHECK(d.reason == "the SMS was not sent: text messages can only go to the caller's own number");
  // A stranger is refused as a stranger even when the limit is also reached.
  CHECK(decide_sms(caller, "+442079460958", "US", 3, 3).verdict == sms_verdict::not_caller);
}

TEST_CASE("a call without a valid caller number texts nobody") {
  for (const char* unknown : {"", "anonymous", "+1-555-0100"}) {
    INFO(unknown);
    auto missing_to = decide_sms(unknown, "", "US", 0, 3);
    CHECK(missing_to.verdict == sms_verdict::unknown_caller);
    CHECK(missing_to.recipient.empty());
    auto with_to = decide_sms(unknown, "+12125550123", "US", 0, 3);
    CHECK(with_to.verdict == sms_verdict::unknown_caller);
    CHECK(with_to.recipient == "+12125550123");
    CHECK(std::string{with_to.code()} == "unknown_caller");
  }
}

TEST_CASE("a 'to' that is no phone number is an argument error") {
  auto d = decide_sms(caller, "call me maybe", "US", 0, 3);
  CHECK(d.verdict == sms_verdict::invalid_to);
  CHECK(d.reason.rfind("argument 'to' is not a valid phone number ('call me maybe': ", 0) == 0);
  CHECK(decide_sms(caller, std::string(500, '9'), "US", 0, 3).recipient.size() == 32);
}

TEST_CASE("at most `limit` SMS per call") {
  CHECK(decide_sms(caller, "", "US", 0, 3).verdict == sms_verdict::send);
  CHECK(decide_sms(caller, "", "US", 2, 3).verdict == sms_verdict::send);
  auto fourth = decide_sms(caller, "", "US", 3, 3);
  CHECK(fourth.verdict == sms_verdict::limit_reached);
  CHECK(fourth.recipient == caller);
  CHECK(std::string{fourth.code()} == "per_call_limit");
  CHECK(fourth.reason == "the SMS was not sent: at most 3 text messages can be sent during one call");
  CHECK(decide_sms(caller, "", "US", 1, 1).reason ==
        "the SMS was not sent: at most 1 text message can be sent during one call");
  CHECK(decide_sms(caller, "", "US", 0, 0).verdict == sms_verdict::limit_reached);
  CHECK(decide_sms(caller, "", "US", 0, 0).reason ==
        "the SMS was not sent: text messages are turned off during calls");
}

TEST_CASE("the tool description tells the assistant the rule") {
  auto text = rm::domain::sms_tool_description(3);
  CHECK(text.find("only the caller") != std::string::npos);
  CHECK(text.find("at most 3 text messages per call") != std::string::npos);
  CHECK(rm::domain::sms_tool_description(0).find("turned off") != std::string::npos);
}
