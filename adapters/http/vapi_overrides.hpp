// Per-tenant overrides of the Vapi webhook credential (docs/security.md "Webhook verification"),
// cached so that /webhooks/vapi adds no database round trip per message: an entry (override or
// "none") is used for `ttl` (30 s) after it was read, and a change made through this server
// (PUT/DELETE /api/org/vapi-webhook-auth) drops the tenant's entry at once; another process's
// change is seen within the TTL. An entry read again after `refresh_after` (20 s) is reloaded on
// the cache's own thread while the webhooks keep using it, so a tenant with steady traffic never
// has a webhook wait for that read (before, every tenant's first webhook after each expiry did,
// and tenants first seen together expired together: a burst of reads on the request path).
// Secrets stay in memory only. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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
  explicit vapi_override_cache(std::chrono::milliseconds ttl = std::chrono::seconds(30),
                               std::chrono::milliseconds refresh_after = std::chrono::seconds(20))
      : ttl_(ttl), refresh_after_(refresh_after) {}
  ~vapi_override_cache();  // stop()
  vapi_override_cache(const vapi_override_cache&) = delete;
  vapi_override_cache& operator=(const vapi_override_cache&) = delete;

  // The tenant's override: from the cache while it is younger than the TTL (older than
  // refresh_after: `load` is also queued for the cache's thread, once), else from `load` on this
  // thread, whose exceptions propagate (nothing is cached then). `load` must stay callable until
  // stop(); a background load that throws leaves the entry to expire.
  std::optional<vapi_override> get(const std::string& org_id, const loader& load);
  void invalidate(const std::string& org_id);
  // Ends the background reloads (waits for the one running); later refreshes are not queued.
  void stop();

 private:
  struct entry {
    std::chrono::steady_clock::time_point read_at;
    std::optional<vapi_override> value;
    bool refreshing = false;
  };
  struct refresh {
    std::string org_id;
    loader load;
  };
  void store(const std::string& org_id, std::chrono::steady_clock::time_point read_at,
             std::optional<vapi_override> value, std::uint64_t generation);
  void run_refresher();

  std::chrono::milliseconds ttl_, refresh_after_;
  std::mutex m_;
  std::map<std::string, entry> entries_;
  std::uint64_t generation_ = 0;  // bumped by every invalidate
  std::condition_variable wake_;
  std::deque<refresh> queue_;
  std::thread refresher_;  // started by the first refresh
  bool stopping_ = false;
};

}  // namespace rm::http
