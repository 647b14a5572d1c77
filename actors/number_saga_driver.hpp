// What the number sweeper actor (actors/number_interfaces.hpp) runs: the blocking steps of the
// number sagas over the provisioning_orders rows. No CAF here: actors::number_service implements
// it (actors/number_saga.hpp, with the database pool and the provider port) and publishes it in
// `wiring`; the sweeper (a detached actor, so the blocking calls never hold a scheduler thread)
// finds it there after every (re)start.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

namespace rm::actors {

class service;

struct sweep_counts {
  int orders = 0;         // open orders taken over and driven
  int vapi_cleanups = 0;  // Vapi copies of released numbers deleted
  // The earliest retry one of the driven orders asked for (its next_attempt_at); nullopt = none.
  std::optional<std::chrono::seconds> next_retry;
};

class number_saga_driver {
 public:
  virtual ~number_saga_driver() = default;
  // One pass over the database rows: every open order whose lease has ended and whose next
  // attempt is due is claimed (a new lease) and driven as far as it goes; then the Vapi copies of
  // released numbers still to delete. Blocking; failures of single orders are logged, not thrown.
  virtual sweep_counts sweep() = 0;
  // The period of the background pass; 0 = none (only at (re)start and on request).
  virtual std::chrono::milliseconds interval() const = 0;
};

// From a plain thread (number_sweeper.cpp implements these with CAF):
// Publishes `driver` (null: withdraws it) in the service's wiring and tells the number sweeper.
// `wait`: returns only after the sweeper's pass over the rows that follows (its counts), else at
// once ({}). Throws service_error when the sweeper does not answer within `timeout`.
sweep_counts attach_number_driver(service& svc, std::shared_ptr<number_saga_driver> driver,
                                  bool wait, std::chrono::milliseconds timeout);
// Asks the number sweeper for one pass now and waits for it (requests queue behind a running
// pass). Throws service_error when it does not answer within `timeout`.
sweep_counts sweep_by_actor(service& svc, std::chrono::milliseconds timeout);

}  // namespace rm::actors
