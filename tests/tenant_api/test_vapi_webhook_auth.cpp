// Per-tenant override of the Vapi webhook credential (PUT/GET/DELETE /api/org/vapi-webhook-auth):
// a server whose deployment requires X-Vapi-Secret; a clinic with its own credential accepts only
// that one (the deployment's and another clinic's are refused, and nothing is stored), a clinic
// without one keeps the deployment's behaviour, and removing the override restores it at once.
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <httplib.h>

#include "adapters/http/server.hpp"
#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";
const std::string number_c = "+13125550100";
const std::string deployment_secret = "deployment-vapi-secret-0123456789";
const std::string a_bearer = "clinic-a-own-bearer-token-0123";
const std::string b_secret = "clinic-b-own-x-vapi-secret-0123";

// Options for a server over the fixture's service whose deployment requires X-Vapi-Secret.
rm::http::server_options strict_options() {
  rm::http::server_options o = bare_server_options();
  o.service_token.clear();
  o.vapi_auth.secret = deployment_secret;
  return o;
}

// POST with the given headers; the status (0 on transport failure).
int post_with(int port, const std::string& path, const json& body, httplib::Headers headers) {
  httplib::Client cli{"127.0.0.1", port};
  auto r = cli.Post(path.c_str(), headers, body.dump(), "application/json");
  return r ? r->status : 0;
}

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 0xf];
  }
  return s;
}

}  // namespace

TEST_CASE("a clinic's own Vapi webhook credential replaces the deployment's for its numbers") {
  fixture f;
  const auto a = f.create_tenant("Harbor Dental", number_a);
  const auto b = f.create_tenant("Uptown Smiles", number_b);
  const auto c = f.create_tenant("Lakeside Dental", number_c);
  server_run s{f.service(), strict_options()};
  const auto a_admin = mint(a, "admin", "a-admin");
  const auto b_admin = mint(b, "admin", "b-admin");
  auto calls = [&](const std::string& id) {
    return f.scalar("SELECT count(*) FROM calls WHERE id = $1", {id});
  };
  const httplib::Headers deployment{{"X-Vapi-Secret", deployment_secret}};
  const httplib::Headers a_own{{"Authorization", "Bearer " + a_bearer}};
  const httplib::Headers b_own{{"X-Vapi-Secret", b_secret}};

  // Before any override, the deployment's credential works for A.
  CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-before", number_a), deployment) ==
        200);
  CHECK(calls("a-before") == "1");

  // A and B set their own; the replies never carry the secret.
  auto put_a = request(s.port(), "PUT", "/api/org/vapi-webhook-auth", a_admin,
                       json{{"mode", "bearer"}, {"secret", a_bearer}}.dump());
  INFO(put_a.text);
  REQUIRE(put_a.status == 200);
  CHECK(put_a.body["source"] == "tenant");
  CHECK(put_a.body["mode"] == "bearer");
  CHECK(put_a.text.find(a_bearer) == std::string::npos);
  REQUIRE(request(s.port(), "PUT", "/api/org/vapi-webhook-auth", b_admin,
                  json{{"mode", "secret"}, {"secret", b_secret}}.dump())
              .status == 200);
  auto got = request(s.port(), "GET", "/api/org/vapi-webhook-auth", mint(a, "member", "a-member"));
  CHECK(got.status == 200);
  CHECK(got.body["source"] == "tenant");
  CHECK(got.body["mode"] == "bearer");
  CHECK(got.text.find(a_bearer) == std::string::npos);
  auto stored = f.scalar("SELECT t::text FROM org_credentials t WHERE org_id = $1", {a});
  CHECK_FALSE(stored.empty());
  CHECK(stored.find(a_bearer) == std::string::npos);

  SECTION("A's webhooks need A's credential: the deployment's, B's or none are refused") {
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-dep", number_a), deployment) ==
          401);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-b", number_a), b_own) == 401);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-b2", number_a),
                    {{"Authorization", "Bearer " + b_secret}}) == 401);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-none", number_a), {}) == 401);
    // Tool calls too, and nothing of the refused messages was stored.
    CHECK(post_with(s.port(), "/webhooks/vapi",
                    tool_calls("a-tools", number_a,
                               {{"t1", "reserve_slot", {{"start", future_weekday() + "T10:00"}}}}),
                    deployment) == 401);
    for (const char* id : {"a-dep", "a-b", "a-b2", "a-none", "a-tools"}) CHECK(calls(id) == "0");
    CHECK(f.scalar("SELECT count(*) FROM tool_invocations WHERE call_id = 'a-tools'") == "0");
    CHECK(f.scalar("SELECT count(*) FROM appointments WHERE org_id = $1", {a}) == "0");

    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-own", number_a), a_own) == 200);
    CHECK(calls("a-own") == "1");
    // B's own works for B, not the deployment's.
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("b-own", number_b), b_own) == 200);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("b-dep", number_b), deployment) ==
          401);
    CHECK(calls("b-dep") == "0");
  }

  SECTION("a clinic without an override keeps the deployment's credential") {
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("c-dep", number_c), deployment) ==
          200);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("c-a", number_c), a_own) == 401);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("c-none", number_c), {}) == 401);
    CHECK(calls("c-dep") == "1");
    CHECK(calls("c-a") == "0");
    // Unknown numbers: the deployment's credential decides (then 404 unknown_number).
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("x-a", "+16175550100"), a_own) ==
          401);
  }

  SECTION("the legacy tool endpoints follow the clinic the body names") {
    auto legacy = [&](const std::string& number) {
      return json{{"toolCall",
                   {{"id", "legacy-" + number},
                    {"arguments", {{"inboundPhoneNumber", number},
                                   {"date", future_weekday()}}}}}};
    };
    CHECK(post_with(s.port(), "/api/vapi/tools/calendar/check", legacy(number_a), deployment) ==
          401);
    CHECK(post_with(s.port(), "/api/vapi/tools/calendar/check", legacy(number_a), a_own) == 200);
    CHECK(post_with(s.port(), "/api/vapi/tools/calendar/check", legacy(number_c), deployment) ==
          200);
    CHECK(post_with(s.port(), "/api/vapi/tools/calendar/check", legacy(number_c), a_own) == 401);
  }

  SECTION("removing the override restores the deployment's credential at once") {
    auto removed = request(s.port(), "DELETE", "/api/org/vapi-webhook-auth", a_admin);
    CHECK(removed.status == 200);
    CHECK(removed.body["source"] == "deployment");
    CHECK(request(s.port(), "DELETE", "/api/org/vapi-webhook-auth", a_admin).status == 404);
    CHECK(request(s.port(), "GET", "/api/org/vapi-webhook-auth", a_admin).body["source"] ==
          "deployment");
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-after", number_a), a_own) == 401);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-after2", number_a), deployment) ==
          200);
    // B's override is untouched.
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("b-after", number_b), deployment) ==
          401);
  }

  SECTION("an HMAC override: a fresh signature passes, a stale or foreign one does not") {
    const std::string key = "clinic-a-hmac-key-0123456789abcdef";
    REQUIRE(request(s.port(), "PUT", "/api/org/vapi-webhook-auth", a_admin,
                    json{{"mode", "hmac"}, {"secret", key}}.dump())
                .status == 200);
    auto signed_post = [&](const std::string& id, const std::string& k, long long ts) {
      const auto body = status_update(id, number_a).dump();
      httplib::Client cli{"127.0.0.1", s.port()};
      auto r = cli.Post("/webhooks/vapi",
                        {{"x-timestamp", std::to_string(ts)},
                         {"x-signature", hmac_hex(k, std::to_string(ts) + "." + body)}},
                        body, "application/json");
      return r ? r->status : 0;
    };
    const long long now = std::time(nullptr);
    CHECK(signed_post("a-hmac", key, now) == 200);
    CHECK(signed_post("a-hmac-old", key, now - 3600) == 401);
    CHECK(signed_post("a-hmac-other", deployment_secret, now) == 401);
    CHECK(post_with(s.port(), "/webhooks/vapi", status_update("a-hmac-bearer", number_a), a_own) ==
          401);  // the earlier bearer override was replaced
    CHECK(calls("a-hmac") == "1");
    CHECK(calls("a-hmac-old") == "0");
  }
}

TEST_CASE("only admins set the override, and bad input is refused precisely") {
  fixture f;
  const auto a = f.create_tenant("Harbor Dental", number_a);
  const auto admin = mint(a, "admin", "a-admin");
  auto put = [&](const std::string& token, const json& body) {
    return request(f.port(), "PUT", "/api/org/vapi-webhook-auth", token, body.dump());
  };
  auto member = put(mint(a, "member", "a-member"), {{"mode", "secret"}, {"secret", b_secret}});
  CHECK(member.status == 403);
  CHECK(member.body["error"]["code"] == "forbidden");
  CHECK(request(f.port(), "DELETE", "/api/org/vapi-webhook-auth", mint(a, "member", "m")).status ==
        403);
  auto bad_mode = put(admin, {{"mode", "basic"}, {"secret", b_secret}});
  CHECK(bad_mode.status == 400);
  CHECK(bad_mode.body["error"]["field"] == "mode");
  auto short_secret = put(admin, {{"mode", "secret"}, {"secret", "short"}});
  CHECK(short_secret.status == 400);
  CHECK(short_secret.body["error"]["field"] == "secret");
  CHECK(short_secret.text.find("short\"") == std::string::npos);
  auto spaced = put(admin, {{"mode", "bearer"}, {"secret", "has a space in it 0123"}});
  CHECK(spaced.status == 400);
  CHECK(f.scalar("SELECT count(*) FROM org_credentials") == "0");
  auto none = request(f.port(), "GET", "/api/org/vapi-webhook-auth", admin);
  CHECK(none.status == 200);
  CHECK(none.body["source"] == "deployment");
  CHECK(none.body["mode"].is_null());
}
