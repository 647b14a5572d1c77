// The write-behind tool log's database step (no CAF, so it is tested against PostgreSQL
// directly; the tool_log actor in adapters.cpp batches rows and calls it on a pool worker).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"

namespace rm::calls {

// A row the database refused even on its own (logged and dropped by the caller).
struct refused_tool_row {
  std::string call_id, tool_call_id, org_id, name;  // identifiers only: no arguments, no result
  std::string sqlstate;  // e.g. "22P05" (untranslatable character), "23503" (foreign key)
  std::string reason;    // the first line of PostgreSQL's message (no DETAIL/CONTEXT: no data)
};

struct tool_log_written {
  std::size_t written = 0;              // rows inserted (or already stored: ON CONFLICT)
  bool some_stored = false;  // a row was stored already: the batch was stored again skipping it
  bool row_by_row = false;   // the batch failed and was retried one row at a time
  std::vector<refused_tool_row> refused;  // rows that failed alone: dropped
};

// Inserts `rows` (any tenants) in one transaction, with the rows of `calls` not stored yet (the
// identities of calls whose first records these are): first as new rows
// (persistence::insert_new_tool_calls); when one of them is stored already, again in a new
// transaction skipping those (persistence::insert_completed_tool_calls: a stored result stays).
// A row naming another org than its call's is refused (sqlstate "", nothing written). When
// PostgreSQL refuses that transaction (pqxx::sql_error: bad data in one row, e.g. a NUL escape in
// jsonb, or a call that does not exist), each row is retried in a transaction of its own, with
// its call's identity, so one bad row cannot stop the others: rows that still fail are returned
// in `refused`. A lost connection (pqxx::broken_connection) or another failure that is not about
// the data is rethrown: the caller keeps the rows for a later try (inserts are idempotent per
// (call_id, tool_call_id), and a calls row is only inserted when missing).
tool_log_written write_tool_log(pqxx::connection& c,
                                const std::vector<persistence::completed_tool_call>& rows,
                                const std::vector<persistence::call_identity>& calls = {});

}  // namespace rm::calls
