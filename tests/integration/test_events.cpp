// Issue 15 "Live updates" with the real `ringmaster serve` (RINGMASTER_BIN), PostgreSQL and the
// Twilio fake: GET /sessions/events (operator) and GET /api/events (tenant JWT) as Server-Sent
// Events (docs/api.md "Live events").
//  - A call's first Vapi webhook is on the operator stream within 1 s, with its state and the
//    caller's last four digits; every later state change follows, in order, numbered upwards.
//  - Tenant A's stream carries A's call; tenant B's stream carries B's and never A's.
//  - 401 without a token; 503 too_many_streams beyond RINGMASTER_EVENT_STREAMS_MAX; a stream
//    whose client went away frees its slot; the open-streams gauge follows.
#include <catch2/catch.hpp>

#include <map>

#include "tests/integration/child_process.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/serve_process.hpp"
#include "tests/support/sse_reader.hpp"

using namespace rm::itest;
using rm::testing::sse_event;
using rm::testing::sse_reader;
using namespace std::chrono_literals;

namespace {

const std::string jwt_secret = "integration-events-jwt-secret-0123456789abcdef";
const std::string number_b = "+12125550100";
const std::string vapi_id_b = "5b0f7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b";

auto is_call(const std::string& call_id, const std::string& state = "") {
  return [call_id, state](const sse_event& e) {
    return e.event == "call" && e.json.is_object() && e.json.value("call_id", "") == call_id &&
           (state.empty() || e.json.value("state", "") == state);
  };
}

double gauge(int metrics_port, const std::string& name) {
  auto r = http_get(metrics_port, "/metrics");
  REQUIRE(r.status == 200);
  auto at = r.text.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::stod(r.text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("live events: a call's webhooks reach the operator's and its tenant's streams at once",
          "[events]") {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  int metrics_port = free_port();
  while (metrics_port == port) metrics_port = free_port();
  const std::string log_path = "/tmp/rm-integ-events-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  const std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_METRICS_LISTEN", "127.0.0.1:" + std::to_string(metrics_port)},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_JWT_SECRET", jwt_secret},
      {"RINGMASTER_VAPI_AUTH", "none"},
      {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
      {"RINGMASTER_MASTER_KEY", test_master_key()},
      {"RINGMASTER_MASTER_KEY_FILE", ""},
      {"RINGMASTER_EVENT_STREAMS_MAX", "3"},
      {"RINGMASTER_EVENT_KEEPALIVE_MS", "300"},
  };
  auto serve = start_serve(env, port, log_path, std::chrono::seconds(60));

  auto created = http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token);
  INFO(created.text);
  REQUIRE(created.status == 201);
  const std::string org_a = created.body["id"];
  const json tenant_b{{"name", "Uptown Smiles"},
                      {"time_zone", "America/New_York"},
                      {"numbers", {{{"e164", number_b}, {"vapi_phone_number_id", vapi_id_b}}}}};
  created = http_post(port, "/ops/tenants", tenant_b.dump(), operator_token);
  REQUIRE(created.status == 201);
  const std::string org_b = created.body["id"];
  const auto token_a = rm::testing::mint_jwt(jwt_secret, org_a, "member", "a-member");
  const auto token_b = rm::testing::mint_jwt(jwt_secret, org_b, "admin", "b-admin");

  SECTION("no token, or a token of the wrong kind: 401 JSON before any stream") {
    for (const auto& [path, token] :
         std::vector<std::pair<std::string, std::string>>{{"/sessions/events", ""},
                                                          {"/sessions/events", token_a},
                                                          {"/api/events", ""},
                                                          {"/api/events", operator_token}}) {
      sse_reader r{port, path, token};
      INFO(path << " → " << r.body());
      CHECK(r.status() == 401);
      CHECK(json::parse(r.body(), nullptr, false)["error"]["code"] == "unauthorized");
    }
  }

  SECTION("state changes stream live, tenants see only their own calls, the limit holds") {
    // Accept-Encoding as browsers send it: the stream must not be compressed (and buffered).
    sse_reader ops{port, "/sessions/events", operator_token, {{"Accept-Encoding", "gzip, br"}}};
    sse_reader a{port, "/api/events", token_a};
    sse_reader b{port, "/api/events", token_b};
    for (auto* s : {&ops, &a, &b}) {
      REQUIRE(s->status() == 200);
      CHECK(s->header("Content-Type") == "text/event-stream");
      CHECK(s->header("Cache-Control") == "no-store");
      CHECK(s->header("Content-Encoding").empty());
      auto ready = s->wait_for([](const sse_event& e) { return e.event == "ready"; }, 5s);
      REQUIRE(ready);
      CHECK(ready->json["at"].get<std::string>().size() == 20);  // 2026-12-05T07:30:00Z
      CHECK(s->events().front().event == "ready");  // the first thing on the wire
    }
    CHECK(gauge(metrics_port, "ringmaster_event_streams_open") == 3);

    // The limit: a fourth stream is refused with JSON before streaming.
    {
      sse_reader extra{port, "/sessions/events", operator_token};
      REQUIRE(extra.status() == 503);
      auto body = json::parse(extra.body(), nullptr, false);
      INFO(extra.body());
      CHECK(body["error"]["code"] == "too_many_streams");
    }

    // A's call: its first webhook appears within 1 s, then every change follows.
    call_spec call{"events-call-a"};
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "ringing", 1000).dump())
                .status == 200);
    auto first = ops.wait_for(is_call(call.call_id), 1s);
    REQUIRE(first);
    CHECK(first->at - sent < 1s);
    CHECK(first->json["state"] == "ringing");
    CHECK(first->json["caller_last4"] == "0177");
    CHECK(first->json["org_id"] == org_a);
    CHECK(first->json["started_at"].is_null());
    CHECK(first->json["ended_reason"].is_null());
    CHECK(first->json["updated_at"].get<std::string>().back() == 'Z');
    CHECK(first->data.find(caller_number) == std::string::npos);  // never the whole number

    REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "in-progress", 2000).dump())
                .status == 200);
    auto second = ops.wait_for(is_call(call.call_id, "in-progress"), 1s);
    REQUIRE(second);
    CHECK(std::stoull(second->id) > std::stoull(first->id));
    CHECK(second->json["started_at"].is_string());

    REQUIRE(http_post(port, "/webhooks/vapi",
                      status_update(call, "ended", 3000, "customer-ended-call").dump())
                .status == 200);
    REQUIRE(http_post(port, "/webhooks/vapi", end_of_call_report(call, 4000).dump()).status ==
            200);
    auto scored = ops.wait_for(is_call(call.call_id, "scored"), 5s);
    REQUIRE(scored);
    CHECK(scored->json["outcome"] == "lost");
    CHECK(scored->json["ended_reason"] == "customer-ended-call");
    // In order, numbered upwards, one event per change (a duplicate webhook adds none).
    REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "in-progress", 2000).dump())
                .status == 200);
    std::vector<std::string> states;
    std::uint64_t last_id = 0;
    for (const auto& e : ops.events()) {
      if (!is_call(call.call_id)(e)) continue;
      states.push_back(e.json["state"]);
      CHECK(std::stoull(e.id) > last_id);
      last_id = std::stoull(e.id);
    }
    CHECK(states == std::vector<std::string>{"ringing", "in-progress", "ended", "reported",
                                             "scored"});

    // Tenant A's stream has the same events; B's gets its own call and never A's.
    auto a_scored = a.wait_for(is_call(call.call_id, "scored"), 2s);
    REQUIRE(a_scored);
    CHECK(a_scored->id == scored->id);
    call_spec call_b{"events-call-b", number_b, vapi_id_b, "+12125559876"};
    REQUIRE(http_post(port, "/webhooks/vapi", status_update(call_b, "ringing", 1000).dump())
                .status == 200);
    auto b_own = b.wait_for(is_call(call_b.call_id), 2s);
    REQUIRE(b_own);
    CHECK(b_own->json["caller_last4"] == "9876");
    REQUIRE(ops.wait_for(is_call(call_b.call_id), 2s));
    for (const auto& e : b.events()) {
      INFO(e.data);
      CHECK(e.data.find(call.call_id) == std::string::npos);
      CHECK(e.data.find(org_a) == std::string::npos);
    }
    CHECK(b.raw().find(call.call_id) == std::string::npos);
    for (const auto& e : a.events()) CHECK(e.data.find(call_b.call_id) == std::string::npos);

    // A call whose first message is a tool call appears as well, within 1 s, in its initial
    // state (its row is created for the tool results).
    call_spec call_c{"events-call-c"};
    const auto sent_c = std::chrono::steady_clock::now();
    REQUIRE(http_post(port, "/webhooks/vapi",
                      tool_calls(call_c, {{"tc-ev-check", "check_availability",
                                           json{{"date", future_weekday(2)}}}})
                          .dump())
                .status == 200);
    auto c_first = ops.wait_for(is_call(call_c.call_id), 1s);
    REQUIRE(c_first);
    CHECK(c_first->at - sent_c < 1s);
    CHECK(c_first->json["state"] == "ringing");
    CHECK(c_first->json["org_id"] == org_a);

    // Silence is filled with keep-alive comments.
    CHECK(rm::testing::eventually([&] { return ops.comments() >= 1; }, 5s));

    // A client that goes away frees its slot (noticed at the next keep-alive write).
    b.stop();
    CHECK(rm::testing::eventually(
        [&] { return gauge(metrics_port, "ringmaster_event_streams_open") == 2; }, 5s));
    sse_reader again{port, "/api/events", token_b};
    CHECK(again.status() == 200);
    CHECK(again.wait_for([](const sse_event& e) { return e.event == "ready"; }, 5s));
  }
}
