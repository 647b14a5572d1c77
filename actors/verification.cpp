// Caller-ID verification: session actors, their registry, the housekeeper, and the blocking
// facade used by the HTTP routes (actors/verification_interfaces.hpp, verification_service.hpp).
//
// The database row is the truth. A session keeps a copy of its state for the timer and the
// inspection API, and every code check re-reads the row FOR UPDATE in the same transaction that
// stores the result, so two confirms racing (even through two processes) cannot both succeed and
// a superseded code is never accepted.
#include <algorithm>
#include <ctime>
#include <optional>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/db_call.hpp"
#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "adapters/metrics/metrics.hpp"
#include "actors/verification_code.hpp"
#include "actors/verification_interfaces.hpp"
#include "actors/verification_service.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "domain/e164.hpp"
#include "persistence/repositories.hpp"
#include "persistence/verification_queries.hpp"

namespace rm::actors {

namespace {

using nlohmann::json;

std::int64_t epoch(domain::instant t) { return t.time_since_epoch().count(); }
domain::instant at(std::int64_t s) { return domain::instant{std::chrono::seconds{s}}; }

// The cheap checks before a code is sent (domain::gate_initiation) over the tenant's row for the
// number and the number's recent sends.
domain::initiation_decision initiation_gate_for(pqxx::work& tx,
                                                const std::optional<persistence::caller_id_row>& row,
                                                const std::string& e164, std::int64_t now,
                                                const domain::verification_limits& limits) {
  std::vector<domain::instant> sends;
  for (auto t : persistence::recent_verification_sends(tx, e164,
                                                       now - limits.initiation_window.count()))
    sends.push_back(at(t));
  std::optional<domain::instant> locked_until;
  if (row && row->locked_until) locked_until = at(*row->locked_until);
  return domain::gate_initiation(row && row->status == "verified", locked_until, sends, at(now),
                                 limits);
}

const char* outcome_of(domain::initiation_gate g) {
  switch (g) {
    case domain::initiation_gate::already_verified: return "already_verified";
    case domain::initiation_gate::locked: return "locked";
    case domain::initiation_gate::rate_limited: return "rate_limited";
    case domain::initiation_gate::ok: break;
  }
  return "started";
}

// ---- sessions ---------------------------------------------------------------------------------

struct session_state {
  std::string id;
  std::string org_id;
  std::string phone;
  domain::verification_session s;
  metrics::live_token live{metrics::live::verification_sessions};
  static inline const char* name = "verification_session";
};
using session_ptr = verification_session_actor::stateful_pointer<session_state>;

confirm_reply reply_for_state(const domain::verification_session& s) {
  confirm_reply r;
  switch (s.state) {
    case domain::verification_state::verified: r.outcome = "already_verified"; break;
    case domain::verification_state::failed: r.outcome = "locked"; break;
    case domain::verification_state::expired: r.outcome = "expired"; break;
    case domain::verification_state::pending: r.outcome = "error"; break;
  }
  if (s.locked_until) r.locked_until = epoch(*s.locked_until);
  return r;
}

struct check_result {
  confirm_reply reply;
  domain::verification_session next;
};

void arm_timer(session_ptr self, const wiring_ptr& w) {
  auto left = self->state.s.expires_at - w->now();
  if (left < std::chrono::seconds(0)) left = std::chrono::seconds(0);
  self->delayed_send(self, left, expire_atom::value);
}

verification_session_actor::behavior_type session_behavior(
    session_ptr self, wiring_ptr w, verification_config cfg,
    persistence::pending_verification init) {
  auto& st = self->state;
  st.id = init.id;
  st.org_id = init.org_id;
  st.phone = init.phone_number;
  st.s.wrong_attempts = init.attempts;
  st.s.expires_at = at(init.expires_at);
  arm_timer(self, w);
  auto finish = [self] { self->send(self, vstop_atom::value); };
  return {
      [=](vconfirm_atom, confirm_cmd& cmd) -> caf::result<confirm_reply> {
        auto now = w->now();
        auto gate = domain::gate_check(self->state.s, now);
        if (gate != domain::check_gate::ok && gate != domain::check_gate::expired) {
          auto r = reply_for_state(self->state.s);
          r.phone_e164 = self->state.phone;
          return r;
        }
        auto rp = self->make_response_promise<confirm_reply>();
        auto id = self->state.id;
        auto org = self->state.org_id;
        auto phone = self->state.phone;
        auto snapshot = self->state.s;
        auto limits = cfg.limits;
        auto argon2 = cfg.argon2;
        auto code = std::move(cmd.code);
        db_await<check_result>(
            self, *w,
            [=](pqxx::connection& c) {
              pqxx::work tx{c};
              persistence::set_tenant(tx, org);
              check_result out;
              out.next = snapshot;
              auto row = persistence::lock_for_check(tx, id);
              if (!row) {
                out.reply.outcome = "not_found";
                out.next.state = domain::verification_state::expired;
                return out;
              }
              domain::verification_session cur;
              cur.wrong_attempts = row->attempts;
              cur.expires_at = at(row->expires_at);
              if (row->locked_until) cur.locked_until = at(*row->locked_until);
              cur.state = domain::parse_verification_state(row->status)
                              .value_or(domain::verification_state::expired);
              auto g = domain::gate_check(cur, now);
              if (g == domain::check_gate::expired) {
                persistence::mark_expired(tx, id, epoch(now));
                tx.commit();
                cur.state = domain::verification_state::expired;
              }
              if (g != domain::check_gate::ok) {
                out.next = cur;
                out.reply = reply_for_state(cur);
                return out;
              }
              // The comparison costs an argon2id hash: it runs in one of the capped slots. No slot
              // in time → busy, the row untouched (the transaction rolls back).
              bool match = false;
              if (!argon2->run([&] { match = verification_code_matches(row->code_hash, code); })) {
                out.next = cur;
                out.reply.outcome = "busy";
                return out;
              }
              auto o = domain::apply_check(cur, match, now, limits);
              switch (o.result) {
                case domain::check_result::verified:
                  persistence::mark_verified(tx, id, epoch(now));
                  out.reply.outcome = "verified";
                  break;
                case domain::check_result::wrong_code:
                  persistence::record_wrong_code(tx, id, o.next.wrong_attempts);
                  out.reply.outcome = "wrong_code";
                  break;
                case domain::check_result::failed:
                  persistence::mark_failed(tx, id, o.next.wrong_attempts, epoch(now),
                                           epoch(*o.next.locked_until));
                  out.reply.outcome = "failed";
                  out.reply.locked_until = epoch(*o.next.locked_until);
                  break;
              }
              tx.commit();
              out.next = o.next;
              out.reply.attempts_left = domain::attempts_left(o.next, limits);
              return out;
            },
            [=](check_result r, const std::string& error) mutable {
              if (!error.empty()) {
                r.reply.outcome = "error";
                r.reply.error = error;
              } else {
                self->state.s = r.next;
              }
              r.reply.phone_e164 = phone;
              rp.deliver(std::move(r.reply));
              if (self->state.s.state != domain::verification_state::pending) finish();
            });
        return rp;
      },
      [=](view_atom) -> std::string {
        const auto& st = self->state;
        auto left = std::max<std::int64_t>(0, epoch(st.s.expires_at) - epoch(w->now()));
        return json{{"id", st.id},
                    {"orgId", st.org_id},
                    {"phoneNumber", st.phone},
                    {"state", domain::to_string(st.s.state)},
                    {"attemptsLeft", domain::attempts_left(st.s, cfg.limits)},
                    {"expiresInSeconds", left}}
            .dump();
      },
      [=](expire_atom) {
        auto now = w->now();
        if (self->state.s.state != domain::verification_state::pending) return;
        if (now < self->state.s.expires_at) return arm_timer(self, w);
        auto id = self->state.id;
        auto org = self->state.org_id;
        db_await<bool>(
            self, *w,
            [=](pqxx::connection& c) {
              pqxx::work tx{c};
              persistence::set_tenant(tx, org);
              persistence::mark_expired(tx, id, epoch(now));
              tx.commit();
              return true;
            },
            [=](bool, const std::string& error) {
              if (!error.empty()) {
                // The housekeeper would catch it too; try again shortly.
                self->delayed_send(self, std::chrono::seconds(5), expire_atom::value);
                return;
              }
              self->state.s = domain::on_expiry_timer(self->state.s, now);
              finish();
            });
      },
      [=](vstop_atom) { self->quit(); },
  };
}

// ---- the registry -------------------------------------------------------------------------------

struct live_session {
  verification_session_actor actor;
  std::string org_id;
};
struct registry_state {
  std::unordered_map<std::string, live_session> sessions;  // verification id → session
  std::set<caf::actor_addr> children;
  static inline const char* name = "verification_registry";
};
using registry_ptr = verification_registry_actor::stateful_pointer<registry_state>;

verification_session_actor start_session(registry_ptr self, const wiring_ptr& w,
                                         const verification_config& cfg,
                                         const persistence::pending_verification& p) {
  auto& sessions = self->state.sessions;
  if (auto i = sessions.find(p.id); i != sessions.end()) {
    // Superseded (a new code was sent): the old session leaves, the new one owns the id.
    self->unlink_from(i->second.actor);
    self->send_exit(i->second.actor, caf::exit_reason::user_shutdown);
    sessions.erase(i);
  }
  auto actor = self->system().spawn(session_behavior, w, cfg, p);
  self->monitor(actor);
  self->link_to(actor);  // stops with the registry
  self->state.children.insert(actor.address());
  sessions[p.id] = {actor, p.org_id};
  return actor;
}

verification_registry_actor::behavior_type registry_behavior(registry_ptr self, wiring_ptr w,
                                                             verification_config cfg) {
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& sessions = self->state.sessions;
    for (auto i = sessions.begin(); i != sessions.end(); ++i)
      if (i->second.actor.address() == dm.source) {
        sessions.erase(i);
        break;
      }
    self->state.children.erase(dm.source);
  });
  self->set_exit_handler([=](const caf::exit_msg& em) {
    if (self->state.children.count(em.source) == 0 && em.reason) self->quit(em.reason);
  });
  return {
      [=](vinit_atom, initiate_cmd& cmd) -> caf::result<initiate_reply> {
        auto rp = self->make_response_promise<initiate_reply>();
        auto now = epoch(w->now());
        auto limits = cfg.limits;
        db_then<initiate_reply>(
            self, *w,
            [=](pqxx::connection& c) {
              pqxx::work tx{c};
              persistence::set_tenant(tx, cmd.org_id);
              persistence::lock_caller_number(tx, cmd.phone_e164);
              initiate_reply r;
              // The facade checked this before hashing; checked again here, under the number's
              // lock, because another request may have started a session in between.
              auto existing = persistence::find_caller_id_by_number(tx, cmd.phone_e164);
              auto gate = initiation_gate_for(tx, existing, cmd.phone_e164, now, limits);
              if (gate.gate != domain::initiation_gate::ok) {
                r.outcome = outcome_of(gate.gate);
                r.retry_after = gate.retry_after.count();
                if (existing) r.verification_id = existing->id;
                return r;
              }
              r.expires_at = now + limits.code_ttl.count();
              r.verification_id = persistence::start_verification(
                  tx, cmd.org_id, cmd.phone_e164, cmd.friendly_name, cmd.channel, cmd.code_hash,
                  now, r.expires_at);
              tx.commit();
              r.outcome = "started";
              return r;
            },
            [=](initiate_reply r, const std::string& error) mutable {
              if (!error.empty()) {
                r.outcome = "error";
                r.error = error;
              } else if (r.outcome == "started") {
                start_session(self, w, cfg,
                              {r.verification_id, cmd.org_id, cmd.phone_e164, r.expires_at, 0});
              }
              rp.deliver(std::move(r));
            });
        return rp;
      },
      [=](vconfirm_atom, confirm_cmd& cmd) -> caf::result<confirm_reply> {
        auto i = self->state.sessions.find(cmd.verification_id);
        if (i != self->state.sessions.end() && i->second.org_id == cmd.org_id)
          return self->delegate(i->second.actor, vconfirm_atom::value, std::move(cmd));
        // No live session: answer from the row (under the caller's tenant, so another tenant's
        // id is simply not found), or resume a pending one that has no actor yet.
        auto rp = self->make_response_promise<confirm_reply>();
        db_then<std::optional<persistence::caller_id_row>>(
            self, *w,
            [=](pqxx::connection& c) {
              pqxx::work tx{c};
              persistence::set_tenant(tx, cmd.org_id);
              auto row = persistence::find_caller_id(tx, cmd.verification_id);
              tx.commit();
              return row;
            },
            [=](std::optional<persistence::caller_id_row> row, const std::string& error) mutable {
              confirm_reply r;
              if (!error.empty()) {
                r.outcome = "error";
                r.error = error;
              } else if (!row) {
                r.outcome = "not_found";
              } else if (row->status == "pending" && row->expires_at) {
                auto s = start_session(self, w, cfg,
                                       {row->id, row->org_id, row->phone_number,
                                        *row->expires_at, row->attempts});
                rp.delegate(s, vconfirm_atom::value, cmd);
                return;
              } else {
                domain::verification_session s;
                s.state = domain::parse_verification_state(row->status)
                              .value_or(domain::verification_state::expired);
                if (row->locked_until) s.locked_until = at(*row->locked_until);
                r = reply_for_state(s);
                r.phone_e164 = row->phone_number;
              }
              rp.deliver(std::move(r));
            });
        return rp;
      },
      [=](list_atom) -> caf::result<std::string> {
        auto& sessions = self->state.sessions;
        if (sessions.empty()) return std::string{"[]"};
        auto rp = self->make_response_promise<std::string>();
        auto views = std::make_shared<json>(json::array());
        auto left = std::make_shared<std::size_t>(sessions.size());
        auto done = [rp, views, left]() mutable {
          if (--*left == 0) rp.deliver(views->dump());
        };
        for (auto& [id, live] : sessions)
          self->request(live.actor, std::chrono::seconds(5), view_atom::value)
              .then([views, done](std::string& v) mutable {
                      views->push_back(json::parse(v));
                      done();
                    },
                    [done](caf::error&) mutable { done(); });
        return rp;
      },
      [=](vforget_atom, const std::string& id) {
        auto i = self->state.sessions.find(id);
        if (i == self->state.sessions.end()) return;
        self->unlink_from(i->second.actor);
        self->send_exit(i->second.actor, caf::exit_reason::user_shutdown);
        self->state.sessions.erase(i);
      },
      [=](recover_atom) {
        if (!w->db()) {
          // The supervisor publishes the pool asynchronously right after the service starts.
          self->delayed_send(self, std::chrono::milliseconds(50), recover_atom::value);
          return;
        }
        db_then<std::vector<persistence::pending_verification>>(
            self, *w,
            [](pqxx::connection& c) {
              pqxx::work tx{c};
              auto all = persistence::pending_verifications(tx);
              tx.commit();
              return all;
            },
            [=](std::vector<persistence::pending_verification> all, const std::string& error) {
              if (!error.empty()) {
                spdlog::warn("verification: resuming pending sessions failed: {}", error);
                self->delayed_send(self, std::chrono::seconds(5), recover_atom::value);
                return;
              }
              for (const auto& p : all)
                if (self->state.sessions.count(p.id) == 0) start_session(self, w, cfg, p);
              if (!all.empty()) spdlog::info("verification: resumed {} pending session(s)", all.size());
            });
      },
  };
}

// ---- the housekeeper -------------------------------------------------------------------------

verification_housekeeper_actor::behavior_type housekeeper_behavior(
    verification_housekeeper_actor::pointer self, wiring_ptr w, verification_config cfg) {
  self->delayed_send(self, cfg.sweep_interval, vtick_atom::value);
  auto sweep = [self, w, cfg](std::function<void(sweep_result)> cont) {
    auto now = epoch(w->now());
    auto retention = cfg.limits.retention.count();
    db_then<sweep_result>(
        self, *w,
        [=](pqxx::connection& c) {
          pqxx::work tx{c};
          auto n = persistence::verification_housekeeping(tx, now, retention);
          tx.commit();
          return sweep_result{n.expired, n.deleted, ""};
        },
        [cont](sweep_result r, const std::string& error) {
          r.error = error;
          cont(std::move(r));
        });
  };
  return {
      [=](vsweep_atom) -> caf::result<sweep_result> {
        auto rp = self->make_response_promise<sweep_result>();
        sweep([rp](sweep_result r) mutable { rp.deliver(std::move(r)); });
        return rp;
      },
      [=](vtick_atom) {
        sweep([](sweep_result r) {
          if (!r.error.empty())
            spdlog::warn("verification housekeeping failed: {}", r.error);
          else if (r.expired || r.deleted)
            spdlog::info("verification housekeeping: {} expired, {} deleted", r.expired,
                         r.deleted);
        });
        self->delayed_send(self, cfg.sweep_interval, vtick_atom::value);
      },
  };
}

std::string iso_utc(std::int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

api_result error_result(int status, const std::string& code, const std::string& message,
                        const std::string& field = "") {
  json err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  return {status, json{{"error", err}}};
}

// Every argon2id slot stayed taken for argon2_wait.
api_result busy_result() {
  auto r = error_result(429, "busy", "too many verification requests at once; retry shortly");
  r.retry_after = 1;
  return r;
}

// Last 4 digits only, for logs.
std::string tail_of(const std::string& e164) {
  return e164.size() > 4 ? "…" + e164.substr(e164.size() - 4) : e164;
}

}  // namespace

verification_registry_actor spawn_verification_registry(caf::actor_system& sys, wiring_ptr w,
                                                        verification_config cfg) {
  return sys.spawn(registry_behavior, std::move(w), std::move(cfg));
}

verification_housekeeper_actor spawn_verification_housekeeper(caf::actor_system& sys,
                                                              wiring_ptr w,
                                                              verification_config cfg) {
  return sys.spawn(housekeeper_behavior, std::move(w), std::move(cfg));
}

// ---- the facade ---------------------------------------------------------------------------------

struct verification_service::impl {
  service& svc;
  verification_service_options options;
  wiring_ptr w;
  verification_config cfg;
  verification_registry_actor registry;
  verification_housekeeper_actor housekeeper;
  // Twilio requests are typed requests to the twilio adapter (svc.providers()), behind the
  // tenant's Twilio breaker.
  twilio_endpoint tw;

  impl(service& s, verification_service_options o)
      : svc(s), options(std::move(o)), w(s.shared_wiring()) {
    tw.base_url = options.twilio_base_url;
    cfg.sweep_interval = options.sweep_interval;
    cfg.argon2 = std::make_shared<argon2_limiter>(options.argon2_slots, options.argon2_wait);
    registry = spawn_verification_registry(svc.system(), w, cfg);
    housekeeper = spawn_verification_housekeeper(svc.system(), w, cfg);
    caf::anon_send(registry, recover_atom::value);
  }

  template <class R, class Dest, class... Ts>
  R ask(const Dest& dest, Ts&&... xs) {
    caf::scoped_actor self{svc.system()};
    std::optional<R> out;
    std::string error;
    bool timeout = false;
    self->request(dest, svc.request_timeout(), std::forward<Ts>(xs)...)
        .receive([&](R& r) { out = std::move(r); },
                 [&](caf::error& e) {
                   timeout = e == caf::sec::request_timeout;
                   error = svc.system().render(e);
                 });
    if (!out) throw service_error("verification actors: " + error, timeout);
    return std::move(*out);
  }
};

verification_service::verification_service(service& svc, verification_service_options options)
    : impl_(std::make_unique<impl>(svc, std::move(options))) {}

verification_service::~verification_service() {
  caf::anon_send_exit(impl_->registry, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->housekeeper, caf::exit_reason::user_shutdown);
}

service& verification_service::backend() { return impl_->svc; }
argon2_limiter& verification_service::argon2() { return *impl_->cfg.argon2; }
std::int64_t verification_service::now_epoch() { return epoch(impl_->w->now()); }

api_result verification_service::initiate(const std::string& org_id,
                                          const std::string& phone_input,
                                          const std::string& friendly_name,
                                          const std::string& channel) {
  if (channel != "call" && channel != "sms")
    return error_result(400, "invalid_channel", "channel must be \"call\" or \"sms\"", "channel");
  auto parsed = domain::normalize_e164(phone_input, "US");
  if (!parsed.ok)
    return error_result(400, "invalid_phone_number",
                        "phoneNumber is not a valid phone number (" + parsed.error + ")",
                        "phoneNumber");
  const std::string e164 = parsed.e164;

  std::optional<persistence::twilio_account> account;
  std::optional<std::string> ai_number;
  domain::initiation_decision gate;
  const auto now = now_epoch();
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    account = persistence::load_twilio_account(tx, org_id);
    ai_number = persistence::active_ai_number(tx);
    gate = initiation_gate_for(tx, persistence::find_caller_id_by_number(tx, e164), e164, now,
                               impl_->cfg.limits);
    tx.commit();
  });
  if (!ai_number)
    return error_result(409, "no_ai_number",
                        "the clinic has no active AI number to send the code from");
  if (!account)
    return error_result(409, "twilio_not_configured",
                        "the clinic's Twilio account is not configured");

  // Lock, rate limit and verified number first: a refused request costs no argon2id hash.
  initiate_reply reply;
  if (gate.gate != domain::initiation_gate::ok) {
    reply.outcome = outcome_of(gate.gate);
    reply.retry_after = gate.retry_after.count();
  }
  std::string code;
  if (reply.outcome.empty()) {
    code = generate_verification_code();
    std::string hash;
    if (!impl_->cfg.argon2->run([&] { hash = hash_verification_code(code); }))
      return busy_result();
    reply = impl_->ask<initiate_reply>(impl_->registry, vinit_atom::value,
                                       initiate_cmd{org_id, e164, friendly_name, channel, hash});
  }
  if (reply.outcome == "already_verified")
    return error_result(409, "already_verified",
                        "this number is already verified for this organization", "phoneNumber");
  if (reply.outcome == "locked") {
    auto r = error_result(423, "number_locked",
                          "too many wrong codes: this number is locked; retry later",
                          "phoneNumber");
    r.retry_after = static_cast<int>(reply.retry_after);
    return r;
  }
  if (reply.outcome == "rate_limited") {
    auto r = error_result(429, "too_many_verifications",
                          "at most 3 verification codes per number per hour; retry later",
                          "phoneNumber");
    r.retry_after = static_cast<int>(reply.retry_after);
    return r;
  }
  if (reply.outcome != "started") throw service_error("verification: " + reply.error, false);

  // Delivery: the code in clear exists only in the request handed to Twilio.
  twilio::credentials creds{account->account_sid, account->auth_token};
  persistence::message_row audit;
  audit.org_id = org_id;
  audit.direction = "outbound";
  audit.recipient = e164;
  bool ok = false;
  twilio::twilio_error error;
  // The breaker open or no answer in time: a delivery failure like any other (audited below).
  auto undelivered = [](const std::exception& e) {
    twilio::twilio_error failure;
    failure.message = e.what();
    return failure;
  };
  if (channel == "sms") {
    twilio::sms_result sent;
    try {
      sent = impl_->svc.providers().send_sms(
          org_id, impl_->tw, creds, {*ai_number, e164, domain::verification_sms_body(code), ""});
    } catch (const provider_unavailable& e) {
      sent.error = undelivered(e);
    } catch (const service_error& e) {
      sent.error = undelivered(e);
    }
    ok = sent.ok;
    error = sent.error;
    audit.method = "sms";
    audit.content = domain::verification_sms_body(domain::masked_code);
    audit.external_message_id = sent.sent.sid;
  } else {
    twilio::call_result call;
    try {
      call = impl_->svc.providers().create_call(
          org_id, impl_->tw, creds, {*ai_number, e164, domain::verification_twiml(code), ""});
    } catch (const provider_unavailable& e) {
      call.error = undelivered(e);
    } catch (const service_error& e) {
      call.error = undelivered(e);
    }
    ok = call.ok;
    error = call.error;
    audit.method = "voice";
    audit.content = domain::verification_call_script_masked();
    audit.external_message_id = call.sid;
  }
  code.assign(code.size(), '0');  // overwrite the clear code before it is freed
  code.clear();
  audit.status = ok ? "sent" : "failed";
  if (ok) {
    audit.sent_at = impl_->w->now();
  } else {
    audit.error_code = error.code ? std::to_string(error.code) : "";
    audit.error_message = twilio::describe(error);
  }
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    persistence::insert_message(tx, audit);
    tx.commit();
  });
  spdlog::info("verification {} started for {} by {} ({})", reply.verification_id, tail_of(e164),
               channel, ok ? "delivered to Twilio" : "delivery failed");
  if (!ok)
    return error_result(502, "delivery_failed",
                        "the code could not be sent: " + twilio::describe(error));
  return {200,
          json{{"success", true},
               {"verificationId", reply.verification_id},
               {"expiresAt", iso_utc(reply.expires_at)},
               {"message", channel == "sms"
                               ? "We sent a 6-digit code by SMS. It expires in 10 minutes."
                               : "We are calling the number to read a 6-digit code. It expires "
                                 "in 10 minutes."}}};
}

api_result verification_service::confirm(const std::string& org_id,
                                         const std::string& verification_id,
                                         const std::string& code) {
  if (verification_id.empty())
    return error_result(400, "missing_field", "verificationId is required", "verificationId");
  if (!domain::is_code_syntax(code))
    return error_result(400, "invalid_code_format", "verificationCode must be 6 digits",
                        "verificationCode");
  auto r = impl_->ask<confirm_reply>(impl_->registry, vconfirm_atom::value,
                                     confirm_cmd{org_id, verification_id, code});
  if (r.outcome == "verified") {
    spdlog::info("verification {} verified", verification_id);
    return {200, json{{"success", true},
                      {"message", "Phone number verified successfully"},
                      {"verifiedCallerId", verification_id},
                      {"phoneNumber", r.phone_e164}}};
  }
  if (r.outcome == "wrong_code") {
    auto res = error_result(400, "wrong_code",
                            "Invalid verification code. " + std::to_string(r.attempts_left) +
                                (r.attempts_left == 1 ? " attempt" : " attempts") + " remaining.",
                            "verificationCode");
    res.body["error"]["attemptsRemaining"] = r.attempts_left;
    return res;
  }
  auto retry = [&](api_result res) {
    if (r.locked_until > 0)
      res.retry_after = static_cast<int>(std::max<std::int64_t>(1, r.locked_until - now_epoch()));
    return res;
  };
  if (r.outcome == "failed")
    return retry(error_result(423, "verification_failed",
                              "Too many wrong codes. The number is locked for an hour."));
  if (r.outcome == "locked")
    return retry(error_result(423, "number_locked",
                              "This verification failed after too many wrong codes; the number "
                              "is locked. Request a new code later."));
  if (r.outcome == "expired")
    return error_result(410, "expired", "Verification code expired. Please request a new one.");
  if (r.outcome == "already_verified")
    return error_result(409, "already_verified", "This number is already verified.");
  if (r.outcome == "not_found")
    return error_result(404, "not_found", "no such verification", "verificationId");
  if (r.outcome == "busy") return busy_result();
  throw service_error("verification: " + r.error, false);
}

api_result verification_service::register_caller_id(const std::string& org_id,
                                                     const std::string& verification_id) {
  std::optional<persistence::caller_id_row> row;
  std::optional<persistence::twilio_account> account;
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    row = persistence::find_caller_id(tx, verification_id);
    account = persistence::load_twilio_account(tx, org_id);
    tx.commit();
  });
  if (!row) return error_result(404, "not_found", "no such verified number");
  if (row->status != "verified")
    return error_result(409, "not_verified", "the number must be verified first");
  if (!account)
    return error_result(409, "twilio_not_configured",
                        "the clinic's Twilio account is not configured");
  std::string callback;
  auto base = impl_->options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();  // as the webhook verifies it
  if (!base.empty())
    callback = base + "/webhooks/twilio/caller-id/" + org_id + "/" + verification_id;
  twilio::caller_id_result res;
  try {
    res = impl_->svc.providers().create_caller_id(
        org_id, impl_->tw, {account->account_sid, account->auth_token},
        {row->phone_number, row->friendly_name, callback});
  } catch (const provider_unavailable& e) {
    auto r = error_result(503, "provider_unavailable", e.what());
    r.retry_after = static_cast<int>(std::max<long>(1, e.retry_after.count()));
    return r;
  } catch (const service_error& e) {
    res.error.message = e.what();  // http_status 0: Twilio did not answer in time
  }
  if (!res.ok)
    return error_result(502, "twilio_error",
                        "Twilio refused the caller-ID request: " + twilio::describe(res.error));
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    persistence::set_twilio_validation(tx, verification_id, "validating", res.call_sid, "");
    tx.commit();
  });
  return {200, json{{"success", true},
                    {"validationCode", res.validation_code},
                    {"message", "Twilio is calling " + row->phone_number +
                                    ". When asked, key in this validation code."}}};
}

void verification_service::caller_id_status(const std::string& org_id,
                                            const std::string& verification_id,
                                            const std::string& verification_status,
                                            const std::string& outgoing_caller_id_sid) {
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    persistence::set_twilio_validation(tx, verification_id,
                                       verification_status == "success" ? "success" : "failed", "",
                                       verification_status == "success" ? outgoing_caller_id_sid
                                                                        : "");
    tx.commit();
  });
}

void verification_service::forget(const std::string& verification_id) {
  caf::anon_send(impl_->registry, vforget_atom::value, verification_id);
}

std::string verification_service::live_sessions_json() {
  return impl_->ask<std::string>(impl_->registry, list_atom::value);
}

nlohmann::json verification_service::sweep_now() {
  auto r = impl_->ask<sweep_result>(impl_->housekeeper, vsweep_atom::value);
  if (!r.error.empty()) throw service_error("verification housekeeping: " + r.error, false);
  return {{"expired", r.expired}, {"deleted", r.deleted}};
}

}  // namespace rm::actors
