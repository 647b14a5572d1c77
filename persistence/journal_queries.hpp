// The journal's set-based write (issue 13 target 4): lifecycle events of many calls and tenants
// stored as DATA in one statement (rm_journal_events, migration 018), for call actors that know
// their call's events and compute its projection themselves (domain::project). Runs in the
// journal's batch transaction; needs no set_tenant (the function checks each row's org).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/call_lifecycle.hpp"
#include "persistence/records.hpp"

namespace rm::persistence {

// One event of one call, with the projection the call has once the event is added.
struct journal_event_row {
  call_identity call;  // id and org_id always; direction, caller, dialled, CallSid when fresh
  // The writer believes the call is not stored yet: the call row is inserted (with
  // `projection`), and if it turns out to exist the row is not applied (fallback).
  bool fresh = false;
  domain::call_event event;
  std::string payload_json;  // "" → NULL
  // How many events of the call are stored before this one, as the writer knows them; when the
  // database holds another number (another writer added events), the row is not applied.
  std::size_t known_events = 0;
  domain::call_projection projection;  // the call's projection including `event`
};

enum class journal_row_outcome {
  stored,    // the event row inserted and the projection written: exactly what the writer assumed
  fallback,  // nothing written: the call is not what the writer knew (fresh but stored; events
             // added by another writer; the event already stored). Record it the general way.
  foreign,   // nothing written: the call is stored under another org than the row names
};

// Applies every row in ONE statement and returns, per row in order, what happened. Throws
// pqxx::sql_error when the statement fails (then nothing of it is written; the transaction is
// aborted). A batch must hold at most one row per call.
std::vector<journal_row_outcome> journal_events(pqxx::work& tx,
                                                const std::vector<journal_event_row>& rows);

}  // namespace rm::persistence
