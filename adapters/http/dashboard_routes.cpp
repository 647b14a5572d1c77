// The clinic dashboard's read API (issue 11 §3; seed 001's field names): calls with their
// scoring, contacts with their lead pipeline, lead statistics and the summary of a period.
//   GET /api/calls?limit=                       member  newest first, with scoring
//   GET /api/calls/{id}                         member  + events, appointments, transcript
//   GET /api/contacts?lead_tier=&lead_status=   member
//   GET /api/contacts/stats                     member  {total_leads, hot/warm/cold_leads}
//   GET /api/dashboard/summary?from=&to=        member  pipeline value, success rate, …
// docs/api.md describes the shapes. Isolation as in tenant_routes.cpp: every handler names the
// JWT's tenant first (in_tenant), so another tenant's call id is simply unknown (404).
#include <chrono>

#include "adapters/http/api_input.hpp"
#include "adapters/http/routes.hpp"
#include "domain/call_lifecycle.hpp"
#include "persistence/dashboard_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tenant_queries.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// ---- calls --------------------------------------------------------------------------------------

// The scoring step's fields (null before the call is scored; recording_status always set).
void add_scoring(json& out, const p::call_scoring& s) {
  out["sentiment"] = s.sentiment_label.empty() && !s.sentiment_score
                         ? json(nullptr)
                         : json{{"score", or_null(s.sentiment_score)},
                                {"label", text_or_null(s.sentiment_label)},
                                {"urgency", text_or_null(s.urgency)},
                                {"reason", text_or_null(s.sentiment_reason)},
                                {"source", text_or_null(s.sentiment_source)}};
  out["lead_score"] = or_null(s.lead_score);
  out["lead_tier"] = text_or_null(s.lead_tier);
  out["financial_value"] = or_null(s.financial_value);
  out["matched_service"] = text_or_null(s.matched_service);
  out["recording_status"] = s.recording_status;
  out["transfer_to"] = text_or_null(s.transfer_to);
  out["transfer_time"] = utc_or_null(s.transfer_time);
  out["transfer_reason"] = text_or_null(s.transfer_reason);
  out["scored_at"] = utc_or_null(s.scored_at);
}

json call_summary_json(const p::call_summary& c) {
  json out{{"id", c.id},
           {"direction", c.direction},
           {"caller", c.caller},
           {"dialled", c.dialled},
           {"state", c.state},
           {"outcome", text_or_null(c.outcome)},
           {"ended_reason", text_or_null(c.ended_reason)},
           {"started_at", utc_or_null(c.started_at)},
           {"ended_at", utc_or_null(c.ended_at)},
           {"duration_seconds", or_null(c.duration_seconds)},
           {"summary", text_or_null(c.summary)},
           {"created_at", utc(c.created_at)}};
  add_scoring(out, c.scoring);
  return out;
}

void list_calls(context& ctx, const httplib::Request& req, httplib::Response& res,
                const principal& who) {
  int limit = 50;
  if (auto err = query_int(req, "limit", 1, 200, limit)) return send_field_error(res, *err);
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& c : p::list_calls(tx, limit)) out.push_back(call_summary_json(c));
    return true;
  });
  send_json(res, 200, {{"calls", out}});
}

std::optional<domain::instant> from_ms(std::int64_t ms) {
  if (ms <= 0) return std::nullopt;
  return p::from_epoch(ms / 1000);
}

void get_call(context& ctx, const httplib::Request& req, httplib::Response& res,
              const principal& who) {
  const std::string id = req.matches[1];
  json out;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto row = p::load_call(tx, id);
    if (!row || row->identity.org_id != who.org_id) return true;
    auto scoring = p::load_call_scoring(tx, id);
    if (!scoring) return true;
    const auto& pr = row->projection;
    const auto& rep = row->report;
    json events = json::array();
    for (const auto& e : p::load_call_events(tx, id))
      events.push_back({{"kind", domain::to_string(e.event.kind)},
                        {"status", e.event.kind == domain::call_event_kind::status
                                       ? json(domain::to_string(e.event.status))
                                       : json(nullptr)},
                        {"ended_reason", text_or_null(e.event.ended_reason)},
                        {"occurred_at_ms", e.event.occurred_at_ms}});
    json appointments = json::array();
    for (const auto& a : p::appointments_for_call(tx, id))
      appointments.push_back({{"id", a.id},
                              {"status", p::to_string(a.status)},
                              {"start", utc(a.starts_at)},
                              {"end", utc(a.ends_at)}});
    out = {{"id", row->identity.id},
           {"direction", row->identity.direction},
           {"caller", row->identity.caller},
           {"dialled", row->identity.dialled},
           {"state", domain::to_string(pr.state)},
           {"outcome", text_or_null(domain::to_string(pr.outcome))},
           {"ended_reason", text_or_null(pr.ended_reason)},
           {"started_at", utc_or_null(from_ms(pr.started_at_ms))},
           {"ended_at", utc_or_null(from_ms(pr.ended_at_ms))},
           {"duration_seconds", or_null(rep.duration_seconds)},
           {"cost_usd", or_null(rep.cost_usd)},
           {"summary", text_or_null(rep.summary)},
           // The stored transcript: redacted by the scoring step (the raw one is never stored).
           {"transcript", text_or_null(rep.transcript)},
           {"recording_url", text_or_null(rep.recording_url)},
           {"success_evaluation", text_or_null(rep.success_evaluation)},
           {"structured_data", rep.structured_data_json.empty()
                                   ? json(nullptr)
                                   : json::parse(rep.structured_data_json, nullptr, false)},
           {"created_at", utc(p::from_epoch(row->created_at_ms / 1000))},
           {"events", events},
           {"appointments", appointments}};
    add_scoring(out, *scoring);
    return true;
  });
  if (out.is_null()) return send_error(res, 404, "not_found", "no call with id " + id);
  send_json(res, 200, out);
}

// ---- contacts -----------------------------------------------------------------------------------

// ?name=… one of `allowed` ("" when absent).
std::optional<field_error> query_choice(const httplib::Request& req, const char* name,
                                        const std::vector<std::string>& allowed,
                                        std::string& out) {
  if (!req.has_param(name)) return std::nullopt;
  out = req.get_param_value(name);
  for (const auto& a : allowed)
    if (out == a) return std::nullopt;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return field_error{name, std::string{name} + " must be one of " + list};
}

void list_contacts(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  int limit = 500;
  p::contact_filter filter;
  if (auto err = query_int(req, "limit", 1, 1000, limit)) return send_field_error(res, *err);
  if (auto err = query_choice(req, "lead_tier", {"hot", "warm", "cold"}, filter.lead_tier))
    return send_field_error(res, *err);
  if (auto err = query_choice(req, "lead_status", {"new", "contacted", "booked", "lost"},
                              filter.lead_status))
    return send_field_error(res, *err);
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& c : p::list_contacts(tx, filter, limit))
      out.push_back({{"id", c.id},
                     {"name", c.name},  // kept for existing clients; contact_name is seed 001's
                     {"contact_name", c.name},
                     {"phone_number", c.phone_number},
                     {"email", text_or_null(c.email)},
                     {"opted_out", c.opted_out},
                     {"campaign_id", text_or_null(c.campaign_id)},
                     {"lead_status", c.lead_status},
                     {"lead_score", or_null(c.lead_score)},
                     {"lead_tier", text_or_null(c.lead_tier)},
                     {"last_contacted_at", utc_or_null(c.last_contacted_at)},
                     {"created_at", utc(c.created_at)},
                     {"updated_at", utc(c.updated_at)}});
    return true;
  });
  send_json(res, 200, {{"contacts", out}});
}

void contact_stats(context& ctx, const httplib::Request&, httplib::Response& res,
                   const principal& who) {
  p::contact_stats s;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    s = p::load_contact_stats(tx);
    return true;
  });
  send_json(res, 200, {{"total_leads", s.total_leads},
                       {"hot_leads", s.hot_leads},
                       {"warm_leads", s.warm_leads},
                       {"cold_leads", s.cold_leads}});
}

// ---- the dashboard summary ----------------------------------------------------------------------

constexpr int recent_activity_size = 10;
constexpr auto default_period = std::chrono::hours(24 * 30);
// 366 days, and an hour for a DST change between two local midnights.
constexpr auto longest_period = std::chrono::hours(24 * 366 + 1);

json recent_json(const p::call_summary& c) {
  return {{"id", c.id},
          {"direction", c.direction},
          {"caller", c.caller},
          {"state", c.state},
          {"outcome", text_or_null(c.outcome)},
          {"lead_score", or_null(c.scoring.lead_score)},
          {"lead_tier", text_or_null(c.scoring.lead_tier)},
          {"financial_value", or_null(c.scoring.financial_value)},
          {"duration_seconds", or_null(c.duration_seconds)},
          {"created_at", utc(c.created_at)}};
}

// [from, to) of ?from=&to= (dates in the tenant's zone, or ISO 8601 date-times); by default the
// 30 days up to now (or up to `to`, or from `from` until now).
std::optional<field_error> read_period(const httplib::Request& req, const std::string& tz,
                                       domain::instant& from, domain::instant& to) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::optional<domain::instant> f, t;
  if (req.has_param("from") && !(f = read_bound(req.get_param_value("from"), tz, false)))
    return field_error{"from", "from must be a date (YYYY-MM-DD) or an ISO 8601 date-time"};
  if (req.has_param("to") && !(t = read_bound(req.get_param_value("to"), tz, true)))
    return field_error{"to", "to must be a date (YYYY-MM-DD) or an ISO 8601 date-time"};
  to = t ? *t : now;
  from = f ? *f : to - default_period;
  if (to <= from) return field_error{"to", "to must be after from"};
  if (to - from > longest_period)
    return field_error{"to", "from and to may be at most 366 days apart"};
  return std::nullopt;
}

void dashboard_summary(context& ctx, const httplib::Request& req, httplib::Response& res,
                       const principal& who) {
  std::optional<field_error> invalid;
  json out;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto settings = p::load_settings(tx);
    if (!settings) return false;
    domain::instant from, to;
    if ((invalid = read_period(req, settings->rules.time_zone, from, to))) return false;
    auto s = p::load_dashboard_summary(tx, from, to, recent_activity_size);
    json recent = json::array();
    for (const auto& c : s.recent) recent.push_back(recent_json(c));
    out = {{"from", utc(from)},
           {"to", utc(to)},
           {"pipeline_value", s.pipeline_value},
           {"success_rate", s.success_rate},
           {"average_duration_seconds", s.average_duration_seconds},
           {"total_calls", s.total_calls},
           {"inbound_calls", s.inbound_calls},
           {"booked_inbound_calls", s.booked_inbound_calls},
           {"calls_by_outcome", {{"booked", s.booked}, {"lost", s.lost}, {"none", s.no_outcome}}},
           {"recent_activity", recent}};
    return true;
  });
  if (invalid) return send_field_error(res, *invalid);
  if (out.is_null()) return send_error(res, 404, "not_found", "this organization does not exist");
  send_json(res, 200, out);
}

}  // namespace

void add_dashboard_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"GET", "/api/calls", "member", list_calls},
                       {"GET", "/api/calls/{id}", "member", get_call},
                       {"GET", "/api/contacts", "member", list_contacts},
                       {"GET", "/api/contacts/stats", "member", contact_stats},
                       {"GET", "/api/dashboard/summary", "member", dashboard_summary},
                   });
}

}  // namespace rm::http
