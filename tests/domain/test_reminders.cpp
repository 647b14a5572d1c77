#include <catch2/catch.hpp>

#include "domain/reminders.hpp"

using namespace rm::domain;

namespace {
instant at(const char* iso) { return parse_instant(iso, "UTC").value(); }
}  // namespace

TEST_CASE("appointment_reminder_text speaks the start in the clinic's zone") {
  CHECK(appointment_reminder_text("Bright Smiles", at("2026-01-14T14:30:00Z"),
                                  "America/New_York") ==
        "Reminder from Bright Smiles: your appointment is on Wednesday, January 14 at 9:30 AM "
        "EST. Reply STOP to opt out.");
  // Summer time: same wall clock, other offset and abbreviation.
  CHECK(appointment_reminder_text("Bright Smiles", at("2026-07-14T13:30:00Z"),
                                  "America/New_York") ==
        "Reminder from Bright Smiles: your appointment is on Tuesday, July 14 at 9:30 AM EDT. "
        "Reply STOP to opt out.");
  // The local date can differ from the UTC date.
  CHECK(appointment_reminder_text("Clinic", at("2026-03-02T02:05:00Z"), "America/Los_Angeles") ==
        "Reminder from Clinic: your appointment is on Sunday, March 1 at 6:05 PM PST. Reply STOP "
        "to opt out.");
  CHECK(appointment_reminder_text("Clinic", at("2026-03-02T00:00:00Z"), "UTC")
            .find("Monday, March 2 at 12:00 AM UTC.") != std::string::npos);
}

TEST_CASE("appointment_reminder_text handles odd clinic names and zones") {
  const instant t = at("2026-01-14T14:30:00Z");
  CHECK(appointment_reminder_text("  ", t, "UTC").rfind("Reminder from your clinic: ", 0) == 0);
  // An unknown zone still yields a reminder, in UTC.
  CHECK(appointment_reminder_text("C", t, "Mars/Base").find("2:30 PM UTC") != std::string::npos);
  // A long name is cut to 40 bytes and the whole text fits one 160-byte SMS.
  const std::string long_name(100, 'x');
  const auto text = appointment_reminder_text(long_name, t, "America/New_York");
  CHECK(text.find(std::string(40, 'x') + ":") != std::string::npos);
  CHECK(text.find(std::string(41, 'x')) == std::string::npos);
  CHECK(text.size() <= 160);
  // A cut never splits a UTF-8 sequence: 39 ASCII bytes then "é" (2 bytes) drops the "é".
  const auto accented = appointment_reminder_text(std::string(39, 'a') + "\xC3\xA9" "b", t, "UTC");
  CHECK(accented.find(std::string(39, 'a') + ":") != std::string::npos);
  CHECK(appointment_reminder_subject(" Bright Smiles ") == "Appointment reminder: Bright Smiles");
  CHECK(appointment_reminder_subject("") == "Appointment reminder: your clinic");
}

TEST_CASE("recording_share_text carries the link and its expiry in the clinic's zone") {
  const auto text = recording_share_text("Bright Smiles", "https://rm.test/share/recordings/t",
                                         at("2026-01-14T14:30:00Z"), "America/New_York");
  CHECK(text ==
        "Bright Smiles shared a call recording with you.\n\nListen: "
        "https://rm.test/share/recordings/t\n\nThe link works until Wednesday, January 14 at "
        "9:30 AM EST. Anyone who has the link can listen, so please do not forward it.\n");
  CHECK(recording_share_subject("") == "Call recording shared by your clinic");
}
