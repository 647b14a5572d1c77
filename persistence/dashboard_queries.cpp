// SQL behind dashboard_queries.hpp. Every statement filters on rm_current_org() explicitly as
// well as through row-level security (see tenant_queries.cpp for why).
#include "persistence/dashboard_queries.hpp"

#include <cmath>

#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::named_row;
using detail::optional_as;
using detail::optional_at;
using detail::or_null;
using detail::text;

// Epoch-second instants are aliased *_s so that they never shadow the timestamptz columns.
constexpr const char* scoring_columns =
    " sentiment_score::float8 AS sentiment_score, sentiment_label, urgency, sentiment_reason,"
    " sentiment_source, lead_score, lead_tier, financial_value::float8 AS financial_value,"
    " matched_service, recording_status, transfer_to,"
    " extract(epoch from transfer_time)::bigint AS transfer_time_s, transfer_reason,"
    " extract(epoch from scored_at)::bigint AS scored_at_s";

call_scoring read_scoring(named_row r) {
  call_scoring s;
  s.sentiment_score = optional_as<double>(r["sentiment_score"]);
  s.sentiment_label = text(r["sentiment_label"]);
  s.urgency = text(r["urgency"]);
  s.sentiment_reason = text(r["sentiment_reason"]);
  s.sentiment_source = text(r["sentiment_source"]);
  s.lead_score = optional_as<int>(r["lead_score"]);
  s.lead_tier = text(r["lead_tier"]);
  s.financial_value = optional_as<double>(r["financial_value"]);
  s.matched_service = text(r["matched_service"]);
  s.recording_status = text(r["recording_status"]);
  s.transfer_to = text(r["transfer_to"]);
  s.transfer_time = optional_at(r["transfer_time_s"]);
  s.transfer_reason = text(r["transfer_reason"]);
  s.scored_at = optional_at(r["scored_at_s"]);
  return s;
}

constexpr const char* call_columns =
    "id, direction, caller, dialled, state, coalesce(outcome, '') AS outcome,"
    " coalesce(ended_reason, '') AS ended_reason,"
    " extract(epoch from started_at)::bigint AS started_at_s,"
    " extract(epoch from ended_at)::bigint AS ended_at_s,"
    " duration_seconds::float8 AS duration_seconds, coalesce(summary, '') AS summary,"
    " extract(epoch from created_at)::bigint AS created_at_s,";

call_summary read_call(named_row r) {
  call_summary c;
  c.id = r["id"].c_str();
  c.direction = r["direction"].c_str();
  c.caller = r["caller"].c_str();
  c.dialled = r["dialled"].c_str();
  c.state = r["state"].c_str();
  c.outcome = r["outcome"].c_str();
  c.ended_reason = r["ended_reason"].c_str();
  c.started_at = optional_at(r["started_at_s"]);
  c.ended_at = optional_at(r["ended_at_s"]);
  c.duration_seconds = optional_as<double>(r["duration_seconds"]);
  c.summary = r["summary"].c_str();
  c.created_at = at(r["created_at_s"]);
  c.scoring = read_scoring(r);
  return c;
}

std::vector<call_summary> read_calls(const pqxx::result& rows) {
  std::vector<call_summary> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_call(r));
  return out;
}

// Rounded to 1/`per_unit` (10: tenths, 100: cents); dividing last gives the double nearest the
// decimal, so JSON shows 66.7, not 66.70000000000001.
double round_to(double value, double per_unit) {
  return std::round(value * per_unit) / per_unit;
}

}  // namespace

// ---- calls --------------------------------------------------------------------------------------

std::vector<call_summary> list_calls(pqxx::work& tx, int limit) {
  return read_calls(tx.exec_params(
      std::string{"SELECT "} + call_columns + scoring_columns +
          " FROM calls WHERE org_id = rm_current_org() ORDER BY created_at DESC, id LIMIT $1",
      limit));
}

std::optional<call_scoring> load_call_scoring(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(std::string{"SELECT "} + scoring_columns +
                                 " FROM calls WHERE id = $1 AND org_id = rm_current_org()",
                             call_id);
  if (rows.empty()) return std::nullopt;
  return read_scoring(rows[0]);
}

// ---- contacts -----------------------------------------------------------------------------------

std::vector<contact_view> list_contacts(pqxx::work& tx, const contact_filter& filter, int limit) {
  auto rows = tx.exec_params(
      "SELECT id, name, phone_e164, coalesce(email, '') AS email, opted_out,"
      " extract(epoch from created_at)::bigint AS created_at_s,"
      " extract(epoch from updated_at)::bigint AS updated_at_s,"
      " coalesce(campaign_id::text, '') AS campaign_id, lead_status, lead_score,"
      " coalesce(lead_tier, '') AS lead_tier,"
      " extract(epoch from last_contacted_at)::bigint AS last_contacted_at_s"
      " FROM contacts WHERE org_id = rm_current_org()"
      " AND ($1::text IS NULL OR lead_tier = $1) AND ($2::text IS NULL OR lead_status = $2)"
      " ORDER BY name, phone_e164 LIMIT $3",
      or_null(filter.lead_tier), or_null(filter.lead_status), limit);
  std::vector<contact_view> out;
  out.reserve(rows.size());
  for (const named_row r : rows) {
    contact_view c;
    c.id = r["id"].c_str();
    c.name = r["name"].c_str();
    c.phone_number = r["phone_e164"].c_str();
    c.email = r["email"].c_str();
    c.opted_out = r["opted_out"].as<bool>();
    c.created_at = at(r["created_at_s"]);
    c.updated_at = at(r["updated_at_s"]);
    c.campaign_id = r["campaign_id"].c_str();
    c.lead_status = r["lead_status"].c_str();
    c.lead_score = optional_as<int>(r["lead_score"]);
    c.lead_tier = r["lead_tier"].c_str();
    c.last_contacted_at = optional_at(r["last_contacted_at_s"]);
    out.push_back(std::move(c));
  }
  return out;
}

contact_stats load_contact_stats(pqxx::work& tx) {
  const named_row r = tx.exec1(
      "SELECT count(*) AS total_leads,"
      " count(*) FILTER (WHERE lead_tier = 'hot') AS hot_leads,"
      " count(*) FILTER (WHERE lead_tier = 'warm') AS warm_leads,"
      " count(*) FILTER (WHERE lead_tier = 'cold') AS cold_leads"
      " FROM contacts WHERE org_id = rm_current_org()");
  return {r["total_leads"].as<long>(), r["hot_leads"].as<long>(), r["warm_leads"].as<long>(),
          r["cold_leads"].as<long>()};
}

// ---- the dashboard summary ----------------------------------------------------------------------

dashboard_summary load_dashboard_summary(pqxx::work& tx, domain::instant from, domain::instant to,
                                         int recent_limit) {
  const named_row r = tx.exec_params1(
      "SELECT coalesce(sum(financial_value) FILTER (WHERE state = 'scored'), 0)::float8"
      "   AS pipeline_value,"
      " count(*) AS total_calls,"
      " count(*) FILTER (WHERE direction = 'inbound') AS inbound_calls,"
      " count(*) FILTER (WHERE direction = 'inbound' AND outcome = 'booked')"
      "   AS booked_inbound_calls,"
      " coalesce(avg(duration_seconds), 0)::float8 AS average_duration_seconds,"
      " count(*) FILTER (WHERE outcome = 'booked') AS booked,"
      " count(*) FILTER (WHERE outcome = 'lost') AS lost,"
      " count(*) FILTER (WHERE outcome IS NULL) AS no_outcome"
      " FROM calls WHERE org_id = rm_current_org()"
      " AND created_at >= to_timestamp($1) AND created_at < to_timestamp($2)",
      to_epoch(from), to_epoch(to));
  dashboard_summary s;
  s.pipeline_value = round_to(r["pipeline_value"].as<double>(), 100);
  s.total_calls = r["total_calls"].as<long>();
  s.inbound_calls = r["inbound_calls"].as<long>();
  s.booked_inbound_calls = r["booked_inbound_calls"].as<long>();
  s.success_rate = s.inbound_calls == 0
                       ? 0
                       : round_to(100.0 * static_cast<double>(s.booked_inbound_calls) /
                                      static_cast<double>(s.inbound_calls),
                                  10);
  s.average_duration_seconds = round_to(r["average_duration_seconds"].as<double>(), 10);
  s.booked = r["booked"].as<long>();
  s.lost = r["lost"].as<long>();
  s.no_outcome = r["no_outcome"].as<long>();
  s.recent = read_calls(tx.exec_params(
      std::string{"SELECT "} + call_columns + scoring_columns +
          " FROM calls WHERE org_id = rm_current_org()"
          " AND created_at >= to_timestamp($1) AND created_at < to_timestamp($2)"
          " ORDER BY created_at DESC, id LIMIT $3",
      to_epoch(from), to_epoch(to), recent_limit));
  return s;
}

}  // namespace rm::persistence
