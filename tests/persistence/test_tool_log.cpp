// The write-behind log of read-only tool results: one statement per batch, first result wins.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_call;
using rm::persistence::test::make_tenant;

namespace {

// Clinic A (+14155550100) and clinic B (+14155550101), committed, each with the calls named.
std::pair<std::string, std::string> two_clinics(pqxx::connection& c,
                                                const std::vector<std::string>& calls_of_a,
                                                const std::vector<std::string>& calls_of_b) {
  pqxx::work tx{c};
  auto a = make_tenant(tx, "Clinic A", "+14155550100");
  auto b = make_tenant(tx, "Clinic B", "+14155550101");
  for (const auto& id : calls_of_a) make_call(tx, id, a);
  for (const auto& id : calls_of_b) make_call(tx, id, b);
  tx.commit();
  return {a, b};
}

}  // namespace

TEST_CASE("a batch of completed tool calls is stored verbatim, whatever their text holds") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  auto org = make_tenant(tx, "Clinic A", "+14155550100");
  make_call(tx, "call-1", org);
  const std::string tricky = R"({"slots":["a,b"],"q":"say \"hi\" \\ {x}","u":"café ☎"})";
  insert_completed_tool_calls(
      tx, {{"call-1", "t1", org, "check_availability", R"({"date":"2030-01-15"})",
            {tricky, false}},
           {"call-1", "t2", org, "check_availability", "", {"argument 'date' is required", true}}});
  auto stored = completed_tool_calls_of(tx, "call-1");
  REQUIRE(stored.size() == 2);
  for (const auto& [id, outcome] : stored) {
    if (id == "t1") {
      CHECK(outcome.result == tricky);
      CHECK_FALSE(outcome.is_error);
    } else {
      CHECK(id == "t2");
      CHECK(outcome.is_error);
    }
  }
}

TEST_CASE("a tool call already stored keeps its first result when logged again") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  auto org = make_tenant(tx, "Clinic A", "+14155550100");
  make_call(tx, "call-1", org);
  insert_completed_tool_calls(tx, {{"call-1", "t1", org, "check_availability", "{}", {"first", false}}});
  insert_completed_tool_calls(tx, {{"call-1", "t1", org, "check_availability", "{}", {"second", false}}});
  auto stored = completed_tool_calls_of(tx, "call-1");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].second.result == "first");
}

TEST_CASE("one batch stores the tool results of several tenants under the runtime role") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  auto [a, b] = two_clinics(c, {"call-a"}, {"call-b"});
  pqxx::work tx{c};
  tx.exec0("SET LOCAL ROLE ringmaster_app");  // row-level security applies; no tenant is named
  insert_completed_tool_calls(tx, {{"call-a", "t1", a, "check_availability", "{}", {"A", false}},
                                   {"call-b", "t1", b, "check_availability", "{}", {"B", false}}});
  tx.exec0("RESET ROLE");
  CHECK(completed_tool_calls_of(tx, "call-a").at(0).second.result == "A");
  CHECK(completed_tool_calls_of(tx, "call-b").at(0).second.result == "B");
}

TEST_CASE("a logged tool result naming another org than its call's is refused alone") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  auto a = make_tenant(tx, "Clinic A", "+14155550100");
  auto b = make_tenant(tx, "Clinic B", "+14155550101");
  make_call(tx, "call-a", a);
  make_call(tx, "call-b", b);
  auto refused = insert_completed_tool_calls(
      tx, {{"call-b", "t1", b, "check_availability", "{}", {"B", false}},
           {"call-a", "t1", b, "check_availability", "{}", {"B on A's call", false}}});
  CHECK(refused == std::vector<std::size_t>{1});
  CHECK(completed_tool_calls_of(tx, "call-a").empty());
  REQUIRE(completed_tool_calls_of(tx, "call-b").size() == 1);
}

TEST_CASE("a logged tool result whose call does not exist fails the statement") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  auto a = make_tenant(tx, "Clinic A", "+14155550100");
  CHECK_THROWS_AS(insert_completed_tool_calls(
                      tx, {{"call-nowhere", "t1", a, "check_availability", "{}", {"A", false}}}),
                  pqxx::sql_error);
}

TEST_CASE("the tool log inserts the row of a call first seen through its reads, and leaves a "
          "stored call as it is") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  auto [a, b] = two_clinics(c, {"call-of-a"}, {});
  pqxx::work tx{c};
  tx.exec0("SET LOCAL ROLE ringmaster_app");  // row-level security applies; no tenant is named
  // A new call of B with its first two reads; B claiming A's stored call with a read of its own.
  call_identity fresh{"call-new", b, "inbound", "+14155550177", "+14155550101", ""};
  call_identity claim{"call-of-a", b, "inbound", "+14155550188", "+14155550101", "CAx"};
  auto refused = insert_completed_tool_calls(
      tx,
      {{"call-new", "t1", b, "check_availability", R"({"date":"2030-01-15"})", {"B1", false}},
       {"call-new", "t2", b, "check_availability", "{}", {"B2", false}},
       {"call-of-a", "t9", b, "check_availability", "{}", {"B on A's call", false}}},
      {fresh, claim, fresh});
  CHECK(refused == std::vector<std::size_t>{2});
  tx.exec0("RESET ROLE");
  auto row = tx.exec_params1(
      "SELECT org_id::text, direction, caller, dialled, provider_call_sid IS NULL, state"
      " FROM calls WHERE id = $1",
      "call-new");
  CHECK(row[0].as<std::string>() == b);
  CHECK(row[1].as<std::string>() == "inbound");
  CHECK(row[2].as<std::string>() == "+14155550177");
  CHECK(row[3].as<std::string>() == "+14155550101");
  CHECK(row[4].as<bool>());
  CHECK(row[5].as<std::string>() == "ringing");
  CHECK(completed_tool_calls_of(tx, "call-new").size() == 2);
  // A's call keeps its org and caller, and gets nothing of B's.
  auto kept = tx.exec_params1("SELECT org_id::text, caller FROM calls WHERE id = $1", "call-of-a");
  CHECK(kept[0].as<std::string>() == a);
  CHECK(kept[1].as<std::string>() == "+14155550123");
  CHECK(completed_tool_calls_of(tx, "call-of-a").empty());
}
