// The assistant definition's caller-memory paragraph (adapters/vapi/assistant_spec.hpp).
#include <catch2/catch.hpp>

#include "adapters/vapi/assistant_spec.hpp"

using namespace rm::vapi;

TEST_CASE("the system prompt ends with the caller-memory placeholder", "[vapi]") {
  const auto prompt = system_prompt("Harbor Dental", "en-US");
  const std::string block = caller_memory_block();
  CHECK(block.find("{{callerContext}}") != std::string::npos);
  REQUIRE(prompt.size() > block.size());
  CHECK(prompt.compare(prompt.size() - block.size(), block.size(), block) == 0);
  // Exactly one placeholder, and only the one the assistant-request reply fills.
  CHECK(prompt.find("{{") == prompt.rfind("{{"));
  CHECK(prompt.find("{%") == std::string::npos);

  assistant_spec s;
  s.agent_name = "Front Desk";
  s.clinic_name = "Harbor Dental";
  s.language = "en-US";
  s.server_url = "https://rm.test/webhooks/vapi";
  CHECK(assistant_body(s)["model"]["messages"][0]["content"] == prompt);
  // An agent update sends the prompt again, so older assistants gain the paragraph.
  CHECK(assistant_changes(s)["model"]["messages"][0]["content"] == prompt);
}
