// A circuit breaker for one tenant's calls to one provider (issue 4 §6): pure rules, time given by
// the caller (a steady clock's instants), no I/O, no threads.
//
//   closed ──(failure_threshold counted failures within `window`)──▶ open
//   open ──(cool_off elapsed; the next request is let through as the probe)──▶ half_open
//   half_open ──probe succeeds──▶ closed      half_open ──probe fails──▶ open (a new cool-off)
//
// "Counted" failures are the ones that say the provider is unwell (transport, 429, 5xx); a 4xx
// about the request itself is a success for the breaker (the provider answered). While open,
// requests are refused without being attempted, with the time left of the cool-off; while the
// half-open probe is out, other requests are refused too (one probe at a time).
#pragma once

#include <chrono>
#include <deque>

namespace rm::domain {

struct breaker_settings {
  int failure_threshold = 5;                   // counted failures within `window` that open it
  std::chrono::milliseconds window{60000};     // sliding window for counting failures
  std::chrono::milliseconds cool_off{30000};   // how long it stays open before a probe
};

enum class breaker_state { closed, open, half_open };
const char* to_string(breaker_state s);  // "closed" | "open" | "half_open"

class circuit_breaker {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  explicit circuit_breaker(breaker_settings settings = {});

  struct admission {
    bool allowed = false;
    bool probe = false;  // allowed as the half-open probe
    std::chrono::milliseconds retry_after{0};  // when refused: time left until a probe may go
  };
  // May a request start at `now`? An open breaker whose cool-off has elapsed turns half-open and
  // admits this request as its probe.
  admission admit(time_point now);

  // The outcome of an admitted request, reported when it finished at `now`.
  void on_success(time_point now);  // the provider answered: closes a half-open breaker
  void on_failure(time_point now);  // a counted failure: may open it (or re-open a half-open one)
  // The request ended without saying anything about the provider (e.g. it threw before any
  // I/O): releases the probe slot without changing the state.
  void on_neutral(time_point now);

  // The state as seen at `now` (an open breaker whose cool-off has passed reads half_open: the
  // next request will be the probe).
  breaker_state state(time_point now) const;
  // Counted failures within the window ending at `now` (while closed), or those that opened it.
  int recent_failures(time_point now) const;
  // When the current cool-off ends (meaningful while open).
  time_point open_until() const { return open_until_; }
  const breaker_settings& settings() const { return settings_; }

 private:
  void trip(time_point now);
  void forget_before(time_point now);

  breaker_settings settings_;
  breaker_state state_ = breaker_state::closed;
  std::deque<time_point> failures_;  // counted failures, oldest first (closed state)
  int failures_when_opened_ = 0;
  time_point open_until_{};
  bool probe_out_ = false;
};

}  // namespace rm::domain
