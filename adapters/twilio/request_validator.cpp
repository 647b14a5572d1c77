#include "adapters/twilio/request_validator.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace rm::twilio {

namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                static_cast<int>(size));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

// Signatures and hashes have public, fixed lengths, so only the contents need a
// constant-time compare.
bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Splits a URL into [prefix up to and including the host][":port"][rest]. `port` excludes the
// colon; has_port is true even for an empty port ("host:/path").
struct url_parts {
  std::string scheme, head, port, tail;
  bool has_port = false;
};

bool split_url(const std::string& url, url_parts* out) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  const auto authority_begin = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string::npos) authority_end = url.size();
  const std::string authority = url.substr(authority_begin, authority_end - authority_begin);
  // Userinfo may itself contain ':' (user:password@host), so the host starts after the last '@'.
  const auto at = authority.rfind('@');
  const std::size_t host_begin = at == std::string::npos ? 0 : at + 1;
  std::size_t colon = std::string::npos;
  if (host_begin < authority.size() && authority[host_begin] == '[') {  // IPv6 literal
    const auto close = authority.find(']', host_begin);
    if (close != std::string::npos && close + 1 < authority.size() && authority[close + 1] == ':')
      colon = close + 1;
  } else {
    const auto c = authority.rfind(':');
    if (c != std::string::npos && c >= host_begin) colon = c;
  }
  out->scheme = lower(url.substr(0, scheme_end));
  out->tail = url.substr(authority_end);
  if (colon == std::string::npos) {
    out->head = url.substr(0, authority_end);
    out->has_port = false;
    out->port.clear();
  } else {
    out->head = url.substr(0, authority_begin + colon);
    out->has_port = true;
    out->port = authority.substr(colon + 1);
  }
  return true;
}

// The raw value of the first `name=` in the URL's query, if any.
bool query_value(const std::string& url, const std::string& name, std::string* value) {
  const auto q = url.find('?');
  if (q == std::string::npos) return false;
  auto end = url.find('#', q);
  if (end == std::string::npos) end = url.size();
  std::size_t pos = q + 1;
  while (pos <= end) {
    auto amp = url.find('&', pos);
    if (amp == std::string::npos || amp > end) amp = end;
    const std::string pair = url.substr(pos, amp - pos);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      *value = eq == std::string::npos ? std::string() : pair.substr(eq + 1);
      return true;
    }
    pos = amp + 1;
  }
  return false;
}

}  // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* const hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xf]);
  }
  return out;
}

std::string string_to_sign(const std::string& url, const params& form) {
  // Sorting whole (name, value) pairs orders names by bytes (std::string compares as unsigned
  // char), then each name's values; unique() then drops repeated identical pairs.
  params sorted = form;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string s = url;
  for (const auto& [name, value] : sorted) {
    s += name;
    s += value;
  }
  return s;
}

std::string compute_signature(const std::string& auth_token, const std::string& url,
                              const params& form) {
  const std::string s = string_to_sign(url, form);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(s.data()), s.size(), mac, &mac_size);
  return base64(mac, mac_size);
}

std::vector<std::string> url_variants(const std::string& url) {
  std::vector<std::string> out{url};
  url_parts p;
  if (split_url(url, &p)) {
    if (p.has_port) {
      out.push_back(p.head + p.tail);
    } else if (p.scheme == "https") {
      out.push_back(p.head + ":443" + p.tail);
    } else if (p.scheme == "http") {
      out.push_back(p.head + ":80" + p.tail);
    }
  }
  return out;
}

validation validate_request(const std::string& auth_token, const std::string& url,
                            const params& form, const std::string& signature,
                            const std::string* raw_body) {
  validation v;
  const params none;
  const params& signed_form = raw_body ? none : form;
  v.signed_string = string_to_sign(url, signed_form);
  if (auth_token.empty()) {
    v.reason = "no_auth_token";
    return v;
  }
  bool body_ok = true;
  if (raw_body) {
    std::string expected_hash;
    if (!query_value(url, "bodySHA256", &expected_hash)) {
      v.reason = "missing_body_hash";
      return v;
    }
    body_ok = equal_constant_time(sha256_hex(*raw_body), lower(expected_hash));
  }
  for (const auto& candidate : url_variants(url)) {
    if (equal_constant_time(compute_signature(auth_token, candidate, signed_form), signature)) {
      if (!body_ok) {
        v.reason = "body_hash_mismatch";
        return v;
      }
      v.valid = true;
      v.matched_url = candidate;
      return v;
    }
  }
  v.reason = body_ok ? "signature_mismatch" : "body_hash_mismatch";
  return v;
}

}  // namespace rm::twilio
