// Live call events (issue 15 "Live updates"): what a call actor tells the event hub after each
// committed change of a call, and the bounded queue through which the hub hands events to one
// subscriber (an open SSE stream: GET /sessions/events, GET /api/events). No CAF here: the HTTP
// layer reads the queue from its own thread (adapters/http/event_routes.cpp), the hub
// (actors/event_hub_interfaces.hpp) fills it.
//
// Contract (../CONSOLE-SSE-CONTRACT.md, docs/api.md "Live events"):
//  - A call actor publishes `call_changed` when its call first appears (its first stored event)
//    and on every change of state, outcome or ended reason, always AFTER the transaction that
//    made the change committed, so a stream never shows a state the database does not have.
//  - The hub numbers events with one sequence per process (strictly increasing, also across a
//    restart of the hub) and copies each to every subscriber whose org filter matches.
//  - A subscriber's queue holds at most `capacity` events. When the hub finds it full, the
//    subscriber is DROPPED: the queue is closed as overflowed (the stream sends what it still
//    holds, then `event: overflow` and ends; the client reconnects and re-reads the list). The
//    hub and the calls never wait for a reader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rm::actors {

// One committed change of a call, as the streams show it (no full caller number, no transcript).
struct call_changed {
  std::string call_id;       // our call id (calls.id, as in /api/calls and /sessions/calls)
  std::string org_id;        // the tenant the call belongs to
  std::string state;         // domain::to_string(call_state): "ringing", "in-progress", …
  std::string outcome;       // "" | "booked" | "lost" (set once reported)
  std::string caller_last4;  // the last four digits of the caller's number ("" when none)
  std::string ended_reason;  // "" while the call has not ended
  std::int64_t started_at_ms = 0;  // first in-progress (epoch ms; 0 = not started)
  std::int64_t updated_at_ms = 0;  // when the change was committed (epoch ms, wiring::now)
};

// The last (up to) four digits of a phone number: "+14155550177" → "0177"; "" without digits.
std::string last4_digits(const std::string& phone);

// An event with its sequence number (SSE `id:`).
struct numbered_call_event {
  std::uint64_t seq = 0;
  call_changed change;
};

// A bounded, thread-safe queue from the hub (producer) to one stream (consumer).
class event_queue {
 public:
  explicit event_queue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Producer: appends `e`. False when the queue is full (nothing appended: the hub then drops
  // this subscriber with overflow()) or closed. Never blocks on the consumer.
  bool push(numbered_call_event e);
  // Producer: the subscriber was dropped for being full; the consumer reads what is queued, then
  // sees `overflowed`.
  void overflow();
  // Either side: no more events (the stream ended, the hub or the server is stopping).
  void close();
  bool closed() const;

  struct batch {
    std::vector<numbered_call_event> events;  // in sequence order
    bool closed = false;      // nothing more will come (after `events`)
    bool overflowed = false;  // closed because the subscriber fell behind (closed is true too)
  };
  // Consumer: waits up to `timeout` for events or the close, and takes everything queued.
  // Empty and not closed = the timeout passed (time for a keep-alive).
  batch wait(std::chrono::milliseconds timeout);

  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<numbered_call_event> items_;
  bool closed_ = false;
  bool overflowed_ = false;
};

// One stream's registration with the hub, held by the stream: destroying it closes the queue
// and unsubscribes (`on_end`, which must be safe to call from any thread).
class call_subscription {
 public:
  call_subscription(std::shared_ptr<event_queue> queue, std::function<void()> on_end)
      : queue_(std::move(queue)), on_end_(std::move(on_end)) {}
  ~call_subscription() {
    queue_->close();
    if (on_end_) on_end_();
  }
  call_subscription(const call_subscription&) = delete;
  call_subscription& operator=(const call_subscription&) = delete;

  event_queue& queue() { return *queue_; }
  const std::shared_ptr<event_queue>& shared_queue() const { return queue_; }

 private:
  std::shared_ptr<event_queue> queue_;
  std::function<void()> on_end_;
};

}  // namespace rm::actors
