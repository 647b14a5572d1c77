// The bound on reads answered ahead of their records (actors/read_backlog.hpp): places are
// taken up to the limit; then a worker waits, and is let through when a record is handed on,
// or gives up after its wait (and takes the actor path).
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "actors/read_backlog.hpp"

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
