// A clinic's phone numbers from a plain thread (the HTTP routes /api/phone-numbers*): search,
// purchase (a saga), release into quarantine, import of the clinic's own Twilio account, and the
// sweep that finishes or undoes what a failure or a crash left open. No CAF in this header.
//
// Every Twilio and Vapi request is a typed request to the provider's adapter actor through
// service::providers() (actors/provider_port.hpp: behind the tenant's circuit breaker for that
// provider, on a detached worker of the adapter); database work through service::with_db
// in transactions that name the tenant first (row-level security). Tenant's Twilio credentials
// come from persistence::load_twilio_account. Number lifecycle and saga rules:
// domain/number_lifecycle.hpp; storage: persistence/number_queries.hpp (migration 007).
//
// The purchase saga (docs/telephony.md "Provisioning"):
//   1. the order is recorded (pending, leased to this request) BEFORE Twilio is called;
//   2. Twilio buys (VoiceUrl, SmsUrl, StatusCallback = our webhooks; FriendlyName names the
//      order, so a reconciliation can recognise the number);
//   3. the number is recorded (owned, routed) and the order becomes purchased — routes are
//      invalidated;
//   4. Vapi imports it (the tenant's Twilio credentials, the agent's or the clinic's assistant);
//      the number becomes linked and the order completed.
//   A refusal at 2 fails the order (nothing bought). An unknown outcome at 2 (timeout, transport
//   failure, 5xx) is reconciled at once by listing the account's numbers, and else by the sweep.
//   A failure at 4 is retried by the sweep with backoff, or compensated: the number is released
//   at Twilio (no quarantine: it never served the clinic). A crash anywhere leaves an open order
//   whose lease expires; the sweep takes it from there. The sweep is the number_sweeper actor
//   (actors/number_interfaces.hpp), a child of the root supervisor: it runs this service's steps
//   (actors/number_saga.hpp) at its start, after a restart and on its timers; the sagas' state
//   lives only in provisioning_orders / phone_numbers.
//
// Results are typed (number_result): the body of a success, or a number_error naming the rm::ec
// kind, the specific error code, the message, the field and Retry-After. The HTTP adapter
// (adapters/http/number_routes.cpp) maps them with adapters/http/http_errors.hpp (docs/api.md
// "Phone numbers"); breaker open → ec::provider_unavailable with retry_after.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/twilio/twilio_client.hpp"
#include "adapters/vapi/vapi_client.hpp"
#include "domain/errors.hpp"

namespace rm::actors {

class service;

struct number_service_options {
  std::string twilio_base_url = "https://api.twilio.com";
  std::string vapi_base_url = "https://api.vapi.ai";
  std::string vapi_private_key;  // RINGMASTER_VAPI_PRIVATE_KEY; "" → purchases refused (not_configured)
  // RINGMASTER_PUBLIC_URL: the numbers' VoiceUrl/SmsUrl/StatusCallback are built from it
  // (/webhooks/twilio/voice, /sms, /status); "" → purchases and imports refused (not_configured).
  std::string public_url;
  int quarantine_days = 30;  // RINGMASTER_NUMBER_QUARANTINE_DAYS (0–365)
  // How long a request owns its order before the sweep may take it over.
  std::chrono::seconds lease{120};
  // The sweeper's period; 0 = none (tests call sweep_now). Its first pass runs at start (with 0,
  // before the constructor returns).
  std::chrono::milliseconds sweep_interval{60000};
  twilio::retry_policy twilio_retry{};
  vapi::retry_policy vapi_retry{};
  std::chrono::milliseconds provider_timeout{std::chrono::seconds(60)};  // per port request
};

// A refusal or failure: the kind (HTTP status by adapters/http/http_errors.hpp), the specific
// error.code ("" = the kind's default), a sentence, the input field at fault, and Retry-After.
struct number_error {
  rm::ec kind = rm::ec::internal;
  std::string code;
  std::string message;
  std::string field;
  int retry_after = -1;  // seconds; >= 0 when the caller should wait (breaker open)
};

// How a success went: done (200), created (201: the number is linked) or accepted (202: bought
// or being reconciled, the rest follows in the background).
enum class number_outcome { done, created, accepted };

struct number_result {
  number_outcome outcome = number_outcome::done;
  nlohmann::json body;                // the success's body
  std::optional<number_error> error;  // set → a failure (body unused)
  number_result() = default;
  number_result(number_outcome o, nlohmann::json b) : outcome(o), body(std::move(b)) {}
  number_result(number_error e) : error(std::move(e)) {}  // NOLINT: a failure is a result
};

class number_service {
 public:
  number_service(service& svc, number_service_options options);
  ~number_service();  // withdraws its steps from the sweeper (which then idles)
  number_service(const number_service&) = delete;
  number_service& operator=(const number_service&) = delete;

  // GET /api/phone-numbers/available?area_code=&country=US[&contains=]: 200
  // {"available_phone_numbers":[{phone_number, friendly_name, locality, region, iso_country,
  // capabilities{voice,sms,mms}}]} without numbers quarantined for another tenant; invalid_argument (field
  // area_code | country), conflict twilio_not_connected, provider_* failures.
  number_result search(const std::string& org_id, const std::string& country,
                       const std::string& area_code, const std::string& contains);

  // POST /api/phone-numbers: exactly one of phone_number (E.164) / area_code. 201 {number, order}
  // when linked; 202 {number, order, message} when bought but the Vapi import is still to come
  // (or the purchase's outcome is being reconciled: number null); 4xx/5xx as documented.
  number_result provision(const std::string& org_id, const std::string& user_id,
                          const nlohmann::json& body);

  // GET /api/phone-numbers[?include_released=true]: {"phone_numbers":[…], "orders":[open …]}.
  number_result list(const std::string& org_id, bool include_released);

  // DELETE /api/phone-numbers/{id}: done {number} (aging); not_found; conflict number_forwarded_to (a
  // live forwarding configuration points at it); provider_* when Twilio would not release it (nothing
  // changed then).
  number_result release(const std::string& org_id, const std::string& user_id,
                        const std::string& id);

  // POST /api/phone-numbers/import: every number of the tenant's Twilio account (all pages),
  // idempotently. 200 {"imported":[number…], "already":[e164…], "refused":[{phone_number,
  // reason: taken|quarantined}], "failed":[{phone_number, error}]}.
  number_result import_all(const std::string& org_id, const std::string& user_id);

  // One sweep now, by the sweeper actor (waits for it): due orders (reconcile pending, import purchased, release compensating) and
  // Vapi copies of released numbers still to delete. Returns {"orders":n,"vapi_cleanups":m}.
  nlohmann::json sweep_now();

  // The webhook URLs a number must point at (public_url + /webhooks/twilio/…).
  twilio::purchase_request webhook_urls() const;

 private:
  std::shared_ptr<class number_saga> saga_;  // shared with the sweeper through wiring
};

}  // namespace rm::actors
