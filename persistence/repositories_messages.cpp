// SQL behind repositories.hpp, section "contacts and messages": contacts upserted by phone, and
// the audit trail of every message sent or received. Readers take columns by name
// (detail::named_row).
#include "persistence/repositories.hpp"

#include <stdexcept>

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence {
namespace {

using detail::named_row;
using detail::optional_at;
using detail::or_null;
using detail::text;
using domain::is_uuid;

constexpr const char* message_columns =
    "org_id, contact_id, call_id, direction, method, recipient, content, status,"
    " service_provider, external_message_id, error_code, error_message,"
    " extract(epoch from sent_at)::bigint AS sent_at_s";

message_row read_message(named_row r) {
  message_row m;
  m.org_id = r["org_id"].c_str();
  m.contact_id = text(r["contact_id"]);
  m.call_id = text(r["call_id"]);
  m.direction = r["direction"].c_str();
  m.method = r["method"].c_str();
  m.recipient = r["recipient"].c_str();
  m.content = r["content"].c_str();
  m.status = r["status"].c_str();
  m.service_provider = r["service_provider"].c_str();
  m.external_message_id = text(r["external_message_id"]);
  m.error_code = text(r["error_code"]);
  m.error_message = text(r["error_message"]);
  m.sent_at = optional_at(r["sent_at_s"]);
  return m;
}

}  // namespace

std::string upsert_contact(pqxx::work& tx, const std::string& org_id, const std::string& e164,
                           const std::string& name) {
  const named_row r = tx.exec_params1(
      "INSERT INTO contacts (org_id, phone_e164, name) VALUES ($1, $2, $3)"
      " ON CONFLICT (org_id, phone_e164) DO UPDATE SET name ="
      " CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END"
      " RETURNING id",
      org_id, e164, name);
  return r["id"].c_str();
}

std::optional<std::string> contact_by_phone(pqxx::work& tx, const std::string& org_id,
                                            const std::string& e164) {
  if (!is_uuid(org_id)) return std::nullopt;
  auto rows = tx.exec_params("SELECT id FROM contacts WHERE org_id = $1 AND phone_e164 = $2",
                             org_id, e164);
  if (rows.empty()) return std::nullopt;
  return std::string{named_row{rows[0]}["id"].c_str()};
}

std::string insert_message(pqxx::work& tx, const message_row& m) {
  std::optional<std::int64_t> sent;
  if (m.sent_at) sent = to_epoch(*m.sent_at);
  const named_row r = tx.exec_params1(
      "INSERT INTO messages (org_id, contact_id, call_id, direction, method, recipient,"
      " content, status, service_provider, external_message_id, error_code, error_message,"
      " sent_at, subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
      " to_timestamp($13), $14) RETURNING id",
      m.org_id, or_null(m.contact_id), or_null(m.call_id), m.direction, m.method, m.recipient,
      m.content, m.status, m.service_provider, or_null(m.external_message_id),
      or_null(m.error_code), or_null(m.error_message), sent, or_null(m.subject));
  return r["id"].c_str();
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
  detail::lock_key(tx, "rm.sms:" + call_id);
  const named_row r = tx.exec_params1(
      "SELECT count(*) AS attempts FROM messages WHERE call_id = $1 AND direction = 'outbound'"
      " AND method = 'sms' AND status <> 'refused'",
      call_id);
  return r["attempts"].as<int>();
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
