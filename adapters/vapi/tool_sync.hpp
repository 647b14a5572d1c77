// Global Vapi tools (issue 12 §4; seed 001 §4 "Vapi tool registration automation", §11 mistakes
// 2–4, §12): each tool definition is registered ONCE for the platform key (POST /tool), not once
// per tenant or per assistant, and every tenant's assistants link the same tool ids through
// `model.toolIds`. Blocking; run it only from a detached worker (the tools sync actor's,
// actors/tools_sync.hpp, whose tool_api goes through the vapi adapter actor and the tenant's
// breaker) or the `sync-tools` CLI (a plain vapi::client, client_tool_api).
//
// Versioning: a definition's version is the SHA-256 (OpenSSL) of its canonical JSON, lower-case
// hex. Canonical = nlohmann::json::dump() without indentation: nlohmann keeps object keys sorted
// (std::map), numbers and strings are printed one way, so equal definitions hash equally. A
// definition whose hash differs from the recorded one is updated once (PATCH /tool/{id}) and the
// new hash recorded; assistants need no change (they link the id, not the definition).
//
// The definitions are vapi::tool_definitions() (assistant_spec.hpp): adding a tool there adds it
// here with no other change. They carry no `server`: Vapi sends a tool's tool-calls to the calling
// assistant's server.url (vapi.md §1), which names the tenant's webhook and secret headers — that
// is what lets one registered tool serve every tenant.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/vapi/vapi_client.hpp"

namespace rm::vapi {

// The Vapi requests a sync makes (vapi_client.hpp documents each: shapes, status codes, errors).
// Each answers a vapi::response; a refusal before any I/O (e.g. an open circuit breaker) is a
// response with http_status 0 and a sentence, so it counts as transient.
class tool_api {
 public:
  virtual ~tool_api() = default;
  virtual response list_tools() = 0;                                   // GET /tool
  virtual response create_tool(const nlohmann::json& tool) = 0;        // POST /tool
  virtual response update_tool(const std::string& id, const nlohmann::json& tool) = 0;
  virtual response get_assistant(const std::string& id) = 0;           // GET /assistant/{id}
  virtual response update_assistant(const std::string& id,             // PATCH /assistant/{id}
                                    const nlohmann::json& patch) = 0;
};

// tool_api straight over a client (the CLI, tests).
class client_tool_api final : public tool_api {
 public:
  explicit client_tool_api(client& c) : c_(c) {}
  response list_tools() override { return c_.list_tools(); }
  response create_tool(const nlohmann::json& tool) override { return c_.create_tool(tool); }
  response update_tool(const std::string& id, const nlohmann::json& tool) override {
    return c_.update_tool(id, tool);
  }
  response get_assistant(const std::string& id) override { return c_.get_assistant(id); }
  response update_assistant(const std::string& id, const nlohmann::json& patch) override {
    return c_.update_assistant(id, patch);
  }

 private:
  client& c_;
};

struct tool_definition {
  std::string name;     // function.name (check_availability, …)
  nlohmann::json body;  // the POST /tool body
  std::string hash;     // definition_hash(body)
};

// SHA-256 of body.dump(), 64 lower-case hex digits.
std::string definition_hash(const nlohmann::json& body);

// The global definitions, in declaration order, from tool_definitions(sms_per_call).
std::vector<tool_definition> global_tool_definitions(int sms_per_call);

// One registration of the platform account (PostgreSQL `vapi_tools` in the service).
struct registered_tool {
  std::string tool_name;
  std::string vapi_tool_id;
  std::string definition_hash;
};

// Where registrations are kept. Implementations must be safe to call from one thread at a time
// per registration run (the sync actor runs one at a time).
class tool_registry_store {
 public:
  virtual ~tool_registry_store() = default;
  virtual std::optional<registered_tool> find(const std::string& tool_name) = 0;
  virtual void save(const registered_tool& tool) = 0;  // insert or replace by tool_name
};

// In memory (tests, and the CLI's dry runs).
class memory_tool_store final : public tool_registry_store {
 public:
  std::optional<registered_tool> find(const std::string& tool_name) override;
  void save(const registered_tool& tool) override;
  std::vector<registered_tool> all() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, registered_tool> tools_;
};

enum class tool_action { unchanged, created, adopted, updated };
const char* to_string(tool_action a);

struct tool_outcome {
  std::string tool_name;
  std::string vapi_tool_id;
  tool_action action = tool_action::unchanged;
};

struct registration_result {
  bool ok = false;
  std::vector<tool_outcome> tools;  // one per definition, in order (up to the failure)
  std::string failed_tool;          // when !ok
  response failure;                 // when !ok: the failed Vapi response
  std::map<std::string, std::string> ids() const;  // tool_name → vapi_tool_id
};

// Makes every definition registered at its current hash: unchanged when the recorded hash matches;
// PATCH /tool/{id} when it differs; POST /tool when nothing is recorded. Before creating, GET /tool
// is read once and a platform tool with the same function.name is adopted (PATCHed if its
// definition differs), so a crash between POST and save never leaves a duplicate. A recorded id
// Vapi no longer knows (404 on PATCH) is registered again. Stops at the first failure.
registration_result ensure_registered(tool_api& vapi, tool_registry_store& store,
                                      const std::vector<tool_definition>& definitions);
inline registration_result ensure_registered(client& vapi, tool_registry_store& store,
                                             const std::vector<tool_definition>& definitions) {
  client_tool_api api{vapi};
  return ensure_registered(api, store, definitions);
}

// The assistant's `model` with our tools linked: `tool_ids` (name → id) merged into
// model.toolIds (the clinic's other ids kept, order kept, no duplicates) and inline model.tools
// entries with one of our names removed (the clinic's other inline tools kept). Null when the
// assistant is already linked (nothing to PATCH).
nlohmann::json linked_model(const nlohmann::json& assistant,
                            const std::map<std::string, std::string>& tool_ids);

struct link_result {
  bool ok = false;
  bool changed = false;  // a PATCH was sent
  response failure;      // when !ok
};

// Fetch-merge-patch: GET /assistant/{id}, linked_model, PATCH {"model": <complete model>} only
// when it changed. Every other assistant setting is untouched (only `model` is sent).
link_result link_tools(tool_api& vapi, const std::string& assistant_id,
                       const std::map<std::string, std::string>& tool_ids);
inline link_result link_tools(client& vapi, const std::string& assistant_id,
                              const std::map<std::string, std::string>& tool_ids) {
  client_tool_api api{vapi};
  return link_tools(api, assistant_id, tool_ids);
}

// One assistant's whole sync, as the sync actor and `ringmaster sync-tools` run it:
// ensure_registered, then link_tools. `reason` says which step failed and Vapi's message;
// `transient` (transport, 429, 5xx) means a later attempt may succeed.
struct assistant_sync {
  bool synced = false;
  bool transient = false;
  std::string reason;               // when !synced
  std::vector<tool_outcome> tools;  // registration outcomes
  bool assistant_changed = false;   // the assistant was PATCHed
};
assistant_sync sync_assistant_tools(tool_api& vapi, tool_registry_store& store,
                                    const std::vector<tool_definition>& definitions,
                                    const std::string& assistant_id);
inline assistant_sync sync_assistant_tools(client& vapi, tool_registry_store& store,
                                           const std::vector<tool_definition>& definitions,
                                           const std::string& assistant_id) {
  client_tool_api api{vapi};
  return sync_assistant_tools(api, store, definitions, assistant_id);
}

}  // namespace rm::vapi
