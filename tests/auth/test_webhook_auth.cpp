// Vapi server-message authentication (../shared/contracts/vapi.md §3): X-Vapi-Secret, Bearer
// and HMAC-SHA256 over "<x-timestamp>.<raw body>".
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "adapters/vapi/webhook_auth.hpp"

using namespace rm::vapi;

namespace {

constexpr std::int64_t now = 1'760'000'000;  // 2025-10-09, seconds
const std::string body = R"({"message":{"type":"status-update","status":"ringing"}})";

// Case-insensitive header lookup, as the HTTP layer provides.
struct headers {
  std::map<std::string, std::string> values;
  headers& set(std::string name, std::string value) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    values[name] = std::move(value);
    return *this;
  }
  std::function<std::string(const std::string&)> lookup() const {
    return [this](const std::string& name) {
      std::string key = name;
      std::transform(key.begin(), key.end(), key.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      const auto it = values.find(key);
      return it == values.end() ? std::string() : it->second;
    };
  }
};

// The expected signature, computed here rather than by the code under test.
std::string hmac_hex(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < size; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return std::string(hex, 2 * size);
}

auth_result check(const webhook_auth_settings& s, const headers& h,
                  const std::string& raw = body, std::int64_t at = now) {
  return verify_webhook(s, h.lookup(), raw, at);
}

webhook_auth_settings secret_only() {
  webhook_auth_settings s;
  s.secret = "vapi-shared-secret";
  return s;
}
webhook_auth_settings bearer_only() {
  webhook_auth_settings s;
  s.bearer_token = "bearer-token-123";
  return s;
}
webhook_auth_settings hmac_only() {
  webhook_auth_settings s;
  s.hmac_secret = "hmac-key";
  return s;
}

headers signed_headers(const std::string& timestamp, const std::string& raw = body,
                       const std::string& prefix = "") {
  headers h;
  h.set("X-Timestamp", timestamp).set("X-Signature", prefix + hmac_hex("hmac-key",
                                                                       timestamp + "." + raw));
  return h;
}

}  // namespace

TEST_CASE("with no method configured every request is accepted as not_configured") {
  CHECK(check({}, headers{}) == auth_result::not_configured);
  CHECK(check({}, headers{}.set("X-Vapi-Secret", "anything")) == auth_result::not_configured);
  CHECK(std::string(to_string(auth_result::not_configured)) == "not_configured");
}

TEST_CASE("X-Vapi-Secret must equal the configured secret exactly") {
  const auto s = secret_only();
  CHECK(check(s, headers{}.set("X-Vapi-Secret", "vapi-shared-secret")) == auth_result::ok);
  CHECK(check(s, headers{}.set("x-vapi-secret", "vapi-shared-secret")) == auth_result::ok);
  CHECK(check(s, headers{}.set("X-Vapi-Secret", "vapi-shared-secreT")) == auth_result::mismatch);
  CHECK(check(s, headers{}.set("X-Vapi-Secret", "vapi-shared-secret ")) == auth_result::mismatch);
  CHECK(check(s, headers{}.set("X-Vapi-Secret", "vapi-shared")) == auth_result::mismatch);
  CHECK(check(s, headers{}) == auth_result::missing);
  // A Bearer header does not satisfy a secret-only configuration.
  CHECK(check(s, headers{}.set("Authorization", "Bearer vapi-shared-secret")) ==
        auth_result::missing);
}

TEST_CASE("Authorization must be Bearer followed by the configured token") {
  const auto s = bearer_only();
  CHECK(check(s, headers{}.set("Authorization", "Bearer bearer-token-123")) == auth_result::ok);
  CHECK(check(s, headers{}.set("Authorization", "bearer bearer-token-123")) == auth_result::ok);
  CHECK(check(s, headers{}.set("Authorization", "Bearer bearer-token-124")) ==
        auth_result::mismatch);
  CHECK(check(s, headers{}.set("Authorization", "Basic bearer-token-123")) ==
        auth_result::mismatch);
  CHECK(check(s, headers{}.set("Authorization", "bearer-token-123")) == auth_result::mismatch);
  CHECK(check(s, headers{}.set("Authorization", "Bearer ")) == auth_result::mismatch);
  CHECK(check(s, headers{}) == auth_result::missing);
}

TEST_CASE("an HMAC over timestamp and raw body authenticates, with or without sha256=") {
  const auto s = hmac_only();
  const std::string ts = std::to_string(now);
  CHECK(check(s, signed_headers(ts)) == auth_result::ok);
  CHECK(check(s, signed_headers(ts, body, "sha256=")) == auth_result::ok);
  auto upper = signed_headers(ts);
  std::string sig = upper.values["x-signature"];
  std::transform(sig.begin(), sig.end(), sig.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  CHECK(check(s, upper.set("X-Signature", sig)) == auth_result::ok);
}

TEST_CASE("an HMAC fails for a tampered body, a wrong key or a swapped timestamp") {
  const auto s = hmac_only();
  const std::string ts = std::to_string(now);
  CHECK(check(s, signed_headers(ts), body + " ") == auth_result::mismatch);
  CHECK(check(s, signed_headers(ts), R"({"message":{"type":"status-update","status":"ended"}})")
        == auth_result::mismatch);
  headers wrong_key;
  wrong_key.set("X-Timestamp", ts).set("X-Signature", hmac_hex("other-key", ts + "." + body));
  CHECK(check(s, wrong_key) == auth_result::mismatch);
  auto swapped = signed_headers(ts);
  swapped.set("X-Timestamp", std::to_string(now + 1));
  CHECK(check(s, swapped) == auth_result::mismatch);
  // The signature without the timestamp (body only) is not the documented payload.
  headers body_only;
  body_only.set("X-Timestamp", ts).set("X-Signature", hmac_hex("hmac-key", body));
  CHECK(check(s, body_only) == auth_result::mismatch);
  CHECK(check(s, headers{}.set("X-Timestamp", ts)) == auth_result::mismatch);
  CHECK(check(s, headers{}) == auth_result::missing);
}

TEST_CASE("an HMAC whose timestamp is not a number is a mismatch") {
  const auto s = hmac_only();
  CHECK(check(s, signed_headers("2025-10-09T08:53:20Z")) == auth_result::mismatch);
  CHECK(check(s, signed_headers("-1760000000")) == auth_result::mismatch);
  CHECK(check(s, signed_headers("99999999999999999999999")) == auth_result::mismatch);
}

TEST_CASE("a correct HMAC older or further ahead than max_skew_seconds is stale") {
  const auto s = hmac_only();
  CHECK(check(s, signed_headers(std::to_string(now - 300))) == auth_result::ok);
  CHECK(check(s, signed_headers(std::to_string(now + 300))) == auth_result::ok);
  CHECK(check(s, signed_headers(std::to_string(now - 301))) == auth_result::stale_timestamp);
  CHECK(check(s, signed_headers(std::to_string(now + 301))) == auth_result::stale_timestamp);
  CHECK(check(s, signed_headers("0")) == auth_result::stale_timestamp);
  auto tight = s;
  tight.max_skew_seconds = 10;
  CHECK(check(tight, signed_headers(std::to_string(now - 11))) == auth_result::stale_timestamp);
}

TEST_CASE("a timestamp in milliseconds is recognised and held to the same window") {
  const auto s = hmac_only();
  CHECK(check(s, signed_headers(std::to_string(now * 1000 + 999))) == auth_result::ok);
  CHECK(check(s, signed_headers(std::to_string((now - 200) * 1000))) == auth_result::ok);
  CHECK(check(s, signed_headers(std::to_string((now - 301) * 1000))) ==
        auth_result::stale_timestamp);
  CHECK(check(s, signed_headers(std::to_string((now + 301) * 1000))) ==
        auth_result::stale_timestamp);
}

TEST_CASE("with several methods configured any one that matches passes") {
  webhook_auth_settings s;
  s.secret = "vapi-shared-secret";
  s.bearer_token = "bearer-token-123";
  s.hmac_secret = "hmac-key";
  CHECK(check(s, headers{}.set("X-Vapi-Secret", "vapi-shared-secret")) == auth_result::ok);
  CHECK(check(s, headers{}.set("Authorization", "Bearer bearer-token-123")) == auth_result::ok);
  CHECK(check(s, signed_headers(std::to_string(now))) == auth_result::ok);
  // One right credential is enough even next to a wrong one.
  CHECK(check(s, headers{}
                     .set("X-Vapi-Secret", "wrong")
                     .set("Authorization", "Bearer bearer-token-123")) == auth_result::ok);
  CHECK(check(s, headers{}) == auth_result::missing);
  CHECK(check(s, headers{}.set("Authorization", "Bearer nope")) == auth_result::mismatch);
  // The most specific failure is reported.
  auto stale = signed_headers(std::to_string(now - 3600));
  stale.set("X-Vapi-Secret", "wrong");
  CHECK(check(s, stale) == auth_result::stale_timestamp);
}

TEST_CASE("every result has a name") {
  CHECK(std::string(to_string(auth_result::ok)) == "ok");
  CHECK(std::string(to_string(auth_result::missing)) == "missing");
  CHECK(std::string(to_string(auth_result::mismatch)) == "mismatch");
  CHECK(std::string(to_string(auth_result::stale_timestamp)) == "stale_timestamp");
}
