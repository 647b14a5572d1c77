// The seed's legacy tool endpoints (seed 000), kept working for agents configured against them:
//   POST /api/vapi/tools/calendar/check    → check_availability
//   POST /api/vapi/tools/calendar/reserve  → reserve_slot
//   POST /api/vapi/tools/sms/send          → send_sms (texts only the caller of the known call
//                                            named by arguments.callId; refused otherwise)
// Body {"toolCall":{"id"?,"arguments":{…,"tenantId"|"inboundPhoneNumber"}}} (arguments may be a
// JSON string); reply {"toolResult":{"content":"<JSON string>"},"speech":"…"}. The tenant comes
// from tenantId or from inboundPhoneNumber in any human format (normalised to E.164 first).
// Without a Vapi call id, exactly-once is keyed by "legacy:<toolCall.id>".
#include <optional>
#include <random>

#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "domain/e164.hpp"
#include "domain/tenant_id.hpp"
#include "persistence/repositories.hpp"

namespace rm::http {

namespace {

using nlohmann::json;

std::string random_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

std::string speech_for(const std::string& tool, const json& result, bool is_error,
                       const std::string& text) {
  if (is_error) return "Sorry, " + text;
  if (result.contains("speech") && result["speech"].is_string()) return result["speech"];
  if (tool == "reserve_slot") return "I have held that time for you for a few minutes.";
  if (tool == "send_sms") return "I have sent you a text message.";
  return "Done.";
}

// toolCall.arguments as an object: given as one, or as a JSON string of one (parsed with
// json_guard too: its own depth, UTF-8 and NUL limits). Null when absent or not an object.
json arguments_of(const json& call) {
  static const json none = json::object();
  auto it = call.find("arguments");
  const json& args = it == call.end() ? none : *it;
  // The body was parsed with json_guard (at most 64 deep), so this copy is bounded.
  if (!args.is_string()) return args.is_object() ? args : json();
  auto parsed = json_guard::parse(args.get_ref<const std::string&>());
  return parsed.ok() && parsed.value.is_object() ? std::move(parsed.value) : json();
}

// The tenant the body names (toolCall.arguments.inboundPhoneNumber, else tenantId), looked up
// before anything is processed so that a tenant's own Vapi credential can be required; not found
// when the body names none (the deployment's credential applies then). `body` was parsed with
// json_guard (at most 64 deep), or is discarded.
actors::tenant_ref named_tenant(context& ctx, const json& body) {
  if (!body.is_object() || !body.contains("toolCall") || !body["toolCall"].is_object()) return {};
  const json args = arguments_of(body["toolCall"]);
  if (!args.is_object()) return {};
  if (args.contains("inboundPhoneNumber") && args["inboundPhoneNumber"].is_string()) {
    auto n = domain::normalize_e164(args["inboundPhoneNumber"].get<std::string>(), "US");
    return n.ok ? ctx.service.resolve(n.e164, "") : actors::tenant_ref{};
  }
  if (args.contains("tenantId") && args["tenantId"].is_string()) {
    auto org_id = domain::canonical_tenant_id(args["tenantId"].get<std::string>());
    actors::tenant_ref found;
    ctx.service.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      for (const auto& t : persistence::list_tenants(tx))
        if (t.id == org_id && !t.numbers.empty()) found = ctx.service.resolve(t.numbers[0], "");
      tx.commit();
    });
    return found;
  }
  return {};
}

// The stored call of `org_id` named by arguments.callId, if any (another tenant's is not seen).
std::optional<persistence::call_identity> sms_call(context& ctx, const std::string& org_id,
                                                  const json& args) {
  auto it = args.find("callId");
  if (it == args.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  std::optional<persistence::call_identity> found;
  in_tenant(ctx, org_id, [&](pqxx::work& tx) {
    if (auto row = persistence::load_call(tx, it->get<std::string>()))
      if (row->identity.org_id == org_id) found = row->identity;
    return true;
  });
  return found;
}

void legacy_tool(context& ctx, const std::string& tool, const httplib::Request& req,
                 httplib::Response& res) {
  // Parsed once, with the input limits, before anything else touches it: the body is untrusted
  // until the credential check, which needs the tenant it names.
  auto parsed = json_guard::parse(req.body);
  // The same credentials as /webhooks/vapi: the named tenant's own, else the deployment's.
  const auto named = parsed.ok() ? named_tenant(ctx, parsed.value) : actors::tenant_ref{};
  if (!require_vapi(req, res, ctx, named.found ? named.org_id : "")) return;
  if (!parsed.ok()) return send_unparsable(res, ctx, parsed);
  const json& body = parsed.value;
  const json* call = body.is_object() && body.contains("toolCall") ? &body["toolCall"] : nullptr;
  if (!call || !call->is_object()) {
    send_error(res, 400, "missing_tool_call",
               "the body must be {\"toolCall\":{\"arguments\":{…}}}", "toolCall");
    return;
  }
  json args = arguments_of(*call);
  if (!args.is_object()) {
    send_error(res, 400, "invalid_arguments", "toolCall.arguments must be a JSON object",
               "toolCall.arguments");
    return;
  }
  // Resolve the tenant.
  actors::tenant_ref tenant;
  if (args.contains("inboundPhoneNumber") && args["inboundPhoneNumber"].is_string()) {
    auto n = domain::normalize_e164(args["inboundPhoneNumber"].get<std::string>(), "US");
    if (!n.ok) {
      send_error(res, 400, "invalid_phone_number",
                 "inboundPhoneNumber is not a valid phone number (" + n.error + ")",
                 "toolCall.arguments.inboundPhoneNumber");
      return;
    }
    tenant = ctx.service.resolve(n.e164, "");
  } else if (args.contains("tenantId") && args["tenantId"].is_string()) {
    auto org_id = domain::canonical_tenant_id(args["tenantId"].get<std::string>());
    ctx.service.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      for (const auto& t : persistence::list_tenants(tx))
        if (t.id == org_id && !t.numbers.empty()) tenant = ctx.service.resolve(t.numbers[0], "");
      tx.commit();
    });
  } else {
    send_error(res, 400, "missing_tenant",
               "toolCall.arguments needs tenantId or inboundPhoneNumber",
               "toolCall.arguments.inboundPhoneNumber");
    return;
  }
  if (!tenant.found) {
    ++ctx.counters.unknown_number;
    send_error(res, 404, "unknown_tenant", "no clinic matches that tenantId or number");
    return;
  }
  args.erase("tenantId");
  args.erase("inboundPhoneNumber");

  std::string tool_call_id = call->contains("id") && (*call)["id"].is_string()
                                 ? (*call)["id"].get<std::string>()
                                 : random_id();
  persistence::call_identity identity;
  identity.id = "legacy:" + tool_call_id;
  identity.org_id = tenant.org_id;
  identity.direction = "inbound";
  identity.dialled = tenant.dialled_e164;
  if (tool == "send_sms") {
    // No Vapi call, so no caller: send_sms texts only the caller of a known call of this tenant
    // named by arguments.callId, as one of that call's tool calls (its caller, its per-call
    // limit). Otherwise it runs without a caller and is refused (audited, nothing sent).
    if (auto known = sms_call(ctx, tenant.org_id, args)) {
      identity = *known;
      tool_call_id = "legacy:" + tool_call_id;
    }
    args.erase("callId");
  }
  auto replies = ctx.service.run_tools(identity, {{tool_call_id, tool, args.dump(), ""}});
  const auto& r = replies.at(0);
  json result = r.is_error ? json::object() : json_guard::parse(r.text).value;
  if (!result.is_object()) result = json::object();
  json content = result;
  content["success"] = !r.is_error;
  if (r.is_error) content["error"] = r.text;
  send_json(res, 200, {{"toolResult", {{"content", content.dump()}}},
                       {"speech", speech_for(tool, result, r.is_error, r.text)}});
}

}  // namespace

void add_legacy_routes(httplib::Server& srv, context& ctx) {
  const std::pair<const char*, const char*> routes[] = {
      {"/api/vapi/tools/calendar/check", "check_availability"},
      {"/api/vapi/tools/calendar/reserve", "reserve_slot"},
      {"/api/vapi/tools/sms/send", "send_sms"},
  };
  for (const auto& [path, tool] : routes) {
    std::string name = tool;
    add_route(srv, ctx, "POST", path, route_auth::vapi,
              [&ctx, name](const httplib::Request& req, httplib::Response& res) {
                legacy_tool(ctx, name, req, res);
              });
  }
}

}  // namespace rm::http
