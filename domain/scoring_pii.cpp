// PII redaction (domain/scoring.hpp, docs/scoring.md). Hand-written scanners, not std::regex:
// every pass is a single left-to-right scan whose look-ahead from one position is bounded by a
// small constant (a card is at most 19 digits, a phone number 15), so a 100 KB transcript costs
// O(n) whatever its content. Each pass reads the previous pass's output; markers hold no digits
// and no '@', so a later pass never re-matches a marker.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "domain/scoring.hpp"
#include "domain/scoring_text.hpp"

namespace rm::domain {

using namespace scoring_text;

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) continue;
    int d = *it - '0';
    if (count % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++count;
  }
  return count >= 2 && sum % 10 == 0;
}

namespace {

struct span {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the last byte
};

// Replaces the (sorted, non-overlapping) spans of `s` by `marker`.
std::string splice(std::string_view s, const std::vector<span>& spans, std::string_view marker) {
  if (spans.empty()) return std::string(s);
  std::string out;
  out.reserve(s.size());
  std::size_t at = 0;
  for (const auto& sp : spans) {
    out.append(s.substr(at, sp.begin - at));
    out.append(marker);
    at = sp.end;
  }
  out.append(s.substr(at));
  return out;
}

// A run of digits starting at `i`, with the separators that follow it. Group parsing never reads
// more than `max_digits` digits, which bounds every look-ahead.
struct group {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
};

bool digit_start(std::string_view s, std::size_t i) {
  return i < s.size() && is_digit(s[i]) && (i == 0 || !is_digit(s[i - 1]));
}

// Digit groups from `i` joined by exactly one separator out of `seps` (e.g. "4111 1111-…").
// Stops after more than `max_digits` digits or `max_groups` groups. `maximal` tells whether the
// run ended naturally (no separator + digit follows) rather than at a limit.
std::vector<group> groups_at(std::string_view s, std::size_t i, std::string_view seps,
                             std::size_t max_digits, std::size_t max_groups, bool& maximal) {
  std::vector<group> gs;
  std::size_t total = 0;
  maximal = false;
  while (true) {
    group g{i, i};
    while (g.end < s.size() && is_digit(s[g.end]) && total + g.size() <= max_digits) ++g.end;
    if (total + g.size() > max_digits) return gs;  // more digits than the limit
    total += g.size();
    gs.push_back(g);
    if (gs.size() >= max_groups) return gs;
    std::size_t j = g.end;
    if (j + 1 < s.size() && seps.find(s[j]) != std::string_view::npos && is_digit(s[j + 1])) {
      i = j + 1;
      continue;
    }
    maximal = true;
    return gs;
  }
}

std::string digits_of(std::string_view s, std::size_t b, std::size_t e) {
  std::string d;
  for (std::size_t i = b; i < e; ++i)
    if (is_digit(s[i])) d.push_back(s[i]);
  return d;
}

// ---- e-mail --------------------------------------------------------------------------------

bool local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}
bool domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

// local@domain.tld
std::vector<span> written_emails(std::string_view s) {
  std::vector<span> out;
  std::size_t floor = 0;  // spans never overlap
  for (std::size_t p = 0; p < s.size(); ++p) {
    if (s[p] != '@') continue;
    std::size_t b = p;
    while (b > floor && local_char(s[b - 1])) --b;
    while (b < p && s[b] == '.') ++b;
    std::size_t e = p + 1;
    while (e < s.size() && domain_char(s[e])) ++e;
    while (e > p + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) --e;
    if (b == p || e == p + 1) continue;
    auto domain = s.substr(p + 1, e - p - 1);
    auto dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    auto tld = domain.substr(dot + 1);
    if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), is_alpha)) continue;
    out.push_back({b, e});
    floor = e;
    p = e - 1;
  }
  return out;
}

// Spoken and mixed forms: "jane dot doe at gmail dot com", "jane at gmail.com", "jane@gmail dot
// com". Symbols: words, DOT ("dot" or a bare '.' between two words), AT ("at" or '@'). Pattern:
// WORD (DOT WORD)* AT WORD (DOT WORD)+ with a well-known top-level domain as the last word.
enum class sym { word, dot, at, brk };
struct symbol {
  sym kind;
  span where;
  std::string text;  // lower-case word
};

bool email_word_char(char c) { return is_alnum(c) || c == '_' || c == '-' || c == '+'; }

bool known_tld(std::string_view w) {
  static constexpr std::array<std::string_view, 18> tlds{
      "com", "net", "org", "edu", "gov", "io",  "co", "us",     "info",
      "biz", "me",  "uk",  "ca",  "app", "dev", "ai", "health", "tv"};
  return std::find(tlds.begin(), tlds.end(), w) != tlds.end();
}

std::vector<symbol> email_symbols(std::string_view s) {
  std::vector<symbol> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (email_word_char(s[i])) {
      std::size_t e = i;
      while (e < s.size() && email_word_char(s[e])) ++e;
      auto w = lowered(s.substr(i, e - i));
      sym k = w == "dot" ? sym::dot : w == "at" ? sym::at : sym::word;
      out.push_back({k, {i, e}, std::move(w)});
      i = e;
      continue;
    }
    std::size_t e = i;
    while (e < s.size() && !email_word_char(s[e])) ++e;
    auto gap = s.substr(i, e - i);
    bool between = i > 0 && e < s.size();
    if (between && gap == ".")
      out.push_back({sym::dot, {i, e}, {}});
    else if (between && gap == "@")
      out.push_back({sym::at, {i, e}, {}});
    else if (!std::all_of(gap.begin(), gap.end(), is_space))
      out.push_back({sym::brk, {i, e}, {}});
    i = e;
  }
  return out;
}

std::vector<span> spoken_emails(std::string_view s) {
  std::vector<span> out;
  auto syms = email_symbols(s);
  std::size_t floor = 0;  // first symbol a new match may use
  for (std::size_t a = 1; a + 1 < syms.size(); ++a) {
    if (syms[a].kind != sym::at || syms[a - 1].kind != sym::word || a - 1 < floor) continue;
    std::size_t l = a - 1;
    while (l >= floor + 2 && syms[l - 1].kind == sym::dot && syms[l - 2].kind == sym::word) l -= 2;
    std::size_t r = a + 1;
    if (syms[r].kind != sym::word) continue;
    std::size_t last_tld = 0;  // symbol index of the last word that is a known TLD after a DOT
    while (r + 2 < syms.size() && syms[r + 1].kind == sym::dot && syms[r + 2].kind == sym::word) {
      r += 2;
      if (known_tld(syms[r].text)) last_tld = r;
    }
    if (last_tld == 0) continue;
    out.push_back({syms[l].where.begin, syms[last_tld].where.end});
    floor = last_tld + 1;
    a = last_tld;
  }
  return out;
}

// ---- payment cards -------------------------------------------------------------------------

// Groupings a card is read or written in: one run, 4-4-4-4(-…), 4-6-5 / 4-6-4 (Amex, Diners),
// or one digit at a time.
bool card_shape(const std::vector<group>& gs, std::size_t k) {
  if (k == 1) return true;
  bool fours = true;
  for (std::size_t i = 0; i + 1 < k; ++i) fours = fours && gs[i].size() == 4;
  if (fours && gs[k - 1].size() <= 4) return true;
  if (k == 3 && gs[0].size() == 4 && gs[1].size() == 6 &&
      (gs[2].size() == 5 || gs[2].size() == 4))
    return true;
  for (std::size_t i = 0; i < k; ++i)
    if (gs[i].size() != 1) return false;
  return true;
}

std::vector<span> cards(std::string_view s) {
  std::vector<span> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!digit_start(s, i)) continue;
    bool maximal = false;
    auto gs = groups_at(s, i, " -", 19, 19, maximal);
    if (gs.empty()) {  // a digit run longer than 19: skip it whole
      while (i < s.size() && is_digit(s[i])) ++i;
      continue;
    }
    std::size_t found = 0;
    std::size_t total = 0;
    std::vector<std::size_t> totals;
    for (const auto& g : gs) totals.push_back(total += g.size());
    for (std::size_t k = gs.size(); k >= 1 && found == 0; --k) {
      if (totals[k - 1] < 13 || totals[k - 1] > 19 || !card_shape(gs, k)) continue;
      if (luhn_valid(s.substr(i, gs[k - 1].end - i))) found = k;
    }
    // Any other grouping counts when it is the whole run of grouped digits.
    bool run_start = i < 2 || !(is_digit(s[i - 2]) && (s[i - 1] == ' ' || s[i - 1] == '-'));
    if (found == 0 && maximal && run_start && total >= 13 && total <= 19 &&
        luhn_valid(s.substr(i, gs.back().end - i)))
      found = gs.size();
    if (found == 0) continue;
    out.push_back({i, gs[found - 1].end});
    i = gs[found - 1].end - 1;
  }
  return out;
}

// ---- SSN -----------------------------------------------------------------------------------

bool ssn_parts_valid(std::string_view area, std::string_view grp, std::string_view serial) {
  if (area == "000" || area == "666" || area[0] == '9') return false;
  return grp != "00" && serial != "0000";
}

// "ssn", "social" (security) or "ss#" within the 60 bytes before `i`.
bool ssn_context(std::string_view s, std::size_t i) {
  std::size_t b = i > 60 ? i - 60 : 0;
  auto before = lowered(s.substr(b, i - b));
  return before.find("ssn") != std::string::npos || before.find("social") != std::string::npos ||
         before.find("ss#") != std::string::npos;
}

std::vector<span> ssns(std::string_view s) {
  std::vector<span> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!digit_start(s, i)) continue;
    bool maximal = false;
    auto gs = groups_at(s, i, " -", 9, 9, maximal);
    if (gs.empty()) {
      while (i < s.size() && is_digit(s[i])) ++i;
      continue;
    }
    std::size_t end = 0;
    if (gs.size() >= 3 && gs[0].size() == 3 && gs[1].size() == 2 && gs[2].size() == 4 &&
        ssn_parts_valid(s.substr(gs[0].begin, 3), s.substr(gs[1].begin, 2),
                        s.substr(gs[2].begin, 4)))
      end = gs[2].end;
    if (end == 0) {
      // Nine digits in any grouping, right after the caller named the number.
      std::size_t total = 0;
      for (const auto& g : gs) {
        total += g.size();
        if (total == 9) {
          bool ends_run = !(g.end + 1 < s.size() && (s[g.end] == ' ' || s[g.end] == '-') &&
                            is_digit(s[g.end + 1]));
          if (ends_run && ssn_context(s, i)) end = g.end;
          break;
        }
      }
    }
    if (end == 0) continue;
    out.push_back({i, end});
    i = end - 1;
  }
  return out;
}

// ---- dates with a year ---------------------------------------------------------------------

int number_of(std::string_view s, std::size_t b, std::size_t e) {
  int v = 0;
  for (std::size_t i = b; i < e; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

std::size_t digits_end(std::string_view s, std::size_t i, std::size_t max) {
  std::size_t e = i;
  while (e < s.size() && is_digit(s[e]) && e - i <= max) ++e;
  return e;
}

// MM/DD/YYYY, DD/MM/YYYY, M/D/YY (separators '/', '-' or '.', the same twice), YYYY-MM-DD.
std::size_t numeric_date_end(std::string_view s, std::size_t i) {
  std::size_t a = digits_end(s, i, 4);
  std::size_t la = a - i;
  if (a >= s.size() || !(la == 1 || la == 2 || la == 4)) return 0;
  char sep = s[a];
  if (sep != '/' && sep != '-' && sep != '.') return 0;
  std::size_t b = digits_end(s, a + 1, 2);
  std::size_t lb = b - a - 1;
  if (lb < 1 || lb > 2 || b >= s.size() || s[b] != sep) return 0;
  std::size_t c = digits_end(s, b + 1, 4);
  std::size_t lc = c - b - 1;
  int x = number_of(s, i, a), y = number_of(s, a + 1, b), z = number_of(s, b + 1, c);
  if (la == 4) {  // year first
    if (lc < 1 || lc > 2) return 0;
    return (y >= 1 && y <= 12 && z >= 1 && z <= 31) ? c : 0;
  }
  if (lc != 2 && lc != 4) return 0;
  bool md = x >= 1 && x <= 12 && y >= 1 && y <= 31;
  bool dm = x >= 1 && x <= 31 && y >= 1 && y <= 12;
  return (md || dm) ? c : 0;
}

bool month_word(std::string_view w) {
  static constexpr std::array<std::string_view, 24> months{
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december",
      "jan",     "feb",      "mar",       "apr",     "jun",      "jul",
      "aug",     "sep",      "sept",      "oct",     "nov",      "dec"};
  return std::find(months.begin(), months.end(), w) != months.end();
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// A four-digit year 1xxx or 2xxx at `i` (not part of a longer number): its end, else 0.
std::size_t year_end(std::string_view s, std::size_t i) {
  if (i + 4 > s.size() || (s[i] != '1' && s[i] != '2')) return 0;
  std::size_t e = digits_end(s, i, 4);
  return e - i == 4 ? e : 0;
}

// A day (1–31, optionally 1st/2nd/3rd/4th…) at `i`: its end, else 0.
std::size_t day_end(std::string_view s, std::size_t i) {
  std::size_t e = digits_end(s, i, 2);
  if (e == i || e - i > 2) return 0;
  int d = number_of(s, i, e);
  if (d < 1 || d > 31) return 0;
  if (e + 1 < s.size()) {
    auto suf = lowered(s.substr(e, 2));
    if ((suf == "st" || suf == "nd" || suf == "rd" || suf == "th") &&
        (e + 2 == s.size() || !is_alnum(s[e + 2])))
      e += 2;
  }
  if (e < s.size() && is_alnum(s[e])) return 0;
  return e;
}

// The end of a month name at `i` (with an abbreviation's optional '.'), else 0.
std::size_t month_end(std::string_view s, std::size_t i) {
  if (i > 0 && is_alnum(s[i - 1])) return 0;
  std::size_t e = i;
  while (e < s.size() && is_alpha(s[e]) && e - i < 10) ++e;
  if (e < s.size() && is_alnum(s[e])) return 0;
  if (!month_word(lowered(s.substr(i, e - i)))) return 0;
  if (e < s.size() && s[e] == '.') ++e;
  return e;
}

// After a month name: "3, 1985", "3rd 1985", ", 1985", "1985".
std::size_t after_month_end(std::string_view s, std::size_t m) {
  std::size_t j = skip_spaces(s, m);
  if (std::size_t d = day_end(s, j)) {
    std::size_t k = d < s.size() && s[d] == ',' ? d + 1 : d;
    k = skip_spaces(s, k);
    return k > d ? year_end(s, k) : 0;
  }
  if (j < s.size() && s[j] == ',') j = skip_spaces(s, j + 1);
  if (j == m) return 0;
  return year_end(s, j);
}

std::vector<span> dates(std::string_view s) {
  std::vector<span> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::size_t end = 0;
    if (digit_start(s, i)) {
      end = numeric_date_end(s, i);
      if (end == 0) {  // "3 March 1985", "3rd of March, 1985"
        if (std::size_t d = day_end(s, i)) {
          std::size_t j = skip_spaces(s, d);
          if (j > d && j + 2 < s.size() && lowered(s.substr(j, 2)) == "of" &&
              j + 2 < s.size() && is_space(s[j + 2]))
            j = skip_spaces(s, j + 2);
          if (j > d) {
            if (std::size_t m = month_end(s, j)) {
              std::size_t k = m < s.size() && s[m] == ',' ? m + 1 : m;
              std::size_t y = year_end(s, skip_spaces(s, k));
              if (y && skip_spaces(s, k) > m) end = y;
            }
          }
        }
      }
    } else if (is_alpha(s[i])) {
      if (std::size_t m = month_end(s, i)) end = after_month_end(s, m);
    }
    if (end == 0) continue;
    out.push_back({i, end});
    i = end - 1;
  }
  return out;
}

// ---- phone numbers -------------------------------------------------------------------------

struct keep_set {
  std::vector<std::string> digits;  // the kept numbers' digits ("14155550100")

  bool keeps(const std::string& d) const {
    for (const auto& k : digits) {
      if (k == d) return true;
      if (d.size() == 10 && k == "1" + d) return true;  // NANP written without the country code
      if (d.size() == 7 && k.size() > 7 && k.compare(k.size() - 7, 7, d) == 0) return true;
    }
    return false;
  }
};

bool phone_sep(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

// Digit groups of a phone-shaped run from `i`: separators are 1–3 of " -.()". At most 8 groups
// and 16 digits.
std::vector<group> phone_groups(std::string_view s, std::size_t i) {
  std::vector<group> gs;
  std::size_t total = 0;
  while (gs.size() < 8) {
    group g{i, i};
    while (g.end < s.size() && is_digit(s[g.end])) {
      ++g.end;
      if (total + g.size() > 16) return gs;
    }
    total += g.size();
    gs.push_back(g);
    std::size_t j = g.end;
    std::size_t k = j;
    while (k < s.size() && k - j < 3 && phone_sep(s[k])) ++k;
    if (k == j || k >= s.size() || !is_digit(s[k])) break;
    i = k;
  }
  return gs;
}

struct phone_hit {
  std::size_t end = 0;
  std::string digits;
};

// NANP: 1 + 3-3-4, 3-3-4, 3-7, one run of 10 digits or 11 starting with 1; local 3-4 joined by
// '-' or '.'; '+' and 7–15 digits in any grouping.
phone_hit phone_at(std::string_view s, std::size_t i, const keep_set& keep) {
  bool plus = s[i] == '+';
  std::size_t first = i;
  if (plus || s[i] == '(') ++first;
  if (first >= s.size() || !is_digit(s[first])) return {};
  if (s[i] == '(' && first + 3 < s.size() && s[first + 3] != ')') return {};
  auto gs = phone_groups(s, first);
  if (gs.empty()) return {};
  auto sz = [&](std::size_t k) { return k < gs.size() ? gs[k].size() : 0; };
  auto hit = [&](std::size_t k) { return phone_hit{gs[k].end, digits_of(s, i, gs[k].end)}; };
  bool one = sz(0) == 1 && s[gs[0].begin] == '1';
  if (one && sz(1) == 3 && sz(2) == 3 && sz(3) == 4) return hit(3);
  if (one && sz(1) == 10) return hit(1);
  if (!plus || one) {
    if (sz(0) == 3 && sz(1) == 3 && sz(2) == 4) return hit(2);
    if (sz(0) == 3 && sz(1) == 7) return hit(1);
    if (sz(0) == 10 || (sz(0) == 11 && s[gs[0].begin] == '1')) return hit(0);
  }
  if (plus) {
    // A kept number wins at any group boundary; else the longest run of at most 15 digits.
    std::size_t total = 0, best = gs.size();
    for (std::size_t k = 0; k < gs.size(); ++k) {
      total += gs[k].size();
      if (total > 15) break;
      if (total >= 7) {
        auto h = hit(k);
        if (keep.keeps(h.digits)) return h;
        best = k;
      }
    }
    if (best < gs.size()) return hit(best);
    return {};
  }
  if (sz(0) == 3 && sz(1) == 4 && (s[gs[0].end] == '-' || s[gs[0].end] == '.') &&
      gs[1].begin == gs[0].end + 1)
    return hit(1);
  return {};
}

std::vector<span> phones(std::string_view s, const keep_set& keep) {
  std::vector<span> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!(c == '+' || c == '(' || is_digit(c))) continue;
    if (i > 0 && is_digit(s[i - 1])) continue;
    auto h = phone_at(s, i, keep);
    if (h.end == 0) continue;
    if (!keep.keeps(h.digits)) out.push_back({i, h.end});
    i = h.end - 1;  // a kept number is skipped whole, so its parts are never re-read
  }
  return out;
}

}  // namespace

redaction redact_pii(std::string_view text, const std::vector<std::string>& keep_numbers) {
  redaction r;
  keep_set keep;
  for (const auto& k : keep_numbers) {
    auto d = digits_of(k, 0, k.size());
    if (d.size() >= 7) keep.digits.push_back(std::move(d));
  }
  std::string s(text);
  auto pass = [&](const char* kind, const char* marker, const std::vector<span>& spans) {
    r.counts[kind] += static_cast<int>(spans.size());
    s = splice(s, spans, marker);
  };
  pass("email", "[EMAIL]", written_emails(s));
  pass("email", "[EMAIL]", spoken_emails(s));
  pass("card", "[CARD]", cards(s));
  pass("ssn", "[SSN]", ssns(s));
  pass("dob", "[DOB]", dates(s));
  pass("phone", "[PHONE]", phones(s, keep));
  r.text = std::move(s);
  return r;
}

}  // namespace rm::domain
