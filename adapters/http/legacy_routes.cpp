// The seed's legacy tool endpoints (seed 000), kept working for agents configured against them:
//   POST /api/vapi/tools/calendar/check    → check_availability
//   POST /api/vapi/tools/calendar/reserve  → reserve_slot
//   POST /api/vapi/tools/sms/send          → send_sms (texts only the caller of the known call
//                                            named by arguments.callId; refused otherwise)
// Body {"toolCall":{"id"?,"arguments":{…,"tenantId"|"inboundPhoneNumber"}}} (arguments may be a
// JSON string); reply {"toolResult":{"content":"<JSON string>"},"speech":"…"}. The tenant comes
// from tenantId or from inboundPhoneNumber in any human format (normalised to E.164 first).
// check: a pure read answered by the tenant's actor from memory (no call, nothing stored).
// reserve, sms: without a Vapi call id, exactly-once is keyed by "legacy:<toolCall.id>".
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

// The tenant a tenantId names, with its first number (the pseudo-call's dialled number of a
// reserve or send_sms); not found when the tenant is unknown or has no number.
actors::tenant_ref tenant_by_id(context& ctx, const std::string& tenant_id) {
  auto org_id = domain::canonical_tenant_id(tenant_id);
  actors::tenant_ref found;
  ctx.service.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    for (const auto& t : persistence::list_tenants(tx))
      if (t.id == org_id && !t.numbers.empty()) found = ctx.service.resolve(t.numbers[0], "");
    tx.commit();
  });
  return found;
}

// Who the arguments name: inboundPhoneNumber (any human format, normalised to E.164, then the
// number's tenant from the directory's cache) or else tenantId. `by_id` holds the canonical
// tenantId when that named it; `error` the 400 when neither is usable.
// A 400 about how the tenant is named.
struct naming_error {
  std::string code, message, field;
};

struct named_tenant {
  actors::tenant_ref tenant;  // by number (found or not)
  std::string by_id;          // canonical tenantId, when the body named the tenant so
  std::optional<naming_error> error;
};

named_tenant tenant_named(context& ctx, const json& args) {
  named_tenant out;
  if (args.contains("inboundPhoneNumber") && args["inboundPhoneNumber"].is_string()) {
    auto n = domain::normalize_e164(args["inboundPhoneNumber"].get<std::string>(), "US");
    if (!n.ok) {
      out.error = naming_error{"invalid_phone_number",
                            "inboundPhoneNumber is not a valid phone number (" + n.error + ")",
                            "toolCall.arguments.inboundPhoneNumber"};
      return out;
    }
    out.tenant = ctx.service.resolve(n.e164, "");
  } else if (args.contains("tenantId") && args["tenantId"].is_string()) {
    out.by_id = domain::canonical_tenant_id(args["tenantId"].get<std::string>());
  } else {
    out.error = naming_error{"missing_tenant",
                          "toolCall.arguments needs tenantId or inboundPhoneNumber",
                          "toolCall.arguments.inboundPhoneNumber"};
  }
  return out;
}

// The org whose Vapi credential the request must carry (its own, else the deployment's): the
// tenant the arguments name, looked up before anything is processed. "" when none.
std::string credential_org(const named_tenant& n) {
  return n.tenant.found ? n.tenant.org_id : n.by_id;
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

void send_tool_result(httplib::Response& res, const std::string& tool,
                      const actors::tool_reply& r) {
  json result = r.is_error ? json::object() : json_guard::parse(r.text).value;
  if (!result.is_object()) result = json::object();
  json content = result;
  content["success"] = !r.is_error;
  if (r.is_error) content["error"] = r.text;
  send_json(res, 200, {{"toolResult", {{"content", content.dump()}}},
                       {"speech", speech_for(tool, result, r.is_error, r.text)}});
}

void unknown_tenant(context& ctx, httplib::Response& res) {
  ++ctx.counters.unknown_number;
  send_error(res, 404, "unknown_tenant", "no clinic matches that tenantId or number");
}

void legacy_tool(context& ctx, const std::string& tool, const httplib::Request& req,
                 httplib::Response& res) {
  // Parsed once, with the input limits, before anything else touches it: the body is untrusted
  // until the credential check, which needs the tenant it names.
  auto parsed = json_guard::parse(req.body);
  const json& body = parsed.value;
  const json* call = parsed.ok() && body.is_object() && body.contains("toolCall") &&
                             body["toolCall"].is_object()
                         ? &body["toolCall"]
                         : nullptr;
  json args = call ? arguments_of(*call) : json();
  const auto named = args.is_object() ? tenant_named(ctx, args) : named_tenant{};
  // The same credentials as /webhooks/vapi: the named tenant's own, else the deployment's.
  if (!require_vapi(req, res, ctx, credential_org(named))) return;
  if (!parsed.ok()) return send_unparsable(res, ctx, parsed);
  if (!call) {
    send_error(res, 400, "missing_tool_call",
               "the body must be {\"toolCall\":{\"arguments\":{…}}}", "toolCall");
    return;
  }
  if (!args.is_object()) {
    send_error(res, 400, "invalid_arguments", "toolCall.arguments must be a JSON object",
               "toolCall.arguments");
    return;
  }
  if (named.error)
    return send_error(res, 400, named.error->code, named.error->message, named.error->field);
  args.erase("tenantId");
  args.erase("inboundPhoneNumber");
  std::string tool_call_id = call->contains("id") && (*call)["id"].is_string()
                                 ? (*call)["id"].get<std::string>()
                                 : random_id();

  if (tool == "check_availability") {
    // A pure read (issue 13 §2): the tenant's actor answers from its calendar in memory; no
    // call, no row, nothing stored.
    const auto org_id = named.tenant.found ? named.tenant.org_id : named.by_id;
    if (org_id.empty()) return unknown_tenant(ctx, res);
    try {
      return send_tool_result(
          res, tool, ctx.service.read_tool(org_id, {tool_call_id, tool, args.dump(), "",
                                                    std::make_shared<const nlohmann::json>(args)}));
    } catch (const actors::service_error& e) {
      if (e.code == ec::not_found) return unknown_tenant(ctx, res);
      throw;
    }
  }

  const auto tenant = named.tenant.found ? named.tenant : tenant_by_id(ctx, named.by_id);
  if (!tenant.found) return unknown_tenant(ctx, res);
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
  auto parsed_args = std::make_shared<const nlohmann::json>(args);
  auto replies =
      ctx.service.run_tools(identity, {{tool_call_id, tool, args.dump(), "", parsed_args}});
  send_tool_result(res, tool, replies.at(0));
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
