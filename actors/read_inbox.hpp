// Reads answered by HTTP workers (answered_reads, service::run_tools) on their way to the call
// registry, which sends each on to its call actor. A worker appends under a mutex and rings the
// registry (one CAF message) only when the inbox was empty; the registry takes everything
// waiting at once. Under load many reads then share one message and one wake-up of a scheduler
// thread instead of costing one each: handing a read to the actors cost about as much machine
// time as answering it (issue 13, eighth round: bench/README.md). No CAF here.
//
// A ring can be lost when the registry is replaced between a worker's append and its send (the
// supervisor restarts it): the registry also takes what is waiting when it starts and once per
// read_inbox_sweep, so nothing stays in the inbox longer than that.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "actors/messages.hpp"

namespace rm::actors {

inline constexpr std::chrono::seconds read_inbox_sweep{1};

class read_inbox {
 public:
  // Appends `reads`; true when the inbox was empty, so the caller must ring the registry.
  bool put(answered_reads reads) {
    std::lock_guard<std::mutex> g{m_};
    items_.push_back(std::move(reads));
    return items_.size() == 1;
  }
  // Everything waiting, in arrival order (so a call's reads keep their order); empty after.
  std::vector<answered_reads> take() {
    std::vector<answered_reads> out;
    std::lock_guard<std::mutex> g{m_};
    out.swap(items_);
    return out;
  }
  bool empty() const {
    std::lock_guard<std::mutex> g{m_};
    return items_.empty();
  }

 private:
  mutable std::mutex m_;
  std::vector<answered_reads> items_;
};

}  // namespace rm::actors
