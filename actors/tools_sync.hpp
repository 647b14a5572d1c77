// The tools sync of agents (issue 12 §4): after an agent is saved its assistant is linked to the
// global Vapi tools in the background (adapters/vapi/tool_sync.hpp: each definition registered
// once by SHA-256, then fetch-merge-patch of model.toolIds). No CAF in this header; the
// supervised actor that drives it is actors/tools_sync_interfaces.hpp (actors/tools_sync_actor.cpp).
//
// State per agent: agent_tool_syncs (migration 013), pending | synced | failed, `attempts` = Vapi
// attempts of the current sync, `reason` = the last failure (failed: why it stopped). A saved
// agent gets `pending` with attempts 0 in the same transaction that makes it ready
// (begin_tools_sync), then request_tools_sync() wakes the actor. One attempt = one
// sync_assistant_tools run, each Vapi request a typed request to the vapi adapter actor through
// provider_port (behind the tenant's Vapi circuit breaker) with the client's own retries turned
// off: the retries are the actor's, timed and recorded here. A transient failure (transport, 429,
// 5xx, breaker open, adapter timeout) is retried after backoff × 2^(n-1) — 2 s, 4 s, 8 s by
// default — while n < max_attempts (4: the first attempt and three retries); then `failed` with
// the reason. A non-transient one (4xx: Vapi refused) fails at once. Nothing lives only in
// memory: at start the actor reads every pending row (any tenant) and schedules it.
#pragma once

#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace rm::actors {

class service;

struct tools_sync_settings {
  // RINGMASTER_TOOLS_SYNC_BACKOFF_MS: the first retry's delay (doubled after each retry).
  std::chrono::milliseconds first_backoff{2000};
  int max_attempts = 4;  // attempts in all (1 = no retry)
};

// How one attempt ended (already recorded in agent_tool_syncs).
struct tools_attempt {
  enum class end { synced, retry, failed, nothing } result = end::nothing;
  int attempts = 0;                     // the attempt's number (1-based)
  std::chrono::milliseconds retry_in{0};  // end::retry: when the next attempt is due
  std::string reason;                   // retry / failed: the failure
};

// A pending sync to schedule (any tenant): due_in from its last attempt's time and backoff.
struct tools_sync_due {
  std::string org_id, agent_id;
  std::chrono::milliseconds due_in{0};
};

// The blocking steps, as the actor sees them (thread-safe; may block for one Vapi request per
// step, so the actor calls them on detached workers only).
class tools_sync_steps {
 public:
  virtual ~tools_sync_steps() = default;
  // One attempt for the agent's pending sync; end::nothing when its row is not pending (synced
  // meanwhile, or the agent is gone).
  virtual tools_attempt attempt(const std::string& org_id, const std::string& agent_id) = 0;
  // Every pending sync of every tenant, with when it is due.
  virtual std::vector<tools_sync_due> due() = 0;
};

// The steps over the service: its database (vapi_tools, org_tools, agent_tool_syncs) and its
// provider port (options().vapi_base_url / vapi_private_key; definitions from sms_per_call).
// close() waits for a running attempt and makes later ones answer end::nothing.
class tools_syncer final : public tools_sync_steps {
 public:
  tools_syncer(service& svc, tools_sync_settings settings);
  void close();
  tools_attempt attempt(const std::string& org_id, const std::string& agent_id) override;
  std::vector<tools_sync_due> due() override;
  const tools_sync_settings& settings() const { return settings_; }

 private:
  std::chrono::milliseconds backoff_after(int attempts) const;

  service& svc_;
  tools_sync_settings settings_;
  std::shared_mutex open_;
  bool closed_ = false;
};

// Wakes the actor for one agent whose row is pending (fire and forget; a lost wake-up is found
// by the next start's scan).
void request_tools_sync(service& svc, const std::string& org_id, const std::string& agent_id);
// Hands the actor its steps (the service does, once its actors run) and asks it to scan; null
// removes them (the actor then waits).
void install_tools_sync(service& svc, std::shared_ptr<tools_sync_steps> steps);

}  // namespace rm::actors
