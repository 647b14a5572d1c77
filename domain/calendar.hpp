// Booking rules of one tenant: working hours in the tenant's IANA time zone, a slot grid, buffers,
// minimum notice and holds. Pure functions over (rules, busy intervals, now); no I/O.
//
// Time: every instant is UTC (`instant`, seconds since the Unix epoch); local times exist only at
// the edges (working hours, dates a caller names, ISO strings with the tenant's offset). Time-zone
// arithmetic uses Howard Hinnant's date/tz over the OS tz database (IANA), so 23- and 25-hour DST
// days are handled: the slot grid runs in absolute time from the local opening instant to the local
// closing instant, so a 25-hour day can offer more slots and a 23-hour day fewer.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rm::domain {

using instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// A civil date in the tenant's zone.
struct local_date {
  int year = 0;
  unsigned month = 0;  // 1..12
  unsigned day = 0;    // 1..31
  friend bool operator==(const local_date& a, const local_date& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
};

// Opening window of one weekday in local wall-clock minutes since midnight, [open, close).
struct opening_window {
  int open_minute = 9 * 60;
  int close_minute = 17 * 60;
};

struct calendar_rules {
  std::string time_zone = "America/New_York";  // IANA name
  // Index 0 = Sunday … 6 = Saturday. Empty = closed. Default Mon–Fri 09:00–17:00.
  std::array<std::vector<opening_window>, 7> working_hours{
      {{}, {{540, 1020}}, {{540, 1020}}, {{540, 1020}}, {{540, 1020}}, {{540, 1020}}, {}}};
  int slot_minutes = 30;        // appointment length and grid step
  int buffer_minutes = 15;      // kept free after every appointment (its own included)
  int min_notice_minutes = 60;  // earliest bookable start = now + this
  int hold_minutes = 5;         // how long reserve_slot keeps a slot
};

// Checks the rules: known IANA zone, 5 <= slot <= 480, 0 <= buffer <= 240, 0 <= notice <= 43200,
// 1 <= hold <= 60, windows inside [0, 1440] with open < close. Returns "" or a reason naming the
// field, e.g. "time_zone: unknown IANA zone 'Mars/Base'".
std::string validate(const calendar_rules& rules);

// Working hours as JSON: {"mon":[["09:00","17:00"]], "tue":[…], …, "sun":[]} (missing day = closed).
nlohmann::json working_hours_to_json(const calendar_rules& rules);
// Parses the JSON above into `rules.working_hours`; returns "" or an error naming the day.
std::string working_hours_from_json(const nlohmann::json& j, calendar_rules& rules);

// A time range already taken (a booking or a live hold) *including its buffer*: [start, end).
struct busy_interval {
  instant start;
  instant end;
};

// The block an appointment starting at `start` occupies: [start, start + slot + buffer).
busy_interval block_for(const calendar_rules& rules, instant start);

// Free appointment starts on `date` (tenant-local), ascending. A start is free when it lies on the
// grid of an opening window, the appointment (without buffer) ends by closing time, it is at least
// min_notice after `now`, and its block does not overlap any busy interval.
// DST: a window opens at the first instant its wall-clock open time occurs and closes at the last
// instant its close time occurs; a skipped time (spring-forward gap) resolves to the gap's end.
std::vector<instant> free_starts(const calendar_rules& rules, local_date date,
                                 const std::vector<busy_interval>& busy, instant now);

enum class slot_verdict {
  ok,
  in_the_past,     // start <= now
  too_soon,        // start < now + min_notice
  outside_hours,   // not inside an opening window (or ends after closing)
  off_grid,        // inside hours but not on the slot grid
  taken,           // block overlaps a busy interval
};
const char* to_string(slot_verdict v);

// Why `start` can or cannot be booked under the rules.
slot_verdict check_start(const calendar_rules& rules, instant start,
                         const std::vector<busy_interval>& busy, instant now);

// Up to `n` free starts nearest to `start` (by absolute distance, earlier first on ties), nearest
// first, searched over the 7 local days before and after it. Used to name alternatives when a
// slot is refused.
std::vector<instant> nearest_free(const calendar_rules& rules, instant start,
                                  const std::vector<busy_interval>& busy, instant now,
                                  std::size_t n = 3);

// "2026-01-14T09:30:00-05:00" in the zone (ISO 8601 with offset).
std::string format_local(instant t, const std::string& time_zone);
// "2026-01-14T14:30:00Z": epoch seconds as ISO 8601 in UTC (the API's timestamps).
std::string format_utc(std::int64_t epoch_seconds);
// "9:30 AM" in the zone, for speech.
std::string format_spoken_time(instant t, const std::string& time_zone);

// Parses "YYYY-MM-DD".
std::optional<local_date> parse_local_date(std::string_view text);
// Parses ISO 8601 date-time: with offset or 'Z' ("2026-01-14T09:30:00-05:00", "…Z") as an instant;
// without offset ("2026-01-14T09:30", seconds optional) as wall time in `time_zone` (a nonexistent
// local time → nullopt; an ambiguous one → the earlier instant).
std::optional<instant> parse_instant(std::string_view text, const std::string& time_zone);

// The tenant-local date of an instant.
local_date local_date_of(instant t, const std::string& time_zone);
std::string to_string(local_date d);  // "YYYY-MM-DD"

// A short sentence for the agent to speak about a day's free starts, e.g. "On Wednesday, January
// 14 I have 9:30 AM, 11:00 AM and 3:45 PM." or "I have nothing free on …".
std::string speak_free_starts(local_date date, const std::vector<instant>& starts,
                              const std::string& time_zone, std::size_t max_spoken = 5);

}  // namespace rm::domain
