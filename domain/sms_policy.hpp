// Who the agent's send_sms tool may text, and how often (issue 9 §8). Pure: the call actor reads
// how many SMS the call already attempted from the database (`messages`) and asks this rule.
//
// The rule: an SMS goes only to the caller of the call it is sent from (the call's customer
// number), at most `limit` per call. A missing `to` means the caller; a `to` that normalises to
// the caller's E.164 number is the caller. Anything else is refused, so a caller cannot talk the
// assistant into texting other people from the clinic's number.
#pragma once

#include <string>

namespace rm::domain {

enum class sms_verdict {
  send,             // text `recipient` (the caller)
  invalid_to,       // `to` is not a phone number at all: an argument error, nothing to audit
  unknown_caller,   // refused: the call has no valid caller number to text
  not_caller,       // refused: `to` is someone other than the caller
  limit_reached,    // refused: the call already attempted `limit` SMS
};

struct sms_decision {
  sms_verdict verdict = sms_verdict::send;
  // E.164 of whom the SMS is (or would have been) for: the caller when sent, the asked recipient
  // when refused; `to` as given (cut to 32 bytes) when it does not normalise; "" when unknown.
  std::string recipient;
  std::string reason;  // one sentence the assistant can say, "" when sent
  const char* code() const;  // "", "invalid_to", "unknown_caller", "not_caller", "per_call_limit"
};

// `caller`: the call's customer number (E.164 when valid, else as received, "" when unknown).
// `to`: the tool's `to` argument ("" when missing). `region`: ISO 3166-1 alpha-2 used for a `to`
// without '+' (the dialled number's region). `attempted`: SMS of this call already handed to
// Twilio (sent or failed; refusals do not count). `limit`: RINGMASTER_SMS_PER_CALL (≥ 0).
// Order: the recipient is checked first, then the limit (a stranger is refused as a stranger).
sms_decision decide_sms(const std::string& caller, const std::string& to,
                        const std::string& region, int attempted, int limit);

// The send_sms tool description the assistant reads (adapters/vapi/assistant_spec.cpp).
std::string sms_tool_description(int limit);

}  // namespace rm::domain
