// The search_knowledge_base tool (issue 12 §2): the call actor (actors/call.cpp) answers it from
// the clinic's knowledge base. No CAF, so it is tested against PostgreSQL directly.
//
// A read-only tool like check_availability: no tool_invocations claim before answering. The call
// actor answers from this search and stores the result write-behind (the tool_log actor), so a
// retried toolCallId is answered from the call actor's memory, or, after a restart, from the
// stored result once written (a retry before that searches again: the same answer).
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "persistence/records.hpp"

namespace rm::calls {

constexpr std::size_t max_knowledge_query = 500;  // bytes of the query argument

// {"query": "…"} → the query (trimmed), or the error sentence the tool answers: missing, not a
// string, empty, or longer than max_knowledge_query. `arguments_json` is the tool call's
// arguments as the webhook passed them (valid JSON: the call actor checked).
struct knowledge_query {
  std::string query;
  std::string error;  // "" when the query is usable
};
knowledge_query knowledge_query_of(const std::string& arguments_json);

// The tool's result: the best three passages of `org_id`'s documents for `query`
// (persistence::search_knowledge under that tenant's row-level security), as
// domain::knowledge_result_text (≤ 1,500 characters, "[document] passage" each). One read-only
// transaction on `c`. Throws on database errors (the call actor answers the tool with an error).
persistence::tool_outcome search_knowledge_base(pqxx::connection& c, const std::string& org_id,
                                                const std::string& query);

}  // namespace rm::calls
