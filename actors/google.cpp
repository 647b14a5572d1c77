// The google actor (actors/google_interfaces.hpp) and its blocking port for the HTTP routes
// (actors/google_port.hpp). Detached: a pass blocks on Google and on the database pool (through
// scoped actors), never on a scheduler thread.
#include <spdlog/spdlog.h>

#include <map>
#include <thread>

#include "actors/actors.hpp"
#include "actors/google_port.hpp"
#include "domain/google_calendar.hpp"
#include "persistence/google_queries.hpp"

namespace rm::actors {

namespace {

namespace gq = persistence::google;
namespace gd = domain::google;

struct access_token {
  std::string token;
  domain::instant obtained_at;
  std::int64_t expires_in = 0;
};

struct google_state {
  std::uint64_t pass = 0;
  std::map<std::string, access_token> tokens;  // org_id → the live access token
  static inline const char* name = "google";
};
using google_ptr = google_actor::stateful_pointer<google_state>;

// A blocking database job on the pool (the pass's thread waits; it is this actor's own).
template <class T, class Fn>
std::optional<T> db(caf::actor_system& sys, const wiring_ptr& w, Fn fn) {
  // Shared: after a timeout the job may still run and fill it.
  auto out = std::make_shared<std::optional<T>>();
  auto job = db_job{std::make_shared<std::function<void(pqxx::connection&)>>(
      [out, fn](pqxx::connection& c) { out->emplace(fn(c)); })};
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(w->db(), w->times.db_timeout, job)
      .receive([&](const db_done&) { ok = true; },
               [&](caf::error& err) { spdlog::warn("google: database: {}", describe(err)); });
  if (!ok) return std::nullopt;
  return *out;
}

template <class T, class Fn>
std::optional<T> in_tenant(caf::actor_system& sys, const wiring_ptr& w, const std::string& org,
                           Fn fn) {
  return db<T>(sys, w, [org, fn](pqxx::connection& c) {
    std::optional<T> out;
    persistence::in_tenant(c, org, [&](pqxx::work& tx) {
      out.emplace(fn(tx));
      return true;
    });
    return *out;
  });
}

// Asks the gate; false (with the cool-off in `retry_after_ms`) when the breaker refuses.
bool admitted(caf::actor_system& sys, const wiring_ptr& w, const std::string& org,
              std::int64_t& retry_after_ms) {
  caf::scoped_actor self{sys};
  bool allowed = false;
  retry_after_ms = 1000;
  self->request(w->gate(), w->times.db_timeout, admit_atom::value, org, provider::google)
      .receive(
          [&](const admission& a) {
            allowed = a.allowed;
            retry_after_ms = a.retry_after_ms;
          },
          [&](caf::error&) {});
  return allowed;
}

void report(const wiring_ptr& w, const std::string& org, const google::error* err) {
  outcome_kind k = !err ? outcome_kind::success
                        : google::transient(*err) ? outcome_kind::failure : outcome_kind::success;
  caf::anon_send(w->gate(), outcome_atom::value, org, provider::google, k);
}

// One Google request behind the breaker: nullopt when refused (nothing sent).
template <class R, class Fn>
std::optional<R> gated(caf::actor_system& sys, const wiring_ptr& w, const std::string& org,
                       Fn fn, std::int64_t* retry_after_ms = nullptr) {
  std::int64_t wait = 0;
  if (!admitted(sys, w, org, wait)) {
    if (retry_after_ms) *retry_after_ms = wait;
    return std::nullopt;
  }
  R r;
  try {
    r = fn();
  } catch (const std::exception& e) {
    caf::anon_send(w->gate(), outcome_atom::value, org, provider::google, outcome_kind::neutral);
    r.err = {0, "", e.what()};
    return r;
  }
  report(w, org, r.ok ? nullptr : &r.err);
  return r;
}

void push_busy(caf::actor_system& sys, const wiring_ptr& w, const std::string& org,
               const std::vector<domain::busy_interval>& busy) {
  busy_list list;
  for (const auto& b : gd::merge_busy(busy)) {
    list.starts.push_back(persistence::to_epoch(b.start));
    list.ends.push_back(persistence::to_epoch(b.end));
  }
  caf::scoped_actor self{sys};
  self->request(w->directory(), w->times.db_timeout, org_atom::value, org)
      .receive([&](const tenant_actor& t) { caf::anon_send(t, gbusy_atom::value, list); },
               [&](caf::error& err) {
                 spdlog::warn("google: tenant {}: busy time not delivered: {}", org,
                              describe(err));
               });
}

enum class token_state { ok, refused, broken, failed };

// The clinic's access token, refreshed when due (this thread is the only refresher).
token_state token_of(google_ptr self, const wiring_ptr& w, const std::string& org,
                     std::string& out) {
  auto& sys = self->system();
  auto now = w->now();
  auto it = self->state.tokens.find(org);
  if (it != self->state.tokens.end() &&
      !gd::token_needs_refresh(it->second.obtained_at, it->second.expires_in, now)) {
    out = it->second.token;
    return token_state::ok;
  }
  std::optional<std::optional<std::string>> refresh;
  try {
    refresh = in_tenant<std::optional<std::string>>(
        sys, w, org, [org](pqxx::work& tx) { return gq::load_refresh_token(tx, org); });
  } catch (const std::exception& e) {
    spdlog::warn("google: tenant {}: refresh token unreadable: {}", org, e.what());
    return token_state::failed;
  }
  if (!refresh || !*refresh) return token_state::failed;
  google::client client(w->google.endpoint);
  auto t = gated<google::token_result>(sys, w, org, [&] { return client.refresh(**refresh); });
  if (!t) return token_state::refused;
  if (!t->ok) {
    if (t->err.reason == "invalid_grant") {
      self->state.tokens.erase(org);
      auto reason = "invalid_grant: " + t->err.message;
      in_tenant<bool>(sys, w, org,
                      [org, reason](pqxx::work& tx) { return gq::mark_broken(tx, org, reason); });
      spdlog::warn("google: tenant {}: the link is broken ({}); local calendar only", org, reason);
      return token_state::broken;
    }
    in_tenant<bool>(sys, w, org, [org, e = google::describe(t->err)](pqxx::work& tx) {
      gq::record_error(tx, org, "token refresh: " + e);
      return true;
    });
    return token_state::failed;
  }
  self->state.tokens[org] = {t->access_token, now, t->expires_in};
  out = t->access_token;
  return token_state::ok;
}

// Step 2 for one clinic; true when its busy time was read and pushed.
bool refresh_busy(google_ptr self, const wiring_ptr& w, const std::string& org) {
  auto& sys = self->system();
  auto link = in_tenant<std::optional<gq::link>>(
      sys, w, org, [org](pqxx::work& tx) { return gq::load_link(tx, org); });
  if (!link || !*link) return false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string token;
    auto ts = token_of(self, w, org, token);
    if (ts == token_state::broken) push_busy(sys, w, org, {});  // local calendar only
    if (ts != token_state::ok) return false;
    auto now = w->now();
    google::client client(w->google.endpoint);
    auto r = gated<google::busy_result>(sys, w, org, [&] {
      return client.free_busy(token, (*link)->calendar_id, now - std::chrono::hours(24),
                              now + w->google.horizon);
    });
    if (!r) return false;
    if (!r->ok && r->err.http_status == 401 && attempt == 0) {  // refresh once and retry
      self->state.tokens.erase(org);
      continue;
    }
    if (!r->ok) {
      in_tenant<bool>(sys, w, org, [org, e = google::describe(r->err)](pqxx::work& tx) {
        gq::record_error(tx, org, "freeBusy: " + e);
        return true;
      });
      return false;  // the tenant keeps the last busy time it got
    }
    push_busy(sys, w, org, r->busy);
    in_tenant<bool>(sys, w, org, [org](pqxx::work& tx) {
      gq::record_sync(tx, org);
      return true;
    });
    return true;
  }
  return false;
}

std::string event_summary(const gq::sync_job& job) {
  return job.contact_name.empty() ? "Appointment (booked by phone)"
                                  : "Appointment - " + job.contact_name;
}

// Step 3 for one due row; true when it is done.
bool work_row(google_ptr self, const wiring_ptr& w, const gq::due_sync& due) {
  auto& sys = self->system();
  const auto org = due.org_id;
  const auto lease = w->google.lease;
  std::optional<std::optional<gq::sync_job>> claimed;
  try {
    claimed = in_tenant<std::optional<gq::sync_job>>(
        sys, w, org, [id = due.id, lease](pqxx::work& tx) { return gq::claim_sync(tx, id, lease); });
  } catch (const std::exception& e) {
    spdlog::warn("google: row {}: claim failed: {}", due.id, e.what());
    return false;
  }
  if (!claimed || !*claimed) return false;
  const auto job = **claimed;
  auto retry = [&](const std::string& error, std::chrono::milliseconds backoff, bool permanent) {
    in_tenant<bool>(sys, w, org, [=, max = w->google.max_attempts](pqxx::work& tx) {
      return gq::sync_retry(tx, job, error, backoff, max, permanent);
    });
    return false;
  };
  auto link = in_tenant<std::optional<gq::link>>(
      sys, w, org, [org](pqxx::work& tx) { return gq::load_link(tx, org); });
  if (!link || !*link) return retry("the Google link is gone", std::chrono::minutes(5), true);
  google::client client(w->google.endpoint);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string token;
    auto ts = token_of(self, w, org, token);
    if (ts != token_state::ok)
      return retry(ts == token_state::broken ? "the Google link is broken" : "no access token",
                   gd::sync_backoff(job.attempts), false);
    std::int64_t wait = 0;
    auto r = gated<google::event_result>(
        sys, w, org,
        [&] {
          if (job.action == "delete")
            return client.delete_event(token, (*link)->calendar_id, job.event_id);
          return client.insert_event(
              token, (*link)->calendar_id,
              google::event_body(job.event_id, event_summary(job),
                                 "Booked by phone agent (" + job.clinic_name + ")",
                                 persistence::from_epoch(job.starts_at),
                                 persistence::from_epoch(job.ends_at), job.time_zone, org,
                                 job.appointment_id));
        },
        &wait);
    if (!r)
      return retry("Google Calendar paused for this clinic (circuit breaker open)",
                   std::max<std::chrono::milliseconds>(std::chrono::milliseconds(wait),
                                                       gd::sync_backoff(job.attempts)),
                   false);
    if (r->ok) {
      auto done = in_tenant<bool>(sys, w, org, [job](pqxx::work& tx) { return gq::sync_done(tx, job); });
      return done && *done;
    }
    if (r->err.http_status == 401 && attempt == 0) {
      self->state.tokens.erase(org);
      continue;
    }
    return retry(google::describe(r->err), gd::sync_backoff(job.attempts),
                 !google::transient(r->err) && r->err.http_status != 401);
  }
  return false;
}

std::pair<int, int> run_pass(google_ptr self, const wiring_ptr& w) {
  int read = 0, done = 0;
  auto& sys = self->system();
  if (!w->google.endpoint.client_id.empty()) {
    try {
      auto orgs = db<std::vector<gq::linked_org>>(sys, w, [](pqxx::connection& c) {
        pqxx::work tx{c};
        auto out = gq::linked_orgs(tx);
        tx.commit();
        return out;
      });
      for (const auto& o : orgs.value_or(std::vector<gq::linked_org>{})) {
        if (o.status != "connected") {
          push_busy(sys, w, o.org_id, {});  // broken: local calendar only
          continue;
        }
        read += refresh_busy(self, w, o.org_id) ? 1 : 0;
      }
      auto due = db<std::vector<gq::due_sync>>(sys, w, [batch = w->google.batch](pqxx::connection& c) {
        pqxx::work tx{c};
        auto out = gq::syncs_due(tx, batch);
        tx.commit();
        return out;
      });
      for (const auto& d : due.value_or(std::vector<gq::due_sync>{}))
        done += work_row(self, w, d) ? 1 : 0;
    } catch (const std::exception& e) {
      spdlog::warn("google: pass failed: {}", e.what());  // the next pass tries again
    }
  }
  const auto pass = ++self->state.pass;
  if (w->google.refresh.count() > 0)
    self->delayed_send(self, w->google.refresh, gtick_atom::value, pass);
  if (read > 0 || done > 0)
    spdlog::debug("google: pass {}: {} calendar(s) read, {} event sync(s) done", pass, read, done);
  return {read, done};
}

}  // namespace

google_actor spawn_google(caf::actor_system& sys, std::shared_ptr<wiring> w) {
  auto fn = [w](google_ptr self) -> google_actor::behavior_type {
    std::weak_ptr<wiring> weak = w;
    self->attach_functor([weak, me = self->address()] {
      if (auto wp = weak.lock())
        if (wp->google_sync().address() == me) wp->set(google_actor{});
    });
    // The first pass comes as a message, after the supervisor published the other children.
    self->send(self, gtick_atom::value, std::uint64_t{0});
    return {
        [=](gpoll_atom) {
          auto r = run_pass(self, w);
          return caf::make_result(r.first, r.second);
        },
        [=](gtick_atom, std::uint64_t pass) {
          if (pass == self->state.pass) run_pass(self, w);
        },
        [=](glink_atom, const std::string& org) {
          self->state.tokens.erase(org);
          push_busy(self->system(), w, org, {});  // re-read below (or nothing: unlinked)
          run_pass(self, w);
        },
    };
  };
  return sys.spawn<caf::detached>(fn);
}

// ---- the port (google_port.hpp) -------------------------------------------------------------

namespace {

google_actor google_of(service& svc) {
  auto w = svc.shared_wiring();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!w->google_sync()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw service_error(ec::unavailable, "the google actor did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return w->google_sync();
}

template <class R, class Fn>
R port_call(service& svc, const std::string& org, Fn fn) {
  auto w = svc.shared_wiring();
  std::int64_t wait = 0;
  auto r = gated<R>(svc.system(), w, org, std::move(fn), &wait);
  if (!r)
    throw provider_unavailable(
        "Google Calendar is unavailable for this clinic after repeated failures: requests are "
        "paused (circuit breaker open)",
        std::chrono::seconds((wait + 999) / 1000));
  return *r;
}

}  // namespace

const google::endpoint& google_endpoint_of(service& svc) { return svc.options().google_endpoint; }

google::token_result google_exchange_code(service& svc, const std::string& org_id,
                                          const std::string& code,
                                          const std::string& redirect_uri) {
  google::client client(svc.options().google_endpoint);
  return port_call<google::token_result>(svc, org_id,
                                         [&] { return client.exchange_code(code, redirect_uri); });
}

google::event_result google_revoke(service& svc, const std::string& org_id,
                                   const std::string& token) {
  google::client client(svc.options().google_endpoint);
  return port_call<google::event_result>(svc, org_id, [&] { return client.revoke(token); });
}

void google_link_changed(service& svc, const std::string& org_id) {
  caf::anon_send(google_of(svc), glink_atom::value, org_id);
}

std::pair<int, int> google_poll(service& svc, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{svc.system()};
  std::pair<int, int> out{-1, -1};
  caf::error err;
  self->request(google_of(svc), timeout, gpoll_atom::value)
      .receive([&](int read, int done) { out = {read, done}; }, [&](caf::error& e) { err = e; });
  if (out.first < 0)
    throw service_error(err == caf::sec::request_timeout ? ec::timeout : ec::unavailable,
                        "the google actor did not answer: " + svc.system().render(err));
  return out;
}

}  // namespace rm::actors
