// Verification of tenant API JWTs (JWS compact form, RFC 7519), issued by Supabase Auth or by
// any issuer that follows its claim layout. Signatures are checked by libjwt (Debian 12 libjwt
// 1.10.2-1+deb12u1, whose HMAC compare is constant-time since the CVE-2024-25189 fix).
//
// Algorithms: HS256 with `hs256_secret` (the secret's bytes as given, as Supabase uses its JWT
// secret) and RS256 with `rs256_public_key_pem` (a "-----BEGIN PUBLIC KEY-----" PEM). The key is
// chosen from the token header's `alg`, and each key is used only for its own algorithm, so a
// token cannot make us use the RSA public key as an HMAC secret (algorithm confusion). `none`
// and every other algorithm are rejected.
//
// Claims (numeric dates in Unix seconds):
//   exp   required; expired once now - leeway >= exp
//   nbf   optional; not yet valid while now + leeway < nbf
//   iss   must equal `issuer` when that is set
//   aud   a string or an array of strings; must contain `audience` when that is set
//   sub   required, non-empty string -> principal.user_id
//   app_metadata.org_id  required, a UUID string (8-4-4-4-12 hex, either case) -> principal.org_id,
//                        lowercased (domain/tenant_id.hpp)
//   app_metadata.role    "admin" | "member"; absent -> "member"
// Supabase's top-level `role` claim ("authenticated") is a Postgres role, not ours: ignored.
#pragma once

#include <cstdint>
#include <string>

namespace rm::http {

struct principal {
  std::string org_id;   // tenant (organisation) UUID, lowercase
  std::string user_id;  // the token's `sub`
  std::string role;     // "admin" | "member"
};

struct jwt_settings {
  std::string hs256_secret;          // RINGMASTER_JWT_SECRET (empty = HS256 off)
  std::string rs256_public_key_pem;  // contents of RINGMASTER_JWT_PUBLIC_KEY_FILE (empty = off)
  std::string issuer;                // RINGMASTER_JWT_ISSUER; checked only when non-empty
  std::string audience;              // RINGMASTER_JWT_AUDIENCE; checked only when non-empty
  std::int64_t leeway_seconds = 60;  // clock skew allowed on exp and nbf
};

// ok with `who` filled, or !ok with `error` one of:
//   "malformed"             not a parseable JWS, or exp/sub missing or not of the right type
//   "bad_signature"         signature does not verify with the configured key
//   "unsupported_algorithm" alg is neither HS256 nor RS256 (includes "none")
//   "no_key_configured"     alg is HS256/RS256 but its key is not configured (or none is)
//   "expired" | "not_yet_valid" | "wrong_issuer" | "wrong_audience"
//   "missing_org_id"        app_metadata.org_id absent, not a string or not a UUID
//   "bad_role"              app_metadata.role present but not "admin"/"member"
// Checks run in that order (signature before any claim). Never throws.
struct jwt_verdict {
  bool ok = false;
  principal who;
  std::string error;
};

jwt_verdict verify_jwt(const std::string& token, const jwt_settings& s, std::int64_t now_epoch_s);

// "" when the settings are usable, else a message naming the setting (e.g. an unreadable
// RS256 PEM), so that start-up can fail on a bad configuration instead of rejecting every token.
std::string check_jwt_settings(const jwt_settings& s);

}  // namespace rm::http
