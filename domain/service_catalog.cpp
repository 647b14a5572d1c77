#include "domain/service_catalog.hpp"

#include <algorithm>
#include <cmath>

namespace rm::domain {

namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

}  // namespace

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
  }));
}

checked<std::string> service_name(std::string_view input) {
  const auto name = trim(input);
  if (name.empty()) return {{}, "name must not be empty"};
  if (utf8_length(name) > max_service_name)
    return {{}, "name must be at most " + std::to_string(max_service_name) + " characters"};
  return {std::string{name}, ""};
}

checked<double> service_price(double input) {
  if (!std::isfinite(input) || input < 0)
    return {0, "price must be a number of US dollars, 0 or more"};
  if (input > max_service_price) return {0, "price must be at most 9999999999.99"};
  return {std::round(input * 100) / 100, ""};
}

checked<std::vector<std::string>> service_keywords(const std::vector<std::string>& input) {
  if (input.size() > max_keywords)
    return {{}, "keywords may hold at most " + std::to_string(max_keywords) + " entries"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); ++i) {
    std::string word{trim(input[i])};
    const auto at = "keywords[" + std::to_string(i) + "]";
    if (word.empty()) return {{}, at + " must not be empty"};
    if (utf8_length(word) > max_keyword_length)
      return {{}, at + " must be at most " + std::to_string(max_keyword_length) + " characters"};
    for (auto& c : word)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(std::move(word));
  }
  return {std::move(out), ""};
}

}  // namespace rm::domain
