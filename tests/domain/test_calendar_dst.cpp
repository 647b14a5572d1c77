// DST in America/New_York, 2026: clocks spring forward at 02:00 on March 8 (a 23-hour day) and
// fall back at 02:00 on November 1 (a 25-hour day). Both are Sundays.
#include <catch2/catch.hpp>

#include "domain/calendar.hpp"

using namespace rm::domain;

namespace {

const std::string ny = "America/New_York";

const local_date ordinary_sunday{2026, 3, 1};
const local_date spring_forward{2026, 3, 8};
const local_date fall_back{2026, 11, 1};

// A night clinic open on Sundays only, across the hours the clock changes.
calendar_rules night_clinic(int open_minute, int close_minute) {
  calendar_rules rules;
  rules.working_hours = {};
  rules.working_hours[0] = {{open_minute, close_minute}};
  return rules;
}

std::vector<std::string> slots(const calendar_rules& rules, local_date day) {
  const instant long_before = parse_instant("2026-01-01T00:00:00Z", ny).value();
  std::vector<std::string> out;
  for (auto t : free_starts(rules, day, {}, long_before)) {
    out.push_back(format_local(t, ny));
    CHECK(check_start(rules, t, {}, long_before) == slot_verdict::ok);
  }
  return out;
}

}  // namespace

TEST_CASE("the 25-hour day offers 2 more slots and the 23-hour day 2 fewer") {
  const auto rules = night_clinic(0, 6 * 60);  // 00:00-06:00
  REQUIRE(validate(rules).empty());
  const auto ordinary = slots(rules, ordinary_sunday);
  const auto longer = slots(rules, fall_back);
  const auto shorter = slots(rules, spring_forward);
  CHECK(ordinary.size() == 12);
  CHECK(longer.size() == ordinary.size() + 2);
  CHECK(shorter.size() == ordinary.size() - 2);
}

TEST_CASE("slots on the 25-hour day repeat 01:00 and 01:30 with both offsets") {
  const auto longer = slots(night_clinic(0, 6 * 60), fall_back);
  REQUIRE(longer.size() == 14);
  CHECK(longer[0] == "2026-11-01T00:00:00-04:00");
  CHECK(longer[2] == "2026-11-01T01:00:00-04:00");
  CHECK(longer[3] == "2026-11-01T01:30:00-04:00");
  CHECK(longer[4] == "2026-11-01T01:00:00-05:00");
  CHECK(longer[5] == "2026-11-01T01:30:00-05:00");
  CHECK(longer[6] == "2026-11-01T02:00:00-05:00");
  CHECK(longer[13] == "2026-11-01T05:30:00-05:00");
}

TEST_CASE("slots on the 23-hour day jump from 01:30 EST to 03:00 EDT") {
  const auto shorter = slots(night_clinic(0, 6 * 60), spring_forward);
  REQUIRE(shorter.size() == 10);
  CHECK(shorter[0] == "2026-03-08T00:00:00-05:00");
  CHECK(shorter[3] == "2026-03-08T01:30:00-05:00");
  CHECK(shorter[4] == "2026-03-08T03:00:00-04:00");
  CHECK(shorter[9] == "2026-03-08T05:30:00-04:00");
}

TEST_CASE("a window of exactly 01:00 to 04:00 gains an hour in the fall and loses one in spring") {
  const auto rules = night_clinic(60, 4 * 60);
  CHECK(slots(rules, ordinary_sunday).size() == 6);
  const auto longer = slots(rules, fall_back);
  REQUIRE(longer.size() == 8);
  CHECK(longer.front() == "2026-11-01T01:00:00-04:00");
  CHECK(longer.back() == "2026-11-01T03:30:00-05:00");
  CHECK(slots(rules, spring_forward) ==
        std::vector<std::string>{"2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00",
                                 "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"});
}

TEST_CASE("a window closing at a repeated local time closes at its last occurrence") {
  const auto rules = night_clinic(0, 90);  // 00:00-01:30; 01:30 happens twice on November 1
  CHECK(slots(rules, ordinary_sunday).size() == 3);
  CHECK(slots(rules, fall_back) ==
        std::vector<std::string>{"2026-11-01T00:00:00-04:00", "2026-11-01T00:30:00-04:00",
                                 "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00",
                                 "2026-11-01T01:00:00-05:00"});
}

TEST_CASE("a window opening at a skipped local time opens when the clock jumps") {
  const auto rules = night_clinic(150, 5 * 60);  // 02:30-05:00; 02:30 does not exist on March 8
  CHECK(slots(rules, spring_forward) ==
        std::vector<std::string>{"2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00",
                                 "2026-03-08T04:00:00-04:00", "2026-03-08T04:30:00-04:00"});
  CHECK(slots(rules, ordinary_sunday).size() == 5);
}

TEST_CASE("ordinary days either side of a DST change keep their own offsets") {
  const calendar_rules rules;  // Mon-Fri 09:00-17:00
  const instant long_before = parse_instant("2026-01-01T00:00:00Z", ny).value();
  const auto before = free_starts(rules, {2026, 3, 6}, {}, long_before);
  const auto after = free_starts(rules, {2026, 3, 9}, {}, long_before);
  REQUIRE(before.size() == 16);
  REQUIRE(after.size() == 16);
  CHECK(format_local(before.front(), ny) == "2026-03-06T09:00:00-05:00");
  CHECK(format_local(after.front(), ny) == "2026-03-09T09:00:00-04:00");
}
