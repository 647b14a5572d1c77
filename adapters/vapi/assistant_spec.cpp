#include "adapters/vapi/assistant_spec.hpp"

#include "domain/sms_policy.hpp"

namespace rm::vapi {

namespace {

using nlohmann::json;

json function_tool(const char* name, const std::string& description, json properties,
                   json required) {
  return {{"type", "function"},
          {"async", false},
          {"function",
           {{"name", name},
            {"description", description},
            {"parameters",
             {{"type", "object"}, {"properties", std::move(properties)},
              {"required", std::move(required)}}}}}};
}

json tools(int sms_per_call) {
  return json::array(
      {function_tool("check_availability",
                     "List the free appointment start times of the clinic on one date "
                     "(the clinic's local date).",
                     {{"date", {{"type", "string"}, {"description", "YYYY-MM-DD"}}}},
                     json::array({"date"})),
       function_tool("reserve_slot",
                     "Hold one free start time for a few minutes while the caller confirms.",
                     {{"start",
                       {{"type", "string"},
                        {"description",
                         "ISO 8601 start time, e.g. 2026-11-25T10:00 (clinic wall time)"}}}},
                     json::array({"start"})),
       function_tool("book_appointment",
                     "Book the held slot (hold_id) or a start time for the caller.",
                     {{"name", {{"type", "string"}, {"description", "the patient's name"}}},
                      {"hold_id", {{"type", "string"}, {"description", "from reserve_slot"}}},
                      {"start", {{"type", "string"}, {"description", "ISO 8601 start time"}}}},
                     json::array({"name"})),
       // No `to`: the tool texts only the caller (domain/sms_policy.hpp; a `to` that is the
       // caller's own number is still accepted from older assistants).
       function_tool("send_sms", domain::sms_tool_description(sms_per_call),
                     {{"message", {{"type", "string"}, {"description", "at most 1600 characters"}}}},
                     json::array({"message"})),
       function_tool("search_knowledge_base",
                     "Search the clinic's own documents (FAQ, policies, prices, services, "
                     "opening hours, directions, insurance, preparation and aftercare) for what "
                     "the caller asks about the clinic, before you answer such a question. "
                     "Answer only from the passages returned; if none answers, say you do not "
                     "know and offer a call back.",
                     {{"query",
                       {{"type", "string"},
                        {"description",
                         "the caller's question in a few words, e.g. \"do you take walk-ins\""}}}},
                     json::array({"query"}))});
}

json server_of(const assistant_spec& s) {
  json server{{"url", s.server_url}};
  if (!s.server_headers.empty()) server["headers"] = s.server_headers;
  return server;
}

std::string short_name(const std::string& name) {
  if (name.size() <= 40) return name;
  std::string out = name.substr(0, 40);
  // Do not cut a UTF-8 sequence in half.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
  return out;
}

json transcriber(const std::string& language) {
  return {{"provider", "deepgram"}, {"model", "nova-2"}, {"language", language}};
}

}  // namespace

nlohmann::json tool_definitions(int sms_per_call) { return tools(sms_per_call); }

std::string caller_memory_block() {
  // Vapi renders the prompt as a LiquidJS template (docs.vapi.ai/assistants/dynamic-variables):
  // {{callerContext}} is replaced by the variableValues of the assistant-request reply, and by
  // nothing when the reply has none (an unknown caller), leaving the lead-in alone, which reads
  // as "nothing known".
  return "\n\nWhat the clinic knows about this caller from earlier calls (blank for a new "
         "caller): {{callerContext}}";
}

const char* const* tool_names() {
  static const char* const names[] = {"check_availability", "reserve_slot", "book_appointment",
                                      "send_sms", "search_knowledge_base", nullptr};
  return names;
}

std::string system_prompt(const std::string& clinic_name, const std::string& language) {
  return "You are the phone receptionist of " + clinic_name +
         ". Speak in the language of the tag " + language +
         " unless the caller prefers another. Help callers book appointments: use "
         "check_availability to find free times, reserve_slot to hold the time the caller "
         "chooses, and book_appointment with the caller's name to confirm it; offer to text a "
         "confirmation with send_sms. For questions about the clinic (hours, walk-ins, prices, "
         "insurance, parking, policies) use search_knowledge_base and answer from what it "
         "returns. Never invent free times, prices or medical advice; if you "
         "cannot help, offer that the clinic calls back." +
         caller_memory_block();
}

json assistant_body(const assistant_spec& s) {
  return {{"name", short_name(s.agent_name)},
          {"firstMessageMode", "assistant-speaks-first-with-model-generated-message"},
          {"model",
           {{"provider", "openai"},
            {"model", "gpt-4o"},
            {"messages",
             json::array({{{"role", "system"},
                           {"content", system_prompt(s.clinic_name, s.language)}}})},
            {"tools", tools(s.sms_per_call)}}},
          {"transcriber", transcriber(s.language)},
          {"server", server_of(s)},
          {"serverMessages",
           json::array({"status-update", "end-of-call-report", "tool-calls", "hang"})},
          {"metadata", {{"ringmaster_org_id", s.org_id}, {"ringmaster_agent_id", s.agent_id}}}};
}

json assistant_changes(const assistant_spec& s) {
  return {{"name", short_name(s.agent_name)},
          {"transcriber", transcriber(s.language)},
          {"model",
           {{"messages",
             json::array({{{"role", "system"},
                           {"content", system_prompt(s.clinic_name, s.language)}}})}}}};
}

}  // namespace rm::vapi
