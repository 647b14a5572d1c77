#include "domain/number_lifecycle.hpp"

#include <algorithm>
#include <cctype>

namespace rm::domain::numbers {

const char* to_string(number_status s) {
  switch (s) {
    case number_status::owned: return "owned";
    case number_status::linked: return "linked";
    case number_status::released: return "released";
  }
  return "released";
}

const char* to_string(lifecycle_stage s) {
  switch (s) {
    case lifecycle_stage::owned: return "owned";
    case lifecycle_stage::linked: return "linked";
    case lifecycle_stage::released: return "released";
    case lifecycle_stage::aging: return "aging";
  }
  return "released";
}

std::optional<number_status> parse_number_status(const std::string& s) {
  if (s == "owned") return number_status::owned;
  if (s == "linked") return number_status::linked;
  if (s == "released") return number_status::released;
  return std::nullopt;
}

lifecycle_stage stage_of(number_status s, std::optional<instant> quarantine_until, instant now) {
  switch (s) {
    case number_status::owned: return lifecycle_stage::owned;
    case number_status::linked: return lifecycle_stage::linked;
    case number_status::released:
      return quarantine_until && now < *quarantine_until ? lifecycle_stage::aging
                                                         : lifecycle_stage::released;
  }
  return lifecycle_stage::released;
}

bool can_transition(number_status from, number_status to) {
  using n = number_status;
  if (from == n::released) return false;
  if (from == to) return false;
  return true;  // owned ↔ linked, owned | linked → released
}

bool valid_quarantine_days(long days) { return days >= 0 && days <= 365; }

instant quarantine_end(instant released_at, int days) {
  return released_at + std::chrono::hours(24) * days;
}

bool may_take(std::optional<instant> other_tenant_quarantine_until, instant now) {
  return !other_tenant_quarantine_until || *other_tenant_quarantine_until <= now;
}

std::string validate_country(const std::string& country) {
  if (country.size() != 2 || !std::all_of(country.begin(), country.end(), [](unsigned char c) {
        return c >= 'A' && c <= 'Z';
      }))
    return "country must be an ISO 3166-1 alpha-2 code in capitals, e.g. US";
  return "";
}

std::string validate_area_code(const std::string& country, const std::string& area_code) {
  if (country != "US" && country != "CA")
    return "area_code applies to US and CA numbers only (Twilio's AreaCode); got country " +
           country;
  if (area_code.size() != 3 ||
      !std::all_of(area_code.begin(), area_code.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }))
    return "area_code must be three digits, e.g. 415";
  if (area_code[0] == '0' || area_code[0] == '1')
    return "area_code must not start with 0 or 1 (North American area codes start with 2-9)";
  return "";
}

const char* to_string(order_state s) {
  switch (s) {
    case order_state::pending: return "pending";
    case order_state::purchased: return "purchased";
    case order_state::completed: return "completed";
    case order_state::failed: return "failed";
    case order_state::compensating: return "compensating";
    case order_state::released: return "released";
  }
  return "failed";
}

std::optional<order_state> parse_order_state(const std::string& s) {
  for (auto st : {order_state::pending, order_state::purchased, order_state::completed,
                  order_state::failed, order_state::compensating, order_state::released})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

bool is_open(order_state s) {
  return s == order_state::pending || s == order_state::purchased ||
         s == order_state::compensating;
}

bool can_transition(order_state from, order_state to) {
  using o = order_state;
  switch (from) {
    case o::pending: return to == o::purchased || to == o::failed || to == o::compensating;
    case o::purchased: return to == o::completed || to == o::compensating;
    case o::compensating: return to == o::released;
    case o::completed:
    case o::failed:
    case o::released: return false;
  }
  return false;
}

order_state after_reconciliation(bool found_at_twilio, bool recordable) {
  if (!found_at_twilio) return order_state::failed;
  return recordable ? order_state::purchased : order_state::compensating;
}

std::chrono::seconds retry_delay(int attempts_made) {
  const int n = std::max(1, attempts_made);
  if (n >= 8) return std::chrono::seconds(3600);
  return std::min(std::chrono::seconds(3600), std::chrono::seconds(30) * (1 << (n - 1)));
}

import_decision after_import_failure(int attempts_made, bool transient, int max_attempts) {
  if (!transient || attempts_made >= max_attempts) return {true, std::chrono::seconds(0)};
  return {false, retry_delay(attempts_made)};
}

api_refusal classify_twilio_failure(int http_status, int twilio_code,
                                    const std::string& twilio_message) {
  switch (twilio_code) {
    case 21422:
      return {rm::ec::conflict, "number_unavailable", "that number is no longer available", "phone_number"};
    case 21452:
      return {rm::ec::unprocessable, "no_numbers_in_area_code", "no numbers in that area code", "area_code"};
    case 21421:
      return {rm::ec::invalid_argument, "invalid_phone_number", "Twilio says that phone number is not valid",
              "phone_number"};
    case 20003:
      return {rm::ec::conflict, "twilio_credentials_rejected",
              "Twilio rejected this organization's credentials; connect Twilio again", ""};
    default: break;
  }
  if (http_status == 0 || http_status == 429 || http_status >= 500)
    return {rm::ec::provider_failed, "twilio_unavailable",
            "Twilio did not answer properly (" +
                (http_status == 0 ? std::string{"no connection"}
                                  : "HTTP " + std::to_string(http_status)) +
                "); nothing was changed, try again",
            ""};
  std::string msg = "Twilio refused the request";
  if (twilio_code != 0) msg += " (error " + std::to_string(twilio_code) + ")";
  if (!twilio_message.empty()) msg += ": " + twilio_message;
  return {rm::ec::provider_rejected, "twilio_error", msg, ""};
}

}  // namespace rm::domain::numbers
