// The isolation matrix's entry for the live-event stream GET /api/events (event_routes.cpp). A
// stream names no id, so "B's token on A's ids" becomes: B's stream, open while A's call
// changes, never carries A's call — checked against A's own stream, which must carry it (so the
// check can fail).
#include <thread>

#include <catch2/catch.hpp>

#include "tests/support/sse_reader.hpp"
#include "tests/tenant_api/isolation.hpp"

namespace rm::tapi::isolation {

namespace {

using testing::sse_event;
using testing::sse_reader;

bool is_ready(const sse_event& e) { return e.event == "ready"; }

void b_stream_never_carries_a(world& w, const reply& r) {
  // The request itself (the fixture ends streams after 2 s): a stream with nothing of A's.
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/event-stream");
  CHECK(r.text.rfind("event: ready\n", 0) == 0);
  CHECK(r.text.find(w.a) == std::string::npos);
  CHECK(r.text.find(w.a_call) == std::string::npos);

  // Both streams open while A's new call rings.
  sse_reader a{w.f.port(), "/api/events", w.a_token};
  sse_reader b{w.f.port(), "/api/events", w.b_token};
  REQUIRE(a.wait_for(is_ready, std::chrono::seconds(1)));
  REQUIRE(b.wait_for(is_ready, std::chrono::seconds(1)));
  const std::string live_call = w.a_call + "-live";
  // A has its own Vapi webhook credential (isolation_world.cpp).
  auto rang = testing::http_request(w.f.port(), "POST", "/webhooks/vapi", "",
                                    status_update(live_call, number_a).dump(), "application/json",
                                    {{"X-Vapi-Secret", "clinic-a-webhook-secret-0123"}});
  INFO(rang.text);
  REQUIRE(rang.status == 200);
  auto seen = a.wait_for(
      [&](const sse_event& e) { return e.event == "call" && e.data.find(live_call) != e.data.npos; },
      std::chrono::seconds(1));
  REQUIRE(seen);  // A's own stream carries it
  CHECK(seen->json["org_id"] == w.a);
  // The hub pushed that change to every subscriber at once; B's stream writes within one
  // keep-alive period (100 ms here) of its queue filling.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto b_raw = b.raw();
  INFO(b_raw);
  CHECK(b_raw.rfind("event: ready\n", 0) == 0);
  CHECK(b_raw.find(live_call) == std::string::npos);
  CHECK(b_raw.find(w.a) == std::string::npos);
  CHECK(b_raw.find("event: call") == std::string::npos);
}

}  // namespace

const std::map<std::string, matrix_entry>& event_matrix() {
  static const std::map<std::string, matrix_entry> m{
      {"GET /api/events", {"", "", b_stream_never_carries_a}},
  };
  return m;
}

}  // namespace rm::tapi::isolation
