#include "actors/tool_log_writer.hpp"

#include <spdlog/spdlog.h>

#include "persistence/tool_log_queries.hpp"

namespace rm::calls {

namespace {

std::string first_line(const std::string& s) {
  auto end = s.find('\n');
  auto line = s.substr(0, end);
  const std::string prefix = "ERROR:  ";
  if (line.compare(0, prefix.size(), prefix) == 0) line.erase(0, prefix.size());
  return line.size() > 200 ? line.substr(0, 200) : line;
}

}  // namespace

tool_log_written write_tool_log(pqxx::connection& c,
                                const std::vector<persistence::completed_tool_call>& rows,
                                const std::vector<persistence::call_identity>& calls) {
  tool_log_written out;
  if (rows.empty()) return out;
  auto refuse = [&](const persistence::completed_tool_call& row, std::string sqlstate,
                    std::string reason) {
    out.refused.push_back({row.call_id, row.tool_call_id, row.org_id, row.name,
                           std::move(sqlstate), std::move(reason)});
  };
  const std::string foreign = "the call belongs to another tenant than the row names";
  // Every tenant's rows in one statement: one set_tenant + INSERT per tenant per batch was most
  // of PostgreSQL's work at thousands of checks a second. First as new rows (no ON CONFLICT,
  // migration 022); a row stored already (a batch retried after its commit's answer was lost,
  // two instances recording one retried toolCallId) fails that statement with 23505, and the
  // batch is stored again skipping such rows, keeping their first results.
  auto batch = [&](auto insert) {
    pqxx::work tx{c};
    auto refused = insert(tx, rows, calls);
    tx.commit();
    for (auto i : refused) refuse(rows[i], "", foreign);
    out.written = rows.size() - refused.size();
  };
  try {
    try {
      batch(persistence::insert_new_tool_calls);
    } catch (const pqxx::unique_violation& e) {
      spdlog::info("tool log: a batch of {} rows holds one stored already ({}); storing it again "
                   "skipping stored rows",
                   rows.size(), first_line(e.what()));
      out.some_stored = true;
      batch(persistence::insert_completed_tool_calls);
    }
    return out;
  } catch (const pqxx::sql_error& e) {
    // One row's data (or one tenant's) made the statement fail: find which, row by row.
    spdlog::warn("tool log: a batch of {} rows was refused ({} {}); storing them one by one",
                 rows.size(), e.sqlstate(), first_line(e.what()));
  }
  out.row_by_row = true;
  for (const auto& row : rows) {
    std::vector<persistence::call_identity> own;
    for (const auto& call : calls)
      if (call.id == row.call_id) own.push_back(call);
    try {
      pqxx::work tx{c};
      auto refused = persistence::insert_completed_tool_calls(tx, {row}, own);
      tx.commit();
      if (refused.empty())
        ++out.written;
      else
        refuse(row, "", foreign);
    } catch (const pqxx::sql_error& e) {
      refuse(row, e.sqlstate(), first_line(e.what()));
    }
  }
  return out;
}

}  // namespace rm::calls
