#include "actors/call_store.hpp"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "persistence/bulk_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/scoring_queries.hpp"

namespace rm::calls {

namespace p = rm::persistence;
using nlohmann::json;

namespace {

std::vector<domain::call_event> stored_events(pqxx::work& tx, const std::string& call_id) {
  std::vector<domain::call_event> events;
  for (auto& e : p::load_call_events(tx, call_id)) events.push_back(std::move(e.event));
  return events;
}

// Recomputes and saves the projection from `events` (all the call's stored events).
domain::call_projection save_projection_of(pqxx::work& tx, const std::string& call_id,
                                           const std::vector<domain::call_event>& events) {
  auto projection = domain::project(events);
  p::save_projection(tx, call_id, projection);
  return projection;
}

}  // namespace

domain::call_projection refresh_projection(pqxx::work& tx, const std::string& call_id) {
  return save_projection_of(tx, call_id, stored_events(tx, call_id));
}

recorded record_event(pqxx::connection& c, const actors::call_event_msg& msg) {
  pqxx::work tx{c};
  p::set_tenant(tx, msg.identity.org_id);
  auto r = record_event_in(tx, msg);
  tx.commit();
  return r;
}

recorded record_event_in(pqxx::work& tx, const actors::call_event_msg& msg) {
  const auto& id = msg.identity.id;
  p::ensure_call(tx, msg.identity);
  recorded r;
  r.stored = p::append_call_event(tx, id, msg.identity.org_id, msg.event, msg.payload_json);
  if (r.stored && msg.report) p::save_report(tx, id, *msg.report);
  if (msg.transfer) {
    // Only the destination and the reason are kept.
    json payload{{"destination", msg.transfer->to},
                 {"reason", msg.transfer->reason.empty() ? json(nullptr)
                                                          : json(msg.transfer->reason)}};
    bool fresh = r.stored;
    if (msg.event.kind != domain::call_event_kind::transfer) {
      // A forwarding status-update that names its destination: its own transfer event.
      domain::call_event t;
      t.kind = domain::call_event_kind::transfer;
      t.status = domain::call_state::forwarding;
      t.occurred_at_ms = msg.event.occurred_at_ms;
      t.dedup_key = "transfer:" + msg.event.dedup_key;
      fresh = p::append_call_event(tx, id, msg.identity.org_id, t, payload.dump());
      r.stored = r.stored || fresh;
    }
    if (fresh) p::save_transfer(tx, id, *msg.transfer);
  }
  r.events = stored_events(tx, id);
  r.projection = save_projection_of(tx, id, r.events);
  return r;
}

std::optional<p::journal_event_row> event_row(const actors::call_event_msg& msg, bool fresh,
                                             const std::vector<domain::call_event>& known) {
  if (msg.report || msg.transfer) return std::nullopt;
  p::journal_event_row row;
  row.call = msg.identity;
  row.fresh = fresh;
  row.event = msg.event;
  row.payload_json = msg.payload_json;
  std::vector<domain::call_event> events;
  if (!fresh) {
    events.reserve(known.size() + 1);
    events = known;
  }
  row.known_events = events.size();
  events.push_back(msg.event);
  row.projection = domain::project(std::move(events));
  return row;
}

loaded_call load(pqxx::connection& c, const std::string& call_id) {
  pqxx::work tx{c};
  auto out = load_in(tx, call_id);
  tx.commit();
  return out;
}

first_recorded load_and_record_in(pqxx::work& tx, actors::call_event_msg msg) {
  first_recorded out;
  out.loaded = load_in(tx, msg.identity.id);
  if (out.loaded.found) {
    if (out.loaded.identity.org_id != msg.identity.org_id) {
      out.refused = true;  // a call id of another tenant: its record is not touched
      return out;
    }
    msg.identity = out.loaded.identity;  // the first identity stays authoritative
  }
  p::set_tenant(tx, msg.identity.org_id);
  out.record = record_event_in(tx, msg);
  return out;
}

loaded_call load_in(pqxx::work& tx, const std::string& call_id) {
  loaded_call out;
  auto org = p::call_org(tx, call_id);
  if (org) p::set_tenant(tx, *org);
  if (auto row = org ? p::load_call(tx, call_id) : std::nullopt) {
    out.found = true;
    out.identity = row->identity;
    out.projection = row->projection;
    out.outcomes = p::completed_tool_calls_of(tx, call_id);
    out.events = stored_events(tx, call_id);
    out.events_loaded = true;
  }
  return out;
}

namespace {

std::string utc_iso(domain::instant t) { return domain::format_local(t, "UTC"); }

json optional_number(const std::optional<double>& x) { return x ? json(*x) : json(nullptr); }

}  // namespace

namespace {

// The view of one call (the shape documented at view_json) from its rows.
json view_of(const p::call_row& row, const std::vector<const p::appointment*>& appointments,
             const std::vector<const p::stored_event*>& stored_events, const json& scoring,
             bool live) {
  json holds = json::array();
  for (const auto* a : appointments) {
    holds.push_back({{"id", a->id},
                     {"status", p::to_string(a->status)},
                     {"start", utc_iso(a->starts_at)},
                     {"end", utc_iso(a->ends_at)},
                     {"expires_at", a->hold_expires_at ? json(utc_iso(*a->hold_expires_at))
                                                       : json(nullptr)}});
  }
  json events = json::array();
  for (const auto* e : stored_events) {
    events.push_back({{"kind", domain::to_string(e->event.kind)},
                      {"status", e->event.kind == domain::call_event_kind::status
                                     ? json(domain::to_string(e->event.status))
                                     : json(nullptr)},
                      {"ended_reason", e->event.ended_reason},
                      {"occurred_at_ms", e->event.occurred_at_ms},
                      {"dedup_key", e->event.dedup_key}});
  }
  const auto& pr = row.projection;
  const auto& rep = row.report;
  json report = nullptr;
  if (pr.state >= domain::call_state::reported)  // transcript and summary: redacted at storage
    report = {{"ended_reason", rep.ended_reason},
              {"summary", rep.summary},
              {"transcript", rep.transcript},
              {"recording_url", rep.recording_url},
              {"duration_seconds", optional_number(rep.duration_seconds)},
              {"cost_usd", optional_number(rep.cost_usd)},
              {"success_evaluation", rep.success_evaluation}};
  const char* outcome = domain::to_string(pr.outcome);
  json j{{"id", row.identity.id},
         {"tenant_id", row.identity.org_id},
         {"state", domain::to_string(pr.state)},
         {"outcome", *outcome ? json(outcome) : json(nullptr)},
         {"caller", row.identity.caller},
         {"dialled", row.identity.dialled},
         {"direction", row.identity.direction},
         {"ended_reason", pr.ended_reason},
         {"holds", holds},
         {"events", events},
         {"report", report},
         {"live", live}};
  // The scoring step's fields (null until scored; recording status and transfer as they are).
  for (const char* k : {"sentiment", "lead_score", "lead_tier", "score_factors", "financial_value",
                        "matched_service", "recording_status", "transfer", "redactions",
                        "contact_id", "scored_at"})
    j[k] = scoring.is_object() ? scoring[k] : json(nullptr);
  return j;
}

}  // namespace

std::string view_json(pqxx::connection& c, const std::string& call_id, bool live) {
  pqxx::work tx{c};
  auto org = p::call_org(tx, call_id);
  if (!org) return "";
  p::set_tenant(tx, *org);
  auto row = p::load_call(tx, call_id);
  if (!row) return "";
  auto appointments = p::appointments_for_call(tx, call_id);
  auto stored = p::load_call_events(tx, call_id);
  json scoring = p::scoring_fields(tx, call_id);
  tx.commit();
  std::vector<const p::appointment*> a;
  for (const auto& x : appointments) a.push_back(&x);
  std::vector<const p::stored_event*> e;
  for (const auto& x : stored) e.push_back(&x);
  return view_of(*row, a, e, scoring, live).dump();
}

std::vector<std::string> views_json(pqxx::connection& c, const std::vector<std::string>& call_ids,
                                    bool live) {
  pqxx::work tx{c};
  auto rows = p::any_tenant::view_rows_of_calls(tx, call_ids);
  tx.commit();
  std::unordered_map<std::string, std::vector<const p::stored_event*>> events_of;
  for (const auto& [id, e] : rows.events) events_of[id].push_back(&e);
  std::unordered_map<std::string, std::vector<const p::appointment*>> appointments_of;
  for (const auto& a : rows.appointments) appointments_of[a.call_id].push_back(&a);
  std::unordered_map<std::string, const json*> scoring_of;
  for (const auto& [id, j] : rows.scoring) scoring_of[id] = &j;
  static const json none = nullptr;
  std::unordered_map<std::string, std::string> views;
  views.reserve(rows.calls.size());
  for (const auto& row : rows.calls) {
    const auto& id = row.identity.id;
    auto sc = scoring_of.find(id);
    views[id] = view_of(row, appointments_of[id], events_of[id],
                        sc == scoring_of.end() ? none : *sc->second, live)
                    .dump();
  }
  std::vector<std::string> out;
  out.reserve(views.size());
  for (const auto& id : call_ids)
    if (auto v = views.find(id); v != views.end()) out.push_back(std::move(v->second));
  return out;
}

std::vector<loaded_call> load_unfinished(pqxx::connection& c) {
  pqxx::work tx{c};
  auto rows = p::any_tenant::unfinished_calls(tx);
  auto outcomes = p::any_tenant::completed_tool_calls_of_unfinished(tx);
  tx.commit();
  std::vector<loaded_call> out;
  out.reserve(rows.size());
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(rows.size());
  for (auto& row : rows) {
    index.emplace(row.identity.id, out.size());
    loaded_call l;
    l.found = true;
    l.identity = std::move(row.identity);
    l.projection = row.projection;
    out.push_back(std::move(l));
  }
  for (auto& t : outcomes)
    if (auto i = index.find(t.call_id); i != index.end())
      out[i->second].outcomes.emplace_back(std::move(t.tool_call_id), std::move(t.outcome));
  return out;
}

}  // namespace rm::calls
