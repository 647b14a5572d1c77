// Vapi REST API, the subset ringmaster calls. Blocking (cpp-httplib client); run it only from a
// detached actor (the vapi adapter's workers, actors/provider_adapters.cpp). Source:
// ../shared/contracts/vapi.md §4 (Vapi's OpenAPI document, the web SDK's credential routes).
//
// Requests: `Authorization: Bearer <platform private key>` (RINGMASTER_VAPI_PRIVATE_KEY — one key
// for the deployment, never per tenant), JSON bodies. Create answers 201; get, update and delete
// answer 200. Errors are NestJS-shaped: {"message": "…" | ["…", …], "error": "…", "statusCode": n}.
// 429, 5xx and transport failures are retried with exponential backoff (2 s, 4 s, 8 s by default:
// four attempts in all); other 4xx are not. POST /call is the exception: a 5xx or a lost reply may
// mean the call was placed, and a retry would ring the patient twice, so it retries only 429 and
// connection failures (the request never reached Vapi).
// Without a private key every operation fails at once (http_status 0, a message naming
// RINGMASTER_VAPI_PRIVATE_KEY) without any I/O.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace rm::vapi {

struct vapi_error {
  int http_status = 0;  // 0 = transport failure (connection refused, timeout)
  std::string message;  // Vapi's `message` (an array is joined with "; "), or the transport error
};

// The outcome of one REST operation (after retries).
struct response {
  bool ok = false;
  int http_status = 0;
  nlohmann::json body;  // the parsed 2xx body (object or array); null when empty
  vapi_error error;     // when !ok
  int attempts = 0;     // HTTP attempts made
  // True when the failure says nothing about the request itself (transport, 429, 5xx): the kind
  // of failure a circuit breaker counts.
  bool transient() const {
    return !ok && (error.http_status == 0 || error.http_status == 429 || error.http_status >= 500);
  }
};

struct retry_policy {
  int max_attempts = 4;                          // 1 = no retry
  std::chrono::milliseconds first_backoff{2000};  // doubled after each retry: 2 s, 4 s, 8 s
  std::chrono::milliseconds max_backoff{8000};
};

// The Twilio side of a number imported into Vapi.
struct phone_number_import {
  std::string number;               // E.164
  std::string twilio_account_sid;   // AC…
  std::string twilio_auth_token;    // the tenant's token (Vapi needs it to answer the number)
  std::string assistant_id;         // optional: the agent that answers
  std::string name;                 // optional label
  std::string server_url;           // optional: our /webhooks/vapi URL for this number
};

struct outbound_call {
  std::string assistant_id;
  std::string phone_number_id;  // Vapi id of the number the call is placed from (caller ID)
  std::string customer_number;  // E.164
  std::string customer_name;    // optional
  nlohmann::json variable_values = nlohmann::json::object();  // assistantOverrides.variableValues
};

class client {
 public:
  // base_url: "https://api.vapi.ai" in production; "http://127.0.0.1:PORT" for fakes.
  // `sleeper` is how the client waits between retries (injectable for tests).
  client(std::string base_url, std::string private_key, retry_policy retry = {},
         std::chrono::milliseconds timeout = std::chrono::seconds(15),
         std::function<void(std::chrono::milliseconds)> sleeper = {});

  // POST /credential {"provider":"twilio","accountSid","authToken","name"} → 201 {"id",…}.
  response create_twilio_credential(const std::string& account_sid, const std::string& auth_token,
                                    const std::string& name);
  // DELETE /credential/{id} → 200. A 404 counts as done (already gone).
  response delete_credential(const std::string& id);

  // POST /phone-number {"provider":"twilio","number","twilioAccountSid","twilioAuthToken",
  // "assistantId"?,"name"?,"server":{"url"}?} → 201 {"id","status",…}.
  response import_twilio_number(const phone_number_import& n);
  // DELETE /phone-number/{id} → 200. A 404 counts as done.
  response delete_phone_number(const std::string& id);

  // POST /assistant (body as given) → 201 {"id",…}.
  response create_assistant(const nlohmann::json& assistant);
  // GET /assistant/{id} → 200.
  response get_assistant(const std::string& id);
  // Fetch-merge-patch: GET /assistant/{id}, deep-merge `changes` into it (objects merged key by key,
  // arrays and scalars replaced), then PATCH /assistant/{id} with every top-level key that
  // `changes` touches, taken whole from the merged document — so `model` is always sent complete
  // (messages and toolIds kept), never partially (vapi.md §4).
  response merge_assistant(const std::string& id, const nlohmann::json& changes);

  // PATCH /assistant/{id} with `patch` as given (each top-level key replaces Vapi's whole value:
  // send `model` complete). Callers that did not just GET the assistant use merge_assistant.
  response update_assistant(const std::string& id, const nlohmann::json& patch);

  // Global tools (vapi.md §4 "create tool"): POST /tool (body = a function tool, no id) → 201
  // {"id",…}; PATCH /tool/{id} (the definition's keys but `type`, fixed at creation) → 200;
  // GET /tool → 200, a bare array.
  response create_tool(const nlohmann::json& tool);
  response update_tool(const std::string& id, const nlohmann::json& tool);
  response list_tools();

  // POST /call {"assistantId","phoneNumberId","customer":{"number","name"?},
  // "assistantOverrides":{"variableValues"}?} → 201 {"id","status":"queued",…}.
  response create_call(const outbound_call& c);

  const std::string& base_url() const { return base_url_; }

 private:
  // `retry_ambiguous` false: retry only failures that prove Vapi did nothing (429, no connection).
  response send(const std::string& method, const std::string& path, const nlohmann::json* body,
                bool retry_ambiguous = true);

  std::string base_url_;
  std::string private_key_;
  retry_policy retry_;
  std::chrono::milliseconds timeout_;
  std::function<void(std::chrono::milliseconds)> sleeper_;
};

// The JSON deep merge used by merge_assistant (exposed for tests): objects merged recursively,
// everything else replaced by `patch`'s value; a null in `patch` removes the key.
nlohmann::json deep_merge(nlohmann::json base, const nlohmann::json& patch);

}  // namespace rm::vapi
