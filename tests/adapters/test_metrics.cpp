// The metrics facade (adapters/metrics/metrics.hpp): what each function records, label values
// clamped to fixed sets, gauges that follow live tokens, and the exposer on its own port.
#include <catch2/catch.hpp>

#include <httplib.h>

#include "adapters/metrics/metrics.hpp"

namespace m = rm::metrics;

namespace {

// The value of the exact series line `series` ("name{labels}") in a render, or -1.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  auto start = at + series.size() + 2;
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

}  // namespace

TEST_CASE("counters and histograms record with clamped labels", "[metrics]") {
  const auto before = m::render();
  const double ok0 = std::max(0.0, sample(before, R"(ringmaster_tool_calls_total{outcome="ok",tool="reserve_slot"})"));
  m::tool_call("reserve_slot", "ok", 0.002);
  m::tool_call("drop table; --", "error", 0.001);  // an unknown name from the request
  m::vapi_message("tool-calls");
  m::vapi_message("x-made-up");
  m::http_request("BREW", "/healthz", 418, 0.0001);
  m::sms("sent");
  m::sms("weird");
  m::input_rejection("depth");
  m::provider_request("twilio", "ok");
  m::breaker_state("org-1", "twilio", 1);
  const double hot0 = sample(before, R"(ringmaster_calls_scored_total{tier="hot"})");
  const double cold0 = sample(before, R"(ringmaster_calls_scored_total{tier="cold"})");
  const double uncertain0 = sample(before, R"(ringmaster_outbox_messages_total{outcome="uncertain"})");
  m::call_scored("hot");
  m::call_scored("lukewarm");  // not a tier: counted as cold
  m::outbox_message("sent");
  m::outbox_message("vanished");  // not an outcome: counted as uncertain
  const auto text = m::render();
  INFO(text);
  CHECK(sample(text, R"(ringmaster_tool_calls_total{outcome="ok",tool="reserve_slot"})") == ok0 + 1);
  CHECK(sample(text, R"(ringmaster_tool_calls_total{outcome="error",tool="other"})") >= 1);
  CHECK(text.find("drop table") == std::string::npos);
  CHECK(sample(text, R"(ringmaster_tool_call_duration_seconds_count{tool="reserve_slot"})") >= 1);
  CHECK(sample(text, R"(ringmaster_tool_call_duration_seconds_bucket{tool="reserve_slot",le="0.0025"})") >= 1);
  CHECK(sample(text, R"(ringmaster_vapi_messages_total{type="tool-calls"})") >= 1);
  CHECK(sample(text, R"(ringmaster_vapi_messages_total{type="other"})") >= 1);
  CHECK(text.find("x-made-up") == std::string::npos);
  CHECK(sample(text, R"(ringmaster_http_requests_total{method="other",route="/healthz",status="418"})") >= 1);
  CHECK(sample(text, R"(ringmaster_sms_total{outcome="sent"})") >= 1);
  CHECK(sample(text, R"(ringmaster_sms_total{outcome="failed"})") >= 1);
  CHECK(text.find("weird") == std::string::npos);
  CHECK(sample(text, R"(ringmaster_input_rejections_total{reason="depth"})") >= 1);
  CHECK(sample(text, R"(ringmaster_provider_requests_total{outcome="ok",provider="twilio"})") >= 1);
  CHECK(sample(text, R"(ringmaster_circuit_breaker_state{org_id="org-1",provider="twilio"})") == 1);
  // Series that exist before anything happened (zeroes on the first scrape).
  CHECK(hot0 >= 0);
  CHECK(cold0 >= 0);
  CHECK(uncertain0 >= 0);
  CHECK(sample(text, R"(ringmaster_calls_scored_total{tier="hot"})") == hot0 + 1);
  CHECK(sample(text, R"(ringmaster_calls_scored_total{tier="cold"})") == cold0 + 1);
  CHECK(text.find("lukewarm") == std::string::npos);
  CHECK(sample(text, R"(ringmaster_outbox_messages_total{outcome="sent"})") >= 1);
  CHECK(sample(text, R"(ringmaster_outbox_messages_total{outcome="uncertain"})") == uncertain0 + 1);
  CHECK(text.find("vanished") == std::string::npos);
}

TEST_CASE("live tokens move their gauge up and back down", "[metrics]") {
  const double calls = m::live_count(m::live::calls);
  {
    m::live_token a{m::live::calls}, b{m::live::calls};
    m::live_token s{m::live::verification_sessions};
    CHECK(m::live_count(m::live::calls) == calls + 2);
    CHECK(sample(m::render(), "ringmaster_live_call_actors") == calls + 2);
  }
  CHECK(m::live_count(m::live::calls) == calls);
  CHECK(m::live_count(m::live::verification_sessions) == 0);
}

TEST_CASE("the endpoint serves the registry at /metrics on its own port only", "[metrics]") {
  m::db_queue_depth(3);
  m::endpoint e{"127.0.0.1:0"};
  REQUIRE(e.port() > 0);
  httplib::Client c{"127.0.0.1", e.port()};
  auto r = c.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(sample(r->body, "ringmaster_db_pool_queue_depth") == 3);
  auto other = c.Get("/");
  REQUIRE(other);
  CHECK(other->status == 404);
  CHECK_THROWS_WITH(m::endpoint{"127.0.0.1:" + std::to_string(e.port())},
                    Catch::Contains("cannot serve metrics on 127.0.0.1:"));
}
