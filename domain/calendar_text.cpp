// The calendar's text forms: ISO 8601 times with the tenant's offset, spoken times and sentences.
#include <cstdio>

#include <date/tz.h>

#include "domain/calendar.hpp"

namespace rm::domain {

namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* weekday_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
constexpr const char* month_names[12] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Parses a trailing "Z", "±HH:MM", "±HHMM" or "±HH" (the whole rest of `s`).
std::optional<seconds> parse_offset(std::string_view s) {
  if (s == "Z" || s == "z") return seconds{0};
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  int h = 0, m = 0;
  if (!digits(s, 1, 2, h)) return std::nullopt;
  if (s.size() == 6 && s[3] == ':') {
    if (!digits(s, 4, 2, m)) return std::nullopt;
  } else if (s.size() == 5) {
    if (!digits(s, 3, 2, m)) return std::nullopt;
  } else if (s.size() != 3) {
    return std::nullopt;
  }
  if (h > 23 || m > 59) return std::nullopt;
  const seconds off = hours{h} + minutes{m};
  return s[0] == '-' ? -off : off;
}

// The zone of that IANA name, remembered per thread for the last name asked: a tenant's slots
// are formatted one after another in its zone, and locate_zone searches the whole database.
const date::time_zone* zone_named(const std::string& time_zone) {
  thread_local std::string last_name;
  thread_local const date::time_zone* last_zone = nullptr;
  if (last_zone == nullptr || time_zone != last_name) {
    last_zone = date::locate_zone(time_zone);  // throws for an unknown name, as before
    last_name = time_zone;
  }
  return last_zone;
}

void two_digits(char* out, int v) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

// Writes "YYYY-MM-DDTHH:MM:SS" (19 characters) for a wall time of years 0000-9999 and returns
// 19; returns 0 for any other year (the caller then lets date::format write it).
std::size_t iso_date_time(date::local_seconds local, char* out) {
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return 0;
  const date::hh_mm_ss<seconds> hms{local - day};
  two_digits(out, y / 100);
  two_digits(out + 2, y % 100);
  out[4] = '-';
  two_digits(out + 5, static_cast<int>(static_cast<unsigned>(ymd.month())));
  out[7] = '-';
  two_digits(out + 8, static_cast<int>(static_cast<unsigned>(ymd.day())));
  out[10] = 'T';
  two_digits(out + 11, static_cast<int>(hms.hours().count()));
  out[13] = ':';
  two_digits(out + 14, static_cast<int>(hms.minutes().count()));
  out[16] = ':';
  two_digits(out + 17, static_cast<int>(hms.seconds().count()));
  return 19;
}

date::local_seconds local_of(instant t, const std::string& time_zone) {
  return zone_named(time_zone)->to_local(t);
}

std::string spoken_date(local_date d) {
  const date::local_days day{date::year{d.year} / date::month{d.month} / date::day{d.day}};
  return std::string(weekday_names[date::weekday{day}.c_encoding()]) + ", " +
         month_names[(d.month - 1) % 12] + " " + std::to_string(d.day);
}

}  // namespace

std::string format_utc(std::int64_t epoch_seconds) {
  const date::sys_seconds t{std::chrono::seconds{epoch_seconds}};
  char buf[32];
  const std::size_t n = iso_date_time(date::local_seconds{t.time_since_epoch()}, buf);
  if (n == 0) return date::format("%FT%TZ", t);
  buf[n] = 'Z';
  return std::string(buf, n + 1);
}

std::string format_local(instant t, const std::string& time_zone) {
  // date/tz gives the zone's offset at `t` (its IANA rules); the digits are written here because
  // date::format goes through an ostringstream and its locale facets, which cost more than the
  // whole availability computation on the check_availability path (issue 13's profile).
  const auto* zone = zone_named(time_zone);
  const auto offset = zone->get_info(t).offset;
  char buf[40];
  std::size_t n = iso_date_time(date::local_seconds{(t + offset).time_since_epoch()}, buf);
  if (n == 0) return date::format("%FT%T%Ez", date::zoned_seconds{zone, t});
  const auto minutes_east = std::chrono::duration_cast<minutes>(offset).count();
  const long m = minutes_east < 0 ? -minutes_east : minutes_east;
  buf[n++] = minutes_east < 0 ? '-' : '+';
  two_digits(buf + n, static_cast<int>(m / 60));
  buf[n + 2] = ':';
  two_digits(buf + n + 3, static_cast<int>(m % 60));
  return std::string(buf, n + 5);
}

std::string format_spoken_time(instant t, const std::string& time_zone) {
  const auto local = local_of(t, time_zone);
  const date::hh_mm_ss<seconds> hms{local - date::floor<date::days>(local)};
  const int h = static_cast<int>(hms.hours().count());
  const int h12 = h % 12 == 0 ? 12 : h % 12;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d:%02d %s", h12, static_cast<int>(hms.minutes().count()),
                h < 12 ? "AM" : "PM");
  return buf;
}

std::optional<local_date> parse_local_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text, 0, 4, y) ||
      !digits(text, 5, 2, m) || !digits(text, 8, 2, d))
    return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month(m), date::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return local_date{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
}

std::optional<instant> parse_instant(std::string_view text, const std::string& time_zone) {
  const auto date_part = parse_local_date(text.substr(0, 10));
  int h = 0, m = 0, s = 0;
  if (!date_part || text.size() < 16 || (text[10] != 'T' && text[10] != ' ') ||
      !digits(text, 11, 2, h) || text[13] != ':' || !digits(text, 14, 2, m))
    return std::nullopt;
  std::size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!digits(text, pos + 1, 2, s)) return std::nullopt;
    pos += 3;
    // Fractions of a second are accepted and dropped: instants have whole seconds.
    if (pos < text.size() && text[pos] == '.') {
      const std::size_t first = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == first) return std::nullopt;
    }
  }
  if (h > 23 || m > 59 || s > 59) return std::nullopt;
  const date::local_seconds local = date::local_days{date::year{date_part->year} /
                                                    date::month{date_part->month} /
                                                    date::day{date_part->day}} +
                                    hours{h} + minutes{m} + seconds{s};
  if (pos < text.size()) {
    const auto offset = parse_offset(text.substr(pos));
    if (!offset) return std::nullopt;
    return instant{local.time_since_epoch() - *offset};
  }
  const auto* zone = date::locate_zone(time_zone);
  if (zone->get_info(local).result == date::local_info::nonexistent) return std::nullopt;
  return zone->to_sys(local, date::choose::earliest);
}

local_date local_date_of(instant t, const std::string& time_zone) {
  const date::year_month_day ymd{date::floor<date::days>(local_of(t, time_zone))};
  return {int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day())};
}

std::string to_string(local_date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf;
}

std::string speak_free_starts(local_date date, const std::vector<instant>& starts,
                              const std::string& time_zone, std::size_t max_spoken) {
  const std::string day = spoken_date(date);
  if (starts.empty()) return "I have nothing free on " + day + ".";
  const std::size_t spoken = std::min(starts.size(), max_spoken);
  if (spoken == 0) return "On " + day + " I have " + std::to_string(starts.size()) + " free times.";
  std::string out = "On " + day + " I have ";
  for (std::size_t i = 0; i < spoken; ++i) {
    if (i > 0) out += i + 1 == spoken ? " and " : ", ";
    out += format_spoken_time(starts[i], time_zone);
  }
  const std::size_t more = starts.size() - spoken;
  if (more > 0) out += ", and " + std::to_string(more) + " more later that day";
  return out + ".";
}

}  // namespace rm::domain
