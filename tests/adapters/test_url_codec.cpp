// The HTTP layer's own percent-decoding (adapters/http/url_codec.hpp).
#include <catch2/catch.hpp>

#include "adapters/http/url_codec.hpp"

using rm::http::parse_query;
using rm::http::percent_decode;
using pairs = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("percent_decode: %XX in either case, '+' only where asked, stray '%' kept") {
  CHECK(percent_decode("a%20b%2Fc%2fd", false) == "a b/c/d");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("100%", true) == "100%");
  CHECK(percent_decode("%4", true) == "%4");
  CHECK(percent_decode("%zz%41", true) == "%zzA");
  CHECK(percent_decode("%41", true) == "A");  // the last three bytes
  CHECK(percent_decode("%00", true) == std::string(1, '\0'));  // callers check for NUL
  CHECK(percent_decode("%C3%A9", true) == "\xC3\xA9");
}

TEST_CASE("parse_query keeps order and repeated keys, skips empty parts") {
  CHECK(parse_query("") == pairs{});
  CHECK(parse_query("a=1&b=two+words&a=%33") ==
        pairs{{"a", "1"}, {"b", "two words"}, {"a", "3"}});
  CHECK(parse_query("flag&&x=") == pairs{{"flag", ""}, {"x", ""}});
  CHECK(parse_query("k%3D=v%26w") == pairs{{"k=", "v&w"}});
  CHECK(parse_query("=v") == pairs{{"", "v"}});
}
