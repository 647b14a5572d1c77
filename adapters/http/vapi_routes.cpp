// POST /webhooks/vapi — Vapi server messages (../shared/contracts/vapi.md §1–§2).
//   assistant-request   → {"assistantId"} of the dialled number's tenant, or {"error"} (rejects);
//                         for a caller that tenant knows, also assistantOverrides.variableValues
//                         (caller memory, domain/caller_memory.hpp)
//   status-update, end-of-call-report, hang, transfer-update → stored as call events (payloads
//                         redacted first), 200 after the commit
//   tool-calls          → {"results":[…]} (always HTTP 200, one result per call, in order)
//   anything else       → 200 {}
#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/logging/log.hpp"
#include "adapters/metrics/metrics.hpp"
#include "adapters/vapi/vapi_messages.hpp"
#include "domain/caller_memory.hpp"
#include "domain/e164.hpp"
#include "domain/scoring.hpp"
#include "persistence/caller_memory_queries.hpp"
#include "persistence/repositories.hpp"

namespace rm::http {

namespace {

using nlohmann::json;

// E.164 when the number is valid, the text as received otherwise (kept for the record).
std::string normalised_or_raw(const std::string& number) {
  if (number.empty()) return number;
  auto n = domain::normalize_e164(number, "US");
  return n.ok ? n.e164 : number;
}

// The tenant for a message: by dialled number, then by Vapi phone-number id, then (for a call we
// already know) by the call's stored tenant.
actors::tenant_ref resolve_tenant(context& ctx, const vapi::envelope& env) {
  auto dialled = env.dialled.empty() ? std::string{} : domain::normalize_e164(env.dialled, "US").e164;
  auto ref = ctx.service.resolve(dialled, env.phone_number_id);
  if (ref.found || env.call_id.empty()) return ref;
  std::string org_id, number;
  ctx.service.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    if (auto org = persistence::call_org(tx, env.call_id)) {
      persistence::set_tenant(tx, *org);
      if (auto row = persistence::load_call(tx, env.call_id)) {
        org_id = row->identity.org_id;
        number = row->identity.dialled;
      }
    }
    tx.commit();
  });
  if (org_id.empty()) return ref;
  ref = ctx.service.resolve(number, "");
  return ref.found && ref.org_id == org_id ? ref : actors::tenant_ref{};
}

persistence::call_identity identity_of(const vapi::envelope& env, const actors::tenant_ref& t) {
  persistence::call_identity id;
  id.id = env.call_id;
  id.org_id = t.org_id;
  id.direction = env.call_type == "outboundPhoneCall" ? "outbound" : "inbound";
  id.caller = normalised_or_raw(env.caller);
  id.dialled = t.dialled_e164;
  id.provider_call_sid = env.provider_call_sid;
  return id;
}

void unknown_number(context& ctx, const vapi::envelope& env) {
  auto n = ++ctx.counters.unknown_number;
  spdlog::warn("vapi {}: dialled number '{}' (phone-number id '{}') belongs to no tenant; "
               "refused ({} so far)", env.type, env.dialled, env.phone_number_id, n);
}

// What the dialled number's tenant knows about the caller, as variableValues (an empty object for
// an unknown or unidentifiable caller). One read under that tenant (set_tenant: RLS), so nothing of
// another tenant can come back. Memory is a nicety: when the read fails the call still goes ahead
// without it (logged without the caller's number or any stored text).
json caller_memory(context& ctx, const vapi::envelope& env, const actors::tenant_ref& t) {
  if (env.caller.empty()) return json::object();
  const auto caller = domain::normalize_e164(env.caller, "US");
  if (!caller.ok) return json::object();  // withheld ("anonymous") or malformed: nobody to recall
  std::optional<domain::caller_history> history;
  try {
    ctx.service.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      persistence::set_tenant(tx, t.org_id);
      history = persistence::load_caller_memory(tx, t.org_id, caller.e164, env.call_id);
      tx.commit();
    });
  } catch (const std::exception& e) {
    spdlog::warn("assistant-request for call {}: caller memory not read ({}); answering without it",
                 env.call_id, e.what());
    return json::object();
  }
  return history ? domain::caller_memory_variables(*history) : json::object();
}

void on_assistant_request(context& ctx, const vapi::envelope& env, const actors::tenant_ref& t,
                          httplib::Response& res) {
  if (!t.found) {
    unknown_number(ctx, env);
    send_json(res, 200, {{"error", "Sorry, this number is not in service."}});
    return;
  }
  if (t.assistant_id.empty()) {
    send_json(res, 200, {{"error", "Sorry, this line is not set up to take calls yet."}});
    return;
  }
  json reply{{"assistantId", t.assistant_id}};
  auto variables = caller_memory(ctx, env, t);
  if (!variables.empty()) reply["assistantOverrides"] = {{"variableValues", std::move(variables)}};
  send_json(res, 200, reply);
}

void on_lifecycle(context& ctx, const vapi::envelope& env, const actors::tenant_ref& t,
                  const json& message, httplib::Response& res) {
  if (env.call_id.empty()) {
    send_error(res, 400, "missing_call_id", "message.call.id is required for " + env.type,
               "message.call.id");
    return;
  }
  std::optional<domain::call_event> event;
  if (env.type == "hang") {
    domain::call_event e;
    e.kind = domain::call_event_kind::hang;
    e.occurred_at_ms = env.timestamp_ms;
    e.dedup_key = "hang:" + std::to_string(env.timestamp_ms);
    event = e;
  } else {
    event = vapi::lifecycle_event(env);
  }
  if (!event) {  // e.g. status "not-found": nothing to record
    send_json(res, 200, json::object());
    return;
  }
  if (!t.found) {
    unknown_number(ctx, env);
    send_error(res, 404, "unknown_number", "the dialled number belongs to no tenant");
    return;
  }
  actors::call_event_msg msg;
  msg.identity = identity_of(env, t);
  msg.event = *event;
  // Redaction before storage (issue 11): the stored payload has every free-text string passed
  // through domain::redact_pii, keeping the caller's and the clinic's numbers; the report's
  // transcript, summary and structured data are read from that redacted copy, so the raw
  // transcript never reaches the database (nor a log line: nothing here logs message text).
  const std::vector<std::string> keep{msg.identity.caller, msg.identity.dialled};
  const json stored = vapi::redacted_payload(message, keep);
  msg.payload_json = stored.dump(-1, ' ', false, json::error_handler_t::replace);
  if (env.type == "end-of-call-report") {
    auto r = vapi::extract_report(stored);
    persistence::call_report report;
    report.ended_reason = r.ended_reason;
    report.transcript = r.transcript;
    report.summary = r.summary;
    report.recording_url = r.recording_url;
    report.duration_seconds = r.duration_seconds;
    report.cost_usd = r.cost_usd;
    report.success_evaluation = r.success_evaluation;
    report.structured_data_json = r.structured_data_json;
    // What redaction replaced in the transcript and summary, by kind (counts only).
    const auto raw = vapi::extract_report(message);
    json counts = json::object();
    for (const auto* text : {&raw.transcript, &raw.summary})
      for (const auto& [kind, n] : domain::redact_pii(*text, keep).counts)
        counts[kind] = counts.value(kind, 0) + n;
    report.redactions_json = counts.dump();
    msg.report = std::move(report);
  }
  // transfer-update, or a forwarding status-update naming its destination: only the destination
  // and the reason are kept (calls.transfer_*, and a `transfer` event whose payload is just that).
  if (env.type == "transfer-update" ||
      (env.type == "status-update" && env.status == "forwarding")) {
    if (auto tr = vapi::extract_transfer(message))
      msg.transfer = persistence::call_transfer{tr->to, tr->reason, env.timestamp_ms};
    if (env.type == "transfer-update") {
      json only{{"type", "transfer-update"}, {"destination", nullptr}, {"reason", nullptr}};
      if (msg.transfer) only["destination"] = msg.transfer->to;
      if (msg.transfer && !msg.transfer->reason.empty()) only["reason"] = msg.transfer->reason;
      msg.payload_json = only.dump();
    }
  }
  auto ack = ctx.service.record_event(msg);  // returns after the commit
  if (ack.foreign) {
    send_error(res, 404, "unknown_call", "no call with that id for the dialled number's tenant");
    return;
  }
  send_json(res, 200, {{"received", true}, {"duplicate", !ack.stored}, {"state", ack.state}});
}

void on_tool_calls(context& ctx, const vapi::envelope& env, const actors::tenant_ref& t,
                   const json& message, httplib::Response& res) {
  auto calls = vapi::extract_tool_calls(message);
  std::vector<vapi::tool_result> results;
  auto fail_all = [&](const std::string& why) {
    for (const auto& c : calls) results.push_back({c.name, c.id, why, true});
    send_json(res, 200, vapi::tool_results_body(results));
  };
  if (calls.empty()) {
    send_json(res, 200, vapi::tool_results_body({}));
    return;
  }
  if (calls.size() > vapi::max_tool_calls_per_message) {
    ++ctx.counters.bad_request;
    send_error(res, 400, "too_many_tool_calls",
               "a tool-calls message carries at most " +
                   std::to_string(vapi::max_tool_calls_per_message) + " tool calls, this one " +
                   std::to_string(calls.size()) + "; none of them ran",
               "message.toolCallList");
    return;
  }
  if (env.call_id.empty()) return fail_all("message.call.id is missing, so the tool cannot run");
  if (!t.found) {
    unknown_number(ctx, env);
    return fail_all("this phone number is not assigned to any clinic");
  }
  std::vector<actors::tool_request> requests;
  // The arguments as text for the record, and as parsed here for the tool (no second parse).
  for (auto& c : calls)
    requests.push_back({c.id, c.name, c.arguments.dump(), c.arguments_error,
                        std::make_shared<const json>(std::move(c.arguments))});
  std::vector<actors::tool_reply> replies;
  try {
    replies = ctx.service.run_tools(identity_of(env, t), std::move(requests));
  } catch (const actors::service_error& e) {
    spdlog::warn("tool-calls for call {} did not complete: {}", env.call_id, e.what());
    return fail_all("the clinic's system did not answer in time, please try again");
  }
  for (const auto& r : replies)
    results.push_back({r.name, r.tool_call_id, r.text, r.is_error});  // made one line below
  send_json(res, 200, vapi::tool_results_body(results));
}

}  // namespace

void add_vapi_routes(httplib::Server& srv, context& ctx) {
  add_route(srv, ctx, "POST", "/webhooks/vapi", route_auth::vapi,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              // The tenant is found from the message's routing keys (dialled number, Vapi
              // phone-number id; the call's stored tenant as a last resort) before anything is
              // processed or stored, so that a tenant with its own Vapi credential is checked
              // against that one (the directory's cache answers: no database read per message).
              // json_guard: depth, UTF-8 and NUL limits while parsing (the body is untrusted
              // until the credential check below, which needs the routing keys).
              auto parsed = json_guard::parse(req.body);
              const json& body = parsed.value;
              vapi::parse_error error;
              std::optional<vapi::envelope> env;
              actors::tenant_ref tenant;
              if (parsed.ok()) env = vapi::parse_envelope(body, &error);
              if (env) tenant = resolve_tenant(ctx, *env);
              if (!require_vapi(req, res, ctx, tenant.found ? tenant.org_id : "")) return;
              if (!parsed.ok()) return send_unparsable(res, ctx, parsed);
              if (!env) {
                ++ctx.counters.bad_request;
                send_error(res, 400, error.code, error.message);
                return;
              }
              const auto& message = body["message"];
              metrics::vapi_message(env->type);
              logging::note_call(env->call_id, tenant.found ? tenant.org_id : "");
              if (env->type == "assistant-request")
                return on_assistant_request(ctx, *env, tenant, res);
              if (env->type == "tool-calls") return on_tool_calls(ctx, *env, tenant, message, res);
              if (env->type == "status-update" || env->type == "end-of-call-report" ||
                  env->type == "hang" || env->type == "transfer-update")
                return on_lifecycle(ctx, *env, tenant, message, res);
              send_json(res, 200, json::object());
            });
}

}  // namespace rm::http
