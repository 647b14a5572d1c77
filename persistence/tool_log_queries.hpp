// The write-behind tool log's fast statement (migration 022), apart from repositories.hpp so that
// only the tool log's writer depends on it.
#pragma once

#include <cstddef>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/records.hpp"

namespace rm::persistence {

// insert_completed_tool_calls (repositories.hpp) for rows that are new: the same rows of any
// tenants, the same calls rows, the same answer (0-based positions of the rows refused because
// their call is stored under another org), but a row whose (call_id, toolCallId) is stored
// already makes the statement fail with pqxx::unique_violation (SQLSTATE 23505) instead of being
// skipped: then nothing of the batch is written, and the caller stores it with
// insert_completed_tool_calls in a new transaction. Cheaper per row (no speculative insertion:
// rm_log_new_tool_calls, migration 022). Throws pqxx::sql_error as insert_completed_tool_calls does.
std::vector<std::size_t> insert_new_tool_calls(pqxx::work& tx,
                                               const std::vector<completed_tool_call>& rows,
                                               const std::vector<call_identity>& calls);

}  // namespace rm::persistence
