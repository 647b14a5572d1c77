#include "actors/read_backlog.hpp"

namespace rm::actors {

bool read_backlog::acquire(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> g{m_};
  if (!freed_.wait_for(g, wait, [this] { return count_ < limit_; })) return false;
  ++count_;
  return true;
}

void read_backlog::release() {
  {
    std::lock_guard<std::mutex> g{m_};
    --count_;
  }
  freed_.notify_one();
}

std::int64_t read_backlog::size() const {
  std::lock_guard<std::mutex> g{m_};
  return count_;
}

}  // namespace rm::actors
