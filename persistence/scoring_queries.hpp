// SQL of the call's scoring step (issue 11 §1–§2): what the scoring transaction reads (the
// redacted report, bookings, the tenant's price list, returning caller), what it writes (the
// scoring columns of calls, the contact's lead pipeline, the hot-lead alert in message_outbox),
// and the scoring fields of a call for the views. Every function runs inside the caller's
// transaction, after set_tenant (RLS). The flow itself is actors/call_scoring.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace rm::persistence {

// The call as scoring needs it. Reading it takes the call row's lock (SELECT … FOR UPDATE):
// two scorers of one call (a repeated report, a second instance) queue here, and the second
// then sees the state `scored`.
struct scoring_inputs {
  std::string org_id;
  std::string state;  // calls.state ("reported" when scoring is due)
  std::string direction;  // "inbound" | "outbound"
  std::string caller;
  std::string dialled;
  std::string transcript;             // redacted at storage
  std::string summary;                // redacted at storage
  std::string structured_data_json;   // analysis.structuredData (redacted), "" when absent
  std::string recording_url;
  std::string ended_reason;
  std::string recording_status;       // current calls.recording_status
  std::optional<double> duration_seconds;
  std::string report_payload_json;    // the stored (redacted) end-of-call report, "" when none
  bool booked = false;          // a successful book_appointment, or a booked appointment, here
  bool booking_tool_used = false;  // any booking tool was called in this call
  bool returning_caller = false;   // an earlier call from this caller to this tenant
  std::int64_t ended_at_s = 0;     // calls.ended_at (epoch s), 0 when unknown
};
std::optional<scoring_inputs> lock_scoring_inputs(pqxx::work& tx, const std::string& call_id);

struct priced_service {
  std::string name;
  double price = 0;
  std::vector<std::string> keywords;
};
struct tenant_pricing {
  std::vector<priced_service> services;
  double default_price = 150;  // organizations.default_consultation_price
  std::string alert_phone;     // "" when the clinic set none
};
tenant_pricing load_pricing(pqxx::work& tx, const std::string& org_id);

// What scoring decided, written to the calls row (scored_at = now).
struct call_scores {
  double sentiment_score = 0;
  std::string sentiment_label;
  std::string urgency;
  std::string sentiment_reason;
  std::string sentiment_source;
  int lead_score = 0;
  std::string lead_tier;
  nlohmann::json score_factors = nlohmann::json::object();
  double financial_value = 0;
  std::string matched_service;  // "" → NULL
  std::string recording_status;
  std::string contact_id;       // "" → NULL
};
void save_scores(pqxx::work& tx, const std::string& call_id, const call_scores& s);

// The caller's contact, created when unknown (UNIQUE (org_id, phone_e164)) and locked
// (FOR UPDATE) so that the at-most-one-alert-per-hour rule holds across concurrent scorers.
struct lead_contact {
  std::string id;
  std::string lead_status;
  std::optional<std::int64_t> last_alert_at_s;
};
lead_contact lock_contact(pqxx::work& tx, const std::string& org_id, const std::string& e164);
void update_lead(pqxx::work& tx, const std::string& contact_id, const std::string& lead_status,
                 int lead_score, const std::string& lead_tier, const std::string& call_id,
                 std::int64_t contacted_at_s);

// A hot_lead_alert outbox row (channel sms, sender '' = the tenant's number, due now) and the
// contact's last_alert_at = now. Returns the outbox row's id.
std::string queue_hot_lead_alert(pqxx::work& tx, const std::string& org_id,
                                 const std::string& contact_id, const std::string& call_id,
                                 const std::string& recipient, const std::string& body,
                                 std::int64_t now_s);

// The scoring fields of a call for the views: {"sentiment":{score,label,urgency,reason,source}
// |null, "lead_score", "lead_tier", "score_factors", "financial_value", "matched_service",
// "recording_status", "transfer":{to,time,reason}|null, "redactions", "contact_id",
// "scored_at"} (nulls before scoring; times UTC ISO 8601). null when the call is unknown.
nlohmann::json scoring_fields(pqxx::work& tx, const std::string& call_id);
// The same for many calls of the tenant set on `tx` in one query: (call id, fields).
std::vector<std::pair<std::string, nlohmann::json>> scoring_fields_of(
    pqxx::work& tx, const std::vector<std::string>& call_ids);

}  // namespace rm::persistence
