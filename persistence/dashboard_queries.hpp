// SQL behind the clinic dashboard's read API (adapters/http/dashboard_routes.cpp; issue 11 §3):
// calls with their scoring, contacts with their lead pipeline, lead statistics and the summary
// of a period. Field names follow seed 001 where it has them.
//
// Tenancy as in tenant_queries.hpp: every function runs in the caller's transaction, which named
// its tenant with set_tenant() first; every statement also filters on rm_current_org(), so an id
// of another tenant behaves exactly like an unknown one. Instants are UTC epoch seconds
// (domain::instant); money is USD (numeric(12, 2) read as double). Database errors throw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/calendar.hpp"

namespace rm::persistence {

// ---- calls --------------------------------------------------------------------------------------

// What the scoring step (reported → scored, migration 011) wrote on a call; all empty / nullopt
// before it ran, except recording_status (pending until the report's recording is known).
struct call_scoring {
  std::optional<double> sentiment_score;  // −1…1
  std::string sentiment_label;            // positive | neutral | negative | ""
  std::string urgency;                    // low | normal | high | ""
  std::string sentiment_reason;
  std::string sentiment_source;           // vapi | lexicon | ""
  std::optional<int> lead_score;          // 0–100
  std::string lead_tier;                  // hot | warm | cold | ""
  std::optional<double> financial_value;  // USD
  std::string matched_service;            // the service's name at scoring time, ""
  std::string recording_status;           // pending | processing | completed | failed
  std::string transfer_to;                // where the call was transferred, ""
  std::optional<domain::instant> transfer_time;
  std::string transfer_reason;
  std::optional<domain::instant> scored_at;
};

struct call_summary {
  std::string id;
  std::string direction;  // inbound | outbound
  std::string caller;
  std::string dialled;
  std::string state;      // ringing | in-progress | forwarding | ended | reported | scored
  std::string outcome;    // booked | lost | "" (not reported yet)
  std::string ended_reason;
  std::optional<domain::instant> started_at;
  std::optional<domain::instant> ended_at;
  std::optional<double> duration_seconds;
  std::string summary;  // redacted once scored
  domain::instant created_at;
  call_scoring scoring;
};

// Newest first, at most `limit` rows.
std::vector<call_summary> list_calls(pqxx::work& tx, int limit);

// The scoring of one call of the tenant; nullopt when the tenant has no such call.
std::optional<call_scoring> load_call_scoring(pqxx::work& tx, const std::string& call_id);

// ---- contacts -----------------------------------------------------------------------------------

struct contact_view {
  std::string id;
  std::string name;
  std::string phone_number;  // E.164
  std::string email;         // ""
  bool opted_out = false;
  domain::instant created_at;
  domain::instant updated_at;
  std::string campaign_id;   // "" when in no campaign (migration 008)
  std::string lead_status;   // new | contacted | booked | lost
  std::optional<int> lead_score;  // of the latest scored call
  std::string lead_tier;     // hot | warm | cold | "" (never scored)
  std::optional<domain::instant> last_contacted_at;
};

// Only contacts with this tier / status when set ("" = any). Values are validated by the caller.
struct contact_filter {
  std::string lead_tier;
  std::string lead_status;
};

// By name, then phone number; at most `limit`.
std::vector<contact_view> list_contacts(pqxx::work& tx, const contact_filter& filter, int limit);

// Seed 001's lead statistics: every contact, and those of each tier (never-scored contacts count
// in total_leads only).
struct contact_stats {
  long total_leads = 0;
  long hot_leads = 0;
  long warm_leads = 0;
  long cold_leads = 0;
};
contact_stats load_contact_stats(pqxx::work& tx);

// ---- the dashboard summary ----------------------------------------------------------------------

// The calls created in [from, to) (calls.created_at), every direction unless said otherwise.
struct dashboard_summary {
  double pipeline_value = 0;   // sum of financial_value over scored calls (state 'scored')
  long total_calls = 0;
  long inbound_calls = 0;
  long booked_inbound_calls = 0;
  double success_rate = 0;     // booked inbound ÷ inbound × 100, rounded to 0.1; 0 when none
  // mean duration_seconds of the calls that have one, rounded to 0.1 s; 0 when none
  double average_duration_seconds = 0;
  long booked = 0, lost = 0, no_outcome = 0;  // by outcome (no_outcome: not reported yet)
  std::vector<call_summary> recent;           // newest first, at most `recent_limit`
};
dashboard_summary load_dashboard_summary(pqxx::work& tx, domain::instant from, domain::instant to,
                                         int recent_limit);

}  // namespace rm::persistence
