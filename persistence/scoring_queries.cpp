// SQL behind scoring_queries.hpp. Readers take columns by name (detail::named_row).
#include "persistence/scoring_queries.hpp"

#include "persistence/detail/readers.hpp"
#include "persistence/repositories.hpp"  // text_array

namespace rm::persistence {

namespace {

using detail::named_row;
using detail::optional_as;
using detail::or_null;
using nlohmann::json;

json text_or_null(const pqxx::field& f) { return f.is_null() ? json(nullptr) : json(f.c_str()); }

json json_or_null(const pqxx::field& f) {
  if (f.is_null()) return nullptr;
  auto j = json::parse(f.c_str(), nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

}  // namespace

std::optional<scoring_inputs> lock_scoring_inputs(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      "SELECT c.org_id, c.state, c.direction, c.caller, c.dialled, coalesce(c.transcript, '') AS transcript,"
      " coalesce(c.summary, '') AS summary,"
      " coalesce(c.structured_data::text, '') AS structured_data,"
      " coalesce(c.recording_url, '') AS recording_url,"
      " coalesce(c.ended_reason, '') AS ended_reason, c.recording_status,"
      " c.duration_seconds::float8 AS duration_seconds,"
      " coalesce((extract(epoch from c.ended_at))::bigint, 0) AS ended_at_s,"
      " coalesce((SELECT e.payload::text FROM call_events e"
      "            WHERE e.call_id = c.id AND e.kind = 'report' ORDER BY e.id LIMIT 1), '')"
      "   AS report_payload,"
      " EXISTS (SELECT 1 FROM tool_invocations t WHERE t.call_id = c.id"
      "          AND t.name = 'book_appointment' AND t.completed_at IS NOT NULL"
      "          AND NOT t.is_error)"
      " OR EXISTS (SELECT 1 FROM appointments a WHERE a.call_id = c.id AND a.status = 'booked')"
      " OR EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'booking')"
      "   AS booked,"
      " EXISTS (SELECT 1 FROM tool_invocations t WHERE t.call_id = c.id AND t.name IN"
      "          ('check_availability', 'reserve_slot', 'book_appointment')) AS booking_tool_used,"
      " (c.caller <> '' AND EXISTS (SELECT 1 FROM calls o WHERE o.org_id = c.org_id"
      "          AND o.caller = c.caller AND o.id <> c.id AND o.created_at < c.created_at))"
      "   AS returning_caller"
      " FROM calls c WHERE c.id = $1 FOR UPDATE OF c",
      call_id);
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  scoring_inputs in;
  in.org_id = r["org_id"].c_str();
  in.state = r["state"].c_str();
  in.direction = r["direction"].c_str();
  in.caller = r["caller"].c_str();
  in.dialled = r["dialled"].c_str();
  in.transcript = r["transcript"].c_str();
  in.summary = r["summary"].c_str();
  in.structured_data_json = r["structured_data"].c_str();
  in.recording_url = r["recording_url"].c_str();
  in.ended_reason = r["ended_reason"].c_str();
  in.recording_status = r["recording_status"].c_str();
  in.duration_seconds = optional_as<double>(r["duration_seconds"]);
  in.ended_at_s = r["ended_at_s"].as<std::int64_t>();
  in.report_payload_json = r["report_payload"].c_str();
  in.booked = r["booked"].as<bool>();
  in.booking_tool_used = r["booking_tool_used"].as<bool>();
  in.returning_caller = r["returning_caller"].as<bool>();
  return in;
}

tenant_pricing load_pricing(pqxx::work& tx, const std::string& org_id) {
  tenant_pricing out;
  const named_row org = tx.exec_params1(
      "SELECT default_consultation_price::float8 AS default_price, alert_phone"
      " FROM organizations WHERE id = $1",
      org_id);
  out.default_price = org["default_price"].as<double>();
  out.alert_phone = org["alert_phone"].c_str();
  for (const named_row r : tx.exec_params(
           "SELECT name, price::float8 AS price, array_to_json(keywords)::text AS keywords"
           " FROM services WHERE org_id = $1 ORDER BY name",
           org_id)) {
    priced_service s;
    s.name = r["name"].c_str();
    s.price = r["price"].as<double>();
    auto keywords = json::parse(r["keywords"].c_str(), nullptr, false);
    if (keywords.is_array())
      for (const auto& k : keywords)
        if (k.is_string()) s.keywords.push_back(k.get<std::string>());
    out.services.push_back(std::move(s));
  }
  return out;
}

void save_scores(pqxx::work& tx, const std::string& call_id, const call_scores& s) {
  tx.exec_params0(
      "UPDATE calls SET sentiment_score = $2::real, sentiment_label = $3, urgency = $4,"
      " sentiment_reason = $5, sentiment_source = $6, lead_score = $7, lead_tier = $8,"
      " score_factors = $9::jsonb, financial_value = round($10::numeric, 2),"
      " matched_service = $11, recording_status = $12, contact_id = $13::uuid,"
      " scored_at = coalesce(scored_at, now())"
      " WHERE id = $1",
      call_id, pqxx::to_string(s.sentiment_score), s.sentiment_label, s.urgency,
      or_null(s.sentiment_reason), s.sentiment_source, s.lead_score, s.lead_tier,
      s.score_factors.dump(), pqxx::to_string(s.financial_value), or_null(s.matched_service),
      s.recording_status, or_null(s.contact_id));
}

lead_contact lock_contact(pqxx::work& tx, const std::string& org_id, const std::string& e164) {
  tx.exec_params0(
      "INSERT INTO contacts (org_id, phone_e164) VALUES ($1, $2)"
      " ON CONFLICT (org_id, phone_e164) DO NOTHING",
      org_id, e164);
  const named_row r = tx.exec_params1(
      "SELECT id, lead_status, (extract(epoch from last_alert_at))::bigint AS last_alert_at_s"
      " FROM contacts WHERE org_id = $1 AND phone_e164 = $2 FOR UPDATE",
      org_id, e164);
  return {r["id"].c_str(), r["lead_status"].c_str(),
          optional_as<std::int64_t>(r["last_alert_at_s"])};
}

void update_lead(pqxx::work& tx, const std::string& contact_id, const std::string& lead_status,
                 int lead_score, const std::string& lead_tier, const std::string& call_id,
                 std::int64_t contacted_at_s) {
  tx.exec_params0(
      "UPDATE contacts SET lead_status = $2, lead_score = $3, lead_tier = $4, last_call_id = $5,"
      " last_contacted_at = greatest(last_contacted_at, to_timestamp($6::bigint))"
      " WHERE id = $1",
      contact_id, lead_status, lead_score, lead_tier, call_id, contacted_at_s);
}

std::string queue_hot_lead_alert(pqxx::work& tx, const std::string& org_id,
                                 const std::string& contact_id, const std::string& call_id,
                                 const std::string& recipient, const std::string& body,
                                 std::int64_t now_s) {
  const named_row r = tx.exec_params1(
      "INSERT INTO message_outbox (org_id, kind, channel, contact_id, call_id, sender, recipient,"
      " body, due_at) VALUES ($1, 'hot_lead_alert', 'sms', $2, $3, '', $4, $5,"
      " to_timestamp($6::bigint)) RETURNING id",
      org_id, contact_id, call_id, recipient, body, now_s);
  tx.exec_params0("UPDATE contacts SET last_alert_at = to_timestamp($2::bigint) WHERE id = $1",
                  contact_id, now_s);
  return r["id"].c_str();
}

namespace detail {

// A timestamptz column as ISO 8601 UTC text ("2030-01-15T08:00:00Z").
#define RM_ISO(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
const char* const scoring_columns =
    "sentiment_score::float8 AS sentiment_score, sentiment_label, urgency,"
    " sentiment_reason, sentiment_source, lead_score, lead_tier, score_factors::text AS"
    " score_factors, financial_value::float8 AS financial_value, matched_service,"
    " recording_status, transfer_to, transfer_reason, " RM_ISO("transfer_time")
    " AS transfer_time, redactions::text AS redactions, contact_id, " RM_ISO("scored_at")
    " AS scored_at";
#undef RM_ISO

json read_scoring(const named_row r) {
  json sentiment = nullptr;
  if (!r["sentiment_label"].is_null())
    sentiment = {{"score", optional_as<double>(r["sentiment_score"]).value_or(0)},
                 {"label", r["sentiment_label"].c_str()},
                 {"urgency", text_or_null(r["urgency"])},
                 {"reason", text_or_null(r["sentiment_reason"])},
                 {"source", text_or_null(r["sentiment_source"])}};
  json transfer = nullptr;
  if (!r["transfer_to"].is_null())
    transfer = {{"to", r["transfer_to"].c_str()},
                {"time", text_or_null(r["transfer_time"])},
                {"reason", text_or_null(r["transfer_reason"])}};
  auto lead_score = optional_as<int>(r["lead_score"]);
  auto value = optional_as<double>(r["financial_value"]);
  return {{"sentiment", sentiment},
          {"lead_score", lead_score ? json(*lead_score) : json(nullptr)},
          {"lead_tier", text_or_null(r["lead_tier"])},
          {"score_factors", json_or_null(r["score_factors"])},
          {"financial_value", value ? json(*value) : json(nullptr)},
          {"matched_service", text_or_null(r["matched_service"])},
          {"recording_status", r["recording_status"].c_str()},
          {"transfer", transfer},
          {"redactions", json_or_null(r["redactions"])},
          {"contact_id", text_or_null(r["contact_id"])},
          {"scored_at", text_or_null(r["scored_at"])}};
}

}  // namespace detail

json scoring_fields(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      std::string("SELECT id, ") + detail::scoring_columns + " FROM calls WHERE id = $1", call_id);
  if (rows.empty()) return nullptr;
  return detail::read_scoring(rows[0]);
}

std::vector<std::pair<std::string, json>> scoring_fields_of(
    pqxx::work& tx, const std::vector<std::string>& call_ids) {
  std::vector<std::pair<std::string, json>> out;
  if (call_ids.empty()) return out;
  auto rows = tx.exec_params(std::string("SELECT id, ") + detail::scoring_columns +
                                 " FROM calls WHERE id = ANY($1::text[])",
                             text_array(call_ids));
  out.reserve(rows.size());
  for (const named_row r : rows) out.emplace_back(r["id"].c_str(), detail::read_scoring(r));
  return out;
}

}  // namespace rm::persistence
