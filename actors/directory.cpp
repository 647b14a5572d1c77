// The tenant directory: dialled number → tenant (cached after the first database lookup), and
// org_id → tenant actor (spawned on first use, monitored, re-spawned on the next use after it
// died — that is how tenant actors are supervised).
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/actors.hpp"
#include "actors/db_call.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

struct live_tenant {
  tenant_actor handle;
  persistence::tenant_record record;
};

struct directory_state {
  std::unordered_map<std::string, live_tenant> tenants;    // org_id → actor
  std::unordered_map<std::string, std::vector<caf::typed_response_promise<tenant_actor>>>
      loading;  // org_id → requests waiting for the tenant's first load
  // Every tenant actor ever spawned: a child's exit message can arrive after its down message.
  std::set<caf::actor_addr> children;
  static inline const char* name = "directory";
};
using directory_ptr = directory_actor::stateful_pointer<directory_state>;

struct lookup {
  std::optional<persistence::number_route> route;
  std::optional<persistence::tenant_record> tenant;
};

tenant_ref to_ref(const lookup& l) {
  tenant_ref ref;
  if (!l.route || !l.tenant) return ref;
  ref.found = true;
  ref.org_id = l.route->org_id;
  ref.org_name = l.tenant->name;
  ref.assistant_id = l.tenant->assistant_id;
  ref.dialled_e164 = l.route->e164;
  ref.number_label = l.route->label;
  return ref;
}

directory_actor::behavior_type directory_behavior(directory_ptr self, wiring_ptr w) {
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& tenants = self->state.tenants;
    for (auto i = tenants.begin(); i != tenants.end(); ++i)
      if (i->second.handle.address() == dm.source) {
        tenants.erase(i);  // re-spawned (from the database) on the next use
        return;
      }
  });
  // Tenants are linked so that they stop with the directory; their own failures arrive here as
  // exit messages and are ignored (the down handler above does the bookkeeping).
  self->set_exit_handler([=](const caf::exit_msg& em) {
    if (self->state.children.count(em.source) == 0 && em.reason) self->quit(em.reason);
  });
  return {
      [=](resolve_atom, const std::string& e164,
          const std::string& vapi_id) -> caf::typed_response_promise<tenant_ref> {
        auto rp = self->make_response_promise<tenant_ref>();
        // The cache (wiring::routes, shared with the HTTP workers) holds every tenant found so
        // far; a lookup under way across a clear must not re-fill it with what it read before.
        if (auto hit = w->routes->find(e164, vapi_id)) {
          rp.deliver(*hit);
          return rp;
        }
        auto generation = w->routes->generation();
        db_then<lookup>(
            self, *w,
            [e164, vapi_id](pqxx::connection& c) {
              pqxx::work tx{c};
              lookup l;
              if (!e164.empty()) l.route = persistence::find_route_by_number(tx, e164);
              if (!l.route && !vapi_id.empty())
                l.route = persistence::find_route_by_vapi_id(tx, vapi_id);
              if (l.route) {
                persistence::set_tenant(tx, l.route->org_id);
                l.tenant = persistence::load_tenant(tx, l.route->org_id);
              }
              tx.commit();
              return l;
            },
            [=](caf::expected<lookup> found) mutable {
              if (!found) {
                rp.deliver(std::move(found.error()));
                return;
              }
              auto& l = *found;
              auto ref = to_ref(l);
              // Unknown numbers are not cached: they may be added any time.
              if (ref.found) w->routes->fill(generation, ref, l.route->vapi_phone_number_id);
              rp.deliver(ref);
            });
        return rp;
      },
      [=](org_atom, const std::string& org_id) -> caf::typed_response_promise<tenant_actor> {
        auto rp = self->make_response_promise<tenant_actor>();
        auto& st = self->state;
        if (auto i = st.tenants.find(org_id); i != st.tenants.end()) {
          rp.deliver(i->second.handle);
          return rp;
        }
        auto& waiting = st.loading[org_id];
        waiting.push_back(rp);
        if (waiting.size() > 1) return rp;  // a load is already under way
        db_then<std::optional<persistence::tenant_record>>(
            self, *w,
            [org_id](pqxx::connection& c) {
              pqxx::work tx{c};
              persistence::set_tenant(tx, org_id);
              auto t = persistence::load_tenant(tx, org_id);
              tx.commit();
              return t;
            },
            [=](caf::expected<std::optional<persistence::tenant_record>> loaded) {
              auto waiters = std::move(self->state.loading[org_id]);
              self->state.loading.erase(org_id);
              caf::error err;
              if (!loaded)
                err = std::move(loaded.error());
              else if (!*loaded)
                err = make_error(ec::not_found, "unknown tenant " + org_id);
              if (err) {
                for (auto& p : waiters) p.deliver(err);
                return;
              }
              auto& record = *loaded;
              auto handle = spawn_tenant(self->system(), w, *record);
              self->monitor(handle);
              self->link_to(handle);
              self->state.children.insert(handle.address());
              self->state.tenants[org_id] = live_tenant{handle, *record};
              for (auto& p : waiters) p.deliver(handle);
            });
        return rp;
      },
      [=](tool_atom, const std::string& org_id,
          tenant_tool_call& call) -> caf::typed_response_promise<tenant_tool_reply> {
        auto rp = self->make_response_promise<tenant_tool_reply>();
        if (auto i = self->state.tenants.find(org_id); i != self->state.tenants.end()) {
          rp.delegate(i->second.handle, tool_atom::value, std::move(call));
          return rp;
        }
        // Not live yet: load it through the org lookup above, then hand the tool over.
        directory_actor me = caf::actor_cast<directory_actor>(self);
        self->request(me, w->times.db_timeout, org_atom::value, org_id)
            .then(
                [=](tenant_actor t) mutable { rp.delegate(t, tool_atom::value, call); },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](invalidate_atom) { w->routes->clear(); },
      [=](changed_atom, const std::string& org_id) -> caf::typed_response_promise<bool> {
        auto rp = self->make_response_promise<bool>();
        w->routes->clear();  // names and assistant ids are cached in the routes
        if (self->state.tenants.count(org_id) == 0) {
          rp.deliver(true);  // loaded fresh on next use
          return rp;
        }
        db_then<std::optional<persistence::tenant_record>>(
            self, *w,
            [org_id](pqxx::connection& c) {
              pqxx::work tx{c};
              persistence::set_tenant(tx, org_id);
              auto t = persistence::load_tenant(tx, org_id);
              tx.commit();
              return t;
            },
            [=](caf::expected<std::optional<persistence::tenant_record>> loaded) mutable {
              auto i = self->state.tenants.find(org_id);
              if (!loaded) {
                rp.deliver(std::move(loaded.error()));
                return;
              }
              if (!*loaded || i == self->state.tenants.end()) {
                rp.deliver(true);
                return;
              }
              const auto& record = **loaded;
              i->second.record = record;
              rp.delegate(i->second.handle, changed_atom::value, record);
            });
        return rp;
      },
      // calendar_notices: the tenant's appointments changed in the database ("" = every tenant)
      [=](reload_atom, const std::string& org_id) {
        const auto& tenants = self->state.tenants;
        if (!org_id.empty()) {
          if (auto i = tenants.find(org_id); i != tenants.end())
            self->send(i->second.handle, reload_atom::value);
          return;  // not live: it loads its calendar when spawned
        }
        for (const auto& [id, t] : tenants) self->send(t.handle, reload_atom::value);
      },
      [=](list_atom) -> std::string {
        auto out = nlohmann::json::array();
        for (const auto& [id, t] : self->state.tenants)
          out.push_back({{"id", id}, {"name", t.record.name},
                         {"time_zone", t.record.rules.time_zone}, {"live", true}});
        return out.dump();
      },
  };
}

}  // namespace

directory_actor spawn_directory(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn(directory_behavior, std::move(w));
}

}  // namespace rm::actors
