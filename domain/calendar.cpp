// The slot grid: free starts, the verdict on one start, and the nearest alternatives.
#include "domain/calendar.hpp"

#include <algorithm>

#include <date/tz.h>

namespace rm::domain {

namespace {

using std::chrono::minutes;

struct span {
  instant open;
  instant close;
};

// Where a window opens and closes in absolute time. A wall-clock time the day skips (inside a
// spring-forward gap) resolves to the end of the gap, i.e. the first instant the clock shows a
// later time; a time the day repeats (fall back) opens at its first occurrence and closes at its
// last. So a window covering 01:00-04:00 gets the extra hour of a 25-hour day and loses the
// missing hour of a 23-hour day, and no window ever opens before the clock reads its open time.
span span_of(const date::time_zone* zone, date::local_days day, const opening_window& w) {
  return {zone->to_sys(day + minutes{w.open_minute}, date::choose::earliest),
          zone->to_sys(day + minutes{w.close_minute}, date::choose::latest)};
}

bool overlaps(const busy_interval& a, const busy_interval& b) {
  return a.start < b.end && b.start < a.end;
}

bool is_taken(const calendar_rules& rules, instant start, const std::vector<busy_interval>& busy) {
  const auto block = block_for(rules, start);
  return std::any_of(busy.begin(), busy.end(),
                     [&](const busy_interval& b) { return overlaps(block, b); });
}

const std::vector<opening_window>& windows_of(const calendar_rules& rules, date::local_days day) {
  return rules.working_hours[date::weekday{day}.c_encoding()];
}

date::local_days local_day_of(instant t, const date::time_zone* zone) {
  return date::floor<date::days>(zone->to_local(t));
}

}  // namespace

busy_interval block_for(const calendar_rules& rules, instant start) {
  return {start, start + minutes{rules.slot_minutes + rules.buffer_minutes}};
}

std::vector<instant> free_starts(const calendar_rules& rules, local_date date,
                                 const std::vector<busy_interval>& busy, instant now) {
  std::vector<instant> out;
  const date::year_month_day ymd{date::year{date.year}, date::month{date.month},
                                 date::day{date.day}};
  if (!ymd.ok() || rules.slot_minutes <= 0) return out;
  const auto* zone = date::locate_zone(rules.time_zone);
  const date::local_days day{ymd};
  const minutes slot{rules.slot_minutes};
  const instant earliest = now + minutes{rules.min_notice_minutes};
  for (const auto& w : windows_of(rules, day)) {
    const span s = span_of(zone, day, w);
    for (instant t = s.open; t + slot <= s.close; t += slot)
      if (t > now && t >= earliest && !is_taken(rules, t, busy)) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const char* to_string(slot_verdict v) {
  switch (v) {
    case slot_verdict::ok: return "ok";
    case slot_verdict::in_the_past: return "in_the_past";
    case slot_verdict::too_soon: return "too_soon";
    case slot_verdict::outside_hours: return "outside_hours";
    case slot_verdict::off_grid: return "off_grid";
    case slot_verdict::taken: return "taken";
  }
  return "";
}

slot_verdict check_start(const calendar_rules& rules, instant start,
                         const std::vector<busy_interval>& busy, instant now) {
  if (start <= now) return slot_verdict::in_the_past;
  if (start < now + minutes{rules.min_notice_minutes}) return slot_verdict::too_soon;
  const auto* zone = date::locate_zone(rules.time_zone);
  const auto day = local_day_of(start, zone);
  const minutes slot{rules.slot_minutes};
  bool inside = false;
  bool on_grid = false;
  // The previous local day too: a resolved window edge may spill past local midnight.
  for (const auto d : {day - date::days{1}, day}) {
    for (const auto& w : windows_of(rules, d)) {
      const span s = span_of(zone, d, w);
      if (start < s.open || start + slot > s.close) continue;
      inside = true;
      if ((start - s.open) % slot == minutes{0}) on_grid = true;
    }
  }
  if (!inside) return slot_verdict::outside_hours;
  if (!on_grid) return slot_verdict::off_grid;
  if (is_taken(rules, start, busy)) return slot_verdict::taken;
  return slot_verdict::ok;
}

std::vector<instant> nearest_free(const calendar_rules& rules, instant start,
                                  const std::vector<busy_interval>& busy, instant now,
                                  std::size_t n) {
  const auto* zone = date::locate_zone(rules.time_zone);
  const auto day = local_day_of(start, zone);
  std::vector<instant> all;
  for (int k = -7; k <= 7; ++k) {
    const date::year_month_day ymd{day + date::days{k}};
    const local_date d{int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day())};
    const auto starts = free_starts(rules, d, busy, now);
    all.insert(all.end(), starts.begin(), starts.end());
  }
  const auto distance = [&](instant t) { return t > start ? t - start : start - t; };
  std::sort(all.begin(), all.end(), [&](instant a, instant b) {
    return distance(a) != distance(b) ? distance(a) < distance(b) : a < b;
  });
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (all.size() > n) all.resize(n);
  return all;
}

}  // namespace rm::domain
