// Reads of calls across every tenant in one statement each (migration 019's SECURITY DEFINER
// functions), for the two paths that are nobody's tenant: the call registry's start-up recovery
// and the operator's listing of the live calls (GET /sessions/calls). They need no tenant named
// on the transaction and see every tenant's rows, so tenant-facing code must never call them:
// it reads under row-level security with its tenant set (repositories.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "persistence/records.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence::any_tenant {

// The rows a call view is built from (calls::view_json documents the view), for the calls of
// `call_ids` of any tenant; unknown ids are left out.
struct call_view_rows {
  std::vector<call_row> calls;                                   // in no particular order
  std::vector<std::pair<std::string, nlohmann::json>> scoring;   // (call id, scoring_fields)
  std::vector<std::pair<std::string, stored_event>> events;      // insertion order per call
  std::vector<appointment> appointments;                         // oldest first per call
};
// Three statements, whatever the number of calls and tenants.
call_view_rows view_rows_of_calls(pqxx::work& tx, const std::vector<std::string>& call_ids);

// Every unfinished call of every tenant (not ended, or reported but not scored; the condition of
// rm_unfinished_calls), oldest first.
std::vector<call_row> unfinished_calls(pqxx::work& tx);
// The completed tool results of those calls: (call id, toolCallId, outcome).
std::vector<call_tool_outcome> completed_tool_calls_of_unfinished(pqxx::work& tx);

}  // namespace rm::persistence::any_tenant
