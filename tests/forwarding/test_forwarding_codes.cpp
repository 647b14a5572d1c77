// The codes each carrier gets in each mode, and what happens to the ring time.
// Expected strings follow /work/shared/contracts/forwarding-codes.md §2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/forwarding/helpers.hpp"

using namespace rm::domain;
using rm::domain::test::any_contains;
using rm::domain::test::codes_of;
using rm::domain::test::rejection_of;
using rm::domain::test::request;

namespace {
constexpr const char* ai_number = "+1 (212) 736-0123";
}

TEST_CASE("T-Mobile total_ai forwards every call with **21* and 1 + 10 digits") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::tmobile, forwarding_mode::total_ai, ai_number)));
  CHECK(c.activation == "**21*12127360123#");
  CHECK(c.deactivation == "##21#");
  CHECK(c.status_check == "*#21#");
  CHECK(c.destination_dialled == "12127360123");
  CHECK(c.destination_e164 == "+12127360123");
  CHECK(any_contains(c.instructions, "**21*12127360123#"));
  CHECK(any_contains(c.instructions, "##21#"));
  CHECK(c.notes.empty());
}

TEST_CASE("AT&T total_ai uses the same **21* code as T-Mobile, with 11 digits") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::att, forwarding_mode::total_ai, ai_number)));
  CHECK(c.activation == "**21*12127360123#");
  CHECK(c.deactivation == "##21#");
  CHECK(c.status_check == "*#21#");
}

TEST_CASE("other_gsm total_ai dials the destination with + and country code") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::other_gsm, forwarding_mode::total_ai, ai_number)));
  CHECK(c.activation == "**21*+12127360123#");
  CHECK(c.deactivation == "##21#");
  CHECK(c.status_check == "*#21#");
  CHECK(c.destination_dialled == "+12127360123");
}

TEST_CASE("Verizon total_ai is *72 and 10 digits, off with *73, and has no status code") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::verizon, forwarding_mode::total_ai, ai_number)));
  CHECK(c.activation == "*722127360123");
  CHECK(c.deactivation == "*73");
  CHECK(c.status_check.empty());
  CHECK(c.destination_dialled == "2127360123");
  CHECK(any_contains(c.instructions, "My Verizon"));
}

TEST_CASE("GSM safety_net uses 004 with basic service 11 and the ring time as T") {
  SECTION("T-Mobile") {
    const auto c = codes_of(generate_forwarding_codes(
        request(carrier::tmobile, forwarding_mode::safety_net, ai_number, 20)));
    CHECK(c.activation == "**004*12127360123*11*20#");
    CHECK(c.deactivation == "##004#");
    CHECK(c.status_check == "*#004#");
  }
  SECTION("AT&T") {
    const auto c = codes_of(generate_forwarding_codes(
        request(carrier::att, forwarding_mode::safety_net, ai_number, 25)));
    CHECK(c.activation == "**004*12127360123*11*25#");
    CHECK(c.deactivation == "##004#");
    CHECK(c.status_check == "*#004#");
  }
  SECTION("other GSM") {
    const auto c = codes_of(generate_forwarding_codes(
        request(carrier::other_gsm, forwarding_mode::safety_net, ai_number, 15)));
    CHECK(c.activation == "**004*+12127360123*11*15#");
    CHECK(c.deactivation == "##004#");
    CHECK(c.status_check == "*#004#");
  }
}

TEST_CASE("GSM safety_net instructions give the 61/67/62 fallback and the per-leg checks") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::tmobile, forwarding_mode::safety_net, ai_number, 20)));
  CHECK(any_contains(c.instructions, "**61*12127360123*11*20#"));
  CHECK(any_contains(c.instructions, "**67*12127360123#"));
  CHECK(any_contains(c.instructions, "**62*12127360123#"));
  CHECK(any_contains(c.instructions, "##61#, ##67# and ##62#"));
  CHECK(any_contains(c.instructions, "*#61#"));
  CHECK(any_contains(c.instructions, "*#67#"));
  CHECK(any_contains(c.instructions, "*#62#"));
  // Never the broken form that puts T in the basic-service field (forwarding-codes.md §1).
  CHECK_FALSE(any_contains(c.instructions, "**61*12127360123*20#"));
}

TEST_CASE("Verizon safety_net is *71 and 10 digits, off with *73") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::verizon, forwarding_mode::safety_net, ai_number)));
  CHECK(c.activation == "*712127360123");
  CHECK(c.deactivation == "*73");
  CHECK(c.status_check.empty());
  CHECK(c.notes.empty());
}

TEST_CASE("sprint is parsed as T-Mobile and gets T-Mobile's codes") {
  const auto parsed = parse_carrier("sprint");
  REQUIRE(std::holds_alternative<carrier>(parsed));
  CHECK(std::get<carrier>(parsed) == carrier::tmobile);
  const auto c = codes_of(generate_forwarding_codes(
      request(std::get<carrier>(parsed), forwarding_mode::total_ai, ai_number)));
  CHECK(c.activation == "**21*12127360123#");
}

TEST_CASE("carriers and modes parse from their names, case-insensitively") {
  CHECK(std::get<carrier>(parse_carrier("tmobile")) == carrier::tmobile);
  CHECK(std::get<carrier>(parse_carrier("att")) == carrier::att);
  CHECK(std::get<carrier>(parse_carrier(" Verizon ")) == carrier::verizon);
  CHECK(std::get<carrier>(parse_carrier("OTHER_GSM")) == carrier::other_gsm);
  CHECK(std::get<forwarding_mode>(parse_mode("total_ai")) == forwarding_mode::total_ai);
  CHECK(std::get<forwarding_mode>(parse_mode("safety_net")) == forwarding_mode::safety_net);
  for (auto c : {carrier::tmobile, carrier::att, carrier::verizon, carrier::other_gsm})
    CHECK(std::get<carrier>(parse_carrier(to_string(c))) == c);
}

TEST_CASE("an unknown carrier or mode is rejected with a reason") {
  for (const char* text : {"", "vodafone", "other_cdma", "t-mobile "}) {
    INFO('"' << text << '"');
    const auto r = parse_carrier(text);
    REQUIRE(std::holds_alternative<forwarding_rejection>(r));
    CHECK(std::get<forwarding_rejection>(r).code == "unknown_carrier");
  }
  for (const char* text : {"", "all", "total-ai", "safetynet"}) {
    INFO('"' << text << '"');
    const auto r = parse_mode(text);
    REQUIRE(std::holds_alternative<forwarding_rejection>(r));
    CHECK(std::get<forwarding_rejection>(r).code == "unknown_mode");
  }
}

TEST_CASE("every GSM carrier accepts the ring times 5 and 30 at the edges") {
  for (auto c : {carrier::tmobile, carrier::att, carrier::other_gsm}) {
    for (int t : {5, 10, 15, 20, 25, 30}) {
      INFO(to_string(c) << " " << t);
      const auto codes = codes_of(
          generate_forwarding_codes(request(c, forwarding_mode::safety_net, ai_number, t)));
      const std::string suffix = "*11*" + std::to_string(t) + "#";
      CHECK(codes.activation.size() > suffix.size());
      CHECK(codes.activation.substr(codes.activation.size() - suffix.size()) == suffix);
    }
  }
}

TEST_CASE("a GSM safety_net ring time outside 5 to 30 seconds is out of range") {
  for (auto c : {carrier::tmobile, carrier::att, carrier::other_gsm}) {
    for (int t : {35, 0, -5, 4, 60, 31}) {
      INFO(to_string(c) << " " << t);
      const auto r =
          generate_forwarding_codes(request(c, forwarding_mode::safety_net, ai_number, t));
      CHECK(rejection_of(r) == "ring_time_out_of_range");
    }
  }
}

TEST_CASE("a GSM safety_net ring time that is not a multiple of 5 is rejected") {
  for (auto c : {carrier::tmobile, carrier::att, carrier::other_gsm}) {
    for (int t : {17, 6, 29, 12}) {
      INFO(to_string(c) << " " << t);
      const auto r =
          generate_forwarding_codes(request(c, forwarding_mode::safety_net, ai_number, t));
      CHECK(rejection_of(r) == "ring_time_not_multiple_of_5");
      CHECK(std::get<forwarding_rejection>(r).message.find(std::to_string(t)) !=
            std::string::npos);
    }
  }
}

TEST_CASE("without a ring time GSM safety_net leaves T out and says the network keeps its timer") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::att, forwarding_mode::safety_net, ai_number)));
  CHECK(c.activation == "**004*12127360123*11#");
  CHECK(any_contains(c.notes, "network keeps its current no-answer timer"));
  CHECK(any_contains(c.instructions, "**61*12127360123*11#"));
}

TEST_CASE("a ring time with total_ai is ignored with a note, whatever its value") {
  for (auto c : {carrier::tmobile, carrier::att, carrier::other_gsm, carrier::verizon}) {
    for (int t : {20, 17, 0, 99}) {
      INFO(to_string(c) << " " << t);
      const auto codes =
          codes_of(generate_forwarding_codes(request(c, forwarding_mode::total_ai, ai_number, t)));
      CHECK(codes.activation.find("*" + std::to_string(t) + "#") == std::string::npos);
      CHECK(any_contains(codes.notes, "ring time (" + std::to_string(t) + " s) was ignored"));
    }
  }
  const auto plain = codes_of(generate_forwarding_codes(
      request(carrier::tmobile, forwarding_mode::total_ai, ai_number, 20)));
  CHECK(plain.activation == "**21*12127360123#");
}

TEST_CASE("a ring time with Verizon safety_net is not settable: a note, not a rejection") {
  for (int t : {20, 17, 45}) {
    INFO(t);
    const auto c = codes_of(generate_forwarding_codes(
        request(carrier::verizon, forwarding_mode::safety_net, ai_number, t)));
    CHECK(c.activation == "*712127360123");
    CHECK(any_contains(c.notes, "Verizon's no-answer delay cannot be set by code"));
  }
}

TEST_CASE("AT&T safety_net warns that ##004# has no documented voicemail reset") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::att, forwarding_mode::safety_net, ai_number, 20)));
  CHECK(any_contains(c.notes, "AT&T documents no code to restore"));
}

TEST_CASE("the JSON of codes has the activation, deactivation, status check and instructions") {
  const auto j = to_json(generate_forwarding_codes(
      request(carrier::tmobile, forwarding_mode::safety_net, ai_number, 20)));
  CHECK(j.at("activation") == "**004*12127360123*11*20#");
  CHECK(j.at("deactivation") == "##004#");
  CHECK(j.at("status_check") == "*#004#");
  CHECK(j.at("instructions").is_array());
  CHECK(j.at("instructions").size() >= 3);
  CHECK(j.at("notes").is_array());
  CHECK(j.at("destination") == "12127360123");
  CHECK_FALSE(j.contains("error"));
}

TEST_CASE("the JSON of a rejection is an error object with a code and a message") {
  const auto j = to_json(generate_forwarding_codes(
      request(carrier::att, forwarding_mode::safety_net, ai_number, 35)));
  CHECK(j.size() == 1);
  CHECK(j.at("error").at("code") == "ring_time_out_of_range");
  CHECK(j.at("error").at("message").get<std::string>().find("35") != std::string::npos);
  CHECK_FALSE(j.contains("activation"));
}
