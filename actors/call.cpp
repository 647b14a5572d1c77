// The call actor: one per live call. Every message it handles waits for its database work
// (CAF `await`), so a call's webhooks and tool calls are processed strictly one at a time, in
// arrival order, and each reply is sent only after its commit. Lifecycle events are made durable
// through the journal (group commit, actors/journal_interfaces.hpp). Its state is rebuilt from
// the database: by its first event in the same journal entry as the event itself, by a load
// before its first tool call, or from the registry's bulk load at start-up; so a crash or a
// restart loses nothing that was acknowledged.
//
// It also keeps its stored events' identity (kind, status, reasons, times, dedup keys) and
// computes its projection itself (domain::project): a duplicate it knows is acknowledged without
// the journal, and a plain event goes to the journal as a data row (calls::event_row) that the
// journal stores set-based with the batch's other rows. When the database turns out to differ
// from what the actor knew (another writer: the booking, the scoring step, another instance, a
// call stored before the actor was spawned), the row falls back to the general closure, which
// re-reads every event, and the actor takes that history in.
#include <atomic>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/call_scoring.hpp"
#include "actors/call_sms.hpp"
#include "actors/call_store.hpp"
#include "actors/db_call.hpp"
#include "actors/journal_call.hpp"
#include "actors/knowledge_tool.hpp"
#include "adapters/metrics/metrics.hpp"
#include "domain/e164.hpp"
#include "domain/sms_policy.hpp"
#include "persistence/repositories.hpp"
#include "persistence/twilio_queries.hpp"

namespace rm::actors {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

struct call_state {
  persistence::call_identity identity;
  domain::call_projection projection;
  bool loaded = false;
  bool row_ensured = false;  // the calls row exists (tool results reference it)
  bool announced = false;    // the event hub has heard of this call (or it existed when loaded)
  // Present once reads' records went to the tool log with this identity (answered_reads, while
  // the row may not exist): the tool log writes the row, so an actor not loaded runs its tool
  // calls from the same tenant without a load. True once the tool log has stored (or given up)
  // those records: then the row exists, unless the call turned out to be another tenant's (which
  // the booking's claim refuses anyway), and with_row writes nothing. Dropped after a failed
  // booking tool.
  std::shared_ptr<std::atomic<bool>> rows_stored;
  // Every stored event of the call (no payloads) when events_known; false after the registry's
  // bulk recovery load until an event is recorded the general way (which re-reads them).
  std::vector<domain::call_event> events;
  bool events_known = false;
  // toolCallId → its first result: a retried tool call is answered from here without acting.
  // Rebuilt from tool_invocations when the actor is (re)created.
  std::unordered_map<std::string, tool_reply> outcomes;
  // The sanity timer: one pending at a time (not one per message: each delayed message stays in
  // CAF's clock until due, i.e. for sanity_timeout, ~4 h), compared on expiry with the time the
  // call was last heard of.
  caf::actor_clock::time_point last_heard{};
  bool sanity_armed = false;
  tenant_actor tenant;           // cached; re-resolved through the directory when dead
  metrics::live_token live{metrics::live::calls};  // ringmaster_live_call_actors
  static inline const char* name = "call";
};
using call_ptr = call_actor::stateful_pointer<call_state>;

bool booking_tool(const std::string& name) {
  return name == "check_availability" || name == "reserve_slot" || name == "book_appointment";
}

// The tools run_tools dispatches; any other name is answered "unknown tool".
bool known_tool(const std::string& name) {
  return booking_tool(name) || name == "send_sms" || name == "search_knowledge_base";
}

tool_reply reply_of(const tool_request& req, std::string text, bool is_error) {
  return {req.name, req.tool_call_id, std::move(text), is_error};
}

// THE place where a committed change of the call's projection is taken in (a webhook's event,
// the scoring step, the sanity close): called only after the transaction that made it
// committed. Tells the event hub (actors/call_events.hpp) when the call is new to the streams or
// its state, outcome or ended reason changed. Returns whether the state changed.
bool commit_projection(call_ptr self, const wiring_ptr& w, const domain::call_projection& next) {
  auto& st = self->state;
  const auto before = st.projection;
  st.projection = next;
  const bool changed = next.state != before.state || next.outcome != before.outcome ||
                       next.ended_reason != before.ended_reason;
  if (changed || !st.announced) {
    call_changed c;
    c.call_id = st.identity.id;
    c.org_id = st.identity.org_id;
    c.state = domain::to_string(next.state);
    c.outcome = domain::to_string(next.outcome);
    c.caller_last4 = last4_digits(st.identity.caller);
    c.ended_reason = next.ended_reason;
    c.started_at_ms = next.started_at_ms;
    c.updated_at_ms = p::to_epoch(w->now()) * 1000;
    caf::anon_send(w->events(), evpub_atom::value, std::move(c));
  }
  st.announced = true;
  return next.state != before.state;
}

// The sanity timer: a call silent for `sanity_timeout` gets closed. Armed unless one is pending
// already (its expiry re-arms for the rest of the time when the call was heard of since).
void arm_sanity(call_ptr self, caf::actor_clock::duration_type delay) {
  if (self->state.sanity_armed) return;
  self->state.sanity_armed = true;
  self->delayed_send(self, delay, sanity_atom::value, std::uint64_t{1});
}

// Every message: the call was heard of now.
void touch(call_ptr self, const wiring_ptr& w) {
  self->state.last_heard = self->clock().now();
  arm_sanity(self, w->times.sanity_timeout);
}

// Time left before the call counts as silent for sanity_timeout (zero or less: it is).
caf::actor_clock::duration_type silence_left(call_ptr self, const wiring_ptr& w) {
  return self->state.last_heard + w->times.sanity_timeout - self->clock().now();
}

// Timers follow the state: linger once reported (the scoring step follows at once) and scored,
// close when the report never comes.
void arm_timers(call_ptr self, const wiring_ptr& w) {
  auto state = self->state.projection.state;
  if (state == domain::call_state::reported || state == domain::call_state::scored)
    self->delayed_send(self, w->times.call_linger, linger_atom::value);
  else if (state == domain::call_state::ended)
    self->delayed_send(self, w->times.no_report_timeout, noreport_atom::value);
  touch(self, w);
}

// The scoring step (actors/call_scoring.hpp) for a call in state `reported`, then `next()`. Its
// transaction is idempotent, so running it again (a repeated report, a restart, another instance)
// changes nothing. The actor's other messages wait for it (await). A failure leaves the call
// `reported`: the linger timer tries once more, and recovery at the next start resumes it.
template <class Next>
void score_if_reported(call_ptr self, const wiring_ptr& w, Next next) {
  if (self->state.projection.state != domain::call_state::reported) {
    next();
    return;
  }
  auto id = self->state.identity.id;
  auto now_s = p::to_epoch(w->now());
  db_await<calls::scoring_outcome>(
      self, *w, [id, now_s](pqxx::connection& c) { return calls::score_call(c, id, now_s); },
      [=](caf::expected<calls::scoring_outcome> scored) mutable {
        if (scored && scored->found) {
          if (scored->scored_now) metrics::call_scored(scored->lead_tier);
          if (commit_projection(self, w, scored->projection)) arm_timers(self, w);
        } else if (!scored) {
          spdlog::warn("call {}: scoring did not complete ({}); it stays reported",
                       self->state.identity.id, describe(scored.error()));
        }
        next();
      });
}

// Takes in the stored identity, projection and tool results (a load, the first journal entry
// or the registry's bulk recovery). Sets nothing when the call is not stored yet.
void apply_loaded(call_ptr self, const calls::loaded_call& l) {
  auto& st = self->state;
  if (l.found) {  // the stored identity is authoritative, whoever spawned the actor
    // Answers remembered before the load (reads, answered_reads) were for the spawning
    // requester's tenant: not for a call stored under another one.
    if (l.identity.org_id != st.identity.org_id) st.outcomes.clear();
    st.identity = l.identity;
    st.projection = l.projection;  // loaded, not changed: the streams' lists show it
    st.row_ensured = true;
    st.announced = true;
    for (auto& [tool_call_id, outcome] : l.outcomes)
      st.outcomes[tool_call_id] = tool_reply{"", tool_call_id, outcome.result, outcome.is_error};
    st.events = l.events;
    st.events_known = l.events_loaded;
  } else {
    st.events.clear();  // not stored (yet): no events
    st.events_known = true;
  }
  st.loaded = true;
}

// Runs `next(err)` once the call's identity and projection are loaded from the database
// (`err` empty), or with the failure (ec::database_unavailable, ec::timeout …) when they could
// not be.
template <class Next>
void with_loaded(call_ptr self, const wiring_ptr& w, Next next) {
  if (self->state.loaded) {
    next(caf::error{});
    return;
  }
  auto id = self->state.identity.id;
  db_await<calls::loaded_call>(
      self, *w, [id](pqxx::connection& c) { return calls::load(c, id); },
      [=](caf::expected<calls::loaded_call> loaded) mutable {
        if (!loaded) {
          next(std::move(loaded.error()));
          return;
        }
        if (self->state.loaded) return next(caf::error{});  // loaded meanwhile (bulk, journal)
        apply_loaded(self, *loaded);
        arm_timers(self, w);
        // Reported but not scored: the process stopped between the report and the score.
        score_if_reported(self, w, [=]() mutable { next(caf::error{}); });
      });
}

// with_loaded for a tools message: a fresh actor's load and, for a call not stored yet, its row
// (`requester`'s identity) in ONE journal entry, so the first tool call of a new call costs one
// group-committed round trip instead of a load and an insert of its own (issue 13 §3). A call id
// stored under another tenant is loaded, not touched: the caller then refuses it by org.
template <class Next>
void with_loaded_for_tools(call_ptr self, const wiring_ptr& w,
                           const persistence::call_identity& requester, Next next) {
  if (self->state.loaded) {
    next(caf::error{});
    return;
  }
  journal_await<calls::loaded_call>(
      self, *w, requester.org_id,
      [requester](pqxx::work& tx) {
        auto l = calls::load_in(tx, requester.id);
        if (!l.found) {
          p::set_tenant(tx, requester.org_id);
          p::ensure_call(tx, requester);
        }
        return l;
      },
      [=](caf::expected<calls::loaded_call> loaded) mutable {
        if (!loaded) return next(std::move(loaded.error()));
        if (!self->state.loaded) {
          apply_loaded(self, *loaded);
          if (!loaded->found) {
            // What was remembered before was for the spawning requester's tenant.
            if (requester.org_id != self->state.identity.org_id) self->state.outcomes.clear();
            self->state.identity = requester;
            self->state.row_ensured = true;  // committed with the batch
            // A call whose first message is a tool call appears on the live streams now (its
            // row exists, in its initial state), not at its next state change.
            commit_projection(self, w, self->state.projection);
          }
          arm_timers(self, w);
        }
        score_if_reported(self, w, [=]() mutable { next(caf::error{}); });
      });
}

// Resolves the tenant actor (cached) and runs `next(handle)`, or `next(err)` with the
// directory's failure (ec::not_found for an unknown tenant, a database failure …).
template <class Next>
void with_tenant(call_ptr self, const wiring_ptr& w, Next next) {
  if (self->state.tenant) {
    next(caf::expected<tenant_actor>{self->state.tenant});
    return;
  }
  self->request(w->directory(), w->times.db_timeout, org_atom::value, self->state.identity.org_id)
      .await(
          [=](tenant_actor t) mutable {
            self->state.tenant = t;
            next(caf::expected<tenant_actor>{t});
          },
          [=](caf::error& err) mutable { next(caf::expected<tenant_actor>{std::move(err)}); });
}

using results_ptr = std::shared_ptr<std::vector<tool_reply>>;
using tools_promise = caf::typed_response_promise<std::vector<tool_reply>>;

void run_tools(call_ptr self, const wiring_ptr& w, std::shared_ptr<std::vector<tool_request>> reqs,
               std::size_t i, results_ptr results, tools_promise rp);


// search_knowledge_base (actors/knowledge_tool.hpp): read-only, so no tool_invocations claim
// first; one search on the pool, then the result is stored write-behind like
// check_availability's. `next` answers without remembering (bad arguments, database down: a
// retry searches again), `settle` remembers the answer for retries of the toolCallId.
template <class Next, class Settle>
void search_knowledge(call_ptr self, const wiring_ptr& w, const tool_request& req, Next next,
                      Settle settle) {
  auto q = calls::knowledge_query_of(req.arguments_json);
  if (!q.error.empty()) return next(reply_of(req, q.error, true));
  auto org_id = self->state.identity.org_id;
  db_await<p::tool_outcome>(
      self, *w,
      [org_id, query = q.query](pqxx::connection& c) {
        return calls::search_knowledge_base(c, org_id, query);
      },
      [=](caf::expected<p::tool_outcome> found) mutable {
        if (!found) {
          return next(reply_of(req, "the clinic's knowledge base is unavailable right now (" +
                                        describe(found.error()) + ")", true));
        }
        const auto& id = self->state.identity;
        caf::anon_send(w->tool_log(), log_atom::value,
                       p::completed_tool_call{id.id, req.tool_call_id, id.org_id, req.name,
                                              req.arguments_json, *found});
        settle(reply_of(req, found->result, found->is_error));
      });
}

void run_tools(call_ptr self, const wiring_ptr& w, std::shared_ptr<std::vector<tool_request>> reqs,
               std::size_t i, results_ptr results, tools_promise rp) {
  // The tool calls answered at once (replays, arguments that are not JSON, unknown tools) are
  // taken by this loop, not by recursion: a stack frame per entry of a long list overflowed a
  // scheduler thread's stack (2,000 unknown tools crashed the service).
  for (; i < reqs->size(); ++i) {
    const auto& req = (*reqs)[i];
    if (auto cached = self->state.outcomes.find(req.tool_call_id);
        cached != self->state.outcomes.end()) {
      metrics::tool_call(req.name, "replayed", 0);
      results->push_back(reply_of(req, cached->second.text, cached->second.is_error));
      continue;
    }
    if (!req.arguments_error.empty()) {
      metrics::tool_call(req.name, "error", 0);
      results->push_back(reply_of(req, "the arguments of " + req.name + " are not valid JSON: " +
                                           req.arguments_error, true));
      continue;
    }
    if (!known_tool(req.name)) {
      metrics::tool_call(req.name, "error", 0);
      results->push_back(reply_of(req, "unknown tool '" + req.name + "'", true));
      continue;
    }
    break;
  }
  if (i == reqs->size()) {
    rp.deliver(std::move(*results));
    return;
  }
  const auto& req = (*reqs)[i];
  const auto started = std::chrono::steady_clock::now();
  auto next = [=](tool_reply r) mutable {
    metrics::tool_call(req.name, r.is_error ? "error" : "ok",
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                           .count());
    results->push_back(std::move(r));
    run_tools(self, w, reqs, i + 1, results, rp);
  };
  // Remembers a stored (or to-be-stored) result for retries, then moves on.
  auto settle = [=](tool_reply r) mutable {
    self->state.outcomes[r.tool_call_id] = r;
    next(std::move(r));
  };
  if (req.name == "send_sms") {
    call_tools::send_sms(self, w, req, settle);
    return;
  }
  if (req.name == "search_knowledge_base") {
    search_knowledge(self, w, req, next, settle);
    return;
  }
  with_tenant(self, w, [=](caf::expected<tenant_actor> t) mutable {
    if (!t) {
      next(reply_of(req, "the clinic's calendar is unavailable right now (" +
                             describe(t.error()) + ")", true));
      return;
    }
    tenant_tool_call call{self->state.identity.id, self->state.identity.caller, req};
    self->request(*t, w->times.db_timeout * 2, tool_atom::value, std::move(call))
        .await(
            [=](const tenant_tool_reply& r) mutable {
              auto reply = reply_of(req, r.outcome.result, r.outcome.is_error);
              if (r.failure) {
                // Nothing stored: a retry may act. Its row is ensured again first, in case the
                // failure was a row taken to exist (rows_stored) that the tool log gave up on.
                self->state.row_ensured = false;
                self->state.rows_stored.reset();
                return next(std::move(reply));
              }
              if (r.store_behind) {
                const auto& id = self->state.identity;
                caf::anon_send(w->tool_log(), log_atom::value,
                               p::completed_tool_call{id.id, req.tool_call_id, id.org_id,
                                                      req.name, req.arguments_json, r.outcome});
              }
              settle(std::move(reply));
            },
            [=](caf::error& err) mutable {
              self->state.tenant = tenant_actor{};  // it may have died: resolve again next time
              next(reply_of(req, "the clinic's calendar did not answer (" + describe(err) + ")",
                            true));
            });
  });
}

// Runs `next` once the call's row exists (tool results reference it): at once when it does, else
// after inserting it (once per actor). A call whose first message is a tool call appears on the
// live streams then (its row exists, in its initial state), not at its next state change.
template <class Next>
void with_row(call_ptr self, const wiring_ptr& w, Next next) {
  auto& st = self->state;
  if (!st.row_ensured && st.rows_stored && st.rows_stored->load()) st.row_ensured = true;
  if (st.row_ensured) return next();
  auto identity = self->state.identity;
  db_await<bool>(
      self, *w,
      [identity](pqxx::connection& c) {
        pqxx::work tx{c};
        p::set_tenant(tx, identity.org_id);
        p::ensure_call(tx, identity);
        tx.commit();
        return true;
      },
      [=](caf::expected<bool> ensured) mutable {
        if (ensured) {
          self->state.row_ensured = true;
          if (!self->state.announced) commit_projection(self, w, self->state.projection);
        }
        next();
      });
}

call_actor::behavior_type call_behavior(call_ptr self, wiring_ptr w,
                                        persistence::call_identity identity,
                                        std::shared_ptr<const calls::loaded_call> preloaded) {
  self->state.identity = std::move(identity);
  if (preloaded) {
    apply_loaded(self, *preloaded);  // recovery: no load of its own
    self->send(self, sanity_atom::value, std::uint64_t{0});
  } else if (self->state.identity.org_id.empty()) {
    // Only an id: load now and arm the timers (sanity 0 is the start-up message).
    self->send(self, sanity_atom::value, std::uint64_t{0});
  } else {
    // Spawned by its first message, which loads it (the first event in its journal entry).
    touch(self, w);
  }
  return {
      [=](event_atom, call_event_msg& msg) -> caf::typed_response_promise<event_ack> {
        auto rp = self->make_response_promise<event_ack>();
        if (self->state.identity.org_id.empty()) self->state.identity = msg.identity;
        // After the commit: the projection, the timers, the ack, then the scoring step.
        auto take = [=](const calls::recorded& r) mutable {
          const bool state_changed = commit_projection(self, w, r.projection);
          self->state.row_ensured = true;
          if (state_changed || r.stored) arm_timers(self, w);
          // Acknowledged after the report's commit; the scoring step runs next, before
          // this call's next message.
          rp.deliver(event_ack{r.stored, domain::to_string(r.projection.state),
                               domain::to_string(r.projection.outcome)});
          score_if_reported(self, w, [] {});
        };
        auto& st = self->state;
        if (st.loaded) {
          if (msg.identity.org_id != st.identity.org_id) {
            // A call id of another tenant: refuse without touching its record.
            rp.deliver(event_ack{false, "", "", true});
            return rp;
          }
          msg.identity = st.identity;  // the first identity stays authoritative
        }
        // Not loaded yet: the first message, whose entry loads the call too (no extra round
        // trip, and the call's row joins the batch). As a data row it is tried as a fresh call
        // (its row inserted unless stored: then the load and record run instead).
        const bool first = !st.loaded;
        const bool fresh = first || !st.row_ensured;
        std::shared_ptr<journal_entry::data_row> data;
        if (fresh || st.events_known) {
          if (!fresh)
            for (const auto& e : st.events)
              if (e.dedup_key == msg.event.dedup_key) {  // a duplicate: stored already
                rp.deliver(event_ack{false, domain::to_string(st.projection.state),
                                     domain::to_string(st.projection.outcome)});
                return rp;
              }
          if (auto row = calls::event_row(msg, fresh, st.events))
            data = std::make_shared<journal_entry::data_row>(journal_entry::data_row{*row});
        }
        auto org = msg.identity.org_id;  // before msg is moved into the entry
        auto identity = msg.identity;
        auto event = msg.event;
        journal_await_row<calls::first_recorded>(
            self, *w, org, data,
            [first, msg = std::move(msg)](pqxx::work& tx) {
              if (first) return calls::load_and_record_in(tx, msg);
              calls::first_recorded out;
              out.record = calls::record_event_in(tx, msg);
              return out;
            },
            [data] {  // the row was stored: what it assumed
              calls::first_recorded out;
              out.record.stored = true;
              out.record.projection = data->row.projection;
              return out;
            },
            [=](caf::expected<calls::first_recorded> r) mutable {
              if (!r) {
                rp.deliver(std::move(r.error()));
                return;
              }
              auto& st = self->state;
              if (data && data->outcome == persistence::journal_row_outcome::stored) {
                if (!st.loaded) {  // a fresh call: nothing was stored before this event
                  st.identity = identity;
                  apply_loaded(self, calls::loaded_call{});
                  arm_timers(self, w);
                }
                st.events.push_back(event);
              } else {
                if (!st.loaded) {
                  apply_loaded(self, r->loaded);
                  arm_timers(self, w);
                }
                if (r->refused) {
                  rp.deliver(event_ack{false, "", "", true});
                  return;
                }
                st.events = std::move(r->record.events);
                st.events_known = true;
              }
              take(r->record);
            });
        return rp;
      },
      [=](tools_atom, const persistence::call_identity& requester, std::vector<tool_request>& reqs)
          -> caf::typed_response_promise<std::vector<tool_reply>> {
        auto rp = self->make_response_promise<std::vector<tool_reply>>();
        auto shared = std::make_shared<std::vector<tool_request>>(std::move(reqs));
        auto caller_org = requester.org_id;
        auto then = [=](const caf::error& err) mutable {
          touch(self, w);
          auto fail_all = [&](const std::string& why) {
            std::vector<tool_reply> out;
            for (const auto& r : *shared) out.push_back(reply_of(r, why, true));
            rp.deliver(std::move(out));
          };
          if (err) return fail_all("the call's record is unavailable (" + describe(err) + ")");
          if (caller_org != self->state.identity.org_id)
            return fail_all("this call does not belong to the clinic of the dialled number");
          with_row(self, w, [=] {
            run_tools(self, w, shared, 0, std::make_shared<std::vector<tool_reply>>(), rp);
          });
        };
        // A call first seen through its reads (the tool log writes its row) needs no load for
        // its tools: its identity is the one its reads named, its replay cache is in memory, and
        // its row is ensured once (with_row: nothing written when the tool log's is there). The
        // database still arbitrates: a booking claims the toolCallId under the call's org, which
        // the foreign key (call_id, org_id) → calls refuses for a call of another tenant. Its
        // first lifecycle event loads it (the general path). Otherwise the load and the row of a
        // new call are one journal entry. (Loading here put 64 loads before 64 reserves of one
        // slot: p99 40-250 ms instead of ~10.)
        // (A requester of another tenant than the reads' loads it: the stored org decides.)
        if (!self->state.loaded && self->state.rows_stored &&
            requester.org_id == self->state.identity.org_id)
          then(caf::error{});
        else
          with_loaded_for_tools(self, w, requester, then);
        return rp;
      },
      [=](tools_atom, answered_reads& reads) {
        // Read-only tool calls an HTTP worker already answered from the tenant's calendar
        // snapshot (service::run_tools): remembered for retries and handed to the tool log, as
        // if run here, with no load and no wait. A call not loaded yet (a new call whose first
        // webhooks are reads) is not loaded for them: its identity goes with the records and the
        // tool log inserts its row unless a call of that id is stored (issue 13 §3: no extra
        // round trip, no journal entry). The identity of an actor not loaded is its spawning
        // requester's, unverified: a call id stored under another tenant gets no record (the
        // tool log refuses it) and, once loaded, forgets what was remembered (apply_loaded). A
        // requester of another tenant than the actor's is left untouched (nothing remembered).
        auto& st = self->state;
        touch(self, w);
        if (reads.identity.org_id != st.identity.org_id) return;
        read_records records;
        const auto& id = st.identity;
        if (!st.row_ensured) records.call = id;
        for (std::size_t i = 0; i < reads.requests.size(); ++i) {
          const auto& req = reads.requests[i];
          const auto& r = reads.replies[i];
          if (r.failure || st.outcomes.count(req.tool_call_id)) continue;
          if (r.store_behind)
            records.rows.push_back(p::completed_tool_call{id.id, req.tool_call_id, id.org_id,
                                                          req.name, req.arguments_json,
                                                          r.outcome});
          st.outcomes[req.tool_call_id] = reply_of(req, r.outcome.result, r.outcome.is_error);
        }
        records.pending = std::move(reads.pending);  // released once stored (or dropped)
        if (records.call && !records.rows.empty()) {
          // The token's release also tells this actor that its row is written.
          if (!st.rows_stored) st.rows_stored = std::make_shared<std::atomic<bool>>(false);
          records.pending = std::shared_ptr<void>{
              nullptr, [stored = st.rows_stored, inner = std::move(records.pending)](void*) mutable {
                stored->store(true);
                inner.reset();
              }};
        }
        if (!records.rows.empty())
          caf::anon_send(w->tool_log(), log_atom::value, std::move(records));
        // A call whose first webhook is a tool call appears on the live streams now, in its
        // initial state (its row follows with the records), not at its next state change.
        if (!st.announced) commit_projection(self, w, st.projection);
      },
      [=](view_atom) -> caf::typed_response_promise<std::string> {
        auto rp = self->make_response_promise<std::string>();
        auto id = self->state.identity.id;
        db_then<std::string>(
            self, *w, [id](pqxx::connection& c) { return calls::view_json(c, id, true); },
            [rp](caf::expected<std::string> view) mutable {
              if (view)
                rp.deliver(std::move(*view));
              else
                rp.deliver(std::move(view.error()));
            });
        return rp;
      },
      [=](linger_atom) {
        // A call still `reported` here had its scoring fail: one more try, then recovery at the
        // next start takes over.
        if (self->state.projection.state == domain::call_state::reported)
          score_if_reported(self, w, [=] { self->quit(); });
        else if (self->state.projection.state == domain::call_state::scored)
          self->quit();
      },
      [=](noreport_atom) {
        if (self->state.projection.state == domain::call_state::ended) self->quit();
      },
      [=](sanity_atom, std::uint64_t which) {
        if (which == 0) {  // start-up: arm the timers (and resume a reported call)
          if (!self->state.loaded) return with_loaded(self, w, [](const caf::error&) {});
          arm_timers(self, w);
          return score_if_reported(self, w, [] {});
        }
        // The timer (1): due sanity_timeout after it was armed; if the call was heard of since,
        // it is armed again for the rest of the time.
        self->state.sanity_armed = false;
        if (auto left = silence_left(self, w); left > left.zero()) return arm_sanity(self, left);
        with_loaded(self, w, [=](const caf::error&) {
          // Heard of during the load: wait again.
          if (auto left = silence_left(self, w); left > left.zero()) return arm_sanity(self, left);
          if (self->state.projection.state >= domain::call_state::ended) {
            self->quit();
            return;
          }
          // Silent for hours without an end: close it as ended so it is not rebuilt forever.
          call_event_msg msg;
          msg.identity = self->state.identity;
          msg.event.kind = domain::call_event_kind::status;
          msg.event.status = domain::call_state::ended;
          msg.event.ended_reason = "ringmaster-sanity-timeout";
          msg.event.occurred_at_ms = p::to_epoch(w->now()) * 1000;
          msg.event.dedup_key = "status:ended:sanity";
          msg.payload_json = R"({"source":"ringmaster","reason":"sanity-timeout"})";
          journal_await<calls::recorded>(
              self, *w, msg.identity.org_id,
              [msg](pqxx::work& tx) { return calls::record_event_in(tx, msg); },
              [=](const caf::expected<calls::recorded>& recorded) {
                if (recorded) commit_projection(self, w, recorded->projection);
                self->quit();
              });
        });
      },
  };
}

}  // namespace

call_actor spawn_call(caf::actor_system& sys, wiring_ptr w, persistence::call_identity identity,
                      std::shared_ptr<const calls::loaded_call> preloaded) {
  return sys.spawn(call_behavior, std::move(w), std::move(identity), std::move(preloaded));
}

}  // namespace rm::actors
