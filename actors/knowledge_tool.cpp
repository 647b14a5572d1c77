// knowledge_tool.hpp.
#include "actors/knowledge_tool.hpp"

#include <nlohmann/json.hpp>

#include "persistence/knowledge_queries.hpp"
#include "persistence/repositories.hpp"

namespace rm::calls {

knowledge_query knowledge_query_of(const std::string& arguments_json) {
  auto args = nlohmann::json::parse(arguments_json, nullptr, false);
  knowledge_query out;
  auto it = args.is_object() ? args.find("query") : args.end();
  if (!args.is_object() || it == args.end() || !it->is_string()) {
    out.error = "argument 'query' (a string) is required";
    return out;
  }
  const auto& q = it->get_ref<const std::string&>();
  const auto b = q.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    out.error = "argument 'query' is empty";
    return out;
  }
  out.query = q.substr(b, q.find_last_not_of(" \t\r\n") - b + 1);
  if (out.query.size() > max_knowledge_query) {
    out.error = "argument 'query' is too long (at most " + std::to_string(max_knowledge_query) +
                " characters)";
    out.query.clear();
  }
  return out;
}

persistence::tool_outcome search_knowledge_base(pqxx::connection& c, const std::string& org_id,
                                                const std::string& query) {
  pqxx::work tx{c};
  persistence::set_tenant(tx, org_id);
  auto hits = persistence::search_knowledge(tx, query, 3);
  tx.commit();
  return {domain::knowledge_result_text(hits, query), false};
}

}  // namespace rm::calls
