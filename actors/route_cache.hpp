// Dialled number → tenant, shared between the directory actor (the only writer) and the HTTP
// workers (readers), so a known number is resolved on the worker's own thread without a message
// to the directory (issue 13 §4: at most two thread hand-offs per request). No CAF here.
//
// Contract: the directory fills an entry only with what it read under the generation it saw
// before its database lookup (`fill` ignores a stale one); any change of numbers or tenants
// clears the cache and bumps the generation (`clear`), from the HTTP thread that made the change
// (so its next request cannot see the old route) and from the directory. Unknown numbers are
// never cached: a number may be added at any time.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "actors/messages.hpp"

namespace rm::actors {

class route_cache {
 public:
  // The tenant of a dialled number (E.164) or of a Vapi phone-number id; nullopt when not cached.
  std::optional<tenant_ref> find(const std::string& e164, const std::string& vapi_id) const;
  std::uint64_t generation() const;
  // Stores `ref` (found) under its dialled number and `vapi_id` ("" = none) unless the cache was
  // cleared since `generation` was read.
  void fill(std::uint64_t generation, const tenant_ref& ref, const std::string& vapi_id);
  void clear();
  std::size_t size() const;

 private:
  mutable std::shared_mutex m_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, tenant_ref> by_number_;
  std::unordered_map<std::string, tenant_ref> by_vapi_id_;
};

}  // namespace rm::actors
