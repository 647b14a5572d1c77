// The actor system seen from a plain thread (the HTTP server's workers). No CAF in this header:
// each call blocks the calling thread on a request to the right actor, with a timeout (sent by a
// bridge actor, answered through a promise; known numbers are resolved without any message).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "actors/call_events.hpp"
#include "actors/messages.hpp"
#include "adapters/google/google_client.hpp"
#include "domain/circuit_breaker.hpp"
#include "domain/errors.hpp"

namespace caf {
class actor_system;
}

namespace rm::actors {
class wiring;
class provider_port;
}


namespace rm::actors {

struct service_options {
  std::string database_url;  // where request work connects (see runtime_role)
  // SET ROLE on every connection, so row-level security applies; "" when database_url already
  // logs in as a member of ringmaster_app (RINGMASTER_APP_DATABASE_URL).
  std::string runtime_role = "ringmaster_app";
  std::size_t db_workers = 4;
  std::string twilio_base_url = "https://api.twilio.com";
  // Vapi REST (adapters/vapi/vapi_client.hpp): the base URL and the platform private key ("" = not configured;
  // every Vapi call then fails with a clear message, start-up does not).
  std::string vapi_base_url = "https://api.vapi.ai";
  std::string vapi_private_key;
  // E-mail (adapters/email/smtp_client.hpp): RINGMASTER_SMTP_URL ("" = not configured: every
  // send fails with a sentence naming the setting) and RINGMASTER_SMTP_FROM.
  std::string smtp_url;
  std::string smtp_from;
  // The per-tenant circuit breakers on Twilio and Vapi (RINGMASTER_BREAKER_*).
  domain::breaker_settings breaker;
  std::chrono::milliseconds request_timeout{8000};  // one HTTP request's wait on the actors
  std::chrono::milliseconds call_linger{120000};
  std::chrono::milliseconds no_report_timeout{600000};
  std::chrono::milliseconds sanity_timeout{4 * 3600 * 1000};
  std::size_t scheduler_threads = 0;  // RINGMASTER_SCHEDULER_THREADS; 0 = one per core (≥ 2)
  // RINGMASTER_SMS_PER_CALL: send_sms attempts allowed per call (domain/sms_policy.hpp).
  int sms_per_call = 3;
  // Caller-ID verification: its registry and housekeeper run under the root supervisor
  // (actors/verification_interfaces.hpp); actors::verification_service is their facade.
  bool verification = true;
  std::chrono::milliseconds verification_sweep_interval{60000};  // housekeeping period
  // Concurrent argon2id hashes + comparisons (64 MiB each); 0 = one per core
  // (std::thread::hardware_concurrency()). A request waits up to argon2_wait for a slot, then
  // gets 429 busy (Retry-After: 1).
  unsigned argon2_slots = 0;
  std::chrono::milliseconds argon2_wait{2000};
  // The outbox actor (actors/outbox_interfaces.hpp): RINGMASTER_OUTBOX_POLL_MS (the binary's
  // default 1000; 0 here = passes on request only) and RINGMASTER_OUTBOX_LEASE_MS.
  std::chrono::milliseconds outbox_poll{0};
  std::chrono::milliseconds outbox_lease{30000};
  // The tools sync of agents (actors/tools_sync.hpp): the first retry's delay, doubled after
  // each (RINGMASTER_TOOLS_SYNC_BACKOFF_MS; 2 s, 4 s, 8 s), and attempts in all.
  std::chrono::milliseconds tools_sync_backoff{2000};
  int tools_sync_attempts = 4;
  // Google Calendar (actors/google_interfaces.hpp): RINGMASTER_GOOGLE_OAUTH_BASE, _API_BASE,
  // _CLIENT_ID, _CLIENT_SECRET (no client id: no Google I/O) and RINGMASTER_GOOGLE_REFRESH_MS
  // (the binary's default 60000; 0 here = passes on request only).
  google::endpoint google_endpoint;
  std::string google_redirect_uri;  // "" = <public URL>/api/integrations/google/callback
  std::chrono::milliseconds google_refresh{0};
  std::chrono::milliseconds google_lease{30000};  // RINGMASTER_GOOGLE_LEASE_MS
};

// The external providers whose calls go through the provider gate (per-tenant circuit breakers).
// smtp: the deployment's mail server (RINGMASTER_SMTP_URL), still counted per tenant.
enum class provider { twilio, vapi, smtp, google };
// "twilio" | "vapi" | "smtp" (metrics labels, /sessions/tenants) and the name people read.
inline const char* provider_name(provider p) {
  return p == provider::vapi     ? "vapi"
         : p == provider::smtp   ? "smtp"
         : p == provider::google ? "google"
                                 : "twilio";
}
inline const char* provider_display_name(provider p) {
  return p == provider::vapi     ? "Vapi"
         : p == provider::smtp   ? "E-mail (SMTP)"
         : p == provider::google ? "Google Calendar"
                                 : "Twilio";
}

// Thrown by provider_port when the tenant's breaker for that provider is open: the request was
// not attempted. `retry_after` is what is left of the cool-off. Its kind is always
// ec::provider_unavailable (HTTP: adapters/http/http_errors.hpp, 503 with Retry-After).
struct provider_unavailable : std::runtime_error {
  provider_unavailable(const std::string& what, std::chrono::seconds retry_after)
      : std::runtime_error(what), retry_after(retry_after) {}
  std::chrono::seconds retry_after;
  rm::ec code = rm::ec::provider_unavailable;
};

// Thrown when the actors could not answer or the work failed. `code` says how (rm::ec,
// domain/errors.hpp): ec::timeout when the deadline passed, ec::database_unavailable when a
// database job failed, ec::unavailable when an actor failed or went away, or the rm::ec an actor
// replied with. `timeout` is `code == ec::timeout` (kept for callers written before rm::ec).
// what() is the sentence for the log; the HTTP layer answers by `code` only.
struct service_error : std::runtime_error {
  service_error(rm::ec code, const std::string& what)
      : std::runtime_error(what), code(code), timeout(code == rm::ec::timeout) {}
  // Before rm::ec: timeout → ec::timeout, otherwise ec::unavailable.
  service_error(const std::string& what, bool timeout)
      : service_error(timeout ? rm::ec::timeout : rm::ec::unavailable, what) {}
  rm::ec code;
  bool timeout;
};

class service {
 public:
  explicit service(service_options options);
  ~service();  // stops every actor (user_shutdown) and waits for them
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Tenant of a dialled number (E.164) or Vapi phone-number id; found=false when unknown.
  tenant_ref resolve(const std::string& e164, const std::string& vapi_phone_number_id);
  // Stores one lifecycle event; returns after it is committed.
  event_ack record_event(const call_event_msg& msg);
  // Runs a tool-calls message's calls for one call, in order.
  std::vector<tool_reply> run_tools(const persistence::call_identity& call,
                                    std::vector<tool_request> requests);
  // A read-only tool (check_availability) for no call: the tenant's actor answers it from its
  // calendar in memory; nothing is stored and no call actor is involved (the seed's legacy
  // calendar check, issue 13 §2). Throws service_error (ec::not_found: unknown tenant).
  tool_reply read_tool(const std::string& org_id, tool_request request);
  // JSON view of a live call, "" when no actor is live for it.
  std::string live_call_view(const std::string& call_id);
  std::vector<std::string> live_calls();
  // JSON array of the tenants with a live actor ({"id","name","time_zone","live":true}) and of
  // those the provider gate holds a breaker for ("live":false when no actor), each with
  // "breakers": [{"provider","state","recent_failures","open_until"?,"retry_after_seconds"?}].
  std::string live_tenants_json();
  // Live call events (actors/call_events.hpp): registers a subscriber with the event hub and
  // returns once it is registered, so every call change committed after the return reaches it.
  // `org_id` "" = every tenant's calls (operator), else only that tenant's. The queue holds at
  // most `capacity` events; a reader that falls that far behind is dropped (queue overflowed).
  // Destroying the subscription unsubscribes. Throws service_error when the hub does not answer.
  std::unique_ptr<call_subscription> subscribe_calls(const std::string& org_id,
                                                     std::size_t capacity);
  // Subscribers the hub holds now (tests, inspection).
  std::uint64_t call_subscribers();
  // Forget cached number routes (after numbers or tenants changed).
  void invalidate_routes();
  // A tenant's settings or appointments changed outside its actor (tenant API): its live actor
  // takes the new record and reloads its calendar. Returns once it has (at once when no actor is
  // live; after request_timeout at most, logged), so the next tool call sees the change.
  void tenant_changed(const std::string& org_id);
  // Runs `job` on a database pool worker and waits for it. Its failure is thrown as
  // service_error: code ec::database_unavailable (no connection, PostgreSQL refused, or `job`
  // threw; what() says which), ec::timeout (request_timeout passed) or ec::unavailable.
  void with_db(std::function<void(pqxx::connection&)> job);
  // Graceful stop: waits until the write-behind tool log has stored every entry it received;
  // false when that did not happen within `timeout` (e.g. the database is down).
  bool flush_logs(std::chrono::milliseconds timeout);

  // For modules that add their own actors to the same system (they stop them before ~service).
  caf::actor_system& system();
  std::shared_ptr<actors::wiring> shared_wiring();
  std::chrono::milliseconds request_timeout() const;
  // The options the service was built with (provider base URLs and the Vapi key, for modules that
  // build the twilio_endpoint / vapi_endpoint of their provider_port requests).
  const service_options& options() const;

  // Every Twilio and Vapi request: one blocking method per typed operation of the provider
  // adapter actors, behind the tenant's circuit breakers (actors/provider_port.hpp).
  provider_port& providers();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::unique_ptr<provider_port> providers_;
};

}  // namespace rm::actors
