// The blocking steps of the tools sync (actors/tools_sync.hpp). No CAF: every Vapi request goes
// through provider_port (the vapi adapter actor, the tenant's breaker); every transaction names
// the tenant first, except the registry (vapi_tools, no tenant data) and the pending scan
// (SECURITY DEFINER rm_tool_syncs_pending). No transaction is open during a Vapi request.
#include "actors/tools_sync.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "adapters/vapi/tool_sync.hpp"
#include "persistence/agent_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tool_queries.hpp"

namespace rm::actors {

namespace p = rm::persistence;
namespace pt = rm::persistence::tools;

namespace {

// vapi::tool_api through the vapi adapter actor, counted under `org_id`'s breaker. A refusal
// (breaker open) or no answer becomes a transient response (http_status 0), so the actor retries.
class port_tool_api final : public vapi::tool_api {
 public:
  port_tool_api(provider_port& port, std::string org_id, vapi_endpoint ep)
      : port_(port), org_id_(std::move(org_id)), ep_(std::move(ep)) {}
  vapi::response list_tools() override {
    return guarded([&] { return port_.list_tools(org_id_, ep_); });
  }
  vapi::response create_tool(const nlohmann::json& tool) override {
    return guarded([&] { return port_.create_tool(org_id_, ep_, {"", tool}); });
  }
  vapi::response update_tool(const std::string& id, const nlohmann::json& tool) override {
    return guarded([&] { return port_.update_tool(org_id_, ep_, {id, tool}); });
  }
  vapi::response get_assistant(const std::string& id) override {
    return guarded([&] { return port_.get_assistant(org_id_, ep_, id); });
  }
  vapi::response update_assistant(const std::string& id, const nlohmann::json& patch) override {
    return guarded([&] { return port_.update_assistant(org_id_, ep_, {id, patch}); });
  }

 private:
  template <class Fn>
  vapi::response guarded(Fn&& fn) {
    vapi::response r;
    try {
      return fn();
    } catch (const provider_unavailable& e) {
      r.error.message = e.what();
    } catch (const service_error& e) {
      r.error.message = std::string("Vapi did not answer in time (") + e.what() + ")";
    }
    r.error.http_status = 0;
    return r;
  }

  provider_port& port_;
  std::string org_id_;
  vapi_endpoint ep_;
};

// The registry in vapi_tools, one short transaction per find/save (no tenant: not RLS-bound).
class service_tool_store final : public vapi::tool_registry_store {
 public:
  explicit service_tool_store(service& svc) : svc_(svc) {}
  std::optional<vapi::registered_tool> find(const std::string& tool_name) override {
    std::optional<vapi::registered_tool> out;
    svc_.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      if (auto row = pt::find_vapi_tool(tx, tool_name))
        out = vapi::registered_tool{row->tool_name, row->vapi_tool_id, row->definition_hash};
      tx.commit();
    });
    return out;
  }
  void save(const vapi::registered_tool& tool) override {
    svc_.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      pt::save_vapi_tool(tx, {tool.tool_name, tool.vapi_tool_id, tool.definition_hash});
      tx.commit();
    });
  }

 private:
  service& svc_;
};

}  // namespace

tools_syncer::tools_syncer(service& svc, tools_sync_settings settings)
    : svc_(svc), settings_(settings) {
  settings_.max_attempts = std::max(1, settings_.max_attempts);
}

void tools_syncer::close() {
  std::unique_lock<std::shared_mutex> g{open_};
  closed_ = true;
}

std::chrono::milliseconds tools_syncer::backoff_after(int attempts) const {
  return settings_.first_backoff * (1LL << std::clamp(attempts - 1, 0, 20));
}

tools_attempt tools_syncer::attempt(const std::string& org_id, const std::string& agent_id) {
  std::shared_lock<std::shared_mutex> g{open_};  // held throughout: close() waits for it
  tools_attempt out;
  if (closed_) return out;
  std::optional<pt::tools_sync_row> row;
  std::string assistant_id;
  svc_.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    p::set_tenant(tx, org_id);
    row = pt::tools_sync_of(tx, org_id, agent_id);
    if (auto agent = p::load_agent(tx, agent_id)) assistant_id = agent->vapi_assistant_id;
    tx.commit();
  });
  if (!row || row->status != "pending") return out;
  out.attempts = row->attempts + 1;

  const auto definitions = vapi::global_tool_definitions(svc_.options().sms_per_call);
  vapi::assistant_sync sync;
  if (assistant_id.empty()) {
    sync.reason = "the agent has no Vapi assistant";
  } else {
    vapi_endpoint ep{svc_.options().vapi_base_url, svc_.options().vapi_private_key};
    ep.retry.max_attempts = 1;  // the retries are ours (timed, recorded, resumable)
    port_tool_api api{svc_.providers(), org_id, ep};
    service_tool_store store{svc_};
    sync = vapi::sync_assistant_tools(api, store, definitions, assistant_id);
  }

  if (sync.synced) {
    out.result = tools_attempt::end::synced;
  } else if (sync.transient && out.attempts < settings_.max_attempts) {
    out.result = tools_attempt::end::retry;
    out.retry_in = backoff_after(out.attempts);
    out.reason = sync.reason;
  } else {
    out.result = tools_attempt::end::failed;
    out.reason = sync.reason.empty() ? "unknown failure" : sync.reason;
  }
  svc_.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    p::set_tenant(tx, org_id);
    auto now = pt::tools_sync_of(tx, org_id, agent_id);
    // Saved again meanwhile (attempts back to 0): that newer sync is the row's, not this one.
    if (!now || now->status != "pending" || now->attempts != row->attempts) return;
    if (out.result == tools_attempt::end::synced) {
      std::vector<pt::vapi_tool_row> linked;
      for (const auto& t : sync.tools)
        for (const auto& d : definitions)
          if (d.name == t.tool_name) linked.push_back({t.tool_name, t.vapi_tool_id, d.hash});
      pt::record_org_tools(tx, org_id, linked);
      pt::set_tools_sync(tx, org_id, agent_id, "synced", "", out.attempts);
    } else {
      pt::set_tools_sync(tx, org_id, agent_id,
                         out.result == tools_attempt::end::retry ? "pending" : "failed",
                         out.reason, out.attempts);
    }
    tx.commit();
  });
  if (out.result == tools_attempt::end::failed)
    spdlog::warn("tools sync of agent {} (org {}): failed after {} attempt(s): {}", agent_id,
                 org_id, out.attempts, out.reason);
  return out;
}

std::vector<tools_sync_due> tools_syncer::due() {
  std::vector<tools_sync_due> out;
  std::shared_lock<std::shared_mutex> g{open_};
  if (closed_) return out;
  std::vector<pt::tools_sync_row> rows;
  std::int64_t now_s = 0;
  svc_.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    rows = pt::pending_tools_syncs(tx);
    now_s = tx.exec("SELECT extract(epoch from now())::bigint")[0][0].as<std::int64_t>();
    tx.commit();
  });
  for (const auto& r : rows) {
    // Never attempted: now; else the backoff after its last attempt, counted from then.
    auto due_in = r.attempts == 0 ? std::chrono::milliseconds(0)
                                  : backoff_after(r.attempts) -
                                        std::chrono::milliseconds((now_s - r.updated_at) * 1000);
    out.push_back({r.org_id, r.agent_id, std::max(std::chrono::milliseconds(0), due_in)});
  }
  return out;
}

}  // namespace rm::actors
