// The provider adapters (actors/interfaces.hpp: twilio_actor, vapi_actor) seen from a plain
// thread: one blocking method per typed operation. No CAF in this header (number_service.cpp and
// the HTTP routes include it); the implementation is actors/provider_port.cpp.
//
// Every method sends one typed message to the adapter actor of its provider, which asks the
// provider gate for admission under the tenant's circuit breaker (org_id, provider), runs the
// blocking client call on a detached worker of its own (the client retries inside, see
// adapters/twilio/twilio_client.hpp, adapters/vapi/vapi_client.hpp), reports the outcome to the
// gate (transport, 429, 5xx = failure) and answers with the client's result struct, returned as is.
//
// Errors:
//   provider_unavailable (actors/service.hpp) — the tenant's breaker for that provider is open
//     (or its half-open probe is out): nothing was sent; `retry_after` is the cool-off left.
//   service_error{timeout=true} — no answer within `timeout`. The request may still be running
//     (or may even have been admitted later); it owns copies of everything it uses and its
//     outcome still feeds the breaker, so nothing of the caller's is touched afterwards — but the
//     provider's side is unknown (e.g. a number bought): callers reconcile.
//   service_error{timeout=false} — the adapter or its worker died (actor failure).
//   std::runtime_error — the client threw (a bug, not a provider failure; does not count).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/email/smtp_client.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "adapters/vapi/vapi_client.hpp"

namespace rm::actors {

class service;

// Where and how a provider request goes: the client's constructor arguments, as data (each
// caller keeps its own configuration, e.g. number_service_options' retry policies).
struct twilio_endpoint {
  std::string base_url = "https://api.twilio.com";
  twilio::retry_policy retry{};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // one HTTP attempt
};
struct vapi_endpoint {
  std::string base_url = "https://api.vapi.ai";
  std::string private_key;  // RINGMASTER_VAPI_PRIVATE_KEY ("" → every operation fails, no I/O)
  vapi::retry_policy retry{};
  std::chrono::milliseconds timeout{std::chrono::seconds(15)};  // one HTTP attempt
};

// The mail server (adapters/email/smtp_client.hpp): the deployment's RINGMASTER_SMTP_URL and
// RINGMASTER_SMTP_FROM (service_options::smtp_url / smtp_from; smtp_endpoint_of builds it).
struct smtp_endpoint {
  std::string url;   // "" → every send fails with a sentence naming RINGMASTER_SMTP_URL, no I/O
  std::string from;  // bare address
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};  // one SMTP session
};

// Vapi operations whose arguments are not already one struct.
struct vapi_credential {  // POST /credential (provider twilio)
  std::string account_sid, auth_token, name;
};
struct vapi_assistant {  // POST /assistant with this body
  nlohmann::json body;
};
struct vapi_assistant_changes {  // fetch-merge-patch of /assistant/{id}; update_assistant's patch
  std::string id;
  nlohmann::json changes;
};
struct vapi_tool {  // POST /tool (id "") or PATCH /tool/{id}: a function tool definition
  std::string id;
  nlohmann::json body;
};

// How long a port call waits by default: longer than a Vapi operation's whole retry loop
// (4 attempts × 15 s + 2 + 4 + 8 s of backoff), so a request that started is normally waited for.
inline constexpr std::chrono::milliseconds provider_wait{std::chrono::seconds(90)};

class provider_port {
 public:
  explicit provider_port(service& svc) : svc_(svc) {}

  // ---- Twilio (one message each to the twilio adapter) ----
  twilio::sms_result send_sms(const std::string& org_id, const twilio_endpoint& ep,
                              const twilio::credentials& creds, const twilio::sms_request& req,
                              std::chrono::milliseconds timeout = provider_wait);
  twilio::call_result create_call(const std::string& org_id, const twilio_endpoint& ep,
                                  const twilio::credentials& creds,
                                  const twilio::call_request& req,
                                  std::chrono::milliseconds timeout = provider_wait);
  twilio::caller_id_result create_caller_id(const std::string& org_id, const twilio_endpoint& ep,
                                            const twilio::credentials& creds,
                                            const twilio::caller_id_request& req,
                                            std::chrono::milliseconds timeout = provider_wait);
  twilio::account_result fetch_account(const std::string& org_id, const twilio_endpoint& ep,
                                       const twilio::credentials& creds,
                                       std::chrono::milliseconds timeout = provider_wait);
  twilio::available_result search_available(const std::string& org_id, const twilio_endpoint& ep,
                                            const twilio::credentials& creds,
                                            const twilio::available_search& q,
                                            std::chrono::milliseconds timeout = provider_wait);
  twilio::number_result purchase_number(const std::string& org_id, const twilio_endpoint& ep,
                                        const twilio::credentials& creds,
                                        const twilio::purchase_request& req,
                                        std::chrono::milliseconds timeout = provider_wait);
  // `phone_number` "" = every number of the account.
  twilio::number_list_result list_numbers(const std::string& org_id, const twilio_endpoint& ep,
                                          const twilio::credentials& creds,
                                          const std::string& phone_number,
                                          std::chrono::milliseconds timeout = provider_wait);
  twilio::number_result update_number_urls(const std::string& org_id, const twilio_endpoint& ep,
                                           const twilio::credentials& creds,
                                           const std::string& pn_sid,
                                           const twilio::purchase_request& urls,
                                           std::chrono::milliseconds timeout = provider_wait);
  twilio::message_list_result list_messages(const std::string& org_id,
                                            const twilio_endpoint& ep,
                                            const twilio::credentials& creds,
                                            const twilio::message_query& q,
                                            std::chrono::milliseconds timeout = provider_wait);
  twilio::release_result release_number(const std::string& org_id, const twilio_endpoint& ep,
                                        const twilio::credentials& creds,
                                        const std::string& pn_sid,
                                        std::chrono::milliseconds timeout = provider_wait);

  // ---- E-mail (one message to the e-mail adapter, under the tenant's smtp breaker) ----
  // One plain-text message through the mail server. A delivery failure is a send_result with
  // ok=false (its transient() counts against the breaker); the errors are those above.
  email::send_result send_email(const std::string& org_id, const smtp_endpoint& ep,
                                const email::message& msg,
                                std::chrono::milliseconds timeout = provider_wait);
  // The same with the service's own endpoint (service_options::smtp_url / smtp_from).
  email::send_result send_email(const std::string& org_id, const email::message& msg);

  // ---- Vapi (one message each to the vapi adapter) ----
  vapi::response create_twilio_credential(const std::string& org_id, const vapi_endpoint& ep,
                                          const vapi_credential& c,
                                          std::chrono::milliseconds timeout = provider_wait);
  vapi::response delete_credential(const std::string& org_id, const vapi_endpoint& ep,
                                   const std::string& id,
                                   std::chrono::milliseconds timeout = provider_wait);
  vapi::response import_twilio_number(const std::string& org_id, const vapi_endpoint& ep,
                                      const vapi::phone_number_import& n,
                                      std::chrono::milliseconds timeout = provider_wait);
  vapi::response delete_phone_number(const std::string& org_id, const vapi_endpoint& ep,
                                     const std::string& id,
                                     std::chrono::milliseconds timeout = provider_wait);
  vapi::response create_assistant(const std::string& org_id, const vapi_endpoint& ep,
                                  const vapi_assistant& a,
                                  std::chrono::milliseconds timeout = provider_wait);
  vapi::response get_assistant(const std::string& org_id, const vapi_endpoint& ep,
                               const std::string& id,
                               std::chrono::milliseconds timeout = provider_wait);
  vapi::response merge_assistant(const std::string& org_id, const vapi_endpoint& ep,
                                 const vapi_assistant_changes& c,
                                 std::chrono::milliseconds timeout = provider_wait);
  vapi::response create_call(const std::string& org_id, const vapi_endpoint& ep,
                             const vapi::outbound_call& c,
                             std::chrono::milliseconds timeout = provider_wait);
  // PATCH /assistant/{id} with `c.changes` as given (each top-level key replaces Vapi's value:
  // the caller GOT the assistant and sends `model` whole; adapters/vapi/tool_sync.hpp).
  vapi::response update_assistant(const std::string& org_id, const vapi_endpoint& ep,
                                  const vapi_assistant_changes& c,
                                  std::chrono::milliseconds timeout = provider_wait);
  // The global tools (adapters/vapi/tool_sync.hpp). They belong to the platform account, but
  // each request is counted under the tenant whose agent's sync made it (`org_id`).
  vapi::response list_tools(const std::string& org_id, const vapi_endpoint& ep,
                            std::chrono::milliseconds timeout = provider_wait);     // GET /tool
  vapi::response create_tool(const std::string& org_id, const vapi_endpoint& ep,
                             const vapi_tool& t,                                     // POST /tool
                             std::chrono::milliseconds timeout = provider_wait);
  vapi::response update_tool(const std::string& org_id, const vapi_endpoint& ep,
                             const vapi_tool& t,                              // PATCH /tool/{id}
                             std::chrono::milliseconds timeout = provider_wait);

 private:
  service& svc_;
};

}  // namespace rm::actors
