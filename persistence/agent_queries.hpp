// SQL behind agents, campaigns, the outbound call-back and admin notifications
// (adapters/http/agent_routes.cpp; migration 008).
//
// Tenancy as in tenant_queries.hpp: every function runs in the caller's transaction, which must
// have named its tenant with set_tenant() first; every statement also filters on rm_current_org()
// explicitly, so another tenant's id behaves exactly like an unknown id (nullopt / not_found).
// Malformed UUIDs are unknown ids (no cast error aborts the transaction). Instants are UTC epoch
// seconds (domain::instant). Users are the JWT `sub`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/calendar.hpp"
#include "domain/outbound.hpp"

namespace rm::persistence {

// ---- admin notifications (org_notifications) ----------------------------------------------------

struct notification {
  std::string id;
  std::string kind;      // e.g. "agent.failed"
  std::string severity;  // "info" | "warning" | "error"
  std::string subject_type, subject_id;
  std::string message;
  domain::instant created_at;
  std::optional<domain::instant> read_at;
  std::string read_by;
};

// Records a notification for the tenant's admins (seed 002). `message` must hold no secret.
// Other modules may call it too (e.g. a failed provisioning saga step).
std::string notify_admins(pqxx::work& tx, const std::string& org_id, const std::string& kind,
                          const std::string& severity, const std::string& subject_type,
                          const std::string& subject_id, const std::string& message);
std::vector<notification> list_notifications(pqxx::work& tx, bool unread_only, int limit);
// Marks it read (idempotent: the first reader and time are kept); nullopt when unknown.
std::optional<notification> mark_notification_read(pqxx::work& tx, const std::string& id,
                                                   const std::string& user_id);

// ---- agents -------------------------------------------------------------------------------------

struct agent_row {
  std::string id;
  std::string org_id;
  std::string name;
  std::string language;
  std::string area_code;  // "" = any
  bool provision_phone = true;
  std::string vapi_assistant_id;  // "" until Vapi created it
  std::string phone_number_id;    // "" until a number is linked
  std::string phone_number;       // its E.164, "" when none
  std::string status;             // "creating" | "ready" | "failed"
  std::string failed_step;        // "" | "assistant" | "phone_number"
  std::string error_message;      // "" unless failed
  int attempts = 1;
  std::string created_by;
  domain::instant created_at;
  domain::instant updated_at;
};

struct new_agent {
  std::string name, language, area_code;
  bool provision_phone = true;
};
agent_row insert_agent(pqxx::work& tx, const std::string& org_id, const std::string& user_id,
                       const new_agent& a);
std::optional<agent_row> load_agent(pqxx::work& tx, const std::string& id,
                                    bool for_update = false);
std::vector<agent_row> list_agents(pqxx::work& tx);

// Step results. Each writes one fact; status follows from domain::next_step in the caller.
void agent_assistant_created(pqxx::work& tx, const std::string& id,
                             const std::string& assistant_id);
void agent_number_linked(pqxx::work& tx, const std::string& id,
                         const std::string& phone_number_id);
void agent_ready(pqxx::work& tx, const std::string& id);
// status failed at `step` ("assistant" | "phone_number") with a clear sentence.
void agent_failed(pqxx::work& tx, const std::string& id, const std::string& step,
                  const std::string& message);

// What the number lifecycle (migration 007) holds for an agent: a number it answers (linked into
// Vapi, or bought and still to import), and whether a purchase for it is still open (pending,
// purchased, compensating). A retry consults this before buying, so it never buys twice.
struct agent_number_state {
  std::string linked_id;     // an active number linked to the agent, "" when none
  std::string pending_id;    // an active number bought for it, its Vapi import still to come
  std::string pending_e164;
  bool open_order = false;
};
agent_number_state agent_numbers(pqxx::work& tx, const std::string& agent_id);

enum class retry_outcome { not_found, not_retryable, started };
// A failed agent — or one stuck in "creating" for more than `stale_seconds` (its process died
// mid-step) — goes back to "creating" with attempts + 1; anything else is not retryable.
retry_outcome begin_agent_retry(pqxx::work& tx, const std::string& id, int stale_seconds,
                                agent_row& out);

// The tenant's name (for the assistant's prompt); "" when unknown.
std::string org_name(pqxx::work& tx);
// The tenant's assistant for inbound assistant-request (organizations.assistant_id) is set to
// `assistant_id` when it has none yet; true when it changed.
bool adopt_default_assistant(pqxx::work& tx, const std::string& assistant_id);

// ---- campaigns ----------------------------------------------------------------------------------

struct campaign_number {
  std::string phone_number_id, e164, vapi_phone_number_id;
  bool active = true;
};
struct campaign_row {
  std::string id;
  std::string name;
  std::string description;
  std::string created_by;
  domain::instant created_at;
  std::vector<campaign_number> numbers;
  std::int64_t contact_count = 0;
};

// nullopt when the tenant already has a campaign of that name.
std::optional<campaign_row> create_campaign(pqxx::work& tx, const std::string& org_id,
                                            const std::string& user_id, const std::string& name,
                                            const std::string& description);
std::vector<campaign_row> list_campaigns(pqxx::work& tx);
std::optional<campaign_row> load_campaign(pqxx::work& tx, const std::string& id);

enum class link_outcome {
  campaign_not_found,
  number_not_found,    // not an active number of this tenant
  in_other_campaign,   // already serves another campaign (unlink it there first)
  linked,
  already_linked,
};
link_outcome link_campaign_number(pqxx::work& tx, const std::string& org_id,
                                  const std::string& campaign_id,
                                  const std::string& phone_number_id, const std::string& user_id);
// false when the campaign or the link is unknown.
bool unlink_campaign_number(pqxx::work& tx, const std::string& campaign_id,
                            const std::string& phone_number_id);

struct assign_result {
  bool campaign_found = false;
  int unknown_index = -1;  // index of the first contact id that is not the tenant's (-1: none)
  int assigned = 0;
};
// Puts every contact in the campaign (a contact has one campaign: it moves). All or nothing:
// with an unknown id the caller rolls back.
assign_result assign_contacts(pqxx::work& tx, const std::string& campaign_id,
                              const std::vector<std::string>& contact_ids);
// false when the campaign is unknown or the contact is not in it.
bool unassign_contact(pqxx::work& tx, const std::string& campaign_id,
                      const std::string& contact_id);

// ---- call-back ----------------------------------------------------------------------------------

struct contact_row {
  std::string id, name, phone_e164;
  bool opted_out = false;
  std::string campaign_id;  // "" when none
};
std::optional<contact_row> load_contact(pqxx::work& tx, const std::string& id);

// Who places the tenant's outbound calls: its oldest ready agent, else the tenant's own
// assistant id (organizations.assistant_id, set by the operator) without an agent.
struct outbound_agent {
  std::string agent_id;         // "" when it is the tenant's assistant without an agent
  std::string assistant_id;     // "" when the tenant has none
  std::string phone_number_id;  // the agent's own number, "" when none
};
outbound_agent find_outbound_agent(pqxx::work& tx);

// Active numbers imported into Vapi, oldest first (then by number): of one campaign, or of the tenant outside any
// campaign (the pool); one number by id (active or not: nullopt unless active).
std::vector<domain::caller_candidate> campaign_candidates(pqxx::work& tx,
                                                          const std::string& campaign_id);
std::vector<domain::caller_candidate> pool_candidates(pqxx::work& tx);
std::optional<domain::caller_candidate> number_candidate(pqxx::work& tx,
                                                         const std::string& phone_number_id);

// The round-robin cursor of a scope ("pool" | "campaign:<uuid>"), locked until the transaction
// ends so that concurrent call-backs rotate instead of both taking the same number.
std::uint64_t lock_cursor(pqxx::work& tx, const std::string& org_id, const std::string& scope);
void save_cursor(pqxx::work& tx, const std::string& org_id, const std::string& scope,
                 std::uint64_t position);

// The audit row of a placed call-back (messages, method 'voice', outbound); the call row must
// exist (foreign key).
void record_call_back_audit(pqxx::work& tx, const std::string& org_id,
                            const std::string& contact_id, const std::string& call_id,
                            const std::string& recipient, const std::string& content);

}  // namespace rm::persistence
