// The call registry: call id → call actor. A call actor is never restarted blindly: when one
// dies, it is only forgotten; the next event for that call spawns a fresh actor, which rebuilds
// its state from the database. At start-up every call that has not finished is loaded in bulk
// (calls::load_unfinished) and its actor spawned with that state.
#include <set>
#include <unordered_map>

#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "actors/call_store.hpp"
#include "actors/db_call.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

struct call_registry_state {
  std::unordered_map<std::string, call_actor> calls;
  std::set<caf::actor_addr> children;  // every call actor ever spawned (see exit handler)
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
  st.calls.emplace(identity.id, actor);
  return actor;
}

call_registry_actor::behavior_type registry_behavior(registry_ptr self, wiring_ptr w) {
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& calls = self->state.calls;
    for (auto i = calls.begin(); i != calls.end(); ++i)
      if (i->second.address() == dm.source) {
        calls.erase(i);
        return;
      }
  });
  self->set_exit_handler([=](const caf::exit_msg& em) {
    if (self->state.children.count(em.source) == 0 && em.reason) self->quit(em.reason);
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
      [=](tools_atom, answered_reads& reads) {
        auto actor = find_or_spawn(self, w, reads.identity);
        self->send(actor, tools_atom::value, std::move(reads));
      },
      [=](view_atom, const std::string& id) -> caf::result<std::string> {
        auto i = self->state.calls.find(id);
        if (i == self->state.calls.end()) return std::string{};
        return self->delegate(i->second, view_atom::value);
      },
      [=](list_atom) -> std::vector<std::string> {
        std::vector<std::string> ids;
        for (const auto& [id, actor] : self->state.calls) ids.push_back(id);
        return ids;
      },
      [=](recover_atom) {
        // Every unfinished call in bulk (a few queries per tenant), each actor spawned with its
        // state: no load per actor, so they are all live (and listed) at once. The tenants are
        // dealt into up to four groups, read on as many pool connections at once.
        auto retry = [=] {
          // Not fatal: each call is rebuilt on its next event anyway. Retry soon.
          self->delayed_send(self, std::chrono::seconds(5), recover_atom::value);
        };
        db_then<std::vector<std::string>>(
            self, *w, [](pqxx::connection& c) { return calls::orgs_with_unfinished_calls(c); },
            [=](caf::expected<std::vector<std::string>> orgs) {
              if (!orgs) return retry();
              constexpr std::size_t groups = 4;
              std::vector<std::vector<std::string>> dealt(std::min(groups, orgs->size()));
              for (std::size_t i = 0; i < orgs->size(); ++i)
                dealt[i % dealt.size()].push_back((*orgs)[i]);
              for (auto& group : dealt)
                db_then<std::vector<calls::loaded_call>>(
                    self, *w,
                    [group](pqxx::connection& c) { return calls::load_unfinished(c, group); },
                    [=](caf::expected<std::vector<calls::loaded_call>> loaded) {
                      if (!loaded) return retry();  // the calls already spawned stay
                      for (auto& l : *loaded) {
                        auto identity = l.identity;
                        find_or_spawn(self, w, identity,
                                      std::make_shared<const calls::loaded_call>(std::move(l)));
                      }
                    });
            });
      },
  };
}

}  // namespace

call_registry_actor spawn_call_registry(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn(registry_behavior, std::move(w));
}

}  // namespace rm::actors
