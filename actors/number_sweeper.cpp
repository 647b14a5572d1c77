// The number sweeper (actors/number_interfaces.hpp): the supervised actor that drives the number
// sagas' open orders. Detached, because a pass blocks on the database pool and the provider
// adapters (through the driver); its timers are delayed_send to itself.
#include <spdlog/spdlog.h>

#include <thread>

#include "actors/actors.hpp"

namespace rm::actors {

namespace {

struct sweeper_state {
  std::uint64_t pass = 0;  // passes run; a timer set after pass n carries n
  static inline const char* name = "number_sweeper";
};

using sweeper_ptr = number_sweeper_actor::stateful_pointer<sweeper_state>;

// One pass of the published driver (none: nothing to do), then the timer for the next one.
sweep_counts run_pass(sweeper_ptr self, const wiring_ptr& w) {
  auto driver = w->number_driver();  // kept alive for the pass (the service may withdraw it)
  if (!driver) return {};
  sweep_counts done;
  try {
    done = driver->sweep();
    if (done.orders > 0 || done.vapi_cleanups > 0)
      spdlog::info("numbers: sweep: {} order(s), {} Vapi cleanup(s)", done.orders,
                   done.vapi_cleanups);
  } catch (const std::exception& e) {
    spdlog::warn("numbers: sweep failed: {}", e.what());  // the next pass tries again
  }
  const auto pass = ++self->state.pass;
  std::chrono::milliseconds next = driver->interval();
  if (next.count() > 0) {
    if (done.next_retry)
      next = std::min<std::chrono::milliseconds>(next, std::max(std::chrono::seconds(1),
                                                                *done.next_retry));
    self->delayed_send(self, next, ntick_atom::value, pass);
  }
  return done;
}

}  // namespace

number_sweeper_actor spawn_number_sweeper(caf::actor_system& sys, std::shared_ptr<wiring> w) {
  auto fn = [w](sweeper_ptr self) -> number_sweeper_actor::behavior_type {
    // A detached actor's thread ends only once nothing holds the actor: drop wiring's handle
    // when it terminates (the supervisor publishes the successor's after this ran).
    std::weak_ptr<wiring> weak = w;
    self->attach_functor([weak, me = self->address()] {
      if (auto wp = weak.lock())
        if (wp->number_sweeper().address() == me) wp->set(number_sweeper_actor{});
    });
    // Rebuild from the rows at once, before any request is served: whatever a crash (of the
    // process or of the previous sweeper) left open is found by this first pass. (Detached: the
    // pass runs on the actor's own thread; requests queue behind it.)
    run_pass(self, w);
    return {
        [=](nsweep_atom) {
          auto d = run_pass(self, w);
          return caf::make_result(d.orders, d.vapi_cleanups);
        },
        [=](nattach_atom) {
          auto d = run_pass(self, w);
          return caf::make_result(d.orders, d.vapi_cleanups);
        },
        [=](ntick_atom, std::uint64_t pass) {
          if (pass == self->state.pass) run_pass(self, w);
        },
    };
  };
  return sys.spawn<caf::detached>(fn);
}

namespace {

number_sweeper_actor sweeper_of(service& svc) {
  auto w = svc.shared_wiring();
  // The supervisor publishes its children one after the other; service's constructor waited for
  // the others only.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!w->number_sweeper()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw service_error(ec::unavailable, "the number sweeper did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return w->number_sweeper();
}

template <class Atom>
sweep_counts ask_sweeper(service& svc, Atom atom, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{svc.system()};
  sweep_counts out;
  caf::error err;
  bool answered = false;
  self->request(sweeper_of(svc), timeout, atom)
      .receive(
          [&](int orders, int cleanups) {
            out.orders = orders;
            out.vapi_cleanups = cleanups;
            answered = true;
          },
          [&](caf::error& e) { err = e; });
  if (!answered)
    throw service_error(err == caf::sec::request_timeout ? ec::timeout : ec::unavailable,
                        "the number sweeper did not answer: " + svc.system().render(err));
  return out;
}

}  // namespace

sweep_counts attach_number_driver(service& svc, std::shared_ptr<number_saga_driver> driver,
                                  bool wait, std::chrono::milliseconds timeout) {
  svc.shared_wiring()->set(std::move(driver));
  if (wait) return ask_sweeper(svc, nattach_atom::value, timeout);
  caf::anon_send(sweeper_of(svc), nattach_atom::value);
  return {};
}

sweep_counts sweep_by_actor(service& svc, std::chrono::milliseconds timeout) {
  return ask_sweeper(svc, nsweep_atom::value, timeout);
}

}  // namespace rm::actors
