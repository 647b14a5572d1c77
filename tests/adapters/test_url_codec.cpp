// Percent-encoding and -decoding (adapters/http/url_codec.hpp).
#include <catch2/catch.hpp>

#include "adapters/http/url_codec.hpp"

using rm::http::parse_query;
using rm::http::percent_decode;
using rm::http::percent_encode;
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

TEST_CASE("percent_encode keeps only RFC 3986 unreserved characters, '+' for space on request") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b/c?d&e=f+g#") == "a%20b%2Fc%3Fd%26e%3Df%2Bg%23");
  CHECK(percent_encode("a b+c", true) == "a+b%2Bc");
  CHECK(percent_encode("\xC3\xA9") == "%C3%A9");  // UTF-8 bytes, upper-case hex
  CHECK(percent_encode(std::string(1, '\0')) == "%00");
  CHECK(percent_encode("..") == "..");  // a path segment of dots stays as given (callers' ids)
  for (const std::string s : {"x y/z", "+1 (212) 555-0100", "\xE2\x82\xAC%"})
    CHECK(percent_decode(percent_encode(s, true), true) == s);
}
