#include "domain/circuit_breaker.hpp"

#include <algorithm>

namespace rm::domain {

const char* to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "closed";
}

circuit_breaker::circuit_breaker(breaker_settings settings) : settings_(settings) {
  settings_.failure_threshold = std::max(1, settings_.failure_threshold);
  if (settings_.window.count() < 1) settings_.window = std::chrono::milliseconds(1);
  if (settings_.cool_off.count() < 0) settings_.cool_off = std::chrono::milliseconds(0);
}

void circuit_breaker::forget_before(time_point now) {
  while (!failures_.empty() && now - failures_.front() >= settings_.window) failures_.pop_front();
}

void circuit_breaker::trip(time_point now) {
  state_ = breaker_state::open;
  open_until_ = now + settings_.cool_off;
  failures_when_opened_ = std::max<int>(failures_when_opened_, static_cast<int>(failures_.size()));
  failures_.clear();
  probe_out_ = false;
}

circuit_breaker::admission circuit_breaker::admit(time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  switch (state_) {
    case breaker_state::closed:
      return {true, false, milliseconds(0)};
    case breaker_state::open:
      if (now < open_until_) return {false, false, duration_cast<milliseconds>(open_until_ - now)};
      state_ = breaker_state::half_open;
      probe_out_ = true;
      return {true, true, milliseconds(0)};
    case breaker_state::half_open:
      if (!probe_out_) {
        probe_out_ = true;
        return {true, true, milliseconds(0)};
      }
      // One probe at a time; ask the others to come back after a short while.
      return {false, false, std::min<milliseconds>(settings_.cool_off, milliseconds(1000))};
  }
  return {true, false, milliseconds(0)};
}

void circuit_breaker::on_success(time_point) {
  if (state_ == breaker_state::half_open) {
    state_ = breaker_state::closed;
    failures_.clear();
    failures_when_opened_ = 0;
    probe_out_ = false;
  }
  // While closed, a success does not erase recent failures: intermittent failures that reach
  // the threshold within the window still open the breaker. While open, a late success of a
  // request admitted before it opened changes nothing: the cool-off runs its course.
}

void circuit_breaker::on_failure(time_point now) {
  switch (state_) {
    case breaker_state::closed:
      failures_.push_back(now);
      forget_before(now);
      if (static_cast<int>(failures_.size()) >= settings_.failure_threshold) {
        failures_when_opened_ = 0;
        trip(now);
      }
      break;
    case breaker_state::half_open:
      // The probe (or a late request) failed: the provider is still unwell.
      failures_when_opened_ += 1;
      trip(now);
      break;
    case breaker_state::open:
      break;  // a late failure of a request admitted before it opened
  }
}

void circuit_breaker::on_neutral(time_point) {
  if (state_ == breaker_state::half_open) probe_out_ = false;
}

breaker_state circuit_breaker::state(time_point now) const {
  if (state_ == breaker_state::open && now >= open_until_) return breaker_state::half_open;
  return state_;
}

int circuit_breaker::recent_failures(time_point now) const {
  if (state_ != breaker_state::closed) return failures_when_opened_;
  int n = 0;
  for (auto t : failures_)
    if (now - t < settings_.window) ++n;
  return n;
}

}  // namespace rm::domain
