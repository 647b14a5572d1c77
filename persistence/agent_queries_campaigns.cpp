// SQL behind agent_queries.hpp, sections "campaigns" and "call-back" (notifications and agents
// are in agent_queries.cpp). Every statement filters on rm_current_org() as well as relying on
// row-level security (see tenant_queries.cpp for why). Readers take columns by name.
#include "persistence/agent_queries.hpp"

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::named_row;
using detail::or_null;

// ---- campaigns ----

std::vector<campaign_number> numbers_of(pqxx::work& tx, const std::string& campaign_id) {
  auto rows = tx.exec_params(
      "SELECT p.id, p.e164, coalesce(p.vapi_phone_number_id, '') AS vapi_phone_number_id,"
      " p.active"
      " FROM campaign_numbers c JOIN phone_numbers p ON p.id = c.phone_number_id"
      " WHERE c.campaign_id = $1 AND c.org_id = rm_current_org()"
      " ORDER BY p.created_at, p.e164, p.id",
      campaign_id);
  std::vector<campaign_number> out;
  for (const named_row r : rows) {
    out.push_back({r["id"].c_str(), r["e164"].c_str(), r["vapi_phone_number_id"].c_str(),
                   r["active"].as<bool>()});
  }
  return out;
}

constexpr const char* campaign_columns =
    "c.id, c.name, c.description, coalesce(c.created_by, '') AS created_by,"
    " extract(epoch from c.created_at)::bigint AS created_at_s,"
    " (SELECT count(*) FROM contacts k WHERE k.campaign_id = c.id AND k.org_id = c.org_id)"
    "   AS contact_count";

campaign_row read_campaign(pqxx::work& tx, named_row r) {
  campaign_row c;
  c.id = r["id"].c_str();
  c.name = r["name"].c_str();
  c.description = r["description"].c_str();
  c.created_by = r["created_by"].c_str();
  c.created_at = at(r["created_at_s"]);
  c.contact_count = r["contact_count"].as<std::int64_t>();
  c.numbers = numbers_of(tx, c.id);
  return c;
}

// ---- call-back ----

// Active, imported into Vapi; the caller adds the rest of the WHERE clause.
constexpr const char* candidate_select =
    "SELECT p.id, p.e164, p.vapi_phone_number_id FROM phone_numbers p"
    " WHERE p.org_id = rm_current_org() AND p.active AND p.vapi_phone_number_id IS NOT NULL"
    " AND p.vapi_phone_number_id <> ''";

std::vector<domain::caller_candidate> read_candidates(const pqxx::result& rows) {
  std::vector<domain::caller_candidate> out;
  for (const named_row r : rows) {
    out.push_back({r["id"].c_str(), r["e164"].c_str(), r["vapi_phone_number_id"].c_str()});
  }
  return out;
}

}  // namespace

// ---- campaigns ----------------------------------------------------------------------------------

std::optional<campaign_row> create_campaign(pqxx::work& tx, const std::string& org_id,
                                            const std::string& user_id, const std::string& name,
                                            const std::string& description) {
  auto rows = tx.exec_params(
      "INSERT INTO campaigns (org_id, name, description, created_by) VALUES ($1, $2, $3, $4)"
      " ON CONFLICT (org_id, name) DO NOTHING RETURNING id",
      org_id, name, description, or_null(user_id));
  if (rows.empty()) return std::nullopt;
  return load_campaign(tx, named_row{rows[0]}["id"].c_str());
}

std::vector<campaign_row> list_campaigns(pqxx::work& tx) {
  auto rows = tx.exec(std::string{"SELECT "} + campaign_columns +
                      " FROM campaigns c WHERE c.org_id = rm_current_org()"
                      " ORDER BY c.created_at, c.id");
  std::vector<campaign_row> out;
  for (const auto& r : rows) out.push_back(read_campaign(tx, r));
  return out;
}

std::optional<campaign_row> load_campaign(pqxx::work& tx, const std::string& id) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"SELECT "} + campaign_columns +
                                 " FROM campaigns c WHERE c.id = $1 AND c.org_id = rm_current_org()",
                             id);
  if (rows.empty()) return std::nullopt;
  return read_campaign(tx, rows[0]);
}

link_outcome link_campaign_number(pqxx::work& tx, const std::string& org_id,
                                  const std::string& campaign_id,
                                  const std::string& phone_number_id, const std::string& user_id) {
  if (!domain::is_uuid(campaign_id) ||
      tx.exec_params("SELECT 1 FROM campaigns WHERE id = $1 AND org_id = rm_current_org()"
                     " FOR UPDATE",
                     campaign_id)
          .empty())
    return link_outcome::campaign_not_found;
  if (!domain::is_uuid(phone_number_id) ||
      tx.exec_params("SELECT 1 FROM phone_numbers WHERE id = $1 AND org_id = rm_current_org()"
                     " AND active FOR UPDATE",
                     phone_number_id)
          .empty())
    return link_outcome::number_not_found;
  // The number row is locked above, so two links of the same number queue here.
  auto existing = tx.exec_params(
      "SELECT campaign_id FROM campaign_numbers WHERE phone_number_id = $1"
      " AND org_id = rm_current_org()",
      phone_number_id);
  if (!existing.empty())
    return named_row{existing[0]}["campaign_id"].c_str() == campaign_id
               ? link_outcome::already_linked
               : link_outcome::in_other_campaign;
  tx.exec_params0("INSERT INTO campaign_numbers (phone_number_id, campaign_id, org_id, created_by)"
                  " VALUES ($1, $2, $3, $4)",
                  phone_number_id, campaign_id, org_id, or_null(user_id));
  return link_outcome::linked;
}

bool unlink_campaign_number(pqxx::work& tx, const std::string& campaign_id,
                            const std::string& phone_number_id) {
  if (!domain::is_uuid(campaign_id) || !domain::is_uuid(phone_number_id)) return false;
  return !tx.exec_params("DELETE FROM campaign_numbers WHERE campaign_id = $1"
                         " AND phone_number_id = $2 AND org_id = rm_current_org() RETURNING 1",
                         campaign_id, phone_number_id)
              .empty();
}

assign_result assign_contacts(pqxx::work& tx, const std::string& campaign_id,
                              const std::vector<std::string>& contact_ids) {
  assign_result out;
  if (!domain::is_uuid(campaign_id) ||
      tx.exec_params("SELECT 1 FROM campaigns WHERE id = $1 AND org_id = rm_current_org()",
                     campaign_id)
          .empty())
    return out;
  out.campaign_found = true;
  for (std::size_t i = 0; i < contact_ids.size(); ++i) {
    const auto& id = contact_ids[i];
    if (!domain::is_uuid(id) ||
        tx.exec_params("UPDATE contacts SET campaign_id = $2 WHERE id = $1"
                       " AND org_id = rm_current_org() RETURNING 1",
                       id, campaign_id)
            .empty()) {
      out.unknown_index = static_cast<int>(i);
      return out;
    }
    ++out.assigned;
  }
  return out;
}

bool unassign_contact(pqxx::work& tx, const std::string& campaign_id,
                      const std::string& contact_id) {
  if (!domain::is_uuid(campaign_id) || !domain::is_uuid(contact_id)) return false;
  return !tx.exec_params("UPDATE contacts SET campaign_id = NULL WHERE id = $1"
                         " AND campaign_id = $2 AND org_id = rm_current_org() RETURNING 1",
                         contact_id, campaign_id)
              .empty();
}

// ---- call-back ----------------------------------------------------------------------------------

std::optional<contact_row> load_contact(pqxx::work& tx, const std::string& id) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT id, name, phone_e164, opted_out, coalesce(campaign_id::text, '') AS campaign_id"
      " FROM contacts WHERE id = $1 AND org_id = rm_current_org()",
      id);
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  return contact_row{r["id"].c_str(), r["name"].c_str(), r["phone_e164"].c_str(),
                     r["opted_out"].as<bool>(), r["campaign_id"].c_str()};
}

outbound_agent find_outbound_agent(pqxx::work& tx) {
  auto rows = tx.exec(
      "SELECT id, vapi_assistant_id, coalesce(phone_number_id::text, '') AS phone_number_id"
      " FROM agents WHERE org_id = rm_current_org() AND status = 'ready'"
      " ORDER BY created_at, id LIMIT 1");
  if (!rows.empty()) {
    const named_row r = rows[0];
    return {r["id"].c_str(), r["vapi_assistant_id"].c_str(), r["phone_number_id"].c_str()};
  }
  auto org = tx.exec("SELECT assistant_id FROM organizations WHERE id = rm_current_org()");
  return {"", org.empty() ? std::string{} : named_row{org[0]}["assistant_id"].c_str(), ""};
}

std::vector<domain::caller_candidate> campaign_candidates(pqxx::work& tx,
                                                          const std::string& campaign_id) {
  if (!domain::is_uuid(campaign_id)) return {};
  return read_candidates(tx.exec_params(
      std::string{candidate_select} +
          " AND EXISTS (SELECT 1 FROM campaign_numbers c WHERE c.phone_number_id = p.id"
          " AND c.campaign_id = $1) ORDER BY p.created_at, p.e164, p.id",
      campaign_id));
}

std::vector<domain::caller_candidate> pool_candidates(pqxx::work& tx) {
  return read_candidates(tx.exec(
      std::string{candidate_select} +
      " AND NOT EXISTS (SELECT 1 FROM campaign_numbers c WHERE c.phone_number_id = p.id)"
      " ORDER BY p.created_at, p.e164, p.id"));
}

std::optional<domain::caller_candidate> number_candidate(pqxx::work& tx,
                                                         const std::string& phone_number_id) {
  if (!domain::is_uuid(phone_number_id)) return std::nullopt;
  auto c = read_candidates(
      tx.exec_params(std::string{candidate_select} + " AND p.id = $1", phone_number_id));
  if (c.empty()) return std::nullopt;
  return c.front();
}

std::uint64_t lock_cursor(pqxx::work& tx, const std::string& org_id, const std::string& scope) {
  tx.exec_params0("INSERT INTO caller_id_cursors (org_id, scope) VALUES ($1, $2)"
                  " ON CONFLICT (org_id, scope) DO NOTHING",
                  org_id, scope);
  const named_row r = tx.exec_params1(
      "SELECT position FROM caller_id_cursors WHERE org_id = $1 AND scope = $2"
      " AND org_id = rm_current_org() FOR UPDATE",
      org_id, scope);
  return r["position"].as<std::uint64_t>();
}

void save_cursor(pqxx::work& tx, const std::string& org_id, const std::string& scope,
                 std::uint64_t position) {
  tx.exec_params0("UPDATE caller_id_cursors SET position = $3 WHERE org_id = $1 AND scope = $2"
                  " AND org_id = rm_current_org()",
                  org_id, scope, static_cast<std::int64_t>(position));
}

void record_call_back_audit(pqxx::work& tx, const std::string& org_id,
                            const std::string& contact_id, const std::string& call_id,
                            const std::string& recipient, const std::string& content) {
  tx.exec_params0("INSERT INTO messages (org_id, contact_id, call_id, direction, method, recipient,"
                  " content, status, service_provider, external_message_id, sent_at)"
                  " VALUES ($1, $2, $3, 'outbound', 'voice', $4, $5, 'queued', 'vapi', $3, now())",
                  org_id, contact_id, call_id, recipient, content);
}

}  // namespace rm::persistence
