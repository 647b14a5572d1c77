#include "actors/read_backlog.hpp"

#include "adapters/metrics/metrics.hpp"

namespace rm::actors {

bool read_backlog::acquire(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> g{m_};
  if (count_ >= limit_) {
    const bool placed = freed_.wait_for(g, wait, [this] { return count_ < limit_; });
    metrics::write_behind_wait(placed);
    if (!placed) return false;
  }
  metrics::write_behind_records(++count_);
  return true;
}

void read_backlog::release() {
  {
    std::lock_guard<std::mutex> g{m_};
    metrics::write_behind_records(--count_);
  }
  freed_.notify_one();
}

std::int64_t read_backlog::size() const {
  std::lock_guard<std::mutex> g{m_};
  return count_;
}

}  // namespace rm::actors
