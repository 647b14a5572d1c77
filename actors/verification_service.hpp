// Caller-ID verification seen from a plain thread (the HTTP routes): no CAF in this header.
// Constructed after actors::service and destroyed before it: it spawns the verification registry
// and housekeeper on service.system() and stops them in its destructor. Each call blocks the
// calling thread (Twilio requests and the argon2id hash run here, off the actors).
//
// Results are HTTP-shaped (status + body) because they are the API of docs/api.md
// "Hybrid telephony"; error bodies are {"error":{"code","message"[,"field"]}} plus, for 400
// wrong_code, "attemptsRemaining".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/verification_code.hpp"

namespace rm::actors {

class service;

struct verification_service_options {
  std::string twilio_base_url = "https://api.twilio.com";
  // Public base URL for Twilio's caller-ID status callback; "" sends no callback URL.
  std::string public_url;
  std::chrono::milliseconds sweep_interval{60000};  // housekeeping period
  // Concurrent argon2id hashes + comparisons (64 MiB each); 0 = one per core
  // (std::thread::hardware_concurrency()). A request waits up to argon2_wait for a slot, then
  // gets 429 busy (Retry-After: 1).
  unsigned argon2_slots = 0;
  std::chrono::milliseconds argon2_wait{2000};
};

struct api_result {
  int status = 200;
  nlohmann::json body;
  int retry_after = -1;  // seconds; >= 0 adds a Retry-After header
};

class verification_service {
 public:
  verification_service(service& svc, verification_service_options options);
  ~verification_service();
  verification_service(const verification_service&) = delete;
  verification_service& operator=(const verification_service&) = delete;

  // POST /api/telephony/verify-caller-id/initiate. channel "call" | "sms".
  // 200 {success, verificationId, expiresAt (ISO 8601 UTC), message}; 400 invalid_phone_number /
  // invalid_channel (field named); 409 already_verified | no_ai_number | twilio_not_configured;
  // 423 number_locked (Retry-After); 429 too_many_verifications (Retry-After);
  // 429 busy (Retry-After: 1; every argon2 slot stayed taken for argon2_wait; nothing stored);
  // 502 delivery_failed (the session stays pending; the send counted).
  // The 409 already_verified / 423 / 429 too_many_verifications checks run before the code is
  // generated and hashed, so refused requests cost one database read, not an argon2id hash.
  api_result initiate(const std::string& org_id, const std::string& phone_input,
                      const std::string& friendly_name, const std::string& channel);
  // POST /api/telephony/verify-caller-id/confirm.
  // 200 {success, message, verifiedCallerId}; 400 wrong_code (+attemptsRemaining) |
  // invalid_code_format; 404 not_found; 409 already_verified; 410 expired;
  // 423 verification_failed (3rd wrong code) | number_locked; 429 busy (as for initiate; the
  // guess was not checked and does not count).
  api_result confirm(const std::string& org_id, const std::string& verification_id,
                     const std::string& code);
  // POST /api/telephony/verified-numbers/{id}/caller-id: register the verified number as a
  // Twilio outgoing caller ID. 200 {success, validationCode, message}; 404; 409 not_verified;
  // 502 twilio_error.
  api_result register_caller_id(const std::string& org_id, const std::string& verification_id);
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
  // The cap on concurrent argon2id work (its counters show how many ran and at most at once).
  argon2_limiter& argon2();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace rm::actors
