// SQL of caller memory (issue 12 §3): what the clinic knows about a caller, for the
// assistant-request reply (domain/caller_memory.hpp chooses what of it is said). Runs inside the
// caller's transaction after set_tenant(org_id): row-level security limits every table read to
// that tenant, and the WHERE clauses name it as well, so another tenant's contact, call or
// appointment can never be read. One statement, one round trip (assistant-request is on the call
// setup path, which Vapi caps at 7.5 s).
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "domain/caller_memory.hpp"

namespace rm::persistence {

// The contact (org_id, caller_e164) as caller history, or nullopt when the tenant has no such
// contact (an unknown caller):
//   name             contacts.name
//   last_summary     calls.summary of the latest call of that number in that tenant in state
//                    reported or scored with a non-empty summary (latest by ended_at, then
//                    created_at), other than `current_call_id` (the call being set up)
//   next_appointment the earliest appointment of that contact with status booked starting after
//                    now()
//   time_zone        organizations.time_zone
std::optional<domain::caller_history> load_caller_memory(pqxx::work& tx, const std::string& org_id,
                                                         const std::string& caller_e164,
                                                         const std::string& current_call_id);

}  // namespace rm::persistence
