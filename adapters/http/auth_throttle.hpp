// Failed-authentication limiter, per key: more than `max_failures` failures within a sliding
// `window` block that key until enough of them have aged out of the window.
// Defaults: more than 20 failures in 60 s. Only failures count; successes neither add nor reset,
// so a client cannot interleave one good token to keep guessing.
//
// How the HTTP server uses it (adapters/http/server.cpp, docs/security.md): the credential is
// always verified first (every check is cheap: constant-time compares, HMAC-SHA256, a JWT
// signature), and a request whose credential verifies is never answered 429. Only a failed
// credential is counted, and it is answered 429 with Retry-After instead of 401 while its key is
// blocked. Keys are "<kind>@<client>": kind is operator, service, jwt or vapi; client is the
// client address (client_address.hpp: the TCP peer, or X-Forwarded-For behind a trusted proxy),
// and for a Vapi webhook whose routing keys name a tenant it is "tenant:<org_id>" instead, since
// every clinic's webhooks come from Vapi's shared addresses. So failures of one kind, one address
// or one clinic never throttle another, and nobody can make valid calls fail by failing first.
//
// Thread-safe (one mutex; every operation is O(1) amortised except an occasional sweep).
// Memory is bounded: a key keeps at most max_failures + 1 timestamps, keys with no failure inside
// the window are swept, and at most `max_addresses` keys are tracked. When the table is full of
// live keys, new keys are not tracked (they are answered 401, never 429) rather than evicting
// tracked ones: evicting would let an attacker unblock itself by failing under many other keys,
// whereas an attacker with that many addresses is beyond a per-address limit anyway.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rm::http {

// Outside the class: GCC cannot use a nested struct's default member initializers in a default
// argument of the enclosing class.
struct auth_throttle_settings {
  int max_failures = 20;  // blocked once the failures inside the window exceed this
  std::chrono::seconds window{60};
  std::size_t max_addresses = 100'000;  // keys tracked at most
};

class auth_throttle {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  using settings = auth_throttle_settings;

  explicit auth_throttle(settings s = {}, clock_fn now = std::chrono::steady_clock::now);

  // True when `key` is blocked now; then *retry_after_s (if given) is the whole number of
  // seconds, at least 1, until one more attempt would be allowed. Otherwise *retry_after_s = 0.
  bool blocked(const std::string& key, int* retry_after_s);

  // Counts one failed authentication under `key` (any string; see above for the server's keys).
  void record_failure(const std::string& key);

  // Number of keys currently tracked (for tests and metrics).
  std::size_t tracked() const;

 private:
  using time_point = std::chrono::steady_clock::time_point;
  void drop_expired(std::deque<time_point>& failures, time_point now) const;
  void sweep(time_point now);

  const settings settings_;
  const clock_fn now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<time_point>> failures_;  // oldest first
  std::size_t records_since_sweep_ = 0;
};

}  // namespace rm::http
