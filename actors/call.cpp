// The call actor: one per live call. Every message it handles waits for its database work
// (CAF `await`), so a call's webhooks and tool calls are processed strictly one at a time, in
// arrival order, and each reply is sent only after its commit. Lifecycle events are made durable
// through the journal (group commit, actors/journal_interfaces.hpp). Its state is rebuilt from
// the database: by its first event in the same journal entry as the event itself, by a load
// before its first tool call, or from the registry's bulk load at start-up; so a crash or a
// restart loses nothing that was acknowledged.
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/call_scoring.hpp"
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
  // toolCallId → its first result: a retried tool call is answered from here without acting.
  // Rebuilt from tool_invocations when the actor is (re)created.
  std::unordered_map<std::string, tool_reply> outcomes;
  std::uint64_t generation = 1;  // bumped by every message; the sanity timer compares it
  tenant_actor tenant;           // cached; re-resolved through the directory when dead
  metrics::live_token live{metrics::live::calls};  // ringmaster_live_call_actors
  static inline const char* name = "call";
};
using call_ptr = call_actor::stateful_pointer<call_state>;

bool booking_tool(const std::string& name) {
  return name == "check_availability" || name == "reserve_slot" || name == "book_appointment";
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

// Restarts the sanity timer: a call silent for `sanity_timeout` gets closed.
void touch(call_ptr self, const wiring_ptr& w) {
  self->delayed_send(self, w->times.sanity_timeout, sanity_atom::value,
                     ++self->state.generation);
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
    st.identity = l.identity;
    st.projection = l.projection;  // loaded, not changed: the streams' lists show it
    st.row_ensured = true;
    st.announced = true;
    for (auto& [tool_call_id, outcome] : l.outcomes)
      st.outcomes[tool_call_id] = tool_reply{"", tool_call_id, outcome.result, outcome.is_error};
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

void send_sms(call_ptr self, const wiring_ptr& w, const tool_request& req,
              std::function<void(tool_reply)> done);

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
  if (auto cached = self->state.outcomes.find(req.tool_call_id);
      cached != self->state.outcomes.end()) {
    metrics::tool_call(req.name, "replayed", 0);
    results->push_back(reply_of(req, cached->second.text, cached->second.is_error));
    run_tools(self, w, reqs, i + 1, results, rp);
    return;
  }
  // Remembers a stored (or to-be-stored) result for retries, then moves on.
  auto settle = [=](tool_reply r) mutable {
    self->state.outcomes[r.tool_call_id] = r;
    next(std::move(r));
  };
  if (!req.arguments_error.empty()) {
    next(reply_of(req, "the arguments of " + req.name + " are not valid JSON: " +
                           req.arguments_error, true));
    return;
  }
  if (req.name == "send_sms") {
    send_sms(self, w, req, settle);
    return;
  }
  if (req.name == "search_knowledge_base") {
    search_knowledge(self, w, req, next, settle);
    return;
  }
  if (!booking_tool(req.name)) {
    next(reply_of(req, "unknown tool '" + req.name + "'", true));
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
              if (r.failure) return next(std::move(reply));  // nothing stored: may act on retry
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

// What the claim transaction of a send_sms decided. When `settled` is set, the tool call was
// answered inside that transaction (refused, opted out, no Twilio account: the audit row and the
// tool result are committed) and nothing goes to Twilio.
struct sms_claim {
  p::claim claim;
  std::optional<p::tool_outcome> settled;
  std::optional<p::twilio_account> account;
  std::string message_id;  // the audit row reserved with status 'sending'
  p::message_row row;      // that row's content, for its outcome
};

// send_sms texts only the caller of this call, at most w->sms_per_call times per call
// (domain/sms_policy.hpp). The claim transaction claims the toolCallId, counts the call's SMS
// attempts under the call's SMS lock and, when the rule allows, reserves the audit row
// ('sending') before committing: the count is exact across concurrent tool calls, processes and
// restarts, and a retried toolCallId replays its stored result without counting again.
void send_sms(call_ptr self, const wiring_ptr& w, const tool_request& req,
              std::function<void(tool_reply)> done) {
  const auto& id = self->state.identity;
  auto args = json::parse(req.arguments_json, nullptr, false);
  auto text = [&](const char* k) {
    auto it = args.find(k);
    return it != args.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  auto body = text("message");
  if (body.empty()) return done(reply_of(req, "argument 'message' is required", true));
  if (body.size() > 1600)
    return done(reply_of(req, "argument 'message' is too long (at most 1600 characters)", true));
  auto to_text = text("to");
  auto region = domain::region_of(id.dialled);
  if (region == "ZZ") region = "US";

  auto call_id = id.id;
  auto org_id = id.org_id;
  auto caller = id.caller;
  auto from = id.dialled;
  auto limit = w->sms_per_call;
  db_await<sms_claim>(
      self, *w,
      [=](pqxx::connection& c) {
        pqxx::work tx{c};
        p::set_tenant(tx, org_id);
        sms_claim out;
        // 1. Claim the toolCallId first: a retry after this point never sends a second SMS.
        out.claim = p::claim_tool_call(tx, call_id, req.tool_call_id, org_id, req.name,
                                       req.arguments_json);
        if (!out.claim.claimed) {
          tx.commit();
          return out;
        }
        auto settle = [&](p::tool_outcome outcome) {
          p::complete_tool_call(tx, call_id, req.tool_call_id, outcome);
          tx.commit();
          out.settled = std::move(outcome);
          return out;
        };
        // 2. The rule: the caller only, within the per-call limit.
        auto attempted = p::sms_attempts_of_call(tx, call_id);
        auto decision = domain::decide_sms(caller, to_text, region, attempted, limit);
        if (decision.verdict == domain::sms_verdict::invalid_to)
          return settle({decision.reason, true});  // no recipient: nothing to audit
        auto& row = out.row;
        row.org_id = org_id;
        row.call_id = call_id;
        row.direction = "outbound";
        row.method = "sms";
        row.recipient = decision.recipient;
        row.content = body;
        if (domain::is_e164_syntax(row.recipient))
          row.contact_id = p::contact_by_phone(tx, org_id, row.recipient).value_or("");
        if (decision.verdict != domain::sms_verdict::send) {
          row.status = "refused";
          row.error_code = decision.code();
          row.error_message = decision.reason;
          p::insert_message(tx, row);
          return settle({decision.reason, true});
        }
        if (p::contact_opted_out(tx, org_id, row.recipient)) {
          // Refused before Twilio is called (it would answer 21610).
          row.status = "refused";
          row.error_code = "opted_out";
          row.error_message = "the recipient has opted out of SMS (replied STOP)";
          p::insert_message(tx, row);
          return settle({row.error_message, true});
        }
        out.account = p::load_twilio_account(tx, org_id);
        if (!out.account) {
          row.status = "failed";
          row.error_code = "no_credentials";
          row.error_message = "no Twilio account configured for this clinic";
          p::insert_message(tx, row);
          return settle({"the SMS was not sent: this clinic has no Twilio account set up", true});
        }
        // 3. Reserve the attempt: from this commit on it counts against the limit, even if
        //    the process dies before Twilio answers (it may have been sent).
        row.status = "sending";
        out.message_id = p::insert_message(tx, row);
        tx.commit();
        return out;
      },
      [=](caf::expected<sms_claim> claimed) mutable {
        if (!claimed)
          return done(reply_of(req, "the SMS could not be sent right now (" +
                                        describe(claimed.error()) + ")", true));
        auto& cl = *claimed;
        if (!cl.claim.claimed) {
          if (cl.claim.stored)
            return done(reply_of(req, cl.claim.stored->result, cl.claim.stored->is_error));
          return done(reply_of(req, "this SMS is already being sent", true));
        }
        if (cl.settled) {
          metrics::sms(cl.row.status);  // refused, or failed (no Twilio account)
          return done(reply_of(req, cl.settled->result, cl.settled->is_error));
        }
        // 5. The attempt's outcome and the tool's result in one transaction.
        auto message_id = cl.message_id;
        auto finish = [=](p::message_row row, p::tool_outcome outcome) mutable {
          metrics::sms(row.status);  // sent or failed
          db_await<bool>(
              self, *w,
              [=](pqxx::connection& c) {
                pqxx::work tx{c};
                p::set_tenant(tx, org_id);
                p::update_message_outcome(tx, message_id, row);
                p::complete_tool_call(tx, call_id, req.tool_call_id, outcome);
                tx.commit();
                return true;
              },
              [=](caf::expected<bool> written) mutable {
                if (!written)
                  outcome.result += " (the audit record could not be written: " +
                                    describe(written.error()) + ")";
                done(reply_of(req, outcome.result, outcome.is_error));
              });
        };
        // 4. Send through the tenant's own Twilio account, from the number that was dialled.
        auto row = cl.row;
        auto to_e164 = row.recipient;
        twilio::credentials creds{cl.account->account_sid, cl.account->auth_token};
        twilio::sms_request sms{from, to_e164, body, ""};
        self->request(w->twilio(), w->times.twilio_timeout, sms_atom::value, org_id, creds,
                      sms)
            .await(
                [=](const twilio::sms_result& r) mutable {
                  if (r.ok) {
                    row.status = "sent";
                    row.external_message_id = r.sent.sid;
                    row.sent_at = w->now();
                    json result{{"status", "sent"}, {"sid", r.sent.sid}, {"to", to_e164}};
                    finish(row, {result.dump(), false});
                  } else {
                    row.status = "failed";
                    row.error_code = r.error.code ? std::to_string(r.error.code)
                                                  : "http_" + std::to_string(r.error.http_status);
                    row.error_message = r.error.message;
                    finish(row, {"the SMS was not sent: " + twilio::describe(r.error), true});
                  }
                },
                [=](caf::error& err) mutable {
                  row.status = "failed";
                  row.error_code = "adapter_error";
                  row.error_message = describe(err);
                  finish(row, {"the SMS was not sent: the Twilio adapter did not answer", true});
                });
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
    // Only an id: load now and arm the timers (generation 0 is the start-up message).
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
        if (!self->state.loaded) {
          // The first message: the load and the record in ONE journal entry (no extra round
          // trip, and the call's row joins the batch).
          auto org = msg.identity.org_id;
          journal_await<calls::first_recorded>(
              self, *w, org,
              [msg = std::move(msg)](pqxx::work& tx) {
                return calls::load_and_record_in(tx, msg);
              },
              [=](caf::expected<calls::first_recorded> first) mutable {
                if (!first) {
                  rp.deliver(std::move(first.error()));
                  return;
                }
                if (!self->state.loaded) {
                  apply_loaded(self, first->loaded);
                  arm_timers(self, w);
                }
                if (first->refused) {
                  rp.deliver(event_ack{false, "", "", true});
                  return;
                }
                take(first->record);
              });
          return rp;
        }
        if (msg.identity.org_id != self->state.identity.org_id) {
          // A call id of another tenant: refuse without touching its record.
          rp.deliver(event_ack{false, "", "", true});
          return rp;
        }
        msg.identity = self->state.identity;  // the first identity stays authoritative
        auto org = msg.identity.org_id;  // before msg is moved into the entry
        journal_await<calls::recorded>(
            self, *w, org,
            [msg = std::move(msg)](pqxx::work& tx) { return calls::record_event_in(tx, msg); },
            [=](caf::expected<calls::recorded> recorded) mutable {
              if (!recorded) {
                rp.deliver(std::move(recorded.error()));
                return;
              }
              take(*recorded);
            });
        return rp;
      },
      [=](tools_atom, const persistence::call_identity& requester, std::vector<tool_request>& reqs)
          -> caf::typed_response_promise<std::vector<tool_reply>> {
        auto rp = self->make_response_promise<std::vector<tool_reply>>();
        auto shared = std::make_shared<std::vector<tool_request>>(std::move(reqs));
        auto caller_org = requester.org_id;
        with_loaded(self, w, [=](const caf::error& err) mutable {
          touch(self, w);
          auto fail_all = [&](const std::string& why) {
            std::vector<tool_reply> out;
            for (const auto& r : *shared) out.push_back(reply_of(r, why, true));
            rp.deliver(std::move(out));
          };
          if (err) return fail_all("the call's record is unavailable (" + describe(err) + ")");
          if (caller_org != self->state.identity.org_id)
            return fail_all("this call does not belong to the clinic of the dialled number");
          // The call row must exist before tool results reference it (once per actor).
          if (self->state.row_ensured) {
            run_tools(self, w, shared, 0, std::make_shared<std::vector<tool_reply>>(), rp);
            return;
          }
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
                  // A call whose first message is a tool call appears on the live streams now
                  // (its row exists, in its initial state), not at its next state change.
                  if (!self->state.announced) commit_projection(self, w, self->state.projection);
                }
                run_tools(self, w, shared, 0, std::make_shared<std::vector<tool_reply>>(), rp);
              });
        });
        return rp;
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
      [=](sanity_atom, std::uint64_t generation) {
        if (generation == 0) {  // start-up: arm the timers (and resume a reported call)
          if (!self->state.loaded) return with_loaded(self, w, [](const caf::error&) {});
          arm_timers(self, w);
          return score_if_reported(self, w, [] {});
        }
        with_loaded(self, w, [=](const caf::error&) {
          if (generation != self->state.generation) return;  // something happened since
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
