// Caller-ID verification seen from a plain thread (the HTTP routes): no CAF in this header.
// A thin blocking facade over the verification registry and housekeeper, which the root
// supervisor owns (actors/verification_interfaces.hpp; enabled by service_options::verification):
// it spawns nothing and stops nothing, and always asks the current handle in wiring, so a
// restarted registry is invisible here. Construct it after actors::service and destroy it before.
// Each call blocks the calling thread (Twilio requests and the argon2id hash run here, off the
// actors).
//
// Results carry no HTTP: a success body (the JSON of docs/api.md "Hybrid telephony"), or a
// verification_failure naming its rm::ec kind (domain/errors.hpp) and the specific error code the
// API documents; adapters/http/http_errors.hpp turns the kind into the status. Failures of the
// actors or the database are thrown as service_error (by their rm::ec).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/verification_code.hpp"
#include "domain/errors.hpp"

namespace rm::actors {

class service;

struct verification_service_options {
  std::string twilio_base_url = "https://api.twilio.com";
  // Public base URL for Twilio's caller-ID status callback; "" sends no callback URL.
  std::string public_url;
};

// A refusal: error body {"error":{"code","message"[,"field"], …extra}} with the status of `kind`.
struct verification_failure {
  rm::ec kind = rm::ec::internal;
  std::string code;     // the specific error.code ("wrong_code", "number_locked", …)
  std::string message;
  std::string field;    // "" when no field is at fault
  nlohmann::json extra = nlohmann::json::object();  // more members of "error" (attemptsRemaining)
  int retry_after = -1;  // seconds; >= 0 adds a Retry-After header
};

struct verification_result {
  nlohmann::json body;  // the success body (status 200) when !failure
  std::optional<verification_failure> failure;
};

class verification_service {
 public:
  // Throws std::logic_error when the service was built without verification actors
  // (service_options::verification false).
  verification_service(service& svc, verification_service_options options);
  ~verification_service();
  verification_service(const verification_service&) = delete;
  verification_service& operator=(const verification_service&) = delete;

  // POST /api/telephony/verify-caller-id/initiate. channel "call" | "sms".
  // {success, verificationId, expiresAt (ISO 8601 UTC), message}; failures (kind, code):
  // invalid_argument invalid_phone_number / invalid_channel (field named); conflict
  // already_verified | no_ai_number | twilio_not_configured; locked number_locked (retry_after);
  // rate_limited too_many_verifications (retry_after); rate_limited busy (retry_after 1; every
  // argon2 slot stayed taken for argon2_wait; nothing stored); provider_failed delivery_failed
  // (the session stays pending; the send counted).
  // The already_verified / locked / too_many_verifications checks run before the code is
  // generated and hashed, so refused requests cost one database read, not an argon2id hash.
  verification_result initiate(const std::string& org_id, const std::string& phone_input,
                               const std::string& friendly_name, const std::string& channel);
  // POST /api/telephony/verify-caller-id/confirm.
  // {success, message, verifiedCallerId, phoneNumber}; failures: invalid_argument wrong_code
  // (extra attemptsRemaining) | invalid_code_format | missing_field; not_found; conflict
  // already_verified; expired; locked verification_failed (3rd wrong code) | number_locked
  // (retry_after until the lock ends); rate_limited busy (as for initiate; the guess was not
  // checked and does not count).
  verification_result confirm(const std::string& org_id, const std::string& verification_id,
                              const std::string& code);
  // POST /api/telephony/verified-numbers/{id}/caller-id: register the verified number as a
  // Twilio outgoing caller ID. {success, validationCode, message}; failures: not_found; conflict
  // not_verified | twilio_not_configured; provider_unavailable (breaker open, retry_after);
  // provider_rejected / provider_failed twilio_error.
  verification_result register_caller_id(const std::string& org_id,
                                         const std::string& verification_id);
  // Twilio's status callback for that registration: VerificationStatus success|failed.
  void caller_id_status(const std::string& org_id, const std::string& verification_id,
                        const std::string& verification_status,
                        const std::string& outgoing_caller_id_sid);
  // A verification row was deleted: stop its live session, if any.
  void forget(const std::string& verification_id);
  // JSON array for GET /sessions/verifications: id, orgId, phoneNumber, state, attemptsLeft,
  // expiresInSeconds. Never a code or a hash.
  std::string live_sessions_json();
  // Runs one housekeeping sweep now; returns {"expired":n,"deleted":m}.
  nlohmann::json sweep_now();

  service& backend();
  std::int64_t now_epoch();  // the service's clock (wiring::now)
  // The cap on concurrent argon2id work (its counters show how many ran and at most at once);
  // set by service_options::argon2_slots / argon2_wait.
  argon2_limiter& argon2();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace rm::actors
