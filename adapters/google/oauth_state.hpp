// The signed OAuth `state` of the Google consent (domain/google_calendar.hpp has its text form and
// expiry): "<state text>.<base64url HMAC-SHA256(key, state text)>". The key is derived from the
// deployment's master key, so a state cannot be forged without it; single use is enforced by the
// database (google_oauth_nonces), not here.
#pragma once

#include <optional>
#include <string>

#include "domain/google_calendar.hpp"

namespace rm::google {

// The signing key of states, derived from the deployment's master key bytes (32 bytes): a state
// made under another deployment's key never verifies here.
std::string state_key(const std::string& master_key_bytes);

// A fresh state for (org, user) valid for domain::google::state_ttl from `now`, with a random
// nonce, signed with `key`.
std::string make_state(const std::string& key, const std::string& org_id,
                       const std::string& user_id, domain::instant now);

enum class state_check { ok, malformed, bad_signature, expired };
struct verified_state {
  state_check verdict = state_check::malformed;
  domain::google::oauth_state state;  // when ok (and when expired: the claims that expired)
};
verified_state verify_state(const std::string& key, const std::string& signed_state,
                            domain::instant now);

}  // namespace rm::google
