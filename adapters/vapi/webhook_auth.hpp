// Authentication of Vapi server messages (webhooks). Source: ../shared/contracts/vapi.md §3.
//
// Three methods, each on when its setting is non-empty; a request passes when ANY configured
// method matches (a tenant may move from one to another without downtime):
//   - secret:       header `X-Vapi-Secret: <secret>` (the legacy serverUrlSecret, or a Bearer
//                   credential with headerName X-Vapi-Secret and bearerPrefixEnabled false);
//   - bearer_token: header `Authorization: Bearer <token>` (BearerAuthenticationPlan defaults);
//   - hmac_secret:  HMACAuthenticationPlan defaults: `x-signature` = lowercase hex
//                   HMAC-SHA256(hmac_secret, "<x-timestamp>.<raw body>"), optionally prefixed
//                   "sha256="; the secret is used as bytes (secretIsBase64 false).
// Secrets and signatures are compared in constant time (over SHA-256 digests, so not even the
// length of a configured secret leaks).
//
// Timestamp: Vapi documents neither the unit nor a tolerance. `x-timestamp` must be a run of
// decimal digits; values above 10^11 are taken as milliseconds, smaller ones as seconds (10^11 s
// is the year 5138, 10^11 ms is 1973, so the two ranges cannot be confused for real clocks).
// A timestamp more than max_skew_seconds before or after now is stale_timestamp. The HMAC is
// checked first, so stale_timestamp means an authentic but old (possibly replayed) message.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace rm::vapi {

struct webhook_auth_settings {
  std::string secret;        // X-Vapi-Secret value; empty = method off
  std::string bearer_token;  // Authorization: Bearer token; empty = method off
  std::string hmac_secret;   // HMAC-SHA256 key; empty = method off
  std::int64_t max_skew_seconds = 300;
  // With no method configured, accept requests anyway (not_configured). Set only by
  // RINGMASTER_VAPI_AUTH=none (development); otherwise the HTTP layer refuses not_configured.
  bool allow_unauthenticated = false;
};

// ok: a configured method matched.
// not_configured: no method configured; the HTTP layer refuses the request unless
//   allow_unauthenticated is set (RINGMASTER_VAPI_AUTH=none, development only).
// missing: methods are configured but the request carries none of their headers.
// mismatch: a credential header is present but wrong (or x-timestamp is not a number).
// stale_timestamp: a correct HMAC over a timestamp outside ±max_skew_seconds.
// When several methods fail, the most specific result wins: stale_timestamp, then mismatch,
// then missing.
enum class auth_result { ok, not_configured, missing, mismatch, stale_timestamp };

// `header(name)` returns the value of the request header `name` (case-insensitive lookup, as
// HTTP requires), or "" when absent. `raw_body` is the body exactly as received (bytes, not
// re-serialised JSON). `now_epoch_s` is the current Unix time in seconds. Never throws.
auth_result verify_webhook(const webhook_auth_settings& s,
                           const std::function<std::string(const std::string&)>& header,
                           const std::string& raw_body, std::int64_t now_epoch_s);

// "ok", "not_configured", "missing", "mismatch", "stale_timestamp".
const char* to_string(auth_result);

}  // namespace rm::vapi
