// The text of the hot-lead alert SMS sent to the clinic's alert number (issue 11 §2). Pure: the
// scoring transaction builds it and queues it in message_outbox; the outbox actor sends it as is.
#pragma once

#include <string>

namespace rm::domain {

struct hot_lead_alert {
  std::string caller;   // E.164 of the caller (the clinic calls them back)
  int score = 0;        // 0 … 100
  std::string service;  // the matched service's name, "" when none matched
  double value = 0;     // USD, the call's financial value
  bool booked = false;  // an appointment was booked during the call
};

// One SMS segment of GSM-7 text (ASCII only, at most 160 characters), e.g.
//   "Hot lead (score 85): +14155550177 asked about Botox (~$400), booked. Call back soon."
// It never carries transcript text: only the caller's number, the score, the matched service's
// name (cut to fit), the value rounded to whole dollars and whether a booking was made.
std::string hot_lead_alert_text(const hot_lead_alert& a);

}  // namespace rm::domain
