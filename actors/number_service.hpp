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
//   whose lease expires; the sweep (at start-up and every sweep_interval) takes it from there.
//
// Results are HTTP-shaped (status + body, docs/api.md "Phone numbers"); error bodies are
// {"error":{"code","message"[,"field"]}}. Provider breaker open → 503 provider_unavailable with
// Retry-After.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/twilio/twilio_client.hpp"
#include "adapters/vapi/vapi_client.hpp"

namespace rm::actors {

class service;

struct number_service_options {
  std::string twilio_base_url = "https://api.twilio.com";
  std::string vapi_base_url = "https://api.vapi.ai";
  std::string vapi_private_key;  // RINGMASTER_VAPI_PRIVATE_KEY; "" → purchases refused (503)
  // RINGMASTER_PUBLIC_URL: the numbers' VoiceUrl/SmsUrl/StatusCallback are built from it
  // (/webhooks/twilio/voice, /sms, /status); "" → purchases and imports refused (503).
  std::string public_url;
  int quarantine_days = 30;  // RINGMASTER_NUMBER_QUARANTINE_DAYS (0–365)
  // How long a request owns its order before the sweep may take it over.
  std::chrono::seconds lease{120};
  // Background sweep period; 0 = none (tests call sweep_now). The first sweep runs at start.
  std::chrono::milliseconds sweep_interval{60000};
  twilio::retry_policy twilio_retry{};
  vapi::retry_policy vapi_retry{};
  std::chrono::milliseconds provider_timeout{std::chrono::seconds(60)};  // per port request
};

struct number_result {
  int status = 200;
  nlohmann::json body;
  int retry_after = -1;  // seconds; >= 0 adds a Retry-After header
};

class number_service {
 public:
  number_service(service& svc, number_service_options options);
  ~number_service();  // stops the sweep thread
  number_service(const number_service&) = delete;
  number_service& operator=(const number_service&) = delete;

  // GET /api/phone-numbers/available?area_code=&country=US[&contains=]: 200
  // {"available_phone_numbers":[{phone_number, friendly_name, locality, region, iso_country,
  // capabilities{voice,sms,mms}}]} without numbers quarantined for another tenant; 400 (field
  // area_code | country), 409 twilio_not_connected, 502/503 provider failures.
  number_result search(const std::string& org_id, const std::string& country,
                       const std::string& area_code, const std::string& contains);

  // POST /api/phone-numbers: exactly one of phone_number (E.164) / area_code. 201 {number, order}
  // when linked; 202 {number, order, message} when bought but the Vapi import is still to come
  // (or the purchase's outcome is being reconciled: number null); 4xx/5xx as documented.
  number_result provision(const std::string& org_id, const std::string& user_id,
                          const nlohmann::json& body);

  // GET /api/phone-numbers[?include_released=true]: {"phone_numbers":[…], "orders":[open …]}.
  number_result list(const std::string& org_id, bool include_released);

  // DELETE /api/phone-numbers/{id}: 200 {number} (aging); 404; 409 number_forwarded_to (a live
  // forwarding configuration points at it); 502/503 when Twilio would not release it (nothing
  // changed then).
  number_result release(const std::string& org_id, const std::string& user_id,
                        const std::string& id);

  // POST /api/phone-numbers/import: every number of the tenant's Twilio account (all pages),
  // idempotently. 200 {"imported":[number…], "already":[e164…], "refused":[{phone_number,
  // reason: taken|quarantined}], "failed":[{phone_number, error}]}.
  number_result import_all(const std::string& org_id, const std::string& user_id);

  // One sweep now: due orders (reconcile pending, import purchased, release compensating) and
  // Vapi copies of released numbers still to delete. Returns {"orders":n,"vapi_cleanups":m}.
  nlohmann::json sweep_now();

  // The webhook URLs a number must point at (public_url + /webhooks/twilio/…).
  twilio::purchase_request webhook_urls() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace rm::actors
