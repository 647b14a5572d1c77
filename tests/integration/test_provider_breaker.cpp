// Issue 4 §6: the per-tenant circuit breakers of the provider gate, end to end. Vapi requests
// through the provider port (service::providers(): typed requests to the vapi adapter actor,
// against the local fake) and the agent's SMS through the Twilio adapter: after repeated failures they fail fast without reaching the fake,
// other tenants are unaffected, a probe after the cool-off closes the breaker again, and
// GET /sessions/tenants shows each state.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>

#include "actors/provider_port.hpp"
#include "actors/wiring.hpp"
#include "adapters/vapi/vapi_client.hpp"
#include "tests/fakes/fake_vapi.hpp"
#include "tests/integration/harness.hpp"

using namespace rm::itest;
using namespace std::chrono_literals;
using rm::actors::provider_unavailable;

namespace {

const std::string vapi_key = "integration-vapi-private-key";

// The tenant's entry of GET /sessions/tenants, and one of its breakers.
json tenant_entry(harness& h, const std::string& org_id) {
  auto r = h.get("/sessions/tenants");
  REQUIRE(r.status == 200);
  for (const auto& t : r.body["tenants"])
    if (t["id"] == org_id) return t;
  FAIL("tenant " << org_id << " missing from /sessions/tenants: " << r.text);
  return {};
}
json breaker_of(harness& h, const std::string& org_id, const std::string& provider_name) {
  auto t = tenant_entry(h, org_id);
  REQUIRE(t["breakers"].is_array());
  for (const auto& b : t["breakers"])
    if (b["provider"] == provider_name) return b;
  FAIL("no " << provider_name << " breaker for " << org_id << ": " << t.dump());
  return {};
}

}  // namespace

TEST_CASE("Vapi failures open the tenant's breaker: fail fast, other tenants unaffected, a probe "
          "after the cool-off closes it",
          "[breaker]") {
  harness_options options;
  options.breaker = {3, 60s, 1500ms};
  harness h(options);
  // The breakers' clock: real time plus what the test adds, so the cool-off passes without
  // sleeping. Set before any provider request (the gate reads it only while handling one).
  auto skew = std::make_shared<std::atomic<std::int64_t>>(0);
  h.service().shared_wiring()->steady_now = [skew] {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(skew->load());
  };
  auto harbor = h.create_tenant("Harbor Dental", "+14155550100", "vapi-harbor");
  auto bayside = h.create_tenant("Bayside Smiles", "+14155550111", "vapi-bayside");
  rm::fakes::fake_vapi vapi(vapi_key);
  auto assistant = vapi.add_assistant({{"name", "front desk"}});
  const std::string assistant_id = assistant["id"];
  rm::vapi::retry_policy once;
  once.max_attempts = 1;
  const rm::actors::vapi_endpoint endpoint{vapi.base_url(), vapi_key, once, 2s};
  auto& port = h.service().providers();

  auto fetch = [&](const std::string& org, rm::vapi::response& out) {
    out = port.get_assistant(org, endpoint, assistant_id);
  };

  // Both breakers of a tenant that has called nothing yet read closed.
  auto untouched = breaker_of(h, harbor, "vapi");
  CHECK(untouched["state"] == "closed");
  CHECK(untouched["recent_failures"] == 0);

  vapi.fail_next(500, 3);
  for (int i = 0; i < 3; ++i) {
    rm::vapi::response r;
    fetch(harbor, r);  // ran: the failure is the provider's, reported in the response
    CHECK(r.http_status == 500);
  }
  REQUIRE(vapi.requests().size() == 3);

  // Open: refused at once, the fake sees nothing.
  try {
    rm::vapi::response r;
    fetch(harbor, r);
    FAIL("the port should have thrown provider_unavailable");
  } catch (const provider_unavailable& e) {
    CHECK(e.retry_after.count() >= 1);
    CHECK(e.retry_after.count() <= 2);
    CHECK(std::string(e.what()).find("Vapi is unavailable for this clinic") != std::string::npos);
  }
  CHECK(vapi.requests().size() == 3);

  auto open = breaker_of(h, harbor, "vapi");
  CHECK(open["state"] == "open");
  CHECK(open["recent_failures"] == 3);
  CHECK(open["open_until"].is_string());
  CHECK(open["retry_after_seconds"].get<int>() >= 1);
  CHECK(breaker_of(h, harbor, "twilio")["state"] == "closed");

  // Another tenant's Vapi calls, and this tenant's Twilio calls, still go through.
  rm::vapi::response other;
  fetch(bayside, other);
  CHECK(other.ok);
  CHECK(vapi.requests().size() == 4);
  CHECK(breaker_of(h, bayside, "vapi")["state"] == "closed");
  // Twilio (a refused connection: admitted, so it is tried and answers with a transport error).
  rm::twilio::retry_policy no_retry;
  no_retry.max_attempts = 1;
  auto account = port.fetch_account(harbor, {"http://127.0.0.1:1", no_retry, 2s},
                                    {"AC00000000000000000000000000000000", "token"});
  CHECK(account.error.http_status == 0);

  // After the cool-off: half-open, and the next request is the probe; it succeeds → closed.
  *skew += 1600;
  CHECK(breaker_of(h, harbor, "vapi")["state"] == "half_open");
  rm::vapi::response probe;
  fetch(harbor, probe);
  CHECK(probe.ok);
  CHECK(vapi.requests().size() == 5);
  auto closed = breaker_of(h, harbor, "vapi");
  CHECK(closed["state"] == "closed");
  CHECK(closed["recent_failures"] == 0);
  CHECK_FALSE(closed.contains("open_until"));

  SECTION("a 4xx about the request is an answer, not a provider failure") {
    for (int i = 0; i < 4; ++i) {
      auto r = port.get_assistant(harbor, endpoint, "no-such-assistant");
      CHECK(r.http_status == 404);
    }
    CHECK(breaker_of(h, harbor, "vapi")["state"] == "closed");
  }
  SECTION("a failed probe opens it again for a new cool-off") {
    vapi.fail_next(503, 3);
    for (int i = 0; i < 3; ++i) {
      rm::vapi::response r;
      fetch(harbor, r);
    }
    CHECK_THROWS_AS(fetch(harbor, probe), provider_unavailable);
    *skew += 1600;
    vapi.fail_next(503, 1);
    rm::vapi::response failed_probe;
    fetch(harbor, failed_probe);
    CHECK(failed_probe.http_status == 503);
    CHECK(breaker_of(h, harbor, "vapi")["state"] == "open");
    CHECK_THROWS_AS(fetch(harbor, probe), provider_unavailable);
  }
}

TEST_CASE("the agent's SMS go through the tenant's Twilio breaker", "[breaker][sms]") {
  harness_options options;
  options.breaker = {2, 60s, 60s};
  harness h(options);
  auto org = h.create_sample_clinic();
  // Each send is tried three times by the Twilio client; two sends that fail are two failures.
  h.twilio().fail_next(500, 6);
  int n = 0;
  auto send = [&] {
    call_spec call{"sms-breaker-" + std::to_string(++n)};
    REQUIRE(h.vapi(status_update(call, "in-progress", 1000)).status == 200);
    auto r = only_result(h.vapi(tool_calls(
        call, {{"tc-sms-" + std::to_string(n), "send_sms", json{{"message", "See you Tuesday"}}}})));
    INFO(r.dump());
    REQUIRE(r["error"].is_string());
    return std::make_pair(call.call_id, r["error"].get<std::string>());
  };
  send();
  send();
  CHECK(h.twilio().requests().size() == 6);
  CHECK(breaker_of(h, org, "twilio")["state"] == "open");
  CHECK(breaker_of(h, org, "twilio")["recent_failures"] == 2);

  auto [call_id, error] = send();  // refused before Twilio is called
  CHECK(error.find("paused after repeated failures") != std::string::npos);
  CHECK(h.twilio().requests().size() == 6);
  CHECK(h.scalar("SELECT status FROM messages WHERE call_id = $1", {call_id}) == "failed");
  CHECK(breaker_of(h, org, "vapi")["state"] == "closed");
}
