// Internal to persistence (and its tests): readers whose column lists the tests exercise
// directly, e.g. with the SELECT list reordered or a column left out (tests/persistence/
// test_row_names.cpp). Each column list pairs with its reader; the reader takes columns by name,
// so the list may be in any order but must name every column the reader reads.
#pragma once

#include <nlohmann/json.hpp>

#include "persistence/detail/rows.hpp"
#include "persistence/records.hpp"

namespace rm::persistence::detail {

// Columns of `appointments` (unqualified) for read_appointment.
extern const char* const appointment_columns;
appointment read_appointment(named_row r);

// Columns of `calls c` (the alias c is required) for read_call.
extern const char* const call_columns;
// The same but has_booking_event, which the caller supplies (e.g. rm_calls_by_ids, migration 019).
extern const char* const call_row_columns;
call_row read_call(named_row r);

// Columns of `call_events` (unqualified, without call_id) for read_event.
extern const char* const call_event_columns;
stored_event read_event(named_row r);

// Columns of `calls` (unqualified, without its id) for read_scoring: the scoring step's fields of a
// call view (persistence::scoring_fields documents the JSON).
extern const char* const scoring_columns;
nlohmann::json read_scoring(named_row r);

}  // namespace rm::persistence::detail
