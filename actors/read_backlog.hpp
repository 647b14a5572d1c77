// The records of reads answered by HTTP workers that the call actors have not handed on yet
// (answered_reads::pending). Bounded, so that write-behind never runs away from the answers:
// at `limit` a worker waits (up to a given time) for a record to be handed on before it answers
// the next read, which spreads the wait evenly over the reads instead of sending some of them
// the long way (through the actors, behind a new call's journal load). No CAF here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rm::actors {

class read_backlog {
 public:
  explicit read_backlog(std::int64_t limit) : limit_(limit) {}
  // Takes a place for one record: true at once below the limit, else after a place freed up
  // within `wait`; false when none did (the caller then takes the actor path and waits there).
  bool acquire(std::chrono::milliseconds wait);
  // A record was handed on (or dropped): frees its place and wakes one waiting worker.
  void release();
  std::int64_t size() const;

 private:
  const std::int64_t limit_;
  mutable std::mutex m_;
  std::condition_variable freed_;
  std::int64_t count_ = 0;
};

}  // namespace rm::actors
