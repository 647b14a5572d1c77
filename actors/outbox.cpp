// The outbox actor (actors/outbox_interfaces.hpp): passes over message_outbox, each step a db job
// (persistence/outbox_queries.hpp through db_then) or a typed request to the twilio adapter.
#include <spdlog/spdlog.h>

#include <deque>
#include <string_view>

#include "actors/actors.hpp"
#include "actors/db_call.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::actors {

namespace {

namespace ob = persistence::outbox;

struct outbox_state {
  std::uint64_t pass = 0;     // passes started; a timer set after pass n carries n
  bool running = false;
  std::deque<ob::due_row> queue;
  int in_flight = 0;
  int scheduled = 0, sent = 0, other = 0;  // counts of the running pass
  using promise = caf::typed_response_promise<int, int, int>;
  std::vector<promise> waiting, waiting_next;  // answered after this pass / after the next
  static inline const char* name = "outbox";
};

using outbox_ptr = outbox_actor::stateful_pointer<outbox_state>;

void start_pass(outbox_ptr self, const wiring_ptr& w);

// A row is over (whatever happened to it): start the next queued one, or end the pass.
void row_done(outbox_ptr self, const wiring_ptr& w);

void end_pass(outbox_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  st.running = false;
  if (st.sent > 0 || st.other > 0 || st.scheduled > 0)
    spdlog::info("outbox: pass {}: {} reminder(s) scheduled, {} sent, {} settled otherwise",
                 st.pass, st.scheduled, st.sent, st.other);
  for (auto& rp : st.waiting) rp.deliver(st.scheduled, st.sent, st.other);
  st.waiting = std::move(st.waiting_next);
  st.waiting_next.clear();
  if (!st.waiting.empty()) {  // requests that came during the pass: one more
    start_pass(self, w);
    return;
  }
  if (w->outbox.poll.count() > 0)
    self->delayed_send(self, w->outbox.poll, otick_atom::value, st.pass);
}

twilio_endpoint endpoint_of(const outbox_config& cfg, int attempts) {
  twilio_endpoint ep;
  ep.base_url = cfg.twilio_base_url;
  ep.retry.max_attempts = attempts;
  // Each exchange ends well within the lease (outbox_interfaces.hpp): list + POST ≤ 2/3 lease.
  ep.timeout = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(500),
                                                   cfg.rows.lease / 3);
  return ep;
}

// Finishing a row is one db job; the row is done when it answered. `outcome` is the row's
// settlement as counted by ringmaster_outbox_messages_total: "sent", "refused" or "uncertain".
template <class Fn>
void finish(outbox_ptr self, const wiring_ptr& w, const ob::claim& cl, Fn fn,
            const char* outcome) {
  auto id = cl.id;
  const bool sent = std::string_view{outcome} == "sent";
  db_then<bool>(self, *w, std::move(fn), [=](caf::expected<bool> ours) {
    if (!ours)
      spdlog::warn("outbox: row {}: its outcome could not be stored ({}); the lease will lapse "
                   "and the next claim reconciles",
                   id, describe(ours.error()));
    else if (!*ours)
      spdlog::warn("outbox: row {}: the claim was taken over before the outcome was stored", id);
    if (ours && *ours) {
      ++(sent ? self->state.sent : self->state.other);
      metrics::outbox_message(outcome);
    }
    row_done(self, w);
  });
}

void send(outbox_ptr self, const wiring_ptr& w, ob::claim cl) {
  const auto& cfg = w->outbox;
  twilio::credentials creds{cl.account.account_sid, cl.account.auth_token};
  twilio::sms_request sms{cl.from, cl.to, cl.body, ""};
  auto rows = cfg.rows;
  self->request(w->twilio(), cfg.rows.lease * 2 / 3, sms_atom::value, cl.org_id,
                endpoint_of(cfg, 1), creds, sms)
      .then(
          [=](const twilio::sms_result& r) {
            if (r.ok) {
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_sent(c, cl, r.sent.sid);
              }, "sent");
            } else if (r.error.http_status == 0) {  // no answer: it may have been accepted
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_uncertain(c, cl, rows, "no answer from Twilio: " +
                                                             r.error.message);
              }, "uncertain");
            } else {  // Twilio answered without queueing it
              auto code = r.error.code ? std::to_string(r.error.code)
                                       : "http_" + std::to_string(r.error.http_status);
              auto text = twilio::describe(r.error);
              spdlog::warn("outbox: row {}: Twilio refused the SMS: {}", cl.id, text);
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_refused(c, cl, rows, code, text);
              }, "refused");
            }
          },
          [=](caf::error& err) {
            // The breaker was open: nothing was sent. Anything else (a timeout, the adapter
            // died): unknown, so the next claim reconciles.
            if (ec_of(err) == ec::provider_unavailable) {
              auto text = describe(err);
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_refused(c, cl, rows, "breaker_open", text);
              }, "refused");
            } else {
              auto text = describe(err);
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_uncertain(c, cl, rows, "the Twilio adapter did not answer: " +
                                                             text);
              }, "uncertain");
            }
          });
}

// The previous sender of this row died (or got no answer): did its message reach Twilio?
void reconcile(outbox_ptr self, const wiring_ptr& w, ob::claim cl) {
  const auto& cfg = w->outbox;
  twilio::credentials creds{cl.account.account_sid, cl.account.auth_token};
  // To and From only: DateSent is not set on a message Twilio has queued but not yet sent, so a
  // DateSent filter could miss exactly the message we look for; date_created is compared here.
  twilio::message_query q;
  q.to = cl.to;
  q.from = cl.from;
  auto rows = cfg.rows;
  self->request(w->twilio(), cfg.rows.lease / 3 + std::chrono::seconds(1), msglist_atom::value,
                cl.org_id, endpoint_of(cfg, 3), creds, q)
      .then(
          [=](const twilio::message_list_result& r) {
            if (!r.ok) {
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_uncertain(c, cl, rows, "reconcile: Twilio's message list: " +
                                                             twilio::describe(r.error));
              }, "uncertain");
              return;
            }
            // Twilio's clock against the database's: a minute of slack.
            const long long since = cl.since_epoch - 60;
            for (const auto& m : r.messages) {
              if (m.body != cl.body || m.to != cl.to || m.from != cl.from) continue;
              if (m.direction.rfind("outbound", 0) != 0) continue;
              if (m.date_created_epoch != 0 && m.date_created_epoch < since) continue;
              spdlog::info("outbox: row {}: reconciled, Twilio already has it ({})", cl.id,
                           m.sid);
              auto sid = m.sid;
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_sent(c, cl, sid);
              }, "sent");
              return;
            }
            if (cl.attempts > rows.max_attempts) {
              finish(self, w, cl, [=](pqxx::connection& c) {
                return ob::finish_refused(c, cl, rows, "gave_up",
                                          "no answer from Twilio after every attempt");
              }, "refused");
              return;
            }
            send(self, w, cl);  // it never reached Twilio
          },
          [=](caf::error& err) {
            auto text = describe(err);
            finish(self, w, cl, [=](pqxx::connection& c) {
              return ob::finish_uncertain(c, cl, rows, "reconcile: " + text);
            }, "uncertain");
          });
}

void start_row(outbox_ptr self, const wiring_ptr& w, ob::due_row row) {
  ++self->state.in_flight;
  auto rows = w->outbox.rows;
  db_then<ob::claim>(
      self, *w, [=](pqxx::connection& c) { return ob::claim_row(c, row, rows); },
      [=](caf::expected<ob::claim> cl) {
        if (!cl) {
          spdlog::warn("outbox: row {}: claim failed: {}", row.id, describe(cl.error()));
          return row_done(self, w);
        }
        if (!cl->claimed) {
          if (!cl->settled.empty()) {
            ++self->state.other;
            spdlog::info("outbox: row {}: {}", row.id, cl->settled);
          }
          return row_done(self, w);
        }
        if (cl->reconcile)
          reconcile(self, w, std::move(*cl));
        else
          send(self, w, std::move(*cl));
      });
}

void row_done(outbox_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  --st.in_flight;
  while (st.in_flight < std::max(1, w->outbox.max_in_flight) && !st.queue.empty()) {
    auto next = st.queue.front();
    st.queue.pop_front();
    start_row(self, w, next);
  }
  if (st.in_flight == 0 && st.queue.empty()) end_pass(self, w);
}

void start_pass(outbox_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  st.running = true;
  ++st.pass;
  st.scheduled = st.sent = st.other = 0;
  const int batch = w->outbox.rows.batch;
  db_then<int>(
      self, *w, [batch](pqxx::connection& c) { return ob::schedule_reminders(c, batch); },
      [=](caf::expected<int> scheduled) {
        if (!scheduled)
          spdlog::warn("outbox: scheduling reminders failed: {}", describe(scheduled.error()));
        else
          self->state.scheduled = *scheduled;
        db_then<std::vector<ob::due_row>>(
            self, *w, [batch](pqxx::connection& c) { return ob::due_rows(c, batch); },
            [=](caf::expected<std::vector<ob::due_row>> due) {
              if (!due) {
                spdlog::warn("outbox: listing due rows failed: {}", describe(due.error()));
                return end_pass(self, w);
              }
              if (due->empty()) return end_pass(self, w);
              auto& q = self->state.queue;
              q.assign(due->begin(), due->end());
              // row_done starts up to max_in_flight rows; the extra +1/−1 keeps the pass open.
              ++self->state.in_flight;
              row_done(self, w);
            });
      });
}

}  // namespace

outbox_actor spawn_outbox(caf::actor_system& sys, std::shared_ptr<wiring> w) {
  auto fn = [w](outbox_ptr self) -> outbox_actor::behavior_type {
    // Whatever a crash left (rows sending with a lapsed lease, reminders due meanwhile) is found
    // by the first pass, at once.
    if (w->outbox.poll.count() > 0) start_pass(self, w);
    return {
        [=](opoll_atom) -> caf::typed_response_promise<int, int, int> {
          auto rp = self->make_response_promise<int, int, int>();
          if (self->state.running) {
            self->state.waiting_next.push_back(rp);  // this pass may have listed its rows
          } else {
            self->state.waiting.push_back(rp);
            start_pass(self, w);
          }
          return rp;
        },
        [=](otick_atom, std::uint64_t pass) {
          if (pass == self->state.pass && !self->state.running) start_pass(self, w);
        },
    };
  };
  return sys.spawn(fn);
}

}  // namespace rm::actors
