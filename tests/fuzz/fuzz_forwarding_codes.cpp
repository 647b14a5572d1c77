// Harness: forwarding-code inputs (domain/forwarding_codes.hpp), as POST /api/telephony/forwarding
// passes them: carrier and forwardingType strings, ringTimeSeconds clamped to ±1000, and the
// destination number as a person wrote it.
// Input: "carrier\nmode\nring time (empty = absent)\ndestination".
// Invariants: nothing throws or crashes; a rejection carries a documented code; codes contain
// only dial characters (0-9 * # +), the destination the code dials is digits (GSM other: with a
// leading '+') and appears in the activation code, destination_e164 is E.164 and normalises to
// itself; a ring time appears only in GSM safety_net codes and only as 5..30 in steps of 5;
// to_json dumps strictly whenever the input text is valid UTF-8 (what the server can receive).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include <nlohmann/json.hpp>

#include "adapters/json/json_guard.hpp"
#include "domain/e164.hpp"
#include "domain/forwarding_codes.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using rm::fuzz::check;
namespace d = rm::domain;

namespace {

bool documented(const std::string& code) {
  for (const char* known :
       {"unknown_carrier", "unknown_mode", "invalid_destination", "international_format_required",
        "international_destination_not_supported", "ring_time_out_of_range",
        "ring_time_not_multiple_of_5"})
    if (code == known) return true;
  return false;
}

bool dial_characters_only(const std::string& s) {
  return s.find_first_not_of("0123456789*#+") == std::string::npos;
}

void check_result(const d::forwarding_request& request, const d::forwarding_result& result,
                  bool utf8) {
  if (const auto* r = std::get_if<d::forwarding_rejection>(&result)) {
    check(documented(r->code), "undocumented rejection", r->code);
    check(!r->message.empty(), "a rejection without a message");
  } else {
    const auto& c = std::get<d::forwarding_codes>(result);
    check(!c.activation.empty() && dial_characters_only(c.activation), "activation", c.activation);
    check(dial_characters_only(c.deactivation), "deactivation", c.deactivation);
    check(dial_characters_only(c.status_check), "status check", c.status_check);
    const auto& dialled = c.destination_dialled;
    const bool plus = request.carrier_kind == d::carrier::other_gsm;
    check(!dialled.empty() && (dialled[0] == '+') == plus &&
              dialled.find_first_not_of("0123456789", plus ? 1 : 0) == std::string::npos,
          "dialled destination", dialled);
    check(c.activation.find(dialled) != std::string::npos, "activation misses the destination");
    check(d::is_e164_syntax(c.destination_e164), "destination_e164", c.destination_e164);
    const auto again = d::normalize_e164(c.destination_e164, "ZZ");
    check(again.ok && again.e164 == c.destination_e164, "destination_e164 not normalised");
    check(!c.instructions.empty(), "no instructions");
    const bool uses_t = request.mode == d::forwarding_mode::safety_net &&
                        request.carrier_kind != d::carrier::verizon && request.ring_time_seconds;
    if (uses_t) {
      const int t = *request.ring_time_seconds;
      check(t >= 5 && t <= 30 && t % 5 == 0, "ring time outside 5..30 step 5 accepted");
      check(c.activation.find("*11*" + std::to_string(t) + "#") != std::string::npos,
            "ring time missing from the code", c.activation);
    } else {
      check(c.activation.find("*11*") == std::string::npos, "a ring time nobody asked for");
    }
  }
  const auto j = d::to_json(result);
  if (utf8) {
    try {
      (void)j.dump();
    } catch (const std::exception& e) {
      rm::fuzz::fail("to_json does not dump for valid UTF-8 input", e.what());
    }
  } else {
    (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rm::fuzz::as_text(data, size);
  const auto f = rm::fuzz::split_lines(text, 4);
  const bool utf8 = rm::json_guard::valid_utf8(text);

  const auto carrier = d::parse_carrier(f[0]);
  const auto mode = d::parse_mode(f[1]);
  if (const auto* r = std::get_if<d::forwarding_rejection>(&carrier))
    check(r->code == "unknown_carrier", "parse_carrier", r->code);
  if (const auto* r = std::get_if<d::forwarding_rejection>(&mode))
    check(r->code == "unknown_mode", "parse_mode", r->code);

  d::forwarding_request request;
  request.destination = f[3];
  if (!f[2].empty()) {  // the route clamps an integer to ±1000 before the domain sees it
    const long long v = std::strtoll(f[2].c_str(), nullptr, 10);
    request.ring_time_seconds = static_cast<int>(std::max(-1000LL, std::min(1000LL, v)));
  }
  // The parsed carrier and mode; for unknown text one chosen from its length, so that every
  // destination is still tried on some carrier (the route would have answered 400 already).
  static constexpr d::carrier carriers[] = {d::carrier::tmobile, d::carrier::att,
                                            d::carrier::verizon, d::carrier::other_gsm};
  request.carrier_kind = std::holds_alternative<d::carrier>(carrier)
                             ? std::get<d::carrier>(carrier)
                             : carriers[f[0].size() % 4];
  request.mode = std::holds_alternative<d::forwarding_mode>(mode)
                     ? std::get<d::forwarding_mode>(mode)
                     : (f[1].size() % 2 ? d::forwarding_mode::safety_net
                                        : d::forwarding_mode::total_ai);
  check(d::to_string(request.carrier_kind)[0] != '\0', "carrier name");
  check(d::to_string(request.mode)[0] != '\0', "mode name");
  check_result(request, d::generate_forwarding_codes(request), utf8);
  return 0;
}
