// The verification registry (actors/verification_interfaces.hpp): verification id → live session
// actor. Starts sessions on initiation, routes confirms to them (resuming a pending one that has
// no actor yet), lists them for the inspection API, and at each start (recover_atom, sent by the
// root supervisor) resumes every pending session from verified_caller_ids. Its sessions are
// linked to it: a failed registry takes them along and its successor rebuilds them.
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/db_call.hpp"
#include "actors/verification_detail.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

using nlohmann::json;
using vdetail::at;
using vdetail::epoch;

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

void stop_session(registry_ptr self, std::unordered_map<std::string, live_session>::iterator i) {
  self->unlink_from(i->second.actor);
  self->send_exit(i->second.actor, caf::exit_reason::user_shutdown);
  self->state.sessions.erase(i);
}

verification_session_actor start_session(registry_ptr self, const wiring_ptr& w,
                                         const verification_config& cfg,
                                         const persistence::pending_verification& p) {
  auto& sessions = self->state.sessions;
  // Superseded (a new code was sent): the old session leaves, the new one owns the id.
  if (auto i = sessions.find(p.id); i != sessions.end()) stop_session(self, i);
  auto actor = spawn_verification_session(self->system(), w, cfg, p);
  self->monitor(actor);
  self->link_to(actor);  // stops with the registry
  self->state.children.insert(actor.address());
  sessions[p.id] = {actor, p.org_id};
  return actor;
}

// Under the number's lock: the initiation rules again (another request may have started a
// session since the facade checked), then the new pending row.
initiate_reply start_verification(pqxx::connection& c, const initiate_cmd& cmd, std::int64_t now,
                                  const domain::verification_limits& limits) {
  pqxx::work tx{c};
  persistence::set_tenant(tx, cmd.org_id);
  persistence::lock_caller_number(tx, cmd.phone_e164);
  initiate_reply r;
  auto existing = persistence::find_caller_id_by_number(tx, cmd.phone_e164);
  auto gate = vdetail::initiation_gate_for(tx, existing, cmd.phone_e164, now, limits);
  if (gate.gate != domain::initiation_gate::ok) {
    r.outcome = vdetail::outcome_of(gate.gate);
    r.retry_after = gate.retry_after.count();
    if (existing) r.verification_id = existing->id;
    return r;
  }
  r.expires_at = now + limits.code_ttl.count();
  r.verification_id =
      persistence::start_verification(tx, cmd.org_id, cmd.phone_e164, cmd.friendly_name,
                                      cmd.channel, cmd.code_hash, now, r.expires_at);
  tx.commit();
  r.outcome = verification_outcome::started;
  return r;
}

// A confirm for an id with no live session: answer from the row (read under the caller's
// tenant, so another tenant's id is simply not found), or resume a pending one and delegate.
void confirm_from_row(registry_ptr self, const wiring_ptr& w, const verification_config& cfg,
                      confirm_cmd cmd, caf::typed_response_promise<confirm_reply> rp) {
  db_then<std::optional<persistence::caller_id_row>>(
      self, *w,
      [=](pqxx::connection& c) {
        pqxx::work tx{c};
        persistence::set_tenant(tx, cmd.org_id);
        auto row = persistence::find_caller_id(tx, cmd.verification_id);
        tx.commit();
        return row;
      },
      [=](caf::expected<std::optional<persistence::caller_id_row>> found) mutable {
        if (!found) {
          rp.deliver(std::move(found.error()));
          return;
        }
        const auto& row = *found;
        confirm_reply r;
        if (!row) {
          r.outcome = verification_outcome::not_found;
        } else if (row->status == "pending" && row->expires_at) {
          auto s = start_session(self, w, cfg,
                                 {row->id, row->org_id, row->phone_number, *row->expires_at,
                                  row->attempts});
          rp.delegate(s, vconfirm_atom::value, cmd);
          return;
        } else {
          domain::verification_session s;
          s.state = domain::parse_verification_state(row->status)
                        .value_or(domain::verification_state::expired);
          if (row->locked_until) s.locked_until = at(*row->locked_until);
          r = vdetail::reply_for_state(s);
          r.phone_e164 = row->phone_number;
        }
        rp.deliver(std::move(r));
      });
}

// A confirm for a live session. The session quits right after a final answer (confirmed,
// locked, expired), so a confirm racing that exit finds the actor gone before its down_msg has
// reached us: then the row, already final, answers (never a 503 for a settled session).
caf::result<confirm_reply> confirm_live(registry_ptr self, const wiring_ptr& w,
                                        const verification_config& cfg, confirm_cmd cmd,
                                        verification_session_actor session) {
  auto rp = self->make_response_promise<confirm_reply>();
  self->request(session, caf::infinite, vconfirm_atom::value, cmd)
      .then([=](confirm_reply& r) mutable { rp.deliver(std::move(r)); },
            [=](caf::error& e) mutable {
              if (e != caf::sec::request_receiver_down) {
                rp.deliver(std::move(e));
                return;
              }
              auto i = self->state.sessions.find(cmd.verification_id);
              if (i != self->state.sessions.end() && i->second.actor == session)
                self->state.sessions.erase(i);
              confirm_from_row(self, w, cfg, std::move(cmd), std::move(rp));
            });
  return rp;
}

// The views of every live session, gathered (a session that does not answer is left out).
caf::result<std::string> list_sessions(registry_ptr self) {
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
        .then(
            [views, done](std::string& v) mutable {
              views->push_back(json::parse(v));
              done();
            },
            [done](caf::error&) mutable { done(); });
  return rp;
}

void recover(registry_ptr self, const wiring_ptr& w, const verification_config& cfg) {
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
      [=](caf::expected<std::vector<persistence::pending_verification>> all) {
        if (!all) {
          spdlog::warn("verification: resuming pending sessions failed: {}",
                       describe(all.error()));
          self->delayed_send(self, std::chrono::seconds(5), recover_atom::value);
          return;
        }
        for (const auto& p : *all)
          if (self->state.sessions.count(p.id) == 0) start_session(self, w, cfg, p);
        if (!all->empty())
          spdlog::info("verification: resumed {} pending session(s)", all->size());
      });
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
            [=](pqxx::connection& c) { return start_verification(c, cmd, now, limits); },
            [=](caf::expected<initiate_reply> r) mutable {
              if (!r) {
                rp.deliver(std::move(r.error()));
                return;
              }
              if (r->outcome == verification_outcome::started)
                start_session(self, w, cfg,
                              {r->verification_id, cmd.org_id, cmd.phone_e164, r->expires_at, 0});
              rp.deliver(std::move(*r));
            });
        return rp;
      },
      [=](vconfirm_atom, confirm_cmd& cmd) -> caf::result<confirm_reply> {
        auto i = self->state.sessions.find(cmd.verification_id);
        if (i != self->state.sessions.end() && i->second.org_id == cmd.org_id)
          return confirm_live(self, w, cfg, std::move(cmd), i->second.actor);
        auto rp = self->make_response_promise<confirm_reply>();
        confirm_from_row(self, w, cfg, std::move(cmd), rp);
        return rp;
      },
      [=](list_atom) { return list_sessions(self); },
      [=](vforget_atom, const std::string& id) {
        auto i = self->state.sessions.find(id);
        if (i != self->state.sessions.end()) stop_session(self, i);
      },
      [=](recover_atom) { recover(self, w, cfg); },
  };
}

}  // namespace

verification_registry_actor spawn_verification_registry(caf::actor_system& sys, wiring_ptr w,
                                                        verification_config cfg) {
  return sys.spawn(registry_behavior, std::move(w), std::move(cfg));
}

}  // namespace rm::actors
