// The call registry: call id → call actor. A call actor is never restarted blindly: when one
// dies, it is only forgotten; the next event for that call spawns a fresh actor, which rebuilds
// its state from the database. At start-up every call that has not finished is loaded in bulk
// (calls::load_unfinished: two statements for all tenants) and its actor spawned with that state.
// While that recovery runs, a listing of the live calls waits for it (at most
// recovery_list_wait), so that the operator's first listing after a restart is complete.
#include <chrono>
#include <set>
#include <unordered_map>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/call_store.hpp"
#include "actors/db_call.hpp"
#include "actors/read_inbox.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

// The longest a listing waits for a recovery in progress; then it gets the calls live so far.
constexpr std::chrono::seconds recovery_list_wait{2};

// A waiting listing's deadline. Sent to the registry through its untyped handle and taken by its
// default handler: a private timer, not part of call_registry_actor's interface.
using listwait_atom = caf::atom_constant<caf::atom("listwait")>;

using ids_promise = caf::typed_response_promise<std::vector<std::string>>;

struct call_registry_state {
  std::unordered_map<std::string, call_actor> calls;
  std::unordered_map<caf::actor_addr, std::string> id_of;  // live actor → its call id
  std::set<caf::actor_addr> children;  // every call actor ever spawned (see exit handler)
  bool recovering = false;             // recover_atom's bulk load is in flight
  std::unordered_map<std::uint64_t, ids_promise> waiting;  // listings waiting for it
  std::uint64_t next_waiting = 0;
  static inline const char* name = "call_registry";
};
using registry_ptr = call_registry_actor::stateful_pointer<call_registry_state>;

call_actor find_or_spawn(registry_ptr self, const wiring_ptr& w,
                         const persistence::call_identity& identity,
                         std::shared_ptr<const calls::loaded_call> preloaded = nullptr) {
  auto& st = self->state;
  if (auto i = st.calls.find(identity.id); i != st.calls.end()) return i->second;
  auto actor = spawn_call(self->system(), w, identity, std::move(preloaded));
  self->monitor(actor);
  self->link_to(actor);  // stops with the registry at shutdown
  st.children.insert(actor.address());
  st.id_of.emplace(actor.address(), identity.id);
  st.calls.emplace(identity.id, actor);
  return actor;
}

std::vector<std::string> live_ids(registry_ptr self) {
  std::vector<std::string> ids;
  ids.reserve(self->state.calls.size());
  for (const auto& [id, actor] : self->state.calls) ids.push_back(id);
  return ids;
}

// Recovery is over (done or failed): every waiting listing gets the calls live now.
void end_recovery(registry_ptr self) {
  auto& st = self->state;
  st.recovering = false;
  if (st.waiting.empty()) return;
  auto ids = live_ids(self);
  for (auto& [n, rp] : st.waiting) rp.deliver(ids);
  st.waiting.clear();
}

call_registry_actor::behavior_type registry_behavior(registry_ptr self, wiring_ptr w) {
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.id_of.find(dm.source);
    if (i == st.id_of.end()) return;
    st.calls.erase(i->second);
    st.id_of.erase(i);
  });
  self->set_exit_handler([=](const caf::exit_msg& em) {
    if (self->state.children.count(em.source) == 0 && em.reason) self->quit(em.reason);
  });
  // What waits in the read inbox now (a ring sent to the registry this one replaces), then a
  // sweep every read_inbox_sweep.
  self->send(self, tools_atom::value, true);
  self->set_default_handler(
      [=](caf::scheduled_actor* ptr, caf::message_view& x) -> caf::result<caf::message> {
        const auto& content = x.content();
        if (content.match_elements<listwait_atom, std::uint64_t>()) {
          auto& waiting = self->state.waiting;
          if (auto i = waiting.find(content.get_as<std::uint64_t>(1)); i != waiting.end()) {
            i->second.deliver(live_ids(self));  // recovery is slow: the calls live so far
            waiting.erase(i);
          }
          return caf::message{};
        }
        return caf::print_and_drop(ptr, x);  // CAF's default for anything else
      });
  return {
      [=](event_atom, call_event_msg& msg) {
        auto actor = find_or_spawn(self, w, msg.identity);
        return self->delegate(actor, event_atom::value, std::move(msg));
      },
      [=](tools_atom, const persistence::call_identity& identity,
          std::vector<tool_request>& reqs) {
        auto actor = find_or_spawn(self, w, identity);
        return self->delegate(actor, tools_atom::value, identity, std::move(reqs));
      },
      [=](tools_atom, bool sweep) {
        for (auto& reads : w->reads_inbox->take()) {
          auto actor = find_or_spawn(self, w, reads.identity);
          self->send(actor, tools_atom::value, std::move(reads));
        }
        if (sweep) self->delayed_send(self, read_inbox_sweep, tools_atom::value, true);
      },
      [=](view_atom, const std::string& id) -> caf::result<std::string> {
        auto i = self->state.calls.find(id);
        if (i == self->state.calls.end()) return std::string{};
        return self->delegate(i->second, view_atom::value);
      },
      [=](list_atom) -> ids_promise {
        auto rp = self->make_response_promise<std::vector<std::string>>();
        auto& st = self->state;
        if (!st.recovering) {
          rp.deliver(live_ids(self));
          return rp;
        }
        auto n = st.next_waiting++;
        st.waiting.emplace(n, rp);
        caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), recovery_list_wait,
                               listwait_atom::value, n);
        return rp;
      },
      [=](recover_atom) {
        // Every unfinished call of every tenant in one bulk load (two statements), each actor
        // spawned with its state: no load per actor, so they are all live (and listed) at once.
        self->state.recovering = true;
        const auto started = std::chrono::steady_clock::now();
        db_then<std::vector<calls::loaded_call>>(
            self, *w, [](pqxx::connection& c) { return calls::load_unfinished(c); },
            [=](caf::expected<std::vector<calls::loaded_call>> loaded) {
              if (!loaded) {
                // Not fatal: each call is rebuilt on its next event anyway. Retry soon.
                spdlog::warn("call recovery: the unfinished calls could not be read ({}); "
                             "retrying in 5 s",
                             caf::to_string(loaded.error()));
                end_recovery(self);
                self->delayed_send(self, std::chrono::seconds(5), recover_atom::value);
                return;
              }
              const auto read = std::chrono::steady_clock::now();
              for (auto& l : *loaded) {
                auto identity = l.identity;
                find_or_spawn(self, w, identity,
                              std::make_shared<const calls::loaded_call>(std::move(l)));
              }
              end_recovery(self);
              using ms = std::chrono::milliseconds;
              spdlog::info("call recovery: {} unfinished calls live again ({} ms read, {} ms "
                           "spawned)",
                           loaded->size(),
                           std::chrono::duration_cast<ms>(read - started).count(),
                           std::chrono::duration_cast<ms>(std::chrono::steady_clock::now() -
                                                          read)
                               .count());
            });
      },
  };
}

}  // namespace

call_registry_actor spawn_call_registry(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn(registry_behavior, std::move(w));
}

}  // namespace rm::actors
