// Harness: rm::json_guard::parse, the limits every HTTP body goes through (docs/security.md,
// "Input limits"). Input: any bytes, as an HTTP body. Invariants:
//   - ok ⇒ nesting depth ≤ 64 and no U+0000 in any string or key;
//   - ok ⇒ dump() succeeds (strict UTF-8) and its text parses back (ok) to an equal document;
//   - the verdict agrees with nlohmann's strict parser: ok ⇔ well-formed UTF-8, JSON that
//     nlohmann accepts, and at most 64 deep (the guard adds limits, it never rejects valid input
//     or accepts invalid input);
//   - with a small depth cap (3) the same text never yields a deeper document.
#include <cstdint>

#include "adapters/json/json_guard.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using nlohmann::json;
namespace guard = rm::json_guard;
using rm::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rm::fuzz::as_text(data, size);
  const auto parsed = guard::parse(text);

  // The reference: nlohmann's own strict parser (it does not recurse while parsing, and its
  // destructor is iterative, so a deep document is safe to build here without copying it).
  const bool utf8 = guard::valid_utf8(text);
  const json reference = json::parse(text.begin(), text.end(), nullptr, false);
  const bool reference_ok = utf8 && !reference.is_discarded();
  const auto reference_depth = reference_ok ? rm::fuzz::shape_of(reference).depth : 0;
  const bool expect_ok = reference_ok && reference_depth <= guard::default_max_depth;
  if (parsed.ok() != expect_ok)
    rm::fuzz::fail(parsed.ok() ? "guard accepted what nlohmann refuses or is too deep"
                               : "guard refused valid JSON within the depth cap",
                   parsed.message);
  if (!parsed.ok()) {
    check(parsed.value.is_null(), "a refused document must leave value null");
    check(!parsed.message.empty(), "a refused document must say why");
    if (!utf8) check(parsed.status == guard::verdict::invalid_utf8, "bad UTF-8 not named");
    if (utf8 && reference_ok)
      check(parsed.status == guard::verdict::too_deep, "valid but too deep not named too_deep");
  } else {
    const auto shape = rm::fuzz::shape_of(parsed.value);
    check(shape.depth <= guard::default_max_depth, "accepted a document deeper than the cap");
    check(shape.depth == reference_depth, "depth differs from nlohmann's");
    check(!shape.has_nul, "U+0000 survived in a string or key");
    std::string dumped;
    try {
      dumped = parsed.value.dump();
    } catch (const std::exception& e) {
      rm::fuzz::fail("dump() threw on an accepted document", e.what());
    }
    const auto again = guard::parse(dumped);
    check(again.ok(), "dump() of an accepted document does not parse", again.message);
    check(again.value == parsed.value, "dump() does not round-trip", dumped);
    check(again.nul_removed == 0, "dump() produced a NUL");
    if (parsed.nul_removed == 0) check(parsed.value == reference, "NUL-free document altered");
  }

  const auto shallow = guard::parse(text, 3);
  if (shallow.ok()) {
    check(parsed.ok(), "accepted at depth 3 but not at 64");
    check(rm::fuzz::shape_of(shallow.value).depth <= 3, "accepted deeper than a cap of 3");
  } else if (parsed.ok()) {
    check(shallow.status == guard::verdict::too_deep, "cap 3 refused for another reason");
  }
  check(std::string(guard::to_string(parsed.status)).size() > 0, "verdict without a name");
  return 0;
}
