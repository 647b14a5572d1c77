// The tools sync actor (actors/tools_sync_interfaces.hpp) and the plain-thread entry points of
// actors/tools_sync.hpp that reach it.
#include <deque>
#include <set>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/service.hpp"

namespace rm::actors {

namespace {

struct sync_state {
  std::shared_ptr<tools_sync_steps> steps;
  std::deque<std::pair<std::string, std::string>> queue;  // (org_id, agent_id), arrival order
  std::set<std::string> queued;                            // agent ids in `queue`
  bool running = false;                                    // an attempt is on a worker
  static inline const char* name = "tools_sync";
};
using sync_ptr = tools_sync_actor::stateful_pointer<sync_state>;

// Runs `work` (blocking) on a detached worker; `done` gets its result in the actor (a throw or a
// dead worker: a default Result, logged — the row stays pending and the next scan finds it). The
// result travels in a shared slot, not in the message (the reply is a bare bool).
template <class Result, class Work, class Done>
void on_worker(sync_ptr self, Work work, Done done) {
  auto slot = std::make_shared<Result>();
  auto worker = self->system().spawn<caf::detached>([work, slot](caf::event_based_actor* me) {
    return caf::behavior{[=](run_atom) -> bool {
      me->quit();
      try {
        *slot = work();
      } catch (const std::exception& e) {
        spdlog::warn("tools sync: a step failed: {}", e.what());
        // e.g. the database was down: nothing was recorded, so try again later.
        if constexpr (std::is_same_v<Result, tools_attempt>) {
          slot->result = tools_attempt::end::retry;
          slot->retry_in = std::chrono::seconds(10);
          slot->reason = e.what();
        }
      }
      return true;
    }};
  });
  self->request(worker, caf::infinite, run_atom::value)
      .then([=](bool) mutable { done(std::move(*slot)); },
            [=](caf::error&) mutable { done(Result{}); });
}

void pump(sync_ptr self) {
  auto& st = self->state;
  if (st.running || st.queue.empty() || !st.steps) return;
  auto [org_id, agent_id] = st.queue.front();
  st.queue.pop_front();
  st.queued.erase(agent_id);
  st.running = true;
  auto steps = st.steps;
  on_worker<tools_attempt>(
      self,
      [steps, org_id = org_id, agent_id = agent_id] { return steps->attempt(org_id, agent_id); },
      [=, org_id = org_id, agent_id = agent_id](tools_attempt a) {
        self->state.running = false;
        if (a.result == tools_attempt::end::retry) {
          spdlog::info("tools sync of agent {}: attempt {} failed ({}); retry in {} ms", agent_id,
                       a.attempts, a.reason, a.retry_in.count());
          self->delayed_send(self, a.retry_in, tsync_atom::value, org_id, agent_id);
        }
        pump(self);
      });
}

void scan(sync_ptr self) {
  auto steps = self->state.steps;
  if (!steps) return;
  on_worker<std::vector<tools_sync_due>>(
      self, [steps] { return steps->due(); },
      [=](std::vector<tools_sync_due> found) {
        if (!found.empty()) spdlog::info("tools sync: {} pending sync(s) to resume", found.size());
        for (const auto& d : found)
          self->delayed_send(self, d.due_in, tsync_atom::value, d.org_id, d.agent_id);
      });
}

}  // namespace

tools_sync_actor spawn_tools_sync(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn([w](sync_ptr self) -> tools_sync_actor::behavior_type {
    self->state.steps = w->tools_sync_steps_now();
    if (self->state.steps) scan(self);
    return {
        [=](tsync_atom, const std::string& org_id, const std::string& agent_id) {
          if (!self->state.queued.insert(agent_id).second) return;
          self->state.queue.emplace_back(org_id, agent_id);
          pump(self);
        },
        [=](tsync_scan_atom) { scan(self); },
        [=](tsync_steps_atom, const tools_sync_steps_ref& ref) {
          self->state.steps = ref.steps;
          if (ref.steps) {
            scan(self);
            pump(self);
          }
        },
    };
  });
}

// ---- from a plain thread ---------------------------------------------------------------------

void request_tools_sync(service& svc, const std::string& org_id, const std::string& agent_id) {
  caf::anon_send(svc.shared_wiring()->tools_sync(), tsync_atom::value, org_id, agent_id);
}

void install_tools_sync(service& svc, std::shared_ptr<tools_sync_steps> steps) {
  auto w = svc.shared_wiring();
  w->set(steps);
  caf::anon_send(w->tools_sync(), tsync_steps_atom::value, tools_sync_steps_ref{std::move(steps)});
}

}  // namespace rm::actors
