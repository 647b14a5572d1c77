// Across tenants and roles, with the matrix's real ids of A: B's token never reaches A's data, A's
// own token reaches every route (so the ids are real), and a member gets 403 on admin routes.
#include <algorithm>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "tests/tenant_api/isolation.hpp"

using namespace rm::tapi;
using namespace rm::tapi::isolation;

TEST_CASE("tenant B's token never reaches tenant A's data on any route") {
  world w;
  for (const auto& r : matrix_routes(w.f)) {
    const auto& entry = entry_for(r);
    auto reply = request(w.f.port(), r.method, target_of(w, r), w.b_token, w.fill(entry.body));
    INFO(key_of(r) << " with B's token → " << reply.status << " " << reply.text);
    entry.with_b_token(w, reply);
  }
  // And A still sees all of its own.
  CHECK(w.f.get("/api/calls/" + w.a_call, w.a_token).status == 200);
  CHECK(w.f.get("/api/contacts", w.a_token).body["contacts"].size() == 1);
  CHECK(w.f.get("/api/appointments", w.a_token).body["appointments"].size() == 1);
  CHECK(w.f.get("/api/telephony/verified-numbers", w.a_token).body["numbers"].size() == 3);
  auto forwarding =
      w.f.get("/api/telephony/forwarding-config?verifiedCallerId=" + w.a_verified, w.a_token);
  CHECK(forwarding.body["config"]["id"] == w.a_forwarding);
  auto confirmed = w.f.post("/api/telephony/verify-caller-id/confirm", w.a_token,
                            {{"verificationId", w.a_pending},
                             {"verificationCode", w.a_pending_code}});
  INFO(confirmed.text);
  CHECK(confirmed.status == 200);
}

TEST_CASE("the matrix's ids are real: tenant A's own token reaches every route") {
  world w;
  auto routes = matrix_routes(w.f);
  // Reads first, deletions last: the writes deactivate A's number, cancel its appointment, set
  // forwarding up on the spare number and delete it.
  // Cancelling A's appointment goes with the deletions (its reminder must still find it booked).
  auto rank = [](const registered_route& r) {
    const bool cancel = r.path == "/api/appointments/{id}/cancel";
    return r.method == "GET" ? 0 : (r.method == "DELETE" || cancel) ? 2 : 1;
  };
  std::stable_sort(routes.begin(), routes.end(),
                   [&](const registered_route& x, const registered_route& y) {
                     return rank(x) < rank(y);
                   });
  for (const auto& r : routes) {
    const auto token = r.auth == route_auth::service ? std::string{service_token} : w.a_token;
    const auto& entry = entry_for(r);
    auto reply = request(w.f.port(), r.method, target_of(w, r), token, w.fill(entry.body));
    INFO(key_of(r) << " with A's token → " << reply.text);
    // POST of A's own number is an update (200), everything else a plain success (DELETE of
    // A's Google link: 204).
    CHECK((reply.status == 200 || reply.status == 201 || reply.status == 204));
  }
}

// Roles (docs/security.md "Roles"): every admin route of the registry refuses a member of the
// same tenant with 403 before its handler runs, with the matrix's real ids of A, so each request
// would succeed with A's admin token (previous test). The telephony routes that cost money or
// change/remove a verified number or a forwarding are admin routes (they once accepted members).
TEST_CASE("a member gets 403 on every admin route, destructive and paid telephony included") {
  world w;
  const auto member = mint(w.a, "member", "a-member");
  const std::set<std::string> telephony_admin{
      "POST /api/telephony/verify-caller-id/initiate",
      "POST /api/telephony/verify-caller-id/confirm",
      "DELETE /api/telephony/verified-numbers/{id}",
      "POST /api/telephony/verified-numbers/{id}/caller-id",
      "POST /api/telephony/forwarding-config",
      "POST /api/telephony/forwarding-config/confirm",
      "DELETE /api/telephony/forwarding-config/{id}"};
  std::set<std::string> refused;
  for (const auto& r : matrix_routes(w.f)) {
    if (r.auth != route_auth::tenant) continue;
    const bool telephony = telephony_admin.count(key_of(r)) == 1;
    if (telephony) CHECK(r.min_role == "admin");
    if (r.min_role != "admin" && !telephony) continue;
    const auto& entry = entry_for(r);
    auto reply = request(w.f.port(), r.method, target_of(w, r), member, w.fill(entry.body));
    INFO(key_of(r) << " with a member's token → " << reply.text);
    CHECK(reply.status == 403);
    CHECK(reply.body["error"]["code"] == "forbidden");
    CHECK(reply.body["error"]["message"] ==
          "this action needs the admin role; your role is member");
    refused.insert(key_of(r));
  }
  for (const auto& key : telephony_admin) {
    INFO(key << " is not registered");
    CHECK(refused.count(key) == 1);
  }
  // Nothing was paid for, verified, removed or changed on the member's request.
  CHECK(w.f.twilio().messages().size() == 3);  // the three codes of the set-up
  CHECK(w.f.twilio().calls().empty());
  CHECK(w.f.twilio().caller_id_requests().empty());
  CHECK(w.f.scalar("SELECT count(*) FROM verified_caller_ids") == "3");
  CHECK(caller_id_status(w, w.a_spare) == "verified");
  CHECK(caller_id_status(w, w.a_pending) == "pending");
  CHECK(forwarding_status(w, w.a_forwarding) == "pending_setup");
  CHECK(w.f.scalar("SELECT count(*) FROM hybrid_forwarding_configs") == "1");
  // Reads stay open to members.
  auto numbers = w.f.get("/api/telephony/verified-numbers", member);
  CHECK(numbers.status == 200);
  CHECK(numbers.body["numbers"].size() == 3);
  auto forwarding =
      w.f.get("/api/telephony/forwarding-config?verifiedCallerId=" + w.a_verified, member);
  CHECK(forwarding.status == 200);
  CHECK(forwarding.body["config"]["id"] == w.a_forwarding);
}

// Public routes authenticated by a signed token in the path (public_link_routes()): only a token
// signed for one of A's real shares opens anything of A's.
TEST_CASE("public signed-link routes open only what a real link names") {
  world w;
  for (const auto& [key, check] : public_link_routes()) {
    INFO(key);
    check(w);
  }
}
