// Harness: tenant JWT verification (adapters/http/jwt.hpp, verify_jwt with HS256 settings).
// Input: a mode byte, then
//   mode 0: a token as received in the Authorization header;
//   mode 1: "header JSON\nclaims JSON": both base64url-encoded and signed with the configured
//           secret, so libjwt's parsing and every claim check are reached;
//   mode 2: "sub\norg_id\nrole\nexp offset": claims built from those strings, signed; the
//           verdict must then follow the documented claim rules exactly.
// Bits of the mode byte also turn on the issuer and audience checks.
// Invariants: nothing throws or crashes; the error is one of the documented ones; ok ⇒ the
// principal is well-formed (UUID org id, non-empty user id, role admin|member).
#include <cctype>
#include <cstdint>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "adapters/http/jwt.hpp"
#include "adapters/json/json_guard.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using nlohmann::json;
using rm::fuzz::check;

namespace {

constexpr std::int64_t now = 1767225600;  // 2026-01-01T00:00:00Z
const std::string secret = "fuzz-secret-0123456789abcdef0123456789";  // ≥ 32 bytes

std::string base64url(std::string_view in) {
  static const char* const alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

std::string sign(const std::string& header, const std::string& claims) {
  const std::string input = base64url(header) + "." + base64url(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  return input + "." + base64url({reinterpret_cast<const char*>(mac), mac_size});
}

bool documented(const std::string& e) {
  for (const char* known : {"malformed", "bad_signature", "unsupported_algorithm",
                            "no_key_configured", "expired", "not_yet_valid", "wrong_issuer",
                            "wrong_audience", "missing_org_id", "bad_role"})
    if (e == known) return true;
  return false;
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool same_ignoring_case(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

rm::http::jwt_verdict verify(const std::string& token, const rm::http::jwt_settings& s) {
  const auto v = rm::http::verify_jwt(token, s, now);
  check(v.ok == v.error.empty(), "ok and error disagree", v.error);
  if (!v.ok) {
    check(documented(v.error), "undocumented error", v.error);
  } else {
    check(is_uuid(v.who.org_id), "accepted a non-UUID org id", v.who.org_id);
    check(!v.who.user_id.empty(), "accepted an empty sub");
    check(v.who.role == "admin" || v.who.role == "member", "bad role accepted", v.who.role);
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0] % 3;
  rm::http::jwt_settings settings;
  settings.hs256_secret = secret;
  if (data[0] & 0x10) settings.issuer = "https://auth.example.test/auth/v1";
  if (data[0] & 0x20) settings.audience = "authenticated";
  const auto text = rm::fuzz::as_text(data + 1, size - 1);

  if (mode == 0) {
    verify(std::string(text), settings);
    return 0;
  }
  if (mode == 1) {
    const auto parts = rm::fuzz::split_lines(text, 2);
    const auto v = verify(sign(parts[0], parts[1]), settings);
    // A token whose header names HS256 never needs a key it does not have (the secret is
    // configured). Another alg, e.g. RS256 with no public key configured, may rightly get
    // no_key_configured.
    const auto header = rm::json_guard::parse(parts[0]);
    const bool claims_hs256 = header.ok() && header.value.is_object() &&
                              header.value.value("alg", json()) == json("HS256");
    if (claims_hs256)
      check(v.error != "no_key_configured", "HS256 secret configured but reported missing");
    return 0;
  }
  // mode 2: well-formed claims from fuzzed strings (as a JSON encoder would write them).
  const auto f = rm::fuzz::split_lines(text, 4);
  for (const auto& field : f)
    if (!rm::json_guard::valid_utf8(field) || field.find('\0') != std::string::npos) return 0;
  std::int64_t offset = 0;
  for (char c : f[3].substr(0, 6))
    offset = offset * 10 + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : 0);
  if (!f[3].empty() && f[3][0] == '-') offset = -offset;
  json claims = {{"sub", f[0]},
                 {"exp", now + offset},
                 {"iss", "https://auth.example.test/auth/v1"},
                 {"aud", "authenticated"},
                 {"role", "authenticated"},
                 {"app_metadata", {{"org_id", f[1]}}}};
  if (!f[2].empty()) claims["app_metadata"]["role"] = f[2];
  const auto v = verify(sign(R"({"alg":"HS256","typ":"JWT"})", claims.dump()), settings);
  const bool expired = now - settings.leeway_seconds >= now + offset;
  std::string expected = "";
  if (f[0].empty()) expected = "malformed";
  else if (expired) expected = "expired";
  else if (!is_uuid(f[1])) expected = "missing_org_id";
  else if (!f[2].empty() && f[2] != "admin" && f[2] != "member") expected = "bad_role";
  check(v.error == expected, "claim rules not followed", v.error + " != " + expected);
  if (v.ok) {
    check(same_ignoring_case(v.who.org_id, f[1]), "org id changed beyond case", v.who.org_id);
    check(v.who.user_id == f[0], "sub changed");
  }
  return 0;
}
