// The root supervisor: spawns the adapters, the journal, the directory, the call registry, the
// number sweeper, the agent provisioning saga, the tools sync of agents, the outbox, the event
// hub, the calendar notices listener
// and (when asked) the caller-ID verification registry and housekeeper, publishes their handles
// in `wiring`, and restarts whichever of them fails (one-for-one). A child that fails
// more than `max_restarts` times within a minute is not restarted again and the supervisor stops,
// which ends the service loudly instead of spinning.
#include <deque>
#include <set>

#include "actors/actors.hpp"

namespace rm::actors {

namespace {

enum class child_kind {
  db, gate, twilio, vapi, email, calendar, tool_log, journal, directory, calls, numbers, agents,
  tools_sync, verification_registry, verification_housekeeper, outbox, events, google, notices
};

struct supervisor_state {
  std::vector<std::pair<caf::actor_addr, child_kind>> live;
  std::set<caf::actor_addr> children;  // every child ever spawned (exit may trail down)
  std::deque<std::chrono::steady_clock::time_point> restarts;
  static inline const char* name = "root_supervisor";
};
using supervisor_ptr = caf::stateful_actor<supervisor_state>*;

constexpr std::size_t max_restarts = 10;

void start_child(supervisor_ptr self, const wiring_ptr& w, const supervisor_settings& s,
                 child_kind kind) {
  auto& sys = self->system();
  caf::actor_addr addr;
  auto adopt = [&](auto handle) {
    self->link_to(handle);
    self->monitor(handle);
    addr = handle.address();
    w->set(handle);
  };
  switch (kind) {
    case child_kind::db: adopt(spawn_db_pool(sys, s.database_url, s.db_workers, s.detached_db,
                                            s.runtime_role));
      break;
    case child_kind::gate: adopt(spawn_provider_gate(sys, w)); break;
    case child_kind::twilio: adopt(spawn_twilio(sys, s.twilio_base_url, w)); break;
    case child_kind::vapi: adopt(spawn_vapi(sys, w)); break;
    case child_kind::email: adopt(spawn_email(sys, w)); break;
    case child_kind::calendar: adopt(spawn_local_calendar(sys, w)); break;
    case child_kind::tool_log: adopt(spawn_tool_log(sys, w)); break;
    case child_kind::journal: adopt(spawn_journal(sys, w)); break;  // queued entries: failed
    case child_kind::directory: adopt(spawn_directory(sys, w)); break;
    case child_kind::calls:
      adopt(spawn_call_registry(sys, w));
      caf::anon_send(w->calls(), recover_atom::value);
      break;
    case child_kind::verification_registry:  // its sessions resume from verified_caller_ids
      adopt(spawn_verification_registry(sys, w, w->verification));
      caf::anon_send(w->verification_registry(), recover_atom::value);
      break;
    case child_kind::verification_housekeeper:  // restarts its timer
      adopt(spawn_verification_housekeeper(sys, w, w->verification));
      break;
    case child_kind::numbers: adopt(spawn_number_sweeper(sys, w)); break;
    case child_kind::agents: adopt(spawn_agent_saga(sys, w)); break;
    case child_kind::tools_sync: adopt(spawn_tools_sync(sys, w)); break;  // rescans pending rows
    case child_kind::outbox: adopt(spawn_outbox(sys, w)); break;  // passes from the rows
    case child_kind::events: adopt(spawn_event_hub(sys, w)); break;  // streams resubscribe
    case child_kind::google: adopt(spawn_google(sys, w)); break;  // passes from the rows
    case child_kind::notices: {  // nobody sends to it: not published in wiring
      auto handle = spawn_calendar_notices(sys, w, s.database_url);
      self->link_to(handle);
      self->monitor(handle);
      addr = handle.address();
      break;
    }
  }
  self->state.children.insert(addr);
  self->state.live.emplace_back(addr, kind);
}

}  // namespace

caf::actor spawn_root_supervisor(caf::actor_system& sys, wiring_ptr w,
                                 supervisor_settings settings) {
  auto fn = [w, settings](caf::stateful_actor<supervisor_state>* self) -> caf::behavior {
    self->set_exit_handler([=](const caf::exit_msg& em) {
      if (self->state.children.count(em.source) == 0) self->quit(em.reason);
    });
    self->set_down_handler([=](const caf::down_msg& dm) {
      auto& live = self->state.live;
      for (auto i = live.begin(); i != live.end(); ++i) {
        if (i->first != dm.source) continue;
        auto kind = i->second;
        live.erase(i);
        auto now = std::chrono::steady_clock::now();
        auto& r = self->state.restarts;
        while (!r.empty() && now - r.front() > std::chrono::minutes(1)) r.pop_front();
        if (r.size() >= max_restarts) {
          self->quit(caf::make_error(caf::sec::runtime_error, "restart budget exhausted"));
          return;
        }
        r.push_back(now);
        start_child(self, w, settings, kind);
        return;
      }
    });
    for (auto kind : {child_kind::db, child_kind::gate, child_kind::twilio, child_kind::vapi,
                      child_kind::email, child_kind::calendar,
                      child_kind::tool_log, child_kind::journal, child_kind::directory, child_kind::calls,
                      child_kind::numbers, child_kind::agents, child_kind::tools_sync,
                      child_kind::outbox, child_kind::events, child_kind::google,
                      child_kind::notices})
      start_child(self, w, settings, kind);
    if (settings.verification)
      for (auto kind : {child_kind::verification_registry, child_kind::verification_housekeeper})
        start_child(self, w, settings, kind);
    return {[](status_atom) {}};  // it only supervises
  };
  return sys.spawn(fn);
}

}  // namespace rm::actors
