// One pending caller-ID verification (actors/verification_interfaces.hpp): its expiry timer and
// its code checks, one at a time (db_await: a check waits for the previous one's commit).
//
// The database row is the truth. A session keeps a copy of its state for the timer and the
// inspection API, and every code check re-reads the row FOR UPDATE in the same transaction that
// stores the result, so two confirms racing (even through two processes) cannot both succeed and
// a superseded code is never accepted.
#include <algorithm>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/db_call.hpp"
#include "actors/verification_detail.hpp"
#include "adapters/metrics/metrics.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace vdetail {

domain::initiation_decision initiation_gate_for(
    pqxx::work& tx, const std::optional<persistence::caller_id_row>& row, const std::string& e164,
    std::int64_t now, const domain::verification_limits& limits) {
  std::vector<domain::instant> sends;
  for (auto t : persistence::recent_verification_sends(tx, e164,
                                                       now - limits.initiation_window.count()))
    sends.push_back(at(t));
  std::optional<domain::instant> locked_until;
  if (row && row->locked_until) locked_until = at(*row->locked_until);
  return domain::gate_initiation(row && row->status == "verified", locked_until, sends, at(now),
                                 limits);
}

verification_outcome outcome_of(domain::initiation_gate g) {
  switch (g) {
    case domain::initiation_gate::already_verified: return verification_outcome::already_verified;
    case domain::initiation_gate::locked: return verification_outcome::locked;
    case domain::initiation_gate::rate_limited: return verification_outcome::rate_limited;
    case domain::initiation_gate::ok: break;
  }
  return verification_outcome::started;
}

confirm_reply reply_for_state(const domain::verification_session& s) {
  confirm_reply r;
  switch (s.state) {
    case domain::verification_state::verified:
      r.outcome = verification_outcome::already_verified;
      break;
    case domain::verification_state::failed: r.outcome = verification_outcome::locked; break;
    // pending cannot reach here (only a session that refuses a check asks); treat as expired
    case domain::verification_state::pending:
    case domain::verification_state::expired: r.outcome = verification_outcome::expired; break;
  }
  if (s.locked_until) r.locked_until = epoch(*s.locked_until);
  return r;
}

}  // namespace vdetail

const char* to_string(verification_outcome x) {
  switch (x) {
    case verification_outcome::started: return "started";
    case verification_outcome::verified: return "verified";
    case verification_outcome::wrong_code: return "wrong_code";
    case verification_outcome::failed: return "failed";
    case verification_outcome::locked: return "locked";
    case verification_outcome::expired: return "expired";
    case verification_outcome::already_verified: return "already_verified";
    case verification_outcome::not_found: return "not_found";
    case verification_outcome::rate_limited: return "rate_limited";
    case verification_outcome::busy: return "busy";
  }
  return "unknown";
}

namespace {

using nlohmann::json;
using vdetail::at;
using vdetail::epoch;

struct session_state {
  std::string id;
  std::string org_id;
  std::string phone;
  domain::verification_session s;
  metrics::live_token live{metrics::live::verification_sessions};
  static inline const char* name = "verification_session";
};
using session_ptr = verification_session_actor::stateful_pointer<session_state>;

struct check_result {
  confirm_reply reply;
  domain::verification_session next;
};

void arm_timer(session_ptr self, const wiring_ptr& w) {
  auto left = self->state.s.expires_at - w->now();
  if (left < std::chrono::seconds(0)) left = std::chrono::seconds(0);
  self->delayed_send(self, left, expire_atom::value);
}

// The whole check of one guess, in one transaction on a pool worker: re-read the row FOR UPDATE,
// apply the rules, compare the code (in an argon2id slot), store the result.
check_result check_code(pqxx::connection& c, const std::string& org, const std::string& id,
                        const std::string& code, domain::instant now,
                        const domain::verification_session& snapshot,
                        const domain::verification_limits& limits, argon2_limiter& argon2) {
  pqxx::work tx{c};
  persistence::set_tenant(tx, org);
  check_result out;
  out.next = snapshot;
  auto row = persistence::lock_for_check(tx, id);
  if (!row) {
    out.reply.outcome = verification_outcome::not_found;
    out.next.state = domain::verification_state::expired;
    return out;
  }
  domain::verification_session cur;
  cur.wrong_attempts = row->attempts;
  cur.expires_at = at(row->expires_at);
  if (row->locked_until) cur.locked_until = at(*row->locked_until);
  cur.state =
      domain::parse_verification_state(row->status).value_or(domain::verification_state::expired);
  auto g = domain::gate_check(cur, now);
  if (g == domain::check_gate::expired) {
    persistence::mark_expired(tx, id, epoch(now));
    tx.commit();
    cur.state = domain::verification_state::expired;
  }
  if (g != domain::check_gate::ok) {
    out.next = cur;
    out.reply = vdetail::reply_for_state(cur);
    return out;
  }
  // The comparison costs an argon2id hash: it runs in one of the capped slots. No slot in time →
  // busy, the row untouched (the transaction rolls back).
  bool match = false;
  if (!argon2.run([&] { match = verification_code_matches(row->code_hash, code); })) {
    out.next = cur;
    out.reply.outcome = verification_outcome::busy;
    return out;
  }
  auto o = domain::apply_check(cur, match, now, limits);
  switch (o.result) {
    case domain::check_result::verified:
      persistence::mark_verified(tx, id, epoch(now));
      out.reply.outcome = verification_outcome::verified;
      break;
    case domain::check_result::wrong_code:
      persistence::record_wrong_code(tx, id, o.next.wrong_attempts);
      out.reply.outcome = verification_outcome::wrong_code;
      break;
    case domain::check_result::failed:
      persistence::mark_failed(tx, id, o.next.wrong_attempts, epoch(now),
                               epoch(*o.next.locked_until));
      out.reply.outcome = verification_outcome::failed;
      out.reply.locked_until = epoch(*o.next.locked_until);
      break;
  }
  tx.commit();
  out.next = o.next;
  out.reply.attempts_left = domain::attempts_left(o.next, limits);
  return out;
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
          auto r = vdetail::reply_for_state(self->state.s);
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
              return check_code(c, org, id, code, now, snapshot, limits, *argon2);
            },
            [=](caf::expected<check_result> r) mutable {
              if (!r) {
                rp.deliver(std::move(r.error()));
                return;
              }
              self->state.s = r->next;
              r->reply.phone_e164 = phone;
              rp.deliver(std::move(r->reply));
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
            [=](caf::expected<bool> done) {
              if (!done) {
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

}  // namespace

verification_session_actor spawn_verification_session(caf::actor_system& sys, wiring_ptr w,
                                                      verification_config cfg,
                                                      persistence::pending_verification init) {
  return sys.spawn(session_behavior, std::move(w), std::move(cfg), std::move(init));
}

}  // namespace rm::actors
