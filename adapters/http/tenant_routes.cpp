// The tenant API: a clinic's users (JWT, adapters/http/jwt.hpp) read and manage their own
// clinic. docs/api.md lists the shapes; docs/security.md the tenancy model.
//   GET    /api/org/settings                   member  settings
//   PATCH  /api/org/settings                   admin   change settings → tenant actor reloads
//   POST   /api/inbound/phone-mappings         admin   create / update / reactivate by number
//   GET    /api/inbound/phone-mappings         member  ?include_inactive=true
//   DELETE /api/inbound/phone-mappings/{id}    admin   soft delete (who and when)
//   GET    /api/inbound/phone-lookup/{phone}   service token: number → tenant
//   GET    /api/appointments?from=&to=         member
//   POST   /api/appointments/{id}/cancel       member  frees the slot
// Calls, contacts and the dashboard: dashboard_routes.cpp; services: service_routes.cpp.
//
// Isolation: every handler works in a transaction that names the JWT's tenant (set_tenant) before
// anything else, so row-level security shows it only its own rows; another tenant's id is simply
// unknown (404). Numbers and routes: after any mapping change the directory's route cache is
// invalidated before the reply, so the next webhook routes by the new truth.
#include <fstream>
#include <map>
#include <sstream>

#include "actors/service.hpp"
#include "adapters/http/api_input.hpp"
#include "adapters/http/routes.hpp"
#include "domain/calendar.hpp"
#include "domain/e164.hpp"
#include "domain/service_catalog.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tenant_queries.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

constexpr std::size_t max_text = 200;  // clinic names, Vapi ids

// ---- default region -----------------------------------------------------------------------------

// The country of an IANA zone from the tz database's own table (zone.tab: "CC<TAB>coords<TAB>
// Zone"), read once. Zones without a country (UTC, Etc/*) are absent.
std::string country_of_zone(const std::string& zone) {
  static const std::map<std::string, std::string> table = [] {
    std::map<std::string, std::string> m;
    std::ifstream in{"/usr/share/zoneinfo/zone.tab"};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields{line};
      std::string cc, coords, name;
      if (std::getline(fields, cc, '\t') && std::getline(fields, coords, '\t') &&
          std::getline(fields, name, '\t'))
        m.emplace(name, cc);
    }
    return m;
  }();
  auto i = table.find(zone);
  return i == table.end() ? "" : i->second;
}

// Where a human-written number without '+' is read: the region of the tenant's oldest active
// number, else the country of its time zone, else US (the service's first market).
std::string default_region(pqxx::work& tx, const std::string& time_zone) {
  if (auto first = p::first_active_number(tx)) {
    auto region = domain::region_of(*first);
    if (region != "ZZ") return region;
  }
  auto cc = country_of_zone(time_zone);
  return cc.empty() ? "US" : cc;
}

// ---- settings -----------------------------------------------------------------------------------

json settings_json(const p::org_settings& s, const std::string& region) {
  return {{"id", s.id},
          {"name", s.name},
          {"time_zone", s.rules.time_zone},
          {"working_hours", domain::working_hours_to_json(s.rules)},
          {"slot_minutes", s.rules.slot_minutes},
          {"buffer_minutes", s.rules.buffer_minutes},
          {"min_notice_minutes", s.rules.min_notice_minutes},
          {"hold_minutes", s.rules.hold_minutes},
          {"default_region", region},
          {"alert_phone", s.alert_phone},
          {"reminders_enabled", s.reminders_enabled},
          {"reminder_lead_minutes", s.reminder_lead_minutes},
          {"default_consultation_price", s.default_consultation_price},
          {"updated_at", utc(s.updated_at)}};
}

void get_settings(context& ctx, const httplib::Request&, httplib::Response& res,
                  const principal& who) {
  json body;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    if (auto s = p::load_settings(tx))
      body = settings_json(*s, default_region(tx, s->rules.time_zone));
    return true;
  });
  if (body.is_null()) return send_error(res, 404, "not_found", "this organization does not exist");
  send_json(res, 200, body);
}

// The after-the-call settings (migration 011) of a PATCH body; false when `key` is not one.
// `region` reads an alert_phone written without '+'.
bool apply_after_call_setting(const std::string& key, const json& value,
                              const std::string& region, p::org_settings& s,
                              std::optional<field_error>& invalid) {
  if (key == "alert_phone") {
    if (!value.is_string()) {
      invalid = field_error{key, "alert_phone must be a phone number, or \"\" for none"};
    } else if (value.get<std::string>().empty()) {
      s.alert_phone.clear();
    } else {
      auto parsed = domain::normalize_e164(value.get<std::string>(), region);
      if (parsed.ok) {
        s.alert_phone = parsed.e164;
      } else {
        invalid = field_error{key, "alert_phone is not a valid phone number (" + parsed.error +
                                       "; numbers without + are read in region " + region + ")"};
      }
    }
  } else if (key == "reminders_enabled") {
    if (value.is_boolean()) {
      s.reminders_enabled = value.get<bool>();
    } else {
      invalid = field_error{key, "reminders_enabled must be true or false"};
    }
  } else if (key == "reminder_lead_minutes") {
    if (value.is_number_integer() && value.get<std::int64_t>() >= 15 &&
        value.get<std::int64_t>() <= 10080) {
      s.reminder_lead_minutes = value.get<int>();
    } else {
      invalid = field_error{key, "reminder_lead_minutes must be an integer from 15 to 10080"};
    }
  } else if (key == "default_consultation_price") {
    auto price = value.is_number() ? domain::service_price(value.get<double>())
                                   : domain::checked<double>{0, "not a number"};
    if (price.ok()) {
      s.default_consultation_price = price.value;
    } else {
      invalid = field_error{key, "default_consultation_price must be a number of US dollars from"
                                 " 0 to 9999999999.99"};
    }
  } else {
    return false;
  }
  return true;
}

// Applies a PATCH body to `s`; the result is validated (domain::validate for the calendar rules).
std::optional<field_error> apply_settings_patch(const json& body, const std::string& region,
                                                p::org_settings& s) {
  if (!body.is_object()) return field_error{"", "the body must be a JSON object"};
  static const std::map<std::string, int domain::calendar_rules::*> ints{
      {"slot_minutes", &domain::calendar_rules::slot_minutes},
      {"buffer_minutes", &domain::calendar_rules::buffer_minutes},
      {"min_notice_minutes", &domain::calendar_rules::min_notice_minutes},
      {"hold_minutes", &domain::calendar_rules::hold_minutes}};
  auto& rules = s.rules;
  for (const auto& [key, value] : body.items()) {
    std::optional<field_error> invalid;
    if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty() ||
          value.get<std::string>().size() > max_text)
        return field_error{key, "name must be a non-empty string of at most 200 characters"};
      s.name = value.get<std::string>();
    } else if (key == "time_zone") {
      if (!value.is_string()) return field_error{key, "time_zone must be an IANA zone name"};
      rules.time_zone = value.get<std::string>();
    } else if (key == "working_hours") {
      auto err = domain::working_hours_from_json(value, rules);
      if (!err.empty()) return field_error{key, "working_hours: " + err};
    } else if (auto i = ints.find(key); i != ints.end()) {
      // Range-checked as 64-bit first, so 2^32 + 30 cannot wrap into a valid int.
      if (!value.is_number_integer() || value.get<std::int64_t>() < -1'000'000 ||
          value.get<std::int64_t>() > 1'000'000)
        return field_error{key, key + " must be an integer"};
      rules.*(i->second) = value.get<int>();
    } else if (!apply_after_call_setting(key, value, region, s, invalid)) {
      return field_error{key, "unknown setting '" + key + "'"};
    }
    if (invalid) return invalid;
  }
  if (auto err = domain::validate(rules); !err.empty())
    return field_error{err.substr(0, err.find(':')), err};
  return std::nullopt;
}

void patch_settings(context& ctx, const httplib::Request& req, httplib::Response& res,
                    const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  std::optional<field_error> invalid;
  json out;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto current = p::load_settings(tx, true);
    if (!current) return false;
    auto changed = *current;
    // alert_phone without '+' is read in the region the settings had before this change.
    if ((invalid = apply_settings_patch(body, default_region(tx, current->rules.time_zone),
                                        changed)))
      return false;
    auto saved = p::update_settings(tx, changed);
    out = settings_json(saved, default_region(tx, saved.rules.time_zone));
    return true;
  });
  if (invalid) return send_field_error(res, *invalid);
  if (out.is_null()) return send_error(res, 404, "not_found", "this organization does not exist");
  ctx.service.tenant_changed(who.org_id);  // the live tenant actor reloads its rules now
  send_json(res, 200, out);
}

// ---- phone mappings -----------------------------------------------------------------------------

json mapping_json(const p::phone_mapping& m) {
  return {{"id", m.id},
          {"org_id", m.org_id},
          {"inbound_phone_number", m.e164},
          {"clinic_name", m.clinic_name},
          {"vapi_phone_number_id", text_or_null(m.vapi_phone_number_id)},
          {"is_active", m.active},
          {"created_at", utc(m.created_at)},
          {"updated_at", utc(m.updated_at)},
          {"created_by", text_or_null(m.created_by)},
          {"deactivated_at", utc_or_null(m.deactivated_at)},
          {"deactivated_by", text_or_null(m.deactivated_by)}};
}

void routes_changed(context& ctx, const std::string& org_id) {
  ctx.service.invalidate_routes();
  ctx.service.tenant_changed(org_id);  // cached names and labels of the tenant, too
}

struct mapping_input {
  std::string number;  // as written
  std::string clinic_name;
  std::optional<std::string> vapi_id;  // nullopt: keep; "": clear
};

std::optional<field_error> read_mapping(const json& body, mapping_input& in) {
  if (!body.is_object()) return field_error{"", "the body must be a JSON object"};
  if (!body.contains("inbound_phone_number") || !body["inbound_phone_number"].is_string() ||
      body["inbound_phone_number"].get<std::string>().empty())
    return field_error{"inbound_phone_number", "inbound_phone_number is required (a phone number)"};
  in.number = body["inbound_phone_number"];
  if (!body.contains("clinic_name") || !body["clinic_name"].is_string() ||
      body["clinic_name"].get<std::string>().empty() ||
      body["clinic_name"].get<std::string>().size() > max_text)
    return field_error{"clinic_name",
                       "clinic_name is required (a non-empty string of at most 200 characters)"};
  in.clinic_name = body["clinic_name"];
  if (body.contains("vapi_phone_number_id")) {
    const auto& v = body["vapi_phone_number_id"];
    if (v.is_null()) {
      in.vapi_id = "";
    } else if (v.is_string() && v.get<std::string>().size() <= max_text) {
      in.vapi_id = v.get<std::string>();
    } else {
      return field_error{"vapi_phone_number_id",
                         "vapi_phone_number_id must be a string of at most 200 characters or null"};
    }
  }
  return std::nullopt;
}

void post_mapping(context& ctx, const httplib::Request& req, httplib::Response& res,
                  const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  mapping_input in;
  if (auto err = read_mapping(body, in)) return send_field_error(res, *err);
  std::optional<field_error> invalid;
  p::save_mapping_result saved;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto settings = p::load_settings(tx);
    auto region = default_region(tx, settings ? settings->rules.time_zone : "");
    auto parsed = domain::normalize_e164(in.number, region);
    if (!parsed.ok) {
      invalid = field_error{"inbound_phone_number",
                            "inbound_phone_number is not a valid phone number (" + parsed.error +
                                "; numbers without + are read in region " + region + ")"};
      return false;
    }
    saved = p::save_phone_mapping(tx, who.org_id, who.user_id, parsed.e164, in.clinic_name,
                                  in.vapi_id);
    return saved.row.has_value();
  });
  if (invalid) return send_field_error(res, *invalid);
  using o = p::mapping_outcome;
  if (saved.outcome == o::number_taken)
    return send_error(res, 409, "number_taken",
                      "this number is already in use by another organization",
                      "inbound_phone_number");
  if (saved.outcome == o::vapi_id_taken)
    return send_error(res, 409, "vapi_phone_number_id_taken",
                      "this Vapi phone-number id is already in use by another number",
                      "vapi_phone_number_id");
  if (saved.outcome == o::number_quarantined)
    return send_error(res, 409, "number_in_quarantine",
                      "this number was recently released by another organization and cannot be "
                      "used before its quarantine ends",
                      "inbound_phone_number");
  routes_changed(ctx, who.org_id);
  const char* result = saved.outcome == o::created   ? "created"
                       : saved.outcome == o::updated ? "updated"
                                                     : "reactivated";
  send_json(res, saved.outcome == o::created ? 201 : 200,
            {{"success", true}, {"result", result}, {"mapping", mapping_json(*saved.row)}});
}

void list_mappings(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  bool include_inactive = false;
  if (auto err = query_bool(req, "include_inactive", include_inactive))
    return send_field_error(res, *err);
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& m : p::list_phone_mappings(tx, include_inactive))
      out.push_back(mapping_json(m));
    return true;
  });
  send_json(res, 200, {{"mappings", out}});
}

void delete_mapping(context& ctx, const httplib::Request& req, httplib::Response& res,
                    const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::phone_mapping> row;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = p::deactivate_phone_mapping(tx, id, who.user_id);
    return row.has_value();
  });
  if (!row) return send_error(res, 404, "not_found", "no phone mapping with id " + id);
  routes_changed(ctx, who.org_id);
  send_json(res, 200, {{"success", true}, {"mapping", mapping_json(*row)}});
}

// Service-to-service: which tenant answers a number. Only active numbers; no tenant context (the
// question is cross-tenant by nature and goes through rm_route_by_number).
void phone_lookup(context& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string given = req.matches[1];
  auto parsed = domain::normalize_e164(given, "US");
  if (!parsed.ok)
    return send_field_error(res, {"phone", "phone is not a valid phone number (" + parsed.error +
                                               "; numbers without + are read as US numbers)"});
  // The directory's number cache answers (no database read once the number was seen).
  const auto route = ctx.service.resolve(parsed.e164, "");
  if (!route.found) return send_error(res, 404, "not_found", "no clinic answers " + parsed.e164);
  send_json(res, 200, {{"success", true},
                       {"org_id", route.org_id},
                       {"clinic_name", route.number_label},
                       {"inbound_phone_number", route.dialled_e164}});
}

// ---- appointments -------------------------------------------------------------------------------

json appointment_json(const p::appointment_view& a, const std::string& tz) {
  auto start = domain::format_local(a.starts_at, tz);
  return {{"id", a.id},
          {"status", a.status},
          {"scheduled_time", start},
          {"start", start},
          {"end", domain::format_local(a.ends_at, tz)},
          {"contact_id", text_or_null(a.contact_id)},
          {"contact_name", text_or_null(a.contact_name)},
          {"phone_number", text_or_null(a.phone_number)},
          {"call_id", text_or_null(a.call_id)},
          {"created_at", utc(a.created_at)},
          {"cancelled_at", utc_or_null(a.cancelled_at)},
          {"cancelled_by", text_or_null(a.cancelled_by)}};
}

void list_appointments(context& ctx, const httplib::Request& req, httplib::Response& res,
                       const principal& who) {
  int limit = 500;
  if (auto err = query_int(req, "limit", 1, 1000, limit)) return send_field_error(res, *err);
  std::optional<field_error> invalid;
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto settings = p::load_settings(tx);
    if (!settings) return false;
    const auto& tz = settings->rules.time_zone;
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    // Default: from today's local midnight, 31 days on.
    auto today = domain::local_date_of(now, tz);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", today.year, today.month, today.day);
    std::optional<domain::instant> from = read_bound(buf, tz, false);
    if (req.has_param("from") && !(from = read_bound(req.get_param_value("from"), tz, false))) {
      invalid = field_error{"from", "from must be a date (YYYY-MM-DD) or an ISO 8601 date-time"};
      return false;
    }
    std::optional<domain::instant> to = *from + std::chrono::hours(24 * 31);
    if (req.has_param("to") && !(to = read_bound(req.get_param_value("to"), tz, true))) {
      invalid = field_error{"to", "to must be a date (YYYY-MM-DD) or an ISO 8601 date-time"};
      return false;
    }
    if (*to < *from) {
      invalid = field_error{"to", "to must not be before from"};
      return false;
    }
    if (*to - *from > std::chrono::hours(24 * 367)) {
      invalid = field_error{"to", "from and to may be at most 366 days apart"};
      return false;
    }
    for (const auto& a : p::list_appointments(tx, *from, *to, limit))
      out.push_back(appointment_json(a, tz));
    return true;
  });
  if (invalid) return send_field_error(res, *invalid);
  send_json(res, 200, {{"appointments", out}});
}

void cancel_appointment(context& ctx, const httplib::Request& req, httplib::Response& res,
                        const principal& who) {
  const std::string id = req.matches[1];
  p::cancel_result result;
  std::string tz;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    result = p::cancel_appointment(tx, id, who.user_id);
    if (auto s = p::load_settings(tx)) tz = s->rules.time_zone;
    return result.outcome == p::cancel_outcome::cancelled;
  });
  using o = p::cancel_outcome;
  if (result.outcome == o::not_found || !result.row)
    return send_error(res, 404, "not_found", "no appointment with id " + id);
  if (result.outcome == o::not_cancellable)
    return send_error(res, 409, "not_cancellable",
                      "this appointment is an expired hold and cannot be cancelled");
  if (result.outcome == o::cancelled) ctx.service.tenant_changed(who.org_id);  // slot is free
  send_json(res, 200,
            {{"success", true},
             {"result", result.outcome == o::cancelled ? "cancelled" : "already_cancelled"},
             {"appointment", appointment_json(*result.row, tz)}});
}

}  // namespace

// ---- the table ----------------------------------------------------------------------------------

void add_tenant_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"GET", "/api/org/settings", "member", get_settings},
                       {"PATCH", "/api/org/settings", "admin", patch_settings},
                       {"POST", "/api/inbound/phone-mappings", "admin", post_mapping},
                       {"GET", "/api/inbound/phone-mappings", "member", list_mappings},
                       {"DELETE", "/api/inbound/phone-mappings/{id}", "admin", delete_mapping},
                       {"GET", "/api/appointments", "member", list_appointments},
                       {"POST", "/api/appointments/{id}/cancel", "member", cancel_appointment},
                   });
  add_route(srv, ctx, "GET", "/api/inbound/phone-lookup/{phone}", route_auth::service,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              if (!require_service(req, res, ctx)) return;
              phone_lookup(ctx, req, res);
            });
}

}  // namespace rm::http
