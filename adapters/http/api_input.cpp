#include "adapters/http/api_input.hpp"

#include <cstdio>
#include <regex>

#include "adapters/http/http_errors.hpp"

namespace rm::http {

using nlohmann::json;

void send_field_error(httplib::Response& res, const field_error& e) {
  send_error(res, 400, "invalid_field", e.message, e.field);
}

std::string utc(domain::instant t) { return domain::format_local(t, "UTC"); }
json utc_or_null(const std::optional<domain::instant>& t) {
  return t ? json(utc(*t)) : json(nullptr);
}
json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::optional<field_error> query_int(const httplib::Request& req, const char* name, int lo,
                                     int hi, int& out) {
  if (!req.has_param(name)) return std::nullopt;
  const auto v = req.get_param_value(name);
  static const std::regex digits{"^[0-9]{1,9}$"};
  if (!std::regex_match(v, digits) || std::stoi(v) < lo || std::stoi(v) > hi)
    return field_error{name, std::string{name} + " must be an integer from " +
                                 std::to_string(lo) + " to " + std::to_string(hi)};
  out = std::stoi(v);
  return std::nullopt;
}

std::optional<field_error> query_bool(const httplib::Request& req, const char* name, bool& out) {
  if (!req.has_param(name)) return std::nullopt;
  const auto v = req.get_param_value(name);
  if (v == "true" || v == "1") {
    out = true;
  } else if (v == "false" || v == "0") {
    out = false;
  } else {
    return field_error{name, std::string{name} + " must be true or false"};
  }
  return std::nullopt;
}

std::optional<domain::instant> read_bound(const std::string& text, const std::string& tz,
                                          bool end_of_day) {
  static const std::regex date{"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"};
  if (!std::regex_match(text, date)) return domain::parse_instant(text, tz);
  auto midnight = domain::parse_instant(text + "T00:00", tz);
  if (!midnight || !end_of_day) return midnight;
  // Noon + 24 h lands on the next civil date whatever DST does that night.
  auto next = domain::local_date_of(*domain::parse_instant(text + "T12:00", tz) +
                                        std::chrono::hours(24), tz);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", next.year, next.month, next.day);
  return domain::parse_instant(std::string{buf} + "T00:00", tz);
}

}  // namespace rm::http
