// Sentiment of a finished call (domain/scoring.hpp, docs/scoring.md § Sentiment): Vapi's own
// analysis when the report carries one, else a small documented lexicon over the caller's words.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/scoring.hpp"
#include "domain/scoring_text.hpp"

namespace rm::domain {

namespace scoring_text {

std::string caller_text(std::string_view transcript) {
  static constexpr std::array<std::string_view, 3> speakers{"user:", "caller:", "customer:"};
  std::string out;
  bool any = false;
  std::size_t at = 0;
  while (at <= transcript.size()) {
    auto nl = transcript.find('\n', at);
    if (nl == std::string_view::npos) nl = transcript.size();
    auto line = transcript.substr(at, nl - at);
    std::size_t b = 0;
    while (b < line.size() && is_space(line[b])) ++b;
    for (auto sp : speakers) {
      if (line.size() - b >= sp.size() && lowered(line.substr(b, sp.size())) == sp) {
        out.append(line.substr(b + sp.size()));
        out.push_back('\n');
        any = true;
        break;
      }
    }
    at = nl + 1;
  }
  return any ? out : std::string(transcript);
}

std::vector<std::string> words_with_breaks(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) out.push_back(std::move(w));
    w.clear();
  };
  for (char c : text) {
    if (is_alnum(c)) {
      w.push_back(lower(c));
    } else if (c == '\'') {
      continue;  // "don't" → "dont"
    } else if (is_space(c)) {
      flush();
    } else {
      flush();
      if (out.empty() || !out.back().empty()) out.emplace_back();  // a clause break
    }
  }
  flush();
  return out;
}

bool is_negator(std::string_view word) {
  static constexpr std::array<std::string_view, 14> negators{
      "not",  "no",    "never", "dont",  "didnt",   "isnt",    "wasnt",
      "cant", "wont",  "doesnt", "arent", "nothing", "without", "hardly"};
  return std::find(negators.begin(), negators.end(), word) != negators.end();
}

bool negated(const std::vector<std::string>& words, std::size_t i) {
  for (std::size_t back = 1; back <= 3 && back <= i; ++back) {
    const auto& w = words[i - back];
    if (w.empty()) return false;  // clause break
    if (is_negator(w)) return true;
  }
  return false;
}

}  // namespace scoring_text

using namespace scoring_text;

const char* to_string(sentiment_label l) {
  switch (l) {
    case sentiment_label::positive: return "positive";
    case sentiment_label::neutral: return "neutral";
    case sentiment_label::negative: return "negative";
  }
  return "neutral";
}

const char* to_string(urgency u) {
  switch (u) {
    case urgency::low: return "low";
    case urgency::normal: return "normal";
    case urgency::high: return "high";
  }
  return "normal";
}

namespace {

sentiment_label label_of(double score) {
  if (score >= 0.2) return sentiment_label::positive;
  if (score <= -0.2) return sentiment_label::negative;
  return sentiment_label::neutral;
}

std::string trimmed_lower(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return lowered(std::string_view(s).substr(b, e - b));
}

constexpr std::size_t max_reason = 200;

}  // namespace

std::optional<sentiment> sentiment_from_analysis(std::string_view structured_data_json) {
  if (structured_data_json.empty()) return std::nullopt;
  auto j = nlohmann::json::parse(structured_data_json.begin(), structured_data_json.end(), nullptr,
                                 /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto it = j.find("sentiment");
  if (it == j.end()) return std::nullopt;
  sentiment out;
  out.source = "vapi";
  if (it->is_number()) {
    double v = it->get<double>();
    if (!std::isfinite(v) || v < -1.0 || v > 1.0) return std::nullopt;
    out.score = v;
    out.label = label_of(v);
  } else if (it->is_string()) {
    auto l = trimmed_lower(it->get<std::string>());
    // A label alone scores the middle of its band (±0.6), so the number still sorts calls.
    if (l == "positive") {
      out.label = sentiment_label::positive;
      out.score = 0.6;
    } else if (l == "negative") {
      out.label = sentiment_label::negative;
      out.score = -0.6;
    } else if (l == "neutral") {
      out.label = sentiment_label::neutral;
      out.score = 0;
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (auto u = j.find("urgency"); u != j.end() && u->is_string()) {
    auto v = trimmed_lower(u->get<std::string>());
    if (v == "high") out.level = urgency::high;
    if (v == "low") out.level = urgency::low;
  }
  if (auto r = j.find("sentimentReason"); r != j.end() && r->is_string()) {
    // Vapi writes the reason from the transcript: it is redacted like the transcript (without a
    // keep list, so any phone number in it goes too) and kept short.
    out.reason = redact_pii(r->get<std::string>(), {}).text;
    if (out.reason.size() > max_reason) {
      std::size_t cut = max_reason;
      while (cut > 0 && (static_cast<unsigned char>(out.reason[cut]) & 0xC0) == 0x80) --cut;
      out.reason = out.reason.substr(0, cut) + "…";
    }
  }
  if (out.reason.empty())
    out.reason = std::string("Vapi's call analysis rated the call ") + to_string(out.label) + ".";
  return out;
}

namespace {

constexpr std::array<std::string_view, 31> positive_words{
    "great",   "good",      "excellent", "amazing",  "awesome",   "wonderful", "perfect",
    "happy",   "glad",      "love",      "loved",    "lovely",    "thanks",    "thank",
    "helpful", "appreciate", "pleased",  "fantastic", "nice",     "excited",   "interested",
    "easy",    "beautiful", "best",      "recommend", "satisfied", "comfortable", "friendly",
    "sure",    "definitely", "ready"};
constexpr std::array<std::string_view, 30> negative_words{
    "bad",      "terrible",    "awful",    "horrible",   "unhappy",   "upset",
    "angry",    "frustrated",  "frustrating", "annoyed", "disappointed", "disappointing",
    "worst",    "hate",        "rude",     "problem",    "complaint", "complain",
    "worried",  "scared",      "expensive", "cancel",    "refund",    "wrong",
    "poor",     "ridiculous",  "unacceptable", "nervous", "afraid",   "botched"};
constexpr std::array<std::string_view, 13> urgent_words{
    "pain",  "painful", "emergency", "bleeding", "asap",      "today",   "urgent",
    "urgently", "swelling", "swollen", "infection", "infected", "immediately"};
constexpr std::array<std::string_view, 6> calm_phrases{
    "no rush", "no hurry", "whenever", "just browsing", "just looking", "just curious"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& list, std::string_view w) {
  return std::find(list.begin(), list.end(), w) != list.end();
}

void note(std::vector<std::string>& seen, std::string w) {
  if (std::find(seen.begin(), seen.end(), w) == seen.end()) seen.push_back(std::move(w));
}

std::string listed(const std::vector<std::string>& ws) {
  std::string out;
  for (std::size_t i = 0; i < ws.size() && i < 3; ++i) out += (i ? ", " : "") + ws[i];
  if (ws.size() > 3) out += ", …";
  return out;
}

// A phrase (words separated by single spaces) in the word list, not across a clause break.
bool has_phrase(const std::vector<std::string>& words, std::string_view phrase) {
  auto parts = words_with_breaks(phrase);
  if (parts.empty()) return false;
  for (std::size_t i = 0; i + parts.size() <= words.size(); ++i) {
    std::size_t k = 0;
    while (k < parts.size() && words[i + k] == parts[k]) ++k;
    if (k == parts.size()) return true;
  }
  return false;
}

}  // namespace

sentiment sentiment_from_transcript(std::string_view transcript) {
  auto words = words_with_breaks(caller_text(transcript));
  int pos = 0, neg = 0;
  std::vector<std::string> pos_seen, neg_seen, urgent_seen;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w.empty()) continue;
    bool is_pos = in(positive_words, w), is_neg = in(negative_words, w);
    if (is_pos || is_neg) {
      bool flip = negated(words, i);  // "not happy" counts as negative, "not bad" as positive
      bool counts_pos = is_pos != flip;
      (counts_pos ? pos : neg) += 1;
      note(counts_pos ? pos_seen : neg_seen, flip ? "not " + w : w);
    }
    if (in(urgent_words, w) && !negated(words, i)) note(urgent_seen, w);
  }
  sentiment out;
  out.source = "lexicon";
  out.score = static_cast<double>(pos - neg) / std::max(1, pos + neg);
  out.label = label_of(out.score);
  bool calm = false;
  for (auto p : calm_phrases) calm = calm || has_phrase(words, p);
  out.level = !urgent_seen.empty() ? urgency::high : calm ? urgency::low : urgency::normal;

  std::string reason = "Caller's words: ";
  if (pos + neg == 0) {
    reason += "no positive or negative words";
  } else {
    reason += std::to_string(pos) + " positive";
    if (pos) reason += " (" + listed(pos_seen) + ")";
    reason += ", " + std::to_string(neg) + " negative";
    if (neg) reason += " (" + listed(neg_seen) + ")";
  }
  if (!urgent_seen.empty())
    reason += "; urgent: " + listed(urgent_seen);
  else if (calm)
    reason += "; no rush";
  out.reason = reason + ".";
  return out;
}

}  // namespace rm::domain
