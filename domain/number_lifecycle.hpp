// The lifecycle of a clinic's phone number and the rules of its provisioning saga (pure: no I/O).
// docs/telephony.md "Number lifecycle" tells the story; persistence/migrations/007 stores it.
//
//   available ──buy / import──► owned ──Vapi import──► linked ──release──► released ─► aging
//   (Twilio's search,           (routed by our          (Vapi knows it,    (given back   (quarantine:
//    never stored)               webhooks)               agent attached)    to Twilio)    no other
//                                                                                          tenant may
//                                                                                          take it)
//
// Stored statuses are owned | linked | released; "aging" is a released number whose quarantine
// has not ended (a view of released + quarantine_until > now). After the quarantine the number
// is free for anyone again (it is Twilio's, not ours).
//
// Instants are UTC (domain::instant, seconds).
#pragma once

#include "domain/errors.hpp"

#include <chrono>
#include <optional>
#include <string>

#include "domain/calendar.hpp"  // instant

namespace rm::domain::numbers {

enum class number_status { owned, linked, released };
enum class lifecycle_stage { owned, linked, released, aging };

const char* to_string(number_status s);
const char* to_string(lifecycle_stage s);
std::optional<number_status> parse_number_status(const std::string& s);

// What the API shows for a stored status.
lifecycle_stage stage_of(number_status s, std::optional<instant> quarantine_until, instant now);

// Allowed moves of a stored number: owned → linked (imported into Vapi), linked → owned (Vapi
// copy removed), owned | linked → released. A released row never comes back by itself: taking
// the number again makes a new row (or, for a hand-made mapping, reactivates it).
bool can_transition(number_status from, number_status to);

// RINGMASTER_NUMBER_QUARANTINE_DAYS: 0 (no quarantine) … 365.
inline constexpr int default_quarantine_days = 30;
bool valid_quarantine_days(long days);
instant quarantine_end(instant released_at, int days);

// May `requester` take (buy, import, map) a number whose latest quarantine by ANOTHER tenant ends
// at `other_tenant_quarantine_until` (nullopt: none)? The same tenant always may.
bool may_take(std::optional<instant> other_tenant_quarantine_until, instant now);

// ---- input rules --------------------------------------------------------------------------------

// ISO 3166-1 alpha-2 in upper case ("US"). Returns "" when acceptable, else a sentence.
std::string validate_country(const std::string& country);
// Twilio's AreaCode applies to the North American Numbering Plan only (US, CA): three digits, the
// first 2–9 (NANP area codes never start with 0 or 1). "" when acceptable, else a sentence.
std::string validate_area_code(const std::string& country, const std::string& area_code);

// ---- the provisioning saga ----------------------------------------------------------------------
//
// pending ──bought and recorded──► purchased ──Vapi import──► completed
//    │                                 │  └──import failed (transient)──► purchased (retry later)
//    └──Twilio refused / reconciliation│      import refused or retries exhausted
//       found nothing──► failed        ▼
//                                 compensating ──Twilio release──► released
// A pending order whose request died is reconciled by listing the account's numbers: found and
// recordable → purchased; found but not recordable (taken meanwhile) → compensating; not found
// → failed. Never a number bought and unrecorded.
enum class order_state { pending, purchased, completed, failed, compensating, released };
const char* to_string(order_state s);
std::optional<order_state> parse_order_state(const std::string& s);
bool is_open(order_state s);  // pending | purchased | compensating: the sweep still has work
bool can_transition(order_state from, order_state to);

// After reconciliation of a pending order.
order_state after_reconciliation(bool found_at_twilio, bool recordable);

inline constexpr int max_import_attempts = 5;
// Delay before the next try of a failed step: 30 s, 60 s, 120 s … capped at one hour.
std::chrono::seconds retry_delay(int attempts_made);

struct import_decision {
  bool compensate = false;                 // give the number back now
  std::chrono::seconds retry_in{0};        // else: try the import again after this
};
// A Vapi import failed after `attempts_made` attempts (this one included). A refusal about the
// request itself (`transient` false: 4xx other than 429) is final; transient failures are retried
// until max_import_attempts, then compensated.
import_decision after_import_failure(int attempts_made, bool transient,
                                     int max_attempts = max_import_attempts);

// ---- provider errors → API errors --------------------------------------------------------------

struct api_refusal {
  rm::ec kind = rm::ec::provider_failed;  // the HTTP status is the adapter's (http_errors.hpp)
  std::string code;     // snake_case
  std::string message;  // a sentence for the clinic
  std::string field;    // "" when no input field is at fault
};

// A failed Twilio number operation (http_status 0 = transport failure; twilio_code 0 = none):
//   21422 → conflict (409) number_unavailable "that number is no longer available"
//   21452 → unprocessable (422) no_numbers_in_area_code "no numbers in that area code" (area_code)
//   21421 → invalid_argument (400) invalid_phone_number (phone_number)
//   20003 → conflict (409) twilio_credentials_rejected
//   transport, 429, 5xx → provider_failed (502) twilio_unavailable; any other refusal →
//   provider_rejected (502) twilio_error.
api_refusal classify_twilio_failure(int http_status, int twilio_code,
                                    const std::string& twilio_message);

}  // namespace rm::domain::numbers
