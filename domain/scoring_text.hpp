// Internal helpers shared by the scoring translation units (not part of the scoring contract).
// ASCII-only classification on bytes: transcripts are UTF-8, and <cctype> on a negative char is
// undefined behaviour, so these never call it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rm::domain::scoring_text {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

// The caller's lines of a Vapi transcript ("AI: …\nUser: …"): the text after "User:" (also
// "Caller:" / "Customer:"), one line each, joined by '\n'. The whole text when there are none.
std::string caller_text(std::string_view transcript);

// Lower-case words (runs of ASCII letters, digits and apostrophes; apostrophes are dropped, so
// "don't" → "dont"). A break (punctuation other than an apostrophe) is reported as an empty
// word so that negation does not reach across clauses.
std::vector<std::string> words_with_breaks(std::string_view text);

// Negators: "not", "no", "never", "dont", "didnt", "isnt", "wasnt", "cant", "wont", "doesnt",
// "arent", "nothing", "without", "hardly".
bool is_negator(std::string_view word);

// Whether words[i] is negated: a negator among the three words before it, within its clause.
bool negated(const std::vector<std::string>& words, std::size_t i);

}  // namespace rm::domain::scoring_text
