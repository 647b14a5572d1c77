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

vapi_override_cache::~vapi_override_cache() { stop(); }

std::optional<vapi_override> vapi_override_cache::get(const std::string& org_id,
                                                      const loader& load) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> g{m_};
    auto i = entries_.find(org_id);
    if (i != entries_.end() && now - i->second.read_at < ttl_) {
      auto& e = i->second;
      if (now - e.read_at >= refresh_after_ && !e.refreshing && !stopping_) {
        e.refreshing = true;
        queue_.push_back({org_id, load});
        if (!refresher_.joinable()) refresher_ = std::thread([this] { run_refresher(); });
        wake_.notify_one();
      }
      return e.value;
    }
    generation = generation_;
  }
  auto value = load(org_id);  // outside the lock: a database read
  store(org_id, now, value, generation);
  return value;
}

void vapi_override_cache::store(const std::string& org_id,
                                std::chrono::steady_clock::time_point read_at,
                                std::optional<vapi_override> value, std::uint64_t generation) {
  std::lock_guard<std::mutex> g{m_};
  // An invalidation while loading may have made `value` stale: it is not cached then.
  if (generation == generation_) entries_[org_id] = {read_at, std::move(value), false};
}

void vapi_override_cache::run_refresher() {
  std::unique_lock<std::mutex> lock{m_};
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto job = std::move(queue_.front());
    queue_.pop_front();
    const auto generation = generation_;
    lock.unlock();
    const auto read_at = std::chrono::steady_clock::now();
    std::optional<std::optional<vapi_override>> value;
    try {
      value = job.load(job.org_id);
    } catch (...) {
      // The database did not answer: the entry stays as it is until it expires, and the first
      // webhook after that reads it on its own thread (and sees the error).
    }
    if (value) store(job.org_id, read_at, std::move(*value), generation);
    lock.lock();
    if (!value)
      if (auto i = entries_.find(job.org_id); i != entries_.end()) i->second.refreshing = false;
  }
}

void vapi_override_cache::stop() {
  {
    std::lock_guard<std::mutex> g{m_};
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

void vapi_override_cache::invalidate(const std::string& org_id) {
  std::lock_guard<std::mutex> g{m_};
  entries_.erase(org_id);
  ++generation_;
}

}  // namespace rm::http
