// Appointment reminder texts: see reminders.hpp.
#include "domain/reminders.hpp"

#include <cstdio>

#include <date/tz.h>

namespace rm::domain {

namespace {

constexpr std::size_t max_name_bytes = 40;

constexpr const char* weekday_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
constexpr const char* month_names[12] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};

// Trimmed, cut to max_name_bytes without splitting a UTF-8 sequence; "your clinic" when empty.
std::string clinic_label(const std::string& name) {
  const auto first = name.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "your clinic";
  const auto last = name.find_last_not_of(" \t\r\n");
  std::string out = name.substr(first, last - first + 1);
  if (out.size() > max_name_bytes) {
    std::size_t cut = max_name_bytes;
    // Step back over continuation bytes (10xxxxxx) so the cut lands on a sequence start.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    const auto end = out.find_last_not_of(" \t");
    out.resize(end == std::string::npos ? 0 : end + 1);
  }
  return out;
}

const date::time_zone* zone_or_utc(const std::string& time_zone) {
  try {
    return date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}

}  // namespace

std::string spoken_local(instant t, const std::string& time_zone) {
  const date::zoned_seconds zoned{zone_or_utc(time_zone), t};
  const auto local = zoned.get_local_time();
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> hms{local - day};
  const int h = static_cast<int>(hms.hours().count());
  char time_buf[16];
  std::snprintf(time_buf, sizeof time_buf, "%d:%02d %s", h % 12 == 0 ? 12 : h % 12,
                static_cast<int>(hms.minutes().count()), h < 12 ? "AM" : "PM");
  return std::string(weekday_names[date::weekday{day}.c_encoding()]) + ", " +
         month_names[(static_cast<unsigned>(ymd.month()) - 1) % 12] + " " +
         std::to_string(static_cast<unsigned>(ymd.day())) + " at " + time_buf + " " +
         zoned.get_info().abbrev;
}

std::string appointment_reminder_text(const std::string& clinic_name, instant starts_at,
                                      const std::string& time_zone) {
  return "Reminder from " + clinic_label(clinic_name) + ": your appointment is on " +
         spoken_local(starts_at, time_zone) + ". Reply STOP to opt out.";
}

std::string appointment_reminder_subject(const std::string& clinic_name) {
  return "Appointment reminder: " + clinic_label(clinic_name);
}

std::string recording_share_subject(const std::string& clinic_name) {
  return "Call recording shared by " + clinic_label(clinic_name);
}

std::string recording_share_text(const std::string& clinic_name, const std::string& url,
                                 instant expires_at, const std::string& time_zone) {
  return clinic_label(clinic_name) + " shared a call recording with you.\n\nListen: " + url +
         "\n\nThe link works until " + spoken_local(expires_at, time_zone) +
         ". Anyone who has the link can listen, so please do not forward it.\n";
}

}  // namespace rm::domain
