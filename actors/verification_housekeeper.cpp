// The verification housekeeper (actors/verification_interfaces.hpp): every sweep_interval (and on
// demand, vsweep_atom) it expires pending rows whose time has passed and deletes old rows it is
// free to delete (persistence::verification_housekeeping). It keeps no state but its timer: a
// restart by the root supervisor simply starts the timer again.
#include <functional>

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/db_call.hpp"
#include "actors/verification_detail.hpp"

namespace rm::actors {

namespace {

verification_housekeeper_actor::behavior_type housekeeper_behavior(
    verification_housekeeper_actor::pointer self, wiring_ptr w, verification_config cfg) {
  self->delayed_send(self, cfg.sweep_interval, vtick_atom::value);
  auto sweep = [self, w, cfg](std::function<void(caf::expected<sweep_result>)> cont) {
    auto now = vdetail::epoch(w->now());
    auto retention = cfg.limits.retention.count();
    db_then<sweep_result>(
        self, *w,
        [=](pqxx::connection& c) {
          pqxx::work tx{c};
          auto n = persistence::verification_housekeeping(tx, now, retention);
          tx.commit();
          return sweep_result{n.expired, n.deleted};
        },
        std::move(cont));
  };
  return {
      [=](vsweep_atom) -> caf::result<sweep_result> {
        auto rp = self->make_response_promise<sweep_result>();
        sweep([rp](caf::expected<sweep_result> r) mutable {
          if (r)
            rp.deliver(std::move(*r));
          else
            rp.deliver(std::move(r.error()));
        });
        return rp;
      },
      [=](vtick_atom) {
        sweep([](caf::expected<sweep_result> r) {
          if (!r)
            spdlog::warn("verification housekeeping failed: {}", describe(r.error()));
          else if (r->expired || r->deleted)
            spdlog::info("verification housekeeping: {} expired, {} deleted", r->expired,
                         r->deleted);
        });
        self->delayed_send(self, cfg.sweep_interval, vtick_atom::value);
      },
  };
}

}  // namespace

verification_housekeeper_actor spawn_verification_housekeeper(caf::actor_system& sys,
                                                              wiring_ptr w,
                                                              verification_config cfg) {
  return sys.spawn(housekeeper_behavior, std::move(w), std::move(cfg));
}

}  // namespace rm::actors
