// How actors find each other and the settings they share. Supervised actors may be restarted with
// a new address; the supervisor stores the new handle here and everybody reads the current one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include "actors/interfaces.hpp"
#include "actors/calendar_board.hpp"
#include "actors/read_backlog.hpp"
#include "actors/read_inbox.hpp"
#include "actors/route_cache.hpp"
#include "domain/calendar.hpp"
#include "domain/circuit_breaker.hpp"

namespace rm::actors {

struct timings {
  std::chrono::milliseconds db_timeout{10000};        // one DB job, queueing included
  std::chrono::milliseconds twilio_timeout{30000};    // one SMS, retries included
  std::chrono::milliseconds call_linger{120000};      // stay after the end-of-call report
  std::chrono::milliseconds no_report_timeout{600000};  // ended, report never came: close
  std::chrono::milliseconds sanity_timeout{4 * 3600 * 1000};  // silent this long: close as ended
  // Per-tenant circuit breakers on Twilio and Vapi (the provider gate).
  domain::breaker_settings breaker;
};

class wiring {
 public:
  // Wall clock used for booking rules (tests inject a clock that follows the test scheduler).
  std::function<domain::instant()> now = [] {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  };
  // Monotonic clock of the circuit breakers (tests inject one that follows the test scheduler).
  std::function<std::chrono::steady_clock::time_point()> steady_now = [] {
    return std::chrono::steady_clock::now();
  };
  timings times;
  // send_sms attempts allowed per call (RINGMASTER_SMS_PER_CALL; domain/sms_policy.hpp).
  int sms_per_call = 3;
  // Caller-ID verification: rules, sweep period and the argon2id cap shared by the registry's
  // sessions and the facade's hashing (set before the supervisor starts).
  verification_config verification;
  // The outbox actor's settings (set before the supervisor starts).
  outbox_config outbox;
  // The live events' sequence (SSE `id:`): one per process, kept here so a restarted hub
  // continues it.
  std::atomic<std::uint64_t> event_seq{0};
  // The google actor's settings (set before the supervisor starts).
  google_config google;
  // Number → tenant: filled and cleared by the directory, read by HTTP workers (service::resolve).
  std::shared_ptr<route_cache> routes = std::make_shared<route_cache>();
  // org_id → the tenant actor's calendar snapshot: published by tenant actors, read by HTTP
  // workers to answer check_availability without a message (service::run_tools, read_tool).
  std::shared_ptr<calendar_board> calendars = std::make_shared<calendar_board>();
  // Reads answered by workers whose records are not committed yet (answered_reads::pending): at
  // most 16384 (~25 MB of records, ~1 s of the bench's rate); a worker then waits for a place
  // (read_backlog). The bound is how far the tool log may fall behind: one of its batches
  // sometimes takes ~1 s on this machine, and with 2048 places every worker then stopped for
  // that second (bench/README.md, issue 13's fourth round).
  std::shared_ptr<read_backlog> reads_behind = std::make_shared<read_backlog>(16384);
  // Those reads on their way to the call registry (read_inbox: one ring per batch, not a
  // message per read).
  std::shared_ptr<read_inbox> reads_inbox = std::make_shared<read_inbox>();

  db_actor db() const { std::lock_guard<std::mutex> g{m_}; return db_; }
  twilio_actor twilio() const { std::lock_guard<std::mutex> g{m_}; return twilio_; }
  vapi_actor vapi() const { std::lock_guard<std::mutex> g{m_}; return vapi_; }
  email_actor email() const { std::lock_guard<std::mutex> g{m_}; return email_; }
  calendar_actor calendar() const { std::lock_guard<std::mutex> g{m_}; return calendar_; }
  directory_actor directory() const { std::lock_guard<std::mutex> g{m_}; return directory_; }
  call_registry_actor calls() const { std::lock_guard<std::mutex> g{m_}; return calls_; }
  tool_log_actor tool_log() const { std::lock_guard<std::mutex> g{m_}; return tool_log_; }
  journal_actor journal() const { std::lock_guard<std::mutex> g{m_}; return journal_; }
  provider_gate_actor gate() const { std::lock_guard<std::mutex> g{m_}; return gate_; }
  verification_registry_actor verification_registry() const {
    std::lock_guard<std::mutex> g{m_};
    return verification_registry_;
  }
  verification_housekeeper_actor verification_housekeeper() const {
    std::lock_guard<std::mutex> g{m_};
    return verification_housekeeper_;
  }
  number_sweeper_actor number_sweeper() const { std::lock_guard<std::mutex> g{m_}; return number_sweeper_; }
  // The number sagas' steps (published by actors::number_service; null without one).
  std::shared_ptr<number_saga_driver> number_driver() const { std::lock_guard<std::mutex> g{m_}; return number_driver_; }
  outbox_actor outbox_sender() const { std::lock_guard<std::mutex> g{m_}; return outbox_; }
  agent_saga_actor agents() const { std::lock_guard<std::mutex> g{m_}; return agents_; }
  // The event hub (null before the supervisor spawned it: anon_send to it is then a no-op).
  event_hub_actor events() const { std::lock_guard<std::mutex> g{m_}; return events_; }
  google_actor google_sync() const { std::lock_guard<std::mutex> g{m_}; return google_; }
  // The agent saga's steps (installed by the HTTP server; a restarted saga takes them from here).
  std::shared_ptr<agent_steps> agent_steps_now() const { std::lock_guard<std::mutex> g{m_}; return agent_steps_; }

  void set(db_actor x) { std::lock_guard<std::mutex> g{m_}; db_ = std::move(x); }
  void set(twilio_actor x) { std::lock_guard<std::mutex> g{m_}; twilio_ = std::move(x); }
  void set(vapi_actor x) { std::lock_guard<std::mutex> g{m_}; vapi_ = std::move(x); }
  void set(email_actor x) { std::lock_guard<std::mutex> g{m_}; email_ = std::move(x); }
  void set(calendar_actor x) { std::lock_guard<std::mutex> g{m_}; calendar_ = std::move(x); }
  void set(directory_actor x) { std::lock_guard<std::mutex> g{m_}; directory_ = std::move(x); }
  void set(call_registry_actor x) { std::lock_guard<std::mutex> g{m_}; calls_ = std::move(x); }
  void set(tool_log_actor x) { std::lock_guard<std::mutex> g{m_}; tool_log_ = std::move(x); }
  void set(journal_actor x) { std::lock_guard<std::mutex> g{m_}; journal_ = std::move(x); }
  void set(provider_gate_actor x) { std::lock_guard<std::mutex> g{m_}; gate_ = std::move(x); }
  void set(verification_registry_actor x) {
    std::lock_guard<std::mutex> g{m_};
    verification_registry_ = std::move(x);
  }
  void set(verification_housekeeper_actor x) {
    std::lock_guard<std::mutex> g{m_};
    verification_housekeeper_ = std::move(x);
  }
  void set(number_sweeper_actor x) { std::lock_guard<std::mutex> g{m_}; number_sweeper_ = std::move(x); }
  void set(std::shared_ptr<number_saga_driver> x) { std::lock_guard<std::mutex> g{m_}; number_driver_ = std::move(x); }
  void set(outbox_actor x) { std::lock_guard<std::mutex> g{m_}; outbox_ = std::move(x); }
  tools_sync_actor tools_sync() const { std::lock_guard<std::mutex> g{m_}; return tools_sync_; }
  // The tools sync's steps (installed by the service; a restarted actor takes them from here).
  std::shared_ptr<tools_sync_steps> tools_sync_steps_now() const { std::lock_guard<std::mutex> g{m_}; return tools_sync_steps_; }
  void set(tools_sync_actor x) { std::lock_guard<std::mutex> g{m_}; tools_sync_ = std::move(x); }
  void set(std::shared_ptr<tools_sync_steps> x) { std::lock_guard<std::mutex> g{m_}; tools_sync_steps_ = std::move(x); }
  void set(agent_saga_actor x) { std::lock_guard<std::mutex> g{m_}; agents_ = std::move(x); }
  void set(event_hub_actor x) { std::lock_guard<std::mutex> g{m_}; events_ = std::move(x); }
  void set(google_actor x) { std::lock_guard<std::mutex> g{m_}; google_ = std::move(x); }
  void set(std::shared_ptr<agent_steps> x) { std::lock_guard<std::mutex> g{m_}; agent_steps_ = std::move(x); }

 private:
  mutable std::mutex m_;
  db_actor db_;
  twilio_actor twilio_;
  vapi_actor vapi_;
  email_actor email_;
  calendar_actor calendar_;
  directory_actor directory_;
  call_registry_actor calls_;
  tool_log_actor tool_log_;
  journal_actor journal_;
  provider_gate_actor gate_;
  verification_registry_actor verification_registry_;
  verification_housekeeper_actor verification_housekeeper_;
  number_sweeper_actor number_sweeper_;
  std::shared_ptr<number_saga_driver> number_driver_;
  agent_saga_actor agents_;
  outbox_actor outbox_;
  google_actor google_;
  std::shared_ptr<agent_steps> agent_steps_;
  event_hub_actor events_;
  tools_sync_actor tools_sync_;
  std::shared_ptr<tools_sync_steps> tools_sync_steps_;
};

using wiring_ptr = std::shared_ptr<wiring>;

}  // namespace rm::actors
