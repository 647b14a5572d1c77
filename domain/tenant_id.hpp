// Canonical tenant (organisation) ids. A tenant id is a UUID (RFC 4122 text form, 8-4-4-4-12 hex
// digits). PostgreSQL's uuid type reads either case, but ringmaster also uses the id as text: as
// the key of caches, in comparisons, and inside the additional authenticated data of sealed
// credentials ("ringmaster/org_credentials/v1|<org_id>|…"). So every id is lowercased where it
// enters (JWT claims, paths, bodies, CLI arguments); an uppercase UUID then names the same tenant
// and opens the same sealed credentials.
#pragma once

#include <string>

#include "domain/uuid.hpp"

namespace rm::domain {

// `id` with ASCII A–F lowercased when it is a UUID in text form; anything else unchanged (it is
// refused or not found later, with the caller's own message).
inline std::string canonical_tenant_id(std::string id) {
  if (!is_uuid(id)) return id;
  for (auto& c : id)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return id;
}

}  // namespace rm::domain
