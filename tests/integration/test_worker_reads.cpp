// Issue 13 §2/§4: check_availability (Vapi and legacy) is answered on the HTTP worker from the
// tenant actor's published calendar snapshot. What must hold end to end: the tenant publishes
// once it has loaded; a read answered that way is still recorded exactly once (write-behind, with
// the call's row) and a retry adds no row; a hold placed by one call is not offered to the next
// read; the legacy check answers from the same snapshot.
#include <catch2/catch.hpp>

#include "actors/wiring.hpp"
#include "tests/integration/harness.hpp"

using namespace rm::itest;

namespace {

bool offered(const json& result, const std::string& slot_prefix) {
  auto r = json::parse(result["result"].get<std::string>());
  for (const auto& s : r["slots"])
    if (s.get<std::string>().rfind(slot_prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("checks answered from the published calendar are recorded once and see a new hold",
          "[worker-reads]") {
  harness h;
  const auto org = h.create_sample_clinic();
  const auto date = future_weekday(2);
  auto board = h.service().shared_wiring()->calendars;
  auto check = [&](const call_spec& call, const std::string& id) {
    auto r = only_result(h.vapi(tool_calls(call, {{id, "check_availability", {{"date", date}}}})));
    INFO(r.dump());
    REQUIRE(r.contains("result"));
    return r;
  };
  // The first read of the tenant goes to its actor, which loads and publishes.
  check(call_spec{"reads-warm"}, "warm-1");
  REQUIRE(eventually([&] { return board->find(org) != nullptr; }));

  // A fresh call whose first message is a read answered by the worker: its row and the read's
  // record are written behind; the retry of the same toolCallId gets the same answer.
  call_spec fresh{"reads-fresh"};
  auto first = check(fresh, "fresh-1");
  CHECK(offered(first, date + "T10:00"));
  auto rows = [&](const std::string& id) {
    return h.count("SELECT count(*) FROM tool_invocations WHERE tool_call_id = $1", {id});
  };
  CHECK(eventually([&] { return rows("fresh-1") == 1; }));
  CHECK(h.count("SELECT count(*) FROM calls WHERE id = $1", {fresh.call_id}) == 1);
  auto again = check(fresh, "fresh-1");
  CHECK(again["result"] == first["result"]);
  CHECK(rows("fresh-1") == 1);

  // A hold by this call: the next read (on the worker) does not offer it.
  auto held = only_result(
      h.vapi(tool_calls(fresh, {{"hold-1", "reserve_slot", {{"start", date + "T10:00"}}}})));
  INFO(held.dump());
  REQUIRE(held.contains("result"));
  CHECK_FALSE(offered(check(fresh, "fresh-2"), date + "T10:00"));
  CHECK(offered(check(fresh, "fresh-3"), date + "T14:00"));

  // The legacy check reads the same snapshot.
  auto legacy = h.post("/api/vapi/tools/calendar/check",
                       {{"toolCall",
                         {{"id", "legacy-1"},
                          {"arguments", {{"date", date}, {"tenantId", org}}}}}});
  INFO(legacy.text);
  REQUIRE(legacy.status == 200);
  auto content = json::parse(legacy.body["toolResult"]["content"].get<std::string>());
  CHECK(content["success"] == true);
  bool ten = false;
  for (const auto& s : content["slots"]) ten = ten || s.get<std::string>().rfind(date + "T10:00", 0) == 0;
  CHECK_FALSE(ten);
  CHECK(rows("legacy-1") == 0);  // a pure read: nothing stored
}
