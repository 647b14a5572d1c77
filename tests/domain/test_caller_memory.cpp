#include <catch2/catch.hpp>

#include "domain/caller_memory.hpp"

using namespace rm::domain;
using nlohmann::json;

namespace {
instant at(const char* iso) { return parse_instant(iso, "UTC").value(); }
}  // namespace

TEST_CASE("caller memory is empty for a caller the clinic knows nothing about") {
  caller_history h;
  h.time_zone = "America/New_York";
  CHECK(caller_memory_variables(h) == json::object());
  // Whitespace and template delimiters alone are nothing either.
  h.name = "  \t ";
  h.last_summary = "{{ }}";
  CHECK(caller_memory_variables(h) == json::object());
}

TEST_CASE("a returning caller gets name, last summary and next appointment") {
  caller_history h;
  h.name = " Ada Lovelace ";
  h.last_summary = "Caller asked about a cleaning\nand the price";
  h.next_appointment = at("2026-01-14T14:30:00Z");
  h.time_zone = "America/New_York";
  const auto v = caller_memory_variables(h);
  CHECK(v["customerName"] == "Ada Lovelace");
  CHECK(v["lastCallSummary"] == "Caller asked about a cleaning and the price");
  CHECK(v["nextAppointment"] == "Wednesday, January 14 at 9:30 AM EST");
  CHECK(v["nextAppointmentAt"] == "2026-01-14T09:30:00-05:00");
  CHECK(v["callerContext"] ==
        "This is a returning caller, Ada Lovelace: greet them by name (\"Welcome back, Ada "
        "Lovelace\"). Their last call, in short: Caller asked about a cleaning and the price. "
        "Their next appointment: Wednesday, January 14 at 9:30 AM EST. Use this to help them; do "
        "not read it out unless it helps.");
  CHECK(v.size() == 5);
}

TEST_CASE("caller memory sends only the values it knows") {
  caller_history h;
  h.time_zone = "Europe/Berlin";
  SECTION("name only") {
    h.name = "Grace";
    const auto v = caller_memory_variables(h);
    CHECK(v["customerName"] == "Grace");
    CHECK_FALSE(v.contains("lastCallSummary"));
    CHECK_FALSE(v.contains("nextAppointment"));
    CHECK(v["callerContext"].get<std::string>().find("Welcome back, Grace") != std::string::npos);
  }
  SECTION("summary without a name") {
    h.last_summary = "Booked a check-up.";
    const auto v = caller_memory_variables(h);
    CHECK_FALSE(v.contains("customerName"));
    CHECK(v["lastCallSummary"] == "Booked a check-up.");
    const auto context = v["callerContext"].get<std::string>();
    CHECK(context.find("Welcome back") == std::string::npos);
    CHECK(context.find("called the clinic before") != std::string::npos);
    // The summary's own full stop is not doubled.
    CHECK(context.find("Booked a check-up. ") != std::string::npos);
    CHECK(context.find("..") == std::string::npos);
  }
  SECTION("appointment only, in the clinic's zone (summer time)") {
    h.next_appointment = at("2026-07-01T08:00:00Z");
    const auto v = caller_memory_variables(h);
    CHECK(v["nextAppointment"] == "Wednesday, July 1 at 10:00 AM CEST");
    CHECK(v["nextAppointmentAt"] == "2026-07-01T10:00:00+02:00");
  }
  SECTION("an unknown zone speaks UTC instead of failing") {
    h.time_zone = "Mars/Base";
    h.next_appointment = at("2026-07-01T08:00:00Z");
    const auto v = caller_memory_variables(h);
    CHECK(v["nextAppointment"] == "Wednesday, July 1 at 8:00 AM UTC");
    CHECK(v["nextAppointmentAt"] == "2026-07-01T08:00:00+00:00");
  }
}

TEST_CASE("memory text is one line, without template delimiters, cut on a UTF-8 boundary") {
  CHECK(memory_text("  a\r\n\tb  c ", 100) == "a b c");
  CHECK(memory_text("hi {{callerContext}} {% if x %}y{% endif %}", 100) ==
        "hi callerContext if x y endif");
  CHECK(memory_text("{x} 50% off}", 100) == "{x} 50% off}");  // single braces stay
  CHECK(memory_text("abcdef", 4) == "abcd");
  CHECK(memory_text("abc def", 4) == "abc");  // no trailing space after a cut
  // "é" is two bytes: a cut inside it drops it whole.
  CHECK(memory_text("abc\xC3\xA9", 4) == "abc");
  CHECK(memory_text("abc\xC3\xA9", 5) == "abc\xC3\xA9");
  // Long summaries are cut to the documented size.
  caller_history h;
  h.last_summary = std::string(2000, 'x');
  const auto v = caller_memory_variables(h);
  CHECK(v["lastCallSummary"].get<std::string>().size() == caller_summary_max_bytes);
}
