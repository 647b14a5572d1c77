// rm::ec: the kinds of failure ringmaster has, one enum for the whole system (issue 10 §5).
// Plain C++ (no CAF, no HTTP): domain rules, the actors and the adapters all name failures with
// it. actors/errors.hpp registers it with CAF (error category atom "rm", make_error(ec, text));
// adapters/http/http_errors.hpp is the ONE place that turns an ec into an HTTP status and the
// error body {"error":{"code","message"[,"field"]}} (docs/api.md "Errors"). The HTTP status and
// default `error.code` of each enumerator are listed next to it; a route may answer a more
// specific code with the same status (e.g. conflict → 409 "number_taken").
//
// The values are stable (they travel inside caf::error as uint8_t); 0 is not used because CAF
// treats code 0 as "no error". Add new kinds at the end, before `last_`.
#pragma once

#include <cstdint>
#include <optional>
#include <cstddef>

namespace rm {

enum class ec : std::uint8_t {
  // The request itself is wrong: a value out of range, a missing or malformed argument.
  // → 400 invalid_field (`field` names it).
  invalid_argument = 1,
  // The request could not be read at all: NUL or non-UTF-8 in the path or a form field.
  // → 400 bad_request.
  malformed_request,
  // No credential, or one that did not verify (JWT, operator/service token, webhook secret).
  // → 401 unauthorized.
  unauthenticated,
  // Authenticated, but the role or tenant may not do this. → 403 forbidden.
  forbidden,
  // The thing named does not exist (or belongs to another tenant). → 404 not_found.
  not_found,
  // The request contradicts the current state: taken, already done, not in the right state.
  // → 409 conflict (routes usually name the specific conflict: number_taken, not_cancellable …).
  conflict,
  // It existed but has run out (an expired verification code or session). → 410 expired.
  expired,
  // The request body is larger than server_options::max_body_bytes. → 413 payload_too_large.
  payload_too_large,
  // Locked after repeated failures (a number's verification). → 423 locked.
  locked,
  // Too many requests or failures for this client or tenant; retry later. → 429 too_many_requests.
  rate_limited,
  // A bug or an exception nobody expected; logged with the request id. → 500 internal_error.
  internal,
  // The operation is not available on this deployment or not built yet.
  // → 501 not_implemented.
  not_supported,
  // A provider (Twilio, Vapi) answered and refused the request (4xx about the request itself).
  // → 502 provider_rejected (routes name the provider: vapi_error, twilio_error …).
  provider_rejected,
  // A provider could not be reached or answered 5xx/429 after the client's retries.
  // → 502 provider_failed (routes name it: twilio_unavailable, vapi_unavailable …).
  provider_failed,
  // The tenant's circuit breaker for that provider is open: nothing was sent.
  // → 503 provider_unavailable with Retry-After.
  provider_unavailable,
  // A setting the operation needs is missing on this deployment (Vapi key, public URL).
  // → 503 not_configured.
  not_configured,
  // PostgreSQL could not be reached, the connection broke, or the transaction failed
  // (a database job threw). Nothing was committed. → 503 unavailable.
  database_unavailable,
  // A part of ringmaster (an actor, the pool) failed or went away before answering.
  // → 503 unavailable.
  unavailable,
  // The deadline of the wait passed (request_timeout, db_timeout); the work may still finish.
  // → 503 unavailable.
  timeout,
  // A provider did not answer within the time the route waits for it. → 504 provider_timeout.
  provider_timeout,
  // Well-formed, but nothing can be done with it as asked (Twilio has no numbers in that area
  // code). → 422 unprocessable (routes name it: no_numbers_in_area_code).
  unprocessable,
  last_,  // not an error kind: one past the last value (for iteration)
};

// Every enumerator, in order (tests, documentation tables).
inline constexpr ec all_ecs[] = {
    ec::invalid_argument,  ec::malformed_request,   ec::unauthenticated, ec::forbidden,
    ec::not_found,         ec::conflict,            ec::expired,         ec::payload_too_large,
    ec::locked,            ec::rate_limited,        ec::internal,        ec::not_supported,
    ec::provider_rejected, ec::provider_failed,     ec::provider_unavailable,
    ec::not_configured,    ec::database_unavailable, ec::unavailable,    ec::timeout,
    ec::provider_timeout,  ec::unprocessable,
};
static_assert(sizeof(all_ecs) / sizeof(all_ecs[0]) ==
                  static_cast<std::size_t>(ec::last_) - 1,
              "all_ecs must list every enumerator");

// The enumerator's name ("not_found"); "unknown" for a value outside the enum.
constexpr const char* to_string(ec x) {
  switch (x) {
    case ec::invalid_argument: return "invalid_argument";
    case ec::malformed_request: return "malformed_request";
    case ec::unauthenticated: return "unauthenticated";
    case ec::forbidden: return "forbidden";
    case ec::not_found: return "not_found";
    case ec::conflict: return "conflict";
    case ec::expired: return "expired";
    case ec::payload_too_large: return "payload_too_large";
    case ec::locked: return "locked";
    case ec::rate_limited: return "rate_limited";
    case ec::internal: return "internal";
    case ec::not_supported: return "not_supported";
    case ec::provider_rejected: return "provider_rejected";
    case ec::provider_failed: return "provider_failed";
    case ec::provider_unavailable: return "provider_unavailable";
    case ec::not_configured: return "not_configured";
    case ec::database_unavailable: return "database_unavailable";
    case ec::unavailable: return "unavailable";
    case ec::timeout: return "timeout";
    case ec::provider_timeout: return "provider_timeout";
    case ec::unprocessable: return "unprocessable";
    case ec::last_: break;
  }
  return "unknown";
}

// The enumerator of a raw code (as carried by caf::error), nullopt outside the enum.
constexpr std::optional<ec> ec_from_code(std::uint8_t code) {
  if (code == 0 || code >= static_cast<std::uint8_t>(ec::last_)) return std::nullopt;
  return static_cast<ec>(code);
}

// True for the kinds where trying the same request again later may succeed (nothing was done,
// or the outcome is unknown and the operation is idempotent on retry).
constexpr bool is_transient(ec x) {
  return x == ec::rate_limited || x == ec::provider_failed || x == ec::provider_unavailable ||
         x == ec::database_unavailable || x == ec::unavailable || x == ec::timeout ||
         x == ec::provider_timeout;
}

}  // namespace rm
