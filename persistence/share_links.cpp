// Share-link tokens: see share_links.hpp.
#include "persistence/share_links.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace rm::persistence {

namespace {

std::string hmac_sha256(const unsigned char* key, std::size_t key_len, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key, static_cast<int>(key_len),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string share_key(const master_key& k) {
  return hmac_sha256(k.bytes.data(), k.bytes.size(), "ringmaster share links v1");
}

std::string base64url(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += table[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += table[(acc << (6 - bits)) & 63];
  return out;
}

std::string signature(const master_key& k, const std::string& payload) {
  const auto key = share_key(k);
  return base64url(hmac_sha256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                               payload));
}

}  // namespace

const char* to_string(share_token_error e) {
  switch (e) {
    case share_token_error::none: return "";
    case share_token_error::malformed: return "malformed";
    case share_token_error::bad_signature: return "bad_signature";
    case share_token_error::expired: return "expired";
  }
  return "malformed";
}

std::string sign_share_token(const master_key& k, const std::string& share_id,
                             std::int64_t expires_at) {
  const std::string payload = share_id + "." + std::to_string(expires_at);
  return payload + "." + signature(k, payload);
}

share_token_check verify_share_token(const master_key& k, std::string_view token,
                                     std::int64_t now) {
  share_token_check out;
  out.error = share_token_error::malformed;
  if (token.empty() || token.size() > 200) return out;
  const auto last = token.rfind('.');
  if (last == std::string_view::npos || last == 0) return out;
  const auto first = token.rfind('.', last - 1);
  if (first == std::string_view::npos || first == 0 || first + 1 == last) return out;
  const std::string id{token.substr(0, first)};
  const std::string expiry{token.substr(first + 1, last - first - 1)};
  const std::string given{token.substr(last + 1)};
  if (expiry.size() > 12) return out;
  for (char c : expiry)
    if (c < '0' || c > '9') return out;
  const std::string payload = id + "." + expiry;
  const std::string expected = signature(k, payload);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    out.error = share_token_error::bad_signature;
    return out;
  }
  out.share_id = id;
  out.expires_at = std::stoll(expiry);
  out.error = now >= out.expires_at ? share_token_error::expired : share_token_error::none;
  return out;
}

}  // namespace rm::persistence
