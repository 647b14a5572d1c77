// Agent provisioning (POST /api/agents, POST /api/agents/{id}/retry; docs/api.md "Agents"): the
// blocking steps the agent saga actor (actors/agent_interfaces.hpp, actors/agent_saga.cpp) runs
// on detached workers, and the blocking entry point the HTTP routes use. No CAF in this header.
//
// The saga of one agent, restartable from its `agents` row (migration 008; what a step reached
// is in the row: vapi_assistant_id, phone_number_id, status, attempts, updated_at):
//   1. create_assistant — Vapi POST /assistant (typed request to the vapi adapter through
//      service::providers(), behind the tenant's breaker); the id is stored, and becomes the
//      tenant's default assistant when it has none;
//   2. provision_number (when provision_phone) — the number lifecycle's purchase saga
//      (actors/number_service.hpp), which never buys twice for one agent;
//   3. done — status ready, and its tools sync pending in the same transaction (the tools sync
//      actor links the global Vapi tools in the background: actors/tools_sync.hpp).
// A failed step sets status failed at that step (error sentence) and notifies the admins, in
// one transaction. Whatever ran the attempt, the row tells the next one where to resume.
//
// Failures are rm::ec (domain/errors.hpp) with the route's specific error.code:
//   provider_unavailable "provider_unavailable" (+ retry_after) — the tenant's Vapi breaker is open
//   provider_timeout     "provider_timeout" — Vapi did not answer in time
//   provider_rejected    "vapi_error" — Vapi refused, or answered without an id
//   conflict / not_supported / provider_* … — the number step's own codes (number_import_pending,
//                          number_purchase_pending, no_numbers_available, provisioning_unavailable …)
//   not_found            — no such agent of the tenant
//   conflict "not_retryable" — a retry of an agent that is ready, or whose creation is running.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "domain/errors.hpp"
#include "persistence/agent_queries.hpp"

namespace rm::actors {

class service;
class number_service;

// How one attempt (or a refused request) ended.
struct agent_outcome {
  persistence::agent_row agent;  // the row afterwards; id "" when there is no such agent
  bool ready = false;
  rm::ec kind = rm::ec::internal;  // when !ready
  std::string code;                // the specific error.code ("" = the kind's default)
  std::string message;
  int retry_after = -1;  // seconds; >= 0 when the caller should wait that long
};

struct agent_provisioning_settings {
  std::string webhook_url;  // <public URL>/webhooks/vapi ("" = not configured)
  // Headers Vapi adds to every server message (X-Vapi-Secret / Authorization).
  std::map<std::string, std::string> server_headers;
  // A "creating" agent not touched for this long is taken over (its attempt died with its
  // process); a request's retry may take it over too (docs/api.md).
  std::chrono::seconds stale_after{120};
  // Automatic retries after a failed attempt: the n-th failed attempt (attempts = n) is retried
  // after backoff × 2^(n-1), while attempts < max_attempts; then only POST …/retry resumes it.
  std::chrono::milliseconds backoff{std::chrono::seconds(30)};
  int max_attempts = 3;
};

// An agent the saga has to look at (any tenant): due_in = how long until its next attempt may
// start (0 = now).
struct agent_due {
  std::string id, org_id;
  std::chrono::milliseconds due_in{0};
};

// The blocking steps, as the saga actor sees them (rm_actors links no number service: the
// implementation below lives in rm_agent_provisioning). Thread-safe; every method may block for
// a provider's whole retry loop, so the saga calls them on detached workers only.
class agent_steps {
 public:
  virtual ~agent_steps() = default;
  virtual const agent_provisioning_settings& settings() const = 0;
  // Runs the steps the agent still needs, from its row (status must be creating).
  virtual agent_outcome attempt(const std::string& org_id, const std::string& user_id,
                                const std::string& agent_id) = 0;
  // A request's retry: failed (or stale creating) → creating with attempts + 1, then attempt.
  virtual agent_outcome retry(const std::string& org_id, const std::string& user_id,
                              const std::string& agent_id) = 0;
  // The saga's own retry (timer): the same on behalf of the agent's creator, only while
  // attempts < max_attempts and the row still needs it; agent.id "" when there was nothing to do.
  virtual agent_outcome auto_retry(const std::string& org_id, const std::string& agent_id) = 0;
  // Every agent of any tenant that is creating, or failed with automatic attempts left, with
  // when its next attempt is due (SECURITY DEFINER rm_agents_to_resume, migration 010).
  virtual std::vector<agent_due> due() = 0;
};

// The steps over the service (provider port, database) and the number service. close() waits
// for the running calls and makes later ones fail fast (ec::unavailable): the HTTP server closes
// its provisioner before the number service and the service go away.
class agent_provisioner final : public agent_steps {
 public:
  agent_provisioner(service& svc, number_service* numbers, agent_provisioning_settings settings);
  void close();
  const agent_provisioning_settings& settings() const override { return settings_; }
  agent_outcome attempt(const std::string& org_id, const std::string& user_id,
                        const std::string& agent_id) override;
  agent_outcome retry(const std::string& org_id, const std::string& user_id,
                      const std::string& agent_id) override;
  agent_outcome auto_retry(const std::string& org_id, const std::string& agent_id) override;
  std::vector<agent_due> due() override;

 private:
  agent_outcome run_steps(const std::string& org_id, const std::string& user_id,
                          persistence::agent_row agent);
  bool create_assistant(const std::string& org_id, persistence::agent_row& agent,
                        agent_outcome& failure);
  bool provision_number(const std::string& org_id, const std::string& user_id,
                        persistence::agent_row& agent, agent_outcome& failure);
  agent_outcome fail(const std::string& org_id, const persistence::agent_row& agent,
                     const std::string& step, agent_outcome failure);
  template <class Fn>
  void in_tenant(const std::string& org_id, Fn&& work);

  service& svc_;
  number_service* numbers_;
  agent_provisioning_settings settings_;
  std::shared_mutex open_;
  bool closed_ = false;
};

// What the HTTP routes call: one request to the agent saga actor, waited for `timeout` (the
// saga's first result for this request; the attempt itself continues after a timeout, under
// the saga). Throws service_error (ec::timeout / ec::unavailable) when the actor did not answer.
agent_outcome start_agent(service& svc, const std::string& org_id, const std::string& user_id,
                          const std::string& agent_id, std::chrono::milliseconds timeout);
agent_outcome retry_agent(service& svc, const std::string& org_id, const std::string& user_id,
                          const std::string& agent_id, std::chrono::milliseconds timeout);
// Hands the saga its provisioner (the HTTP server builds it: it knows the public URL, the
// webhook credentials and the number service) and asks it to resume what the rows hold.
void install_agent_steps(service& svc, std::shared_ptr<agent_steps> p);
// The saga forgets `p` if it is still the installed one (the caller then closes it).
void uninstall_agent_steps(service& svc, const std::shared_ptr<agent_steps>& p);

}  // namespace rm::actors
