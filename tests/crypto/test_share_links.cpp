// Share-link tokens (persistence/share_links.hpp): no database.
#include <catch2/catch.hpp>

#include "persistence/share_links.hpp"

using namespace rm::persistence;

namespace {
const std::string id = "6f1c2a4e-8b7d-4c1e-9f00-0123456789ab";
}

TEST_CASE("a share token verifies until it expires") {
  const auto k = generate_master_key();
  const auto token = sign_share_token(k, id, 1'800'000'000);
  CHECK(token.rfind(id + ".1800000000.", 0) == 0);
  auto ok = verify_share_token(k, token, 1'799'999'999);
  CHECK(ok.error == share_token_error::none);
  CHECK(ok.share_id == id);
  CHECK(ok.expires_at == 1'800'000'000);
  CHECK(verify_share_token(k, token, 1'800'000'000).error == share_token_error::expired);
  // Same inputs, same token (the link is stable), and URL-safe characters only.
  CHECK(sign_share_token(k, id, 1'800'000'000) == token);
  CHECK(token.find_first_not_of("0123456789abcdef-."
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") ==
        std::string::npos);
}

TEST_CASE("a tampered, foreign or malformed share token does not verify") {
  const auto k = generate_master_key();
  const auto token = sign_share_token(k, id, 1'800'000'000);
  // A later expiry with the old signature.
  auto extended = token;
  extended.replace(extended.find("1800000000"), 10, "1900000000");
  CHECK(verify_share_token(k, extended, 0).error == share_token_error::bad_signature);
  // Another share id with the old signature.
  auto other = token;
  other[0] = other[0] == '6' ? '7' : '6';
  CHECK(verify_share_token(k, other, 0).error == share_token_error::bad_signature);
  // One signature character changed.
  auto flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK(verify_share_token(k, flipped, 0).error == share_token_error::bad_signature);
  // Signed under another master key.
  CHECK(verify_share_token(generate_master_key(), token, 0).error ==
        share_token_error::bad_signature);
  for (const char* bad : {"", "abc", "a.b", "..", "id.12x.sig", "id..sig", ".1.sig"})
    CHECK(verify_share_token(k, bad, 0).error == share_token_error::malformed);
  CHECK(verify_share_token(k, std::string(201, 'a'), 0).error == share_token_error::malformed);
  CHECK(std::string(to_string(share_token_error::expired)) == "expired");
}
