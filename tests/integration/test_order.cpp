// 5. Lifecycle webhooks duplicated and out of order give the same call.
#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

TEST_CASE("a call's lifecycle messages in any order, with a duplicate, end the same", "[order]") {
  harness h;
  h.create_sample_clinic();
  // 0 ringing, 1 in-progress, 2 ended, 3 report; a fifth delivery repeats one of them.
  const std::vector<std::vector<int>> orders{
      {0, 1, 2, 3, 3}, {3, 2, 1, 0, 2}, {2, 0, 3, 1, 0}, {1, 3, 0, 2, 1},
      {3, 0, 0, 2, 1}, {2, 3, 1, 1, 0}, {0, 3, 2, 1, 3}, {1, 0, 3, 2, 2},
  };
  std::vector<json> views;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    call_spec call{"order-call-" + std::to_string(i)};
    const std::vector<json> messages{
        status_update(call, "ringing", 1'000),
        status_update(call, "in-progress", 2'000),
        status_update(call, "ended", 3'000, "customer-ended-call"),
        end_of_call_report(call, 4'000, "customer-ended-call"),
    };
    int duplicates = 0;
    for (int m : orders[i]) {
      auto r = h.vapi(messages[m]);
      INFO("order " << i << " message " << m << ": " << r.text);
      REQUIRE(r.status == 200);
      if (r.body["duplicate"] == true) ++duplicates;
    }
    CHECK(duplicates == 1);
    views.push_back(h.call_view(call.call_id));
  }
  for (std::size_t i = 0; i < views.size(); ++i) {
    INFO("order " << i << ": " << views[i].dump());
    CHECK(views[i]["state"] == "scored");
    CHECK(views[i]["outcome"] == "lost");
    CHECK(views[i]["ended_reason"] == "customer-ended-call");
    CHECK(views[i]["events"].size() == 5);  // the four messages and the score
    CHECK(views[i]["state"] == views[0]["state"]);
    CHECK(views[i]["outcome"] == views[0]["outcome"]);
    CHECK(views[i]["ended_reason"] == views[0]["ended_reason"]);
    CHECK(views[i]["events"].size() == views[0]["events"].size());
  }
}
