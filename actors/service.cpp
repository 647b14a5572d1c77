#include "actors/service.hpp"

#include <future>
#include <tuple>
#include <variant>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::actors {

namespace {

// One request made on behalf of a plain thread: run by a bridge actor, which sends the request
// and fulfils the thread's promise from the reply (see service::impl::ask).
struct bridge_job {
  std::shared_ptr<std::function<void(caf::event_based_actor*)>> run;
};

}  // namespace
}  // namespace rm::actors

namespace rm::actors {
namespace {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bridge_job&) {
  return f(caf::meta::type_name("bridge_job"));
}
}  // namespace

struct service::impl {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  wiring_ptr w = std::make_shared<wiring>();
  caf::actor supervisor;
  // Live while the actor system is: a call_subscription's unsubscribe (any thread, any time)
  // sends only while it can lock this.
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  std::chrono::milliseconds timeout;
  service_options options;

  explicit impl(const service_options& o) : timeout(o.request_timeout), options(o) {
    // Request/response dominates: the sharing policy answers a round trip several times faster
    // than work stealing on this kind of load (see ../shared/guides/stack.md, gotcha 3).
    cfg.set("scheduler.policy", caf::atom("sharing"));
    register_errors(cfg);  // render(err) names rm::ec kinds
    // Sized for the machine: one scheduler thread per core (CAF's own default is at least 4,
    // which on 2 cores only adds wake-ups and context switches). Blocking work never runs on
    // these threads: the database workers and provider adapters are detached actors.
    const std::size_t threads =
        o.scheduler_threads > 0 ? o.scheduler_threads
                                : std::max<std::size_t>(2, std::thread::hardware_concurrency());
    cfg.set("scheduler.max-threads", threads);
    sys = std::make_unique<caf::actor_system>(cfg);
    for (std::size_t i = 0; i < threads; ++i)
      bridges.push_back(sys->spawn([](caf::event_based_actor* self) -> caf::behavior {
        return {[self](bridge_job& job) { (*job.run)(self); }};
      }));
    w->times.call_linger = o.call_linger;
    w->times.no_report_timeout = o.no_report_timeout;
    w->times.sanity_timeout = o.sanity_timeout;
    w->times.breaker = o.breaker;
    w->sms_per_call = o.sms_per_call;
    w->verification.sweep_interval = o.verification_sweep_interval;
    w->verification.argon2 = std::make_shared<argon2_limiter>(o.argon2_slots, o.argon2_wait);
    w->outbox.poll = o.outbox_poll;
    w->outbox.rows.lease = o.outbox_lease;
    w->outbox.twilio_base_url = o.twilio_base_url;
    w->google.endpoint = o.google_endpoint;
    w->google.refresh = o.google_refresh;
    w->google.lease = o.google_lease;
    supervisor_settings s;
    s.verification = o.verification;
    s.database_url = o.database_url;
    s.runtime_role = o.runtime_role;
    s.db_workers = o.db_workers;
    s.twilio_base_url = o.twilio_base_url;
    supervisor = spawn_root_supervisor(*sys, w, s);
    // The supervisor spawns its children asynchronously; a request made before it published
    // their handles would go to a null handle. Wait (bounded) until every one is there.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(w->db() && w->gate() && w->twilio() && w->vapi() && w->email() && w->calendar() && w->tool_log() && w->directory() &&
             w->calls() && w->events() && w->tools_sync() &&
             (!o.verification || (w->verification_registry() && w->verification_housekeeper())))) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("the actor system did not start within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  ~impl() {
    alive.reset();
    for (auto& b : bridges) caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
    bridges.clear();
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    supervisor = nullptr;
    sys.reset();  // waits for every actor
  }

  // Bridge actors: a plain thread's request is sent by one of them (round robin), and the reply
  // fulfils a promise the thread waits on. This replaces a scoped_actor per request (an actor
  // created, registered and destroyed for every HTTP request), keeps CAF's request timeout in an
  // event-based actor (where a late reply is dropped), and leaves one hand-off each way between
  // the HTTP worker and the actors (issue 13 §4).
  std::vector<caf::actor> bridges;
  std::atomic<std::size_t> next_bridge{0};

  // One blocking request from this thread; an error reply becomes service_error with its rm::ec
  // (ec_of: an rm error keeps its kind, request_timeout → timeout, other CAF errors →
  // unavailable).
  template <class Result, class Handle, class... Ts>
  Result ask(const Handle& dest, Ts&&... xs) {
    return ask_within<Result>(timeout, dest, std::forward<Ts>(xs)...);
  }

  template <class Result, class Handle, class... Ts>
  Result ask_within(std::chrono::milliseconds within, const Handle& dest, Ts&&... xs) {
    using outcome = std::variant<Result, caf::error>;
    auto done = std::make_shared<std::promise<outcome>>();
    auto answer = done->get_future();
    auto args = std::make_tuple(std::decay_t<Ts>(std::forward<Ts>(xs))...);
    auto job = std::make_shared<std::function<void(caf::event_based_actor*)>>(
        [dest, within, done, args = std::move(args)](caf::event_based_actor* self) mutable {
          std::apply(
              [&](auto&... a) {
                self->request(dest, within, std::move(a)...)
                    .then([done](Result& r) { done->set_value(outcome{std::move(r)}); },
                          [done](caf::error& e) { done->set_value(outcome{std::move(e)}); });
              },
              args);
        });
    auto& bridge = bridges[next_bridge.fetch_add(1, std::memory_order_relaxed) % bridges.size()];
    caf::anon_send(bridge, bridge_job{std::move(job)});
    // The bridge's request times out after `within`; the margin covers its own queueing.
    if (answer.wait_for(within + std::chrono::seconds(2)) != std::future_status::ready)
      throw service_error(ec::timeout, "no answer within the request timeout");
    outcome out;
    try {
      out = answer.get();
    } catch (const std::future_error&) {  // the bridge stopped (shutdown) with the job pending
      throw service_error(ec::unavailable, "the actor system is stopping");
    }
    if (auto* r = std::get_if<Result>(&out)) return std::move(*r);
    auto& err = std::get<caf::error>(out);
    if (!err) throw service_error(ec::unavailable, "no answer");
    // An rm error's own sentence; CAF's errors as the system renders them.
    throw service_error(ec_of(err).value_or(ec::unavailable),
                        err.category() == ec_category ? message_of(err) : sys->render(err));
  }
};

service::service(service_options options)
    : impl_(std::make_unique<impl>(options)), providers_(std::make_unique<provider_port>(*this)) {
  // The tools sync's steps need this service (its database and provider port), so they are
  // installed once it exists; the actor then resumes the pending syncs.
  install_tools_sync(*this, std::make_shared<tools_syncer>(
                                *this, tools_sync_settings{options.tools_sync_backoff,
                                                           options.tools_sync_attempts}));
}

service::~service() {
  // A running attempt uses this service: wait for it, and make later ones do nothing.
  if (auto s = std::dynamic_pointer_cast<tools_syncer>(impl_->w->tools_sync_steps_now()))
    s->close();
}

tenant_ref service::resolve(const std::string& e164, const std::string& vapi_id) {
  // A number seen before is answered on this thread (the directory fills the shared cache).
  if (auto hit = impl_->w->routes->find(e164, vapi_id)) return *hit;
  return impl_->ask<tenant_ref>(impl_->w->directory(), resolve_atom::value, e164, vapi_id);
}

event_ack service::record_event(const call_event_msg& msg) {
  return impl_->ask<event_ack>(impl_->w->calls(), event_atom::value, msg);
}

namespace {

// The replies to `requests` from the tenant's calendar snapshot when every one is a read
// (check_availability with arguments that parsed) and the snapshot covers its date; nullopt when
// any is not, or the tenant has no snapshot yet: then the actors answer all of them.
bool all_reads(const std::vector<tool_request>& reqs) {
  for (const auto& r : reqs)
    if (r.name != "check_availability" || !r.arguments_error.empty()) return false;
  return !reqs.empty();
}

std::optional<std::vector<tenant_tool_reply>> answer_reads(const calendar_board& board,
                                                           const std::string& org_id,
                                                           const std::vector<tool_request>& reqs,
                                                           domain::instant now) {
  if (!all_reads(reqs)) return std::nullopt;
  auto snap = board.find(org_id);
  if (!snap) return std::nullopt;
  std::vector<tenant_tool_reply> out;
  out.reserve(reqs.size());
  for (const auto& r : reqs) {
    auto reply = check_from(*snap, r, now);
    if (!reply) return std::nullopt;
    out.push_back(std::move(*reply));
  }
  return out;
}

}  // namespace

std::vector<tool_reply> service::run_tools(const persistence::call_identity& call,
                                           std::vector<tool_request> requests) {
  // Reads are answered here, on the HTTP worker, from the tenant actor's published calendar
  // (issue 13 §2, §4: no actor hop, no database on the request path); the call actor then
  // remembers them for retries and stores them write-behind, without a reply. The dialled
  // number's tenant answers — the one the webhook's credential was checked against — so a call
  // id of another tenant learns nothing of it (and its record is not touched).
  const auto started = std::chrono::steady_clock::now();
  auto& w = *impl_->w;
  std::optional<std::vector<tenant_tool_reply>> replies;
  // A place for the record first (bounded write-behind): the reads wait their turn here, evenly,
  // while the records are behind; if none frees up within a second, the actors answer instead.
  // The answer is computed after the wait, from the calendar as it is then.
  if (all_reads(requests) && w.calendars->find(call.org_id) &&
      w.reads_behind->acquire(std::chrono::seconds(1))) {
    replies = answer_reads(*w.calendars, call.org_id, requests, w.now());
    if (!replies) w.reads_behind->release();  // a date beyond the snapshot: the actors widen it
  }
  if (replies) {
    std::vector<tool_reply> out;
    out.reserve(replies->size());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (std::size_t i = 0; i < replies->size(); ++i) {
      const auto& o = (*replies)[i].outcome;
      metrics::tool_call(requests[i].name, o.is_error ? "error" : "ok", seconds);
      out.push_back({requests[i].name, requests[i].tool_call_id, o.result, o.is_error});
    }
    std::shared_ptr<void> pending{nullptr,
                                  [behind = w.reads_behind](void*) { behind->release(); }};
    // Into the registry's inbox; a ring only when it was empty (read_inbox).
    if (w.reads_inbox->put(answered_reads{call, std::move(requests), std::move(*replies),
                                          std::move(pending)}))
      caf::anon_send(w.calls(), tools_atom::value, false);
    return out;
  }
  return impl_->ask<std::vector<tool_reply>>(impl_->w->calls(), tools_atom::value, call,
                                             std::move(requests));
}

std::string service::live_call_view(const std::string& call_id) {
  return impl_->ask<std::string>(impl_->w->calls(), view_atom::value, call_id);
}

std::vector<std::string> service::live_calls() {
  return impl_->ask<std::vector<std::string>>(impl_->w->calls(), list_atom::value);
}

std::unique_ptr<call_subscription> service::subscribe_calls(const std::string& org_id,
                                                           std::size_t capacity) {
  auto queue = std::make_shared<event_queue>(capacity);
  auto hub = impl_->w->events();
  auto id = impl_->ask<std::uint64_t>(hub, evsub_atom::value, event_subscriber{org_id, queue});
  std::weak_ptr<int> alive = impl_->alive;
  return std::make_unique<call_subscription>(queue, [alive, hub, id] {
    if (auto live = alive.lock()) caf::anon_send(hub, evunsub_atom::value, id);
  });
}

std::uint64_t service::call_subscribers() {
  return impl_->ask<std::uint64_t>(impl_->w->events(), evcount_atom::value);
}

namespace {

// Both providers, closed, when the gate has no breaker for one yet.
nlohmann::json with_every_provider(nlohmann::json breakers) {
  if (!breakers.is_array()) breakers = nlohmann::json::array();
  for (const char* name : {"twilio", "vapi"}) {
    bool found = false;
    for (const auto& b : breakers) found = found || b.value("provider", "") == name;
    if (!found)
      breakers.push_back({{"provider", name}, {"state", "closed"}, {"recent_failures", 0}});
  }
  return breakers;
}

}  // namespace

std::string service::live_tenants_json() {
  auto live = nlohmann::json::parse(impl_->ask<std::string>(impl_->w->directory(), list_atom::value),
                                    nullptr, false);
  auto breakers = nlohmann::json::parse(
      impl_->ask<std::string>(impl_->w->gate(), breakers_atom::value), nullptr, false);
  if (!live.is_array()) live = nlohmann::json::array();
  if (!breakers.is_object()) breakers = nlohmann::json::object();
  for (auto& t : live) {
    auto id = t.value("id", "");
    t["breakers"] = with_every_provider(breakers.contains(id) ? breakers[id] : nullptr);
    breakers.erase(id);
  }
  for (auto& [id, list] : breakers.items())
    live.push_back({{"id", id}, {"live", false}, {"breakers", with_every_provider(list)}});
  return live.dump();
}

void service::invalidate_routes() {
  impl_->w->routes->clear();  // now, so this thread's next request cannot see the old route
  caf::anon_send(impl_->w->directory(), invalidate_atom::value);
}

void service::tenant_changed(const std::string& org_id) {
  impl_->w->routes->clear();
  // Waited for, so the API's reply follows the tenant's memory: a slot cancelled through the
  // API can be reserved by the next tool call. A failure is not the API's: the change is
  // committed and the tenant reloads on its own (its read is retried).
  try {
    impl_->ask<bool>(impl_->w->directory(), changed_atom::value, org_id);
  } catch (const service_error& e) {
    spdlog::warn("tenant {}: its live actor did not confirm the reload ({})", org_id, e.what());
  }
}

caf::actor_system& service::system() { return *impl_->sys; }
wiring_ptr service::shared_wiring() { return impl_->w; }
std::chrono::milliseconds service::request_timeout() const { return impl_->timeout; }

const service_options& service::options() const { return impl_->options; }
provider_port& service::providers() { return *providers_; }

void service::with_db(std::function<void(pqxx::connection&)> job) {
  // A failed job comes back as an rm error (ec::database_unavailable): ask throws it.
  impl_->ask<db_done>(impl_->w->db(),
                      db_job{std::make_shared<std::function<void(pqxx::connection&)>>(job)});
}

bool service::flush_logs(std::chrono::milliseconds timeout) {
  try {
    return impl_->ask_within<bool>(timeout, impl_->w->tool_log(), drain_atom::value);
  } catch (const service_error&) {
    return false;
  }
}

tool_reply service::read_tool(const std::string& org_id, tool_request request) {
  auto name = request.name;
  auto id = request.tool_call_id;
  // From the tenant's published calendar when it has one covering the date (no message at all).
  if (auto r = answer_reads(*impl_->w->calendars, org_id, {request}, impl_->w->now()))
    return {std::move(name), std::move(id), std::move(r->front().outcome.result),
            r->front().outcome.is_error};
  auto r = impl_->ask<tenant_tool_reply>(impl_->w->directory(), tool_atom::value, org_id,
                                         tenant_tool_call{"", "", std::move(request)});
  return {std::move(name), std::move(id), std::move(r.outcome.result), r.outcome.is_error};
}

}  // namespace rm::actors
