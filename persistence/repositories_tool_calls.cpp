// SQL behind repositories.hpp, section "tool invocations": exactly one stored result per call and
// toolCallId (tool_invocations' primary key), claimed before a write tool runs or written in one
// batch for read-only tools. Readers take columns by name (detail::named_row).
#include "persistence/repositories.hpp"

#include <stdexcept>

#include "persistence/detail/rows.hpp"
#include "persistence/tool_log_queries.hpp"

namespace rm::persistence {
namespace {

using detail::named_row;
using detail::or_null;

}  // namespace

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
  if (rows.empty()) return c;
  const named_row r = rows[0];
  if (!r["result"].is_null())
    c.stored = tool_outcome{r["result"].c_str(), r["is_error"].as<bool>()};
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

// rm_log_tool_calls (migration 020/021) or rm_log_new_tool_calls (022): the missing calls rows and
// the results of every tenant in one statement, arrays in, unnest out; it returns the (1-based)
// positions of the rows naming another org than their call's. An empty CallSid is stored as
// NULL, as ensure_call does.
std::vector<std::size_t> log_tool_calls(pqxx::work& tx, const char* function,
                                        const std::vector<completed_tool_call>& rows,
                                        const std::vector<call_identity>& calls) {
  std::vector<std::size_t> refused;
  if (rows.empty()) return refused;
  std::vector<std::string> call_ids, ids, orgs, names, args, results, errors;
  for (const auto& r : rows) {
    call_ids.push_back(r.call_id);
    ids.push_back(r.tool_call_id);
    orgs.push_back(r.org_id);
    names.push_back(r.name);
    args.push_back(r.arguments_json.empty() ? "null" : r.arguments_json);
    results.push_back(r.outcome.result);
    errors.push_back(r.outcome.is_error ? "t" : "f");
  }
  std::vector<std::string> new_ids, new_orgs, directions, callers, dialled, sids;
  for (const auto& c : calls) {
    new_ids.push_back(c.id);
    new_orgs.push_back(c.org_id);
    directions.push_back(c.direction);
    callers.push_back(c.caller);
    dialled.push_back(c.dialled);
    sids.push_back(c.provider_call_sid);
  }
  auto out = tx.exec_params(
      std::string{"SELECT i FROM "} + function +
          "($1::text[], $2::text[], $3::uuid[], $4::text[],"
          " $5::jsonb[], $6::text[], $7::boolean[], $8::text[], $9::uuid[], $10::text[],"
          " $11::text[], $12::text[], array_replace($13::text[], '', NULL)) AS i",
      text_array(call_ids), text_array(ids), text_array(orgs), text_array(names),
      text_array(args), text_array(results), text_array(errors), text_array(new_ids),
      text_array(new_orgs), text_array(directions), text_array(callers), text_array(dialled),
      text_array(sids));
  for (const auto& r : out) refused.push_back(r[0].as<std::size_t>() - 1);
  return refused;
}

}  // namespace

std::vector<std::size_t> insert_completed_tool_calls(pqxx::work& tx,
                                                     const std::vector<completed_tool_call>& rows,
                                                     const std::vector<call_identity>& calls) {
  return log_tool_calls(tx, "rm_log_tool_calls", rows, calls);
}

std::vector<std::size_t> insert_new_tool_calls(pqxx::work& tx,
                                               const std::vector<completed_tool_call>& rows,
                                               const std::vector<call_identity>& calls) {
  return log_tool_calls(tx, "rm_log_new_tool_calls", rows, calls);
}

std::vector<std::pair<std::string, tool_outcome>> completed_tool_calls_of(
    pqxx::work& tx, const std::string& call_id) {
  auto rows = tx.exec_params(
      "SELECT tool_call_id, result, is_error FROM tool_invocations"
      " WHERE call_id = $1 AND result IS NOT NULL",
      call_id);
  std::vector<std::pair<std::string, tool_outcome>> out;
  for (const named_row r : rows) {
    out.emplace_back(r["tool_call_id"].c_str(),
                     tool_outcome{r["result"].c_str(), r["is_error"].as<bool>()});
  }
  return out;
}

}  // namespace rm::persistence
