// The call's scoring step (issue 11 §1–§2) against a real PostgreSQL scratch database:
//   - calls::score_call, the one transaction: scores, the score event, the contact's lead
//     pipeline, the notifications and the hot-lead outbox row; idempotent on repeat and after a
//     repeated report; at most one hot-lead alert per contact per hour;
//   - the call actor runs it after the report, and when it is rebuilt for a call left
//     `reported` (a crash between the report and the score): scored exactly once.
#include "actors/call_scoring.hpp"
#include "actors/call_store.hpp"
#include "tests/actors/deterministic_fixture.hpp"

using namespace rm;
using namespace rm::testing::actors_fixture;
using namespace std::chrono_literals;

namespace {

const char* const caller = "+14155550177";
const char* const alert_phone = "+14155550199";

persistence::call_identity identity_of(const fixture& f, const std::string& call_id) {
  return {call_id, f.tenant.id, "inbound", caller, "+14155550100", ""};
}

// A redacted transcript as the HTTP layer stores it: botox, a booking, a happy caller.
const std::string transcript =
    "AI: Thanks for calling Harbor Dental, how can I help?\n"
    "User: Hi, I would love to book botox for my forehead wrinkles, my SSN is [SSN].\n"
    "AI: Booked for Tuesday at ten.\n"
    "User: Great, thank you so much, that's perfect.\n";

std::vector<actors::call_event_msg> reported_call(const persistence::call_identity& id) {
  auto ringing = status_event(id, domain::call_state::ringing, "status:ringing");
  auto answered = status_event(id, domain::call_state::in_progress, "status:in-progress");
  answered.event.occurred_at_ms = 1000;
  auto ended = status_event(id, domain::call_state::ended, "status:ended");
  ended.event.occurred_at_ms = 150000;
  auto report = status_event(id, domain::call_state::reported, "report");
  report.event.kind = domain::call_event_kind::report;
  report.event.ended_reason = "customer-ended-call";
  report.payload_json = R"({"type":"end-of-call-report"})";
  report.report = persistence::call_report{};
  report.report->ended_reason = "customer-ended-call";
  report.report->transcript = transcript;
  report.report->summary = "The caller booked botox.";
  report.report->duration_seconds = 149;
  return {ringing, answered, ended, report};
}

// The events of a reported call, recorded without any actor (as a process that crashed right
// after the report's commit would have left them), and a successful book_appointment.
void record_reported(fixture& f, const std::string& call_id) {
  pqxx::connection c{f.db.url()};
  for (const auto& m : reported_call(identity_of(f, call_id))) calls::record_event(c, m);
  pqxx::work tx{c};
  persistence::set_tenant(tx, f.tenant.id);
  REQUIRE(persistence::claim_tool_call(tx, call_id, "tc-book-" + call_id, f.tenant.id,
                                       "book_appointment", R"({"hold_id":"x"})")
              .claimed);
  persistence::complete_tool_call(tx, call_id, "tc-book-" + call_id,
                                  {R"({"status":"booked"})", false});
  tx.commit();
}

std::string scalar(fixture& f, const std::string& sql, const std::string& param = "") {
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  auto r = param.empty() ? tx.exec(sql) : tx.exec_params(sql, param);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
}
long count(fixture& f, const std::string& sql, const std::string& param = "") {
  return std::stol(scalar(f, sql, param));
}

void set_alert_phone(fixture& f) {
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  tx.exec_params0("UPDATE organizations SET alert_phone = $2 WHERE id = $1", f.tenant.id,
                  alert_phone);
  tx.commit();
}

std::int64_t now_s(fixture& f) { return persistence::to_epoch(f.w->now()); }

calls::scoring_outcome score(fixture& f, const std::string& call_id, std::int64_t at) {
  pqxx::connection c{f.db.url()};
  return calls::score_call(c, call_id, at);
}

}  // namespace

TEST_CASE("scoring: one transaction scores a reported call; repeating it changes nothing",
          "[actors][scoring]") {
  fixture f;
  set_alert_phone(f);
  record_reported(f, "score-1");
  CHECK(scalar(f, "SELECT state FROM calls WHERE id = $1", "score-1") == "reported");

  const auto t0 = now_s(f);
  auto first = score(f, "score-1", t0);
  CHECK(first.found);
  CHECK(first.scored_now);
  CHECK(first.projection.state == domain::call_state::scored);
  CHECK(first.projection.outcome == domain::call_outcome::lost);  // no booking *event* here
  CHECK(first.lead_tier == "hot");
  CHECK(first.alert_queued);

  CHECK(scalar(f, "SELECT state FROM calls WHERE id = $1", "score-1") == "scored");
  CHECK(scalar(f, "SELECT financial_value::text FROM calls WHERE id = $1", "score-1") ==
        "400.00");
  CHECK(scalar(f, "SELECT matched_service FROM calls WHERE id = $1", "score-1") == "Botox");
  CHECK(std::stoi(scalar(f, "SELECT lead_score FROM calls WHERE id = $1", "score-1")) >= 70);
  CHECK(scalar(f, "SELECT lead_tier FROM calls WHERE id = $1", "score-1") == "hot");
  CHECK(scalar(f, "SELECT sentiment_label FROM calls WHERE id = $1", "score-1") == "positive");
  CHECK(scalar(f, "SELECT sentiment_source FROM calls WHERE id = $1", "score-1") == "lexicon");
  CHECK(scalar(f, "SELECT score_factors->>'booking' FROM calls WHERE id = $1", "score-1") ==
        "40");
  CHECK(scalar(f, "SELECT scored_at IS NOT NULL FROM calls WHERE id = $1", "score-1") == "t");
  CHECK(scalar(f, "SELECT reported_at IS NOT NULL FROM calls WHERE id = $1", "score-1") == "t");
  CHECK(count(f, "SELECT count(*) FROM call_events WHERE call_id = $1 AND kind = 'score'",
              "score-1") == 1);
  // The contact: created, booked, linked.
  const auto contact = scalar(f, "SELECT contact_id::text FROM calls WHERE id = $1", "score-1");
  REQUIRE_FALSE(contact.empty());
  CHECK(scalar(f, "SELECT phone_e164 FROM contacts WHERE id = $1", contact) == caller);
  CHECK(scalar(f, "SELECT lead_status FROM contacts WHERE id = $1", contact) == "booked");
  CHECK(scalar(f, "SELECT lead_tier FROM contacts WHERE id = $1", contact) == "hot");
  CHECK(scalar(f, "SELECT last_call_id FROM contacts WHERE id = $1", contact) == "score-1");
  // Notifications and the alert, which carries no transcript text.
  CHECK(count(f, "SELECT count(*) FROM org_notifications WHERE kind = 'call.scored'") == 1);
  CHECK(count(f, "SELECT count(*) FROM org_notifications WHERE kind = 'lead.hot'") == 1);
  REQUIRE(count(f, "SELECT count(*) FROM message_outbox") == 1);
  CHECK(scalar(f, "SELECT recipient FROM message_outbox") == alert_phone);
  CHECK(scalar(f, "SELECT kind || ' ' || channel || ' ' || state || ' [' || sender || ']'"
                  " FROM message_outbox") == "hot_lead_alert sms pending []");
  const auto body = scalar(f, "SELECT body FROM message_outbox");
  CHECK(body.find(caller) != std::string::npos);
  CHECK(body.find("Botox") != std::string::npos);
  CHECK(body.find("forehead") == std::string::npos);
  CHECK(scalar(f, "SELECT call_id FROM message_outbox") == "score-1");

  // Again (a second scorer), and a repeated report: nothing changes.
  auto again = score(f, "score-1", t0 + 5);
  CHECK(again.found);
  CHECK_FALSE(again.scored_now);
  CHECK(again.projection.state == domain::call_state::scored);
  {
    pqxx::connection c{f.db.url()};
    auto repeated = calls::record_event(c, reported_call(identity_of(f, "score-1")).back());
    CHECK_FALSE(repeated.stored);
    CHECK(repeated.projection.state == domain::call_state::scored);
  }
  CHECK(count(f, "SELECT count(*) FROM call_events WHERE call_id = $1 AND kind = 'score'",
              "score-1") == 1);
  CHECK(count(f, "SELECT count(*) FROM org_notifications") == 2);
  CHECK(count(f, "SELECT count(*) FROM message_outbox") == 1);

  // A second hot call from the same caller within the hour: scored (a returning caller), no
  // second alert; an hour after the first alert, a third one alerts again.
  record_reported(f, "score-2");
  auto second = score(f, "score-2", t0 + 1800);
  CHECK(second.scored_now);
  CHECK(second.lead_tier == "hot");
  CHECK_FALSE(second.alert_queued);
  CHECK(scalar(f, "SELECT score_factors->>'returning_caller' FROM calls WHERE id = $1",
               "score-2") == "10");
  CHECK(count(f, "SELECT count(*) FROM message_outbox") == 1);
  CHECK(count(f, "SELECT count(*) FROM org_notifications WHERE kind = 'lead.hot'") == 2);
  CHECK(count(f, "SELECT count(*) FROM contacts") == 1);
  record_reported(f, "score-3");
  CHECK(score(f, "score-3", t0 + 3600).alert_queued);
  CHECK(count(f, "SELECT count(*) FROM message_outbox") == 2);
}

TEST_CASE("scoring: a call that is not reported is left as it is", "[actors][scoring]") {
  fixture f;
  pqxx::connection c{f.db.url()};
  auto events = reported_call(identity_of(f, "not-yet"));
  events.pop_back();  // no report
  for (const auto& m : events) calls::record_event(c, m);
  auto out = calls::score_call(c, "not-yet", now_s(f));
  CHECK(out.found);
  CHECK_FALSE(out.scored_now);
  CHECK(out.projection.state == domain::call_state::ended);
  CHECK_FALSE(calls::score_call(c, "no-such-call", now_s(f)).found);
  CHECK(count(f, "SELECT count(*) FROM contacts") == 0);
  CHECK(count(f, "SELECT count(*) FROM call_events WHERE kind = 'score'") == 0);
}

TEST_CASE("call actor: the report is followed by the score, once", "[actors][scoring]") {
  fixture f;
  set_alert_phone(f);
  caf::scoped_actor self{*f.sys};
  auto id = identity_of(f, "actor-score");
  auto call = actors::spawn_call(*f.sys, f.w, id);
  actors::event_ack ack;
  for (const auto& e : reported_call(id))
    ack = ask<actors::event_ack>(f, self, call, actors::event_atom::value, e);
  CHECK(ack.state == "reported");  // acknowledged after the report's commit, then scored
  CHECK(scalar(f, "SELECT state FROM calls WHERE id = $1", "actor-score") == "scored");
  // The report again (a retried webhook): a duplicate, still scored once.
  ack = ask<actors::event_ack>(f, self, call, actors::event_atom::value, reported_call(id).back());
  CHECK_FALSE(ack.stored);
  CHECK(ack.state == "scored");
  CHECK(count(f, "SELECT count(*) FROM call_events WHERE kind = 'score'") == 1);
  CHECK(count(f, "SELECT count(*) FROM org_notifications WHERE kind = 'call.scored'") == 1);
  caf::anon_send_exit(call, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("call actor: a call left reported by a crash is scored once when rebuilt",
          "[actors][scoring]") {
  fixture f;
  f.w->times.call_linger = 2min;
  set_alert_phone(f);
  record_reported(f, "crashed");  // the process died between the report and the score
  REQUIRE(scalar(f, "SELECT state FROM calls WHERE id = $1", "crashed") == "reported");
  {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    auto unfinished = persistence::unfinished_call_ids(tx);
    CHECK(std::count(unfinished.begin(), unfinished.end(), "crashed") == 1);
  }

  caf::scoped_actor self{*f.sys};
  // Spawned as the registry's start-up recovery does: with the call from the bulk load.
  std::shared_ptr<const calls::loaded_call> preloaded;
  {
    pqxx::connection c{f.db.url()};
    for (auto& l : calls::load_unfinished(c))
      if (l.identity.id == "crashed") preloaded = std::make_shared<calls::loaded_call>(l);
  }
  REQUIRE(preloaded);
  auto rebuilt = actors::spawn_call(*f.sys, f.w, identity_of(f, "crashed"), preloaded);
  self->monitor(rebuilt);
  f.run();  // the actor starts from that state and resumes the scoring step
  CHECK(scalar(f, "SELECT state FROM calls WHERE id = $1", "crashed") == "scored");
  CHECK(count(f, "SELECT count(*) FROM message_outbox") == 1);
  {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    auto unfinished = persistence::unfinished_call_ids(tx);
    CHECK(std::count(unfinished.begin(), unfinished.end(), "crashed") == 0);
  }
  // A second instance rebuilding the same call changes nothing.
  pqxx::connection twin_db{f.db.url()};
  auto twin = actors::spawn_call(*f.sys, f.w, identity_of(f, "crashed"),
                                 std::make_shared<calls::loaded_call>(calls::load(twin_db, "crashed")));
  f.run();
  CHECK(count(f, "SELECT count(*) FROM call_events WHERE kind = 'score'") == 1);
  CHECK(count(f, "SELECT count(*) FROM message_outbox") == 1);
  CHECK(count(f, "SELECT count(*) FROM org_notifications WHERE kind = 'call.scored'") == 1);
  // Scored: the linger timer stops it.
  f.advance(2min);
  CHECK(is_down(self));
  caf::anon_send_exit(twin, caf::exit_reason::user_shutdown);
  f.run();
}
