#include "persistence/twilio_queries.hpp"

#include "persistence/detail/rows.hpp"

namespace rm::persistence {

using detail::named_row;
using detail::or_null;

std::optional<number_owner> find_number_owner(pqxx::work& tx, const std::string& e164) {
  if (e164.empty()) return std::nullopt;
  auto rows = tx.exec_params("SELECT org_id, active FROM rm_number_owner($1)", e164);
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  return number_owner{r["org_id"].c_str(), r["active"].as<bool>()};
}

voice_destinations load_voice_destinations(pqxx::work& tx, const std::string& org_id) {
  auto rows = tx.exec_params(
      "SELECT agent_sip_uri, fallback_number FROM organizations WHERE id = $1::uuid", org_id);
  if (rows.empty()) return {};
  const named_row r = rows[0];
  return {r["agent_sip_uri"].c_str(), r["fallback_number"].c_str()};
}

void save_voice_destinations(pqxx::work& tx, const std::string& org_id,
                             const voice_destinations& d) {
  tx.exec_params0(
      "UPDATE organizations SET agent_sip_uri = $2, fallback_number = $3 WHERE id = $1::uuid",
      org_id, d.agent_sip_uri, d.fallback_number);
}

std::optional<std::string> call_id_by_provider_sid(pqxx::work& tx, const std::string& call_sid) {
  auto rows = tx.exec_params(
      "SELECT id FROM calls WHERE provider_call_sid = $1 ORDER BY created_at, id LIMIT 1",
      call_sid);
  if (rows.empty()) return std::nullopt;
  return std::string{named_row{rows[0]}["id"].c_str()};
}

void record_call_duration(pqxx::work& tx, const std::string& call_id, double seconds) {
  tx.exec_params0(
      "UPDATE calls SET duration_seconds = $2::numeric WHERE id = $1 AND duration_seconds IS NULL",
      call_id, pqxx::to_string(seconds));
}

bool insert_inbound_message(pqxx::work& tx, const message_row& m) {
  auto rows = tx.exec_params(
      "INSERT INTO messages (org_id, contact_id, call_id, direction, method, recipient, content,"
      " status, service_provider, external_message_id)"
      " VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, $8, $9)"
      " ON CONFLICT (org_id, external_message_id)"
      "   WHERE direction = 'inbound' AND external_message_id IS NOT NULL DO NOTHING"
      " RETURNING id",
      m.org_id, or_null(m.contact_id), or_null(m.call_id), m.method, m.recipient, m.content,
      m.status, m.service_provider, or_null(m.external_message_id));
  return !rows.empty();
}

void set_contact_opt_out(pqxx::work& tx, const std::string& contact_id, bool opted_out) {
  tx.exec_params0("UPDATE contacts SET opted_out = $2 WHERE id = $1::uuid", contact_id,
                  opted_out);
}

bool contact_opted_out(pqxx::work& tx, const std::string& org_id, const std::string& e164) {
  auto rows = tx.exec_params(
      "SELECT opted_out FROM contacts WHERE org_id = $1::uuid AND phone_e164 = $2", org_id, e164);
  return !rows.empty() && named_row{rows[0]}["opted_out"].as<bool>();
}

}  // namespace rm::persistence
