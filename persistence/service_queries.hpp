// SQL behind the services pricing engine's API (adapters/http/service_routes.cpp; issue 11 §2):
// a tenant's services (table services, migration 011; every tenant starts with seed 001's seven
// defaults, inserted by a trigger when the organization is created).
//
// Tenancy as in tenant_queries.hpp: every function runs in the caller's transaction, which named
// its tenant with set_tenant() first, and filters on rm_current_org(); another tenant's id, like
// an unknown or malformed one, is not found. Values are validated by the caller
// (domain/service_catalog.hpp); the table's CHECKs are the backstop. Database errors throw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/calendar.hpp"

namespace rm::persistence {

struct service_row {
  std::string id;
  std::string name;
  double price = 0;                   // USD, cents
  std::vector<std::string> keywords;  // lower-case, as stored
  domain::instant created_at;
  domain::instant updated_at;
};

// By name (case-insensitive), then id.
std::vector<service_row> list_services(pqxx::work& tx);
std::optional<service_row> find_service(pqxx::work& tx, const std::string& id);

enum class service_outcome {
  saved,
  not_found,   // no such service of the tenant (update)
  name_taken,  // another service of the tenant has this name, case-insensitively
};
struct save_service_result {
  service_outcome outcome = service_outcome::not_found;
  std::optional<service_row> row;  // when saved
};

// A new service of `org_id` (the tenant named by set_tenant). name_taken leaves the caller's
// transaction usable (the insert runs in a savepoint).
save_service_result create_service(pqxx::work& tx, const std::string& org_id,
                                   const std::string& name, double price,
                                   const std::vector<std::string>& keywords);

// Changes what is given (nullopt keeps the stored value).
save_service_result update_service(pqxx::work& tx, const std::string& id,
                                   const std::optional<std::string>& name,
                                   const std::optional<double>& price,
                                   const std::optional<std::vector<std::string>>& keywords);

// Deletes the service and returns it as it was; nullopt when the tenant has no such service.
std::optional<service_row> delete_service(pqxx::work& tx, const std::string& id);

}  // namespace rm::persistence
