// Shared helpers for the forwarding tests: build a request, unwrap a result.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "domain/forwarding_codes.hpp"

namespace rm::domain::test {

inline forwarding_request request(carrier c, forwarding_mode m, std::string destination,
                                  std::optional<int> ring_time = std::nullopt) {
  return forwarding_request{c, m, std::move(destination), ring_time};
}

// The codes of a result that must succeed (fails the test with the rejection otherwise).
inline forwarding_codes codes_of(const forwarding_result& r) {
  if (const auto* no = std::get_if<forwarding_rejection>(&r))
    FAIL("rejected: " << no->code << ": " << no->message);
  return std::get<forwarding_codes>(r);
}

// The rejection code of a result that must fail ("" if it produced codes).
inline std::string rejection_of(const forwarding_result& r) {
  if (const auto* no = std::get_if<forwarding_rejection>(&r)) return no->code;
  return "";
}

inline bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace rm::domain::test
