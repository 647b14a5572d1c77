// Helpers shared by the verification actors and their facade (verification_session.cpp,
// verification_registry.cpp, verification_housekeeper.cpp, verification_service.cpp). Private
// to those files: not part of the subsystem's interface (actors/verification_interfaces.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "actors/verification_interfaces.hpp"
#include "domain/verification.hpp"
#include "persistence/verification_queries.hpp"

namespace rm::actors::vdetail {

inline std::int64_t epoch(domain::instant t) { return t.time_since_epoch().count(); }
inline domain::instant at(std::int64_t s) { return domain::instant{std::chrono::seconds{s}}; }

// The cheap checks before a code is sent (domain::gate_initiation) over the tenant's row for the
// number and the number's recent sends.
domain::initiation_decision initiation_gate_for(
    pqxx::work& tx, const std::optional<persistence::caller_id_row>& row, const std::string& e164,
    std::int64_t now, const domain::verification_limits& limits);

// The outcome of a refused initiation (gate != ok); started for ok.
verification_outcome outcome_of(domain::initiation_gate g);

// The answer to a code checked against a session that is no longer pending.
confirm_reply reply_for_state(const domain::verification_session& s);

}  // namespace rm::actors::vdetail
