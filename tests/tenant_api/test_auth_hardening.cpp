// Issue 9 §3 and §9 over HTTP.
// §3 Throttle failures, never successes: after 25 failed authentications from one address a valid
// JWT, operator token or Vapi webhook is still answered (before: 429); failures keep getting 429
// with Retry-After; failures are counted per credential kind and client address, and Vapi
// webhooks per clinic; RINGMASTER_TRUSTED_PROXIES makes X-Forwarded-For the client behind a
// trusted proxy and only then.
// §9 Canonical ids: a JWT whose app_metadata.org_id is uppercase reaches the same tenant and its
// sealed credentials; a legacy tool call's tenantId in capitals names the same clinic.
#include <catch2/catch.hpp>
#include <ctime>
#include <httplib.h>

#include "adapters/http/server.hpp"
#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";
const std::string deployment_secret = "deployment-vapi-secret-0123456789";

// Options for a server over the fixture's service (its own throttle): the deployment requires
// X-Vapi-Secret.
rm::http::server_options strict_options(const std::string& proxies = "") {
  rm::http::server_options o = bare_server_options();
  o.vapi_auth.secret = deployment_secret;
  REQUIRE_FALSE(rm::http::trusted_proxies::parse(proxies, o.trusted_proxies));
  return o;
}

struct answer {
  int status = 0;
  std::string retry_after;
  std::string text;
};

answer send(int port, const std::string& method, const std::string& path,
            const httplib::Headers& headers, const std::string& body = "") {
  httplib::Client cli{"127.0.0.1", port};
  cli.set_read_timeout(30);
  auto r = method == "GET" ? cli.Get(path.c_str(), headers)
                           : cli.Post(path.c_str(), headers, body, "application/json");
  answer a;
  if (!r) return a;
  a.status = r->status;
  a.retry_after = r->get_header_value("Retry-After");
  a.text = r->body;
  return a;
}

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("after 25 failed JWTs from one address a valid JWT is still answered, failures get 429") {
  fixture f;
  const auto org = f.create_tenant("Harbor Dental", number_a);
  server_run s{f.service(), strict_options()};
  const auto expired = mint(org, "admin", "u", -3600);
  for (int i = 0; i < 25; ++i) {
    auto r = send(s.port(), "GET", "/api/calls", bearer(expired));
    INFO("failure " << i + 1 << " → " << r.status);
    // The first 21 are plain refusals; once more than 20 failed within the minute, 429.
    CHECK(r.status == (i < 21 ? 401 : 429));
    if (i >= 21) CHECK(std::stoi(r.retry_after) >= 1);
  }
  // A valid credential is never answered 429.
  for (int i = 0; i < 3; ++i)
    CHECK(send(s.port(), "GET", "/api/calls", bearer(mint(org))).status == 200);
  // And the failures go on being refused with 429 + Retry-After.
  auto again = send(s.port(), "GET", "/api/calls", bearer(expired));
  CHECK(again.status == 429);
  CHECK(!again.retry_after.empty());
  CHECK(again.text.find("too_many_failed_authentications") != std::string::npos);
  // Another kind of credential from the same address has its own count: a wrong operator token
  // is a plain 401, the right one works.
  CHECK(send(s.port(), "GET", "/sessions/tenants", bearer("wrong-operator-token-0123")).status ==
        401);
  CHECK(send(s.port(), "GET", "/sessions/tenants", bearer(operator_token)).status == 200);
  // Operator failures: the right token still passes after 25 wrong ones.
  for (int i = 0; i < 25; ++i)
    send(s.port(), "GET", "/sessions/tenants", bearer("wrong-operator-token-0123"));
  CHECK(send(s.port(), "GET", "/sessions/tenants", bearer("wrong-operator-token-0123")).status ==
        429);
  CHECK(send(s.port(), "GET", "/sessions/tenants", bearer(operator_token)).status == 200);
}

TEST_CASE("Vapi webhook failures are counted per clinic, and a valid webhook always passes") {
  fixture f;
  f.create_tenant("Harbor Dental", number_a);
  f.create_tenant("Uptown Smiles", number_b);
  server_run s{f.service(), strict_options()};
  const httplib::Headers wrong{{"X-Vapi-Secret", "not-the-deployment-secret-0123"}};
  const httplib::Headers right{{"X-Vapi-Secret", deployment_secret}};
  auto webhook = [&](const std::string& id, const std::string& number,
                     const httplib::Headers& h) {
    return send(s.port(), "POST", "/webhooks/vapi", h, status_update(id, number).dump());
  };
  for (int i = 0; i < 25; ++i) webhook("a-bad-" + std::to_string(i), number_a, wrong);
  auto blocked = webhook("a-bad-last", number_a, wrong);
  CHECK(blocked.status == 429);
  CHECK(!blocked.retry_after.empty());
  // The clinic's real webhooks, from the same address, are answered.
  CHECK(webhook("a-good", number_a, right).status == 200);
  CHECK(f.scalar("SELECT count(*) FROM calls WHERE id = 'a-good'") == "1");
  CHECK(f.scalar("SELECT count(*) FROM calls WHERE id LIKE 'a-bad-%'") == "0");
  // Another clinic's failures are counted apart: a plain 401 (Vapi calls from shared addresses).
  CHECK(webhook("b-bad", number_b, wrong).status == 401);
  CHECK(webhook("b-good", number_b, right).status == 200);
  // A valid legacy tool call for the blocked clinic passes too.
  json legacy{{"toolCall",
               {{"id", "legacy-a"},
                {"arguments", {{"inboundPhoneNumber", number_a}, {"date", future_weekday()}}}}}};
  CHECK(send(s.port(), "POST", "/api/vapi/tools/calendar/check", right, legacy.dump()).status ==
        200);
}

TEST_CASE("behind a trusted proxy the client is the X-Forwarded-For address, otherwise the peer") {
  fixture f;
  const auto org = f.create_tenant("Harbor Dental", number_a);
  const auto expired = mint(org, "admin", "u", -3600);
  auto from = [&](const std::string& client) {
    auto h = bearer(expired);
    h.emplace("X-Forwarded-For", "6.6.6.6, " + client);  // the left part is the client's own
    return h;
  };

  SECTION("the loopback peer is a trusted proxy: each forwarded client has its own count") {
    server_run s{f.service(), strict_options("10.0.0.0/8, 127.0.0.1/32, ::1")};
    for (int i = 0; i < 21; ++i)
      REQUIRE(send(s.port(), "GET", "/api/calls", from("203.0.113.7")).status == 401);
    CHECK(send(s.port(), "GET", "/api/calls", from("203.0.113.7")).status == 429);
    // Another client behind the same proxy is not throttled.
    CHECK(send(s.port(), "GET", "/api/calls", from("198.51.100.9")).status == 401);
    // The proxy's own hops (trusted) are skipped: this is still 203.0.113.7.
    CHECK(send(s.port(), "GET", "/api/calls", from("203.0.113.7, 10.1.1.1")).status == 429);
    // Valid tokens of the throttled client pass.
    auto ok = bearer(mint(org));
    ok.emplace("X-Forwarded-For", "203.0.113.7");
    CHECK(send(s.port(), "GET", "/api/calls", ok).status == 200);
  }

  SECTION("no trusted proxy: X-Forwarded-For is ignored, the peer is the client") {
    server_run s{f.service(), strict_options()};
    for (int i = 0; i < 21; ++i)
      REQUIRE(send(s.port(), "GET", "/api/calls", from("203.0.113." + std::to_string(i))).status ==
              401);
    CHECK(send(s.port(), "GET", "/api/calls", from("198.51.100.200")).status == 429);
  }

  SECTION("a peer outside the trusted ranges cannot choose its address") {
    server_run s{f.service(), strict_options("10.0.0.0/8")};
    for (int i = 0; i < 21; ++i)
      REQUIRE(send(s.port(), "GET", "/api/calls", from("203.0.113." + std::to_string(i))).status ==
              401);
    CHECK(send(s.port(), "GET", "/api/calls", from("198.51.100.200")).status == 429);
  }
}

TEST_CASE("an uppercase org_id in the JWT reaches the same tenant and its sealed credentials") {
  fixture f;
  const auto org = f.create_tenant("Harbor Dental", number_a);
  REQUIRE(upper(org) != org);  // ids are stored lowercase, and this one has letters
  server_run s{f.service(), strict_options()};
  const auto shouting = mint(upper(org), "admin", "a-admin");
  const std::string own = "clinic-a-own-bearer-token-0123";

  auto settings = send(s.port(), "GET", "/api/org/settings", bearer(shouting));
  INFO(settings.text);
  CHECK(settings.status == 200);

  // Sealed under the uppercase token, opened by the webhook path (which knows the tenant from
  // the dialled number, lowercase) and by a lowercase token.
  auto put = request(s.port(), "PUT", "/api/org/vapi-webhook-auth", shouting,
                     json{{"mode", "bearer"}, {"secret", own}}.dump());
  INFO(put.text);
  REQUIRE(put.status == 200);
  auto got = request(s.port(), "GET", "/api/org/vapi-webhook-auth", mint(org, "member", "m"));
  CHECK(got.status == 200);
  CHECK(got.body["source"] == "tenant");
  CHECK(f.scalar("SELECT count(*) FROM org_credentials WHERE org_id = $1", {org}) == "1");
  auto webhook = send(s.port(), "POST", "/webhooks/vapi", bearer(own),
                      status_update("upper-own", number_a).dump());
  INFO(webhook.text);
  CHECK(webhook.status == 200);
  CHECK(f.scalar("SELECT count(*) FROM calls WHERE id = 'upper-own'") == "1");
  // The deployment's credential no longer works for this clinic (the override is in force).
  CHECK(send(s.port(), "POST", "/webhooks/vapi", {{"X-Vapi-Secret", deployment_secret}},
             status_update("upper-dep", number_a).dump())
            .status == 401);
  // The uppercase admin removes it again.
  CHECK(request(s.port(), "DELETE", "/api/org/vapi-webhook-auth", shouting).status == 200);
  CHECK(send(s.port(), "POST", "/webhooks/vapi", {{"X-Vapi-Secret", deployment_secret}},
             status_update("upper-dep2", number_a).dump())
            .status == 200);
}

TEST_CASE("a legacy tool call naming its clinic by an uppercase tenantId reaches that clinic") {
  fixture f;
  const auto org = f.create_tenant("Harbor Dental", number_a);
  json legacy{{"toolCall",
               {{"id", "legacy-upper"},
                {"arguments", {{"tenantId", upper(org)}, {"date", future_weekday()}}}}}};
  auto r = request(f.port(), "POST", "/api/vapi/tools/calendar/check", "", legacy.dump());
  INFO(r.text);
  CHECK(r.status == 200);
}
