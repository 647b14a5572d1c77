// The agent saga actor (actors/agent_interfaces.hpp) and the blocking entry points of
// actors/agent_provisioning.hpp that reach it from a plain thread.
#include <map>
#include <vector>

#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/service.hpp"

namespace rm::actors {

namespace {

struct saga_state {
  std::shared_ptr<agent_steps> steps;
  // Agents with an attempt running on a worker, and the requests waiting for its outcome.
  std::map<std::string, std::vector<caf::typed_response_promise<agent_outcome>>> running;
  static inline const char* name = "agent_saga";
};
using saga_ptr = agent_saga_actor::stateful_pointer<saga_state>;

agent_outcome refused(rm::ec kind, std::string message) {
  agent_outcome o;
  o.kind = kind;
  o.message = std::move(message);
  return o;
}

// Runs `work` (blocking) on a detached worker and hands its outcome to `done` in the saga.
template <class Work, class Done>
void on_worker(saga_ptr self, Work work, Done done) {
  auto worker = self->system().spawn<caf::detached>([work](caf::event_based_actor* me) {
    return caf::behavior{[=](run_atom) -> agent_outcome {
      me->quit();
      try {
        return work();
      } catch (const service_error& e) {
        return refused(e.code, e.what());
      } catch (const std::exception& e) {
        return refused(ec::internal, e.what());
      }
    }};
  });
  self->request(worker, caf::infinite, run_atom::value)
      .then([=](agent_outcome& o) mutable { done(std::move(o)); },
            [=](caf::error& err) mutable {
              done(refused(ec_of(err).value_or(ec::unavailable), message_of(err)));
            });
}

// The automatic attempt after a failure, if attempts are left (backoff × 2^(attempts-1)).
void schedule_after_failure(saga_ptr self, const std::string& org_id, const agent_outcome& o) {
  const auto& s = self->state.steps->settings();
  if (o.ready || o.agent.id.empty() || o.agent.status != "failed" ||
      o.agent.attempts >= s.max_attempts)
    return;
  const auto delay = s.backoff * (1LL << std::min(o.agent.attempts - 1, 20));
  self->delayed_send(self, delay, agent_tick_atom::value, org_id, o.agent.id);
}

// One attempt of `agent_id`: `work` on a worker; the outcome goes to every waiting request.
template <class Work>
void run_attempt(saga_ptr self, const std::string& org_id, const std::string& agent_id,
                 caf::typed_response_promise<agent_outcome> rp, Work work) {
  auto& waiting = self->state.running[agent_id];
  if (rp.pending()) waiting.push_back(rp);
  if (waiting.size() > 1 || (!rp.pending() && !waiting.empty())) return;  // already running
  on_worker(self, work, [=](agent_outcome o) {
    auto node = self->state.running.extract(agent_id);
    if (!node.empty())
      for (auto& p : node.mapped()) p.deliver(o);
    if (self->state.steps) schedule_after_failure(self, org_id, o);
  });
}

void scan(saga_ptr self) {
  auto steps = self->state.steps;
  if (!steps) return;
  auto found = std::make_shared<std::vector<agent_due>>();
  on_worker(
      self,
      [steps, found] {
        *found = steps->due();
        return agent_outcome{};
      },
      [=](agent_outcome o) {
        if (!o.message.empty()) spdlog::warn("agent saga: scan failed: {}", o.message);
        if (!found->empty()) spdlog::info("agent saga: {} agent(s) to resume", found->size());
        for (const auto& d : *found)
          self->delayed_send(self, d.due_in, agent_tick_atom::value, d.org_id, d.id);
      });
}

}  // namespace

agent_saga_actor spawn_agent_saga(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn([w](saga_ptr self) -> agent_saga_actor::behavior_type {
    self->state.steps = w->agent_steps_now();
    self->attach_functor([](const caf::error& reason) {
      if (reason) spdlog::info("agent saga: stopped ({})", to_string(reason));
    });
    spdlog::info("agent saga: started{}", self->state.steps ? "" : " (no steps installed yet)");
    if (self->state.steps) scan(self);
    auto start = [=](bool retry, const std::string& org_id, const std::string& user_id,
                     const std::string& agent_id) -> caf::result<agent_outcome> {
      auto steps = self->state.steps;
      if (!steps) return refused(ec::not_configured, "agent provisioning is not configured");
      auto rp = self->make_response_promise<agent_outcome>();
      if (retry && self->state.running.count(agent_id) > 0) {
        // Its attempt is running here: the row answers (creating → not_retryable), on a worker
        // of its own, without joining the running attempt.
        on_worker(self, [=] { return steps->retry(org_id, user_id, agent_id); },
                  [=](agent_outcome o) mutable { rp.deliver(std::move(o)); });
        return rp;
      }
      run_attempt(self, org_id, agent_id, rp, [=] {
        return retry ? steps->retry(org_id, user_id, agent_id)
                     : steps->attempt(org_id, user_id, agent_id);
      });
      return rp;
    };
    return {
        [=](agent_start_atom, const std::string& org_id, const std::string& user_id,
            const std::string& agent_id) { return start(false, org_id, user_id, agent_id); },
        [=](agent_retry_atom, const std::string& org_id, const std::string& user_id,
            const std::string& agent_id) { return start(true, org_id, user_id, agent_id); },
        [=](agent_tick_atom, const std::string& org_id, const std::string& agent_id) {
          auto steps = self->state.steps;
          if (!steps || self->state.running.count(agent_id) > 0) return;
          run_attempt(self, org_id, agent_id, caf::typed_response_promise<agent_outcome>{},
                      [=] { return steps->auto_retry(org_id, agent_id); });
        },
        [=](agent_scan_atom) { scan(self); },
        [=](agent_steps_atom, const agent_steps_ref& ref) {
          spdlog::info("agent saga: steps {}", ref.steps ? "installed" : "removed");
          self->state.steps = ref.steps;
          scan(self);
        },
    };
  });
}

// ---- from a plain thread ---------------------------------------------------------------------

namespace {

template <class Atom>
agent_outcome ask(service& svc, Atom atom, const std::string& org_id, const std::string& user_id,
                  const std::string& agent_id, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{svc.system()};
  agent_outcome out;
  caf::error failed;
  self->request(svc.shared_wiring()->agents(), timeout, atom, org_id, user_id, agent_id)
      .receive([&](agent_outcome& o) { out = std::move(o); },
               [&](caf::error& err) { failed = std::move(err); });
  if (failed)
    throw service_error(ec_of(failed).value_or(ec::unavailable),
                        "agent saga: " + message_of(failed));
  return out;
}

}  // namespace

agent_outcome start_agent(service& svc, const std::string& org_id, const std::string& user_id,
                          const std::string& agent_id, std::chrono::milliseconds timeout) {
  return ask(svc, agent_start_atom::value, org_id, user_id, agent_id, timeout);
}

agent_outcome retry_agent(service& svc, const std::string& org_id, const std::string& user_id,
                          const std::string& agent_id, std::chrono::milliseconds timeout) {
  return ask(svc, agent_retry_atom::value, org_id, user_id, agent_id, timeout);
}

void install_agent_steps(service& svc, std::shared_ptr<agent_steps> p) {
  auto w = svc.shared_wiring();
  w->set(p);
  caf::anon_send(w->agents(), agent_steps_atom::value, agent_steps_ref{std::move(p)});
}

void uninstall_agent_steps(service& svc, const std::shared_ptr<agent_steps>& p) {
  auto w = svc.shared_wiring();
  if (w->agent_steps_now() != p) return;
  w->set(std::shared_ptr<agent_steps>{});
  caf::anon_send(w->agents(), agent_steps_atom::value, agent_steps_ref{});
}

}  // namespace rm::actors
