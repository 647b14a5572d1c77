// SQL behind repositories.hpp: tenancy, tenants and their numbers, and the time conversions.
// The other sections live next to it by responsibility: repositories_calls.cpp (calls and their
// events), repositories_tool_calls.cpp (tool invocations), repositories_appointments.cpp
// (appointments and the calendar lock), repositories_messages.cpp (contacts and messages).
// Values always travel as parameters ($n); instants cross the wire as epoch seconds
// (to_timestamp / extract(epoch …)), call-event times as epoch milliseconds. Readers take columns
// by name (detail::named_row), so every selected expression carries an alias.
#include "persistence/repositories.hpp"

#include "persistence/credentials.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence {
namespace {

using detail::begun;
using detail::named_row;
using detail::or_null;
using domain::is_uuid;

constexpr const char* route_columns =
    "org_id, phone_number_id, e164, label,"
    " coalesce(vapi_phone_number_id, '') AS vapi_phone_number_id";

number_route read_route(named_row r) {
  return {r["org_id"].c_str(), r["phone_number_id"].c_str(), r["e164"].c_str(),
          r["label"].c_str(), r["vapi_phone_number_id"].c_str()};
}

}  // namespace

std::int64_t to_epoch(domain::instant t) { return t.time_since_epoch().count(); }
domain::instant from_epoch(std::int64_t seconds) {
  return domain::instant{std::chrono::seconds{seconds}};
}

// ---- tenants and numbers --------------------------------------------------------------------

void set_tenant(pqxx::work& tx, const std::string& org_id) {
  tx.exec_params("SELECT set_config('ringmaster.org_id', $1, true)", org_id);
}

void in_tenant(pqxx::connection& c, const std::string& org_id,
               const std::function<bool(pqxx::work&)>& work) {
  pqxx::work tx{c};
  set_tenant(tx, org_id);
  if (work(tx)) tx.commit();
}

std::optional<std::string> call_org(pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params("SELECT rm_call_org($1) AS org_id", call_id);
  if (rows.empty()) return std::nullopt;
  return detail::optional_as<std::string>(named_row{rows[0]}["org_id"]);
}

create_tenant_result create_tenant(pqxx::work& tx, const new_tenant& t) {
  create_tenant_result result;
  // The id comes first so that the transaction can name its tenant before writing its rows.
  result.org_id = named_row{tx.exec1("SELECT gen_random_uuid() AS id")}["id"].c_str();
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
      "SELECT id, name, time_zone, working_hours::text AS working_hours, slot_minutes,"
      " buffer_minutes, min_notice_minutes, hold_minutes, assistant_id"
      " FROM organizations WHERE id = $1",
      org_id);
  if (rows.empty()) return std::nullopt;
  const named_row row = rows[0];
  tenant_record t;
  t.id = row["id"].c_str();
  t.name = row["name"].c_str();
  t.rules.time_zone = row["time_zone"].c_str();
  const std::string error = domain::working_hours_from_json(
      nlohmann::json::parse(row["working_hours"].c_str()), t.rules);
  if (!error.empty()) {
    throw std::runtime_error("organizations " + t.id + ": bad working_hours: " + error);
  }
  t.rules.slot_minutes = row["slot_minutes"].as<int>();
  t.rules.buffer_minutes = row["buffer_minutes"].as<int>();
  t.rules.min_notice_minutes = row["min_notice_minutes"].as<int>();
  t.rules.hold_minutes = row["hold_minutes"].as<int>();
  t.assistant_id = row["assistant_id"].c_str();
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
  for (const named_row r : rows) {
    if (out.empty() || out.back().id != r["id"].c_str()) {
      out.push_back({r["id"].c_str(), r["name"].c_str(), r["time_zone"].c_str(), {}});
    }
    if (!r["e164"].is_null()) out.back().numbers.push_back(r["e164"].c_str());
  }
  return out;
}

}  // namespace rm::persistence
