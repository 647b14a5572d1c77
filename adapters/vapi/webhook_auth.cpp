#include "adapters/vapi/webhook_auth.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace rm::vapi {

namespace {

// SHA-256 fetched from OpenSSL's default provider once: the one-shot SHA256() fetches it on
// every call (EVP_Q_digest), which was ~2 % of the service's CPU on the tool-call path
// (issue 13's sixth-round profile). EVP_MD objects are shareable between threads.
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

void digest(const std::string& s, unsigned char* out) {
  if (EVP_Digest(s.data(), s.size(), out, nullptr, sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
}

// Hashing both sides first makes the compare constant-time in the length too.
bool equal_constant_time(const std::string& a, const std::string& b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  digest(a, da);
  digest(b, db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 0xf]);
  }
  return out;
}

// Seconds since the epoch from x-timestamp (seconds, or milliseconds above 10^11).
bool parse_timestamp(const std::string& text, std::int64_t* seconds) {
  if (text.empty() || text.size() > 18) return false;  // 18 digits cannot overflow int64
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *seconds = value > 100'000'000'000 ? value / 1000 : value;
  return true;
}

auth_result check_secret(const std::string& secret, const std::string& presented) {
  if (presented.empty()) return auth_result::missing;
  return equal_constant_time(secret, presented) ? auth_result::ok : auth_result::mismatch;
}

auth_result check_bearer(const std::string& token, const std::string& authorization) {
  const std::string value = trim(authorization);
  if (value.empty()) return auth_result::missing;
  // The auth scheme is case-insensitive (RFC 9110 §11.1).
  if (value.size() < 7 || lower(value.substr(0, 7)) != "bearer ") return auth_result::mismatch;
  return equal_constant_time(token, trim(value.substr(7))) ? auth_result::ok
                                                           : auth_result::mismatch;
}

auth_result check_hmac(const webhook_auth_settings& s, const std::string& signature_header,
                       const std::string& timestamp_header, const std::string& raw_body,
                       std::int64_t now) {
  std::string signature = lower(trim(signature_header));
  const std::string timestamp = trim(timestamp_header);
  if (signature.empty() && timestamp.empty()) return auth_result::missing;
  if (signature.rfind("sha256=", 0) == 0) signature.erase(0, 7);
  std::int64_t sent_at = 0;
  if (!parse_timestamp(timestamp, &sent_at)) return auth_result::mismatch;
  // The signature covers the timestamp header exactly as sent (ms or s).
  const std::string expected = hmac_sha256_hex(s.hmac_secret, timestamp + "." + raw_body);
  if (!equal_constant_time(expected, signature)) return auth_result::mismatch;
  const std::int64_t skew = now > sent_at ? now - sent_at : sent_at - now;
  return skew > s.max_skew_seconds ? auth_result::stale_timestamp : auth_result::ok;
}

int specificity(auth_result r) {
  switch (r) {
    case auth_result::ok: return 4;
    case auth_result::stale_timestamp: return 3;
    case auth_result::mismatch: return 2;
    case auth_result::missing: return 1;
    case auth_result::not_configured: return 0;
  }
  return 0;
}

}  // namespace

auth_result verify_webhook(const webhook_auth_settings& s,
                           const std::function<std::string(const std::string&)>& header,
                           const std::string& raw_body, std::int64_t now_epoch_s) {
  if (s.secret.empty() && s.bearer_token.empty() && s.hmac_secret.empty())
    return auth_result::not_configured;
  auth_result best = auth_result::not_configured;
  const auto consider = [&best](auth_result r) {
    if (specificity(r) > specificity(best)) best = r;
  };
  if (!s.secret.empty()) consider(check_secret(s.secret, header("x-vapi-secret")));
  if (!s.bearer_token.empty()) consider(check_bearer(s.bearer_token, header("authorization")));
  if (!s.hmac_secret.empty())
    consider(check_hmac(s, header("x-signature"), header("x-timestamp"), raw_body, now_epoch_s));
  return best;
}

const char* to_string(auth_result r) {
  switch (r) {
    case auth_result::ok: return "ok";
    case auth_result::not_configured: return "not_configured";
    case auth_result::missing: return "missing";
    case auth_result::mismatch: return "mismatch";
    case auth_result::stale_timestamp: return "stale_timestamp";
  }
  return "unknown";
}

}  // namespace rm::vapi
