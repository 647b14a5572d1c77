// Prometheus metrics of ringmaster (issue 14 §1): a facade of plain functions over one
// process-wide prometheus-cpp registry, so actors, routes and the database pool record what
// happened without including prometheus-cpp or CAF here. Every function is thread-safe and
// cheap (a label lookup under prometheus-cpp's family mutex, then an atomic update).
//
// Labels carry nothing that identifies a tenant or a caller, except `org_id` on the circuit
// breaker gauge (one series per tenant and provider, which an operator needs to see which
// clinic's provider is paused). Label values that come from requests are clamped to a fixed
// set (see each function), so a client cannot create series at will.
//
// Exposition: serve() starts prometheus-cpp's exposer (civetweb) on its own address
// (RINGMASTER_METRICS_LISTEN), never on the public HTTP server; render() gives the same text for
// tests. The metric names and labels are listed in docs/operations.md "Metrics".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace rm::metrics {

// ---- HTTP (public server) ----------------------------------------------------------------------
// One finished request: `route` is the registered route's documented template
// ("/api/calls/{call_id}") or "unmatched" when no route took it; `method` outside
// GET/POST/PUT/PATCH/DELETE counts as "other". Counts ringmaster_http_requests_total
// {method,route,status} and observes ringmaster_http_request_duration_seconds{method,route}.
void http_request(const std::string& method, const std::string& route, int status,
                  double seconds);

// ---- Vapi webhooks -----------------------------------------------------------------------------
// One authenticated, parsed Vapi server message: ringmaster_vapi_messages_total{type}. Types
// outside Vapi's documented set count as "other".
void vapi_message(const std::string& type);

// ---- tools -------------------------------------------------------------------------------------
// One tool call answered by a call actor: ringmaster_tool_calls_total{tool,outcome} and
// ringmaster_tool_call_duration_seconds{tool}. `tool` outside check_availability, reserve_slot,
// book_appointment, send_sms counts as "other"; outcome is "ok", "error" or "replayed" (a
// retried toolCallId answered from the stored result; no latency observed for those).
void tool_call(const std::string& tool, const char* outcome, double seconds);

// ---- live actors (gauges) ----------------------------------------------------------------------
enum class live { calls, tenants, verification_sessions, event_streams };
// Held by an actor's state (or an open event stream): +1 on construction, -1 on destruction, so
// the gauge follows what exists whatever ends it (quit, crash, shutdown, client gone).
// ringmaster_live_call_actors, ringmaster_live_tenant_actors, ringmaster_open_verification_sessions,
// ringmaster_event_streams_open (GET /sessions/events and /api/events streams being served).
class live_token {
 public:
  explicit live_token(live what);
  ~live_token();
  live_token(const live_token&) = delete;
  live_token& operator=(const live_token&) = delete;

 private:
  live what_;
};
double live_count(live what);  // the gauge's value (tests)

// ---- live event streams -----------------------------------------------------------------------
// A stream's subscriber dropped by the event hub because its bounded queue was full (a client
// that reads too slowly; it gets `event: overflow` and the stream ends):
// ringmaster_event_subscribers_dropped_total.
void event_subscriber_dropped();
double event_subscribers_dropped();  // the counter's value (tests)

// ---- database pool -----------------------------------------------------------------------------
// Jobs waiting for a connection right now: ringmaster_db_pool_queue_depth.
void db_queue_depth(std::size_t waiting);
// One job on a database worker, from start to end (queueing excluded; seconds):
// ringmaster_db_job_duration_seconds.
void db_job(double seconds);

// ---- write-behind records (issue 13 §2) -------------------------------------------------------
// Reads answered on an HTTP worker whose record is not committed yet (the bounded backlog of
// actors::read_backlog): ringmaster_write_behind_records. Near its limit the records are behind
// and reads start to wait.
void write_behind_records(std::int64_t records);
// A read that found the backlog full and waited for a place: ringmaster_write_behind_waits_total
// {outcome}, outcome "placed" (a place freed up in time) or "timed_out" (none did; the read took
// the actor path).
void write_behind_wait(bool placed);

// ---- providers ---------------------------------------------------------------------------------
// One request through the provider gate: ringmaster_provider_requests_total{provider,outcome};
// provider "twilio" | "vapi"; outcome "ok" (answered), "failed" (transport error, 429 or 5xx:
// counted by the breaker), "error" (the worker threw) or "rejected" (breaker open, not sent).
void provider_request(const char* provider, const char* outcome);
// A breaker's state after each request it let through (domain::breaker_state's values):
// ringmaster_circuit_breaker_state{org_id,provider} 0 closed, 1 open, 2 half-open.
void breaker_state(const std::string& org_id, const char* provider, int state);

// ---- SMS ---------------------------------------------------------------------------------------
// One send_sms attempt's end: ringmaster_sms_total{outcome}, outcome "sent" | "failed" |
// "refused" (anything else counts as "failed").
void sms(const std::string& outcome);

// ---- after the call (issue 11) -----------------------------------------------------------------
// One call scored (reported → scored, counted once: a repeated report scores nothing):
// ringmaster_calls_scored_total{tier}, tier "hot" | "warm" | "cold" (anything else "cold").
void call_scored(const std::string& tier);
// One message_outbox row settled by the outbox actor: ringmaster_outbox_messages_total{outcome},
// outcome "sent" (Twilio queued it), "refused" (Twilio answered without queueing it, or the
// breaker was open), "uncertain" (no answer: the next claim reconciles it against Twilio's
// Messages list); anything else counts as "uncertain".
void outbox_message(const char* outcome);

// ---- input hardening ---------------------------------------------------------------------------
// A request refused at the HTTP edge for its shape, before any handler logic:
// ringmaster_input_rejections_total{reason}, reason "depth" (JSON nested too deep), "size" (body
// over the limit, 413), "encoding" (not UTF-8, or NUL in text, path or query) or "syntax"
// (not JSON).
void input_rejection(const char* reason);

// ---- exposition --------------------------------------------------------------------------------
// The whole registry in the Prometheus text format (version 0.0.4).
std::string render();

// The metrics endpoint: GET /metrics on `host:port` (prometheus-cpp's civetweb exposer, its own
// two threads), until destroyed. Throws std::runtime_error naming the address when it cannot
// listen.
class endpoint {
 public:
  explicit endpoint(const std::string& host_port);
  ~endpoint();
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;
  int port() const;  // the bound port

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Measures from construction to destruction; `done` receives seconds.
template <class Done>
class stopwatch {
 public:
  explicit stopwatch(Done done) : done_(std::move(done)) {}
  ~stopwatch() {
    done_(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  stopwatch(const stopwatch&) = delete;
  stopwatch& operator=(const stopwatch&) = delete;

 private:
  Done done_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace rm::metrics
