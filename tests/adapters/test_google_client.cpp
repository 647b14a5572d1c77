// adapters/google: the client against the fake Google (tests/fakes/fake_google.hpp), which
// follows ../shared/contracts/google-samples; the signed OAuth state; the samples themselves parse.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <fstream>
#include <sstream>

#include "adapters/google/google_client.hpp"
#include "adapters/google/oauth_state.hpp"
#include "adapters/http/url_codec.hpp"
#include "tests/fakes/fake_google.hpp"

using namespace rm;
using nlohmann::json;

namespace {

domain::instant now_s() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}
domain::instant at(const char* iso) { return *domain::parse_instant(iso, "UTC"); }

google::endpoint ep_of(const fakes::fake_google& fake) {
  google::endpoint ep;
  ep.authorize_url = fake.base_url() + "/o/oauth2/v2/auth";
  ep.oauth_base = fake.base_url();
  ep.api_base = fake.base_url();
  ep.client_id = "client-1";
  ep.client_secret = "secret-1";
  ep.timeout = std::chrono::seconds(2);
  return ep;
}

// Follows the consent URL like a browser: the fake consents at once and redirects with a code.
std::string consent_code(const std::string& url) {
  auto slash = url.find('/', 8);
  httplib::Client c(url.substr(0, slash));
  auto res = c.Get(url.substr(slash).c_str());
  REQUIRE(res);
  REQUIRE(res->status == 302);
  auto loc = res->get_header_value("Location");
  auto p = loc.find("code=");
  REQUIRE(p != std::string::npos);
  return rm::http::percent_decode(loc.substr(p + 5, loc.find('&', p) - p - 5), false);
}

std::string read(const std::string& name) {
  std::ifstream in(std::string(RM_SHARED_DIR) + "/contracts/google-samples/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("google client: consent URL, code exchange, id_token email, refresh, invalid_grant",
          "[google]") {
  fakes::fake_google fake("client-1", "secret-1");
  fake.set_account("frontdesk@exampleclinic.com", "110169484474386276334");
  google::client client(ep_of(fake));
  const auto redirect = "http://127.0.0.1:1/api/integrations/google/callback";
  auto url = google::authorize_url(ep_of(fake), redirect, "st");
  CHECK(url.find("access_type=offline") != std::string::npos);
  CHECK(url.find("prompt=consent") != std::string::npos);
  CHECK(url.find("response_type=code") != std::string::npos);
  CHECK(url.find("scope=openid%20email%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.events"
                 "%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.freebusy") !=
        std::string::npos);
  auto code = consent_code(url);

  CHECK_FALSE(client.exchange_code(code, "http://elsewhere/cb").ok);  // redirect_uri must match
  code = consent_code(url);
  auto t = client.exchange_code(code, redirect);
  REQUIRE(t.ok);
  CHECK_FALSE(t.refresh_token.empty());
  CHECK(google::calendar_scopes_granted(t.scope));
  auto claims = google::decode_id_token(t.id_token);
  REQUIRE(claims);
  CHECK(claims->email == "frontdesk@exampleclinic.com");
  CHECK(google::check_id_claims(*claims, "client-1", now_s()).empty());
  CHECK_FALSE(google::check_id_claims(*claims, "other", now_s()).empty());
  CHECK_FALSE(client.exchange_code(code, redirect).ok);  // a code is good once

  auto r = client.refresh(t.refresh_token);
  REQUIRE(r.ok);
  CHECK(r.refresh_token.empty());
  CHECK(r.access_token != t.access_token);
  fake.fail_refresh_with_invalid_grant(true);
  auto dead = client.refresh(t.refresh_token);
  CHECK_FALSE(dead.ok);
  CHECK(dead.err.http_status == 400);
  CHECK(dead.err.reason == "invalid_grant");
  CHECK_FALSE(google::transient(dead.err));

  CHECK(client.revoke(t.refresh_token).ok);
  CHECK(client.revoke("never-issued").already);
}

TEST_CASE("google client: freeBusy blocks, per-calendar errors, 401, 429", "[google]") {
  fakes::fake_google fake("client-1", "secret-1");
  google::client client(ep_of(fake));
  auto url = google::authorize_url(ep_of(fake), "http://x/cb", "st");
  auto t = client.exchange_code(consent_code(url), "http://x/cb");
  REQUIRE(t.ok);
  fake.set_busy("primary", {{"2026-03-09T09:30:00-04:00", "2026-03-09T10:15:00-04:00"},
                            {"2026-03-09T17:00:00.000Z", "2026-03-09T18:00:00Z"}});
  auto b = client.free_busy(t.access_token, "primary", at("2026-03-09T04:00:00Z"),
                            at("2026-03-10T04:00:00Z"));
  REQUIRE(b.ok);
  REQUIRE(b.busy.size() == 2);
  CHECK(b.busy[0].start == at("2026-03-09T13:30:00Z"));
  CHECK(b.busy[1].end == at("2026-03-09T18:00:00Z"));

  fake.set_calendar_error("primary", "notFound");
  auto e = client.free_busy(t.access_token, "primary", at("2026-03-09T04:00:00Z"),
                            at("2026-03-10T04:00:00Z"));
  CHECK_FALSE(e.ok);  // unknown is never "free"
  CHECK(e.err.reason == "notFound");

  auto unauth = client.free_busy("ya29.wrong", "primary", at("2026-03-09T04:00:00Z"),
                                 at("2026-03-10T04:00:00Z"));
  CHECK(unauth.err.http_status == 401);
  CHECK(unauth.err.reason == "authError");

  fake.fail_next(429, 1, "/freeBusy");
  auto limited = client.free_busy(t.access_token, "primary", at("2026-03-09T04:00:00Z"),
                                  at("2026-03-10T04:00:00Z"));
  CHECK(limited.err.reason == "rateLimitExceeded");
  CHECK(google::transient(limited.err));
}

TEST_CASE("google client: insert with our id is idempotent, delete twice is done", "[google]") {
  fakes::fake_google fake("client-1", "secret-1");
  google::client client(ep_of(fake));
  auto t = client.exchange_code(
      consent_code(google::authorize_url(ep_of(fake), "http://x/cb", "st")), "http://x/cb");
  REQUIRE(t.ok);
  auto ev = google::event_body("494d613b1ca56cd7455698f3c1e433d2", "Consult", "Booked by phone",
                               at("2026-03-09T14:30:00Z"), at("2026-03-09T15:00:00Z"),
                               "America/New_York", "org", "appt");
  CHECK(ev["start"]["dateTime"] == "2026-03-09T10:30:00-04:00");  // the sample's form
  auto first = client.insert_event(t.access_token, "primary", ev);
  CHECK(first.ok);
  CHECK_FALSE(first.already);
  auto again = client.insert_event(t.access_token, "primary", ev);
  CHECK(again.ok);
  CHECK(again.already);
  CHECK(fake.confirmed_events() == 1);
  fake.fail_next(503, 1, "/events");
  auto down = client.insert_event(t.access_token, "primary", ev);
  CHECK_FALSE(down.ok);
  CHECK(google::transient(down.err));

  auto del = client.delete_event(t.access_token, "primary", "494d613b1ca56cd7455698f3c1e433d2");
  CHECK(del.ok);
  CHECK_FALSE(del.already);
  auto del2 = client.delete_event(t.access_token, "primary", "494d613b1ca56cd7455698f3c1e433d2");
  CHECK(del2.ok);
  CHECK(del2.already);  // 410 deleted
  CHECK(fake.confirmed_events() == 0);
  CHECK(fake.count("DELETE", "/events/") == 2);
}

TEST_CASE("google samples: error bodies and the id_token claims read as the client expects",
          "[google]") {
  auto dup = json::parse(read("error-409-duplicate.json"));
  CHECK(dup["error"]["errors"][0]["reason"] == "duplicate");
  auto grant = json::parse(read("token-error-invalid-grant.json"));
  CHECK(grant["error"] == "invalid_grant");
  auto claims = json::parse(read("id-token-claims.json"));
  // The sample's claims, as a token (unsigned), decode to the sample's email.
  auto b64 = [](const std::string& s) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (unsigned char c : s) {
      buf = buf << 8 | c;
      bits += 8;
      while (bits >= 6) out += t[buf >> (bits -= 6) & 63];
    }
    if (bits) out += t[buf << (6 - bits) & 63];
    return out;
  };
  auto c = google::decode_id_token("e30." + b64(claims.dump()) + ".sig");
  REQUIRE(c);
  CHECK(c->email == "frontdesk@exampleclinic.com");
  CHECK(c->sub == "110169484474386276334");
  CHECK(google::check_id_claims(*c, "1234567890-example.apps.googleusercontent.com",
                                domain::instant{std::chrono::seconds(1772722931)})
            .empty());
}

TEST_CASE("google oauth state: signed, tamper-evident, expires after 10 minutes", "[google]") {
  const std::string key = "k-0123456789abcdef0123456789abcdef";
  auto now = domain::instant{std::chrono::seconds(1'800'000'000)};
  auto s = google::make_state(key, "11111111-2222-3333-4444-555555555555", "user-1", now);
  auto ok = google::verify_state(key, s, now + std::chrono::seconds(599));
  CHECK(ok.verdict == google::state_check::ok);
  CHECK(ok.state.org_id == "11111111-2222-3333-4444-555555555555");
  CHECK(ok.state.user_id == "user-1");
  CHECK(google::verify_state(key, s, now + std::chrono::seconds(600)).verdict ==
        google::state_check::expired);
  CHECK(google::verify_state("other-key", s, now).verdict == google::state_check::bad_signature);
  auto tampered = s;
  tampered[5] = tampered[5] == '2' ? '3' : '2';  // another tenant
  CHECK(google::verify_state(key, tampered, now).verdict == google::state_check::bad_signature);
  CHECK(google::verify_state(key, "garbage", now).verdict == google::state_check::malformed);
  CHECK(google::make_state(key, "o", "u", now) != google::make_state(key, "o", "u", now));
}
