// The Vapi assistant ringmaster creates for an agent (POST /assistant body, Vapi's
// CreateAssistantDTO; ../shared/contracts/vapi.md §1 "serverMessages", §4). Pure JSON building.
//
// The assistant sends its server messages to our /webhooks/vapi (assistant.server.url) and
// carries the five tools that webhook implements (docs/api.md "Tools"): check_availability,
// reserve_slot, book_appointment, send_sms, search_knowledge_base — inline function tools, so no per-tenant tool
// registration exists to drift. `serverMessages` is always sent explicitly (Vapi changelog
// 2025-05-01) and lists exactly the types /webhooks/vapi records or answers.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace rm::vapi {

struct assistant_spec {
  std::string agent_name;   // shown in Vapi's dashboard (cut to 40 characters, Vapi's limit)
  std::string clinic_name;  // named in the system prompt
  std::string language;     // BCP 47 (domain::canonical_language): transcriber + prompt
  std::string server_url;   // <RINGMASTER_PUBLIC_URL>/webhooks/vapi
  // Static headers Vapi adds to every server message (e.g. X-Vapi-Secret), so our webhook
  // authentication (docs/security.md) accepts them. Empty when none is configured.
  std::map<std::string, std::string> server_headers;
  std::string org_id, agent_id;  // metadata, for support
  // RINGMASTER_SMS_PER_CALL: named in send_sms's description ("texts only the caller, at most N
  // per call"; domain/sms_tool_description).
  int sms_per_call = 3;
};

// The five tool names, in the order they are declared on the assistant.
const char* const* tool_names();  // null-terminated

// The function tools the assistant uses, as an array of Vapi function-tool objects
// ({"type":"function","async":false,"function":{name,description,parameters}}). The same objects
// are the bodies of the global tools registered once per deployment (tool_sync.hpp): they carry no
// `server`, so Vapi sends their tool-calls to the calling assistant's server.url (vapi.md §1).
nlohmann::json tool_definitions(int sms_per_call);

// POST /assistant body.
nlohmann::json assistant_body(const assistant_spec& s);

// The changes to send through fetch-merge-patch (client::merge_assistant) when an agent's name,
// language or clinic changed: name, transcriber language, model.messages (the system prompt).
// model's other keys (provider, tools, toolIds) are kept by the merge.
nlohmann::json assistant_changes(const assistant_spec& s);

// The system prompt naming the clinic (exposed for tests). It ends with caller_memory_block().
std::string system_prompt(const std::string& clinic_name, const std::string& language);

// The prompt's caller-memory paragraph: a lead-in and the {{callerContext}} placeholder that the
// assistant-request reply fills for a returning caller (domain/caller_memory.hpp); for an unknown
// caller the placeholder renders empty. Assistants created before this paragraph existed get it
// with their next update (assistant_changes sends the whole prompt).
std::string caller_memory_block();

}  // namespace rm::vapi
