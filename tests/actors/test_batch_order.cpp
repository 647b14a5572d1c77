// The tool log's tokens released in commit order (actors/batch_order.hpp): a record split over
// two batches in flight must not be reported stored when the later batch commits first.
#include <catch2/catch.hpp>

#include "actors/batch_order.hpp"

namespace {

// A token that counts its release.
std::shared_ptr<void> token(int& released) {
  return std::shared_ptr<void>{nullptr, [&released](void*) { ++released; }};
}

}  // namespace

TEST_CASE("batch order: a batch committed before an earlier one is held back until it commits",
          "[batch-order]") {
  rm::actors::batch_order order;
  int released = 0;
  const auto a = order.begin();  // the first part of a record's rows
  const auto b = order.begin();  // its last rows, with its token
  order.committed(b, {token(released)});
  CHECK(released == 0);  // a is in flight: the record is not all stored
  CHECK(order.held() == 1);
  order.committed(a, {});
  CHECK(released == 1);
  CHECK(order.held() == 0);
}

TEST_CASE("batch order: in order, each batch's tokens go at its commit", "[batch-order]") {
  rm::actors::batch_order order;
  int released = 0;
  const auto a = order.begin();
  const auto b = order.begin();
  order.committed(a, {token(released), token(released)});
  CHECK(released == 2);
  const auto c = order.begin();
  order.committed(b, {token(released)});
  CHECK(released == 3);
  order.committed(c, {});
  CHECK(order.held() == 0);
}

TEST_CASE("batch order: a failed batch keeps the later committed tokens for its retry",
          "[batch-order]") {
  rm::actors::batch_order order;
  int released = 0;
  const auto a = order.begin();
  const auto b = order.begin();
  order.committed(b, {token(released)});
  auto kept = order.failed(a);  // a's rows go back to pending; b's token waits for them
  CHECK(released == 0);
  CHECK(kept.size() == 1);
  CHECK(order.held() == 0);
  // The retry (a later batch) carries them; its commit releases them.
  const auto retry = order.begin();
  order.committed(retry, std::move(kept));
  CHECK(released == 1);
}

TEST_CASE("batch order: a failure does not release what an earlier batch in flight holds",
          "[batch-order]") {
  rm::actors::batch_order order;
  int released = 0;
  const auto a = order.begin();
  const auto b = order.begin();
  const auto c = order.begin();
  order.committed(b, {token(released)});  // held by a
  auto kept = order.failed(c);            // nothing after c
  CHECK(kept.empty());
  CHECK(released == 0);
  CHECK(order.held() == 1);
  order.committed(a, {});
  CHECK(released == 1);
}
