// The provider gate: the keeper of one circuit breaker per (org_id, provider)
// (domain/circuit_breaker.hpp). The adapter actors (provider_adapters.cpp) ask it before each
// request (admit) and tell it how the request went (outcome); it never runs a request itself, so
// one tenant's slow provider never delays another's admission.
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "actors/actors.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::actors {

namespace {

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
        [=](admit_atom, const std::string& org_id, provider p) -> admission {
          auto a = breaker_of(self, w, org_id, p).admit(w->steady_now());
          admission out;
          out.allowed = a.allowed;
          if (!a.allowed) {
            out.retry_after_ms = a.retry_after.count();
            metrics::provider_request(provider_name(p), "rejected");
          }
          return out;
        },
        [=](outcome_atom, const std::string& org_id, provider p, outcome_kind kind) {
          auto& b = breaker_of(self, w, org_id, p);
          auto now = w->steady_now();
          switch (kind) {
            case outcome_kind::success: b.on_success(now); break;
            case outcome_kind::failure: b.on_failure(now); break;
            case outcome_kind::neutral: b.on_neutral(now); break;
          }
          metrics::provider_request(provider_name(p), kind == outcome_kind::success   ? "ok"
                                                      : kind == outcome_kind::failure ? "failed"
                                                                                      : "error");
          metrics::breaker_state(org_id, provider_name(p), static_cast<int>(b.state(now)));
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
