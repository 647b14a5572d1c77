// rm::json_guard: the limits every parser of untrusted JSON applies (docs/security.md, "Input
// limits"), and Vapi tool arguments carried as a JSON string, which go through it too.
#include <string>

#include <catch2/catch.hpp>

#include "adapters/json/json_guard.hpp"
#include "adapters/vapi/vapi_messages.hpp"

namespace jg = rm::json_guard;
using nlohmann::json;

namespace {

std::string nested_arrays(std::size_t depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

std::string nested_objects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += "{\"a\":";
  out += "1";
  out += std::string(depth, '}');
  return out;
}

std::string hex(const std::string& s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
    out += ' ';
  }
  return out;
}

}  // namespace

TEST_CASE("a 300,000-deep document is refused as too_deep without recursing") {
  const auto text = nested_arrays(300000);  // 600 KB, as in the crash report
  REQUIRE(text.size() == 600000);
  const auto p = jg::parse(text);
  CHECK(p.status == jg::verdict::too_deep);
  CHECK_FALSE(p.ok());
  CHECK(p.value.is_null());  // nothing deep is kept
  CHECK(std::string(jg::to_string(p.status)) == "too_deep");

  const auto objects = jg::parse(nested_objects(300000));
  CHECK(objects.status == jg::verdict::too_deep);
}

TEST_CASE("nesting of 64 levels is accepted and 65 is refused") {
  for (const auto& [text, depth] : {std::pair{nested_arrays(64, "1"), 64},
                                    std::pair{nested_objects(64), 64}}) {
    INFO(depth);
    const auto p = jg::parse(text);
    REQUIRE(p.ok());
    // The accepted document can be copied and dumped (both recurse) and round-trips.
    const json copy = p.value;
    CHECK(copy.dump() == text);
  }
  CHECK(jg::parse(nested_arrays(65, "1")).status == jg::verdict::too_deep);
  CHECK(jg::parse(nested_objects(65)).status == jg::verdict::too_deep);
  // Depth is nesting, not size: many siblings at depth 2 are fine.
  std::string wide = "[";
  for (int i = 0; i < 10000; ++i) wide += (i ? ",[]" : "[]");
  wide += "]";
  CHECK(jg::parse(wide).ok());
  // A custom cap applies the same way.
  CHECK(jg::parse(nested_arrays(3), 3).ok());
  CHECK(jg::parse(nested_arrays(4), 3).status == jg::verdict::too_deep);
}

TEST_CASE("invalid UTF-8 is refused as invalid_utf8 inside strings and out of them") {
  const std::string cases[] = {
      "{\"a\":\"\xC0\xAF\"}",          // overlong '/'
      "{\"a\":\"\xE0\x80\xAF\"}",      // overlong, 3 bytes
      "{\"a\":\"\xF0\x80\x80\xAF\"}",  // overlong, 4 bytes
      "{\"a\":\"\xED\xA0\x80\"}",      // UTF-16 surrogate U+D800 encoded in UTF-8
      "{\"a\":\"\xED\xBF\xBF\"}",      // surrogate U+DFFF
      "{\"a\":\"\xE2\x82\"}",          // truncated 3-byte sequence (then the quote)
      "{\"a\":\"x\xF0\x9F\x98",        // truncated at the end of the text
      "{\"a\":\"\xF4\x90\x80\x80\"}",  // above U+10FFFF
      "{\"a\":\"\xFF\"}",              // never valid
      "{\"a\":\"\x80\"}",              // a lone continuation byte
      "{\"\xC3\x28\":1}",              // in a key
      "{\"a\":1}\xC3",                 // outside any string
  };
  for (const auto& text : cases) {
    INFO(hex(text));
    const auto p = jg::parse(text);
    CHECK(p.status == jg::verdict::invalid_utf8);
    CHECK(std::string(jg::to_string(p.status)) == "invalid_utf8");
    CHECK_FALSE(jg::valid_utf8(text));
  }
  // Well-formed multi-byte text passes: é, €, 😀 and the last code point U+10FFFF.
  const std::string good = "{\"a\":\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"}";
  CHECK(jg::valid_utf8(good));
  const auto p = jg::parse(good);
  REQUIRE(p.ok());
  CHECK(p.value["a"].get<std::string>().size() == 2 + 1 + 3 + 1 + 4 + 1 + 4);
  // An escaped lone surrogate is not a character either: refused (as bad JSON).
  CHECK_FALSE(jg::parse(R"({"a":"\ud800"})").ok());
}

TEST_CASE("NUL is removed from keys and values, escaped or raw, and counted") {
  const auto p = jg::parse(R"({"na\u0000me":"a\u0000b\u0000","list":["\u0000x"]})");
  REQUIRE(p.ok());
  CHECK(p.nul_removed == 4);
  CHECK(p.value == json{{"name", "ab"}, {"list", {"x"}}});
  // The dump holds no NUL escape for PostgreSQL's jsonb to refuse.
  CHECK(p.value.dump().find("\\u0000") == std::string::npos);
  // A raw NUL byte is a control character: not allowed unescaped inside a JSON string.
  CHECK_FALSE(jg::parse(std::string("{\"a\":\"x\0y\"}", 11)).ok());
  std::string s("a\0b\0", 4);
  CHECK(jg::strip_nul(s) == 2);
  CHECK(s == "ab");
}

TEST_CASE("trailing garbage and syntax errors are invalid_json") {
  for (const std::string text : {R"({"a":1} x)", R"({"a":1}{"b":2})", "[1,2]]", "{\"a\":",
                                 "", "   ", "nope", "{'a':1}", "[1,]"}) {
    INFO(text);
    const auto p = jg::parse(text);
    CHECK(p.status == jg::verdict::invalid_json);
    CHECK(std::string(jg::to_string(p.status)) == "invalid_json");
    CHECK_FALSE(p.message.empty());
  }
  // Whitespace around one document is fine; so is any JSON value at the top.
  CHECK(jg::parse(" {\"a\":1}\n").ok());
  CHECK(jg::parse("42").ok());
}

TEST_CASE("Vapi arguments given as a JSON string get the same limits as a body") {
  const json message{
      {"type", "tool-calls"},
      {"toolCallList",
       json::array({
           {{"id", "deep"},
            {"function", {{"name", "check_availability"}, {"arguments", nested_arrays(300000)}}}},
           {{"id", "nul"},
            {"function",
             {{"name", "check_availability"},
              {"arguments", "{\"date\":\"2026-01-14\\u0000\",\"no\\u0000te\":\"a\\u0000\"}"}}}},
           {{"id", "edge"},
            {"function", {{"name", "check_availability"}, {"arguments", "{\"a\":" +
                                                               nested_arrays(63, "1") + "}"}}}},
           {{"id", "over"},
            {"function", {{"name", "check_availability"}, {"arguments", "{\"a\":" +
                                                               nested_arrays(64, "1") + "}"}}}},
       })}};
  const auto calls = rm::vapi::extract_tool_calls(message);
  REQUIRE(calls.size() == 4);
  CHECK(calls[0].arguments_error.find("deeper than 64") != std::string::npos);
  CHECK(calls[0].arguments == json::object());
  CHECK(calls[1].arguments_error.empty());
  CHECK(calls[1].arguments == json{{"date", "2026-01-14"}, {"note", "a"}});
  CHECK(calls[2].arguments_error.empty());  // 64 levels with the object itself
  CHECK(calls[2].arguments.dump().size() > 0);
  CHECK(calls[3].arguments_error.find("deeper than 64") != std::string::npos);
}
