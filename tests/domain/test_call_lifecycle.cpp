#include <algorithm>
#include <numeric>
#include <sstream>

#include <catch2/catch.hpp>

#include "domain/call_lifecycle.hpp"

using namespace rm::domain;

namespace {

call_event status(call_state s, std::int64_t at, std::string reason = "") {
  call_event e;
  e.kind = call_event_kind::status;
  e.status = s;
  e.ended_reason = std::move(reason);
  e.occurred_at_ms = at;
  e.dedup_key = std::string("status:") + to_string(s);
  return e;
}

call_event report(std::int64_t at, std::string reason) {
  call_event e;
  e.kind = call_event_kind::report;
  e.ended_reason = std::move(reason);
  e.occurred_at_ms = at;
  e.dedup_key = "report";
  return e;
}

call_event of_kind(call_event_kind kind, std::int64_t at, std::string key) {
  call_event e;
  e.kind = kind;
  e.occurred_at_ms = at;
  e.dedup_key = std::move(key);
  return e;
}

std::string describe(const call_projection& p) {
  std::ostringstream out;
  out << to_string(p.state) << " outcome=" << to_string(p.outcome) << " reason=" << p.ended_reason
      << " booked=" << p.booked << " started=" << p.started_at_ms << " ended=" << p.ended_at_ms;
  return out.str();
}

call_projection fold_in_arrival_order(const std::vector<call_event>& events) {
  call_projection p;
  for (const auto& e : events) p = apply(p, e);
  return p;
}

}  // namespace

TEST_CASE("a call never moves backwards") {
  auto p = apply({}, status(call_state::ended, 3000, "customer-ended-call"));
  p = apply(p, status(call_state::in_progress, 2000));
  p = apply(p, status(call_state::ringing, 1000));
  CHECK(p.state == call_state::ended);
  CHECK(p.started_at_ms == 2000);  // the late in-progress still tells when the call started
  CHECK(project({status(call_state::forwarding, 5), status(call_state::in_progress, 9)}).state ==
        call_state::forwarding);
}

TEST_CASE("an end-of-call report implies the call ended") {
  const auto p = project({status(call_state::ringing, 1), report(9000, "customer-ended-call")});
  CHECK(p.state == call_state::reported);
  CHECK(p.ended_reason == "customer-ended-call");
  CHECK(apply(p, status(call_state::ended, 8000)).state == call_state::reported);
}

TEST_CASE("the outcome is booked or lost only once the call is reported") {
  const auto ended_with_booking = project({status(call_state::in_progress, 1),
                                           of_kind(call_event_kind::booking, 2, "booking:1"),
                                           status(call_state::ended, 3)});
  CHECK(ended_with_booking.booked);
  CHECK(ended_with_booking.outcome == call_outcome::none);
  CHECK(apply(ended_with_booking, report(4, "")).outcome == call_outcome::booked);
  CHECK(project({status(call_state::ended, 3), report(4, "")}).outcome == call_outcome::lost);
  // A booking recorded after the report still makes the call booked.
  CHECK(apply(project({report(4, "")}), of_kind(call_event_kind::booking, 2, "b")).outcome ==
        call_outcome::booked);
}

TEST_CASE("an unknown endedReason is kept verbatim") {
  const std::string reason = "pipeline-error-some-provider-we-never-heard-of-2027";
  CHECK(project({status(call_state::ended, 1, reason)}).ended_reason == reason);
  CHECK(project({report(1, reason)}).ended_reason == reason);
}

TEST_CASE("the report's ended reason wins over a status's in either order") {
  const auto by_status = status(call_state::ended, 1, "customer-busy");
  const auto by_report = report(2, "customer-ended-call");
  CHECK(fold_in_arrival_order({by_status, by_report}).ended_reason == "customer-ended-call");
  CHECK(fold_in_arrival_order({by_report, by_status}).ended_reason == "customer-ended-call");
  CHECK(fold_in_arrival_order({report(2, ""), by_status}).ended_reason == "customer-busy");
}

TEST_CASE("a hang event changes nothing") {
  const auto p = project({status(call_state::in_progress, 1)});
  CHECK(describe(apply(p, of_kind(call_event_kind::hang, 2, "hang:2"))) == describe(p));
}

TEST_CASE("a score moves a reported call to scored and keeps its outcome") {
  const auto score = of_kind(call_event_kind::score, 5, "score");
  const auto reported = project({status(call_state::in_progress, 1),
                                 of_kind(call_event_kind::booking, 2, "b"),
                                 report(4, "customer-ended-call")});
  const auto scored = apply(reported, score);
  CHECK(scored.state == call_state::scored);
  CHECK(scored.outcome == call_outcome::booked);
  CHECK(scored.ended_reason == "customer-ended-call");
  // Later webhooks never move it back, and a repeated report or score changes nothing.
  CHECK(apply(scored, report(9, "other")).state == call_state::scored);
  CHECK(apply(scored, status(call_state::ended, 3)).state == call_state::scored);
  CHECK(describe(apply(scored, score)) == describe(scored));
  // The canonical fold sorts the score after the report whatever the arrival order.
  CHECK(project({score, report(4, ""), status(call_state::ended, 3)}).state ==
        call_state::scored);
  CHECK(project({score, report(4, "")}).outcome == call_outcome::lost);
}

TEST_CASE("a score before any report changes nothing") {
  const auto score = of_kind(call_event_kind::score, 5, "score");
  for (auto s : {call_state::ringing, call_state::in_progress, call_state::ended}) {
    const auto before = project({status(s, 1)});
    CHECK(describe(apply(before, score)) == describe(before));
    CHECK(project({status(s, 1), score}).state == s);
  }
}

TEST_CASE("a transfer event changes no state") {
  auto transfer = of_kind(call_event_kind::transfer, 3, "transfer:3");
  const auto forwarding = project({status(call_state::forwarding, 2)});
  CHECK(describe(apply(forwarding, transfer)) == describe(forwarding));
  CHECK(project({transfer}).state == call_state::ringing);
  const auto reported = project({report(4, "assistant-forwarded-call")});
  CHECK(describe(apply(reported, transfer)) == describe(reported));
}

TEST_CASE("Twilio busy and no-answer and failed end the call with a reason") {
  const std::pair<const char*, const char*> cases[] = {
      {"busy", "customer-busy"},
      {"no-answer", "customer-did-not-answer"},
      {"failed", "twilio-failed-to-connect-call"},
      {"canceled", "customer-canceled"},
      {"completed", ""}};
  for (const auto& [twilio, reason] : cases) {
    INFO(twilio);
    const auto mapped = from_twilio_call_status(twilio);
    REQUIRE(mapped);
    CHECK(mapped->state == call_state::ended);
    CHECK(mapped->ended_reason == reason);
    const auto p = project({status(call_state::ringing, 1), status(mapped->state, 2, reason)});
    CHECK(p.state == call_state::ended);
    CHECK(p.ended_reason == reason);
    CHECK(p.ended_at_ms == 2);
  }
  CHECK(from_twilio_call_status("ringing")->state == call_state::ringing);
  CHECK(from_twilio_call_status("queued")->state == call_state::ringing);
  CHECK(from_twilio_call_status("in-progress")->state == call_state::in_progress);
  CHECK_FALSE(from_twilio_call_status("answered"));
}

TEST_CASE("Vapi statuses map to states and unknown ones are ignored") {
  CHECK(from_vapi_status("scheduled") == call_state::ringing);
  CHECK(from_vapi_status("queued") == call_state::ringing);
  CHECK(from_vapi_status("ringing") == call_state::ringing);
  CHECK(from_vapi_status("in-progress") == call_state::in_progress);
  CHECK(from_vapi_status("forwarding") == call_state::forwarding);
  CHECK(from_vapi_status("ended") == call_state::ended);
  CHECK_FALSE(from_vapi_status("not-found"));
  CHECK_FALSE(from_vapi_status("deletion-failed"));
  CHECK_FALSE(from_vapi_status("teleported"));
}

TEST_CASE("state names read back to the same state") {
  for (auto s : {call_state::ringing, call_state::in_progress, call_state::forwarding,
                 call_state::ended, call_state::reported, call_state::scored})
    CHECK(call_state_from_string(to_string(s)) == s);
  CHECK(std::string(to_string(call_state::scored)) == "scored");
  CHECK(std::string(to_string(call_event_kind::score)) == "score");
  CHECK(std::string(to_string(call_event_kind::transfer)) == "transfer");
  CHECK(std::string(to_string(call_state::in_progress)) == "in-progress");
  CHECK_FALSE(call_state_from_string("in_progress"));
  CHECK(std::string(to_string(call_outcome::none)).empty());
  CHECK(std::string(to_string(call_event_kind::report)) == "report");
}

TEST_CASE("every arrival order of the sample call's events gives the same projection") {
  // The sample call: ringing, in progress, a booking, hang-up, the report, and a duplicate ended.
  const std::vector<call_event> events{
      status(call_state::ringing, 1768230245350),
      status(call_state::in_progress, 1768230246480),
      of_kind(call_event_kind::booking, 1768230285000, "booking:1"),
      status(call_state::ended, 1768230347650, "customer-ended-call"),
      report(1768230355842, "customer-ended-call"),
      status(call_state::ended, 1768230347650, "customer-ended-call"),
      of_kind(call_event_kind::transfer, 1768230300000, "transfer:forwarding"),
  };
  const auto expected = project(events);
  CHECK(expected.state == call_state::reported);
  CHECK(expected.outcome == call_outcome::booked);
  CHECK(expected.ended_reason == "customer-ended-call");
  CHECK(expected.started_at_ms == 1768230246480);
  CHECK(expected.ended_at_ms == 1768230347650);

  std::vector<std::size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  int permutations = 0;
  do {
    std::vector<call_event> arrived;
    for (auto i : order) arrived.push_back(events[i]);
    REQUIRE(describe(project(arrived)) == describe(expected));
    REQUIRE(describe(fold_in_arrival_order(arrived)) == describe(expected));
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(permutations == 5040);
}
