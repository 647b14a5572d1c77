// Issue 9: the write-behind tool log survives a row PostgreSQL refuses. Before, a batch holding
// one such row (arguments with a \u0000 escape: jsonb cannot store it) failed whole and was
// retried whole forever, so no later tool call of any tenant was recorded.
#include <catch2/catch.hpp>

#include "actors/interfaces.hpp"
#include "actors/wiring.hpp"
#include "tests/integration/harness.hpp"

using namespace rm::itest;
namespace p = rm::persistence;

TEST_CASE("a tool log row PostgreSQL refuses is dropped alone and later rows are recorded",
          "[input-limits][tool-log]") {
  harness h;
  const auto first_org = h.create_sample_clinic();
  const std::string second_number = "+14155550143";
  const std::string second_vapi_id = "6c1a7d2f-9b3e-4f40-8d8c-7e2b3f4a5c61";
  const auto second_org = h.create_tenant("Second Smile", second_number, second_vapi_id);
  call_spec first{"log-call-1"};
  call_spec second{"log-call-2", second_number, second_vapi_id};
  for (const auto& c : {first, second})
    REQUIRE(h.vapi(status_update(c, "ringing", 1000)).status == 200);

  auto log = h.service().shared_wiring()->tool_log();
  auto entry = [](const std::string& call, const std::string& id, const std::string& org,
                  const std::string& args) {
    return p::completed_tool_call{call, id, org, "check_availability", args,
                                  p::tool_outcome{"{\"slots\":[]}", false}};
  };
  auto stored = [&](const std::string& id) {
    return h.count("SELECT count(*) FROM tool_invocations WHERE tool_call_id = $1", {id});
  };
  // The bad row and a good one right after it (the same batch, or the next one: the log writes
  // at once when idle and groups what arrives while a batch is being written).
  caf::anon_send(log, rm::actors::log_atom::value,
                 entry(first.call_id, "tc-poison", first_org, R"({"note":"a\u0000b"})"));
  caf::anon_send(log, rm::actors::log_atom::value,
                 entry(first.call_id, "tc-same-batch", first_org, R"({"date":"2026-01-14"})"));
  CHECK(eventually([&] { return stored("tc-same-batch") == 1; }, std::chrono::seconds(10)));
  // A later batch, of another tenant.
  caf::anon_send(log, rm::actors::log_atom::value,
                 entry(second.call_id, "tc-later", second_org, R"({"date":"2026-01-15"})"));
  CHECK(eventually([&] { return stored("tc-later") == 1; }, std::chrono::seconds(10)));
  CHECK(stored("tc-poison") == 0);  // dropped (and logged), not retried forever
}
