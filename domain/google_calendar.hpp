// Pure rules of the Google Calendar link (../shared/contracts/google-calendar.md): the event id
// derived from an appointment, the OAuth `state` text and its expiry, the busy intervals joined
// into the local calendar, when to refresh an access token, and the event sync's backoff.
// No I/O and no crypto here: the state's signature is adapters/google/oauth_state.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"

namespace rm::domain::google {

// Google event ids: only base32hex ("lowercase letters a-v and digits 0-9"), 5–1024 characters.
bool valid_event_id(std::string_view id);
// The event id of an appointment (a UUID): its 32 hex digits, lower case, without dashes
// (hex ⊂ base32hex, 128 bits). The same appointment always gives the same id, so a retried insert
// meets Google's 409 duplicate instead of creating a second event. nullopt if not a UUID.
std::optional<std::string> event_id_of(std::string_view appointment_id);

// The OAuth `state` parameter before its signature: "v1.<org_id>.<user_id>.<nonce>.<expires_at>"
// (expires_at in epoch seconds). org_id and user_id must not contain '.'; the nonce is
// [A-Za-z0-9_-]{16,64}. The signed form (adapters/google/oauth_state.hpp) appends ".<signature>".
struct oauth_state {
  std::string org_id;
  std::string user_id;
  std::string nonce;
  std::int64_t expires_at = 0;
};
inline constexpr std::chrono::seconds state_ttl{600};  // a consent takes at most 10 minutes
std::string state_text(const oauth_state& s);
// nullopt for anything but the exact form above.
std::optional<oauth_state> parse_state_text(std::string_view text);
bool state_expired(const oauth_state& s, instant now);  // true once now >= expires_at

// Sorted, overlapping or touching intervals coalesced; empty ones ([s, e) with e <= s) dropped.
std::vector<busy_interval> merge_busy(std::vector<busy_interval> busy);
// The local calendar's busy intervals with Google's added (the tenant actor's join).
std::vector<busy_interval> join_busy(const std::vector<busy_interval>& local,
                                     const std::vector<busy_interval>& google);
// Only the parts of `busy` that overlap [from, to).
std::vector<busy_interval> clip_busy(const std::vector<busy_interval>& busy, instant from,
                                     instant to);

// An access token is refreshed once less than this is left of its life (Google's own libraries
// refresh 5 minutes early); a token that lives shorter than twice the margin is refreshed at
// half its life.
bool token_needs_refresh(instant obtained_at, std::int64_t expires_in_s, instant now);

// The pause before an event sync's next attempt after `attempts` failures: 2^(attempts-1) s
// (1, 2, 4, … s) capped at 5 minutes. Google's advice: truncated exponential backoff.
std::chrono::seconds sync_backoff(int attempts);

}  // namespace rm::domain::google
