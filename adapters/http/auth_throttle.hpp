// Failed-authentication limiter, per client address: more than `max_failures` failures within a
// sliding `window` block that address until enough of them have aged out of the window.
// Defaults: more than 20 failures in 60 s. Only failures count; successes neither add nor reset,
// so a client cannot interleave one good token to keep guessing.
//
// Thread-safe (one mutex; every operation is O(1) amortised except an occasional sweep).
// Memory is bounded: an address keeps at most max_failures + 1 timestamps, addresses with no
// failure inside the window are swept, and at most `max_addresses` are tracked. When the table is
// full of live addresses, new addresses are not tracked (they pass) rather than evicting
// tracked ones: evicting would let an attacker unblock itself by failing from many other
// addresses, whereas an attacker with that many addresses is beyond a per-address limit anyway.
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
  std::size_t max_addresses = 100'000;
};

class auth_throttle {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  using settings = auth_throttle_settings;

  explicit auth_throttle(settings s = {}, clock_fn now = std::chrono::steady_clock::now);

  // True when `addr` is blocked now; then *retry_after_s (if given) is the whole number of
  // seconds, at least 1, until one more attempt would be allowed. Otherwise *retry_after_s = 0.
  bool blocked(const std::string& addr, int* retry_after_s);

  // Counts one failed authentication from `addr` (an IP address as text; any key works).
  void record_failure(const std::string& addr);

  // Number of addresses currently tracked (for tests and metrics).
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
