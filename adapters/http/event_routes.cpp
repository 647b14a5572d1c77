// Live events as Server-Sent Events (issue 15 "Live updates"; the contract is docs/api.md "Live
// events" and ../CONSOLE-SSE-CONTRACT.md):
//   GET /sessions/events  operator token: every tenant's calls
//   GET /api/events       tenant JWT (any role): only the token's tenant's calls
// Before streaming: 401 (no or bad credential), 403 (wrong role), 503 too_many_streams (the
// server's limit of open streams), 503 unavailable (the event hub did not answer); JSON bodies.
// Then `text/event-stream`: `event: ready` at once (sent only after the hub registered the
// stream, so a list read after it misses nothing), `event: call` per committed change, with the
// process's sequence number as `id:`, `: keepalive` after event_keepalive of silence, and
// `event: overflow` before the end when the stream fell event_queue_max events behind.
//
// Threads: an open stream holds one httplib worker (it blocks on its queue between writes). The
// server's pool has event_streams_max workers more than worker_threads and this file admits at
// most event_streams_max streams, so streams never take a webhook's worker
// (server_options::event_streams_max). A client that goes away is noticed at the next write (an
// event or a keep-alive), so a dead stream frees its slot within about two keep-alive periods; a
// stream also ends after event_stream_max_age and when the server stops.
#include <set>

#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/metrics/metrics.hpp"
#include "domain/calendar.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
using clock = std::chrono::steady_clock;

// The open streams: at most `max`, and each one's queue, to end them when the server stops.
struct stream_gate {
  explicit stream_gate(std::size_t max) : max(max) {}
  const std::size_t max;
  std::mutex m;
  std::size_t open = 0;
  bool stopping = false;
  std::set<std::shared_ptr<actors::event_queue>> queues;

  bool enter() {
    std::lock_guard<std::mutex> g{m};
    if (stopping || open >= max) return false;
    ++open;
    return true;
  }
  void leave() {
    std::lock_guard<std::mutex> g{m};
    --open;
  }
  // False when the server is stopping (the queue is closed at once).
  bool track(const std::shared_ptr<actors::event_queue>& q) {
    std::lock_guard<std::mutex> g{m};
    if (stopping) return false;
    queues.insert(q);
    return true;
  }
  void untrack(const std::shared_ptr<actors::event_queue>& q) {
    std::lock_guard<std::mutex> g{m};
    queues.erase(q);
  }
  void stop_all() {
    std::lock_guard<std::mutex> g{m};
    stopping = true;
    for (const auto& q : queues) q->close();
  }
};

std::string utc_of_ms(std::int64_t ms) { return domain::format_utc(ms / 1000); }

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// `event: call` (the contract's fields, plus "outcome": "booked" | "lost" | null).
std::string call_frame(const actors::numbered_call_event& e) {
  const auto& c = e.change;
  json data{{"call_id", c.call_id},
            {"org_id", c.org_id},
            {"state", c.state},
            {"outcome", or_null(c.outcome)},
            {"caller_last4", or_null(c.caller_last4)},
            {"started_at", c.started_at_ms > 0 ? json(utc_of_ms(c.started_at_ms)) : json(nullptr)},
            {"updated_at", utc_of_ms(c.updated_at_ms)},
            {"ended_reason", or_null(c.ended_reason)}};
  return "event: call\nid: " + std::to_string(e.seq) + "\ndata: " + data.dump() + "\n\n";
}

std::string now_utc() {
  return domain::format_utc(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
}

// One open stream: its subscription, its slot in the gate, the open-streams gauge.
struct stream {
  std::shared_ptr<stream_gate> gate;
  std::unique_ptr<actors::call_subscription> sub;
  metrics::live_token open{metrics::live::event_streams};
  std::chrono::milliseconds keepalive;
  clock::time_point ends_at;
  bool ready_sent = false;
  bool finished = false;

  ~stream() { end(); }
  void end() {
    if (!sub) return;
    gate->untrack(sub->shared_queue());
    sub.reset();  // closes the queue, unsubscribes
    gate->leave();
  }

  // httplib's content provider: called again and again on this worker until it finishes.
  bool provide(httplib::DataSink& sink) {
    if (finished || !sub) {
      sink.done();
      return true;
    }
    std::string out;
    if (!ready_sent) {
      ready_sent = true;
      out = "event: ready\ndata: " + json{{"at", now_utc()}}.dump() + "\n\n";
      return sink.write(out.data(), out.size());
    }
    const auto now = clock::now();
    if (now >= ends_at) {
      finished = true;
      sink.done();
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ends_at - now);
    auto batch = sub->queue().wait(std::min(keepalive, left));
    for (const auto& e : batch.events) out += call_frame(e);
    if (batch.overflowed)
      out += "event: overflow\ndata: " +
             json{{"message", "this stream fell behind and was dropped; reconnect"}}.dump() +
             "\n\n";
    if (out.empty() && !batch.closed && clock::now() < ends_at) out = ": keepalive\n\n";
    if (!out.empty() && !sink.write(out.data(), out.size())) return false;  // client gone
    if (batch.closed) {
      finished = true;
      sink.done();
    }
    return true;
  }
};

// Admits, subscribes and starts streaming `org_id`'s calls ("" = every tenant's).
void open_stream(context& ctx, const std::shared_ptr<stream_gate>& gate, httplib::Response& res,
                 const std::string& org_id) {
  if (!gate->enter()) {
    res.set_header("Retry-After", "5");
    return send_error(res, 503, "too_many_streams",
                      "the server's limit of " + std::to_string(gate->max) +
                          " open event streams is reached; retry later");
  }
  auto s = std::make_shared<stream>();
  s->gate = gate;
  s->keepalive = std::max(ctx.options.event_keepalive, std::chrono::milliseconds(10));
  s->ends_at = clock::now() + ctx.options.event_stream_max_age;
  try {
    s->sub = ctx.service.subscribe_calls(org_id, ctx.options.event_queue_max);
  } catch (...) {
    gate->leave();
    throw;  // the server's exception handler answers 503 unavailable
  }
  if (!gate->track(s->sub->shared_queue())) s->sub->queue().close();
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  // Exactly "text/event-stream" (SSE is UTF-8 by definition): httplib never compresses that
  // type, whereas any other text/* would be gzip-buffered for clients that accept gzip.
  res.set_chunked_content_provider(
      "text/event-stream",
      [s](std::size_t, httplib::DataSink& sink) {
        try {
          return s->provide(sink);
        } catch (const std::exception& e) {
          spdlog::warn("event stream ended by an error: {}", e.what());
          return false;
        }
      },
      [s](bool) { s->end(); });
}

}  // namespace

void add_event_routes(httplib::Server& srv, context& ctx) {
  auto gate = std::make_shared<stream_gate>(ctx.options.event_streams_max);
  ctx.owned.push_back(gate);
  ctx.stopping.push_back([gate] { gate->stop_all(); });
  add_route(srv, ctx, "GET", "/sessions/events", route_auth::operator_token,
            [&ctx, gate](const httplib::Request& req, httplib::Response& res) {
              if (!require_operator(req, res, ctx)) return;
              open_stream(ctx, gate, res, "");
            });
  add_tenant_route(srv, ctx, "GET", "/api/events", "member",
                   [gate](context& c, const httplib::Request&, httplib::Response& res,
                          const principal& who) { open_stream(c, gate, res, who.org_id); });
}

}  // namespace rm::http
