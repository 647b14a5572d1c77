#include "actors/route_cache.hpp"

#include <mutex>

namespace rm::actors {

std::optional<tenant_ref> route_cache::find(const std::string& e164,
                                            const std::string& vapi_id) const {
  std::shared_lock<std::shared_mutex> g{m_};
  if (!e164.empty())
    if (auto i = by_number_.find(e164); i != by_number_.end()) return i->second;
  if (!vapi_id.empty())
    if (auto i = by_vapi_id_.find(vapi_id); i != by_vapi_id_.end()) return i->second;
  return std::nullopt;
}

std::uint64_t route_cache::generation() const {
  std::shared_lock<std::shared_mutex> g{m_};
  return generation_;
}

void route_cache::fill(std::uint64_t generation, const tenant_ref& ref,
                       const std::string& vapi_id) {
  if (!ref.found) return;
  std::unique_lock<std::shared_mutex> g{m_};
  if (generation != generation_) return;
  by_number_[ref.dialled_e164] = ref;
  if (!vapi_id.empty()) by_vapi_id_[vapi_id] = ref;
}

void route_cache::clear() {
  std::unique_lock<std::shared_mutex> g{m_};
  ++generation_;
  by_number_.clear();
  by_vapi_id_.clear();
}

std::size_t route_cache::size() const {
  std::shared_lock<std::shared_mutex> g{m_};
  return by_number_.size();
}

}  // namespace rm::actors
