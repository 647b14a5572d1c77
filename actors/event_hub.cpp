// The event hub: committed call changes → the open live-event streams' bounded queues
// (actors/event_hub_interfaces.hpp).
#include <unordered_map>

#include "actors/actors.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::actors {

namespace {

struct event_hub_state {
  std::unordered_map<std::uint64_t, event_subscriber> subscribers;
  std::uint64_t next_id = 1;
  // The hub's end, whatever causes it, ends its streams: their clients reconnect to the
  // restarted hub instead of waiting on a queue nobody fills.
  ~event_hub_state() {
    for (auto& [id, s] : subscribers) s.queue->close();
  }
  static inline const char* name = "event_hub";
};
using hub_ptr = event_hub_actor::stateful_pointer<event_hub_state>;

void prune_closed(event_hub_state& st) {
  for (auto i = st.subscribers.begin(); i != st.subscribers.end();)
    i = i->second.queue->closed() ? st.subscribers.erase(i) : std::next(i);
}

event_hub_actor::behavior_type hub_behavior(hub_ptr self, wiring_ptr w) {
  return {
      [=](evpub_atom, const call_changed& change) {
        numbered_call_event e{++w->event_seq, change};
        auto& subs = self->state.subscribers;
        for (auto i = subs.begin(); i != subs.end();) {
          auto& s = i->second;
          if (s.queue->closed()) {  // its stream ended; evunsub may still be on its way
            i = subs.erase(i);
            continue;
          }
          if (!s.org_id.empty() && s.org_id != change.org_id) {
            ++i;
            continue;
          }
          if (s.queue->push(e)) {
            ++i;
            continue;
          }
          s.queue->overflow();  // full: this reader fell behind; it is dropped, nobody waits
          metrics::event_subscriber_dropped();
          i = subs.erase(i);
        }
      },
      [=](evsub_atom, event_subscriber& s) -> std::uint64_t {
        prune_closed(self->state);
        auto id = self->state.next_id++;
        self->state.subscribers.emplace(id, std::move(s));
        return id;
      },
      [=](evunsub_atom, std::uint64_t id) { self->state.subscribers.erase(id); },
      [=](evcount_atom) -> std::uint64_t {
        prune_closed(self->state);
        return self->state.subscribers.size();
      },
  };
}

}  // namespace

event_hub_actor spawn_event_hub(caf::actor_system& sys, std::shared_ptr<wiring> w) {
  return sys.spawn(hub_behavior, std::move(w));
}

}  // namespace rm::actors
