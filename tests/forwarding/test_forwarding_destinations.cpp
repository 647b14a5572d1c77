// Destinations: strict syntax (an injected * or # must be impossible), valid numbers only, and the
// form each carrier dials (forwarding-codes.md §2 and §4).
#include <catch2/catch.hpp>

#include "tests/forwarding/helpers.hpp"

using namespace rm::domain;
using rm::domain::test::codes_of;
using rm::domain::test::rejection_of;
using rm::domain::test::request;

namespace {
const carrier all_carriers[] = {carrier::tmobile, carrier::att, carrier::verizon,
                                carrier::other_gsm};
const forwarding_mode all_modes[] = {forwarding_mode::total_ai, forwarding_mode::safety_net};

std::string rejection_for_all(const std::string& destination) {
  std::string first;
  for (auto c : all_carriers)
    for (auto m : all_modes) {
      const auto code = rejection_of(generate_forwarding_codes(request(c, m, destination)));
      if (first.empty()) first = code;
      if (code != first) return "differs by carrier: " + first + " vs " + code;
    }
  return first;
}
}  // namespace

TEST_CASE("a US number written with common separators is accepted in every form") {
  for (const char* d : {"+1 (212) 736-0123", "212.736.0123", "(212) 736 0123", "1-212-736-0123",
                        "2127360123", "+12127360123", " +1 212 736 0123 "}) {
    INFO(d);
    const auto c = codes_of(generate_forwarding_codes(
        request(carrier::tmobile, forwarding_mode::total_ai, d)));
    CHECK(c.activation == "**21*12127360123#");
    CHECK(c.destination_e164 == "+12127360123");
  }
}

TEST_CASE("each carrier dials a US destination in its own form") {
  const char* d = "(415) 234-5678";
  CHECK(codes_of(generate_forwarding_codes(request(carrier::tmobile, forwarding_mode::total_ai, d)))
            .destination_dialled == "14152345678");
  CHECK(codes_of(generate_forwarding_codes(request(carrier::att, forwarding_mode::total_ai, d)))
            .destination_dialled == "14152345678");
  CHECK(codes_of(generate_forwarding_codes(request(carrier::verizon, forwarding_mode::total_ai, d)))
            .destination_dialled == "4152345678");
  CHECK(codes_of(generate_forwarding_codes(
                     request(carrier::other_gsm, forwarding_mode::total_ai, d)))
            .destination_dialled == "+14152345678");
}

TEST_CASE("an international destination works with + on other_gsm only") {
  const char* uk = "+44 20 7946 0958";
  for (auto m : all_modes) {
    const auto c = codes_of(generate_forwarding_codes(request(carrier::other_gsm, m, uk)));
    CHECK(c.destination_dialled == "+442079460958");
  }
  CHECK(codes_of(generate_forwarding_codes(
                     request(carrier::other_gsm, forwarding_mode::total_ai, uk)))
            .activation == "**21*+442079460958#");
  CHECK(codes_of(generate_forwarding_codes(
                     request(carrier::other_gsm, forwarding_mode::safety_net, uk, 30)))
            .activation == "**004*+442079460958*11*30#");
  for (auto c : {carrier::tmobile, carrier::att, carrier::verizon})
    for (auto m : all_modes) {
      INFO(to_string(c) << " " << to_string(m));
      CHECK(rejection_of(generate_forwarding_codes(request(c, m, uk))) ==
            "international_destination_not_supported");
      CHECK(rejection_of(generate_forwarding_codes(request(c, m, "+33 1 23 45 67 89"))) ==
            "international_destination_not_supported");
    }
}

TEST_CASE("an international number without + must be written with its country code") {
  for (const char* d : {"44 20 7946 0958", "33123456789", "011 44 20 7946 0958"}) {
    INFO(d);
    CHECK(rejection_for_all(d) == "international_format_required");
  }
  const auto r = generate_forwarding_codes(
      request(carrier::other_gsm, forwarding_mode::total_ai, "44 20 7946 0958"));
  CHECK(std::get<forwarding_rejection>(r).message.find("'+'") != std::string::npos);
}

TEST_CASE("a +1 number outside the US is domestic to the carrier but gets a charges note") {
  const auto c = codes_of(generate_forwarding_codes(
      request(carrier::tmobile, forwarding_mode::total_ai, "+1 416 236 4567")));
  CHECK(c.activation == "**21*14162364567#");
  CHECK(test::any_contains(c.notes, "outside the US (CA)"));
  const auto us = codes_of(generate_forwarding_codes(
      request(carrier::tmobile, forwarding_mode::total_ai, "+1 212 736 0123")));
  CHECK(us.notes.empty());
}

TEST_CASE("malformed destinations are invalid for every carrier and mode") {
  for (const char* d : {"", "   ", "()-", "call the clinic", "212-736-CLINIC", "+1 212 555 01",
                        "12345", "0207946095", "+", "++12127360123", "1+2127360123",
                        "+1 212 736 0123 ext 4", "+1/212/736/0123", "tel:+12127360123",
                        "+999 212 736 0123"}) {
    INFO('"' << d << '"');
    CHECK(rejection_for_all(d) == "invalid_destination");
  }
}

TEST_CASE("dialler control characters are refused, so no code can be injected") {
  for (const char* d : {"2125550123#*21*999#", "+12125550123*", "**21*12127360123#",
                        "#31#2127360123", "+12127360123#", "2127360123,1234", "2127360123;1234",
                        "2127360123p1234", "2127360123w1234", "*67 212 736 0123",
                        "212\n736 0123", "212\t736 0123"}) {
    INFO('"' << d << '"');
    CHECK(rejection_for_all(d) == "invalid_destination");
  }
}

TEST_CASE("a rejected destination names itself in the message for the person reading it") {
  const auto r = generate_forwarding_codes(
      request(carrier::att, forwarding_mode::total_ai, "2125550123#*21*999#"));
  REQUIRE(std::holds_alternative<forwarding_rejection>(r));
  const auto& no = std::get<forwarding_rejection>(r);
  CHECK(no.code == "invalid_destination");
  CHECK(no.message.find("2125550123#*21*999#") != std::string::npos);
  CHECK(no.message.find("only digits") != std::string::npos);
}

TEST_CASE("the destination is checked before the ring time") {
  CHECK(rejection_of(generate_forwarding_codes(
            request(carrier::tmobile, forwarding_mode::safety_net, "+1212*", 17))) ==
        "invalid_destination");
}

TEST_CASE("every valid code holds exactly one number and only dial characters") {
  for (auto c : all_carriers)
    for (auto m : all_modes) {
      INFO(to_string(c) << " " << to_string(m));
      const auto codes =
          codes_of(generate_forwarding_codes(request(c, m, "+1 212 736 0123", 20)));
      CHECK(codes.activation.find_first_not_of("0123456789*#+") == std::string::npos);
      CHECK(codes.activation.find(codes.destination_dialled) != std::string::npos);
      CHECK(codes.activation.find(codes.destination_dialled) ==
            codes.activation.rfind(codes.destination_dialled));
    }
}
