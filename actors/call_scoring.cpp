#include "actors/call_scoring.hpp"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/call_store.hpp"
#include "domain/e164.hpp"
#include "domain/lead_alert.hpp"
#include "domain/scoring.hpp"
#include "persistence/agent_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/scoring_queries.hpp"

namespace rm::calls {

namespace p = rm::persistence;
using nlohmann::json;

namespace {

const json& member(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

// What the stored report says about its recording: whether a recording object came with it,
// and whether one was expected (recording enabled on the assistant, or recording fields sent).
struct recording_facts {
  bool object_present = false;
  bool expected = false;
};
recording_facts recording_of(const std::string& report_payload_json) {
  recording_facts f;
  auto m = json::parse(report_payload_json, nullptr, false);
  if (m.is_discarded() || !m.is_object()) return f;
  const json& artifact = member(m, "artifact");
  f.object_present = member(artifact, "recording").is_object();
  const json& enabled = member(member(member(m, "assistant"), "artifactPlan"), "recordingEnabled");
  f.expected = (enabled.is_boolean() && enabled.get<bool>()) || f.object_present ||
               !member(m, "recordingUrl").is_null() || !member(artifact, "recordingUrl").is_null();
  return f;
}

std::string dollars(double v) {
  std::ostringstream out;
  out << "$" << std::llround(v);
  return out.str();
}

}  // namespace

scoring_outcome score_call(pqxx::connection& c, const std::string& call_id, std::int64_t now_s) {
  pqxx::work tx{c};
  scoring_outcome out;
  auto org = p::call_org(tx, call_id);
  if (!org) return out;
  p::set_tenant(tx, *org);
  auto in = p::lock_scoring_inputs(tx, call_id);
  if (!in) return out;
  out.found = true;
  if (in->state != domain::to_string(domain::call_state::reported)) {
    // Not reported yet, or already scored: nothing to do (idempotence).
    if (auto row = p::load_call(tx, call_id)) out.projection = row->projection;
    tx.commit();
    return out;
  }

  // 1–2. Inputs → the pure scoring functions.
  const auto pricing = p::load_pricing(tx, in->org_id);
  const std::string& words = in->transcript.empty() ? in->summary : in->transcript;
  auto feeling = domain::sentiment_from_analysis(in->structured_data_json);
  if (!feeling) feeling = domain::sentiment_from_transcript(words);
  std::vector<domain::service_price> services;
  for (const auto& s : pricing.services) services.push_back({s.name, s.price, s.keywords});
  const auto match = domain::match_service(words, services, pricing.default_price);
  domain::lead_inputs lead;
  lead.booked = in->booked;
  lead.booking_intent = in->booked || in->booking_tool_used || domain::mentions_booking(words);
  lead.service_value = match.value;
  lead.service_matched = match.service.has_value();
  lead.feeling = *feeling;
  lead.returning_caller = in->returning_caller;
  lead.duration_seconds = in->duration_seconds.value_or(0);
  const auto score = domain::score_lead(lead);
  const auto rec = recording_of(in->report_payload_json);
  auto recording = domain::recording_status_of(!in->recording_url.empty(), rec.object_present,
                                               in->ended_reason, rec.expected);
  if (auto current = domain::recording_status_from_string(in->recording_status))
    recording = domain::advance(*current, recording);

  // 4. The caller's contact (E.164 callers only: a withheld or malformed number is no lead).
  const bool inbound = in->direction != "outbound";
  std::string contact_id;
  std::optional<p::lead_contact> contact;
  if (domain::is_e164_syntax(in->caller)) {
    contact = p::lock_contact(tx, in->org_id, in->caller);
    contact_id = contact->id;
    auto status = domain::lead_status_from_string(contact->lead_status)
                      .value_or(domain::lead_status::new_lead);
    // An outbound call (a call-back) is the clinic reaching out: contacted unless it booked.
    auto next = inbound || in->booked ? domain::after_call(status, in->booked)
                                      : domain::after_outreach(status);
    p::update_lead(tx, contact_id, domain::to_string(next),
                   score.score, domain::to_string(score.tier), call_id,
                   in->ended_at_s > 0 ? in->ended_at_s : now_s);
  }

  // 3. The scoring columns, the score event, the projection.
  p::call_scores s;
  s.sentiment_score = std::max(-1.0, std::min(1.0, feeling->score));
  s.sentiment_label = domain::to_string(feeling->label);
  s.urgency = domain::to_string(feeling->level);
  s.sentiment_reason = feeling->reason;
  s.sentiment_source = feeling->source;
  s.lead_score = score.score;
  s.lead_tier = domain::to_string(score.tier);
  for (const auto& [factor, points] : score.factors) s.score_factors[factor] = points;
  s.financial_value = match.value;
  s.matched_service = match.service.value_or("");
  s.recording_status = domain::to_string(recording);
  s.contact_id = contact_id;
  p::save_scores(tx, call_id, s);
  domain::call_event e;
  e.kind = domain::call_event_kind::score;
  e.status = domain::call_state::scored;
  e.occurred_at_ms = now_s * 1000;
  e.dedup_key = "score";
  // Numbers and labels only: the payload never carries transcript text.
  json payload{{"lead_score", s.lead_score},       {"lead_tier", s.lead_tier},
               {"financial_value", s.financial_value}, {"sentiment", s.sentiment_label},
               {"urgency", s.urgency},             {"booked", in->booked}};
  if (!p::append_call_event(tx, call_id, in->org_id, e, payload.dump())) {
    // A score event without the scored state cannot happen (both commit together); never write
    // twice if it somehow did.
    tx.abort();
    return out;
  }
  out.projection = refresh_projection(tx, call_id);

  // 5. In-app notifications.
  const bool hot = score.tier == domain::lead_tier::hot;
  const std::string who = in->caller.empty() ? std::string("an unknown number") : in->caller;
  const std::string what = match.service ? *match.service + ", " + dollars(match.value)
                                         : dollars(match.value);
  p::notify_admins(tx, in->org_id, "call.scored", "info", "call", call_id,
                   "Call from " + who + " scored " + std::to_string(score.score) + " (" +
                       s.lead_tier + "): " + what + (in->booked ? ", booked." : "."));
  if (hot)
    p::notify_admins(tx, in->org_id, "lead.hot", "warning", "call", call_id,
                     "Hot lead: " + who + " scored " + std::to_string(score.score) + " (" + what +
                         "). Call them back soon.");

  // 6. The hot-lead SMS to the clinic, at most one per contact per hour.
  if (hot && inbound && contact && !pricing.alert_phone.empty() &&
      domain::should_alert(score.score, contact->last_alert_at_s, now_s)) {
    domain::hot_lead_alert alert{in->caller, score.score, match.service.value_or(""),
                                 match.value, in->booked};
    p::queue_hot_lead_alert(tx, in->org_id, contact_id, call_id, pricing.alert_phone,
                            domain::hot_lead_alert_text(alert), now_s);
    out.alert_queued = true;
  }
  tx.commit();
  out.scored_now = true;
  out.lead_score = score.score;
  out.lead_tier = s.lead_tier;
  return out;
}

}  // namespace rm::calls
