// SQL behind bulk_queries.hpp: migration 019's functions, read with the same column lists and
// row readers as the per-tenant queries (persistence/detail/readers.hpp).
#include "persistence/bulk_queries.hpp"

#include "persistence/detail/readers.hpp"

namespace rm::persistence::any_tenant {

namespace {

using detail::named_row;

// The calls of a function returning (call_row calls, has_booking_event), as `calls c`.
std::string calls_from(const char* function_call) {
  return std::string(" FROM (SELECT (r.call_row).*, r.has_booking_event FROM ") + function_call +
         " r) c";
}

}  // namespace

call_view_rows view_rows_of_calls(pqxx::work& tx, const std::vector<std::string>& call_ids) {
  call_view_rows out;
  if (call_ids.empty()) return out;
  const auto ids = text_array(call_ids);
  // The call and its scoring fields from the same row.
  auto calls = tx.exec_params(std::string("SELECT ") + detail::call_row_columns +
                                  ", has_booking_event, " + detail::scoring_columns +
                                  calls_from("rm_calls_by_ids($1::text[])"),
                              ids);
  out.calls.reserve(calls.size());
  out.scoring.reserve(calls.size());
  for (const named_row r : calls) {
    out.calls.push_back(detail::read_call(r));
    out.scoring.emplace_back(out.calls.back().identity.id, detail::read_scoring(r));
  }
  auto events = tx.exec_params(std::string("SELECT call_id, ") + detail::call_event_columns +
                                   " FROM rm_call_events_by_call_ids($1::text[])"
                                   " ORDER BY call_id, id",
                               ids);
  out.events.reserve(events.size());
  for (const named_row r : events) out.events.emplace_back(r["call_id"].c_str(), detail::read_event(r));
  auto appointments = tx.exec_params(std::string("SELECT ") + detail::appointment_columns +
                                         " FROM rm_appointments_by_call_ids($1::text[])"
                                         " ORDER BY call_id, created_at, id",
                                     ids);
  out.appointments.reserve(appointments.size());
  for (const auto& r : appointments) out.appointments.push_back(detail::read_appointment(r));
  return out;
}

std::vector<call_row> unfinished_calls(pqxx::work& tx) {
  auto rows = tx.exec(std::string("SELECT ") + detail::call_row_columns + ", has_booking_event" +
                      calls_from("rm_unfinished_call_rows()") + " ORDER BY c.created_at");
  std::vector<call_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(detail::read_call(r));
  return out;
}

std::vector<call_tool_outcome> completed_tool_calls_of_unfinished(pqxx::work& tx) {
  auto rows = tx.exec(
      "SELECT call_id, tool_call_id, result, is_error FROM rm_unfinished_tool_results()");
  std::vector<call_tool_outcome> out;
  out.reserve(rows.size());
  for (const named_row r : rows)
    out.push_back({r["call_id"].c_str(), r["tool_call_id"].c_str(),
                   tool_outcome{r["result"].c_str(), r["is_error"].as<bool>()}});
  return out;
}

}  // namespace rm::persistence::any_tenant
