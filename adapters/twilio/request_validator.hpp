// X-Twilio-Signature validation for webhooks Twilio sends to us. Source:
// ../shared/contracts/twilio.md §1 (the python, node, java, go, ruby, php and C# SDK validators,
// which agree on the algorithm and share the test fixture used in tests/auth).
//
// Signed string: the full URL Twilio requested (scheme, userinfo, host case, port, path and raw
// query, percent-encoding kept as received), then for a form POST every decoded field as
// `name + value`, names in byte order; a repeated name contributes each of its values, sorted and
// de-duplicated (python/node/php behaviour). Signature: base64(HMAC-SHA1(auth token, string)),
// standard alphabet with padding (28 characters), compared in constant time.
//
// JSON bodies: Twilio appends `bodySHA256=<lowercase hex SHA-256 of the raw body>` to the query;
// the signature then covers the URL alone, and the body hash must match that value.
//
// Port quirk: Twilio's own signing is inconsistent about ports, so a signature is accepted for
// any of {URL as received, URL with its port removed, URL with the default port (:443/:80) added
// when it has none}, as every SDK does.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rm::twilio {

// Decoded form fields (application/x-www-form-urlencoded), in any order, repeats allowed.
// For a GET webhook pass none: the fields are already in the URL's query.
using params = std::vector<std::pair<std::string, std::string>>;

struct validation {
  bool valid = false;
  std::string matched_url;    // the URL variant whose signature matched; empty when invalid
  std::string signed_string;  // the string signed for the URL as given (for diagnostics)
  // Empty when valid, else "signature_mismatch" | "body_hash_mismatch" (raw body given, its
  // SHA-256 differs from bodySHA256) | "missing_body_hash" (raw body given, URL has no
  // bodySHA256) | "no_auth_token" (an empty token never validates anything).
  std::string reason;
};

// Validates a webhook request. `url` is the full public URL Twilio called (as configured on the
// number, including the query string); `form` the decoded POST fields; `signature` the
// X-Twilio-Signature header. Pass `raw_body` only for a non-form (JSON) body: the form is then
// ignored and the URL must carry a matching bodySHA256. Never throws.
validation validate_request(const std::string& auth_token, const std::string& url,
                            const params& form, const std::string& signature,
                            const std::string* raw_body = nullptr);

// base64(HMAC-SHA1(auth_token, url + sorted params)) for `url` exactly as given (no port
// variants). For tests, the CLI and diagnostics.
std::string compute_signature(const std::string& auth_token, const std::string& url,
                              const params& form);

// The string compute_signature signs: url + each "name" + "value" in the order described above.
std::string string_to_sign(const std::string& url, const params& form);

// The URL variants a signature is accepted for, de-duplicated, in the order tried: as given,
// port removed, default port added (only when the URL has no port and a scheme of http/https).
std::vector<std::string> url_variants(const std::string& url);

// Lowercase hex SHA-256 of `data`, as Twilio puts in bodySHA256.
std::string sha256_hex(const std::string& data);

}  // namespace rm::twilio
