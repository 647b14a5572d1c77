// Authentication on every registered route: tenant and service routes refuse missing, expired,
// badly signed and wrong-kind tokens with 401 (nothing of A moves); operator and Twilio routes
// refuse a request without credentials; failed authentications are throttled.
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/tenant_api/isolation.hpp"

using namespace rm::tapi;
using namespace rm::tapi::isolation;

TEST_CASE("every tenant route refuses a missing, expired or badly signed token with 401") {
  world w;
  for (const auto& r : matrix_routes(w.f)) {
    // A fresh server per route: its own failed-auth throttle, so the 21st failure of the whole
    // matrix does not turn into a 429.
    auto s = w.f.another_server();
    const auto path = target_of(w, r);
    const auto body = w.fill(entry_for(r).body);
    std::vector<std::pair<std::string, std::string>> refused{
        {"no token", ""},
        {"expired", mint(w.a, "admin", "a-admin", -3600)},
        {"bad signature",
         mint(w.a, "admin", "a-admin", 3600, "not-the-secret-but-32-bytes-long!!")},
        {"garbage", "not.a.jwt"}};
    if (r.auth == route_auth::service) {
      refused.push_back({"tenant jwt", w.a_token});
      refused.push_back({"operator token", operator_token});
    } else {
      refused.push_back({"service token", service_token});
      refused.push_back({"operator token", operator_token});
    }
    for (const auto& [what, token] : refused) {
      auto reply = request(s->port(), r.method, path, token, body);
      INFO(key_of(r) << " with " << what << " → " << reply.text);
      CHECK(reply.status == 401);
      CHECK(reply.body["error"]["code"] == "unauthorized");
      CHECK(reply.headers["WWW-Authenticate"] == "Bearer");
    }
  }
  // Nothing of A moved, and nothing was sent on A's behalf.
  CHECK(w.f.scalar("SELECT name FROM organizations WHERE id = $1", {w.a}) == "Harbor Dental");
  CHECK(w.f.scalar("SELECT active FROM phone_numbers WHERE id = $1", {w.a_mapping}) == "t");
  CHECK(w.f.scalar("SELECT status FROM appointments WHERE id = $1", {w.a_appointment}) ==
        "booked");
  CHECK(caller_id_status(w, w.a_verified) == "verified");
  CHECK(caller_id_status(w, w.a_spare) == "verified");
  CHECK(caller_id_status(w, w.a_pending) == "pending");
  CHECK(forwarding_status(w, w.a_forwarding) == "pending_setup");
  CHECK(w.f.scalar("SELECT count(*) FROM verified_caller_ids") == "3");
  CHECK(w.f.twilio().messages().size() == 3);  // the three codes of the set-up
  CHECK(w.f.twilio().caller_id_requests().empty());
}

TEST_CASE("operator and Twilio routes refuse a request without credentials") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a, "", "America/New_York", true);
  int checked = 0;
  for (const auto& r : f.routes()) {
    if (r.auth != route_auth::operator_token && r.auth != route_auth::twilio) continue;
    auto s = f.another_server();  // its own failed-auth throttle
    // Placeholders become a well-formed id (a UUID fits every placeholder's pattern).
    std::string path = r.path;
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      int depth = 0;
      auto close = open;
      for (; close < path.size(); ++close) {
        if (path[close] == '{') ++depth;
        if (path[close] == '}' && --depth == 0) break;
      }
      path.replace(open, close - open + 1, org);
    }
    const bool form = r.auth == route_auth::twilio;
    std::vector<std::string> tokens{"", mint(org)};
    if (form) tokens.pop_back();  // Twilio signs; a Bearer token means nothing there
    for (const auto& token : tokens) {
      auto reply = request(s->port(), r.method, path, token, form ? "To=%2B14155550100" : "{}",
                           form ? "application/x-www-form-urlencoded" : "application/json");
      INFO(key_of(r) << " (" << path << ") with " << (token.empty() ? "no token" : "a tenant JWT")
                     << " → " << reply.text);
      CHECK(reply.status == 401);
      CHECK(reply.body["error"]["code"] == "unauthorized");
    }
    ++checked;
  }
  CHECK(checked >= 8);  // /ops/tenants, /sessions/* (4), the Twilio webhooks (4)
}

TEST_CASE("repeated failed authentications on tenant routes are throttled with Retry-After") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  for (int i = 0; i < 21; ++i)
    REQUIRE(f.get("/api/calls", mint(org, "admin", "u", -3600)).status == 401);
  auto blocked = f.get("/api/calls", mint(org, "admin", "u", -3600));
  CHECK(blocked.status == 429);
  CHECK(!blocked.headers["Retry-After"].empty());
  // Never a good token (issue 9 §3; more in test_auth_hardening.cpp).
  CHECK(f.get("/api/calls", mint(org)).status == 200);
}
