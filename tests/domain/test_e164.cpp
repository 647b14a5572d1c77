#include <catch2/catch.hpp>

#include <cstdio>

#include "domain/e164.hpp"

using rm::domain::is_e164_syntax;
using rm::domain::normalize_e164;
using rm::domain::region_of;

TEST_CASE("a US number written the human way normalises to E.164") {
  for (const char* input : {"(415) 555-2671", "415.555.2671", "+1-415-555-2671",
                            "  1 415 555 2671 ", "tel:+1-415-555-2671", "TEL:+14155552671"}) {
    INFO(input);
    const auto n = normalize_e164(input, "US");
    CHECK(n.ok);
    CHECK(n.e164 == "+14155552671");
    CHECK(n.error.empty());
  }
}

TEST_CASE("a UK number with its country code needs no default region") {
  for (const char* region : {"ZZ", "US", "GB"}) {
    INFO(region);
    const auto n = normalize_e164("+44 20 7946 0958", region);
    CHECK(n.ok);
    CHECK(n.e164 == "+442079460958");
  }
  CHECK(normalize_e164("020 7946 0958", "GB").e164 == "+442079460958");
}

TEST_CASE("the seed number +1-555-0100 is possible but not valid and is rejected") {
  const auto n = normalize_e164("+1-555-0100", "US");
  CHECK_FALSE(n.ok);
  CHECK(n.error == "invalid_number");
  CHECK(n.e164.empty());
}

TEST_CASE("garbage and empty input are not a number") {
  for (const char* input : {"hello", "", "   ", "tel:", "call me maybe"}) {
    INFO('"' << input << '"');
    const auto n = normalize_e164(input, "US");
    CHECK_FALSE(n.ok);
    CHECK(n.error == "not_a_number");
  }
}

TEST_CASE("a national number without a default region has no country code") {
  CHECK(normalize_e164("415 555 2671", "ZZ").error == "invalid_country_code");
  CHECK(normalize_e164("+999 415 555 2671", "US").error == "invalid_country_code");
}

TEST_CASE("numbers of the wrong length are too short or too long") {
  CHECK(normalize_e164("+1 415 555", "US").error == "too_short");
  CHECK(normalize_e164("+1 415 555 2671 2671", "US").error == "too_long");
}

// Found by the fuzzer (tests/fuzz/corpus/e164/crash-over-15-digits.txt): libphonenumber deems
// this German number valid, but it has 17 digits, more than E.164 allows.
TEST_CASE("a number libphonenumber accepts but longer than 15 digits is too long") {
  const auto direct = normalize_e164("+49 260 449260740958", "US");
  CHECK_FALSE(direct.ok);
  CHECK(direct.error == "too_long");
  CHECK(direct.e164.empty());
  const auto dialled = normalize_e164("0114 9260 44 926074 0958", "US");  // via the US IDD 011
  CHECK_FALSE(dialled.ok);
  CHECK(dialled.error == "too_long");
}

TEST_CASE("the E.164 syntax check accepts only plus and 2 to 15 digits") {
  CHECK(is_e164_syntax("+14155552671"));
  CHECK(is_e164_syntax("+12"));
  CHECK(is_e164_syntax("+123456789012345"));
  CHECK_FALSE(is_e164_syntax("+1234567890123456"));  // 16 digits
  CHECK_FALSE(is_e164_syntax("+1"));
  CHECK_FALSE(is_e164_syntax("+"));
  CHECK_FALSE(is_e164_syntax(""));
  CHECK_FALSE(is_e164_syntax("+0123456"));
  CHECK_FALSE(is_e164_syntax("14155552671"));
  CHECK_FALSE(is_e164_syntax("+1 415 555 2671"));
  CHECK_FALSE(is_e164_syntax("+1415555267a"));
}

TEST_CASE("the region of a valid number is its country and ZZ otherwise") {
  CHECK(region_of("+14155552671") == "US");
  CHECK(region_of("+442079460958") == "GB");
  CHECK(region_of("+15550100") == "ZZ");
  CHECK(region_of("garbage") == "ZZ");
}

TEST_CASE("memoised normalisation answers the same as the first parse, per default region") {
  // The memo is keyed by (region, input): the same national digits mean a US number with "US"
  // and nothing without a default region, however often and in whatever order they are asked.
  for (int round = 0; round < 3; ++round) {
    auto us = rm::domain::normalize_e164("(212) 200-0001", "US");
    auto none = rm::domain::normalize_e164("(212) 200-0001", "ZZ");
    REQUIRE(us.ok);
    CHECK(us.e164 == "+12122000001");
    CHECK_FALSE(none.ok);
    CHECK(none.error == "invalid_country_code");
  }
  // More distinct numbers than the memo holds: every one still normalises correctly (a shard
  // that filled up was emptied, not corrupted).
  for (int i = 0; i < 20000; ++i) {
    char text[32];
    std::snprintf(text, sizeof text, "212-2%02d-%04d", i / 10000, i % 10000);
    auto n = rm::domain::normalize_e164(text, "US");
    REQUIRE(n.ok);
    char want[16];
    std::snprintf(want, sizeof want, "+12122%02d%04d", i / 10000, i % 10000);
    CHECK(n.e164 == want);
  }
}
