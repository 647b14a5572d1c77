// The tenants' Vapi webhook credential cache (adapters/http/vapi_overrides.hpp): used for its
// TTL, reloaded in the background once older than refresh_after (the webhook is answered from the
// cache meanwhile), read on the caller's thread once expired.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/http/vapi_overrides.hpp"

using rm::http::vapi_override;
using rm::http::vapi_override_cache;
using namespace std::chrono_literals;

namespace {

// A loader whose answer the test sets, counting its calls; blocked until released when `gate`.
struct fake_store {
  std::mutex m;
  std::condition_variable cv;
  std::string secret = "first";
  bool gate = false;
  int calls = 0;
  std::thread::id last_thread;

  vapi_override_cache::loader loader() {
    return [this](const std::string&) {
      std::unique_lock<std::mutex> g{m};
      ++calls;
      last_thread = std::this_thread::get_id();
      cv.notify_all();
      cv.wait(g, [this] { return !gate; });
      return std::optional<vapi_override>{vapi_override{"secret", secret}};
    };
  }
  void set(std::string s) {
    std::lock_guard<std::mutex> g{m};
    secret = std::move(s);
  }
  void close_gate() {
    std::lock_guard<std::mutex> g{m};
    gate = true;
  }
  void open_gate() {
    {
      std::lock_guard<std::mutex> g{m};
      gate = false;
    }
    cv.notify_all();
  }
  bool wait_calls(int n) {
    std::unique_lock<std::mutex> g{m};
    return cv.wait_for(g, 5s, [&] { return calls >= n; });
  }
  int count() {
    std::lock_guard<std::mutex> g{m};
    return calls;
  }
};

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("a cached Vapi credential is used without a read until it is due for a refresh",
          "[vapi-overrides]") {
  fake_store store;
  vapi_override_cache cache{10s, 5s};
  CHECK(cache.get("org-a", store.loader())->secret == "first");
  CHECK(store.last_thread == std::this_thread::get_id());  // the first read is the caller's
  store.set("second");
  for (int i = 0; i < 10; ++i) CHECK(cache.get("org-a", store.loader())->secret == "first");
  CHECK(store.count() == 1);
  // Dropped at once by a change through this server: the next webhook reads it.
  cache.invalidate("org-a");
  CHECK(cache.get("org-a", store.loader())->secret == "second");
  CHECK(store.count() == 2);
}

TEST_CASE("a Vapi credential due for a refresh is reloaded in the background while webhooks "
          "keep the cached one", "[vapi-overrides]") {
  fake_store store;
  vapi_override_cache cache{10s, 50ms};
  CHECK(cache.get("org-a", store.loader())->secret == "first");
  std::this_thread::sleep_for(80ms);
  store.set("rotated");
  store.close_gate();  // the reload hangs, as a slow database would
  const auto asked = std::chrono::steady_clock::now();
  CHECK(cache.get("org-a", store.loader())->secret == "first");  // no wait for the read
  CHECK(std::chrono::steady_clock::now() - asked < 1s);
  REQUIRE(store.wait_calls(2));
  CHECK(store.last_thread != std::this_thread::get_id());
  // Meanwhile other webhooks are answered from the cache and queue no second reload.
  for (int i = 0; i < 5; ++i) CHECK(cache.get("org-a", store.loader())->secret == "first");
  store.open_gate();
  CHECK(eventually([&] { return cache.get("org-a", store.loader())->secret == "rotated"; }));
  CHECK(store.count() == 2);
}

TEST_CASE("an expired Vapi credential is read on the caller's thread", "[vapi-overrides]") {
  fake_store store;
  vapi_override_cache cache{50ms, 50ms};
  CHECK(cache.get("org-a", store.loader())->secret == "first");
  std::this_thread::sleep_for(80ms);
  store.set("changed elsewhere");
  CHECK(cache.get("org-a", store.loader())->secret == "changed elsewhere");
  CHECK(store.count() == 2);
  CHECK(store.last_thread == std::this_thread::get_id());
}

TEST_CASE("a background reload that an invalidation overtook is not cached",
          "[vapi-overrides]") {
  fake_store store;
  vapi_override_cache cache{10s, 20ms};
  CHECK(cache.get("org-a", store.loader())->secret == "first");
  std::this_thread::sleep_for(40ms);
  store.close_gate();
  CHECK(cache.get("org-a", store.loader())->secret == "first");  // queues the reload
  REQUIRE(store.wait_calls(2));  // the reload read "first" and is held
  cache.invalidate("org-a");     // e.g. PUT /api/org/vapi-webhook-auth
  store.set("new");
  store.open_gate();
  std::this_thread::sleep_for(50ms);
  // The held reload's value was read before the change: the next webhook reads again.
  CHECK(cache.get("org-a", store.loader())->secret == "new");
  cache.stop();
}
