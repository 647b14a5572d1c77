// Agent input checks, agent creation steps and the caller-ID choice of a call-back
// (domain/outbound.hpp).
#include <catch2/catch.hpp>

#include "domain/outbound.hpp"

using namespace rm::domain;

TEST_CASE("language tags: canonical casing for language, script and region") {
  CHECK(canonical_language("en") == "en");
  CHECK(canonical_language("EN") == "en");
  CHECK(canonical_language("en-us") == "en-US");
  CHECK(canonical_language("es") == "es");
  CHECK(canonical_language("es-419") == "es-419");
  CHECK(canonical_language("zh-hant-tw") == "zh-Hant-TW");
  CHECK(canonical_language("sr-Latn") == "sr-Latn");
  CHECK(canonical_language("fil") == "fil");
}

TEST_CASE("language tags: anything else is refused") {
  for (const char* bad : {"", "e", "english", "en_US", "en-", "-en", "en--US", "en-USA",
                          "en-12", "en-US-x-private", "en-Latn-US-extra", "1n", "en US",
                          "en-US ", "ñe"}) {
    INFO(bad);
    CHECK_FALSE(canonical_language(bad));
  }
}

TEST_CASE("area codes: three digits, not starting with 0 or 1") {
  CHECK(valid_area_code("212"));
  CHECK(valid_area_code("415"));
  CHECK(valid_area_code("533"));  // valid shape; Twilio answers 21452 for it
  for (const char* bad : {"", "21", "2125", "012", "112", "21a", " 212", "+12"}) {
    INFO(bad);
    CHECK_FALSE(valid_area_code(bad));
  }
}

TEST_CASE("agent creation resumes at the first missing step") {
  CHECK(next_step({false, true, false}) == agent_step::create_assistant);
  CHECK(next_step({false, false, false}) == agent_step::create_assistant);
  CHECK(next_step({true, true, false}) == agent_step::provision_number);
  CHECK(next_step({true, false, false}) == agent_step::done);
  CHECK(next_step({true, true, true}) == agent_step::done);
  CHECK(std::string{to_string(agent_step::provision_number)} == "phone_number");
}

namespace {
caller_candidate n(const std::string& id, const std::string& vapi = "") {
  return {id, "+1415555" + id, vapi.empty() ? "vapi-" + id : vapi};
}
}  // namespace

TEST_CASE("caller ID: the contact's campaign's number comes first") {
  caller_id_input in;
  in.campaign_numbers = {n("0101")};
  in.pool = {n("0201"), n("0202")};
  in.default_number = n("0301");
  auto c = choose_caller_id(in);
  REQUIRE(c);
  CHECK(c->source == caller_id_source::campaign);
  CHECK(c->number.phone_number_id == "0101");
  CHECK(c->next_cursor == 1);
  CHECK(std::string{to_string(c->source)} == "campaign");
}

TEST_CASE("caller ID: several campaign numbers rotate by the campaign's cursor") {
  caller_id_input in;
  in.campaign_numbers = {n("0101"), n("0102"), n("0103")};
  in.pool = {n("0201")};
  std::vector<std::string> seen;
  for (std::uint64_t cursor = 0; cursor < 6; ++cursor) {
    in.campaign_cursor = cursor;
    auto c = choose_caller_id(in);
    REQUIRE(c);
    CHECK(c->source == caller_id_source::campaign);
    CHECK(c->next_cursor == cursor + 1);
    seen.push_back(c->number.phone_number_id);
  }
  CHECK(seen == std::vector<std::string>{"0101", "0102", "0103", "0101", "0102", "0103"});
}

TEST_CASE("caller ID: without a campaign, round-robin over the pool") {
  caller_id_input in;
  in.pool = {n("0201"), n("0202")};
  in.default_number = n("0301");
  in.pool_cursor = 0;
  auto first = choose_caller_id(in);
  REQUIRE(first);
  CHECK(first->source == caller_id_source::round_robin);
  CHECK(first->number.phone_number_id == "0201");
  in.pool_cursor = first->next_cursor;
  auto second = choose_caller_id(in);
  REQUIRE(second);
  CHECK(second->number.phone_number_id == "0202");
  in.pool_cursor = second->next_cursor;
  CHECK(choose_caller_id(in)->number.phone_number_id == "0201");
  // A cursor far beyond the pool (numbers were released) still lands on a number.
  in.pool_cursor = 1'000'001;
  CHECK(choose_caller_id(in)->number.phone_number_id == "0202");
}

TEST_CASE("caller ID: a campaign without usable numbers falls through to the pool") {
  caller_id_input in;
  in.campaign_numbers = {{"0101", "+14155550101", ""}};  // not imported into Vapi
  in.pool = {n("0201")};
  auto c = choose_caller_id(in);
  REQUIRE(c);
  CHECK(c->source == caller_id_source::round_robin);
  CHECK(c->number.phone_number_id == "0201");
}

TEST_CASE("caller ID: the default when neither campaign nor pool has a number") {
  caller_id_input in;
  in.pool = {{"0201", "+14155550201", ""}};
  in.default_number = n("0301");
  in.pool_cursor = 7;
  auto c = choose_caller_id(in);
  REQUIRE(c);
  CHECK(c->source == caller_id_source::fallback);
  CHECK(c->number.phone_number_id == "0301");
  CHECK(std::string{to_string(c->source)} == "default");
}

TEST_CASE("caller ID: nothing to call from") {
  CHECK_FALSE(choose_caller_id({}));
  caller_id_input in;
  in.default_number = caller_candidate{"0301", "+14155550301", ""};
  CHECK_FALSE(choose_caller_id(in));
}
