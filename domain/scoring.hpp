// Scoring a finished call (issue 11 §1): PII redaction, sentiment, service value, lead score,
// recording status, lead pipeline. Pure functions (no I/O, no CAF), applied by the call actor's
// scoring step (reported → scored). docs/scoring.md lists every rule, what redaction catches and
// what it does not.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rm::domain {

// ---- PII redaction ---------------------------------------------------------------------------
// Replaces, in this order, with typed markers:
//   [EMAIL]  e-mail addresses (local@domain.tld)
//   [CARD]   payment card numbers: 13–19 digits, optionally grouped by spaces or dashes, that
//            pass the Luhn check (a digit run failing Luhn is left alone unless another rule
//            takes it)
//   [SSN]    US Social Security numbers: NNN-NN-NNNN, NNN NN NNNN, or 9 digits next to "SSN" /
//            "social security"; area 000, 666 and 9xx excluded
//   [DOB]    dates of birth: numeric dates (MM/DD/YYYY, MM-DD-YYYY, YYYY-MM-DD, M/D/YY) and
//            written dates ("March 3, 1985", "3 March 1985", "3rd of March 1985") — any date
//            with a year, since a caller's date with a year is most often a birth date
//   [PHONE]  phone numbers (NANP and +international forms of 7–15 digits) other than those in
//            `keep` (the clinic's number and the caller's, compared by their digits)
// Spoken-digit forms ("one two three …") are not caught: docs/scoring.md says so.
struct redaction {
  std::string text;
  std::map<std::string, int> counts;  // "ssn" "card" "dob" "email" "phone" → replacements
};
redaction redact_pii(std::string_view text, const std::vector<std::string>& keep_numbers);

// Luhn check over the digits of `digits` (non-digits ignored); false for fewer than 2 digits.
bool luhn_valid(std::string_view digits);

// ---- sentiment -------------------------------------------------------------------------------
enum class sentiment_label { positive, neutral, negative };
enum class urgency { low, normal, high };
const char* to_string(sentiment_label l);  // "positive" "neutral" "negative"
const char* to_string(urgency u);          // "low" "normal" "high"

struct sentiment {
  double score = 0;  // −1 … 1
  sentiment_label label = sentiment_label::neutral;
  urgency level = urgency::normal;
  std::string reason;           // one short sentence: what the score rests on
  std::string source = "lexicon";  // "vapi" (from the report's analysis) or "lexicon"
};

// From Vapi's analysis when the report carries one: analysis.structuredData.sentiment (a label
// "positive"/"neutral"/"negative", or a number −1…1), optionally .urgency ("low"/"normal"/"high")
// and .sentimentReason. `structured_data_json` is analysis.structuredData as compact JSON ("" when
// absent). nullopt when there is no usable sentiment there.
std::optional<sentiment> sentiment_from_analysis(std::string_view structured_data_json);

// The documented lexicon method over the (redacted) transcript's caller lines ("User:" lines;
// the whole text when there are none): positive/negative word lists with negation ("not happy"),
// score = (pos − neg) / max(1, pos + neg), label at ±0.2; urgency high on urgent words ("pain",
// "emergency", "bleeding", "asap", "today", "urgent", "swelling"), low when none and the caller
// says "no rush"/"whenever"/"just browsing". The reason names the words that counted.
sentiment sentiment_from_transcript(std::string_view transcript);

// ---- services and financial value -------------------------------------------------------------
struct service_price {
  std::string name;
  double price = 0;                   // USD
  std::vector<std::string> keywords;  // lower-case words or phrases
};
struct service_match {
  std::optional<std::string> service;  // the matched service's name; nullopt → default price
  double value = 0;                    // USD
  int hits = 0;                        // keyword occurrences of the best service
};
// Keyword match over the transcript, case-insensitive, on word boundaries (a keyword never
// matches inside a longer word: "lipo" does not match "lipoma"). The best match is the service
// with the most keyword hits; ties go to the higher price. No hit → default_price.
service_match match_service(std::string_view transcript, const std::vector<service_price>& services,
                            double default_price);

// ---- lead score ------------------------------------------------------------------------------
enum class lead_tier { hot, warm, cold };
const char* to_string(lead_tier t);  // "hot" "warm" "cold"
lead_tier tier_of(int score);        // hot ≥ 70, warm 40–69, cold < 40

struct lead_inputs {
  bool booked = false;           // a booking succeeded in this call
  bool booking_intent = false;   // the caller asked for an appointment (tool call or words)
  double service_value = 0;      // match_service(...).value
  bool service_matched = false;  // a service matched (not the default price)
  sentiment feeling;
  bool returning_caller = false;  // an earlier call from this number to this tenant
  double duration_seconds = 0;
};
struct lead_score {
  int score = 0;  // 0 … 100
  lead_tier tier = lead_tier::cold;
  std::map<std::string, int> factors;  // factor name → points contributed (docs/scoring.md)
};
// Factors (points, capped at 100 in all):
//   booking: booked 40, else intent 25
//   value (only when a service matched; the default price scores 0):
//          ≥ 5000 → 20, ≥ 1000 → 15, ≥ 300 → 10, below 300 → 5
//   sentiment: positive 10, neutral 5, negative 0
//   urgency: high 10, normal 5, low 0
//   returning caller: 10
//   duration: ≥ 120 s → 10, ≥ 45 s → 5, else 0
lead_score score_lead(const lead_inputs& in);

// Whether the caller asked for an appointment in words ("appointment", "book", "schedule",
// "available", "opening", "come in") — used with the booking tool calls for booking_intent.
bool mentions_booking(std::string_view transcript);

// ---- recording status -------------------------------------------------------------------------
enum class recording_status { pending, processing, completed, failed };
const char* to_string(recording_status s);  // "pending" "processing" "completed" "failed"
std::optional<recording_status> recording_status_from_string(std::string_view s);

// From the report's recording artifacts: a recording URL → completed; recording requested but no
// URL yet (artifact.recording present without URLs) → processing; an endedReason that names a
// recording failure, or a report with neither → failed when `recording_expected`, else pending.
recording_status recording_status_of(bool has_recording_url, bool recording_object_present,
                                     std::string_view ended_reason, bool recording_expected);
// Never moves backwards: completed and failed are final; processing does not return to pending.
recording_status advance(recording_status current, recording_status next);

// ---- lead pipeline ---------------------------------------------------------------------------
enum class lead_status { new_lead, contacted, booked, lost };
const char* to_string(lead_status s);  // "new" "contacted" "booked" "lost"
std::optional<lead_status> lead_status_from_string(std::string_view s);

// After a scored call: booked → booked; otherwise booked stays booked (the appointment stands),
// anything else → lost.
lead_status after_call(lead_status current, bool booked);
// After the clinic reached out (follow-up SMS, call-back): new and lost → contacted.
lead_status after_outreach(lead_status current);

// Hot-lead alert: only for hot leads, at most one per contact per hour (epoch seconds).
bool should_alert(int score, std::optional<std::int64_t> last_alert_at, std::int64_t now);

}  // namespace rm::domain
