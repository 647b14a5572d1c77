// The event hub (actors/event_hub_interfaces.hpp) on the real scheduler: tenant filtering, one
// sequence, the bounded queue that drops a slow subscriber, unsubscribing, and the end of the
// hub ending its streams.
#include <catch2/catch.hpp>
#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "adapters/metrics/metrics.hpp"

using namespace rm;
using namespace std::chrono_literals;

namespace {

struct hub_world {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<actors::wiring> w = std::make_shared<actors::wiring>();
  actors::event_hub_actor hub = actors::spawn_event_hub(sys, w);

  ~hub_world() { caf::anon_send_exit(hub, caf::exit_reason::user_shutdown); }

  std::uint64_t subscribe(const std::string& org, const std::shared_ptr<actors::event_queue>& q) {
    caf::scoped_actor self{sys};
    std::uint64_t id = 0;
    self->request(hub, 5s, actors::evsub_atom::value, actors::event_subscriber{org, q})
        .receive([&](std::uint64_t x) { id = x; },
                 [&](caf::error& e) { FAIL("evsub failed: " << sys.render(e)); });
    return id;
  }
  // Answered after every message sent to the hub before it (one mailbox, in order).
  std::uint64_t count() {
    caf::scoped_actor self{sys};
    std::uint64_t n = 0;
    self->request(hub, 5s, actors::evcount_atom::value)
        .receive([&](std::uint64_t x) { n = x; },
                 [&](caf::error& e) { FAIL("evcount failed: " << sys.render(e)); });
    return n;
  }
  void publish(const std::string& call_id, const std::string& org, const std::string& state) {
    actors::call_changed c;
    c.call_id = call_id;
    c.org_id = org;
    c.state = state;
    c.caller_last4 = actors::last4_digits("+14155550177");
    caf::anon_send(hub, actors::evpub_atom::value, c);
  }
};

std::shared_ptr<actors::event_queue> queue(std::size_t capacity = 16) {
  return std::make_shared<actors::event_queue>(capacity);
}

}  // namespace

TEST_CASE("the hub sends a tenant's calls to that tenant's and the operator's streams only") {
  hub_world h;
  auto op = queue(), a = queue(), b = queue();
  h.subscribe("", op);
  h.subscribe("org-a", a);
  h.subscribe("org-b", b);
  REQUIRE(h.count() == 3);

  h.publish("call-a", "org-a", "ringing");
  h.publish("call-a", "org-a", "in-progress");
  h.publish("call-b", "org-b", "ringing");
  REQUIRE(h.count() == 3);  // every publish above is handled

  auto seen_a = a->wait(0ms);
  REQUIRE(seen_a.events.size() == 2);
  CHECK(seen_a.events[0].change.call_id == "call-a");
  CHECK(seen_a.events[0].change.state == "ringing");
  CHECK(seen_a.events[0].change.caller_last4 == "0177");
  CHECK(seen_a.events[1].change.state == "in-progress");
  CHECK(seen_a.events[0].seq < seen_a.events[1].seq);

  auto seen_b = b->wait(0ms);
  REQUIRE(seen_b.events.size() == 1);
  CHECK(seen_b.events[0].change.call_id == "call-b");
  CHECK(seen_b.events[0].change.org_id == "org-b");

  auto seen_op = op->wait(0ms);
  REQUIRE(seen_op.events.size() == 3);
  // One sequence for everybody: the operator sees every number, in order.
  CHECK(seen_op.events[0].seq == seen_a.events[0].seq);
  CHECK(seen_op.events[1].seq == seen_a.events[1].seq);
  CHECK(seen_op.events[2].seq == seen_b.events[0].seq);
  CHECK(seen_op.events[1].seq < seen_op.events[2].seq);
  CHECK_FALSE(seen_op.closed);
}

TEST_CASE("a subscriber whose queue is full is dropped with overflow; the others keep theirs") {
  hub_world h;
  auto slow = queue(2), fine = queue(16);
  h.subscribe("", slow);
  h.subscribe("", fine);
  const double dropped_before = metrics::event_subscribers_dropped();

  for (int i = 0; i < 3; ++i) h.publish("call-" + std::to_string(i), "org-a", "ringing");
  REQUIRE(h.count() == 1);  // the slow one is gone

  auto s = slow->wait(0ms);
  CHECK(s.events.size() == 2);  // what fitted is still delivered, then the end
  CHECK(s.closed);
  CHECK(s.overflowed);
  CHECK(metrics::event_subscribers_dropped() == dropped_before + 1);

  auto f = fine->wait(0ms);
  CHECK(f.events.size() == 3);
  CHECK_FALSE(f.closed);
  h.publish("call-3", "org-a", "ringing");
  CHECK(fine->wait(1s).events.size() == 1);
}

TEST_CASE("unsubscribing, or closing the queue, removes a subscriber; the hub's end closes all") {
  hub_world h;
  auto a = queue(), b = queue(), c = queue();
  auto id_a = h.subscribe("org-a", a);
  h.subscribe("org-a", b);
  h.subscribe("", c);
  REQUIRE(h.count() == 3);

  caf::anon_send(h.hub, actors::evunsub_atom::value, id_a);
  CHECK(h.count() == 2);
  b->close();  // the stream ended without telling the hub
  CHECK(h.count() == 1);
  h.publish("call-a", "org-a", "ringing");
  CHECK(h.count() == 1);
  CHECK(a->wait(0ms).events.empty());  // nothing after unsubscribing

  // The subscription object: destroying it closes the queue and unsubscribes.
  bool ended = false;
  {
    auto q = queue();
    auto id = h.subscribe("", q);
    actors::call_subscription sub{q, [&] {
                                    ended = true;
                                    caf::anon_send(h.hub, actors::evunsub_atom::value, id);
                                  }};
    CHECK(h.count() == 2);
  }
  CHECK(ended);
  CHECK(h.count() == 1);

  CHECK(c->wait(0ms).events.size() == 1);  // the operator's stream got call-a
  caf::anon_send_exit(h.hub, caf::exit_reason::user_shutdown);
  auto end = c->wait(5s);
  CHECK(end.events.empty());
  CHECK(end.closed);
  CHECK_FALSE(end.overflowed);
}

TEST_CASE("last4_digits keeps the last four digits only") {
  CHECK(actors::last4_digits("+14155550177") == "0177");
  CHECK(actors::last4_digits("(415) 555-2671") == "2671");
  CHECK(actors::last4_digits("12") == "12");
  CHECK(actors::last4_digits("anonymous").empty());
}
