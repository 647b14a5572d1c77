// X-Twilio-Signature against the fixture the official SDKs share (../shared/contracts/twilio.md
// §1) and the rules they agree on: byte-order sort, repeated keys, JSON bodySHA256, ports.
#include <catch2/catch.hpp>

#include "adapters/twilio/request_validator.hpp"

using namespace rm::twilio;

namespace {

const std::string token = "12345";
const std::string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
const params form = {{"CallSid", "CA1234567890ABCDE"},
                     {"Caller", "+14158675309"},
                     {"Digits", "1234"},
                     {"From", "+14158675309"},
                     {"To", "+18005551212"}};
const std::string fixture_signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

const std::string body = R"({"property": "value", "boolean": true})";
const std::string body_hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
const std::string url_with_body = url + "&bodySHA256=" + body_hash;
const std::string body_signature = "a9nBmqA0ju/hNViExpshrM61xv4=";

}  // namespace

TEST_CASE("the SDKs' shared fixture signs to RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
  CHECK(compute_signature(token, url, form) == fixture_signature);
  const auto v = validate_request(token, url, form, fixture_signature);
  CHECK(v.valid);
  CHECK(v.matched_url == url);
  CHECK(v.reason.empty());
  CHECK(v.signed_string == url + "CallSidCA1234567890ABCDECaller+14158675309Digits1234"
                                 "From+14158675309To+18005551212");
}

TEST_CASE("the order in which form fields arrive does not matter") {
  const params reversed(form.rbegin(), form.rend());
  CHECK(validate_request(token, url, reversed, fixture_signature).valid);
}

TEST_CASE("a tampered field, a missing field, an extra field or a wrong token is rejected") {
  params tampered = form;
  tampered[2].second = "1235";
  const auto v = validate_request(token, url, tampered, fixture_signature);
  CHECK_FALSE(v.valid);
  CHECK(v.reason == "signature_mismatch");
  CHECK(v.matched_url.empty());
  CHECK(v.signed_string.find("Digits1235") != std::string::npos);

  const params missing(form.begin(), form.end() - 1);
  CHECK_FALSE(validate_request(token, url, missing, fixture_signature).valid);
  params extra = form;
  extra.emplace_back("AccountSid", "AC00000000000000000000000000000000");
  CHECK_FALSE(validate_request(token, url, extra, fixture_signature).valid);
  CHECK_FALSE(validate_request("12346", url, form, fixture_signature).valid);
  CHECK_FALSE(validate_request(token, url + "&baz=3", form, fixture_signature).valid);
  CHECK_FALSE(validate_request(token, url, form, "").valid);
  CHECK_FALSE(validate_request(token, url, form, "rsoydt4t1cutdk1pdd93/vvr8b8=").valid);
}

TEST_CASE("an empty auth token validates nothing, not even its own signature") {
  const auto v = validate_request("", url, form, compute_signature("", url, form));
  CHECK_FALSE(v.valid);
  CHECK(v.reason == "no_auth_token");
}

TEST_CASE("a JSON body is covered by bodySHA256 and the signature covers the URL alone") {
  CHECK(sha256_hex(body) == body_hash);
  CHECK(compute_signature(token, url_with_body, {}) == body_signature);
  const auto v = validate_request(token, url_with_body, {}, body_signature, &body);
  CHECK(v.valid);
  CHECK(v.matched_url == url_with_body);
  CHECK(v.signed_string == url_with_body);

  SECTION("form fields passed alongside a raw body are ignored") {
    CHECK(validate_request(token, url_with_body, form, body_signature, &body).valid);
  }
  SECTION("a tampered body fails on its hash even though the signature matches") {
    const std::string tampered = R"({"property": "value", "boolean": false})";
    const auto t = validate_request(token, url_with_body, {}, body_signature, &tampered);
    CHECK_FALSE(t.valid);
    CHECK(t.reason == "body_hash_mismatch");
  }
  SECTION("a raw body without bodySHA256 in the URL is rejected, as java/ruby/php/C# do") {
    const auto t = validate_request(token, url, {}, compute_signature(token, url, {}), &body);
    CHECK_FALSE(t.valid);
    CHECK(t.reason == "missing_body_hash");
  }
  SECTION("a wrong signature with the right body is a signature mismatch") {
    const auto t = validate_request(token, url_with_body, {}, fixture_signature, &body);
    CHECK_FALSE(t.valid);
    CHECK(t.reason == "signature_mismatch");
  }
}

TEST_CASE("a URL without a port also matches a signature made with the default port added") {
  const std::string with_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  const auto v = validate_request(token, url, form, compute_signature(token, with_443, form));
  CHECK(v.valid);
  CHECK(v.matched_url == with_443);
  CHECK(v.signed_string.rfind(url, 0) == 0);  // diagnostics show the URL as given

  const std::string http = "http://mycompany.com/myapp.php?foo=1&bar=2";
  const std::string with_80 = "http://mycompany.com:80/myapp.php?foo=1&bar=2";
  CHECK(validate_request(token, http, form, compute_signature(token, with_80, form)).valid);
  // Only the scheme's own default port is tried.
  CHECK_FALSE(validate_request(token, http, form, compute_signature(token, with_443, form)).valid);
}

TEST_CASE("a URL with a port also matches a signature made without it, default or custom") {
  const std::string with_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  auto v = validate_request(token, with_443, form, fixture_signature);
  CHECK(v.valid);
  CHECK(v.matched_url == url);

  const std::string with_1234 = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
  v = validate_request(token, with_1234, form, fixture_signature);
  CHECK(v.valid);
  CHECK(v.matched_url == url);
  CHECK(validate_request(token, with_1234, form, compute_signature(token, with_1234, form)).valid);
  // A URL that has a port is never given another one.
  CHECK_FALSE(
      validate_request(token, with_1234, form, compute_signature(token, with_443, form)).valid);
}

TEST_CASE("the port variants keep userinfo, IPv6 literals and the query intact") {
  CHECK(url_variants("https://user:pa:ss@Example.com:8443/x?a=b:c") ==
        std::vector<std::string>{"https://user:pa:ss@Example.com:8443/x?a=b:c",
                                 "https://user:pa:ss@Example.com/x?a=b:c"});
  CHECK(url_variants("https://user:pass@Example.com/x") ==
        std::vector<std::string>{"https://user:pass@Example.com/x",
                                 "https://user:pass@Example.com:443/x"});
  CHECK(url_variants("http://[::1]:8080/voice") ==
        std::vector<std::string>{"http://[::1]:8080/voice", "http://[::1]/voice"});
  CHECK(url_variants("http://[::1]/voice") ==
        std::vector<std::string>{"http://[::1]/voice", "http://[::1]:80/voice"});
  CHECK(url_variants("HTTPS://mycompany.com?x=1") ==
        std::vector<std::string>{"HTTPS://mycompany.com?x=1", "HTTPS://mycompany.com:443?x=1"});
  CHECK(url_variants("not a url") == std::vector<std::string>{"not a url"});
}

TEST_CASE("the host's case and the query's percent-encoding are signed as received") {
  const std::string mixed = "https://MyCompany.com/myapp.php?foo=1&bar=2";
  CHECK_FALSE(validate_request(token, mixed, form, fixture_signature).valid);
  const std::string encoded = "https://mycompany.com/myapp.php?foo=a%20b";
  const std::string decoded = "https://mycompany.com/myapp.php?foo=a b";
  CHECK_FALSE(
      validate_request(token, encoded, form, compute_signature(token, decoded, form)).valid);
}

TEST_CASE("a repeated key contributes each of its values, sorted and de-duplicated") {
  const params repeated = {{"MediaUrl", "b"}, {"To", "+1"}, {"MediaUrl", "a"}, {"MediaUrl", "b"}};
  CHECK(string_to_sign("U", repeated) == "UMediaUrlaMediaUrlbTo+1");
  const params ordered = {{"MediaUrl", "a"}, {"MediaUrl", "b"}, {"To", "+1"}};
  CHECK(validate_request(token, url, repeated, compute_signature(token, url, ordered)).valid);
  // Taking one value per key (java/go/C#) signs something else.
  const params first_only = {{"MediaUrl", "b"}, {"To", "+1"}};
  CHECK_FALSE(
      validate_request(token, url, repeated, compute_signature(token, url, first_only)).valid);
}

TEST_CASE("names sort by byte order, case-sensitive, a prefix before its extensions") {
  const params names = {{"callSid", "3"}, {"CallSid", "2"}, {"CALLSID", "1"}};
  CHECK(string_to_sign("", names) == "CALLSID1CallSid2callSid3");
  const params prefix = {{"ReasonConferenceEnded", "x"}, {"Reason", "y"}};
  CHECK(string_to_sign("", prefix) == "ReasonyReasonConferenceEndedx");
  // The opposite order (as the Go SDK's test checks) does not validate.
  const auto wrong_order = [&] {
    const std::string s = url + "ReasonConferenceEndedxReasony";
    // Sign the wrong string by abusing an empty form: the URL carries the whole string.
    return compute_signature(token, s, {});
  }();
  CHECK_FALSE(validate_request(token, url, prefix, wrong_order).valid);
  CHECK(validate_request(token, url, prefix, compute_signature(token, url, prefix)).valid);
}

TEST_CASE("a GET webhook signs the URL alone, its fields being in the query") {
  const std::string get_url = url + "&CallSid=CA1&From=%2B14158675309";
  CHECK(validate_request(token, get_url, {}, compute_signature(token, get_url, {})).valid);
  CHECK(string_to_sign(get_url, {}) == get_url);
}
