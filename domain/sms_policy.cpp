#include "domain/sms_policy.hpp"

#include "domain/e164.hpp"

namespace rm::domain {

const char* sms_decision::code() const {
  switch (verdict) {
    case sms_verdict::send: return "";
    case sms_verdict::invalid_to: return "invalid_to";
    case sms_verdict::unknown_caller: return "unknown_caller";
    case sms_verdict::not_caller: return "not_caller";
    case sms_verdict::limit_reached: return "per_call_limit";
  }
  return "";
}

namespace {

std::string limit_sentence(int limit) {
  if (limit <= 0) return "the SMS was not sent: text messages are turned off during calls";
  return "the SMS was not sent: at most " + std::to_string(limit) + " text message" +
         (limit == 1 ? "" : "s") + " can be sent during one call";
}

}  // namespace

sms_decision decide_sms(const std::string& caller, const std::string& to,
                        const std::string& region, int attempted, int limit) {
  sms_decision d;
  const auto own = caller.empty() ? parsed_number{} : normalize_e164(caller, region);
  if (!to.empty()) {
    auto asked = normalize_e164(to, region);
    if (!asked.ok) {
      d.verdict = sms_verdict::invalid_to;
      d.recipient = to.substr(0, 32);
      d.reason = "argument 'to' is not a valid phone number ('" + d.recipient + "': " +
                 asked.error + ")";
      return d;
    }
    d.recipient = asked.e164;
    if (!own.ok) {
      d.verdict = sms_verdict::unknown_caller;
      d.reason = "the SMS was not sent: the caller's number is unknown, and text messages go "
                 "only to the caller";
      return d;
    }
    if (asked.e164 != own.e164) {
      d.verdict = sms_verdict::not_caller;
      d.reason = "the SMS was not sent: text messages can only go to the caller's own number";
      return d;
    }
  } else if (!own.ok) {
    d.verdict = sms_verdict::unknown_caller;
    d.reason = "the SMS was not sent: the caller's number is unknown, and text messages go only "
               "to the caller";
    return d;
  } else {
    d.recipient = own.e164;
  }
  if (attempted >= limit) {
    d.verdict = sms_verdict::limit_reached;
    d.reason = limit_sentence(limit);
    return d;
  }
  d.verdict = sms_verdict::send;
  return d;
}

std::string sms_tool_description(int limit) {
  if (limit <= 0)
    return "Texting is turned off: do not use this tool (every request is refused).";
  return "Text the caller a confirmation or details. It texts only the caller's own number (the "
         "number they are calling from; other numbers are refused), at most " +
         std::to_string(limit) + " text message" + (limit == 1 ? "" : "s") + " per call.";
}

}  // namespace rm::domain
