// The number lifecycle and the provisioning saga's rules (domain/number_lifecycle.hpp).
#include <catch2/catch.hpp>

#include "domain/number_lifecycle.hpp"

using namespace rm::domain;
using namespace rm::domain::numbers;

namespace {
const instant t0{std::chrono::seconds(1894665600)};  // 2030-01-15 00:00 UTC
}

TEST_CASE("a released number ages until its quarantine ends, then is simply released") {
  const auto until = quarantine_end(t0, 30);
  CHECK(until - t0 == std::chrono::hours(24 * 30));
  CHECK(stage_of(number_status::released, until, t0) == lifecycle_stage::aging);
  CHECK(stage_of(number_status::released, until, until - std::chrono::seconds(1)) ==
        lifecycle_stage::aging);
  CHECK(stage_of(number_status::released, until, until) == lifecycle_stage::released);
  CHECK(stage_of(number_status::released, std::nullopt, t0) == lifecycle_stage::released);
  CHECK(stage_of(number_status::owned, until, t0) == lifecycle_stage::owned);
  CHECK(stage_of(number_status::linked, std::nullopt, t0) == lifecycle_stage::linked);
  CHECK(std::string{to_string(lifecycle_stage::aging)} == "aging");
}

TEST_CASE("another tenant may take a number only after its quarantine") {
  const auto until = quarantine_end(t0, 30);
  CHECK(may_take(std::nullopt, t0));
  CHECK_FALSE(may_take(until, t0));
  CHECK_FALSE(may_take(until, until - std::chrono::seconds(1)));
  CHECK(may_take(until, until));
  CHECK(quarantine_end(t0, 0) == t0);
  CHECK(may_take(quarantine_end(t0, 0), t0));
}

TEST_CASE("quarantine days are 0 to 365") {
  CHECK(valid_quarantine_days(0));
  CHECK(valid_quarantine_days(30));
  CHECK(valid_quarantine_days(365));
  CHECK_FALSE(valid_quarantine_days(-1));
  CHECK_FALSE(valid_quarantine_days(366));
}

TEST_CASE("stored number statuses move forward only to release") {
  using n = number_status;
  CHECK(can_transition(n::owned, n::linked));
  CHECK(can_transition(n::linked, n::owned));
  CHECK(can_transition(n::owned, n::released));
  CHECK(can_transition(n::linked, n::released));
  CHECK_FALSE(can_transition(n::released, n::owned));
  CHECK_FALSE(can_transition(n::released, n::linked));
  CHECK_FALSE(can_transition(n::linked, n::linked));
  for (auto s : {n::owned, n::linked, n::released}) CHECK(parse_number_status(to_string(s)) == s);
  CHECK_FALSE(parse_number_status("aging"));
}

TEST_CASE("area codes are three NANP digits, for US and CA only") {
  CHECK(validate_area_code("US", "415").empty());
  CHECK(validate_area_code("CA", "604").empty());
  CHECK(validate_area_code("US", "500").empty());
  CHECK_FALSE(validate_area_code("US", "41").empty());
  CHECK_FALSE(validate_area_code("US", "4155").empty());
  CHECK_FALSE(validate_area_code("US", "41a").empty());
  CHECK_FALSE(validate_area_code("US", "").empty());
  CHECK_FALSE(validate_area_code("US", "015").empty());
  CHECK_FALSE(validate_area_code("US", "115").empty());
  CHECK(validate_area_code("GB", "020").find("US and CA") != std::string::npos);
  CHECK(validate_country("US").empty());
  CHECK_FALSE(validate_country("us").empty());
  CHECK_FALSE(validate_country("USA").empty());
  CHECK_FALSE(validate_country("").empty());
}

TEST_CASE("the provisioning saga's states move only along the documented arrows") {
  using o = order_state;
  CHECK(can_transition(o::pending, o::purchased));
  CHECK(can_transition(o::pending, o::failed));
  CHECK(can_transition(o::pending, o::compensating));
  CHECK(can_transition(o::purchased, o::completed));
  CHECK(can_transition(o::purchased, o::compensating));
  CHECK(can_transition(o::compensating, o::released));
  CHECK_FALSE(can_transition(o::pending, o::completed));  // never linked without a record
  CHECK_FALSE(can_transition(o::purchased, o::failed));   // bought: released, never "failed"
  CHECK_FALSE(can_transition(o::completed, o::released));
  CHECK_FALSE(can_transition(o::failed, o::pending));
  CHECK_FALSE(can_transition(o::released, o::purchased));
  CHECK(is_open(o::pending));
  CHECK(is_open(o::purchased));
  CHECK(is_open(o::compensating));
  CHECK_FALSE(is_open(o::completed));
  CHECK_FALSE(is_open(o::failed));
  CHECK_FALSE(is_open(o::released));
  for (auto s : {o::pending, o::purchased, o::completed, o::failed, o::compensating, o::released})
    CHECK(parse_order_state(to_string(s)) == s);
  CHECK_FALSE(parse_order_state("done"));
}

TEST_CASE("reconciliation completes a found number, releases an unrecordable one, fails else") {
  CHECK(after_reconciliation(true, true) == order_state::purchased);
  CHECK(after_reconciliation(true, false) == order_state::compensating);
  CHECK(after_reconciliation(false, true) == order_state::failed);
  CHECK(after_reconciliation(false, false) == order_state::failed);
}

TEST_CASE("a failed Vapi import is retried with backoff, then compensated") {
  CHECK(retry_delay(1) == std::chrono::seconds(30));
  CHECK(retry_delay(2) == std::chrono::seconds(60));
  CHECK(retry_delay(3) == std::chrono::seconds(120));
  CHECK(retry_delay(20) == std::chrono::seconds(3600));
  CHECK(retry_delay(0) == std::chrono::seconds(30));
  auto d = after_import_failure(1, true);
  CHECK_FALSE(d.compensate);
  CHECK(d.retry_in == std::chrono::seconds(30));
  CHECK_FALSE(after_import_failure(max_import_attempts - 1, true).compensate);
  CHECK(after_import_failure(max_import_attempts, true).compensate);
  CHECK(after_import_failure(1, false).compensate);  // a 4xx will not heal by itself
}

TEST_CASE("Twilio's number errors become clear API refusals") {
  auto r = classify_twilio_failure(400, 21422, "PhoneNumber unavailable");
  CHECK(r.kind == rm::ec::conflict);
  CHECK(r.code == "number_unavailable");
  CHECK(r.message == "that number is no longer available");
  r = classify_twilio_failure(400, 21452, "");
  CHECK(r.kind == rm::ec::unprocessable);
  CHECK(r.message == "no numbers in that area code");
  CHECK(r.field == "area_code");
  r = classify_twilio_failure(400, 21421, "");
  CHECK(r.kind == rm::ec::invalid_argument);
  CHECK(r.field == "phone_number");
  CHECK(classify_twilio_failure(401, 20003, "Authenticate").code == "twilio_credentials_rejected");
  CHECK(classify_twilio_failure(0, 0, "").code == "twilio_unavailable");
  CHECK(classify_twilio_failure(503, 0, "").kind == rm::ec::provider_failed);
  CHECK(classify_twilio_failure(429, 0, "").code == "twilio_unavailable");
  r = classify_twilio_failure(400, 21999, "Something odd");
  CHECK(r.code == "twilio_error");
  CHECK(r.kind == rm::ec::provider_rejected);
  CHECK(r.message.find("21999") != std::string::npos);
  CHECK(r.message.find("Something odd") != std::string::npos);
}
