#include "actors/call_events.hpp"

#include <cctype>

namespace rm::actors {

std::string last4_digits(const std::string& phone) {
  std::string digits;
  for (char c : phone)
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  return digits.size() <= 4 ? digits : digits.substr(digits.size() - 4);
}

bool event_queue::push(numbered_call_event e) {
  {
    std::lock_guard<std::mutex> g{m_};
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(e));
  }
  cv_.notify_all();
  return true;
}

void event_queue::overflow() {
  {
    std::lock_guard<std::mutex> g{m_};
    if (closed_) return;
    closed_ = true;
    overflowed_ = true;
  }
  cv_.notify_all();
}

void event_queue::close() {
  {
    std::lock_guard<std::mutex> g{m_};
    closed_ = true;
  }
  cv_.notify_all();
}

bool event_queue::closed() const {
  std::lock_guard<std::mutex> g{m_};
  return closed_;
}

event_queue::batch event_queue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{m_};
  cv_.wait_for(lock, timeout, [this] { return closed_ || !items_.empty(); });
  batch out;
  out.events.assign(std::make_move_iterator(items_.begin()),
                    std::make_move_iterator(items_.end()));
  items_.clear();
  out.closed = closed_;
  out.overflowed = overflowed_;
  return out;
}

}  // namespace rm::actors
