// Checking a tenant's booking rules and the working-hours JSON form.
#include <cstdio>
#include <stdexcept>

#include <date/tz.h>
#include <nlohmann/json.hpp>

#include "domain/calendar.hpp"

namespace rm::domain {

namespace {

constexpr const char* day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::string out_of_range(const char* field, int value, int lo, int hi) {
  return std::string(field) + ": must be between " + std::to_string(lo) + " and " +
         std::to_string(hi) + ", got " + std::to_string(value);
}

std::string window_error(int day, std::size_t i, const opening_window& w) {
  const std::string where =
      std::string("working_hours.") + day_keys[day] + "[" + std::to_string(i) + "]: ";
  if (w.open_minute < 0 || w.close_minute > 1440)
    return where + "minutes must lie in [0, 1440]";
  if (w.open_minute >= w.close_minute) return where + "opening must be before closing";
  return "";
}

std::string hh_mm(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

// "HH:MM" with 00:00 <= value <= 24:00 ("24:00" closes at midnight).
int parse_hh_mm(const nlohmann::json& j) {
  if (!j.is_string()) return -1;
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() != 5 || s[2] != ':') return -1;
  for (int i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return -1;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

}  // namespace

std::string validate(const calendar_rules& rules) {
  try {
    date::locate_zone(rules.time_zone);
  } catch (const std::exception&) {
    return "time_zone: unknown IANA zone '" + rules.time_zone + "'";
  }
  if (rules.slot_minutes < 5 || rules.slot_minutes > 480)
    return out_of_range("slot_minutes", rules.slot_minutes, 5, 480);
  if (rules.buffer_minutes < 0 || rules.buffer_minutes > 240)
    return out_of_range("buffer_minutes", rules.buffer_minutes, 0, 240);
  if (rules.min_notice_minutes < 0 || rules.min_notice_minutes > 43200)
    return out_of_range("min_notice_minutes", rules.min_notice_minutes, 0, 43200);
  if (rules.hold_minutes < 1 || rules.hold_minutes > 60)
    return out_of_range("hold_minutes", rules.hold_minutes, 1, 60);
  for (int d = 0; d < 7; ++d)
    for (std::size_t i = 0; i < rules.working_hours[d].size(); ++i)
      if (auto e = window_error(d, i, rules.working_hours[d][i]); !e.empty()) return e;
  return "";
}

nlohmann::json working_hours_to_json(const calendar_rules& rules) {
  auto j = nlohmann::json::object();
  for (int d = 0; d < 7; ++d) {
    auto day = nlohmann::json::array();
    for (const auto& w : rules.working_hours[d])
      day.push_back(nlohmann::json::array({hh_mm(w.open_minute), hh_mm(w.close_minute)}));
    j[day_keys[d]] = std::move(day);
  }
  return j;
}

std::string working_hours_from_json(const nlohmann::json& j, calendar_rules& rules) {
  if (!j.is_object())
    return "working_hours: must be an object like {\"mon\":[[\"09:00\",\"17:00\"]]}";
  std::array<std::vector<opening_window>, 7> hours{};
  for (const auto& [key, value] : j.items()) {
    int d = 0;
    while (d < 7 && key != day_keys[d]) ++d;
    if (d == 7) return "working_hours: unknown day '" + key + "' (use sun, mon, … sat)";
    if (value.is_null()) continue;  // closed
    const std::string where = std::string("working_hours.") + day_keys[d];
    if (!value.is_array()) return where + ": must be a list of [\"HH:MM\", \"HH:MM\"] pairs";
    for (std::size_t i = 0; i < value.size(); ++i) {
      const auto& pair = value[i];
      const int open = pair.is_array() && pair.size() == 2 ? parse_hh_mm(pair[0]) : -1;
      const int close = pair.is_array() && pair.size() == 2 ? parse_hh_mm(pair[1]) : -1;
      if (open < 0 || close < 0)
        return where + "[" + std::to_string(i) + "]: expected [\"HH:MM\", \"HH:MM\"]";
      const opening_window w{open, close};
      if (auto e = window_error(d, i, w); !e.empty()) return e;
      hours[d].push_back(w);
    }
  }
  rules.working_hours = std::move(hours);
  return "";
}

}  // namespace rm::domain
