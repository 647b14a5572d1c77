// Agents, campaigns, the outbound call-back and admin notifications (issue 4 §3 agents, §5;
// docs/api.md "Agents, campaigns and call-back", docs/telephony.md "Outbound call-back").
//   POST   /api/agents                              admin   create: Vapi assistant, then a number
//   GET    /api/agents                              member
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
// Every Vapi request is a typed request to the vapi adapter actor (service::providers(), behind
// the tenant's circuit breaker). Database work runs in transactions that name the JWT's tenant
// first; provider calls run between them, never inside one, so no connection waits on Vapi.
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/number_service.hpp"
#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "adapters/http/number_http.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/vapi/assistant_spec.hpp"
#include "adapters/vapi/vapi_client.hpp"
#include "domain/calendar.hpp"
#include "domain/outbound.hpp"
#include "persistence/agent_queries.hpp"
#include "persistence/repositories.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

constexpr int stale_creating_seconds = 120;  // a "creating" agent older than this may be retried

// ---- helpers ------------------------------------------------------------------------------------

std::string utc(domain::instant t) { return domain::format_local(t, "UTC"); }
json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

void field_error(httplib::Response& res, const std::string& field, const std::string& message) {
  send_error(res, 400, "invalid_field", message, field);
}

// An error that also carries the resource it concerns (e.g. the agent left in status failed).
void send_error_with(httplib::Response& res, int status, const std::string& code,
                     const std::string& message, const char* key, const json& value) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}, {key, value}});
}

// The Vapi operations of one tenant, each a typed request to the vapi adapter actor through the
// provider port (actors/provider_port.hpp), shaped like the client calls they replace.
struct vapi_calls {
  actors::provider_port& port;
  std::string org_id;
  actors::vapi_endpoint ep;
  vapi::response create_assistant(const json& body) {
    return port.create_assistant(org_id, ep, {body});
  }
  vapi::response merge_assistant(const std::string& id, const json& changes) {
    return port.merge_assistant(org_id, ep, {id, changes});
  }
  vapi::response create_call(const vapi::outbound_call& c) {
    return port.create_call(org_id, ep, c);
  }
};

// A Vapi operation behind the tenant's circuit breaker (the adapter runs it on its own worker,
// with copies of the request's data).
struct vapi_outcome {
  vapi::response response;
  bool breaker_open = false;
  std::chrono::seconds retry_after{0};
  bool no_answer = false;  // the vapi adapter did not answer in time
};

vapi_outcome with_vapi(context& ctx, const std::string& org_id,
                       const std::function<vapi::response(vapi_calls&)>& op) {
  vapi_outcome out;
  vapi_calls calls{ctx.service.providers(), org_id,
                   {ctx.service.options().vapi_base_url, ctx.service.options().vapi_private_key}};
  try {
    out.response = op(calls);
  } catch (const actors::provider_unavailable& e) {
    out.breaker_open = true;
    out.retry_after = e.retry_after;
  } catch (const actors::service_error&) {
    out.no_answer = true;
  }
  return out;
}

// "…; retry in 30 s" for a breaker that is open.
std::string unavailable_sentence(const vapi_outcome& o) {
  return "Vapi is not being called for this clinic right now after repeated failures; retry in " +
         std::to_string(o.retry_after.count()) + " s";
}

void send_unavailable(httplib::Response& res, const vapi_outcome& o, const std::string& message,
                      const char* key = nullptr, const json& value = nullptr) {
  res.set_header("Retry-After", std::to_string(std::max<long long>(1, o.retry_after.count())));
  if (key) return send_error_with(res, 503, "provider_unavailable", message, key, value);
  send_error(res, 503, "provider_unavailable", message);
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

// 503 not_configured when the deployment cannot talk to Vapi at all (nothing is stored).
bool vapi_configured(const context& ctx, httplib::Response& res, bool need_public_url) {
  if (ctx.service.options().vapi_private_key.empty()) {
    send_error(res, 503, "not_configured",
               "this server has no Vapi private key (RINGMASTER_VAPI_PRIVATE_KEY), so it cannot "
               "create assistants or place calls");
    return false;
  }
  if (need_public_url && ctx.options.public_url.empty()) {
    send_error(res, 503, "not_configured",
               "this server has no public URL (RINGMASTER_PUBLIC_URL), so Vapi would not know "
               "where to send the agent's calls");
    return false;
  }
  return true;
}

// ---- agents -------------------------------------------------------------------------------------

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
struct step_failure {
  int status = 502;
  std::string code = "vapi_error";
  std::string message;
  std::optional<vapi_outcome> outcome;  // for Retry-After
};

// Records the failure (status failed at `step`) and notifies the admins, in one transaction.
p::agent_row record_failure(context& ctx, const principal& who, const p::agent_row& agent,
                            const std::string& step, const std::string& message) {
  p::agent_row out = agent;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::agent_failed(tx, agent.id, step, message);
    p::notify_admins(tx, who.org_id, "agent.failed", "error", "agent", agent.id,
                     "The agent '" + agent.name + "' could not be set up (step " + step + "): " +
                         message + ". Fix the cause, then retry with POST /api/agents/" +
                         agent.id + "/retry.");
    out = *p::load_agent(tx, agent.id);
    return true;
  });
  spdlog::warn("agent {} of org {}: step {} failed: {}", agent.id, who.org_id, step, message);
  return out;
}

// Provisions a number for the agent through the number lifecycle's saga
// (actors::number_service::provision: order recorded, Twilio buys by area code, the number is
// recorded and routed, Vapi imports it with the agent's assistant, linked). A number the saga
// already holds for this agent is never bought again: linked → taken as is; bought but its Vapi
// import still to come, or a purchase still open → this step fails with that status (the
// number module's sweep finishes it; a retry then finds it linked).
struct provision_result {
  bool ok = false;
  std::string phone_number_id;
  step_failure failure;
  int retry_after = -1;
};
bool provisioning_available(const context& ctx) { return ctx.options.numbers != nullptr; }

provision_result provision_number(context& ctx, const principal& who, const p::agent_row& agent) {
  provision_result r;
  auto fail = [&](int status, std::string code, std::string message, int retry_after = -1) {
    r.failure.status = status;
    r.failure.code = std::move(code);
    r.failure.message = std::move(message);
    r.retry_after = retry_after;
    return r;
  };
  p::agent_number_state held;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    held = p::agent_numbers(tx, agent.id);
    return true;
  });
  if (!held.linked_id.empty()) {
    r.ok = true;
    r.phone_number_id = held.linked_id;
    return r;
  }
  if (!held.pending_id.empty())
    return fail(409, "number_import_pending",
                "the number " + held.pending_e164 +
                    " was bought for this agent and is routed to the clinic, but its import "
                    "into Vapi is still pending (it is retried automatically); retry the agent "
                    "once it is linked");
  if (held.open_order)
    return fail(409, "number_purchase_pending",
                "a number purchase for this agent is still being completed or reconciled; "
                "retry the agent in a few minutes");
  if (!ctx.options.numbers) return fail(501, "provisioning_unavailable",
                                        "automatic number provisioning is not available on this server");
  json body{{"agent_id", agent.id}};
  if (!agent.area_code.empty()) {
    body["area_code"] = agent.area_code;
  } else {
    // No preference: the first local number Twilio offers.
    auto found = to_http(ctx.options.numbers->search(who.org_id, "US", "", ""));
    if (found.status != 200)
      return fail(found.status, found.body["error"].value("code", "provisioning_failed"),
                  "no number could be searched: " + found.body["error"].value("message", ""),
                  found.retry_after);
    const auto& list = found.body["available_phone_numbers"];
    if (!list.is_array() || list.empty())
      return fail(409, "no_numbers_available", "Twilio offers no local number right now");
    body["phone_number"] = list[0]["phone_number"];
  }
  auto out = to_http(ctx.options.numbers->provision(who.org_id, who.user_id, body));
  if (out.status == 201 && out.body["number"].is_object()) {
    r.ok = true;
    r.phone_number_id = out.body["number"]["id"];
    return r;
  }
  if (out.status == 202) {
    const auto& n = out.body["number"];
    return fail(409, "number_import_pending",
                (n.is_object() ? "the number " + n.value("phone_number", std::string{}) +
                                     " was bought for this agent"
                               : std::string{"the purchase's outcome is being reconciled"}) +
                    "; its import into Vapi is still pending (it is retried automatically); "
                    "retry the agent once it is linked");
  }
  const auto& e = out.body["error"];
  return fail(out.status, e.is_object() ? e.value("code", "provisioning_failed") : "provisioning_failed",
              e.is_object() ? e.value("message", "the number could not be provisioned")
                            : "the number could not be provisioned",
              out.retry_after);
}

// Runs the steps the agent still needs (domain::next_step), recording each result. Answers the
// request: `ok_status` with the agent when it is ready, else the failure with the agent.
void run_agent_steps(context& ctx, const principal& who, p::agent_row agent, int ok_status,
                     httplib::Response& res) {
  for (;;) {
    auto step = domain::next_step(
        {!agent.vapi_assistant_id.empty(), agent.provision_phone, !agent.phone_number_id.empty()});
    if (step == domain::agent_step::done) {
      in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
        p::agent_ready(tx, agent.id);
        agent = *p::load_agent(tx, agent.id);
        return true;
      });
      return send_json(res, ok_status, {{"agent", agent_json(agent)}});
    }
    if (step == domain::agent_step::create_assistant) {
      std::string clinic;
      in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
        clinic = p::org_name(tx);
        return true;
      });
      vapi::assistant_spec spec{agent.name,        clinic,       agent.language,
                                webhook_url(ctx),  server_headers(ctx), who.org_id,
                                agent.id};
      spec.sms_per_call = ctx.service.options().sms_per_call;
      const auto body = vapi::assistant_body(spec);
      auto out = with_vapi(ctx, who.org_id,
                           [body](vapi_calls& c) { return c.create_assistant(body); });
      std::string failure;
      int status = 502;
      std::string code = "vapi_error";
      std::string assistant_id;
      if (out.breaker_open) {
        failure = unavailable_sentence(out);
        status = 503;
        code = "provider_unavailable";
      } else if (out.no_answer) {
        failure = "Vapi did not answer in time; the assistant was not recorded";
        status = 504;
        code = "provider_timeout";
      } else if (!out.response.ok) {
        failure = "Vapi refused to create the assistant (HTTP " +
                  std::to_string(out.response.error.http_status) + "): " +
                  out.response.error.message;
      } else if (!out.response.body.is_object() || !out.response.body.contains("id") ||
                 !out.response.body["id"].is_string() ||
                 out.response.body["id"].get<std::string>().empty()) {
        failure = "Vapi answered without an assistant id";
      } else {
        assistant_id = out.response.body["id"].get<std::string>();
      }
      if (!failure.empty()) {
        agent = record_failure(ctx, who, agent, "assistant", failure);
        if (status == 503) return send_unavailable(res, out, failure, "agent", agent_json(agent));
        return send_error_with(res, status, code, failure, "agent", agent_json(agent));
      }
      bool adopted = false;
      in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
        p::agent_assistant_created(tx, agent.id, assistant_id);
        adopted = p::adopt_default_assistant(tx, assistant_id);
        agent = *p::load_agent(tx, agent.id);
        return true;
      });
      if (adopted) {  // assistant-request now answers with it
        ctx.service.invalidate_routes();
        ctx.service.tenant_changed(who.org_id);
      }
      continue;
    }
    // provision_number
    auto provisioned = provision_number(ctx, who, agent);
    if (!provisioned.ok) {
      agent = record_failure(ctx, who, agent, "phone_number", provisioned.failure.message);
      if (provisioned.retry_after >= 0)
        res.set_header("Retry-After", std::to_string(std::max(1, provisioned.retry_after)));
      return send_error_with(res, provisioned.failure.status, provisioned.failure.code,
                             provisioned.failure.message, "agent", agent_json(agent));
    }
    in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
      p::agent_number_linked(tx, agent.id, provisioned.phone_number_id);
      agent = *p::load_agent(tx, agent.id);
      return true;
    });
  }
}

void post_agent(context& ctx, const httplib::Request& req, httplib::Response& res,
                const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  agent_input in;
  if (!read_agent_input(body, res, in, false)) return;
  if (in.provision_phone && !provisioning_available(ctx))
    return send_error(res, 501, "provisioning_unavailable",
                      "automatic number provisioning is not available on this server; send "
                      "provision_phone=false and link a number to the agent",
                      "provision_phone");
  if (!vapi_configured(ctx, res, true)) return;
  p::agent_row agent;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    agent = p::insert_agent(tx, who.org_id, who.user_id,
                            {in.name, in.language, in.area_code, in.provision_phone});
    return true;
  });
  run_agent_steps(ctx, who, agent, 201, res);
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

void retry_agent(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  const std::string id = req.matches[1];
  bool known = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    known = p::load_agent(tx, id).has_value();
    return true;
  });
  if (!known) return send_error(res, 404, "not_found", "no agent with id " + id);
  if (!vapi_configured(ctx, res, true)) return;
  p::agent_row agent;
  auto outcome = p::retry_outcome::not_found;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    outcome = p::begin_agent_retry(tx, id, stale_creating_seconds, agent);
    return outcome == p::retry_outcome::started;
  });
  if (outcome == p::retry_outcome::not_found)
    return send_error(res, 404, "not_found", "no agent with id " + id);
  if (outcome == p::retry_outcome::not_retryable)
    return send_error_with(res, 409, "not_retryable",
                           agent.status == "ready"
                               ? "this agent is ready; there is nothing to retry"
                               : "this agent's creation is still running",
                           "agent", agent_json(agent));
  run_agent_steps(ctx, who, agent, 200, res);
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
  if (!agent) return send_error(res, 404, "not_found", "no agent with id " + id);
  if (agent->vapi_assistant_id.empty())
    return send_error_with(res, 409, "no_assistant",
                           "this agent has no Vapi assistant yet; retry its creation first",
                           "agent", agent_json(*agent));
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
  auto out = with_vapi(ctx, who.org_id, [assistant_id, changes](vapi_calls& c) {
    return c.merge_assistant(assistant_id, changes);
  });
  if (out.breaker_open) return send_unavailable(res, out, unavailable_sentence(out));
  if (out.no_answer)
    return send_error(res, 504, "provider_timeout",
                      "Vapi did not answer in time; the agent was not changed");
  if (!out.response.ok)
    return send_error(res, 502, "vapi_error",
                      "Vapi refused the change (HTTP " +
                          std::to_string(out.response.error.http_status) +
                          "): " + out.response.error.message);
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    tx.exec_params0("UPDATE agents SET name = $2, language = $3 WHERE id = $1"
                    " AND org_id = rm_current_org()",
                    agent->id, spec.agent_name, spec.language);
    agent = p::load_agent(tx, agent->id);
    return true;
  });
  send_json(res, 200, {{"agent", agent_json(*agent)}});
}

// ---- notifications ------------------------------------------------------------------------------

json notification_json(const p::notification& n) {
  return {{"id", n.id},
          {"kind", n.kind},
          {"severity", n.severity},
          {"subject_type", text_or_null(n.subject_type)},
          {"subject_id", text_or_null(n.subject_id)},
          {"message", n.message},
          {"created_at", utc(n.created_at)},
          {"read_at", n.read_at ? json(utc(*n.read_at)) : json(nullptr)},
          {"read_by", text_or_null(n.read_by)}};
}

void list_notifications(context& ctx, const httplib::Request& req, httplib::Response& res,
                        const principal& who) {
  bool unread = false;
  if (req.has_param("unread")) {
    const auto v = req.get_param_value("unread");
    if (v != "true" && v != "false")
      return field_error(res, "unread", "unread must be true or false");
    unread = v == "true";
  }
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& n : p::list_notifications(tx, unread, 200)) out.push_back(notification_json(n));
    return true;
  });
  send_json(res, 200, {{"notifications", out}});
}

void read_notification(context& ctx, const httplib::Request& req, httplib::Response& res,
                       const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::notification> n;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    n = p::mark_notification_read(tx, id, who.user_id);
    return n.has_value();
  });
  if (!n) return send_error(res, 404, "not_found", "no notification with id " + id);
  send_json(res, 200, {{"notification", notification_json(*n)}});
}

// ---- campaigns ----------------------------------------------------------------------------------

json campaign_json(const p::campaign_row& c) {
  json numbers = json::array();
  for (const auto& n : c.numbers)
    numbers.push_back({{"phone_number_id", n.phone_number_id},
                       {"phone_number", n.e164},
                       {"vapi_phone_number_id", text_or_null(n.vapi_phone_number_id)},
                       {"active", n.active}});
  return {{"id", c.id},
          {"name", c.name},
          {"description", c.description},
          {"numbers", numbers},
          {"contact_count", c.contact_count},
          {"created_by", text_or_null(c.created_by)},
          {"created_at", utc(c.created_at)}};
}

void post_campaign(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object()) return field_error(res, "", "the body must be a JSON object");
  if (!body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty() || body["name"].get<std::string>().size() > 200)
    return field_error(res, "name", "name is required: a non-empty string of at most 200 characters");
  std::string description;
  if (body.contains("description") && !body["description"].is_null()) {
    if (!body["description"].is_string() || body["description"].get<std::string>().size() > 2000)
      return field_error(res, "description",
                         "description must be a string of at most 2000 characters");
    description = body["description"];
  }
  std::optional<p::campaign_row> made;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    made = p::create_campaign(tx, who.org_id, who.user_id, body["name"], description);
    return made.has_value();
  });
  if (!made)
    return send_error(res, 409, "name_taken", "this clinic already has a campaign with that name",
                      "name");
  send_json(res, 201, {{"campaign", campaign_json(*made)}});
}

void list_campaigns(context& ctx, const httplib::Request&, httplib::Response& res,
                    const principal& who) {
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& c : p::list_campaigns(tx)) out.push_back(campaign_json(c));
    return true;
  });
  send_json(res, 200, {{"campaigns", out}});
}

void link_number(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  const std::string id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object() || !body.contains("phone_number_id") ||
      !body["phone_number_id"].is_string())
    return field_error(res, "phone_number_id",
                       "phone_number_id is required: the id of one of this clinic's numbers");
  const std::string number = body["phone_number_id"];
  auto outcome = p::link_outcome::campaign_not_found;
  std::optional<p::campaign_row> campaign;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    outcome = p::link_campaign_number(tx, who.org_id, id, number, who.user_id);
    if (outcome == p::link_outcome::linked || outcome == p::link_outcome::already_linked)
      campaign = p::load_campaign(tx, id);
    return outcome == p::link_outcome::linked;
  });
  using o = p::link_outcome;
  if (outcome == o::campaign_not_found)
    return send_error(res, 404, "not_found", "no campaign with id " + id);
  if (outcome == o::number_not_found)
    return send_error(res, 404, "not_found",
                      "no active number of this clinic has id " + number, "phone_number_id");
  if (outcome == o::in_other_campaign)
    return send_error(res, 409, "number_in_other_campaign",
                      "this number is the caller ID of another campaign; unlink it there first",
                      "phone_number_id");
  send_json(res, outcome == o::linked ? 201 : 200,
            {{"result", outcome == o::linked ? "linked" : "already_linked"},
             {"campaign", campaign_json(*campaign)}});
}

void unlink_number(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  const std::string id = req.matches[1], number = req.matches[2];
  bool done = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    done = p::unlink_campaign_number(tx, id, number);
    return done;
  });
  if (!done)
    return send_error(res, 404, "not_found",
                      "campaign " + id + " has no number with id " + number);
  send_json(res, 200, {{"result", "unlinked"}});
}

void assign_contacts(context& ctx, const httplib::Request& req, httplib::Response& res,
                     const principal& who) {
  const std::string id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object() || !body.contains("contact_ids") || !body["contact_ids"].is_array() ||
      body["contact_ids"].empty() || body["contact_ids"].size() > 1000)
    return field_error(res, "contact_ids",
                       "contact_ids is required: an array of 1 to 1000 contact ids");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < body["contact_ids"].size(); ++i) {
    const auto& v = body["contact_ids"][i];
    if (!v.is_string())
      return field_error(res, "contact_ids[" + std::to_string(i) + "]",
                         "each contact id must be a string");
    ids.push_back(v);
  }
  p::assign_result r;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    r = p::assign_contacts(tx, id, ids);
    return r.campaign_found && r.unknown_index < 0;  // all or nothing
  });
  if (!r.campaign_found) return send_error(res, 404, "not_found", "no campaign with id " + id);
  if (r.unknown_index >= 0)
    return send_error(res, 404, "not_found",
                      "no contact of this clinic has id " + ids[r.unknown_index] +
                          "; no contact was assigned",
                      "contact_ids[" + std::to_string(r.unknown_index) + "]");
  send_json(res, 200, {{"result", "assigned"}, {"campaign_id", id}, {"assigned", r.assigned}});
}

void unassign_contact(context& ctx, const httplib::Request& req, httplib::Response& res,
                      const principal& who) {
  const std::string id = req.matches[1], contact = req.matches[2];
  bool done = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    done = p::unassign_contact(tx, id, contact);
    return done;
  });
  if (!done)
    return send_error(res, 404, "not_found",
                      "campaign " + id + " has no contact with id " + contact);
  send_json(res, 200, {{"result", "unassigned"}});
}

// ---- call-back ----------------------------------------------------------------------------------

// What the first transaction decided.
struct call_plan {
  std::optional<p::contact_row> contact;
  p::outbound_agent agent;
  std::optional<domain::caller_id_choice> choice;
};

void call_back(context& ctx, const httplib::Request& req, httplib::Response& res,
               const principal& who) {
  const std::string id = req.matches[1];
  call_plan plan;
  // 1. Contact, agent and caller ID; the round-robin cursor moves in the same transaction (a
  //    failed Vapi call still used its turn: the rotation stays fair and never blocks).
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    plan.contact = p::load_contact(tx, id);
    if (!plan.contact || plan.contact->opted_out) return false;
    plan.agent = p::find_outbound_agent(tx);
    if (plan.agent.assistant_id.empty()) return false;
    domain::caller_id_input in;
    const std::string campaign_scope = "campaign:" + plan.contact->campaign_id;
    if (!plan.contact->campaign_id.empty()) {
      in.campaign_numbers = p::campaign_candidates(tx, plan.contact->campaign_id);
      if (!in.campaign_numbers.empty())
        in.campaign_cursor = p::lock_cursor(tx, who.org_id, campaign_scope);
    }
    if (in.campaign_numbers.empty()) {
      in.pool = p::pool_candidates(tx);
      if (!in.pool.empty()) in.pool_cursor = p::lock_cursor(tx, who.org_id, "pool");
    }
    if (!plan.agent.phone_number_id.empty())
      in.default_number = p::number_candidate(tx, plan.agent.phone_number_id);
    plan.choice = domain::choose_caller_id(in);
    if (!plan.choice) return false;
    if (plan.choice->source == domain::caller_id_source::campaign)
      p::save_cursor(tx, who.org_id, campaign_scope, plan.choice->next_cursor);
    else if (plan.choice->source == domain::caller_id_source::round_robin)
      p::save_cursor(tx, who.org_id, "pool", plan.choice->next_cursor);
    return true;
  });
  if (!plan.contact) return send_error(res, 404, "not_found", "no contact with id " + id);
  if (plan.contact->opted_out)
    return send_error(res, 409, "contact_opted_out",
                      "this contact opted out (replied STOP); ringmaster places no automated "
                      "call to them until they reply START");
  if (plan.agent.assistant_id.empty())
    return send_error(res, 409, "no_assistant",
                      "this clinic has no ready agent (Vapi assistant) to place the call; create "
                      "one with POST /api/agents");
  if (!plan.choice)
    return send_error(res, 409, "no_caller_number",
                      "this clinic has no active number imported into Vapi to call from; add or "
                      "link one first");
  if (!vapi_configured(ctx, res, false)) return;

  // 2. Vapi POST /call behind the tenant's breaker (never retried on an ambiguous failure).
  vapi::outbound_call call;
  call.assistant_id = plan.agent.assistant_id;
  call.phone_number_id = plan.choice->number.vapi_phone_number_id;
  call.customer_number = plan.contact->phone_e164;
  call.customer_name = plan.contact->name;
  call.variable_values = {{"contact_name", plan.contact->name}, {"reason", "call-back"}};
  auto out = with_vapi(ctx, who.org_id, [call](vapi_calls& c) { return c.create_call(call); });
  if (out.breaker_open) return send_unavailable(res, out, unavailable_sentence(out));
  if (out.no_answer)
    return send_error(res, 504, "provider_timeout",
                      "Vapi did not answer in time; the call may or may not have been placed "
                      "(it shows in /api/calls once Vapi reports it)");
  if (!out.response.ok)
    return send_error(res, 502, "vapi_error",
                      "Vapi did not place the call (HTTP " +
                          std::to_string(out.response.error.http_status) +
                          "): " + out.response.error.message);
  const auto& placed = out.response.body;
  if (!placed.is_object() || !placed.contains("id") || !placed["id"].is_string() ||
      placed["id"].get<std::string>().empty())
    return send_error(res, 502, "vapi_error", "Vapi answered without a call id");
  const std::string call_id = placed["id"];
  const std::string vapi_status = placed.value("status", "queued");

  // 3. The call row, through the call registry like any webhook event, so the call actor is live
  //    (inspection API) and later Vapi webhooks for this id join it. Vapi's "queued" is the
  //    lifecycle's first state (ringing), with the dedup key a status-update "queued" would have.
  actors::call_event_msg msg;
  msg.identity = {call_id, who.org_id, "outbound", plan.contact->phone_e164,
                  plan.choice->number.e164, ""};
  msg.event.kind = domain::call_event_kind::status;
  msg.event.status = domain::call_state::ringing;
  msg.event.occurred_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  msg.event.dedup_key = "status:queued";
  const json source = {{"source", "call-back"},
                       {"requested_by", who.user_id},
                       {"contact_id", plan.contact->id},
                       {"agent_id", text_or_null(plan.agent.agent_id)},
                       {"caller_id_source", domain::to_string(plan.choice->source)},
                       {"vapi_status", vapi_status}};
  msg.payload_json = source.dump();
  auto ack = ctx.service.record_event(msg);
  if (ack.foreign) {  // a Vapi call id we already know for another tenant: never expected
    spdlog::error("call-back: Vapi call id {} already belongs to another tenant", call_id);
    return send_error(res, 502, "vapi_error", "Vapi answered with a call id that is not new");
  }
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::record_call_back_audit(tx, who.org_id, plan.contact->id, call_id, plan.contact->phone_e164,
                              "call-back from " + plan.choice->number.e164 + " (" +
                                  domain::to_string(plan.choice->source) + ")");
    return true;
  });
  send_json(res, 201,
            {{"call",
              {{"id", call_id},
               {"direction", "outbound"},
               {"state", ack.state},
               {"vapi_status", vapi_status},
               {"contact_id", plan.contact->id},
               {"to", plan.contact->phone_e164},
               {"assistant_id", plan.agent.assistant_id},
               {"agent_id", text_or_null(plan.agent.agent_id)},
               {"caller_id",
                {{"phone_number_id", plan.choice->number.phone_number_id},
                 {"phone_number", plan.choice->number.e164},
                 {"vapi_phone_number_id", plan.choice->number.vapi_phone_number_id},
                 {"source", domain::to_string(plan.choice->source)}}}}}});
}

}  // namespace

// ---- the table ----------------------------------------------------------------------------------

void add_agent_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(
      srv, ctx,
      {
          {"POST", "/api/agents", "admin", post_agent},
          {"GET", "/api/agents", "member", list_agents},
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
