#include <algorithm>

#include <catch2/catch.hpp>

#include "domain/calendar.hpp"

using namespace rm::domain;
using std::chrono::minutes;

namespace {

const std::string ny = "America/New_York";

instant at(const char* iso) { return parse_instant(iso, ny).value(); }

std::vector<std::string> texts(const std::vector<instant>& ts) {
  std::vector<std::string> out;
  for (auto t : ts) out.push_back(format_local(t, ny));
  return out;
}

bool contains(const std::vector<instant>& ts, instant t) {
  return std::find(ts.begin(), ts.end(), t) != ts.end();
}

const local_date wednesday{2026, 1, 14};
instant monday_morning() { return at("2026-01-12T09:00:00-05:00"); }

}  // namespace

TEST_CASE("default rules open Monday to Friday 9 to 5 in New York on a 30-minute grid") {
  const calendar_rules rules;
  REQUIRE(validate(rules).empty());
  CHECK(rules.time_zone == ny);
  const auto starts = free_starts(rules, wednesday, {}, monday_morning());
  REQUIRE(starts.size() == 16);
  CHECK(format_local(starts.front(), ny) == "2026-01-14T09:00:00-05:00");
  CHECK(format_local(starts.back(), ny) == "2026-01-14T16:30:00-05:00");
  for (std::size_t i = 1; i < starts.size(); ++i) CHECK(starts[i] - starts[i - 1] == minutes{30});
}

TEST_CASE("the weekend is closed by default") {
  const calendar_rules rules;
  CHECK(free_starts(rules, {2026, 1, 17}, {}, monday_morning()).empty());
  CHECK(free_starts(rules, {2026, 1, 18}, {}, monday_morning()).empty());
  CHECK(check_start(rules, at("2026-01-17T10:00:00-05:00"), {}, monday_morning()) ==
        slot_verdict::outside_hours);
}

TEST_CASE("a booking at 10:00 with a 15-minute buffer blocks 10:00 and 10:30 but frees 11:00") {
  const calendar_rules rules;
  const std::vector<busy_interval> busy{block_for(rules, at("2026-01-14T10:00:00-05:00"))};
  CHECK(busy[0].end - busy[0].start == minutes{45});
  CHECK(check_start(rules, at("2026-01-14T10:00:00-05:00"), busy, monday_morning()) ==
        slot_verdict::taken);
  CHECK(check_start(rules, at("2026-01-14T10:30:00-05:00"), busy, monday_morning()) ==
        slot_verdict::taken);
  CHECK(check_start(rules, at("2026-01-14T11:00:00-05:00"), busy, monday_morning()) ==
        slot_verdict::ok);
  const auto starts = free_starts(rules, wednesday, busy, monday_morning());
  CHECK_FALSE(contains(starts, at("2026-01-14T10:00:00-05:00")));
  CHECK_FALSE(contains(starts, at("2026-01-14T10:30:00-05:00")));
  CHECK(contains(starts, at("2026-01-14T11:00:00-05:00")));
}

TEST_CASE("a new appointment is refused when its own buffer runs into a later booking") {
  calendar_rules rules;
  const std::vector<busy_interval> busy{block_for(rules, at("2026-01-14T10:00:00-05:00"))};
  const instant nine_thirty = at("2026-01-14T09:30:00-05:00");
  CHECK(check_start(rules, nine_thirty, busy, monday_morning()) == slot_verdict::taken);
  CHECK_FALSE(contains(free_starts(rules, wednesday, busy, monday_morning()), nine_thirty));
  CHECK(check_start(rules, at("2026-01-14T09:00:00-05:00"), busy, monday_morning()) ==
        slot_verdict::ok);

  rules.buffer_minutes = 0;  // without a buffer 09:30-10:00 fits right before the booking
  const std::vector<busy_interval> unbuffered{block_for(rules, at("2026-01-14T10:00:00-05:00"))};
  CHECK(check_start(rules, nine_thirty, unbuffered, monday_morning()) == slot_verdict::ok);
}

TEST_CASE("a start less than 60 minutes ahead is too soon and one already begun is past") {
  const calendar_rules rules;
  const instant now = at("2026-01-14T09:10:00-05:00");
  CHECK(check_start(rules, at("2026-01-14T09:00:00-05:00"), {}, now) == slot_verdict::in_the_past);
  CHECK(check_start(rules, at("2026-01-14T09:30:00-05:00"), {}, now) == slot_verdict::too_soon);
  CHECK(check_start(rules, at("2026-01-14T10:00:00-05:00"), {}, now) == slot_verdict::too_soon);
  CHECK(check_start(rules, at("2026-01-14T10:30:00-05:00"), {}, now) == slot_verdict::ok);
  const auto starts = free_starts(rules, wednesday, {}, now);
  REQUIRE_FALSE(starts.empty());
  CHECK(format_local(starts.front(), ny) == "2026-01-14T10:30:00-05:00");
}

TEST_CASE("a start off the grid or running past closing is refused") {
  const calendar_rules rules;
  CHECK(check_start(rules, at("2026-01-14T09:15:00-05:00"), {}, monday_morning()) ==
        slot_verdict::off_grid);
  CHECK(check_start(rules, at("2026-01-14T16:30:00-05:00"), {}, monday_morning()) ==
        slot_verdict::ok);
  CHECK(check_start(rules, at("2026-01-14T16:45:00-05:00"), {}, monday_morning()) ==
        slot_verdict::outside_hours);
  CHECK(check_start(rules, at("2026-01-14T17:00:00-05:00"), {}, monday_morning()) ==
        slot_verdict::outside_hours);
  CHECK(check_start(rules, at("2026-01-14T08:30:00-05:00"), {}, monday_morning()) ==
        slot_verdict::outside_hours);
  CHECK(std::string(to_string(slot_verdict::off_grid)) == "off_grid");
}

TEST_CASE("every start free_starts offers is one check_start accepts") {
  calendar_rules rules;
  rules.working_hours[3] = {{480, 720}, {780, 1050}};  // Wednesday 08:00-12:00 and 13:00-17:30
  const std::vector<busy_interval> busy{block_for(rules, at("2026-01-14T14:00:00-05:00"))};
  const auto starts = free_starts(rules, wednesday, busy, monday_morning());
  CHECK(starts.size() == 8 + 9 - 3);
  for (auto t : starts) {
    INFO(format_local(t, ny));
    CHECK(check_start(rules, t, busy, monday_morning()) == slot_verdict::ok);
  }
  CHECK(check_start(rules, at("2026-01-14T12:00:00-05:00"), busy, monday_morning()) ==
        slot_verdict::outside_hours);
}

TEST_CASE("nearest_free names the closest free starts with the earlier one first on ties") {
  const calendar_rules rules;
  const instant ten = at("2026-01-14T10:00:00-05:00");
  const std::vector<busy_interval> busy{block_for(rules, ten)};
  CHECK(texts(nearest_free(rules, ten, busy, monday_morning())) ==
        std::vector<std::string>{"2026-01-14T09:00:00-05:00", "2026-01-14T11:00:00-05:00",
                                 "2026-01-14T11:30:00-05:00"});
  CHECK(nearest_free(rules, ten, busy, monday_morning(), 5).size() == 5);
}

TEST_CASE("nearest_free looks across days when the asked day is closed") {
  const calendar_rules rules;
  const instant saturday = at("2026-01-17T10:00:00-05:00");
  CHECK(texts(nearest_free(rules, saturday, {}, monday_morning(), 2)) ==
        std::vector<std::string>{"2026-01-16T16:30:00-05:00", "2026-01-16T16:00:00-05:00"});
}

TEST_CASE("validate rejects an unknown zone and numbers out of range") {
  const auto with = [](auto change) {
    calendar_rules r;
    change(r);
    return validate(r);
  };
  CHECK(with([](calendar_rules& r) { r.time_zone = "Mars/Base"; }) ==
        "time_zone: unknown IANA zone 'Mars/Base'");
  CHECK_THAT(with([](calendar_rules& r) { r.slot_minutes = 3; }),
             Catch::StartsWith("slot_minutes:"));
  CHECK_THAT(with([](calendar_rules& r) { r.slot_minutes = 481; }),
             Catch::StartsWith("slot_minutes:"));
  CHECK_THAT(with([](calendar_rules& r) { r.buffer_minutes = -1; }),
             Catch::StartsWith("buffer_minutes:"));
  CHECK_THAT(with([](calendar_rules& r) { r.min_notice_minutes = 43201; }),
             Catch::StartsWith("min_notice_minutes:"));
  CHECK_THAT(with([](calendar_rules& r) { r.hold_minutes = 0; }),
             Catch::StartsWith("hold_minutes:"));
  CHECK_THAT(with([](calendar_rules& r) { r.working_hours[1] = {{600, 540}}; }),
             Catch::StartsWith("working_hours.mon[0]:"));
  CHECK_THAT(with([](calendar_rules& r) { r.working_hours[6] = {{540, 600}, {600, 1500}}; }),
             Catch::StartsWith("working_hours.sat[1]:"));
  CHECK(with([](calendar_rules& r) {
          r.time_zone = "Europe/London";
          r.working_hours[0] = {{0, 1440}};
        }).empty());
}
