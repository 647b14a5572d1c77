// Harness: PII redaction and the text-reading scoring rules (domain/scoring.hpp).
// Input: any bytes, read as a call transcript (and, for sentiment_from_analysis, as the report's
// analysis.structuredData JSON). The clinic's and the caller's numbers are fixed NANP numbers.
// Invariants: nothing throws, crashes or trips a sanitizer; the redacted text holds no maximal run
// of 13–19 digits that passes Luhn (a card in one piece); every count is ≥ 0; the sentiment
// score is within −1…1; a service match without a hit carries the default price.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/scoring.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using rm::fuzz::check;
namespace d = rm::domain;

namespace {

void no_card_in_one_piece(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] < '0' || s[i] > '9') {
      ++i;
      continue;
    }
    std::size_t e = i;
    while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
    const auto run = std::string_view(s).substr(i, e - i);
    check(run.size() < 13 || run.size() > 19 || !d::luhn_valid(run), "a card survived",
          std::string(run));
    i = e;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rm::fuzz::as_text(data, size);
  static const std::vector<std::string> keep{"+14155550100", "+12125550123"};

  const auto r = d::redact_pii(text, keep);
  no_card_in_one_piece(r.text);
  check(r.counts.size() == 5, "counts must hold the five kinds");
  for (const auto& [kind, n] : r.counts) check(n >= 0, "negative count", kind);

  const auto s = d::sentiment_from_transcript(r.text);
  check(std::isfinite(s.score) && s.score >= -1 && s.score <= 1, "lexicon score out of range");
  if (const auto v = d::sentiment_from_analysis(text)) {
    check(v->score >= -1 && v->score <= 1, "vapi score out of range");
    no_card_in_one_piece(v->reason);
  }

  static const std::vector<d::service_price> services{
      {"Botox", 400, {"botox", "wrinkle"}}, {"Rhinoplasty", 6000, {"nose job"}}};
  const auto m = d::match_service(text, services, 150);
  check(m.service.has_value() == (m.hits > 0), "a match without hits or hits without a match");
  if (!m.service) check(m.value == 150, "no match but not the default price");
  (void)d::mentions_booking(text);
  return 0;
}
