// Signed recording share links (issue 11 §3 "share"): the token in
// GET /share/recordings/{token} is the share's id and expiry, HMAC-SHA256-signed with a key
// derived from the master key, so the link authenticates itself (no login) and nobody can make
// one up, extend one or point one at another share.
//
//   token = <share id> "." <expires_at, decimal epoch seconds> "." <base64url(HMAC), no padding>
//   HMAC  = HMAC-SHA256(share_key, "<share id>.<expires_at>")
//   share_key = HMAC-SHA256(master key bytes, "ringmaster share links v1")  (domain separation:
//               the master key itself never signs anything, and rotating the master key voids
//               every outstanding link)
// Pure crypto (OpenSSL), no database: the route then checks that the share row exists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "persistence/secret_box.hpp"

namespace rm::persistence {

// How long a share link is valid (issue 11: 24 h).
inline constexpr std::int64_t share_link_ttl_seconds = 24 * 3600;

std::string sign_share_token(const master_key& k, const std::string& share_id,
                             std::int64_t expires_at);

enum class share_token_error { none, malformed, bad_signature, expired };
const char* to_string(share_token_error e);  // "", "malformed", "bad_signature", "expired"

struct share_token_check {
  share_token_error error = share_token_error::none;
  std::string share_id;         // when the signature verified
  std::int64_t expires_at = 0;  // when the signature verified
};
// Verifies the signature in constant time, then the expiry against `now` (expired when
// now >= expires_at). A token is at most 200 bytes; anything else is malformed.
share_token_check verify_share_token(const master_key& k, std::string_view token,
                                     std::int64_t now);

}  // namespace rm::persistence
