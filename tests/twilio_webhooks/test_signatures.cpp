// X-Twilio-Signature on the Twilio webhooks and Vapi's HMAC on /webhooks/vapi, over HTTP: a
// refused request answers 401/403, is counted by reason, and stores nothing.
#include <ctime>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "adapters/twilio/twilio_client.hpp"
#include "tests/twilio_webhooks/fixture.hpp"

using namespace rm::twtest;
namespace tw = rm::twilio;

namespace {

const std::string sms = "/webhooks/twilio/sms";
const std::string voice = "/webhooks/twilio/voice";

tw::params sms_fields(const std::string& sid, const std::string& body,
                      const std::string& to = number_a) {
  return {{"AccountSid", account_a}, {"Body", body}, {"From", caller}, {"MessageSid", sid},
          {"SmsStatus", "received"}, {"To", to}};
}

// Posts `sent` with the signature of `signed_fields` (what Twilio signed) under `token`.
reply post_tampered(fixture& f, const std::string& path, const tw::params& signed_fields,
                    const tw::params& sent, const std::string& token) {
  return f.post(path, tw::form_encode(sent), "application/x-www-form-urlencoded",
                {{"X-Twilio-Signature",
                  tw::compute_signature(token, f.direct_url(path), signed_fields)}});
}

void check_refused(const reply& r, int status) {
  INFO(r.text);
  CHECK(r.status == status);
  CHECK(r.body["error"]["code"] == (status == 401 ? "unauthorized" : "forbidden"));
}

}  // namespace

TEST_CASE("a correctly signed Twilio webhook is processed") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto r = f.post_signed(sms, sms_fields("SM01", "hello"), token_a);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(f.count("SELECT count(*) FROM messages") == 1);
  CHECK(f.counters().unauthorized == 0);
}

TEST_CASE("a Twilio webhook without a signature is refused with 401 and stores nothing") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto r = f.post(sms, tw::form_encode(sms_fields("SM02", "STOP")),
                  "application/x-www-form-urlencoded");
  check_refused(r, 401);
  CHECK(f.auth_failures("twilio:missing") == 1);
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("a Twilio webhook whose parameters were changed after signing is refused with 403") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  const auto original = sms_fields("SM03", "hello");
  SECTION("a tampered parameter value") {
    check_refused(post_tampered(f, sms, original, sms_fields("SM03", "STOP"), token_a), 403);
  }
  SECTION("an added parameter") {
    auto added = original;
    added.emplace_back("NumMedia", "0");
    check_refused(post_tampered(f, sms, original, added, token_a), 403);
  }
  SECTION("a removed parameter") {
    auto removed = original;
    removed.erase(removed.begin());  // AccountSid
    check_refused(post_tampered(f, sms, original, removed, token_a), 403);
  }
  CHECK(f.auth_failures("twilio:mismatch") == 1);
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("a Twilio webhook signed with another token is refused with 403") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  for (const char* token : {"not-the-token", token_b, platform_token}) {
    check_refused(f.post_signed(sms, sms_fields("SM04", "STOP"), token), 403);
  }
  CHECK(f.auth_failures("twilio:mismatch") == 3);
  CHECK(f.auth_failures("twilio:missing") == 0);
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("a clinic without its own Twilio account is verified with the platform token") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {});
  check_refused(f.post_signed(sms, sms_fields("SM05", "hi"), token_a), 403);
  auto r = f.post_signed(sms, sms_fields("SM05", "hi"), platform_token);
  INFO(r.text);
  CHECK(r.status == 200);
  CHECK(f.count("SELECT count(*) FROM messages") == 1);
}

TEST_CASE("with no token to verify against, every Twilio webhook is refused") {
  fixture_options o;
  o.platform_token = "";
  fixture f{o};
  f.create_tenant("Harbor Dental", number_a, {});
  check_refused(f.post_signed(voice, voice_fields("CA06", caller, number_a), ""), 403);
  check_refused(f.post_signed(voice, voice_fields("CA07", caller, "+13105550100"), "x"), 403);
  CHECK(f.auth_failures("twilio:no_token") == 2);
  CHECK(f.webhook_rows() == 0);
}

TEST_CASE("behind a proxy the signature is verified against the configured public URL") {
  fixture_options o;
  o.public_url = "https://proxy.example.com/";
  fixture f{o};
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto fields = sms_fields("SM08", "hello");
  // Twilio signed the public URL; the request reached 127.0.0.1.
  check_refused(f.post_signed(sms, fields, token_a), 403);
  auto r = f.post_signed(sms, fields, token_a, "https://proxy.example.com" + sms);
  INFO(r.text);
  CHECK(r.status == 200);
  // The raw query string is part of what was signed; Twilio's port variants are accepted.
  auto q = f.post_signed(sms + "?clinic=harbor%20dental", sms_fields("SM09", "q"), token_a,
                         "https://proxy.example.com:443" + sms + "?clinic=harbor%20dental");
  INFO(q.text);
  CHECK(q.status == 200);
  CHECK(f.count("SELECT count(*) FROM messages") == 2);
}

TEST_CASE("a repeated form key is signed with each of its values, sorted") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  auto fields = sms_fields("SM10", "two pictures");
  fields.emplace_back("MediaUrl", "https://api.twilio.com/m/2");
  fields.emplace_back("MediaUrl", "https://api.twilio.com/m/1");
  auto r = f.post_signed(sms, fields, token_a);
  INFO(r.text);
  CHECK(r.status == 200);
}

TEST_CASE("a JSON body is verified through its bodySHA256") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  json body{{"MessageSid", "SM11"}, {"From", caller}, {"To", number_a}, {"Body", "json"}};
  auto raw = body.dump();
  auto target = sms + "?bodySHA256=" + tw::sha256_hex(raw);
  auto sig = tw::compute_signature(token_a, f.direct_url(target), {});
  auto tampered = raw;
  tampered.replace(tampered.find("json"), 4, "STOP");
  auto bad = f.post(target, tampered, "application/json", {{"X-Twilio-Signature", sig}});
  check_refused(bad, 403);
  CHECK(f.auth_failures("twilio:body_hash_mismatch") == 1);
  auto good = f.post(target, raw, "application/json", {{"X-Twilio-Signature", sig}});
  INFO(good.text);
  CHECK(good.status == 200);
  CHECK(f.scalar("SELECT content FROM messages") == "json");
}

// ---- Vapi's HMAC on /webhooks/vapi -------------------------------------------------------------

namespace {

const std::string hmac_secret = "vapi-hmac-secret";

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

std::string vapi_status(const std::string& call_id) {
  json m{{"message",
          {{"type", "status-update"},
           {"status", "ringing"},
           {"timestamp", 1768230246480LL},
           {"call", {{"id", call_id}, {"type", "inboundPhoneCall"}}},
           {"phoneNumber", {{"number", number_a}}},
           {"customer", {{"number", caller}}}}}};
  return m.dump();
}

reply post_vapi(fixture& f, const std::string& signed_body, const std::string& sent_body,
                long long timestamp) {
  auto ts = std::to_string(timestamp);
  return f.post("/webhooks/vapi", sent_body, "application/json",
                {{"x-timestamp", ts},
                 {"x-signature", hmac_hex(hmac_secret, ts + "." + signed_body)}});
}

}  // namespace

TEST_CASE("Vapi webhooks with an HMAC are verified over HTTP: fresh, stale and tampered") {
  fixture_options o;
  o.vapi_auth.hmac_secret = hmac_secret;
  fixture f{o};
  f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
  const long long now = std::time(nullptr);

  SECTION("a fresh, correct HMAC is accepted") {
    auto body = vapi_status("vapi-hmac-1");
    auto r = post_vapi(f, body, body, now);
    INFO(r.text);
    CHECK(r.status == 200);
    CHECK(f.count("SELECT count(*) FROM call_events") == 1);
  }
  SECTION("a correct HMAC over a stale timestamp (a replay) is refused") {
    auto body = vapi_status("vapi-hmac-2");
    check_refused(post_vapi(f, body, body, now - 3600), 401);
    CHECK(f.auth_failures("vapi:stale_timestamp") == 1);
    CHECK(f.webhook_rows() == 0);
  }
  SECTION("a body changed after signing is refused") {
    auto body = vapi_status("vapi-hmac-3");
    auto changed = vapi_status("vapi-hmac-4");
    check_refused(post_vapi(f, body, changed, now), 401);
    CHECK(f.auth_failures("vapi:mismatch") == 1);
    CHECK(f.webhook_rows() == 0);
  }
  SECTION("a message without credentials is refused") {
    check_refused(f.post("/webhooks/vapi", vapi_status("vapi-hmac-5"), "application/json"), 401);
    CHECK(f.auth_failures("vapi:missing") == 1);
    CHECK(f.webhook_rows() == 0);
  }
}

TEST_CASE("with no Vapi credential configured, Vapi webhooks are refused unless explicitly waived "
          "(RINGMASTER_VAPI_AUTH=none)") {
  SECTION("no credential and no waiver: refused with 401, nothing stored") {
    fixture_options o;
    o.vapi_auth.allow_unauthenticated = false;
    fixture f{o};
    f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
    check_refused(f.post("/webhooks/vapi", vapi_status("vapi-open-1"), "application/json"), 401);
    CHECK(f.auth_failures("vapi:not_configured") == 1);
    CHECK(f.count("SELECT count(*) FROM call_events") == 0);
    CHECK(f.webhook_rows() == 0);
  }
  SECTION("RINGMASTER_VAPI_AUTH=none: accepted") {
    fixture_options o;
    o.vapi_auth.allow_unauthenticated = true;
    fixture f{o};
    f.create_tenant("Harbor Dental", number_a, {account_a, token_a});
    auto r = f.post("/webhooks/vapi", vapi_status("vapi-open-2"), "application/json");
    INFO(r.text);
    CHECK(r.status == 200);
    CHECK(f.count("SELECT count(*) FROM call_events") == 1);
  }
}
