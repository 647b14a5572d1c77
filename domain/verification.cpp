#include "domain/verification.hpp"

#include <algorithm>
#include <stdexcept>

namespace rm::domain {

const char* to_string(verification_state s) {
  switch (s) {
    case verification_state::pending: return "pending";
    case verification_state::verified: return "verified";
    case verification_state::failed: return "failed";
    case verification_state::expired: return "expired";
  }
  return "pending";
}

std::optional<verification_state> parse_verification_state(std::string_view s) {
  if (s == "pending") return verification_state::pending;
  if (s == "verified") return verification_state::verified;
  if (s == "failed") return verification_state::failed;
  if (s == "expired") return verification_state::expired;
  return std::nullopt;
}

int attempts_left(const verification_session& s, const verification_limits& l) {
  if (s.state != verification_state::pending) return 0;
  return std::max(0, l.max_attempts - s.wrong_attempts);
}

check_gate gate_check(const verification_session& s, instant now) {
  switch (s.state) {
    case verification_state::verified: return check_gate::already_verified;
    case verification_state::failed: return check_gate::locked;
    case verification_state::expired: return check_gate::gone;
    case verification_state::pending: break;
  }
  return now >= s.expires_at ? check_gate::expired : check_gate::ok;
}

check_outcome apply_check(const verification_session& s, bool code_matches, instant now,
                          const verification_limits& l) {
  check_outcome out{check_result::wrong_code, s};
  if (code_matches) {
    out.result = check_result::verified;
    out.next.state = verification_state::verified;
    return out;
  }
  ++out.next.wrong_attempts;
  if (out.next.wrong_attempts >= l.max_attempts) {
    out.result = check_result::failed;
    out.next.state = verification_state::failed;
    out.next.locked_until = now + l.lock;
  }
  return out;
}

verification_session on_expiry_timer(const verification_session& s, instant now) {
  auto next = s;
  if (s.state == verification_state::pending && now >= s.expires_at)
    next.state = verification_state::expired;
  return next;
}

rate_decision check_initiation_rate(const std::vector<instant>& initiations, instant now,
                                    const verification_limits& l) {
  std::vector<instant> recent;
  for (auto t : initiations)
    if (t > now - l.initiation_window && t <= now) recent.push_back(t);
  rate_decision d;
  if (static_cast<int>(recent.size()) < l.initiations_per_window) return d;
  std::sort(recent.begin(), recent.end());
  // The window frees a place when the send that keeps it full leaves it.
  auto oldest_blocking = recent[recent.size() - static_cast<std::size_t>(l.initiations_per_window)];
  d.allowed = false;
  d.retry_after = std::max(std::chrono::seconds(1),
                           std::chrono::duration_cast<std::chrono::seconds>(
                               oldest_blocking + l.initiation_window - now));
  return d;
}

initiation_decision gate_initiation(bool verified, std::optional<instant> locked_until,
                                    const std::vector<instant>& sends, instant now,
                                    const verification_limits& l) {
  initiation_decision d;
  if (verified) {
    d.gate = initiation_gate::already_verified;
    return d;
  }
  if (locked_until && *locked_until > now) {
    d.gate = initiation_gate::locked;
    d.retry_after = std::chrono::duration_cast<std::chrono::seconds>(*locked_until - now);
    return d;
  }
  auto rate = check_initiation_rate(sends, now, l);
  if (!rate.allowed) {
    d.gate = initiation_gate::rate_limited;
    d.retry_after = rate.retry_after;
  }
  return d;
}

std::optional<std::string> code_from_random(std::uint32_t random_bits) {
  constexpr std::uint32_t limit = 4294000000u;  // 4294 × 10^6 ≤ 2^32 − 1
  if (random_bits >= limit) return std::nullopt;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>(random_bits % 1000000u));
  return std::string{buf};
}

bool is_code_syntax(std::string_view code) {
  return code.size() == 6 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

namespace {

std::string spoken(std::string_view code) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i) out += ", ";
    out += code[i];
  }
  return out;
}

void replace_all(std::string& text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size()))
    text.replace(pos, what.size(), with);
}

}  // namespace

std::string mask_code(std::string text, std::string_view code) {
  if (code.empty()) return text;
  replace_all(text, spoken(code), masked_code);
  replace_all(text, std::string{code}, masked_code);
  return text;
}

std::string verification_sms_body(std::string_view code) {
  return "Your ringmaster verification code is " + std::string{code} +
         ". It expires in 10 minutes. Do not share it with anyone.";
}

std::string verification_twiml(std::string_view code) {
  if (!is_code_syntax(code)) throw std::invalid_argument("verification code must be 6 digits");
  const auto digits = spoken(code);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
         "<Say>Hello. This is ringmaster. Your verification code is " + digits + ".</Say>"
         "<Pause length=\"1\"/>"
         "<Say>Again, your verification code is " + digits + ".</Say>"
         "<Say>It expires in 10 minutes. Goodbye.</Say></Response>";
}

std::string verification_call_script_masked() {
  return std::string{"Voice call: \"Your verification code is "} + masked_code +
         ". Again, your verification code is " + masked_code + ".\"";
}

}  // namespace rm::domain
