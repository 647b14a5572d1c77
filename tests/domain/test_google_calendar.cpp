// domain/google_calendar.hpp: event ids, the OAuth state text, busy joins, token refresh timing.
#include <catch2/catch.hpp>

#include "domain/google_calendar.hpp"

using namespace rm::domain;
namespace g = rm::domain::google;

namespace {
instant at(std::int64_t s) { return instant{std::chrono::seconds(s)}; }
}  // namespace

TEST_CASE("google event id: an appointment's UUID hex, base32hex and stable", "[google]") {
  auto id = g::event_id_of("494D613B-1CA5-6CD7-4556-98F3C1E433D2");
  REQUIRE(id);
  CHECK(*id == "494d613b1ca56cd7455698f3c1e433d2");  // the contract's sample id
  CHECK(g::valid_event_id(*id));
  CHECK(g::event_id_of("494d613b-1ca5-6cd7-4556-98f3c1e433d2") == id);
  CHECK_FALSE(g::event_id_of("BK-1001"));
  CHECK_FALSE(g::event_id_of(""));
  CHECK_FALSE(g::valid_event_id("abcd"));        // too short
  CHECK_FALSE(g::valid_event_id("abcdw"));       // w is outside base32hex
  CHECK_FALSE(g::valid_event_id("ABCDE"));       // upper case is not allowed
  CHECK(g::valid_event_id(std::string(1024, 'v')));
  CHECK_FALSE(g::valid_event_id(std::string(1025, 'a')));
}

TEST_CASE("google oauth state: round trip, strict form, expiry", "[google]") {
  g::oauth_state s{"11111111-2222-3333-4444-555555555555", "user_1", "abcdefghijklmnop1234",
                   1000};
  auto text = g::state_text(s);
  auto back = g::parse_state_text(text);
  REQUIRE(back);
  CHECK(back->org_id == s.org_id);
  CHECK(back->user_id == s.user_id);
  CHECK(back->nonce == s.nonce);
  CHECK(back->expires_at == 1000);
  CHECK_FALSE(g::parse_state_text("v2." + text.substr(3)));
  CHECK_FALSE(g::parse_state_text(text + ".extra"));
  CHECK_FALSE(g::parse_state_text("v1.org.user.short.1000"));          // nonce too short
  CHECK_FALSE(g::parse_state_text("v1.org.user.abcdefghijklmnop.10x"));  // expiry not a number
  CHECK_FALSE(g::parse_state_text("v1.o rg.user.abcdefghijklmnop.10"));
  CHECK_FALSE(g::state_expired(*back, at(999)));
  CHECK(g::state_expired(*back, at(1000)));
  CHECK(g::state_ttl == std::chrono::seconds(600));
}

TEST_CASE("google busy: merge, join with the local calendar, clip", "[google]") {
  auto merged = g::merge_busy({{at(50), at(60)}, {at(10), at(20)}, {at(15), at(30)},
                               {at(30), at(40)}, {at(70), at(70)}});
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].start == at(10));
  CHECK(merged[0].end == at(40));
  CHECK(merged[1].start == at(50));
  auto joined = g::join_busy({{at(0), at(5)}}, {{at(4), at(8)}, {at(100), at(110)}});
  REQUIRE(joined.size() == 2);
  CHECK(joined[0].end == at(8));
  CHECK(g::join_busy({{at(0), at(5)}}, {}).size() == 1);
  auto clipped = g::clip_busy(joined, at(9), at(105));
  REQUIRE(clipped.size() == 1);
  CHECK(clipped[0].start == at(100));
}

TEST_CASE("google access token: refreshed 5 minutes early, short tokens at half life",
          "[google]") {
  CHECK_FALSE(g::token_needs_refresh(at(0), 3599, at(3298)));
  CHECK(g::token_needs_refresh(at(0), 3599, at(3299)));
  CHECK_FALSE(g::token_needs_refresh(at(0), 10, at(4)));
  CHECK(g::token_needs_refresh(at(0), 10, at(5)));
  CHECK(g::sync_backoff(1) == std::chrono::seconds(1));
  CHECK(g::sync_backoff(4) == std::chrono::seconds(8));
  CHECK(g::sync_backoff(30) == std::chrono::seconds(300));
}
