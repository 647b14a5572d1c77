// Pure rules of agents and outbound calls (issue 4 §3 agents, §5 call-back): input checks of an
// agent, the steps an agent's creation still needs, and the caller-ID choice of a call-back.
// No I/O: the repositories read the candidates and the persisted cursors, these functions decide.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rm::domain {

// ---- agent input --------------------------------------------------------------------------------

// A BCP 47 language tag of the form the voice stack understands: language (2–3 letters),
// optional script (4 letters), optional region (2 letters or 3 digits), e.g. "en", "en-US",
// "es-419", "zh-Hant-TW". Case-insensitive on input; returns the canonical casing ("en-US",
// "zh-Hant-TW"), or nullopt when the text is not such a tag (extensions and private-use subtags
// are refused: the transcriber would not know them).
std::optional<std::string> canonical_language(const std::string& tag);

// A North American area code for buying a local number: three digits, the first 2–9 (NANP).
bool valid_area_code(const std::string& area_code);

// ---- agent creation steps -----------------------------------------------------------------------

// What an agent's creation still has to do, given what it already has. Creation is: the Vapi
// assistant, then (when provision_phone) a number linked to it. A retry after a failure resumes
// here, so a step that succeeded is never repeated (no second assistant, no second number).
struct agent_progress {
  bool has_assistant = false;
  bool provision_phone = true;
  bool has_number = false;
};
enum class agent_step { create_assistant, provision_number, done };
agent_step next_step(const agent_progress& p);
const char* to_string(agent_step s);  // "assistant", "phone_number", "done"

// ---- caller ID of a call-back -------------------------------------------------------------------

// A number the tenant can call from: active and imported into Vapi (POST /call needs its Vapi
// phone-number id). Candidates are given in a stable order (oldest first, then by number), so
// that a cursor position means the same number across requests and restarts.
struct caller_candidate {
  std::string phone_number_id;       // our phone_numbers.id
  std::string e164;
  std::string vapi_phone_number_id;  // never empty for a candidate
};

enum class caller_id_source {
  campaign,     // a number linked to the contact's campaign (round-robin within it)
  round_robin,  // the tenant's pool: active numbers not reserved by any campaign
  fallback,     // the tenant's default: the number of the agent placing the call
};
const char* to_string(caller_id_source s);  // "campaign", "round_robin", "default"

struct caller_id_input {
  std::vector<caller_candidate> campaign_numbers;  // empty when the contact has no campaign
  std::uint64_t campaign_cursor = 0;               // choices made so far in that campaign
  std::vector<caller_candidate> pool;              // tenant's numbers outside campaigns
  std::uint64_t pool_cursor = 0;                   // choices made so far in the pool
  std::optional<caller_candidate> default_number;  // the agent's own number, when it has one
};

struct caller_id_choice {
  caller_candidate number;
  caller_id_source source = caller_id_source::round_robin;
  // The cursor to persist for the scope that was used (campaign or pool): old position + 1.
  // Unchanged for the default, which has no rotation.
  std::uint64_t next_cursor = 0;
};

// The caller ID, in this order: the contact's campaign's numbers (rotating by campaign_cursor),
// else the pool (rotating by pool_cursor), else the default; nullopt when there is none.
// Rotation: candidate[cursor % size], so a number added or removed shifts the rotation but never
// stops it. Candidates without a Vapi phone-number id are skipped (they cannot place a call).
std::optional<caller_id_choice> choose_caller_id(const caller_id_input& in);

}  // namespace rm::domain
