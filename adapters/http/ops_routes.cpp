// Operator and inspection API (Bearer operator token) and health checks:
//   POST /ops/tenants           create a clinic, with its numbers or none yet (201 {"id"})
//   GET  /sessions/calls        live calls with their views
//   GET  /sessions/calls/{id}   one call: live view, or the stored record with "live": false
//   GET  /sessions/tenants      every tenant, with "live" when its actor is running, the
//                               state of its Twilio and Vapi circuit breakers and its agents'
//                               pending tools syncs ("pending_tool_syncs")
//   GET  /healthz               the process answers
//   GET  /readyz                the database answers and its schema is this binary's (503
//                               {"status":"unavailable"} without the cause, which is logged)
#include <future>
#include <map>
#include <regex>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "actors/call_store.hpp"
#include "adapters/http/routes.hpp"
#include "domain/calendar.hpp"
#include "domain/e164.hpp"
#include "persistence/database.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tool_queries.hpp"
#include "persistence/twilio_queries.hpp"

namespace rm::http {

namespace {

using nlohmann::json;

struct field_error {
  std::string field, message;
};

// Reads an optional integer setting into `out`.
std::optional<field_error> read_int(const json& body, const char* key, int& out) {
  if (!body.contains(key)) return std::nullopt;
  if (!body[key].is_number_integer()) return field_error{key, std::string{key} + " must be an integer"};
  out = body[key].get<int>();
  return std::nullopt;
}

// Validates POST /ops/tenants and builds the tenant to insert.
std::optional<field_error> read_tenant(const json& body, persistence::new_tenant& t) {
  if (!body.is_object()) return field_error{"", "the body must be a JSON object"};
  if (!body.contains("name") || !body["name"].is_string() || body["name"].get<std::string>().empty())
    return field_error{"name", "name is required"};
  t.name = body["name"];
  if (body.contains("time_zone")) {
    if (!body["time_zone"].is_string()) return field_error{"time_zone", "time_zone must be a string"};
    t.rules.time_zone = body["time_zone"];
  }
  if (body.contains("working_hours")) {
    auto err = domain::working_hours_from_json(body["working_hours"], t.rules);
    if (!err.empty()) return field_error{"working_hours", err};
  }
  for (auto [key, slot] : {std::pair{"slot_minutes", &t.rules.slot_minutes},
                           std::pair{"buffer_minutes", &t.rules.buffer_minutes},
                           std::pair{"min_notice_minutes", &t.rules.min_notice_minutes},
                           std::pair{"hold_minutes", &t.rules.hold_minutes}})
    if (auto e = read_int(body, key, *slot)) return e;
  if (auto err = domain::validate(t.rules); !err.empty()) {
    auto field = err.substr(0, err.find(':'));
    return field_error{field, err};
  }
  // No numbers (absent, null or []) is a clinic that buys, imports or maps them later through
  // the tenant API.
  if (body.contains("numbers") && !body["numbers"].is_null() && !body["numbers"].is_array())
    return field_error{"numbers", "numbers must be an array"};
  const json numbers = body.contains("numbers") && body["numbers"].is_array() ? body["numbers"]
                                                                              : json::array();
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const auto& n = numbers[i];
    auto field = "numbers[" + std::to_string(i) + "].e164";
    if (!n.is_object() || !n.contains("e164") || !n["e164"].is_string())
      return field_error{field, field + " is required"};
    auto parsed = domain::normalize_e164(n["e164"].get<std::string>(), "US");
    if (!parsed.ok)
      return field_error{field, field + " is not a valid phone number (" + parsed.error + ")"};
    persistence::number_spec spec;
    spec.e164 = parsed.e164;
    spec.label = n.value("label", t.name);
    if (n.contains("vapi_phone_number_id") && !n["vapi_phone_number_id"].is_null()) {
      const auto& v = n["vapi_phone_number_id"];
      auto vfield = "numbers[" + std::to_string(i) + "].vapi_phone_number_id";
      if (!v.is_string() || v.get<std::string>().size() > 200)
        return field_error{vfield, vfield + " must be a string of at most 200 characters"};
      spec.vapi_phone_number_id = v.get<std::string>();
    }
    t.numbers.push_back(spec);
  }
  t.assistant_id = body.value("assistant_id", "");
  if (body.contains("twilio")) {
    const auto& tw = body["twilio"];
    static const std::regex sid{"^AC[0-9a-fA-F]{32}$"};
    if (!tw.is_object() || !tw.contains("account_sid") || !tw["account_sid"].is_string() ||
        !std::regex_match(tw["account_sid"].get<std::string>(), sid))
      return field_error{"twilio.account_sid", "twilio.account_sid must be AC followed by 32 hex digits"};
    if (!tw.contains("auth_token") || !tw["auth_token"].is_string() ||
        tw["auth_token"].get<std::string>().empty())
      return field_error{"twilio.auth_token", "twilio.auth_token is required"};
    t.twilio = persistence::twilio_account{tw["account_sid"], tw["auth_token"]};
  }
  return std::nullopt;
}

// Optional `agent_sip_uri` ("sip:…"/"sips:…", where the Twilio voice webhook dials the agent) and
// `fallback_number` (the front desk, any format, stored as E.164); see docs/telephony.md.
std::optional<field_error> read_destinations(const json& body,
                                             persistence::voice_destinations& d) {
  if (body.contains("agent_sip_uri")) {
    const auto& v = body["agent_sip_uri"];
    static const std::regex sip{"^sips?:[^\\s[:cntrl:]]+$"};
    if (!v.is_string() || v.get<std::string>().size() > 512 ||
        !std::regex_match(v.get<std::string>(), sip))
      return field_error{"agent_sip_uri",
                         "agent_sip_uri must be a sip: or sips: URI without spaces (at most 512)"};
    d.agent_sip_uri = v;
  }
  if (body.contains("fallback_number")) {
    const auto& v = body["fallback_number"];
    auto parsed = domain::normalize_e164(v.is_string() ? v.get<std::string>() : "", "US");
    if (!parsed.ok)
      return field_error{"fallback_number", "fallback_number is not a valid phone number"};
    d.fallback_number = parsed.e164;
  }
  return std::nullopt;
}

void create_tenant(context& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!require_operator(req, res, ctx)) return;
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  persistence::new_tenant t;
  persistence::voice_destinations destinations;
  auto err = read_tenant(body, t);
  if (!err) err = read_destinations(body, destinations);
  if (err) {
    send_error(res, 400, "invalid_field", err->message, err->field);
    return;
  }
  persistence::create_tenant_result result;
  ctx.service.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    result = persistence::create_tenant(tx, t);
    if (result.error == persistence::create_tenant_error::none)
      persistence::save_voice_destinations(tx, result.org_id, destinations);
    tx.commit();
  });
  if (result.error == persistence::create_tenant_error::number_taken) {
    send_error(res, 409, "number_taken",
               "the number " + result.conflicting_number + " already belongs to a tenant",
               "numbers");
    return;
  }
  if (result.error == persistence::create_tenant_error::vapi_id_taken) {
    send_error(res, 409, "vapi_phone_number_id_taken",
               "the Vapi phone-number id " + result.conflicting_vapi_id +
                   " is already used by an active number",
               "numbers");
    return;
  }
  ctx.service.invalidate_routes();
  send_json(res, 201, {{"id", result.org_id}});
}

json live_view(context& ctx, const std::string& id) {
  auto view = ctx.service.live_call_view(id);
  return view.empty() ? json(nullptr) : json::parse(view, nullptr, false);
}

// The views of the live calls `ids` of every tenant, read in bulk (calls::views_json: three
// statements whatever the number of calls and tenants) on several pool connections at once: the
// ids are cut into up to four slices, each read and turned into JSON by its own worker. The order
// is the ids'.
std::vector<std::string> live_views(context& ctx, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  constexpr std::size_t slices = 4, min_slice = 500;  // small lists: one connection
  const std::size_t n = std::min(slices, (ids.size() + min_slice - 1) / min_slice);
  const std::size_t per = (ids.size() + n - 1) / n;
  std::vector<std::vector<std::string>> slice_ids;
  for (std::size_t i = 0; i < ids.size(); i += per)
    slice_ids.emplace_back(ids.begin() + i, ids.begin() + std::min(ids.size(), i + per));
  std::vector<std::future<std::vector<std::string>>> reads;
  for (auto& slice : slice_ids)
    reads.push_back(std::async(std::launch::async, [&ctx, &slice] {
      std::vector<std::string> views;
      ctx.service.with_db(
          [&](pqxx::connection& c) { views = calls::views_json(c, slice, true); });
      return views;
    }));
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (auto& r : reads)
    for (auto& v : r.get()) out.push_back(std::move(v));
  return out;
}

}  // namespace

void add_ops_routes(httplib::Server& srv, context& ctx) {
  add_route(srv, ctx, "POST", "/ops/tenants", route_auth::operator_token,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              create_tenant(ctx, req, res);
            });
  add_route(srv, ctx, "GET", "/sessions/calls", route_auth::operator_token,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              if (!require_operator(req, res, ctx)) return;
              // Every live call's view in one bulk read across tenants (three statements per
              // slice, not a few per tenant or one per call: issue 13 §5). Right after a start
              // the call registry answers the ids once its recovery of the unfinished calls
              // is done (at most 2 s), so the first listing after a restart is complete.
              auto views = live_views(ctx, ctx.service.live_calls());
              // Each view is already a JSON object (calls::views_json dumps it): spliced into
              // the body as it is, not parsed and dumped again.
              std::string body = "{\"calls\":[";
              std::size_t size = body.size() + 2;
              for (const auto& view : views) size += view.size() + 1;
              body.reserve(size);
              for (std::size_t i = 0; i < views.size(); ++i) {
                if (i) body += ',';
                body += views[i];
              }
              body += "]}";
              res.status = 200;
              res.set_content(std::move(body), "application/json");
            });
  add_route(
      srv, ctx, "GET", "/sessions/calls/{id}", route_auth::operator_token,
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        if (!require_operator(req, res, ctx)) return;
        std::string id = req.matches[1];
        auto v = live_view(ctx, id);
        if (v.is_object()) return send_json(res, 200, v);
        std::string stored;
        ctx.service.with_db([&](pqxx::connection& c) { stored = calls::view_json(c, id, false); });
        if (stored.empty()) return send_error(res, 404, "not_found", "no call with id " + id);
        send_json(res, 200, json::parse(stored));
      });
  add_route(srv, ctx, "GET", "/sessions/tenants", route_auth::operator_token,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              if (!require_operator(req, res, ctx)) return;
              auto live = json::parse(ctx.service.live_tenants_json(), nullptr, false);
              std::set<std::string> live_ids;
              std::map<std::string, json> breakers;  // org_id → its breakers (provider gate)
              if (live.is_array())
                for (const auto& t : live) {
                  if (t.value("live", false)) live_ids.insert(t.value("id", ""));
                  if (t.contains("breakers")) breakers[t.value("id", "")] = t["breakers"];
                }
              // A tenant that has not called a provider since start-up: both breakers closed.
              const json untouched = json::array(
                  {{{"provider", "twilio"}, {"state", "closed"}, {"recent_failures", 0}},
                   {{"provider", "vapi"}, {"state", "closed"}, {"recent_failures", 0}}});
              json tenants = json::array();
              ctx.service.with_db([&](pqxx::connection& c) {
                pqxx::work tx{c};
                const auto pending = persistence::tools::pending_tools_sync_counts(tx);
                for (const auto& t : persistence::list_tenants(tx)) {
                  auto b = breakers.find(t.id);
                  auto n = pending.find(t.id);
                  tenants.push_back({{"id", t.id},
                                     {"name", t.name},
                                     {"time_zone", t.time_zone},
                                     {"numbers", t.numbers},
                                     {"live", live_ids.count(t.id) > 0},
                                     {"breakers", b != breakers.end() ? b->second : untouched},
                                     {"pending_tool_syncs", n != pending.end() ? n->second : 0}});
                }
                tx.commit();
              });
              send_json(res, 200, {{"tenants", tenants}});
            });
  add_route(srv, ctx, "GET", "/healthz", route_auth::none,
            [](const httplib::Request&, httplib::Response& res) {
              send_json(res, 200, {{"status", "ok"}});
            });
  add_route(srv, ctx, "GET", "/readyz", route_auth::none,
            [&ctx](const httplib::Request&, httplib::Response& res) {
              int current = -1;
              try {
                ctx.service.with_db(
                    [&](pqxx::connection& c) { current = persistence::current_schema_version(c); });
              } catch (const std::exception& e) {
                // The cause goes to the log, not to whoever asks (the route is open).
                spdlog::warn("readyz: not ready, the database did not answer: {}", e.what());
                return send_json(res, 503, {{"status", "unavailable"}});
              }
              int latest = persistence::latest_schema_version();
              send_json(res, current == latest ? 200 : 503,
                        {{"status", current == latest ? "ready" : "schema_mismatch"},
                         {"schema_version", current},
                         {"expected_schema_version", latest}});
            });
}

}  // namespace rm::http
