#include "adapters/http/vapi_overrides.hpp"

namespace rm::http {

vapi::webhook_auth_settings settings_for(const vapi_override& o,
                                         const vapi::webhook_auth_settings& deployment) {
  vapi::webhook_auth_settings s;
  s.max_skew_seconds = deployment.max_skew_seconds;
  if (o.mode == "secret") s.secret = o.secret;
  else if (o.mode == "bearer") s.bearer_token = o.secret;
  else if (o.mode == "hmac") s.hmac_secret = o.secret;
  // An unknown mode leaves every method off: verify_webhook would accept everything, so make
  // sure nothing can match instead (a credential is required but none can be right).
  else s.secret = std::string(1, '\0') + "unknown-mode";
  return s;
}

std::optional<vapi_override> vapi_override_cache::get(const std::string& org_id,
                                                      const loader& load) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> g{m_};
    auto i = entries_.find(org_id);
    if (i != entries_.end() && i->second.expires > now) return i->second.value;
    generation = generation_;
  }
  auto value = load(org_id);  // outside the lock: a database read
  std::lock_guard<std::mutex> g{m_};
  // An invalidation while loading may have made `value` stale: use it, but do not cache it.
  if (generation == generation_) entries_[org_id] = {now + ttl_, value};
  return value;
}

void vapi_override_cache::invalidate(const std::string& org_id) {
  std::lock_guard<std::mutex> g{m_};
  entries_.erase(org_id);
  ++generation_;
}

}  // namespace rm::http
