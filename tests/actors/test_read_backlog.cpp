// The bound on reads answered ahead of their records (actors/read_backlog.hpp): places are
// taken up to the limit; then a worker waits, and is let through when a record is handed on,
// or gives up after its wait (and takes the actor path).
#include <future>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "actors/read_backlog.hpp"
#include "adapters/metrics/metrics.hpp"

using namespace std::chrono_literals;

TEST_CASE("read backlog: up to the limit at once, then a wait that a release ends",
          "[read-backlog]") {
  rm::actors::read_backlog backlog{2};
  CHECK(backlog.acquire(0ms));
  CHECK(backlog.acquire(0ms));
  CHECK(backlog.size() == 2);
  // Full: a worker that will not wait gets no place.
  CHECK_FALSE(backlog.acquire(20ms));
  // A worker waiting is let through as soon as a record is handed on.
  auto waiting = std::async(std::launch::async, [&] { return backlog.acquire(10s); });
  CHECK(waiting.wait_for(50ms) == std::future_status::timeout);
  backlog.release();
  REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
  CHECK(waiting.get());
  CHECK(backlog.size() == 2);
  backlog.release();
  backlog.release();
  CHECK(backlog.size() == 0);
}

namespace {

// A series' value in the Prometheus text (`name` with its labels as rendered), -1 when absent.
double metric(const std::string& series) {
  const auto text = rm::metrics::render();
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("read backlog: its size and the reads that waited are metrics", "[read-backlog]") {
  const std::string placed = "ringmaster_write_behind_waits_total{outcome=\"placed\"}";
  const std::string timed_out = "ringmaster_write_behind_waits_total{outcome=\"timed_out\"}";
  const double placed_before = metric(placed), timed_out_before = metric(timed_out);
  REQUIRE(placed_before >= 0);
  REQUIRE(timed_out_before >= 0);
  rm::actors::read_backlog backlog{1};
  CHECK(backlog.acquire(0ms));  // below the limit: no wait counted
  CHECK(metric("ringmaster_write_behind_records") == 1);
  CHECK_FALSE(backlog.acquire(10ms));
  CHECK(metric(timed_out) == timed_out_before + 1);
  auto waiting = std::async(std::launch::async, [&] { return backlog.acquire(10s); });
  CHECK(waiting.wait_for(50ms) == std::future_status::timeout);
  backlog.release();
  REQUIRE(waiting.get());
  CHECK(metric(placed) == placed_before + 1);
  CHECK(metric("ringmaster_write_behind_records") == 1);
  backlog.release();
  CHECK(metric("ringmaster_write_behind_records") == 0);
  CHECK(metric(timed_out) == timed_out_before + 1);
}
