// Per-tenant overrides of the Vapi webhook credential (docs/security.md "Webhook verification"),
// cached so that /webhooks/vapi adds no database round trip per message: an entry (override or
// "none") lives for `ttl` (30 s), and a change made through this server (PUT/DELETE
// /api/org/vapi-webhook-auth) drops the tenant's entry at once. Another process's change is seen
// within the TTL. Secrets stay in memory only. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/vapi/webhook_auth.hpp"

namespace rm::http {

struct vapi_override {
  std::string mode;    // secret | bearer | hmac
  std::string secret;  // the credential for that mode
};

// The deployment's settings with `o` replacing every method: only o's method is on.
vapi::webhook_auth_settings settings_for(const vapi_override& o,
                                         const vapi::webhook_auth_settings& deployment);

class vapi_override_cache {
 public:
  using loader = std::function<std::optional<vapi_override>(const std::string& org_id)>;
  explicit vapi_override_cache(std::chrono::milliseconds ttl = std::chrono::seconds(30))
      : ttl_(ttl) {}

  // The tenant's override, from the cache or (on a miss or an expired entry) from `load`, whose
  // exceptions propagate (nothing is cached then).
  std::optional<vapi_override> get(const std::string& org_id, const loader& load);
  void invalidate(const std::string& org_id);

 private:
  struct entry {
    std::chrono::steady_clock::time_point expires;
    std::optional<vapi_override> value;
  };
  std::chrono::milliseconds ttl_;
  std::mutex m_;
  std::map<std::string, entry> entries_;
  std::uint64_t generation_ = 0;  // bumped by every invalidate
};

}  // namespace rm::http
