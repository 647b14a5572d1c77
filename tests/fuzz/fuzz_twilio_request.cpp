// Harness: Twilio webhook form decoding (twilio::form_decode, which the routes use on the raw
// body) and X-Twilio-Signature validation (adapters/twilio/request_validator.hpp).
// Input: lines "url\nauth token\nX-Twilio-Signature\nform body (may hold further newlines)".
// Invariants: nothing throws or crashes; form_encode ∘ form_decode round-trips the fields;
// validate_request accepts the signature compute_signature makes (for the URL and each of its
// url_variants), refuses a non-matching one with a documented reason, never validates with an
// empty token; the JSON-body variant (raw body + bodySHA256) accepts exactly the right hash.
#include <cstdint>

#include "adapters/twilio/request_validator.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using rm::fuzz::check;
namespace tw = rm::twilio;

namespace {

bool documented(const std::string& reason) {
  return reason == "signature_mismatch" || reason == "body_hash_mismatch" ||
         reason == "missing_body_hash" || reason == "no_auth_token";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto lines = rm::fuzz::split_lines(rm::fuzz::as_text(data, size), 4);
  const std::string& url = lines[0];
  const std::string& token = lines[1];
  const std::string& signature = lines[2];
  const std::string& body = lines[3];

  const tw::params form = tw::form_decode(body);
  check(tw::form_decode(tw::form_encode(form)) == form, "form_encode/form_decode round trip");

  const auto given = tw::validate_request(token, url, form, signature);
  check(given.valid == given.reason.empty(), "valid and reason disagree");
  if (!given.valid) check(documented(given.reason), "undocumented reason", given.reason);
  check(given.signed_string == tw::string_to_sign(url, form), "signed_string differs");
  if (token.empty()) check(!given.valid && given.reason == "no_auth_token", "empty token");

  const auto variants = tw::url_variants(url);
  check(!variants.empty() && variants.front() == url, "url_variants must start with the URL");
  check(variants.size() <= 2, "more than two URL variants");
  if (!token.empty()) {
    for (const auto& variant : variants) {
      const auto good = tw::compute_signature(token, variant, form);
      check(good.size() == 28, "signature is not 28 base64 characters", good);
      const auto v = tw::validate_request(token, url, form, good);
      check(v.valid, "a correct signature was refused", variant);
      const auto bad = tw::validate_request(token, url, form, good + "=");
      check(!bad.valid && bad.reason == "signature_mismatch", "a wrong signature passed");
    }
  }

  // JSON-body variant: the signature covers the URL (with bodySHA256) and the form is ignored.
  const auto hashed_url = url + (url.find('?') == std::string::npos ? "?" : "&") +
                          "bodySHA256=" + tw::sha256_hex(body);
  const auto raw = tw::validate_request(token, url, form, signature, &body);
  if (!raw.valid) check(documented(raw.reason), "undocumented raw-body reason", raw.reason);
  if (!token.empty()) {
    const auto good = tw::compute_signature(token, hashed_url, {});
    const auto v = tw::validate_request(token, hashed_url, form, good, &body);
    // Unless the URL's own query already names bodySHA256, even without '=' (the first one
    // counts, as in the SDKs), or it has a fragment (the appended one is then not in the query).
    if (url.find("bodySHA256") == std::string::npos && url.find('#') == std::string::npos)
      check(v.valid, "a correct JSON-body signature was refused", v.reason);
    const std::string other = body + "x";
    const auto w = tw::validate_request(token, hashed_url, form, good, &other);
    check(!w.valid, "a changed JSON body passed");
  }
  return 0;
}
