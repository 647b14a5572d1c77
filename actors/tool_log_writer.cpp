#include "actors/tool_log_writer.hpp"


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
                                const std::vector<persistence::completed_tool_call>& rows) {
  tool_log_written out;
  if (rows.empty()) return out;
  try {
    // Every tenant's rows in one statement (rm_log_tool_calls): one set_tenant + INSERT per
    // tenant per batch was most of PostgreSQL's work at thousands of checks a second.
    pqxx::work tx{c};
    persistence::insert_completed_tool_calls(tx, rows);
    tx.commit();
    out.written = rows.size();
    return out;
  } catch (const pqxx::sql_error&) {
    // One row's data (or one tenant's) made the statement fail: find which, row by row.
  }
  out.row_by_row = true;
  for (const auto& row : rows) {
    try {
      pqxx::work tx{c};
      persistence::set_tenant(tx, row.org_id);
      persistence::insert_completed_tool_calls(tx, {row});
      tx.commit();
      ++out.written;
    } catch (const pqxx::sql_error& e) {
      out.refused.push_back({row.call_id, row.tool_call_id, row.org_id, row.name, e.sqlstate(),
                             first_line(e.what())});
    }
  }
  return out;
}

}  // namespace rm::calls
