// SQL behind the Twilio webhooks (adapters/http/twilio_routes.cpp) and the SMS opt-out check of
// send_sms (actors/call.cpp). Same conventions as repositories.hpp: each function runs in the
// caller's transaction and throws pqxx exceptions on database errors; every function except
// number_owner needs persistence::set_tenant first (row-level security).
// Schema: persistence/migrations/004_twilio_webhooks.sql.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "persistence/records.hpp"

namespace rm::persistence {

// The tenant owning a dialled number (E.164): the active row, else the most recently deactivated
// one (SECURITY DEFINER rm_number_owner; works before any set_tenant).
struct number_owner {
  std::string org_id;
  bool active = false;
};
std::optional<number_owner> find_number_owner(pqxx::work& tx, const std::string& e164);

// Where the voice webhook sends a tenant's callers. Empty strings mean "not set".
struct voice_destinations {
  std::string agent_sip_uri;    // "sip:…" / "sips:…" (e.g. the agent's Vapi SIP address)
  std::string fallback_number;  // E.164 of the front desk
};
voice_destinations load_voice_destinations(pqxx::work& tx, const std::string& org_id);
void save_voice_destinations(pqxx::work& tx, const std::string& org_id,
                             const voice_destinations& d);

// The call whose provider_call_sid is `call_sid` (a Vapi call carries Twilio's CallSid), if any;
// the oldest wins when several do.
std::optional<std::string> call_id_by_provider_sid(pqxx::work& tx, const std::string& call_sid);
// Twilio's CallDuration (seconds) for a call whose duration is not yet known; a Vapi end-of-call
// report that comes later still replaces it.
void record_call_duration(pqxx::work& tx, const std::string& call_id, double seconds);

// Stores an inbound message (m.direction must be "inbound") unless a row with the same
// (org_id, external_message_id) exists. Returns true when this call inserted it.
bool insert_inbound_message(pqxx::work& tx, const message_row& m);

// Sets a contact's SMS opt-out (replied STOP / START).
void set_contact_opt_out(pqxx::work& tx, const std::string& contact_id, bool opted_out);
// True when the tenant's contact with this phone number has opted out of SMS; false when there
// is no such contact.
bool contact_opted_out(pqxx::work& tx, const std::string& org_id, const std::string& e164);

}  // namespace rm::persistence
