#include <catch2/catch.hpp>
#include <date/tz.h>
#include <nlohmann/json.hpp>

#include "domain/calendar.hpp"

using namespace rm::domain;
using nlohmann::json;

namespace {

const std::string ny = "America/New_York";

instant at(const char* iso) { return parse_instant(iso, ny).value(); }

std::vector<instant> at_all(std::initializer_list<const char*> isos) {
  std::vector<instant> out;
  for (auto iso : isos) out.push_back(at(iso));
  return out;
}

}  // namespace

TEST_CASE("format_local and parse_instant round trip in winter and summer") {
  for (const char* iso : {"2026-01-14T09:30:00-05:00", "2026-07-14T09:30:00-04:00",
                          "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"}) {
    INFO(iso);
    CHECK(format_local(at(iso), ny) == iso);
  }
  CHECK(format_local(at("2026-01-14T09:30:00-05:00"), "UTC") == "2026-01-14T14:30:00+00:00");
}

TEST_CASE("format_local and format_utc write what date::format writes, in any zone and year") {
  // The digits are our own (date::format's stream was the check's hot spot); the zone's offset
  // still comes from date/tz. Zones with half-hour, 45-minute, negative and LMT (seconds)
  // offsets; instants across DST changes and from 1850 to 2100; the years date::format writes
  // otherwise (before 0000, after 9999).
  std::uint64_t x = 88172645463325252ull;  // xorshift: the same instants every run
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (const std::string zone : {"UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
                                 "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham",
                                 "Europe/Amsterdam", "Africa/Monrovia"}) {
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t span = 250LL * 365 * 86400;  // 1850 .. 2100
      const instant t{std::chrono::seconds{-3786825600LL + static_cast<std::int64_t>(
                                                               next() % static_cast<std::uint64_t>(span))}};
      INFO(zone << " " << t.time_since_epoch().count());
      REQUIRE(format_local(t, zone) ==
              date::format("%FT%T%Ez", date::zoned_seconds{date::locate_zone(zone), t}));
      REQUIRE(format_utc(t.time_since_epoch().count()) == date::format("%FT%TZ", t));
    }
  }
  for (std::int64_t s : {-62167219201LL, -62167219200LL, 253402300799LL, 253402300800LL}) {
    const instant t{std::chrono::seconds{s}};
    CHECK(format_local(t, ny) ==
          date::format("%FT%T%Ez", date::zoned_seconds{date::locate_zone(ny), t}));
    CHECK(format_utc(s) == date::format("%FT%TZ", t));
  }
  CHECK_THROWS(format_local(at("2026-01-14T09:30:00-05:00"), "Mars/Olympus_Mons"));
}

TEST_CASE("parse_instant reads offsets and Z and local wall time in the zone") {
  const instant expected = at("2026-01-14T09:30:00-05:00");
  CHECK(at("2026-01-14T14:30:00Z") == expected);
  CHECK(at("2026-01-14T14:30:00.480Z") == expected);
  CHECK(at("2026-01-14T10:30:00-0400") == expected);
  CHECK(at("2026-01-14T09:30:00") == expected);
  CHECK(at("2026-01-14T09:30") == expected);
  CHECK(at("2026-01-14 09:30") == expected);
  CHECK(format_local(at("2026-07-14T09:30"), ny) == "2026-07-14T09:30:00-04:00");
}

TEST_CASE("parse_instant refuses a nonexistent local time and takes the earlier of two") {
  CHECK_FALSE(parse_instant("2026-03-08T02:30", ny));
  CHECK(parse_instant("2026-03-08T02:30:00-05:00", ny));  // with an offset it is just an instant
  CHECK(format_local(at("2026-11-01T01:30"), ny) == "2026-11-01T01:30:00-04:00");
}

TEST_CASE("parse_instant and parse_local_date refuse malformed text") {
  for (const char* bad : {"", "2026-01-14", "2026-13-01T00:00", "2026-02-30T10:00",
                          "2026-01-14T24:00", "2026-01-14T09:60", "2026-01-14T09:30+5",
                          "2026-01-14T09:30:00.Z", "2026-01-14T09:30:00 junk",
                          "14/01/2026 09:30"}) {
    INFO(bad);
    CHECK_FALSE(parse_instant(bad, ny));
  }
  CHECK(parse_local_date("2026-01-14") == local_date{2026, 1, 14});
  CHECK_FALSE(parse_local_date("2026-02-30"));
  CHECK_FALSE(parse_local_date("2026-1-4"));
  CHECK_FALSE(parse_local_date("2026-01-14T"));
}

TEST_CASE("the local date of an instant is the date on the tenant's wall") {
  const instant late_evening = at("2026-01-15T03:00:00Z");
  CHECK(to_string(local_date_of(late_evening, ny)) == "2026-01-14");
  CHECK(to_string(local_date_of(late_evening, "UTC")) == "2026-01-15");
}

TEST_CASE("spoken times use a 12-hour clock without a leading zero") {
  CHECK(format_spoken_time(at("2026-01-14T09:30"), ny) == "9:30 AM");
  CHECK(format_spoken_time(at("2026-01-14T12:00"), ny) == "12:00 PM");
  CHECK(format_spoken_time(at("2026-01-14T00:15"), ny) == "12:15 AM");
  CHECK(format_spoken_time(at("2026-01-14T15:45"), ny) == "3:45 PM");
}

TEST_CASE("a day's free starts are spoken as one sentence on one line") {
  const local_date wednesday{2026, 1, 14};
  CHECK(speak_free_starts(wednesday,
                          at_all({"2026-01-14T09:30", "2026-01-14T11:00", "2026-01-14T15:45"}),
                          ny) == "On Wednesday, January 14 I have 9:30 AM, 11:00 AM and 3:45 PM.");
  CHECK(speak_free_starts(wednesday, at_all({"2026-01-14T11:00"}), ny) ==
        "On Wednesday, January 14 I have 11:00 AM.");
  CHECK(speak_free_starts(wednesday, {}, ny) == "I have nothing free on Wednesday, January 14.");

  const calendar_rules rules;
  const auto all_day = free_starts(rules, wednesday, {}, at("2026-01-01T00:00"));
  REQUIRE(all_day.size() == 16);
  const auto sentence = speak_free_starts(wednesday, all_day, ny);
  CHECK(sentence ==
        "On Wednesday, January 14 I have 9:00 AM, 9:30 AM, 10:00 AM, 10:30 AM and 11:00 AM, "
        "and 11 more later that day.");
  CHECK(sentence.find('\n') == std::string::npos);
}

TEST_CASE("default working hours become JSON with every day and closed days empty") {
  CHECK(working_hours_to_json(calendar_rules{}) == json::parse(R"({
    "sun": [], "mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]],
    "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]],
    "sat": []})"));
}

TEST_CASE("working hours survive a JSON round trip") {
  calendar_rules original;
  original.working_hours[2] = {{480, 720}, {780, 1050}};
  original.working_hours[6] = {{0, 1440}};
  calendar_rules copy;
  REQUIRE(working_hours_from_json(working_hours_to_json(original), copy).empty());
  for (int d = 0; d < 7; ++d) {
    INFO("day " << d);
    REQUIRE(copy.working_hours[d].size() == original.working_hours[d].size());
    for (std::size_t i = 0; i < copy.working_hours[d].size(); ++i) {
      CHECK(copy.working_hours[d][i].open_minute == original.working_hours[d][i].open_minute);
      CHECK(copy.working_hours[d][i].close_minute == original.working_hours[d][i].close_minute);
    }
  }
  CHECK(working_hours_to_json(copy)["sat"] == json::parse(R"([["00:00","24:00"]])"));
}

TEST_CASE("working hours JSON with a missing day leaves that day closed") {
  calendar_rules rules;
  REQUIRE(working_hours_from_json(json::parse(R"({"sat":[["10:00","14:00"]]})"), rules).empty());
  CHECK(rules.working_hours[1].empty());
  REQUIRE(rules.working_hours[6].size() == 1);
  CHECK(rules.working_hours[6][0].open_minute == 600);
}

TEST_CASE("bad working hours JSON names the day and leaves the rules unchanged") {
  calendar_rules rules;
  const auto error_for = [&](const char* text) {
    return working_hours_from_json(json::parse(text), rules);
  };
  CHECK_THAT(error_for(R"({"funday":[]})"), Catch::Contains("'funday'"));
  CHECK_THAT(error_for(R"({"mon":[["9:00","17:00"]]})"), Catch::StartsWith("working_hours.mon[0]"));
  CHECK_THAT(error_for(R"({"tue":[["17:00","09:00"]]})"),
             Catch::StartsWith("working_hours.tue[0]"));
  CHECK_THAT(error_for(R"({"wed":[["09:00","24:30"]]})"),
             Catch::StartsWith("working_hours.wed[0]"));
  CHECK_THAT(error_for(R"({"thu":"09:00-17:00"})"), Catch::StartsWith("working_hours.thu"));
  CHECK_THAT(error_for(R"([["09:00","17:00"]])"), Catch::StartsWith("working_hours:"));
  CHECK(working_hours_to_json(rules) == working_hours_to_json(calendar_rules{}));
}

TEST_CASE("format_utc writes epoch seconds as ISO 8601 in UTC") {
  CHECK(rm::domain::format_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(rm::domain::format_utc(1768401000) == "2026-01-14T14:30:00Z");
}
