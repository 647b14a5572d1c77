// SQL behind repositories.hpp. Values always travel as parameters ($n); instants cross the wire
// as epoch seconds (to_timestamp / extract(epoch …)), call-event times as epoch milliseconds.
#include "persistence/repositories.hpp"

#include "persistence/credentials.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence {
namespace {

using detail::or_null;
using detail::text;
using domain::is_uuid;

// libpqxx 6.4 issues a subtransaction's SAVEPOINT lazily, on its first exec(); exec_params()
// skips that step and would run in the outer transaction, so a failure would abort the caller's
// whole transaction. Open the savepoint explicitly.
pqxx::subtransaction& begun(pqxx::subtransaction& sub) {
  sub.exec("SELECT 1");
  return sub;
}

// Concurrent inserts into one exclusion constraint can deadlock: each checker waits for the
// other's uncommitted row. Writers of one tenant's calendar therefore queue on a transaction-level
// advisory lock (released at commit/rollback); the constraint stays the guarantee.
void lock_calendar(pqxx::work& tx, const std::string& org_id) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended('rm.calendar:' || $1, 0))",
                 org_id);
}

std::optional<std::string> optional_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string{f.c_str()};
}

std::int64_t int64_or_zero(const pqxx::field& f) {
  return f.is_null() ? 0 : f.as<std::int64_t>();
}

std::optional<double> optional_double(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

std::optional<std::string> number_param(const std::optional<double>& d) {
  if (!d) return std::nullopt;
  return pqxx::to_string(*d);
}

domain::call_event_kind kind_from_string(const std::string& s) {
  using k = domain::call_event_kind;
  for (k kind : {k::status, k::report, k::booking, k::hang}) {
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

appointment_status status_from_string(const std::string& s) {
  using st = appointment_status;
  for (st status : {st::held, st::booked, st::cancelled, st::expired}) {
    if (s == to_string(status)) return status;
  }
  throw std::runtime_error("appointments: unknown status '" + s + "'");
}

// ---- row readers (column lists kept next to the functions that read them) ----

constexpr const char* route_columns =
    "org_id, phone_number_id, e164, label, coalesce(vapi_phone_number_id, '')";

number_route read_route(const pqxx::row& r) {
  return {r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str()};
}

constexpr const char* appointment_columns =
    "id, org_id, call_id, tool_call_id, contact_id, status, "
    "extract(epoch from starts_at)::bigint, extract(epoch from ends_at)::bigint, "
    "extract(epoch from blocked_until)::bigint, extract(epoch from hold_expires_at)::bigint";

appointment read_appointment(const pqxx::row& r) {
  appointment a;
  a.id = r[0].c_str();
  a.org_id = r[1].c_str();
  a.call_id = text(r[2]);
  a.tool_call_id = text(r[3]);
  a.contact_id = text(r[4]);
  a.status = status_from_string(r[5].c_str());
  a.starts_at = from_epoch(r[6].as<std::int64_t>());
  a.ends_at = from_epoch(r[7].as<std::int64_t>());
  a.blocked_until = from_epoch(r[8].as<std::int64_t>());
  if (!r[9].is_null()) a.hold_expires_at = from_epoch(r[9].as<std::int64_t>());
  return a;
}

constexpr const char* message_columns =
    "org_id, contact_id, call_id, direction, method, recipient, content, status, "
    "service_provider, external_message_id, error_code, error_message, "
    "extract(epoch from sent_at)::bigint";

message_row read_message(const pqxx::row& r) {
  message_row m;
  m.org_id = r[0].c_str();
  m.contact_id = text(r[1]);
  m.call_id = text(r[2]);
  m.direction = r[3].c_str();
  m.method = r[4].c_str();
  m.recipient = r[5].c_str();
  m.content = r[6].c_str();
  m.status = r[7].c_str();
  m.service_provider = r[8].c_str();
  m.external_message_id = text(r[9]);
  m.error_code = text(r[10]);
  m.error_message = text(r[11]);
  if (!r[12].is_null()) m.sent_at = from_epoch(r[12].as<std::int64_t>());
  return m;
}

}  // namespace

const char* to_string(appointment_status s) {
  switch (s) {
    case appointment_status::held: return "held";
    case appointment_status::booked: return "booked";
    case appointment_status::cancelled: return "cancelled";
    case appointment_status::expired: return "expired";
  }
  return "held";
}

std::int64_t to_epoch(domain::instant t) { return t.time_since_epoch().count(); }
domain::instant from_epoch(std::int64_t seconds) {
  return domain::instant{std::chrono::seconds{seconds}};
}

// ---- tenants and numbers --------------------------------------------------------------------

void set_tenant(pqxx::work& tx, const std::string& org_id) {
  tx.exec_params("SELECT set_config('ringmaster.org_id', $1, true)", org_id);
}

std::optional<std::string> call_org(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params("SELECT rm_call_org($1)", call_id);
  if (rows.empty() || rows[0][0].is_null()) return std::nullopt;
  return std::string{rows[0][0].c_str()};
}

create_tenant_result create_tenant(pqxx::work& tx, const new_tenant& t) {
  create_tenant_result result;
  // The id comes first so that the transaction can name its tenant before writing its rows.
  result.org_id = tx.exec1("SELECT gen_random_uuid()")[0].c_str();
  set_tenant(tx, result.org_id);
  pqxx::subtransaction sub{tx, "create_tenant"};
  begun(sub);
  const auto& r = t.rules;
  sub.exec_params0(
      "INSERT INTO organizations (id, name, time_zone, working_hours, slot_minutes,"
      " buffer_minutes, min_notice_minutes, hold_minutes, assistant_id)"
      " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9)",
      result.org_id, t.name, r.time_zone, domain::working_hours_to_json(r).dump(),
      r.slot_minutes, r.buffer_minutes, r.min_notice_minutes, r.hold_minutes, t.assistant_id);
  for (const auto& n : t.numbers) {
    bool taken = false;
    try {
      // One savepoint per number, so the conflicting one can be named.
      pqxx::subtransaction one{sub, "tenant_number"};
      begun(one);
      one.exec_params0(
          "INSERT INTO phone_numbers (org_id, e164, label, vapi_phone_number_id)"
          " VALUES ($1, $2, $3, $4)",
          result.org_id, n.e164, n.label, or_null(n.vapi_phone_number_id));
      one.commit();
    } catch (const pqxx::unique_violation&) {
      // phone_numbers_active_e164 or (migration 009) phone_numbers_active_vapi_id_unique.
      taken = true;
    }
    if (taken) {
      // Which one: the number when it is active anywhere, else the Vapi id.
      bool number = !sub.exec_params("SELECT 1 FROM rm_route_by_number($1)", n.e164).empty();
      sub.abort();
      if (number) return {"", create_tenant_error::number_taken, n.e164, ""};
      return {"", create_tenant_error::vapi_id_taken, "", n.vapi_phone_number_id};
    }
  }
  if (t.twilio) {
    // Sealed under the master key (org_credentials, persistence/credentials.hpp).
    store_twilio_credential(sub, result.org_id, t.twilio->account_sid, t.twilio->auth_token, "",
                            "");
  }
  sub.commit();
  return result;
}

std::optional<tenant_record> load_tenant(pqxx::work& tx, const std::string& org_id) {
  if (!is_uuid(org_id)) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT id, name, time_zone, working_hours::text, slot_minutes, buffer_minutes,"
      " min_notice_minutes, hold_minutes, assistant_id FROM organizations WHERE id = $1",
      org_id);
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  tenant_record t;
  t.id = row[0].c_str();
  t.name = row[1].c_str();
  t.rules.time_zone = row[2].c_str();
  const std::string error =
      domain::working_hours_from_json(nlohmann::json::parse(row[3].c_str()), t.rules);
  if (!error.empty()) {
    throw std::runtime_error("organizations " + t.id + ": bad working_hours: " + error);
  }
  t.rules.slot_minutes = row[4].as<int>();
  t.rules.buffer_minutes = row[5].as<int>();
  t.rules.min_notice_minutes = row[6].as<int>();
  t.rules.hold_minutes = row[7].as<int>();
  t.assistant_id = row[8].c_str();
  return t;
}

std::optional<number_route> find_route_by_number(pqxx::work& tx, const std::string& e164) {
  auto rows = tx.exec_params(std::string("SELECT ") + route_columns +
                                 " FROM rm_route_by_number($1)",
                             e164);
  if (rows.empty()) return std::nullopt;
  return read_route(rows[0]);
}

std::optional<number_route> find_route_by_vapi_id(pqxx::work& tx, const std::string& vapi_id) {
  if (vapi_id.empty()) return std::nullopt;
  // Not unique by constraint (Vapi owns these ids); the oldest active row wins deterministically.
  auto rows = tx.exec_params(std::string("SELECT ") + route_columns +
                                 " FROM rm_route_by_vapi_id($1) ORDER BY phone_number_id LIMIT 1",
                             vapi_id);
  if (rows.empty()) return std::nullopt;
  return read_route(rows[0]);
}

std::vector<tenant_summary> list_tenants(pqxx::work& tx) {
  auto rows = tx.exec(
      "SELECT t.id, t.name, t.time_zone, n.e164 FROM rm_list_tenants() WITH ORDINALITY AS t"
      " (id, name, time_zone, numbers, ord)"
      " LEFT JOIN LATERAL unnest(t.numbers) AS n (e164) ON true ORDER BY t.ord, n.e164");
  std::vector<tenant_summary> out;
  for (const auto& r : rows) {
    if (out.empty() || out.back().id != r[0].c_str()) {
      out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), {}});
    }
    if (!r[3].is_null()) out.back().numbers.push_back(r[3].c_str());
  }
  return out;
}

// ---- calls and their events ------------------------------------------------------------------

void ensure_call(pqxx::work& tx, const call_identity& c) {
  tx.exec_params0(
      "INSERT INTO calls (id, org_id, direction, caller, dialled, provider_call_sid)"
      " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
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
  auto rows = tx.exec_params(
      "SELECT kind, status, ended_reason, occurred_at_ms, dedup_key, coalesce(payload::text, ''),"
      " (extract(epoch from received_at) * 1000)::bigint"
      " FROM call_events WHERE call_id = $1 ORDER BY id",
      call_id);
  std::vector<stored_event> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    stored_event s;
    s.event.kind = kind_from_string(r[0].c_str());
    s.event.status = state_from_string(r[1].c_str());
    s.event.ended_reason = r[2].c_str();
    s.event.occurred_at_ms = r[3].as<std::int64_t>();
    s.event.dedup_key = r[4].c_str();
    s.payload_json = r[5].c_str();
    s.received_at_ms = r[6].as<std::int64_t>();
    out.push_back(std::move(s));
  }
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
      " reported_at = CASE WHEN $2 = 'reported' THEN coalesce(reported_at, now()) END"
      " WHERE id = $1",
      call_id, domain::to_string(p.state), or_null(domain::to_string(p.outcome)),
      or_null(p.ended_reason), p.started_at_ms, p.ended_at_ms);
}

void save_report(pqxx::work& tx, const std::string& call_id, const call_report& r) {
  tx.exec_params0(
      "UPDATE calls SET ended_reason = coalesce($2, ended_reason), transcript = $3, summary = $4,"
      " recording_url = $5, duration_seconds = $6::numeric, cost_usd = $7::numeric,"
      " success_evaluation = $8, structured_data = $9::jsonb WHERE id = $1",
      call_id, or_null(r.ended_reason), or_null(r.transcript), or_null(r.summary),
      or_null(r.recording_url), number_param(r.duration_seconds), number_param(r.cost_usd),
      or_null(r.success_evaluation), or_null(r.structured_data_json));
}

std::optional<call_row> load_call(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      "SELECT id, org_id, direction, caller, dialled, provider_call_sid, state, outcome,"
      " ended_reason, (extract(epoch from started_at) * 1000)::bigint,"
      " (extract(epoch from ended_at) * 1000)::bigint,"
      " EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'booking'),"
      " transcript, summary, recording_url, duration_seconds::float8, cost_usd::float8,"
      " success_evaluation, structured_data::text,"
      " (extract(epoch from created_at) * 1000)::bigint"
      " FROM calls c WHERE id = $1",
      call_id);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  call_row c;
  c.identity = {r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(), text(r[5])};
  c.projection.state = state_from_string(r[6].c_str());
  c.projection.outcome = outcome_from_string(text(r[7]));
  c.projection.ended_reason = text(r[8]);
  c.projection.started_at_ms = int64_or_zero(r[9]);
  c.projection.ended_at_ms = int64_or_zero(r[10]);
  c.projection.booked = r[11].as<bool>() || c.projection.outcome == domain::call_outcome::booked;
  c.report.ended_reason = text(r[8]);
  c.report.transcript = text(r[12]);
  c.report.summary = text(r[13]);
  c.report.recording_url = text(r[14]);
  c.report.duration_seconds = optional_double(r[15]);
  c.report.cost_usd = optional_double(r[16]);
  c.report.success_evaluation = text(r[17]);
  c.report.structured_data_json = text(r[18]);
  c.created_at_ms = r[19].as<std::int64_t>();
  return c;
}

std::vector<std::string> unfinished_call_ids(pqxx::work& tx) {
  auto rows = tx.exec("SELECT id FROM rm_unfinished_calls()");
  std::vector<std::string> out;
  for (const auto& r : rows) out.emplace_back(r[0].c_str());
  return out;
}

// ---- tool invocations -------------------------------------------------------------------------

claim claim_tool_call(pqxx::work& tx, const std::string& call_id, const std::string& tool_call_id,
                      const std::string& org_id, const std::string& name,
                      const std::string& arguments_json) {
  // Under READ COMMITTED the INSERT waits for a concurrent inserter of the same key; the SELECT
  // after it runs on a fresh snapshot, so it sees that winner's committed result.
  auto inserted = tx.exec_params(
      "INSERT INTO tool_invocations (call_id, tool_call_id, org_id, name, arguments)"
      " VALUES ($1, $2, $3, $4, $5::jsonb)"
      " ON CONFLICT (call_id, tool_call_id) DO NOTHING RETURNING true",
      call_id, tool_call_id, org_id, name, or_null(arguments_json));
  if (!inserted.empty()) return {true, std::nullopt};
  auto rows = tx.exec_params(
      "SELECT result, is_error FROM tool_invocations WHERE call_id = $1 AND tool_call_id = $2",
      call_id, tool_call_id);
  claim c;
  if (!rows.empty() && !rows[0][0].is_null()) {
    c.stored = tool_outcome{rows[0][0].c_str(), rows[0][1].as<bool>()};
  }
  return c;
}

void complete_tool_call(pqxx::work& tx, const std::string& call_id,
                        const std::string& tool_call_id, const tool_outcome& outcome) {
  auto r = tx.exec_params(
      "UPDATE tool_invocations SET result = $3, is_error = $4, completed_at = now()"
      " WHERE call_id = $1 AND tool_call_id = $2",
      call_id, tool_call_id, outcome.result, outcome.is_error);
  if (r.affected_rows() != 1) {
    throw std::logic_error("complete_tool_call: " + call_id + "/" + tool_call_id +
                           " was never claimed");
  }
}

namespace {
// A text[] literal for a bound parameter (libpqxx 6 has no array conversion): every element
// double-quoted, with backslash and quote escaped, so any content round-trips.
std::string pg_text_array(const std::vector<std::string>& xs) {
  std::string out = "{";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : xs[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}
}  // namespace

void insert_completed_tool_calls(pqxx::work& tx, const std::vector<completed_tool_call>& rows) {
  if (rows.empty()) return;
  // One statement for the whole batch: arrays in, unnest out.
  std::vector<std::string> call_ids, ids, orgs, names, args, results;
  std::vector<std::string> errors;
  for (const auto& r : rows) {
    call_ids.push_back(r.call_id);
    ids.push_back(r.tool_call_id);
    orgs.push_back(r.org_id);
    names.push_back(r.name);
    args.push_back(r.arguments_json.empty() ? "null" : r.arguments_json);
    results.push_back(r.outcome.result);
    errors.push_back(r.outcome.is_error ? "t" : "f");
  }
  tx.exec_params(
      "INSERT INTO tool_invocations (call_id, tool_call_id, org_id, name, arguments, result,"
      " is_error, completed_at)"
      " SELECT c, t, o::uuid, n, a::jsonb, r, e::boolean, now()"
      " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
      " $7::text[]) AS u (c, t, o, n, a, r, e)"
      " ON CONFLICT (call_id, tool_call_id) DO NOTHING",
      pg_text_array(call_ids), pg_text_array(ids), pg_text_array(orgs), pg_text_array(names),
      pg_text_array(args), pg_text_array(results), pg_text_array(errors));
}

std::vector<std::pair<std::string, tool_outcome>> completed_tool_calls_of(
    pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      "SELECT tool_call_id, result, is_error FROM tool_invocations"
      " WHERE call_id = $1 AND result IS NOT NULL",
      call_id);
  std::vector<std::pair<std::string, tool_outcome>> out;
  for (const auto& r : rows)
    out.emplace_back(r[0].c_str(), tool_outcome{r[1].c_str(), r[2].as<bool>()});
  return out;
}

// ---- appointments -------------------------------------------------------------------------------

std::vector<domain::busy_interval> busy_between(pqxx::work& tx, const std::string& org_id,
                                                domain::instant from, domain::instant to,
                                                domain::instant now) {
  if (to <= from || !is_uuid(org_id)) return {};
  auto rows = tx.exec_params(
      "SELECT extract(epoch from starts_at)::bigint, extract(epoch from blocked_until)::bigint"
      " FROM appointments WHERE org_id = $1 AND status IN ('held', 'booked')"
      " AND (status = 'booked' OR hold_expires_at > to_timestamp($4))"
      " AND tstzrange(starts_at, blocked_until, '[)')"
      "  && tstzrange(to_timestamp($2), to_timestamp($3), '[)')"
      " ORDER BY starts_at",
      org_id, to_epoch(from), to_epoch(to), to_epoch(now));
  std::vector<domain::busy_interval> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({from_epoch(r[0].as<std::int64_t>()), from_epoch(r[1].as<std::int64_t>())});
  }
  return out;
}

std::vector<std::string> expire_holds(pqxx::work& tx, const std::string& org_id,
                                      domain::instant now,
                                      std::optional<domain::busy_interval> only_overlapping) {
  if (!is_uuid(org_id)) return {};
  lock_calendar(tx, org_id);  // before touching rows, so the lock order is always the same
  pqxx::result rows;
  if (only_overlapping && only_overlapping->end > only_overlapping->start) {
    rows = tx.exec_params(
        "UPDATE appointments SET status = 'expired' WHERE org_id = $1 AND status = 'held'"
        " AND hold_expires_at <= to_timestamp($2)"
        " AND tstzrange(starts_at, blocked_until, '[)')"
        "  && tstzrange(to_timestamp($3), to_timestamp($4), '[)')"
        " RETURNING id",
        org_id, to_epoch(now), to_epoch(only_overlapping->start),
        to_epoch(only_overlapping->end));
  } else if (only_overlapping) {
    return {};  // an empty range overlaps nothing
  } else {
    rows = tx.exec_params(
        "UPDATE appointments SET status = 'expired' WHERE org_id = $1 AND status = 'held'"
        " AND hold_expires_at <= to_timestamp($2) RETURNING id",
        org_id, to_epoch(now));
  }
  std::vector<std::string> out;
  for (const auto& r : rows) out.emplace_back(r[0].c_str());
  return out;
}

insert_result insert_appointment(pqxx::work& tx, const appointment& a) {
  std::optional<std::int64_t> hold;
  if (a.hold_expires_at) hold = to_epoch(*a.hold_expires_at);
  lock_calendar(tx, a.org_id);
  try {
    // A savepoint: the exclusion violation must not poison the caller's transaction.
    pqxx::subtransaction sub{tx, "insert_appointment"};
    begun(sub);
    auto r = sub.exec_params1(
        std::string("INSERT INTO appointments (org_id, contact_id, call_id, tool_call_id, status,"
                    " starts_at, ends_at, blocked_until, hold_expires_at)"
                    " VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($7),"
                    " to_timestamp($8), to_timestamp($9)) RETURNING ") +
            appointment_columns,
        a.org_id, or_null(a.contact_id), or_null(a.call_id), or_null(a.tool_call_id),
        to_string(a.status), to_epoch(a.starts_at), to_epoch(a.ends_at),
        to_epoch(a.blocked_until), hold);
    insert_result result{read_appointment(r), insert_error::none};
    sub.commit();
    return result;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "23P01") return {std::nullopt, insert_error::overlaps};
    throw;
  }
}

std::optional<appointment> find_appointment(pqxx::work& tx, const std::string& org_id,
                                            const std::string& id) {
  if (!is_uuid(org_id) || !is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string("SELECT ") + appointment_columns +
                                 " FROM appointments WHERE org_id = $1 AND id = $2",
                             org_id, id);
  if (rows.empty()) return std::nullopt;
  return read_appointment(rows[0]);
}

bool book_held(pqxx::work& tx, const std::string& appointment_id, const std::string& contact_id) {
  if (!is_uuid(appointment_id)) return false;
  // A row still 'held' is still protected by the exclusion constraint, so booking it is safe
  // even a moment after hold_expires_at.
  auto r = tx.exec_params(
      "UPDATE appointments SET status = 'booked', contact_id = $2, hold_expires_at = NULL"
      " WHERE id = $1 AND status = 'held'",
      appointment_id, or_null(contact_id));
  return r.affected_rows() == 1;
}

std::vector<appointment> appointments_for_call(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + appointment_columns +
                                 " FROM appointments WHERE call_id = $1 ORDER BY created_at, id",
                             call_id);
  std::vector<appointment> out;
  for (const auto& r : rows) out.push_back(read_appointment(r));
  return out;
}

std::optional<domain::instant> next_hold_expiry(pqxx::work& tx, const std::string& org_id) {
  if (!is_uuid(org_id)) return std::nullopt;
  // Includes holds already past due but not yet marked: the timer should fire at once for them.
  auto r = tx.exec_params1(
      "SELECT extract(epoch from min(hold_expires_at))::bigint FROM appointments"
      " WHERE org_id = $1 AND status = 'held'",
      org_id);
  if (r[0].is_null()) return std::nullopt;
  return from_epoch(r[0].as<std::int64_t>());
}

// ---- contacts and messages --------------------------------------------------------------------

std::string upsert_contact(pqxx::work& tx, const std::string& org_id, const std::string& e164,
                           const std::string& name) {
  return tx
      .exec_params1(
          "INSERT INTO contacts (org_id, phone_e164, name) VALUES ($1, $2, $3)"
          " ON CONFLICT (org_id, phone_e164) DO UPDATE SET name ="
          " CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END"
          " RETURNING id",
          org_id, e164, name)[0]
      .c_str();
}

std::optional<std::string> contact_by_phone(pqxx::work& tx, const std::string& org_id,
                                            const std::string& e164) {
  if (!is_uuid(org_id)) return std::nullopt;
  auto rows = tx.exec_params("SELECT id FROM contacts WHERE org_id = $1 AND phone_e164 = $2",
                             org_id, e164);
  if (rows.empty()) return std::nullopt;
  return optional_text(rows[0][0]);
}

std::string insert_message(pqxx::work& tx, const message_row& m) {
  std::optional<std::int64_t> sent;
  if (m.sent_at) sent = to_epoch(*m.sent_at);
  return tx
      .exec_params1(
          "INSERT INTO messages (org_id, contact_id, call_id, direction, method, recipient,"
          " content, status, service_provider, external_message_id, error_code, error_message,"
          " sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13))"
          " RETURNING id",
          m.org_id, or_null(m.contact_id), or_null(m.call_id), m.direction, m.method,
          m.recipient, m.content, m.status, m.service_provider, or_null(m.external_message_id),
          or_null(m.error_code), or_null(m.error_message), sent)[0]
      .c_str();
}

std::vector<message_row> messages_for_call(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + message_columns +
                                 " FROM messages WHERE call_id = $1 ORDER BY created_at, id",
                             call_id);
  std::vector<message_row> out;
  for (const auto& r : rows) out.push_back(read_message(r));
  return out;
}

int sms_attempts_of_call(pqxx::work& tx, const std::string& call_id) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended('rm.sms:' || $1, 0))", call_id);
  return tx
      .exec_params1("SELECT count(*) FROM messages WHERE call_id = $1 AND direction = 'outbound'"
                    " AND method = 'sms' AND status <> 'refused'",
                    call_id)[0]
      .as<int>();
}

void update_message_outcome(pqxx::work& tx, const std::string& message_id, const message_row& m) {
  std::optional<std::int64_t> sent;
  if (m.sent_at) sent = to_epoch(*m.sent_at);
  auto r = tx.exec_params(
      "UPDATE messages SET status = $2, external_message_id = $3, error_code = $4,"
      " error_message = $5, sent_at = to_timestamp($6) WHERE id = $1",
      message_id, m.status, or_null(m.external_message_id), or_null(m.error_code),
      or_null(m.error_message), sent);
  if (r.affected_rows() != 1)
    throw std::logic_error("update_message_outcome: no message " + message_id);
}

}  // namespace rm::persistence
