#include "adapters/http/auth_throttle.hpp"

#include <utility>

namespace rm::http {

namespace {
// Sweeping every few thousand failures keeps idle addresses from piling up between the rare
// times the table fills, at a cost spread thinly over those failures.
constexpr std::size_t sweep_every = 4096;
}  // namespace

auth_throttle::auth_throttle(settings s, clock_fn now) : settings_(s), now_(std::move(now)) {}

void auth_throttle::drop_expired(std::deque<time_point>& failures, time_point now) const {
  while (!failures.empty() && now - failures.front() >= settings_.window) failures.pop_front();
}

void auth_throttle::sweep(time_point now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    drop_expired(it->second, now);
    it = it->second.empty() ? failures_.erase(it) : std::next(it);
  }
  records_since_sweep_ = 0;
}

bool auth_throttle::blocked(const std::string& key, int* retry_after_s) {
  if (retry_after_s) *retry_after_s = 0;
  const time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = failures_.find(key);
  if (it == failures_.end()) return false;
  auto& failures = it->second;
  drop_expired(failures, now);
  if (failures.empty()) {
    failures_.erase(it);
    return false;
  }
  if (failures.size() <= static_cast<std::size_t>(settings_.max_failures)) return false;
  // Only the newest max_failures + 1 are kept, so the block lifts when the oldest kept one
  // leaves the window.
  if (retry_after_s) {
    const auto remaining = failures.front() + settings_.window - now;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(remaining).count();
    *retry_after_s = seconds < 1 ? 1 : static_cast<int>(seconds);
  }
  return true;
}

void auth_throttle::record_failure(const std::string& key) {
  const time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (++records_since_sweep_ >= sweep_every) sweep(now);
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    if (failures_.size() >= settings_.max_addresses) sweep(now);
    if (failures_.size() >= settings_.max_addresses) return;
    it = failures_.emplace(key, std::deque<time_point>{}).first;
  }
  auto& failures = it->second;
  drop_expired(failures, now);
  failures.push_back(now);
  const auto keep = static_cast<std::size_t>(settings_.max_failures) + 1;
  while (failures.size() > keep) failures.pop_front();
}

std::size_t auth_throttle::tracked() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_.size();
}

}  // namespace rm::http
