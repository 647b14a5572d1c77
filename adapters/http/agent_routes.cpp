// Agents and their provisioning, and the table of every agent-related route (issue 4 §3
// agents, §5; docs/api.md "Agents, campaigns and call-back", docs/telephony.md "Outbound
// call-back"). Handlers by file: agents here; campaigns campaign_routes.cpp; notifications
// notification_routes.cpp; the call-back call_back_routes.cpp.
//   POST   /api/agents                              admin   create: Vapi assistant, then a number
//   GET    /api/agents                              member
//   GET    /api/agents/{id}                         member  the agent and its tools_sync
//   POST   /api/agents/{id}/retry                   admin   resume a failed creation
//   PATCH  /api/agents/{id}                         admin   rename / language → fetch-merge-patch
//   GET    /api/notifications                       admin   ?unread=true
//   POST   /api/notifications/{id}/read             admin
//   POST   /api/campaigns                           admin
//   GET    /api/campaigns                           member
//   POST   /api/campaigns/{id}/numbers              admin   {phone_number_id}
//   DELETE /api/campaigns/{id}/numbers/{number_id}  admin
//   POST   /api/campaigns/{id}/contacts             admin   {contact_ids:[…]}
//   DELETE /api/campaigns/{id}/contacts/{contact_id} admin
//   POST   /api/contacts/{id}/call-back             member  Vapi POST /call
//
// Creation and retry are the agent saga's (actors/agent_interfaces.hpp, a supervised actor):
// the route inserts the row, asks the saga and answers its first result, waiting at most
// agent_wait (the saga goes on after that: failures are retried by its timers, and a restart
// resumes from the rows). Every Vapi request is a typed request to the vapi adapter actor
// (behind the tenant's circuit breaker). Database work runs in transactions that name the JWT's
// tenant first; provider calls run between them, never inside one.
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/agent_provisioning.hpp"
#include "actors/number_service.hpp"
#include "actors/tools_sync.hpp"
#include "adapters/http/agent_http.hpp"
#include "adapters/vapi/assistant_spec.hpp"
#include "domain/outbound.hpp"
#include "persistence/agent_queries.hpp"
#include "persistence/tool_queries.hpp"

namespace rm::http {

namespace agents_detail {

namespace p = rm::persistence;

// How long a request waits for the saga's first result: a Vapi request's whole retry loop plus
// the number step's (actors::provider_wait covers one provider request).
constexpr std::chrono::seconds agent_wait{170};

vapi_outcome with_vapi(context& ctx, const std::string& org_id,
                       const std::function<vapi::response(actors::provider_port&,
                                                          const actors::vapi_endpoint&)>& op) {
  vapi_outcome out;
  const actors::vapi_endpoint ep{ctx.service.options().vapi_base_url,
                                 ctx.service.options().vapi_private_key};
  try {
    out.response = op(ctx.service.providers(), ep);
  } catch (const actors::provider_unavailable& e) {
    out.breaker_open = e;
  } catch (const actors::service_error&) {
    out.no_answer = true;
  }
  (void)org_id;
  return out;
}

void send_vapi_unavailable(httplib::Response& res, const actors::provider_unavailable& e) {
  const auto after = std::max<long long>(1, e.retry_after.count());
  send_provider_unavailable(
      res, actors::provider_unavailable{e.what(), std::chrono::seconds(after)},
      "Vapi is not being called for this clinic right now after repeated failures; retry in " +
          std::to_string(e.retry_after.count()) + " s");
}

// The assistant's webhook credentials: Vapi adds these headers to every server message so our
// own webhook authentication (docs/security.md) accepts them. HMAC needs a Vapi credential and is
// not attached here (docs/telephony.md).
std::map<std::string, std::string> server_headers(const context& ctx) {
  std::map<std::string, std::string> h;
  if (!ctx.options.vapi_auth.secret.empty()) h["X-Vapi-Secret"] = ctx.options.vapi_auth.secret;
  if (!ctx.options.vapi_auth.bearer_token.empty())
    h["Authorization"] = "Bearer " + ctx.options.vapi_auth.bearer_token;
  return h;
}

std::string webhook_url(const context& ctx) {
  auto base = ctx.options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/webhooks/vapi";
}

bool vapi_configured(const context& ctx, httplib::Response& res, bool need_public_url) {
  if (ctx.service.options().vapi_private_key.empty()) {
    send_error(res, ec::not_configured,
               "this server has no Vapi private key (RINGMASTER_VAPI_PRIVATE_KEY), so it cannot "
               "create assistants or place calls");
    return false;
  }
  if (need_public_url && ctx.options.public_url.empty()) {
    send_error(res, ec::not_configured,
               "this server has no public URL (RINGMASTER_PUBLIC_URL), so Vapi would not know "
               "where to send the agent's calls");
    return false;
  }
  return true;
}

namespace {

// An error that also carries the agent it concerns (e.g. left in status failed).
void send_error_with(httplib::Response& res, rm::ec kind, const std::string& code,
                     const std::string& message, const json& agent) {
  const auto h = http_of(kind);
  send_json(res, h.status,
            {{"error", {{"code", code.empty() ? std::string{h.code} : code}, {"message", message}}},
             {"agent", agent}});
}

json agent_json(const p::agent_row& a) {
  return {{"id", a.id},
          {"agent_name", a.name},
          {"language", a.language},
          {"area_code", text_or_null(a.area_code)},
          {"provision_phone", a.provision_phone},
          {"status", a.status},
          {"failed_step", text_or_null(a.failed_step)},
          {"error", text_or_null(a.error_message)},
          {"vapi_assistant_id", text_or_null(a.vapi_assistant_id)},
          {"phone_number_id", text_or_null(a.phone_number_id)},
          {"phone_number", text_or_null(a.phone_number)},
          {"attempts", a.attempts},
          {"created_by", text_or_null(a.created_by)},
          {"created_at", utc(a.created_at)},
          {"updated_at", utc(a.updated_at)}};
}

// The agent's tools sync (actors/tools_sync.hpp; null before the agent is first ready).
json tools_sync_json(const std::optional<p::tools::tools_sync_row>& s) {
  if (!s) return nullptr;
  return {{"status", s->status},
          {"reason", text_or_null(s->reason)},
          {"attempts", s->attempts},
          {"synced_at", s->synced_at
                            ? json(utc(domain::instant(std::chrono::seconds(*s->synced_at))))
                            : json(nullptr)}};
}

struct agent_input {
  std::string name, language, area_code;
  bool provision_phone = true;
};

// Reads POST /api/agents; false after answering 400.
bool read_agent_input(const json& body, httplib::Response& res, agent_input& in, bool partial) {
  if (!body.is_object()) {
    field_error(res, "", "the body must be a JSON object");
    return false;
  }
  for (const auto& [key, value] : body.items()) {
    (void)value;
    static const std::set<std::string> known{"agent_name", "language", "area_code",
                                             "provision_phone"};
    if (!known.count(key) || (partial && (key == "area_code" || key == "provision_phone"))) {
      field_error(res, key, "unknown field '" + key + "'");
      return false;
    }
  }
  if (body.contains("agent_name") || !partial) {
    const auto& v = body.contains("agent_name") ? body["agent_name"] : json();
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 200) {
      field_error(res, "agent_name",
                  "agent_name is required: a non-empty string of at most 200 characters");
      return false;
    }
    in.name = v.get<std::string>();
  }
  if (body.contains("language") || !partial) {
    const auto& v = body.contains("language") ? body["language"] : json();
    auto lang = v.is_string() ? domain::canonical_language(v.get<std::string>()) : std::nullopt;
    if (!lang) {
      field_error(res, "language",
                  "language is required: a BCP 47 language tag such as en, en-US or es");
      return false;
    }
    in.language = *lang;
  }
  if (body.contains("area_code") && !body["area_code"].is_null()) {
    const auto& v = body["area_code"];
    if (!v.is_string() || !domain::valid_area_code(v.get<std::string>())) {
      field_error(res, "area_code",
                  "area_code must be a 3-digit North American area code as a string, e.g. "
                  "\"212\"");
      return false;
    }
    in.area_code = v.get<std::string>();
  }
  if (body.contains("provision_phone")) {
    if (!body["provision_phone"].is_boolean()) {
      field_error(res, "provision_phone", "provision_phone must be true or false");
      return false;
    }
    in.provision_phone = body["provision_phone"];
  }
  return true;
}

// What a failed step tells the caller.

// The saga's answer: `ok_status` with the ready agent, else its failure with the agent.
void send_outcome(httplib::Response& res, const actors::agent_outcome& o, int ok_status) {
  if (o.ready) return send_json(res, ok_status, {{"agent", agent_json(o.agent)}});
  if (o.agent.id.empty())  // refused before any step (no such agent, saga not configured)
    return send_error(res, o.kind, o.message, "", o.code.empty() ? nullptr : o.code.c_str());
  if (o.retry_after >= 0)
    res.set_header("Retry-After", std::to_string(std::max(1, o.retry_after)));
  // The number step's failures keep the number service's own status (e.g. 422).
  send_error_with(res, o.kind, o.code, o.message, agent_json(o.agent));
}

}  // namespace

void post_agent(context& ctx, const httplib::Request& req, httplib::Response& res,
                const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  agent_input in;
  if (!read_agent_input(body, res, in, false)) return;
  if (in.provision_phone && ctx.options.numbers == nullptr)
    return send_error(res, ec::not_supported,
                      "automatic number provisioning is not available on this server; send "
                      "provision_phone=false and link a number to the agent",
                      "provision_phone", "provisioning_unavailable");
  if (!vapi_configured(ctx, res, true)) return;
  p::agent_row agent;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    agent = p::insert_agent(tx, who.org_id, who.user_id,
                            {in.name, in.language, in.area_code, in.provision_phone});
    return true;
  });
  send_outcome(
      res, actors::start_agent(ctx.service, who.org_id, who.user_id, agent.id, agent_wait), 201);
}

void list_agents(context& ctx, const httplib::Request&, httplib::Response& res,
                 const principal& who) {
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& a : p::list_agents(tx)) out.push_back(agent_json(a));
    return true;
  });
  send_json(res, 200, {{"agents", out}});
}

void get_agent(context& ctx, const httplib::Request& req, httplib::Response& res,
               const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::agent_row> agent;
  std::optional<p::tools::tools_sync_row> sync;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    agent = p::load_agent(tx, id);
    if (agent) sync = p::tools::tools_sync_of(tx, who.org_id, id);
    return true;
  });
  // The id is not echoed: a 404 says nothing of what another tenant may have under it.
  if (!agent) return send_error(res, ec::not_found, "no such agent");
  json out = agent_json(*agent);
  out["tools_sync"] = tools_sync_json(sync);
  send_json(res, 200, {{"agent", out}});
}

void retry_agent(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  const std::string id = req.matches[1];
  bool known = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    known = p::load_agent(tx, id).has_value();
    return true;
  });
  if (!known) return send_error(res, ec::not_found, "no agent with id " + id);
  if (!vapi_configured(ctx, res, true)) return;
  send_outcome(res, actors::retry_agent(ctx.service, who.org_id, who.user_id, id, agent_wait),
               200);
}

// Renaming or changing the language of a ready agent updates its assistant through
// fetch-merge-patch (GET, merge, PATCH: `model` is always sent whole).
void patch_agent(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  const std::string id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  agent_input in;
  if (!read_agent_input(body, res, in, true)) return;
  std::optional<p::agent_row> agent;
  std::string clinic;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    agent = p::load_agent(tx, id);
    clinic = p::org_name(tx);
    return true;
  });
  if (!agent) return send_error(res, ec::not_found, "no agent with id " + id);
  if (agent->vapi_assistant_id.empty())
    return send_error_with(res, ec::conflict, "no_assistant",
                           "this agent has no Vapi assistant yet; retry its creation first",
                           agent_json(*agent));
  if (!vapi_configured(ctx, res, true)) return;
  vapi::assistant_spec spec{in.name.empty() ? agent->name : in.name,
                            clinic,
                            in.language.empty() ? agent->language : in.language,
                            webhook_url(ctx),
                            server_headers(ctx),
                            who.org_id,
                            agent->id};
  const auto changes = vapi::assistant_changes(spec);
  const auto assistant_id = agent->vapi_assistant_id;
  auto out = with_vapi(ctx, who.org_id,
                       [assistant_id, changes, org_id = who.org_id](
                           actors::provider_port& port, const actors::vapi_endpoint& ep) {
                         return port.merge_assistant(org_id, ep, {assistant_id, changes});
                       });
  if (out.breaker_open) return send_vapi_unavailable(res, *out.breaker_open);
  if (out.no_answer)
    return send_error(res, ec::provider_timeout,
                      "Vapi did not answer in time; the agent was not changed");
  if (!out.response.ok)
    return send_error(res, ec::provider_rejected,
                      "Vapi refused the change (HTTP " +
                          std::to_string(out.response.error.http_status) +
                          "): " + out.response.error.message,
                      "", "vapi_error");
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    tx.exec_params0("UPDATE agents SET name = $2, language = $3 WHERE id = $1"
                    " AND org_id = rm_current_org()",
                    agent->id, spec.agent_name, spec.language);
    // A saved agent's tools are (re)linked in the background (actors/tools_sync.hpp).
    p::tools::begin_tools_sync(tx, who.org_id, agent->id);
    agent = p::load_agent(tx, agent->id);
    return true;
  });
  actors::request_tools_sync(ctx.service, who.org_id, agent->id);
  send_json(res, 200, {{"agent", agent_json(*agent)}});
}


}  // namespace agents_detail

// ---- the table ----------------------------------------------------------------------------------

void add_agent_routes(httplib::Server& srv, context& ctx) {
  using namespace agents_detail;
  // The agent saga's steps over this server's configuration; closed (waiting for a running
  // step) when the server goes, before the number service and the service do.
  actors::agent_provisioning_settings settings;
  settings.webhook_url = webhook_url(ctx);
  settings.server_headers = server_headers(ctx);
  settings.backoff = ctx.options.agent_retry_backoff;
  settings.max_attempts = ctx.options.agent_max_attempts;
  auto steps = std::make_shared<actors::agent_provisioner>(ctx.service, ctx.options.numbers,
                                                           std::move(settings));
  actors::install_agent_steps(ctx.service, steps);
  auto& svc = ctx.service;
  ctx.owned.push_back(std::shared_ptr<void>(nullptr, [&svc, steps](void*) {
    actors::uninstall_agent_steps(svc, steps);
    steps->close();
  }));
  add_tenant_table(
      srv, ctx,
      {
          {"POST", "/api/agents", "admin", post_agent},
          {"GET", "/api/agents", "member", list_agents},
          {"GET", "/api/agents/{id}", "member", get_agent},
          {"POST", "/api/agents/{id}/retry", "admin", retry_agent},
          {"PATCH", "/api/agents/{id}", "admin", patch_agent},
          {"GET", "/api/notifications", "admin", list_notifications},
          {"POST", "/api/notifications/{id}/read", "admin", read_notification},
          {"POST", "/api/campaigns", "admin", post_campaign},
          {"GET", "/api/campaigns", "member", list_campaigns},
          {"POST", "/api/campaigns/{id}/numbers", "admin", link_number},
          {"DELETE", "/api/campaigns/{id}/numbers/{phone_number_id}", "admin", unlink_number},
          {"POST", "/api/campaigns/{id}/contacts", "admin", assign_contacts},
          {"DELETE", "/api/campaigns/{id}/contacts/{contact_id}", "admin", unassign_contact},
          {"POST", "/api/contacts/{id}/call-back", "member", call_back},
      });
}

}  // namespace rm::http
