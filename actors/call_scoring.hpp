// The call's scoring step (issue 11 §1–§2): reported → scored, as ONE transaction. No CAF, so it
// is tested directly against PostgreSQL; the call actor runs it after the end-of-call report is
// recorded, and again when it is rebuilt for a call left `reported` (a crash between the report
// and the score).
//
// The transaction, under the call row's lock (SELECT … FOR UPDATE):
//   1. reads the redacted transcript and summary, analysis.structuredData, the recording fields,
//      the bookings of this call (a successful book_appointment tool call, a booked appointment
//      or a booking event), the tenant's services and default_consultation_price, whether the
//      caller called this tenant before, and the duration;
//   2. computes sentiment (domain::sentiment_from_analysis, else sentiment_from_transcript),
//      the service value (match_service), the lead score and tier (score_lead) and the recording
//      status (recording_status_of, never moving backwards);
//   3. writes the scoring columns of calls, appends the `score` event (dedup key "score") and
//      re-projects the call (state scored);
//   4. upserts the caller's contact (when the caller is E.164) under its row lock: lead_status
//      by domain::after_call (an outbound call that booked nothing: domain::after_outreach),
//      last_contacted_at, lead_score, lead_tier, last_call_id, and links calls.contact_id;
//   5. notifies the clinic: org_notifications `call.scored` (info), and `lead.hot` (warning) for
//      a hot lead;
//   6. for a hot inbound lead that domain::should_alert allows (at most one per contact per hour, by the
//      contact's last_alert_at) and a clinic with an alert_phone: a message_outbox row
//      'hot_lead_alert' (body domain::hot_lead_alert_text, due now) and last_alert_at = now.
// Idempotent: a call that is not `reported` (already scored, or not reported yet) is left as
// it is, so a repeated report, a second scorer or an out-of-order delivery changes nothing.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "domain/call_lifecycle.hpp"

namespace rm::calls {

struct scoring_outcome {
  bool scored_now = false;  // this transaction scored the call
  bool found = false;       // the call exists
  domain::call_projection projection;  // after the transaction
  int lead_score = 0;                  // when scored_now
  std::string lead_tier;               // when scored_now
  bool alert_queued = false;           // a hot_lead_alert outbox row was added
};

// `now_s`: epoch seconds (the alert window, last_alert_at, the outbox row's due_at).
scoring_outcome score_call(pqxx::connection& c, const std::string& call_id, std::int64_t now_s);

}  // namespace rm::calls
