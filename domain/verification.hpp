// Caller-ID verification rules (hybrid telephony, seed 001 §17): the session state machine, the
// limits, the rate-limit rule and the texts that carry the one-time code. Pure: no I/O, no CAF,
// no clock of its own (every function takes `now`). docs/hybrid-telephony.md explains the limits.
//
//   pending ──right code──▶ verified
//      │ ──3rd wrong code─▶ failed   (the number is locked for `lock` from that moment)
//      └ ──now ≥ expiry───▶ expired
//   A new initiation for the same number starts a fresh pending session (new code, attempts 0)
//   and supersedes the old code. verified, failed and expired are terminal for a session.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"  // domain::instant (UTC, seconds)

namespace rm::domain {

enum class verification_state { pending, verified, failed, expired };
const char* to_string(verification_state s);  // "pending" "verified" "failed" "expired"
std::optional<verification_state> parse_verification_state(std::string_view s);

struct verification_limits {
  std::chrono::seconds code_ttl{600};           // a code is good for 10 minutes
  int max_attempts = 3;                          // the 3rd wrong code fails the session
  std::chrono::seconds lock{3600};               // then the number is locked for an hour
  int initiations_per_window = 3;                // at most 3 codes sent per number …
  std::chrono::seconds initiation_window{3600};  // … per sliding hour
  std::chrono::seconds retention{24 * 3600};     // failed/expired rows are deleted after a day
};

// What a session knows about itself (no code, no hash).
struct verification_session {
  verification_state state = verification_state::pending;
  int wrong_attempts = 0;      // wrong codes entered so far
  instant expires_at{};        // when the code stops being accepted
  std::optional<instant> locked_until;  // set when the session failed
};

int attempts_left(const verification_session& s, const verification_limits& l = {});

// Before the (slow) hash comparison: may a code be checked at all?
enum class check_gate {
  ok,                // pending and not expired: compare the code
  expired,           // pending but now ≥ expires_at: the caller must store `expired` (HTTP 410)
  already_verified,  // HTTP 409
  locked,            // failed: every further guess is refused, right or wrong (HTTP 423)
  gone,              // already expired (HTTP 410)
};
check_gate gate_check(const verification_session& s, instant now);

// After the comparison. The returned session is the next state to store.
enum class check_result { verified, wrong_code, failed };
struct check_outcome {
  check_result result;
  verification_session next;
};
// Requires gate_check(s, now) == ok.
check_outcome apply_check(const verification_session& s, bool code_matches, instant now,
                          const verification_limits& l = {});

// Timer rule: a pending session whose expiry has come becomes expired; others are unchanged.
verification_session on_expiry_timer(const verification_session& s, instant now);

// Rate limit over the times codes were sent for one number (any order, any age).
struct rate_decision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: until the oldest send leaves the window
};
rate_decision check_initiation_rate(const std::vector<instant>& initiations, instant now,
                                    const verification_limits& l = {});

// Whether a new code may be sent for a number at all. Decided BEFORE a code is generated or
// hashed (argon2id costs 64 MiB and ~0.1 s of a core), and decided again under the number's lock
// when the session is stored, since two requests may race between the two.
enum class initiation_gate {
  ok,
  already_verified,  // HTTP 409
  locked,            // a failed session's lock still runs (HTTP 423)
  rate_limited,      // initiations_per_window codes already sent in the window (HTTP 429)
};
struct initiation_decision {
  initiation_gate gate = initiation_gate::ok;
  std::chrono::seconds retry_after{0};  // locked / rate_limited: the wait (≥ 1 s)
};
// `verified`: the tenant's row for the number is verified; `locked_until`: that row's lock;
// `sends`: when codes were sent for the number (all tenants, any age).
initiation_decision gate_initiation(bool verified, std::optional<instant> locked_until,
                                    const std::vector<instant>& sends, instant now,
                                    const verification_limits& l = {});

// ---- the code --------------------------------------------------------------------------------------

// Turns 32 random bits into a 6-digit code without modulo bias: values ≥ 4 294 000 000 (the
// largest multiple of 10^6 that fits) are rejected (nullopt: draw again; probability ~0.02 %).
std::optional<std::string> code_from_random(std::uint32_t random_bits);
// Exactly 6 ASCII digits.
bool is_code_syntax(std::string_view code);

// What stands for the code in anything stored or logged.
inline constexpr const char* masked_code = "••••••";
// Replaces every occurrence of `code` (and of its spoken form "1, 2, 3, 4, 5, 6") with the mask.
std::string mask_code(std::string text, std::string_view code);

// The SMS body: "Your ringmaster verification code is 123456. It expires in 10 minutes. …".
std::string verification_sms_body(std::string_view code);
// TwiML for the voice channel: the code spoken digit by digit, twice, so that a landline owner can
// write it down. XML-safe: `code` must pass is_code_syntax (throws std::invalid_argument else).
std::string verification_twiml(std::string_view code);
// The plain-text script of the call with the code masked, for the audit row.
std::string verification_call_script_masked();

}  // namespace rm::domain
