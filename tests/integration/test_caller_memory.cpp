// Caller memory (issue 12 §3): the assistant-request reply of a returning caller carries
// assistantOverrides.variableValues (name, last summary, next appointment); an unknown caller's
// does not; another tenant's knowledge never leaks.
#include <catch2/catch.hpp>

#include <chrono>

#include "domain/reminders.hpp"
#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

constexpr const char* other_number = "+14155550122";
constexpr const char* other_vapi_id = "00000000-0000-4000-8000-0000000000b2";
constexpr const char* other_assistant = "1b6e0c3a-5d2f-4c8e-9a7b-3e4f5a6b7c8d";
constexpr const char* stranger_number = "+14155550188";

// One call of `call` through the webhook, from ringing to the stored (redacted) report.
void reported_call(harness& h, const call_spec& call) {
  // Real timestamps: the call's ended_at (which orders "the last call") comes from them.
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  for (const auto& body : {status_update(call, "ringing", now_ms - 60000),
                           status_update(call, "ended", now_ms - 30000, "customer-ended-call"),
                           end_of_call_report(call, now_ms - 20000)}) {
    auto r = h.vapi(body);
    INFO(r.text);
    REQUIRE(r.status == 200);
  }
}

json variables_of(const reply& r) {
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body.contains("assistantOverrides"));
  return r.body["assistantOverrides"]["variableValues"];
}

}  // namespace

TEST_CASE("a returning caller's assistant-request carries name, last summary, next appointment",
          "[caller-memory]") {
  harness h;
  const auto org = h.create_sample_clinic();
  const auto other_org = h.create_tenant("Uptown Dental", other_number, other_vapi_id, false,
                                         other_assistant);

  // Before any call the caller is unknown: the plain reply.
  auto first = h.vapi(assistant_request({"memory-before"}));
  INFO(first.text);
  CHECK(first.body == json{{"assistantId", clinic_assistant}});

  // The sample call ("… a cleaning …") is reported and scored; scoring files the caller as a
  // contact, to which the clinic gives a name.
  reported_call(h, {"memory-earlier-call"});
  REQUIRE(eventually([&] { return h.call_view("memory-earlier-call")["state"] == "scored"; }));
  const auto contact = h.scalar(
      "UPDATE contacts SET name = 'Ada Lovelace' WHERE org_id = $1 AND phone_e164 = $2"
      " RETURNING id",
      {org, caller_number});
  REQUIRE_FALSE(contact.empty());
  // An older scored call and a newer call that is not reported yet: neither is "the last call".
  h.scalar(
      "INSERT INTO calls (id, org_id, direction, caller, dialled, state, ended_at, summary)"
      " VALUES ('memory-older', $1, 'inbound', $2, $3, 'scored', '2025-06-01T12:00:00Z',"
      " 'An older call about whitening.'),"
      " ('memory-unreported', $1, 'inbound', $2, $3, 'ended', now(), 'Not reported yet.')",
      {org, caller_number, clinic_number});
  // Appointments: a past one, a cancelled sooner one, the booked next one, a later one.
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const auto next_s = (now_s / 3600 + 72) * 3600;  // on the hour, three days ahead
  h.scalar(
      "INSERT INTO appointments (org_id, contact_id, status, starts_at, ends_at, blocked_until)"
      " SELECT $1::uuid, $2::uuid, s.status, to_timestamp(s.at), to_timestamp(s.at + 1800),"
      "        to_timestamp(s.at + 2700)"
      " FROM (VALUES ('booked', $3::bigint - 86400 * 5), ('cancelled', $3::bigint - 86400),"
      "              ('booked', $3::bigint), ('booked', $3::bigint + 86400 * 7)) AS s(status, at)",
      {org, contact, std::to_string(next_s)});

  auto returning = h.vapi(assistant_request({"memory-returning"}));
  CHECK(returning.body["assistantId"] == clinic_assistant);
  const auto v = variables_of(returning);
  CHECK(v["customerName"] == "Ada Lovelace");
  CHECK(v["lastCallSummary"].get<std::string>().find("cleaning") != std::string::npos);
  const rm::domain::instant next{std::chrono::seconds{next_s}};
  CHECK(v["nextAppointment"] == rm::domain::spoken_local(next, "America/New_York"));
  CHECK(v["nextAppointmentAt"] == rm::domain::format_local(next, "America/New_York"));
  const auto context = v["callerContext"].get<std::string>();
  CHECK(context.find("Welcome back, Ada Lovelace") != std::string::npos);
  CHECK(context.find("cleaning") != std::string::npos);
  CHECK(context.find("whitening") == std::string::npos);
  CHECK(context.find("Not reported yet") == std::string::npos);

  // An unknown caller of the same clinic: no overrides at all.
  call_spec stranger{"memory-stranger"};
  stranger.caller = stranger_number;
  auto unknown = h.vapi(assistant_request(stranger));
  INFO(unknown.text);
  CHECK(unknown.body == json{{"assistantId", clinic_assistant}});

  // The same caller dialling the other clinic, which does not know them: nothing from the first.
  call_spec elsewhere{"memory-elsewhere"};
  elsewhere.dialled = other_number;
  elsewhere.phone_number_id = other_vapi_id;
  auto foreign = h.vapi(assistant_request(elsewhere));
  INFO(foreign.text);
  CHECK(foreign.body == json{{"assistantId", other_assistant}});

  // Once the other clinic files the number under its own name, it hears only its own knowledge.
  h.scalar("INSERT INTO contacts (org_id, phone_e164, name) VALUES ($1, $2, 'Bea')",
           {other_org, caller_number});
  const auto own = variables_of(h.vapi(assistant_request({"memory-elsewhere-2", other_number,
                                                          other_vapi_id})));
  CHECK(own["customerName"] == "Bea");
  CHECK_FALSE(own.contains("lastCallSummary"));
  CHECK_FALSE(own.contains("nextAppointment"));
  CHECK(own.dump().find("Ada") == std::string::npos);
}
