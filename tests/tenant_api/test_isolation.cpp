// The isolation matrix: every route of the tenant API (rm::http::tenant_route_table(), the only
// way tenant routes are registered) against
//   - no token, an expired token and a badly signed token → 401;
//   - tenant B's token on tenant A's ids → 404 and A's rows unchanged; lists show none of A's rows;
//   - the service-token route: tenant JWTs, the operator token and no token → 401.
// A route without an entry here fails the suite, and so does an entry without a route.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "adapters/http/routes.hpp"
#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;
using rm::http::route_auth;
using rm::http::route_info;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";

// Tenant A with one of everything, tenant B with its own number and nothing else.
struct world {
  fixture f;
  std::string a, b;
  std::string a_mapping, a_call = "call-of-a", a_appointment;
  std::string a_token, b_token;

  world() {
    a = f.create_tenant("Harbor Dental", number_a, "pn_harbor");
    b = f.create_tenant("Uptown Smiles", number_b);
    a_token = mint(a, "admin", "a-admin");
    b_token = mint(b, "admin", "b-admin");
    a_mapping = f.get("/api/inbound/phone-mappings", a_token).body["mappings"][0]["id"];
    const auto day = future_weekday();
    auto held = f.tool_result(
        tool_calls(a_call, number_a, {{"a-r", "reserve_slot", {{"start", day + "T10:00"}}}}));
    REQUIRE(held.contains("result"));
    auto hold = json::parse(held["result"].get<std::string>())["hold_id"].get<std::string>();
    auto booked = f.tool_result(tool_calls(
        a_call, number_a, {{"a-b", "book_appointment", {{"hold_id", hold}, {"name", "Ada"}}}}));
    REQUIRE(booked.contains("result"));
    a_appointment = json::parse(booked["result"].get<std::string>())["appointment_id"];
  }

  // The route's path with A's ids in it.
  std::string path_for(const route_info& r) const {
    std::string p = r.path;
    auto put = [&p](const std::string& name, const std::string& value) {
      auto at = p.find(name);
      if (at != std::string::npos) p.replace(at, name.size(), value);
    };
    if (p.find("phone-mappings/{id}") != std::string::npos) put("{id}", a_mapping);
    if (p.find("calls/{id}") != std::string::npos) put("{id}", a_call);
    if (p.find("appointments/{id}") != std::string::npos) put("{id}", a_appointment);
    put("{phone}", "%2B14155550100");
    return p;
  }
};

// What B's token may (not) do with A's data on one route.
using cross_check = std::function<void(world&, const reply&)>;

struct matrix_entry {
  std::string body;  // sent with POST/PATCH
  cross_check with_b_token;
};

void is_404(world&, const reply& r) {
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "not_found");
}

// Nothing of A in a 200 list.
void shows_nothing_of_a(world& w, const reply& r) {
  CHECK(r.status == 200);
  CHECK(r.text.find(w.a) == std::string::npos);
  CHECK(r.text.find(w.a_mapping) == std::string::npos);
  CHECK(r.text.find(w.a_call) == std::string::npos);
  CHECK(r.text.find(w.a_appointment) == std::string::npos);
  CHECK(r.text.find(number_a) == std::string::npos);
  CHECK(r.text.find("Ada") == std::string::npos);
}

const std::map<std::string, matrix_entry>& matrix() {
  static const std::map<std::string, matrix_entry> m{
      {"GET /api/org/settings",
       {"",
        [](world& w, const reply& r) {
          shows_nothing_of_a(w, r);
          CHECK(r.body["id"] == w.b);
        }}},
      {"PATCH /api/org/settings",
       {R"({"name":"Renamed by B"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 200);
          CHECK(r.body["id"] == w.b);  // B renamed itself, and only itself
          CHECK(w.f.get("/api/org/settings", w.a_token).body["name"] == "Harbor Dental");
        }}},
      {"POST /api/inbound/phone-mappings",
       {R"({"inbound_phone_number":"+14155550100","clinic_name":"B takes A's number"})",
        [](world& w, const reply& r) {
          CHECK(r.status == 409);
          CHECK(r.text.find(w.a) == std::string::npos);
          CHECK(w.f.get("/api/inbound/phone-lookup/%2B14155550100", service_token)
                    .body["org_id"] == w.a);
        }}},
      {"GET /api/inbound/phone-mappings", {"", shows_nothing_of_a}},
      {"DELETE /api/inbound/phone-mappings/{id}",
       {"",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT active FROM phone_numbers WHERE id = $1", {w.a_mapping}) ==
                "t");
        }}},
      {"GET /api/inbound/phone-lookup/{phone}",
       {"",
        [](world&, const reply& r) {
          CHECK(r.status == 401);  // a tenant JWT is not the service token
        }}},
      {"GET /api/calls", {"", shows_nothing_of_a}},
      {"GET /api/calls/{id}", {"", is_404}},
      {"GET /api/appointments", {"", shows_nothing_of_a}},
      {"POST /api/appointments/{id}/cancel",
       {"{}",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(w.f.scalar("SELECT status FROM appointments WHERE id = $1", {w.a_appointment}) ==
                "booked");
        }}},
      {"GET /api/contacts", {"", shows_nothing_of_a}},
  };
  return m;
}

std::string key_of(const route_info& r) { return r.method + " " + r.path; }

}  // namespace

TEST_CASE("every tenant route has an isolation-matrix entry and every entry a route") {
  auto table = rm::http::tenant_route_table();
  REQUIRE(!table.empty());
  std::set<std::string> routes;
  for (const auto& r : table) {
    INFO("route " << key_of(r) << " is registered but has no entry in the isolation matrix");
    CHECK(matrix().count(key_of(r)) == 1);
    routes.insert(key_of(r));
    CHECK(r.path.rfind("/api/", 0) == 0);
    if (r.auth == route_auth::tenant) CHECK((r.min_role == "member" || r.min_role == "admin"));
  }
  for (const auto& [key, entry] : matrix()) {
    INFO("matrix entry " << key << " names no registered route");
    CHECK(routes.count(key) == 1);
  }
}

TEST_CASE("every tenant route refuses a missing, expired or badly signed token with 401") {
  world w;
  for (const auto& r : rm::http::tenant_route_table()) {
    // A fresh server per route: its own failed-auth throttle, so the 21st failure of the whole
    // matrix does not turn into a 429.
    server_run s{w.f.service()};
    const auto path = w.path_for(r);
    const auto body = matrix().at(key_of(r)).body;
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
      auto reply = request(s.port(), r.method, path, token, body);
      INFO(key_of(r) << " with " << what << " → " << reply.text);
      CHECK(reply.status == 401);
      CHECK(reply.body["error"]["code"] == "unauthorized");
      CHECK(reply.headers["WWW-Authenticate"] == "Bearer");
    }
  }
  // Nothing of A moved.
  CHECK(w.f.scalar("SELECT name FROM organizations WHERE id = $1", {w.a}) == "Harbor Dental");
  CHECK(w.f.scalar("SELECT active FROM phone_numbers WHERE id = $1", {w.a_mapping}) == "t");
  CHECK(w.f.scalar("SELECT status FROM appointments WHERE id = $1", {w.a_appointment}) ==
        "booked");
}

TEST_CASE("tenant B's token never reaches tenant A's data on any route") {
  world w;
  for (const auto& r : rm::http::tenant_route_table()) {
    const auto& entry = matrix().at(key_of(r));
    auto reply = request(w.f.port(), r.method, w.path_for(r), w.b_token, entry.body);
    INFO(key_of(r) << " with B's token → " << reply.status << " " << reply.text);
    entry.with_b_token(w, reply);
  }
  // And A still sees all of its own.
  CHECK(w.f.get("/api/calls/" + w.a_call, w.a_token).status == 200);
  CHECK(w.f.get("/api/contacts", w.a_token).body["contacts"].size() == 1);
  CHECK(w.f.get("/api/appointments", w.a_token).body["appointments"].size() == 1);
}

TEST_CASE("the matrix's ids are real: tenant A's own token reaches every route") {
  world w;
  auto table = rm::http::tenant_route_table();
  // Reads first: the writes below deactivate A's number and cancel its appointment.
  std::stable_sort(table.begin(), table.end(), [](const route_info& x, const route_info& y) {
    return (x.method == "GET") > (y.method == "GET");
  });
  for (const auto& r : table) {
    const auto token = r.auth == route_auth::service ? std::string{service_token} : w.a_token;
    const auto& entry = matrix().at(key_of(r));
    auto reply = request(w.f.port(), r.method, w.path_for(r), token, entry.body);
    INFO(key_of(r) << " with A's token → " << reply.text);
    // POST of A's own number is an update (200), everything else a plain success.
    CHECK((reply.status == 200 || reply.status == 201));
  }
}

TEST_CASE("repeated failed authentications on tenant routes are throttled with Retry-After") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  for (int i = 0; i < 21; ++i)
    REQUIRE(f.get("/api/calls", mint(org, "admin", "u", -3600)).status == 401);
  auto blocked = f.get("/api/calls", mint(org));  // even a good token, from this address
  CHECK(blocked.status == 429);
  CHECK(!blocked.headers["Retry-After"].empty());
}
