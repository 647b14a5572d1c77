// SQL behind knowledge_queries.hpp. Passages travel as one JSON array (jsonb_array_elements_text
// WITH ORDINALITY gives their positions), so a document is two statements whatever its length.
#include "persistence/knowledge_queries.hpp"

#include <nlohmann/json.hpp>

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::named_row;

constexpr const char* document_columns =
    "id, name, content_type, passages, bytes::bigint AS bytes,"
    " extract(epoch from created_at)::bigint AS created_at_s";

knowledge_document_row read_document(named_row r) {
  knowledge_document_row d;
  d.id = r["id"].c_str();
  d.name = r["name"].c_str();
  d.content_type = r["content_type"].c_str();
  d.passages = r["passages"].as<int>();
  d.bytes = r["bytes"].as<long long>();
  d.created_at = at(r["created_at_s"]);
  return d;
}

}  // namespace

knowledge_document_row insert_knowledge_document(pqxx::work& tx, const std::string& org_id,
                                                 const std::string& name,
                                                 const std::string& content_type, long long bytes,
                                                 const std::vector<std::string>& passages) {
  const named_row r = tx.exec_params1(
      std::string{"INSERT INTO knowledge_documents (org_id, name, content_type, bytes, passages)"
                  " VALUES ($1, $2, $3, $4, $5) RETURNING "} +
          document_columns,
      org_id, name, content_type, bytes, static_cast<int>(passages.size()));
  auto doc = read_document(r);
  if (!passages.empty()) {
    tx.exec_params0(
        "INSERT INTO knowledge_passages (org_id, document_id, position, body)"
        " SELECT $1, $2, (t.ord - 1)::int, t.body"
        " FROM jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS t(body, ord)",
        org_id, doc.id, nlohmann::json(passages).dump());
  }
  return doc;
}

std::vector<knowledge_document_row> list_knowledge_documents(pqxx::work& tx) {
  auto rows = tx.exec(std::string{"SELECT "} + document_columns +
                      " FROM knowledge_documents WHERE org_id = rm_current_org()"
                      " ORDER BY created_at DESC, id");
  std::vector<knowledge_document_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_document(r));
  return out;
}

std::optional<knowledge_document_row> delete_knowledge_document(pqxx::work& tx,
                                                                const std::string& id) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"DELETE FROM knowledge_documents WHERE id = $1"
                                         " AND org_id = rm_current_org() RETURNING "} +
                                 document_columns,
                             id);
  if (rows.empty()) return std::nullopt;
  return read_document(rows[0]);
}

std::vector<domain::knowledge_hit> search_knowledge(pqxx::work& tx, const std::string& query,
                                                    int limit) {
  // ' & ' not followed by '!' is a top-level AND of websearch_to_tsquery's output: made OR.
  // An exclusion (& !'word') stays an AND.
  auto rows = tx.exec_params(
      "WITH q AS (SELECT regexp_replace(websearch_to_tsquery('english', $1)::text,"
      "                                 ' & (?!!)', ' | ', 'g')::tsquery AS q)"
      " SELECT d.name AS document_name, p.body AS body"
      " FROM q, knowledge_passages p"
      " JOIN knowledge_documents d ON d.id = p.document_id AND d.org_id = p.org_id"
      " WHERE p.org_id = rm_current_org() AND p.tsv @@ q.q"
      " ORDER BY ts_rank_cd(p.tsv, q.q) DESC, p.document_id, p.position"
      " LIMIT $2",
      query, limit);
  std::vector<domain::knowledge_hit> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    const named_row r = row;
    out.push_back({r["document_name"].c_str(), r["body"].c_str()});
  }
  return out;
}

}  // namespace rm::persistence
