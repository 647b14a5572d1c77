// Internal to the HTTP adapter: what the tenant API's route files (tenant_routes.cpp,
// dashboard_routes.cpp, service_routes.cpp) share to read query parameters and write answers.
#pragma once

#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "domain/calendar.hpp"

namespace rm::http {

// A refused input: the field ("" for the whole body) and why.
struct field_error {
  std::string field, message;
};
// 400 {"error":{"code":"invalid_field","message":…,"field":…}}.
void send_field_error(httplib::Response& res, const field_error& e);

// An instant as ISO 8601 in UTC (domain::format_local in zone "UTC").
std::string utc(domain::instant t);
nlohmann::json utc_or_null(const std::optional<domain::instant>& t);
nlohmann::json text_or_null(const std::string& s);  // "" → null

// ?name=… as an integer in [lo, hi]; `out` unchanged when absent.
std::optional<field_error> query_int(const httplib::Request& req, const char* name, int lo, int hi,
                                     int& out);
// ?name=true|false|1|0; `out` unchanged when absent.
std::optional<field_error> query_bool(const httplib::Request& req, const char* name, bool& out);

// A range bound: a date YYYY-MM-DD is the tenant-local midnight that starts it (`end_of_day`:
// the one that ends it); anything else must be an ISO 8601 date-time (no offset = tenant wall
// time, zone `tz`). nullopt when unreadable.
std::optional<domain::instant> read_bound(const std::string& text, const std::string& tz,
                                          bool end_of_day);

}  // namespace rm::http
