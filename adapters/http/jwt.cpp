#include "adapters/http/jwt.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <memory>

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "domain/tenant_id.hpp"
#include "domain/uuid.hpp"

namespace rm::http {

namespace {

using json = nlohmann::json;

// Far above any real token; stops a hostile header from making us parse megabytes.
constexpr std::size_t max_token_size = 16 * 1024;

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

jwt_verdict fail(const char* error) {
  jwt_verdict v;
  v.error = error;
  return v;
}

// Reads a NumericDate claim (RFC 7519 §2: may be fractional) as whole seconds.
bool numeric_date(const json& claims, const char* name, std::int64_t* out) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return false;
  if (it->is_number_integer()) {
    *out = it->get<std::int64_t>();
  } else {
    const double d = it->get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9e15) return false;
    *out = static_cast<std::int64_t>(std::floor(d));
  }
  return true;
}

bool audience_matches(const json& claims, const std::string& audience) {
  const auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->is_string()) return it->get<std::string>() == audience;
  if (!it->is_array()) return false;
  for (const auto& a : *it)
    if (a.is_string() && a.get<std::string>() == audience) return true;
  return false;
}

jwt_verdict check_claims(const json& claims, const jwt_settings& s, std::int64_t now) {
  std::int64_t exp = 0;
  if (!numeric_date(claims, "exp", &exp)) return fail("malformed");  // tokens must expire
  const auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty())
    return fail("malformed");
  if (now - s.leeway_seconds >= exp) return fail("expired");
  if (claims.contains("nbf")) {
    std::int64_t nbf = 0;
    if (!numeric_date(claims, "nbf", &nbf)) return fail("malformed");
    if (now + s.leeway_seconds < nbf) return fail("not_yet_valid");
  }
  if (!s.issuer.empty()) {
    const auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != s.issuer)
      return fail("wrong_issuer");
  }
  if (!s.audience.empty() && !audience_matches(claims, s.audience)) return fail("wrong_audience");

  const auto meta = claims.find("app_metadata");
  if (meta == claims.end() || !meta->is_object()) return fail("missing_org_id");
  const auto org = meta->find("org_id");
  if (org == meta->end() || !org->is_string() || !domain::is_uuid(org->get<std::string>()))
    return fail("missing_org_id");
  std::string role = "member";
  if (const auto r = meta->find("role"); r != meta->end()) {
    if (!r->is_string()) return fail("bad_role");
    role = r->get<std::string>();
    if (role != "admin" && role != "member") return fail("bad_role");
  }
  jwt_verdict v;
  v.ok = true;
  // Lowercased: an issuer that writes the UUID in capitals names the same tenant (tenant_id.hpp).
  v.who = principal{domain::canonical_tenant_id(org->get<std::string>()), sub->get<std::string>(),
                    role};
  return v;
}

}  // namespace

jwt_verdict verify_jwt(const std::string& token, const jwt_settings& s, std::int64_t now_epoch_s) {
  if (token.empty() || token.size() > max_token_size || token.find('\0') != std::string::npos)
    return fail("malformed");

  // First pass without a key: libjwt only parses, which tells us the header's alg. libjwt
  // reports jwt_get_alg() as none for a keyless decode, hence the header lookup.
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), nullptr, 0) != 0 || raw == nullptr) return fail("malformed");
  jwt_ptr unverified(raw);
  const char* alg_name = jwt_get_header(unverified.get(), "alg");
  if (alg_name == nullptr) return fail("malformed");
  const std::string alg = alg_name;

  if (s.hs256_secret.empty() && s.rs256_public_key_pem.empty()) return fail("no_key_configured");
  const std::string* key = nullptr;
  jwt_alg_t expected = JWT_ALG_INVAL;
  if (alg == "HS256") {
    key = &s.hs256_secret;
    expected = JWT_ALG_HS256;
  } else if (alg == "RS256") {
    key = &s.rs256_public_key_pem;
    expected = JWT_ALG_RS256;
  } else {
    return fail("unsupported_algorithm");
  }
  if (key->empty()) return fail("no_key_configured");

  raw = nullptr;
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key->data());
  const int rc = jwt_decode(&raw, token.c_str(), key_bytes, static_cast<int>(key->size()));
  jwt_ptr verified(raw);
  if (rc != 0 || !verified || jwt_get_alg(verified.get()) != expected) return fail("bad_signature");

  char* grants = jwt_get_grants_json(verified.get(), nullptr);
  if (grants == nullptr) return fail("malformed");
  const json claims = json::parse(grants, nullptr, /*allow_exceptions=*/false);
  std::free(grants);
  if (!claims.is_object()) return fail("malformed");
  return check_claims(claims, s, now_epoch_s);
}

std::string check_jwt_settings(const jwt_settings& s) {
  if (s.hs256_secret.empty() && s.rs256_public_key_pem.empty())
    return "neither RINGMASTER_JWT_SECRET nor RINGMASTER_JWT_PUBLIC_KEY_FILE is set: "
           "no tenant token can be verified";
  // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
  if (!s.hs256_secret.empty() && s.hs256_secret.size() < 32)
    return "RINGMASTER_JWT_SECRET is shorter than 32 bytes (RFC 7518 §3.2)";
  if (!s.rs256_public_key_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(s.rs256_public_key_pem.data(),
                               static_cast<int>(s.rs256_public_key_pem.size()));
    EVP_PKEY* pkey = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    const bool rsa = pkey != nullptr && EVP_PKEY_base_id(pkey) == EVP_PKEY_RSA;
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    if (!rsa)
      return "RINGMASTER_JWT_PUBLIC_KEY_FILE does not hold an RSA public key in PEM "
             "(-----BEGIN PUBLIC KEY-----)";
  }
  return {};
}

}  // namespace rm::http
