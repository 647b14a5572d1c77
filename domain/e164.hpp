// Phone numbers in E.164 (ITU-T E.164: '+', country code, subscriber number, at most 15 digits).
// Parsing and validation are delegated to libphonenumber; this header is the project's only door
// to it, so every number that enters ringmaster is normalised the same way.
#pragma once

#include <string>
#include <string_view>

namespace rm::domain {

// Outcome of normalising a human-written number.
struct parsed_number {
  bool ok = false;
  std::string e164;   // "+14155550100" when ok
  std::string error;  // when !ok: "not_a_number" | "invalid_country_code" | "too_short" |
                      // "too_long" | "invalid_number" (parses, but no real number has that shape)
};

// Normalises `input` ("(415) 555-0100", "+1-415-555-0100", "tel:+14155550100", …) to E.164.
// `default_region` (ISO 3166-1 alpha-2, e.g. "US") applies when the input has no leading '+';
// "ZZ" means no default. Only numbers libphonenumber deems *valid* pass: the seed's "+1-555-0100"
// is possible but not valid, and is rejected with "invalid_number".
// Results are memoised (bounded, thread-safe): the same numbers recur on every webhook and
// libphonenumber's ICU regexes are the costly part.
parsed_number normalize_e164(std::string_view input, std::string_view default_region = "US");

// Cheap syntactic check of an already-normalised value: ^\+[1-9][0-9]{1,14}$ (no library call).
bool is_e164_syntax(std::string_view value);

// Region (ISO 3166-1 alpha-2) of a valid E.164 number, "ZZ" when unknown.
std::string region_of(std::string_view e164);

}  // namespace rm::domain
