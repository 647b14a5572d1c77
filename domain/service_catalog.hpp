// A tenant's services (issue 11 §2, the pricing engine's price list): the rules a service's
// name, price and keywords must follow before they are stored (table services, migration 011).
// Pure: the HTTP layer reads the JSON, these functions decide what is valid and how it is stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rm::domain {

inline constexpr std::size_t max_service_name = 200;   // characters (code points)
inline constexpr std::size_t max_keyword_length = 100;  // characters (code points)
inline constexpr std::size_t max_keywords = 50;         // per service
inline constexpr double max_service_price = 9'999'999'999.99;  // numeric(12, 2)

// The result of a rule: the value to store, or why the input is refused ("" when ok).
template <class T>
struct checked {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
};

// A service name: surrounding white space trimmed, then 1–200 characters. Case is kept (names are
// unique per tenant case-insensitively; the database's services_org_name index decides).
checked<std::string> service_name(std::string_view input);

// A price in USD: finite, 0 ≤ price ≤ 9,999,999,999.99, rounded to the cent.
checked<double> service_price(double input);

// Keywords as they are matched against a transcript (domain/scoring.hpp match_service): each
// trimmed and lower-cased (ASCII letters; other characters are kept as written), 1–100
// characters once trimmed, duplicates (after lower-casing) dropped keeping the first, at most 50
// given. The error names the first offending entry by its 0-based index.
checked<std::vector<std::string>> service_keywords(const std::vector<std::string>& input);

// Code points of UTF-8 text (bytes that do not start a sequence are not counted).
std::size_t utf8_length(std::string_view text);

}  // namespace rm::domain
