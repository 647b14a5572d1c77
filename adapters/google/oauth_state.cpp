#include "adapters/google/oauth_state.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace rm::google {
namespace {

std::string b64url(const unsigned char* p, std::size_t n) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    buf = buf << 8 | p[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += t[buf >> bits & 63];
    }
  }
  if (bits > 0) out += t[buf << (6 - bits) & 63];
  return out;
}

std::string sign(const std::string& key, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return b64url(mac, len);
}

}  // namespace

std::string state_key(const std::string& master_key_bytes) {
  return "ringmaster google oauth state|" + master_key_bytes;
}

std::string make_state(const std::string& key, const std::string& org_id,
                       const std::string& user_id, domain::instant now) {
  unsigned char raw[18];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  domain::google::oauth_state s{org_id, user_id, b64url(raw, sizeof raw),
                                (now + domain::google::state_ttl).time_since_epoch().count()};
  auto text = domain::google::state_text(s);
  return text + "." + sign(key, text);
}

verified_state verify_state(const std::string& key, const std::string& signed_state,
                            domain::instant now) {
  verified_state v;
  auto dot = signed_state.rfind('.');
  if (dot == std::string::npos || signed_state.size() > 512) return v;
  const auto text = signed_state.substr(0, dot);
  const auto mac = signed_state.substr(dot + 1);
  auto parsed = domain::google::parse_state_text(text);
  if (!parsed) return v;
  const auto want = sign(key, text);
  if (mac.size() != want.size() || CRYPTO_memcmp(mac.data(), want.data(), want.size()) != 0) {
    v.verdict = state_check::bad_signature;
    return v;
  }
  v.state = *parsed;
  v.verdict = domain::google::state_expired(*parsed, now) ? state_check::expired : state_check::ok;
  return v;
}

}  // namespace rm::google
