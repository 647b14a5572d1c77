// The HTTP front door: Vapi webhooks, the legacy tool endpoints, the operator and inspection API,
// health checks. Handlers run on worker threads and talk to the actors through actors::service
// (no CAF here). Connections wait in epoll until a whole request has arrived
// (connection_reactor.hpp), so idle or slowly sending clients never hold a worker: with 512 idle
// connections open a webhook is still answered at once (tests/tenant_api/test_idle_connections.cpp,
// bench/idle-connections.sh). A connection idle for 5 s between requests is closed, and so is one
// whose request is not complete 10 s after its first byte. Every response carries X-Request-Id;
// every error body is {"error":{"code":"snake_case","message":"…"}} (docs/api.md lists every
// route).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/http/client_address.hpp"
#include "adapters/http/jwt.hpp"
#include "adapters/vapi/webhook_auth.hpp"

namespace rm::actors {
class service;
class verification_service;
class number_service;
}

namespace rm::http {

struct server_options {
  std::string operator_token;          // Bearer token for /ops/* and /sessions/*
  std::string service_token;           // Bearer token for service-to-service lookups
  jwt_settings jwt;                    // tenant API tokens (/api/*)
  vapi::webhook_auth_settings vapi_auth;  // deployment-wide Vapi webhook authentication
  std::string twilio_auth_token;       // platform Twilio token (fallback for signatures)
  std::string public_url;              // public base URL (Twilio signs the URL it called)
  std::size_t max_body_bytes = 1 << 20;  // larger bodies → 413
  // Threads that run handlers (each may wait on the actors); they only ever get whole requests.
  std::size_t worker_threads = 32;
  // Niceness added to those threads (RINGMASTER_HTTP_NICE, 0–19, default 5): under overload the
  // threads that take new requests yield the CPU to the ones that finish accepted work, the
  // actors, the database workers and a PostgreSQL on the same machine. Without it, on 2 cores,
  // 32 busy workers starved the tool log's writer until its backlog (16,384 reads) was full and
  // every worker stopped for up to a second (bench/README.md, issue 13's fourth round).
  int worker_nice = 5;
  // Live event streams (GET /sessions/events, GET /api/events; adapters/http/event_routes.cpp).
  // An open stream holds one worker thread for its whole life, so the pool gets
  // event_streams_max threads MORE than worker_threads and at most event_streams_max streams
  // are open at once (the next one gets 503 too_many_streams): streams can never take the
  // threads webhooks need. RINGMASTER_EVENT_STREAMS_MAX (default 32; 0 = streams off).
  std::size_t event_streams_max = 32;
  // A comment line `: keepalive` after this much silence (RINGMASTER_EVENT_KEEPALIVE_MS).
  std::chrono::milliseconds event_keepalive{15000};
  // A stream ends after this long (the client reconnects and authenticates again; a revoked or
  // expired token stops there). RINGMASTER_EVENT_STREAM_MAX_SECONDS (default 3600).
  std::chrono::milliseconds event_stream_max_age{std::chrono::hours(1)};
  // Events a stream may have queued, unsent; a client reading slower is dropped with
  // `event: overflow` (actors/call_events.hpp). RINGMASTER_EVENT_QUEUE_MAX (default 256).
  std::size_t event_queue_max = 256;
  // RINGMASTER_TRUSTED_PROXIES: peers whose X-Forwarded-For names the client that the
  // failed-authentication throttle counts under (client_address.hpp); empty = the TCP peer.
  http::trusted_proxies trusted_proxies;
  // Caller-ID verification (/api/telephony/*); those routes answer 503 when null.
  actors::verification_service* verification = nullptr;
  // The number lifecycle (/api/phone-numbers*); those routes answer 503 when null.
  actors::number_service* numbers = nullptr;
  // The agent saga's automatic retries (actors/agent_provisioning.hpp): a failed creation is
  // retried after backoff × 2^(attempts-1) while attempts < agent_max_attempts.
  std::chrono::milliseconds agent_retry_backoff{std::chrono::seconds(30)};
  int agent_max_attempts = 3;
};

// How a route authenticates its caller (docs/security.md).
enum class route_auth {
  tenant,          // a tenant user's JWT (/api/*), at least the route's min_role
  service,         // RINGMASTER_SERVICE_TOKEN (service-to-service lookups)
  operator_token,  // RINGMASTER_OPERATOR_TOKEN (/ops/*, /sessions/*)
  vapi,            // the deployment's Vapi webhook credentials
  twilio,          // X-Twilio-Signature with the tenant's auth token
  none,            // no credentials (health checks)
};
const char* to_string(route_auth auth);

// One route as registered on the server (add_route in adapters/http/routes.hpp).
struct registered_route {
  std::string method;   // "GET" | "POST" | "PATCH" | "DELETE"
  std::string path;     // as documented, with {name} placeholders: "/api/calls/{id}"
  std::string pattern;  // the regular expression httplib matches: "/api/calls/([^/]+)"
  route_auth auth = route_auth::none;
  std::string min_role;  // tenant routes: "member" (any user) or "admin"; "" otherwise
};

// A route path as documented and counted: each "{name:regex}" shortened to "{name}"
// ("/x/{org_id:[0-9a-fA-F-]{36}}" → "/x/{org_id}"). The name docs/openapi.yaml gives the path and
// the route label of the HTTP metrics. Throws std::logic_error for a malformed path (the same
// check as add_route's). Implemented with pattern_of in route_registry.cpp (one path scanner).
std::string route_template(const std::string& path);

// Counters exposed in logs and tests.
struct server_counters {
  std::atomic<std::uint64_t> unknown_number{0};  // webhooks/tools for numbers of no tenant
  std::atomic<std::uint64_t> bad_request{0};
  std::atomic<std::uint64_t> unauthorized{0};

  // Rejected authentications by reason ("operator:missing", "jwt:expired", "vapi:mismatch", …).
  void count_auth_failure(const std::string& reason) {
    std::lock_guard<std::mutex> g{m_};
    ++auth_failures_[reason];
    ++unauthorized;
  }
  std::map<std::string, std::uint64_t> auth_failures() const {
    std::lock_guard<std::mutex> g{m_};
    return auth_failures_;
  }

 private:
  mutable std::mutex m_;
  std::map<std::string, std::uint64_t> auth_failures_;
};

class server {
 public:
  server(actors::service& service, server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds host:port (port 0 = ephemeral); returns the bound port or -1.
  int bind(const std::string& host, int port);
  // Serves until stop() (blocking; call from its own thread).
  bool listen();
  void stop();
  const server_counters& counters() const;
  // Every route, in registration order (tests/tenant_api enumerates them).
  std::vector<registered_route> routes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace rm::http
