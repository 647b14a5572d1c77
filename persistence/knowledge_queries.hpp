// SQL behind the clinic's knowledge base (issue 12 §2; tables knowledge_documents and
// knowledge_passages, migration 012): the document API (adapters/http/knowledge_routes.cpp) and
// the search_knowledge_base tool (actors/call.cpp).
//
// Tenancy as in tenant_queries.hpp: every function runs in the caller's transaction, which named
// its tenant with set_tenant() first, and filters on rm_current_org() as well as row-level
// security; another tenant's id, like an unknown or malformed one, is not found, and another
// tenant's passages are never searched. Values are validated by the caller (domain/knowledge.hpp);
// the tables' CHECKs are the backstop. Database errors throw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/calendar.hpp"
#include "domain/knowledge.hpp"

namespace rm::persistence {

struct knowledge_document_row {
  std::string id;
  std::string name;
  std::string content_type;  // text/plain | text/markdown | application/pdf
  int passages = 0;
  long long bytes = 0;       // the upload's size (a PDF's bytes, a text's UTF-8 bytes)
  domain::instant created_at;
};

// The document and its passages (domain::split_passages, in order) of `org_id` (the tenant named
// by set_tenant), in the caller's transaction.
knowledge_document_row insert_knowledge_document(pqxx::work& tx, const std::string& org_id,
                                                 const std::string& name,
                                                 const std::string& content_type, long long bytes,
                                                 const std::vector<std::string>& passages);

// Newest first, then id.
std::vector<knowledge_document_row> list_knowledge_documents(pqxx::work& tx);

// Deletes the document with its passages and returns it as it was; nullopt when the tenant has
// no such document.
std::optional<knowledge_document_row> delete_knowledge_document(pqxx::work& tx,
                                                                const std::string& id);

// The tenant's best `limit` passages for `query` (what a caller asked, in words), best first.
// The query is parsed by websearch_to_tsquery('english', …) ("quoted phrases", -excluded, or);
// its top-level AND is then loosened to OR, so a spoken question ("do you take walk-ins?") finds
// a passage that does not use every one of its words; ts_rank_cd orders the passages (more of
// the words, closer together, ranks higher), then document and position for a stable order.
// A query of stop words only matches nothing.
std::vector<domain::knowledge_hit> search_knowledge(pqxx::work& tx, const std::string& query,
                                                    int limit = 3);

}  // namespace rm::persistence
