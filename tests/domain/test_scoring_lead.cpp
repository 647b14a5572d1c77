#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "domain/scoring.hpp"

using namespace rm::domain;

namespace {

// Seed 001's default services.
const std::vector<service_price> seed_services{
    {"Botox", 400, {"botox", "wrinkle", "injection"}},
    {"Facelift", 8000, {"facelift", "face lift"}},
    {"Rhinoplasty", 6000, {"rhinoplasty", "nose job"}},
    {"Breast Augmentation", 7500, {"breast augmentation"}},
    {"Liposuction", 5000, {"liposuction", "lipo"}},
    {"Fillers", 500, {"filler", "fillers"}},
    {"Consultation", 150, {"consultation"}},
};

sentiment feeling(sentiment_label l, urgency u) {
  sentiment s;
  s.label = l;
  s.level = u;
  return s;
}

}  // namespace

TEST_CASE("match_service counts whole-word keyword hits, case-insensitively", "[scoring]") {
  auto m = match_service("User: I'm interested in BOTOX for my wrinkles.", seed_services, 150);
  REQUIRE(m.service);
  CHECK(*m.service == "Botox");
  CHECK(m.value == 400);
  CHECK(m.hits == 2);  // "botox", "wrinkles" (plural of wrinkle)
  CHECK(match_service("Botox's price?", seed_services, 150).service == std::string("Botox"));
}

TEST_CASE("a keyword never matches inside a longer word", "[scoring]") {
  auto m = match_service("I have a lipoma and a lipstick question", seed_services, 150);
  CHECK_FALSE(m.service);
  CHECK(m.value == 150);
  CHECK(m.hits == 0);
  CHECK_FALSE(match_service("unbotoxed", seed_services, 150).service);
  CHECK(match_service("some lipo please", seed_services, 150).service ==
        std::string("Liposuction"));
}

TEST_CASE("multi-word keywords match across spaces, hyphens and line breaks", "[scoring]") {
  for (const char* t : {"how much is a nose job", "a Nose-Job?", "nose\njob", "nose   job."}) {
    INFO(t);
    auto m = match_service(t, seed_services, 150);
    REQUIRE(m.service);
    CHECK(*m.service == "Rhinoplasty");
    CHECK(m.value == 6000);
  }
  CHECK_FALSE(match_service("my nose and my job", seed_services, 150).service);
  CHECK(match_service("a face lift", seed_services, 150).service == std::string("Facelift"));
}

TEST_CASE("the service with the most hits wins; ties go to the higher price", "[scoring]") {
  auto most = match_service("botox, botox, and maybe a facelift", seed_services, 150);
  CHECK(most.service == std::string("Botox"));
  CHECK(most.hits == 2);
  auto tie = match_service("botox or a facelift?", seed_services, 150);
  CHECK(tie.service == std::string("Facelift"));
  CHECK(tie.value == 8000);
  CHECK(tie.hits == 1);
  // Repeated keywords in a service's list are counted once.
  std::vector<service_price> dup{{"A", 100, {"peel", "peel", "PEEL"}}};
  CHECK(match_service("a peel", dup, 0).hits == 1);
}

TEST_CASE("no hit gives the default price", "[scoring]") {
  auto m = match_service("I just have a question about parking", seed_services, 175.5);
  CHECK_FALSE(m.service);
  CHECK(m.value == 175.5);
  CHECK(match_service("botox", {}, 99).value == 99);
  std::vector<service_price> blank{{"Blank", 1000, {"", " ", "--"}}};
  CHECK_FALSE(match_service("anything -- at all", blank, 1).service);
}

TEST_CASE("tiers: hot from 70, warm from 40", "[scoring]") {
  CHECK(tier_of(100) == lead_tier::hot);
  CHECK(tier_of(70) == lead_tier::hot);
  CHECK(tier_of(69) == lead_tier::warm);
  CHECK(tier_of(40) == lead_tier::warm);
  CHECK(tier_of(39) == lead_tier::cold);
  CHECK(tier_of(0) == lead_tier::cold);
  CHECK(std::string(to_string(lead_tier::hot)) == "hot");
  CHECK(std::string(to_string(lead_tier::warm)) == "warm");
  CHECK(std::string(to_string(lead_tier::cold)) == "cold");
}

TEST_CASE("score_lead: every factor of the table", "[scoring]") {
  lead_inputs in;
  in.feeling = feeling(sentiment_label::negative, urgency::low);
  auto zero = score_lead(in);
  CHECK(zero.score == 0);
  CHECK(zero.tier == lead_tier::cold);
  CHECK(zero.factors == std::map<std::string, int>{{"booking", 0},   {"duration", 0},
                                                   {"returning_caller", 0}, {"sentiment", 0},
                                                   {"urgency", 0}, {"value", 0}});

  auto with = [&](auto change, const char* factor) {
    lead_inputs x = in;
    change(x);
    auto s = score_lead(x);
    return std::make_pair(s.score, s.factors.at(factor));
  };
  CHECK(with([](lead_inputs& x) { x.booked = true; }, "booking") == std::make_pair(40, 40));
  CHECK(with([](lead_inputs& x) { x.booking_intent = true; }, "booking") ==
        std::make_pair(25, 25));
  CHECK(with([](lead_inputs& x) { x.booked = x.booking_intent = true; }, "booking") ==
        std::make_pair(40, 40));
  auto value = [&](double v, bool matched) {
    return with([&](lead_inputs& x) { x.service_value = v; x.service_matched = matched; },
                "value").second;
  };
  CHECK(value(8000, true) == 20);
  CHECK(value(5000, true) == 20);
  CHECK(value(4999, true) == 15);
  CHECK(value(1000, true) == 15);
  CHECK(value(999, true) == 10);
  CHECK(value(300, true) == 10);
  CHECK(value(299, true) == 5);
  CHECK(value(150, true) == 5);
  CHECK(value(8000, false) == 0);  // the default price is no sign of interest
  CHECK(value(150, false) == 0);
  CHECK(with([](lead_inputs& x) { x.feeling.label = sentiment_label::positive; }, "sentiment")
            .second == 10);
  CHECK(with([](lead_inputs& x) { x.feeling.label = sentiment_label::neutral; }, "sentiment")
            .second == 5);
  CHECK(with([](lead_inputs& x) { x.feeling.level = urgency::high; }, "urgency").second == 10);
  CHECK(with([](lead_inputs& x) { x.feeling.level = urgency::normal; }, "urgency").second == 5);
  CHECK(with([](lead_inputs& x) { x.returning_caller = true; }, "returning_caller") ==
        std::make_pair(10, 10));
  auto duration = [&](double s) {
    return with([&](lead_inputs& x) { x.duration_seconds = s; }, "duration").second;
  };
  CHECK(duration(44.9) == 0);
  CHECK(duration(45) == 5);
  CHECK(duration(119) == 5);
  CHECK(duration(120) == 10);
}

TEST_CASE("score_lead: sums, the 100 ceiling and the tier boundaries", "[scoring]") {
  lead_inputs all;
  all.booked = true;
  all.service_value = 8000;
  all.service_matched = true;
  all.feeling = feeling(sentiment_label::positive, urgency::high);
  all.returning_caller = true;
  all.duration_seconds = 600;
  auto top = score_lead(all);
  CHECK(top.score == 100);
  CHECK(top.tier == lead_tier::hot);

  // 40 + 10 (value 400) + 10 + 5 + 0 + 5 = 70: hot; one step less is warm.
  lead_inputs botox;
  botox.booked = true;
  botox.service_value = 400;
  botox.service_matched = true;
  botox.feeling = feeling(sentiment_label::positive, urgency::normal);
  botox.duration_seconds = 60;
  auto s70 = score_lead(botox);
  CHECK(s70.score == 70);
  CHECK(s70.tier == lead_tier::hot);
  // Every factor is a multiple of 5, so the score next below 70 is 65 (tier_of covers 69).
  botox.service_value = 299;  // value 5 → 65
  CHECK(score_lead(botox).score == 65);
  CHECK(score_lead(botox).tier == lead_tier::warm);

  // 25 + 5 + 5 + 5 = 40 warm; negative sentiment → 35 cold.
  lead_inputs intent;
  intent.booking_intent = true;
  intent.service_value = 150;
  intent.service_matched = true;
  intent.feeling = feeling(sentiment_label::neutral, urgency::normal);
  auto s40 = score_lead(intent);
  CHECK(s40.score == 40);
  CHECK(s40.tier == lead_tier::warm);
  intent.feeling.label = sentiment_label::negative;
  CHECK(score_lead(intent).score == 35);
  CHECK(score_lead(intent).tier == lead_tier::cold);
}

TEST_CASE("mentions_booking reads the caller's request, not a refusal", "[scoring]") {
  CHECK(mentions_booking("User: can I book an appointment?"));
  CHECK(mentions_booking("User: what's your availability next week"));
  CHECK(mentions_booking("User: could I come in on Friday"));
  CHECK(mentions_booking("I'd like to schedule"));
  CHECK_FALSE(mentions_booking("User: I don't want to book anything"));
  CHECK_FALSE(mentions_booking("AI: would you like an appointment?\nUser: just asking prices"));
  CHECK_FALSE(mentions_booking("User: my bookshelf came in the mail"));
}

TEST_CASE("recording status from the report's artifacts", "[scoring]") {
  CHECK(recording_status_of(true, true, "customer-ended-call", true) ==
        recording_status::completed);
  CHECK(recording_status_of(true, false, "", false) == recording_status::completed);
  CHECK(recording_status_of(false, true, "customer-ended-call", true) ==
        recording_status::processing);
  CHECK(recording_status_of(false, true, "pipeline-error-recording-upload-failed", false) ==
        recording_status::failed);
  CHECK(recording_status_of(false, false, "Recording Error", false) == recording_status::failed);
  CHECK(recording_status_of(false, false, "customer-ended-call", true) ==
        recording_status::failed);
  CHECK(recording_status_of(false, false, "customer-ended-call", false) ==
        recording_status::pending);
  for (auto s : {recording_status::pending, recording_status::processing,
                 recording_status::completed, recording_status::failed})
    CHECK(recording_status_from_string(to_string(s)) == s);
  CHECK_FALSE(recording_status_from_string("done"));
  CHECK_FALSE(recording_status_from_string("Completed"));
}

TEST_CASE("recording status never moves backwards", "[scoring]") {
  using rs = recording_status;
  CHECK(advance(rs::pending, rs::processing) == rs::processing);
  CHECK(advance(rs::pending, rs::completed) == rs::completed);
  CHECK(advance(rs::pending, rs::failed) == rs::failed);
  CHECK(advance(rs::processing, rs::pending) == rs::processing);
  CHECK(advance(rs::processing, rs::completed) == rs::completed);
  CHECK(advance(rs::processing, rs::failed) == rs::failed);
  for (auto next : {rs::pending, rs::processing, rs::completed, rs::failed}) {
    CHECK(advance(rs::completed, next) == rs::completed);
    CHECK(advance(rs::failed, next) == rs::failed);
  }
}

TEST_CASE("lead status transitions", "[scoring]") {
  using ls = lead_status;
  for (auto s : {ls::new_lead, ls::contacted, ls::booked, ls::lost}) {
    CHECK(lead_status_from_string(to_string(s)) == s);
    CHECK(after_call(s, true) == ls::booked);
  }
  CHECK(std::string(to_string(ls::new_lead)) == "new");
  CHECK_FALSE(lead_status_from_string("hot"));
  CHECK(after_call(ls::new_lead, false) == ls::lost);
  CHECK(after_call(ls::contacted, false) == ls::lost);
  CHECK(after_call(ls::lost, false) == ls::lost);
  CHECK(after_call(ls::booked, false) == ls::booked);
  CHECK(after_outreach(ls::new_lead) == ls::contacted);
  CHECK(after_outreach(ls::lost) == ls::contacted);
  CHECK(after_outreach(ls::contacted) == ls::contacted);
  CHECK(after_outreach(ls::booked) == ls::booked);
}

TEST_CASE("hot-lead alerts: hot only, at most one per hour", "[scoring]") {
  const std::int64_t now = 1'764'900'000;
  CHECK(should_alert(70, std::nullopt, now));
  CHECK_FALSE(should_alert(69, std::nullopt, now));
  CHECK(should_alert(100, now - 3600, now));        // exactly one hour later: allowed
  CHECK_FALSE(should_alert(100, now - 3599, now));  // one second short
  CHECK_FALSE(should_alert(100, now, now));
  CHECK_FALSE(should_alert(100, now + 10, now));  // a last alert "in the future" counts as recent
  CHECK_FALSE(should_alert(50, now - 86400, now));
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  CHECK(should_alert(90, lo, hi));  // no overflow at the extremes
  CHECK_FALSE(should_alert(90, hi, lo));
}
