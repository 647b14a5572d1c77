// The provider gate: every Twilio and Vapi request of a tenant passes one circuit breaker per
// (org_id, provider) (domain/circuit_breaker.hpp) and runs on its own detached worker, so a slow
// or failing provider never blocks the scheduler and one tenant's failures never pause another's.
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "actors/actors.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::actors {

namespace {

const char* provider_name(provider p) { return p == provider::vapi ? "vapi" : "twilio"; }

// One job per worker; the worker quits after answering (its thread ends).
using provider_worker_actor =
    caf::typed_actor<caf::replies_to<run_atom, provider_job>::with<provider_outcome>>;

provider_worker_actor::behavior_type provider_worker(provider_worker_actor::pointer self) {
  return {
      [=](run_atom, const provider_job& job) -> provider_outcome {
        provider_outcome out;
        out.ran = true;
        try {
          out.answered = job.run && *job.run && (*job.run)();
        } catch (const std::exception& e) {
          out.error = e.what()[0] ? e.what() : "the provider request failed";
        } catch (...) {
          out.error = "the provider request failed (unknown exception)";
        }
        self->quit();
        return out;
      },
  };
}

struct gate_state {
  std::map<std::pair<std::string, provider>, domain::circuit_breaker> breakers;
  static inline const char* name = "provider_gate";
};
using gate_ptr = provider_gate_actor::stateful_pointer<gate_state>;

domain::circuit_breaker& breaker_of(gate_ptr self, const wiring_ptr& w, const std::string& org,
                                    provider p) {
  auto key = std::make_pair(org, p);
  auto it = self->state.breakers.find(key);
  if (it == self->state.breakers.end())
    it = self->state.breakers.emplace(key, domain::circuit_breaker{w->times.breaker}).first;
  return it->second;
}

std::string iso_utc(domain::instant t) {
  auto s = domain::format_local(t, "UTC");
  return s;
}

}  // namespace

provider_gate_actor spawn_provider_gate(caf::actor_system& sys, wiring_ptr w) {
  auto fn = [w](gate_ptr self) -> provider_gate_actor::behavior_type {
    return {
        [=](run_atom, const std::string& org_id, provider p,
            provider_job& job) -> caf::typed_response_promise<provider_outcome> {
          auto rp = self->make_response_promise<provider_outcome>();
          auto admission = breaker_of(self, w, org_id, p).admit(w->steady_now());
          if (!admission.allowed) {
            metrics::provider_request(provider_name(p), "rejected");
            provider_outcome refused;
            refused.retry_after_ms = admission.retry_after.count();
            rp.deliver(refused);
            return rp;
          }
          auto worker = self->system().spawn<caf::detached>(provider_worker);
          self->request(worker, caf::infinite, run_atom::value, std::move(job))
              .then(
                  [=](const provider_outcome& out) mutable {
                    auto& b = breaker_of(self, w, org_id, p);
                    auto now = w->steady_now();
                    if (!out.error.empty())
                      b.on_neutral(now);
                    else if (out.answered)
                      b.on_success(now);
                    else
                      b.on_failure(now);
                    metrics::provider_request(provider_name(p), !out.error.empty() ? "error"
                                                                : out.answered   ? "ok"
                                                                                 : "failed");
                    metrics::breaker_state(org_id, provider_name(p), static_cast<int>(b.state(now)));
                    rp.deliver(out);
                  },
                  [=](caf::error& err) mutable {
                    // The worker died without answering: nothing is known of the provider.
                    breaker_of(self, w, org_id, p).on_neutral(w->steady_now());
                    metrics::provider_request(provider_name(p), "error");
                    provider_outcome out;
                    out.ran = true;
                    out.error = "the provider worker failed: " + self->system().render(err);
                    rp.deliver(out);
                  });
          return rp;
        },
        [=](breakers_atom) -> std::string {
          auto now = w->steady_now();
          auto wall = w->now();
          auto out = nlohmann::json::object();
          for (const auto& [key, b] : self->state.breakers) {
            auto state = b.state(now);
            nlohmann::json j{{"provider", provider_name(key.second)},
                             {"state", domain::to_string(state)},
                             {"recent_failures", b.recent_failures(now)}};
            if (state == domain::breaker_state::open) {
              auto left = std::chrono::duration_cast<std::chrono::seconds>(b.open_until() - now);
              // Round up: "retry after 0 s" while still open would be misleading.
              if (b.open_until() - now > left) left += std::chrono::seconds(1);
              j["open_until"] = iso_utc(wall + left);
              j["retry_after_seconds"] = left.count();
            }
            if (!out.contains(key.first)) out[key.first] = nlohmann::json::array();
            out[key.first].push_back(std::move(j));
          }
          return out.dump();
        },
    };
  };
  return sys.spawn(fn);
}

}  // namespace rm::actors
