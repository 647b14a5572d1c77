// 2. A whole recorded call, from ringing to the end-of-call report, over HTTP.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace rm::itest;

TEST_CASE("a full recorded call ends scored and booked, with one SMS sent from the clinic's line",
          "[full-call]") {
  harness h;
  auto tenant = h.create_sample_clinic();
  call_spec call{"full-call-1"};
  const auto date = future_weekday(2);

  REQUIRE(h.vapi(status_update(call, "ringing", 1000)).status == 200);
  REQUIRE(h.vapi(status_update(call, "in-progress", 2000)).status == 200);

  auto check = only_result(
      h.vapi(tool_calls(call, {{"tc-check", "check_availability", json{{"date", date}}}})));
  INFO(check.dump());
  REQUIRE(check.contains("result"));
  auto slots = json::parse(check["result"].get<std::string>())["slots"];
  REQUIRE_FALSE(slots.empty());
  const std::string start = slots[0];

  auto hold = only_result(
      h.vapi(tool_calls(call, {{"tc-reserve", "reserve_slot", json{{"start", start}}}})));
  INFO(hold.dump());
  REQUIRE(hold.contains("result"));
  auto hold_json = json::parse(hold["result"].get<std::string>());
  const std::string hold_id = hold_json["hold_id"];
  CHECK(hold_json["start"] == start);

  auto booked = only_result(h.vapi(tool_calls(
      call,
      {{"tc-book", "book_appointment", json{{"hold_id", hold_id}, {"name", "Ada Lovelace"}}}})));
  INFO(booked.dump());
  REQUIRE(booked.contains("result"));
  auto booked_json = json::parse(booked["result"].get<std::string>());
  CHECK(booked_json["appointment_id"] == hold_id);
  CHECK(booked_json["status"] == "booked");

  auto sms = only_result(h.vapi(tool_calls(
      call, {{"tc-sms", "send_sms", json{{"message", "See you on " + date + ", Ada!"}}}})));
  INFO(sms.dump());
  REQUIRE(sms.contains("result"));
  auto sms_json = json::parse(sms["result"].get<std::string>());
  CHECK(sms_json["status"] == "sent");

  REQUIRE(h.vapi(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
  REQUIRE(h.vapi(end_of_call_report(call, 4000)).status == 200);

  auto view = h.call_view(call.call_id);
  INFO(view.dump());
  CHECK(view["state"] == "scored");
  CHECK(view["outcome"] == "booked");
  CHECK(view["tenant_id"] == tenant);
  REQUIRE(view["holds"].size() == 1);
  CHECK(view["holds"][0]["id"] == hold_id);
  CHECK(view["holds"][0]["status"] == "booked");

  // The audit row and what Twilio (the fake) saw.
  CHECK(h.count("SELECT count(*) FROM messages WHERE call_id = $1", {call.call_id}) == 1);
  CHECK(h.scalar("SELECT status FROM messages WHERE call_id = $1", {call.call_id}) == "sent");
  auto sid =
      h.scalar("SELECT external_message_id FROM messages WHERE call_id = $1", {call.call_id});
  CHECK(sid.rfind("SM", 0) == 0);
  CHECK(sid == sms_json["sid"]);
  CHECK(h.scalar("SELECT recipient FROM messages WHERE call_id = $1", {call.call_id}) ==
        caller_number);
  auto requests = h.twilio().requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].field("From") == clinic_number);
  CHECK(requests[0].field("To") == caller_number);
  CHECK(requests[0].auth_account_sid == account_sid);
  CHECK(requests[0].path == std::string{"/2010-04-01/Accounts/"} + account_sid + "/Messages.json");

  // The contact, by the caller's number, with the name given to book_appointment.
  CHECK(h.scalar("SELECT name FROM contacts WHERE org_id = $1 AND phone_e164 = $2",
                 {tenant, caller_number}) == "Ada Lovelace");
  CHECK(h.count("SELECT count(*) FROM appointments WHERE call_id = $1 AND status = 'booked' "
                "AND contact_id = (SELECT id FROM contacts WHERE org_id = $2 AND phone_e164 = $3)",
                {call.call_id, tenant, caller_number}) == 1);
}
