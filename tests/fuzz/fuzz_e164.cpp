// Harness: E.164 normalisation (domain/e164.hpp), the one door to libphonenumber.
// Input: "region\nnumber as a person wrote it" (a missing region line means "US").
// Invariants: nothing throws or crashes; ok ⇒ the result passes is_e164_syntax, normalises to
// itself (with any default region) and has a region; !ok ⇒ a documented error and no e164.
#include <cstdint>

#include "domain/e164.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using rm::fuzz::check;
namespace d = rm::domain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rm::fuzz::as_text(data, size);
  const auto nl = text.find('\n');
  const std::string region = nl == std::string_view::npos ? "US" : std::string(text.substr(0, nl));
  const auto number = nl == std::string_view::npos ? text : text.substr(nl + 1);

  for (const std::string& r : {region, std::string("US"), std::string("ZZ")}) {
    const auto n = d::normalize_e164(number, r);
    if (!n.ok) {
      check(n.e164.empty(), "an error with a number");
      check(n.error == "not_a_number" || n.error == "invalid_country_code" ||
                n.error == "too_short" || n.error == "too_long" || n.error == "invalid_number",
            "undocumented error", n.error);
      continue;
    }
    check(n.error.empty(), "ok with an error");
    check(d::is_e164_syntax(n.e164), "ok but not E.164 syntax", n.e164);
    const auto again = d::normalize_e164(n.e164, "ZZ");
    check(again.ok && again.e164 == n.e164, "E.164 output does not normalise to itself", n.e164);
    check(d::region_of(n.e164) != "ZZ", "a valid number without a region", n.e164);
  }
  // The syntax check and region lookup take raw values too (e.g. stored numbers).
  const bool syntax = d::is_e164_syntax(number);
  if (syntax) check(number.size() >= 3 && number.size() <= 16, "syntax length");
  const auto region_of_raw = d::region_of(number);
  check(region_of_raw.size() >= 2, "region_of returned a short region", region_of_raw);
  return 0;
}
