#include "adapters/metrics/metrics.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace rm::metrics {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Latencies from 1 ms to 10 s: webhooks must answer well under Vapi's timeout.
prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// The one registry; built on first use and never destroyed (metrics may be recorded by threads
// that outlive main's objects during shutdown).
struct families {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& http_requests =
      BuildCounter()
          .Name("ringmaster_http_requests_total")
          .Help("HTTP requests on the public port by method, route template and status")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_duration =
      BuildHistogram()
          .Name("ringmaster_http_request_duration_seconds")
          .Help("HTTP request latency on the public port by method and route template")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& vapi_messages =
      BuildCounter()
          .Name("ringmaster_vapi_messages_total")
          .Help("Authenticated Vapi webhook messages by message type")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& tool_calls =
      BuildCounter()
          .Name("ringmaster_tool_calls_total")
          .Help("Tool calls answered by call actors by tool and outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& tool_duration =
      BuildHistogram()
          .Name("ringmaster_tool_call_duration_seconds")
          .Help("Tool call latency inside the call actor by tool")
          .Register(*registry);
  prometheus::Gauge& live_calls = BuildGauge()
                                      .Name("ringmaster_live_call_actors")
                                      .Help("Call actors alive now")
                                      .Register(*registry)
                                      .Add({});
  prometheus::Gauge& live_tenants = BuildGauge()
                                        .Name("ringmaster_live_tenant_actors")
                                        .Help("Tenant actors alive now")
                                        .Register(*registry)
                                        .Add({});
  prometheus::Gauge& live_sessions =
      BuildGauge()
          .Name("ringmaster_open_verification_sessions")
          .Help("Caller-ID verification session actors alive now")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& event_streams = BuildGauge()
                                         .Name("ringmaster_event_streams_open")
                                         .Help("Live event streams (SSE) being served now")
                                         .Register(*registry)
                                         .Add({});
  prometheus::Counter& event_drops =
      BuildCounter()
          .Name("ringmaster_event_subscribers_dropped_total")
          .Help("Event stream subscribers dropped because their bounded queue was full")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& db_queue = BuildGauge()
                                    .Name("ringmaster_db_pool_queue_depth")
                                    .Help("Database jobs waiting for a pool connection")
                                    .Register(*registry)
                                    .Add({});
  prometheus::Histogram& db_job =
      BuildHistogram()
          .Name("ringmaster_db_job_duration_seconds")
          .Help("Time a database job holds its pool connection")
          .Register(*registry)
          .Add({}, latency_buckets());
  prometheus::Gauge& write_behind = BuildGauge()
                                        .Name("ringmaster_write_behind_records")
                                        .Help("Reads answered whose record is not committed yet")
                                        .Register(*registry)
                                        .Add({});
  prometheus::Family<prometheus::Counter>& write_behind_waits =
      BuildCounter()
          .Name("ringmaster_write_behind_waits_total")
          .Help("Reads that found the write-behind backlog full, by outcome (placed, timed_out)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& provider_requests =
      BuildCounter()
          .Name("ringmaster_provider_requests_total")
          .Help("Requests to Twilio and Vapi through the provider gate by provider and outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& breaker =
      BuildGauge()
          .Name("ringmaster_circuit_breaker_state")
          .Help("Provider circuit breaker per tenant: 0 closed, 1 open, 2 half-open")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& sms =
      BuildCounter()
          .Name("ringmaster_sms_total")
          .Help("send_sms attempts by outcome (sent, failed, refused)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& scored =
      BuildCounter()
          .Name("ringmaster_calls_scored_total")
          .Help("Calls scored after their end-of-call report, by lead tier")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& outbox =
      BuildCounter()
          .Name("ringmaster_outbox_messages_total")
          .Help("message_outbox rows settled by the outbox actor, by outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& rejections =
      BuildCounter()
          .Name("ringmaster_input_rejections_total")
          .Help("Requests refused at the HTTP edge for their shape by reason")
          .Register(*registry);

  families() {
    // Series that exist from the start, so a scrape shows zeroes rather than nothing.
    for (const char* o : {"sent", "failed", "refused"}) sms.Add({{"outcome", o}});
    for (const char* o : {"placed", "timed_out"}) write_behind_waits.Add({{"outcome", o}});
    for (const char* t : {"hot", "warm", "cold"}) scored.Add({{"tier", t}});
    for (const char* o : {"sent", "refused", "uncertain"}) outbox.Add({{"outcome", o}});
    for (const char* r : {"depth", "size", "encoding", "syntax"})
      rejections.Add({{"reason", r}});
  }
};

families& the() {
  static auto* f = new families();  // never destroyed: see above
  return *f;
}

// `value` when it is one of `allowed`, else `fallback`.
template <std::size_t N>
std::string clamp(const std::string& value, const std::array<const char*, N>& allowed,
                  const char* fallback) {
  for (const char* a : allowed)
    if (value == a) return value;
  return fallback;
}

const std::array<const char*, 5> methods{"GET", "POST", "PUT", "PATCH", "DELETE"};
// Vapi's server message types (docs.vapi.ai "Server events").
const std::array<const char*, 16> vapi_types{
    "assistant-request", "status-update",     "end-of-call-report", "hang",
    "tool-calls",        "transfer-destination-request",            "conversation-update",
    "speech-update",     "transcript",        "user-interrupted",   "model-output",
    "voice-input",       "phone-call-control", "function-call",     "transfer-update",
    "language-change-detected"};
const std::array<const char*, 5> tools{"check_availability", "reserve_slot", "book_appointment",
                                       "send_sms", "search_knowledge_base"};

prometheus::Gauge& gauge_of(live what) {
  switch (what) {
    case live::calls: return the().live_calls;
    case live::tenants: return the().live_tenants;
    case live::event_streams: return the().event_streams;
    case live::verification_sessions: break;
  }
  return the().live_sessions;
}

}  // namespace

namespace {

// A series found once per thread: Family::Add builds a label map, hashes it and takes the
// family's lock on every call, which showed in the check_availability profile (issue 13). The
// families never remove these series, so the references stay valid.
struct series_pair {
  prometheus::Counter* count = nullptr;
  prometheus::Histogram* duration = nullptr;
};

template <typename Make>
series_pair& cached(const std::string& key, Make make) {
  thread_local std::unordered_map<std::string, series_pair> series;
  auto it = series.find(key);
  if (it == series.end()) it = series.emplace(key, make()).first;
  return it->second;
}

}  // namespace

void http_request(const std::string& method, const std::string& route, int status,
                  double seconds) {
  const auto m = clamp(method, methods, "other");
  const auto code = std::to_string(status);
  auto& s = cached("h\n" + m + "\n" + route + "\n" + code, [&] {
    auto& f = the();
    return series_pair{&f.http_requests.Add({{"method", m}, {"route", route}, {"status", code}}),
                       &f.http_duration.Add({{"method", m}, {"route", route}},
                                            latency_buckets())};
  });
  s.count->Increment();
  s.duration->Observe(seconds);
}

void vapi_message(const std::string& type) {
  const auto t = clamp(type, vapi_types, "other");
  cached("v\n" + t, [&] {
    return series_pair{&the().vapi_messages.Add({{"type", t}}), nullptr};
  }).count->Increment();
}

void tool_call(const std::string& tool, const char* outcome, double seconds) {
  const auto t = clamp(tool, tools, "other");
  const bool timed = std::string{outcome} != "replayed";
  auto& s = cached("t\n" + t + "\n" + outcome, [&] {
    auto& f = the();
    return series_pair{&f.tool_calls.Add({{"tool", t}, {"outcome", outcome}}),
                       timed ? &f.tool_duration.Add({{"tool", t}}, latency_buckets()) : nullptr};
  });
  s.count->Increment();
  if (s.duration) s.duration->Observe(seconds);
}

live_token::live_token(live what) : what_(what) { gauge_of(what_).Increment(); }
live_token::~live_token() { gauge_of(what_).Decrement(); }
double live_count(live what) { return gauge_of(what).Value(); }

void event_subscriber_dropped() { the().event_drops.Increment(); }
double event_subscribers_dropped() { return the().event_drops.Value(); }

void db_queue_depth(std::size_t waiting) { the().db_queue.Set(static_cast<double>(waiting)); }
void db_job(double seconds) { the().db_job.Observe(seconds); }

void write_behind_records(std::int64_t records) {
  the().write_behind.Set(static_cast<double>(records));
}
void write_behind_wait(bool placed) {
  static prometheus::Counter& placed_ = the().write_behind_waits.Add({{"outcome", "placed"}});
  static prometheus::Counter& timed_out = the().write_behind_waits.Add({{"outcome", "timed_out"}});
  (placed ? placed_ : timed_out).Increment();
}

void provider_request(const char* provider, const char* outcome) {
  the().provider_requests.Add({{"provider", provider}, {"outcome", outcome}}).Increment();
}

void breaker_state(const std::string& org_id, const char* provider, int state) {
  the().breaker.Add({{"org_id", org_id}, {"provider", provider}}).Set(state);
}

void sms(const std::string& outcome) {
  the().sms.Add({{"outcome", clamp(outcome, std::array<const char*, 3>{"sent", "failed",
                                                                        "refused"},
                                   "failed")}})
      .Increment();
}

void call_scored(const std::string& tier) {
  the().scored.Add({{"tier", clamp(tier, std::array<const char*, 3>{"hot", "warm", "cold"}, "cold")}})
      .Increment();
}

void outbox_message(const char* outcome) {
  the().outbox.Add({{"outcome", clamp(outcome, std::array<const char*, 3>{"sent", "refused",
                                                                           "uncertain"},
                                      "uncertain")}})
      .Increment();
}

void input_rejection(const char* reason) {
  the().rejections.Add({{"reason", reason}}).Increment();
}

std::string render() { return prometheus::TextSerializer{}.Serialize(the().registry->Collect()); }

struct endpoint::impl {
  std::unique_ptr<prometheus::Exposer> exposer;
};

endpoint::endpoint(const std::string& host_port) : impl_(std::make_unique<impl>()) {
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(host_port, 2);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + host_port + ": " + e.what());
  }
  impl_->exposer->RegisterCollectable(the().registry);
}

endpoint::~endpoint() = default;

int endpoint::port() const {
  auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? -1 : ports.front();
}

}  // namespace rm::metrics
