// Service value, lead score, recording status and the lead pipeline (domain/scoring.hpp,
// docs/scoring.md).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/scoring.hpp"
#include "domain/scoring_text.hpp"

namespace rm::domain {

using namespace scoring_text;

// ---- services and financial value -------------------------------------------------------------

namespace {

// Lower-case, every run of non-alphanumeric bytes one space, with a space at both ends: a keyword
// normalised the same way then matches on word boundaries by plain search (" nose job ").
// Apostrophes vanish first: "botox's" reads "botoxs", which the plural rule below still counts.
std::string normalised(std::string_view s) {
  std::string out = " ";
  for (char c : s) {
    if (c == '\'') continue;
    if (is_alnum(c))
      out.push_back(lower(c));
    else if (out.back() != ' ')
      out.push_back(' ');
  }
  if (out.back() != ' ') out.push_back(' ');
  return out;
}

// Non-overlapping occurrences of keyword `k` (normalised, " nose job ") in `text`, also in the
// plural ("wrinkles", "injections": the keyword followed by "s" or "es").
int count_keyword(const std::string& text, const std::string& k) {
  if (k.size() <= 2) return 0;  // empty after normalisation
  auto stem = std::string_view(k).substr(0, k.size() - 1);  // " nose job"
  int n = 0;
  std::size_t at = 0;
  while ((at = text.find(stem, at)) != std::string::npos) {
    std::size_t e = at + stem.size();
    if (text.compare(e, 2, "s ") == 0) ++e;
    else if (text.compare(e, 3, "es ") == 0) e += 2;
    if (e < text.size() && text[e] == ' ') {
      ++n;
      at = e;  // the shared space may start the next occurrence
    } else {
      at += 1;
    }
  }
  return n;
}

}  // namespace

service_match match_service(std::string_view transcript, const std::vector<service_price>& services,
                            double default_price) {
  auto text = normalised(transcript);
  service_match best;
  best.value = default_price;
  for (const auto& svc : services) {
    std::vector<std::string> seen;
    int hits = 0;
    for (const auto& kw : svc.keywords) {
      auto k = normalised(kw);
      if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
      seen.push_back(k);
      hits += count_keyword(text, k);
    }
    if (hits == 0) continue;
    if (hits > best.hits || (hits == best.hits && svc.price > best.value)) {
      best.service = svc.name;
      best.value = svc.price;
      best.hits = hits;
    }
  }
  return best;
}

// ---- lead score ------------------------------------------------------------------------------

const char* to_string(lead_tier t) {
  switch (t) {
    case lead_tier::hot: return "hot";
    case lead_tier::warm: return "warm";
    case lead_tier::cold: return "cold";
  }
  return "cold";
}

lead_tier tier_of(int score) {
  if (score >= 70) return lead_tier::hot;
  if (score >= 40) return lead_tier::warm;
  return lead_tier::cold;
}

lead_score score_lead(const lead_inputs& in) {
  lead_score out;
  auto& f = out.factors;
  f["booking"] = in.booked ? 40 : in.booking_intent ? 25 : 0;
  int value = 0;
  if (in.service_matched) {
    if (in.service_value >= 5000) value = 20;
    else if (in.service_value >= 1000) value = 15;
    else if (in.service_value >= 300) value = 10;
    else value = 5;
  }
  f["value"] = value;
  switch (in.feeling.label) {
    case sentiment_label::positive: f["sentiment"] = 10; break;
    case sentiment_label::neutral: f["sentiment"] = 5; break;
    case sentiment_label::negative: f["sentiment"] = 0; break;
  }
  switch (in.feeling.level) {
    case urgency::high: f["urgency"] = 10; break;
    case urgency::normal: f["urgency"] = 5; break;
    case urgency::low: f["urgency"] = 0; break;
  }
  f["returning_caller"] = in.returning_caller ? 10 : 0;
  f["duration"] = in.duration_seconds >= 120 ? 10 : in.duration_seconds >= 45 ? 5 : 0;
  int sum = 0;
  for (const auto& [name, points] : f) sum += points;
  out.score = std::clamp(sum, 0, 100);
  out.tier = tier_of(out.score);
  return out;
}

bool mentions_booking(std::string_view transcript) {
  static const std::vector<std::string> stems{"appointment", "appointments", "book",
                                              "booking",     "schedule",     "scheduling",
                                              "available",   "availability", "opening",
                                              "openings"};
  auto words = words_with_breaks(caller_text(transcript));
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    bool hit = std::find(stems.begin(), stems.end(), w) != stems.end();
    if (!hit && w == "come" && i + 1 < words.size() && words[i + 1] == "in") hit = true;
    if (hit && !negated(words, i)) return true;  // "I don't want to book" is no intent
  }
  return false;
}

// ---- recording status -------------------------------------------------------------------------

const char* to_string(recording_status s) {
  switch (s) {
    case recording_status::pending: return "pending";
    case recording_status::processing: return "processing";
    case recording_status::completed: return "completed";
    case recording_status::failed: return "failed";
  }
  return "pending";
}

std::optional<recording_status> recording_status_from_string(std::string_view s) {
  if (s == "pending") return recording_status::pending;
  if (s == "processing") return recording_status::processing;
  if (s == "completed") return recording_status::completed;
  if (s == "failed") return recording_status::failed;
  return std::nullopt;
}

recording_status recording_status_of(bool has_recording_url, bool recording_object_present,
                                     std::string_view ended_reason, bool recording_expected) {
  if (has_recording_url) return recording_status::completed;
  auto reason = lowered(ended_reason);
  bool names_failure = reason.find("recording") != std::string::npos &&
                       (reason.find("fail") != std::string::npos ||
                        reason.find("error") != std::string::npos);
  if (names_failure) return recording_status::failed;
  if (recording_object_present) return recording_status::processing;
  return recording_expected ? recording_status::failed : recording_status::pending;
}

recording_status advance(recording_status current, recording_status next) {
  switch (current) {
    case recording_status::completed:
    case recording_status::failed: return current;
    case recording_status::processing:
      return next == recording_status::pending ? current : next;
    case recording_status::pending: return next;
  }
  return current;
}

// ---- lead pipeline ---------------------------------------------------------------------------

const char* to_string(lead_status s) {
  switch (s) {
    case lead_status::new_lead: return "new";
    case lead_status::contacted: return "contacted";
    case lead_status::booked: return "booked";
    case lead_status::lost: return "lost";
  }
  return "new";
}

std::optional<lead_status> lead_status_from_string(std::string_view s) {
  if (s == "new") return lead_status::new_lead;
  if (s == "contacted") return lead_status::contacted;
  if (s == "booked") return lead_status::booked;
  if (s == "lost") return lead_status::lost;
  return std::nullopt;
}

lead_status after_call(lead_status current, bool booked) {
  if (booked || current == lead_status::booked) return lead_status::booked;
  return lead_status::lost;
}

lead_status after_outreach(lead_status current) {
  if (current == lead_status::new_lead || current == lead_status::lost)
    return lead_status::contacted;
  return current;
}

bool should_alert(int score, std::optional<std::int64_t> last_alert_at, std::int64_t now) {
  if (tier_of(score) != lead_tier::hot) return false;
  if (!last_alert_at) return true;
  if (*last_alert_at > now) return false;  // an alert "in the future" (clock skew) counts as recent
  // now ≥ last: the unsigned difference is exact and cannot overflow.
  auto since = static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(*last_alert_at);
  return since >= 3600;
}

}  // namespace rm::domain
