// SQL behind repositories.hpp, section "calls and their events": the calls row (identity,
// projection, report) and its append-only call_events. Call-event times travel as epoch
// milliseconds; readers take columns by name (detail::named_row).
#include "persistence/repositories.hpp"

#include <stdexcept>

#include "persistence/detail/readers.hpp"

namespace rm::persistence {
namespace {

using detail::named_row;
using detail::optional_as;
using detail::or_null;
using detail::text;

std::optional<std::string> number_param(const std::optional<double>& d) {
  if (!d) return std::nullopt;
  return pqxx::to_string(*d);
}

domain::call_event_kind kind_from_string(const std::string& s) {
  using k = domain::call_event_kind;
  for (k kind : {k::status, k::report, k::booking, k::hang, k::score, k::transfer}) {
    if (s == domain::to_string(kind)) return kind;
  }
  throw std::runtime_error("call_events: unknown kind '" + s + "'");
}

domain::call_state state_from_string(const std::string& s) {
  if (auto st = domain::call_state_from_string(s)) return *st;
  throw std::runtime_error("calls: unknown state '" + s + "'");
}

domain::call_outcome outcome_from_string(const std::string& s) {
  if (s == "booked") return domain::call_outcome::booked;
  if (s == "lost") return domain::call_outcome::lost;
  return domain::call_outcome::none;
}

}  // namespace

namespace detail {

const char* const call_event_columns =
    "kind, status, ended_reason, occurred_at_ms, dedup_key, coalesce(payload::text, '') AS payload,"
    " (extract(epoch from received_at) * 1000)::bigint AS received_at_ms";

stored_event read_event(named_row r) {
  stored_event s;
  s.event.kind = kind_from_string(r["kind"].c_str());
  s.event.status = state_from_string(r["status"].c_str());
  s.event.ended_reason = r["ended_reason"].c_str();
  s.event.occurred_at_ms = r["occurred_at_ms"].as<std::int64_t>();
  s.event.dedup_key = r["dedup_key"].c_str();
  s.payload_json = r["payload"].c_str();
  s.received_at_ms = r["received_at_ms"].as<std::int64_t>();
  return s;
}

// Epoch-millisecond instants are aliased *_ms so that they never shadow the timestamptz columns.
#define RM_CALL_ROW_COLUMNS                                                                 \
  "id, org_id, direction, caller, dialled, provider_call_sid, state, outcome, ended_reason," \
  " (extract(epoch from started_at) * 1000)::bigint AS started_at_ms,"                      \
  " (extract(epoch from ended_at) * 1000)::bigint AS ended_at_ms,"                          \
  " transcript, summary, recording_url, duration_seconds::float8 AS duration_seconds,"      \
  " cost_usd::float8 AS cost_usd, success_evaluation,"                                      \
  " structured_data::text AS structured_data,"                                              \
  " (extract(epoch from created_at) * 1000)::bigint AS created_at_ms"
const char* const call_row_columns = RM_CALL_ROW_COLUMNS;
const char* const call_columns =
    RM_CALL_ROW_COLUMNS
    ", EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'booking')"
    "   AS has_booking_event";
#undef RM_CALL_ROW_COLUMNS

call_row read_call(named_row r) {
  call_row c;
  c.identity = {r["id"].c_str(),     r["org_id"].c_str(),  r["direction"].c_str(),
                r["caller"].c_str(), r["dialled"].c_str(), text(r["provider_call_sid"])};
  c.projection.state = state_from_string(r["state"].c_str());
  c.projection.outcome = outcome_from_string(text(r["outcome"]));
  c.projection.ended_reason = text(r["ended_reason"]);
  c.projection.started_at_ms = optional_as<std::int64_t>(r["started_at_ms"]).value_or(0);
  c.projection.ended_at_ms = optional_as<std::int64_t>(r["ended_at_ms"]).value_or(0);
  c.projection.booked = r["has_booking_event"].as<bool>() ||
                        c.projection.outcome == domain::call_outcome::booked;
  c.report.ended_reason = text(r["ended_reason"]);
  c.report.transcript = text(r["transcript"]);
  c.report.summary = text(r["summary"]);
  c.report.recording_url = text(r["recording_url"]);
  c.report.duration_seconds = optional_as<double>(r["duration_seconds"]);
  c.report.cost_usd = optional_as<double>(r["cost_usd"]);
  c.report.success_evaluation = text(r["success_evaluation"]);
  c.report.structured_data_json = text(r["structured_data"]);
  c.created_at_ms = r["created_at_ms"].as<std::int64_t>();
  return c;
}

}  // namespace detail

using detail::call_columns;
using detail::call_event_columns;
using detail::read_call;
using detail::read_event;

void ensure_call(pqxx::work& tx, const call_identity& c) {
  tx.exec_params0(
      "INSERT INTO calls (id, org_id, direction, caller, dialled, provider_call_sid)"
      " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",  // on any unique index: migration 022
      c.id, c.org_id, c.direction, c.caller, c.dialled, or_null(c.provider_call_sid));
}

bool append_call_event(pqxx::work& tx, const std::string& call_id, const std::string& org_id,
                       const domain::call_event& e, const std::string& payload_json) {
  auto rows = tx.exec_params(
      "INSERT INTO call_events (call_id, org_id, kind, status, ended_reason, occurred_at_ms,"
      " dedup_key, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)"
      " ON CONFLICT (call_id, dedup_key) DO NOTHING RETURNING id",
      call_id, org_id, domain::to_string(e.kind), domain::to_string(e.status), e.ended_reason,
      e.occurred_at_ms, e.dedup_key, or_null(payload_json));
  return !rows.empty();
}

std::vector<stored_event> load_call_events(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + call_event_columns +
                                 " FROM call_events WHERE call_id = $1 ORDER BY id",
                             call_id);
  std::vector<stored_event> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_event(r));
  return out;
}

void save_projection(pqxx::work& tx, const std::string& call_id,
                     const domain::call_projection& p) {
  // Epoch milliseconds → timestamptz without floating point; 0 (unknown) → NULL.
  tx.exec_params0(
      "UPDATE calls SET state = $2, outcome = $3, ended_reason = $4,"
      " started_at = CASE WHEN $5::bigint > 0"
      "  THEN 'epoch'::timestamptz + $5::bigint * interval '1 millisecond' END,"
      " ended_at = CASE WHEN $6::bigint > 0"
      "  THEN 'epoch'::timestamptz + $6::bigint * interval '1 millisecond' END,"
      " reported_at = CASE WHEN $2 IN ('reported', 'scored') THEN coalesce(reported_at, now()) END"
      " WHERE id = $1",
      call_id, domain::to_string(p.state), or_null(domain::to_string(p.outcome)),
      or_null(p.ended_reason), p.started_at_ms, p.ended_at_ms);
}

void save_report(pqxx::work& tx, const std::string& call_id, const call_report& r) {
  tx.exec_params0(
      "UPDATE calls SET ended_reason = coalesce($2, ended_reason), transcript = $3, summary = $4,"
      " recording_url = $5, duration_seconds = $6::numeric, cost_usd = $7::numeric,"
      " success_evaluation = $8, structured_data = $9::jsonb,"
      " redactions = coalesce($10::jsonb, redactions) WHERE id = $1",
      call_id, or_null(r.ended_reason), or_null(r.transcript), or_null(r.summary),
      or_null(r.recording_url), number_param(r.duration_seconds), number_param(r.cost_usd),
      or_null(r.success_evaluation), or_null(r.structured_data_json),
      or_null(r.redactions_json));
}

void save_transfer(pqxx::work& tx, const std::string& call_id, const call_transfer& t) {
  // The latest transfer (by provider time) wins; a late duplicate of an older one changes nothing.
  tx.exec_params0(
      "UPDATE calls SET transfer_to = $2, transfer_reason = $3,"
      " transfer_time = CASE WHEN $4::bigint > 0"
      "  THEN 'epoch'::timestamptz + $4::bigint * interval '1 millisecond' ELSE now() END"
      " WHERE id = $1 AND (transfer_time IS NULL OR $4::bigint <= 0 OR"
      "  transfer_time <= 'epoch'::timestamptz + $4::bigint * interval '1 millisecond')",
      call_id, t.to, or_null(t.reason), t.at_ms);
}

std::optional<call_row> load_call(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      std::string("SELECT ") + call_columns + " FROM calls c WHERE id = $1", call_id);
  if (rows.empty()) return std::nullopt;
  return read_call(rows[0]);
}

std::vector<std::string> unfinished_call_ids(pqxx::work& tx) {
  auto rows = tx.exec("SELECT id FROM rm_unfinished_calls()");
  std::vector<std::string> out;
  for (const named_row r : rows) out.emplace_back(r["id"].c_str());
  return out;
}

// ---- calls in bulk ---------------------------------------------------------------------------------

std::string text_array(const std::vector<std::string>& xs) {
  // A plain loop over the characters: the tool log sends hundreds of JSON results (~40 quotes
  // each) per batch through here, and find_first_of (a memchr on its set per character) made
  // this ~3 % of a check_availability's machine time (issue 13, eighth round).
  std::size_t size = 2;
  for (const auto& x : xs) size += x.size() + 3;
  std::string out;
  out.reserve(size + size / 8);
  out += '{';
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (const char c : xs[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::pair<std::string, std::string>> call_orgs(
    pqxx::work& tx, const std::vector<std::string>& call_ids) {
  std::vector<std::pair<std::string, std::string>> out;
  if (call_ids.empty()) return out;
  auto rows = tx.exec_params(
      "SELECT t.id, o.org_id::text AS org_id FROM unnest($1::text[]) AS t(id),"
      " LATERAL (SELECT rm_call_org(t.id) AS org_id) o WHERE o.org_id IS NOT NULL",
      text_array(call_ids));
  out.reserve(rows.size());
  for (const named_row r : rows) out.emplace_back(r["id"].c_str(), r["org_id"].c_str());
  return out;
}

std::vector<call_row> load_calls(pqxx::work& tx, const std::vector<std::string>& call_ids) {
  std::vector<call_row> out;
  if (call_ids.empty()) return out;
  auto rows = tx.exec_params(
      std::string("SELECT ") + call_columns + " FROM calls c WHERE c.id = ANY($1::text[])",
      text_array(call_ids));
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_call(r));
  return out;
}

std::vector<std::pair<std::string, stored_event>> load_events_of_calls(
    pqxx::work& tx, const std::vector<std::string>& call_ids) {
  std::vector<std::pair<std::string, stored_event>> out;
  if (call_ids.empty()) return out;
  auto rows = tx.exec_params(std::string("SELECT call_id, ") + call_event_columns +
                                 " FROM call_events WHERE call_id = ANY($1::text[])"
                                 " ORDER BY call_id, id",
                             text_array(call_ids));
  out.reserve(rows.size());
  for (const named_row r : rows) out.emplace_back(r["call_id"].c_str(), read_event(r));
  return out;
}

std::vector<appointment> appointments_for_calls(pqxx::work& tx,
                                                const std::vector<std::string>& call_ids) {
  std::vector<appointment> out;
  if (call_ids.empty()) return out;
  auto rows = tx.exec_params(std::string("SELECT ") + detail::appointment_columns +
                                 " FROM appointments WHERE call_id = ANY($1::text[])"
                                 " ORDER BY call_id, created_at, id",
                             text_array(call_ids));
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(detail::read_appointment(r));
  return out;
}

}  // namespace rm::persistence
