// The tool log's database step (actors/tool_log_writer.hpp) against PostgreSQL: a batch goes in
// as new rows (rm_log_new_tool_calls, migration 022); a row stored already makes it go in again
// skipping such rows, never row by row, and every stored result stays the first one.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "actors/tool_log_writer.hpp"
#include "persistence/tool_log_queries.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_call;
using rm::persistence::test::make_tenant;

namespace {

completed_tool_call read(const std::string& call, const std::string& id, const std::string& org,
                         const std::string& result) {
  return {call, id, org, "check_availability", R"({"date":"2030-01-15"})", {result, false}};
}

std::string result_of(pqxx::connection& c, const std::string& call, const std::string& id) {
  pqxx::work tx{c};
  auto r = tx.exec_params("SELECT result FROM tool_invocations WHERE call_id = $1 AND"
                          " tool_call_id = $2",
                          call, id);
  return r.empty() ? "(none)" : r[0][0].as<std::string>();
}

}  // namespace

TEST_CASE("new tool rows: stored in one statement, a stored one fails it whole",
          "[tool-log-writer]") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  std::string a, b;
  {
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    b = make_tenant(tx, "Clinic B", "+14155550101");
    make_call(tx, "call-a", a);
    tx.commit();
  }
  {
    pqxx::work tx{c};
    tx.exec0("SET LOCAL ROLE ringmaster_app");  // row-level security applies; no tenant named
    call_identity fresh{"call-b", b, "inbound", "+14155550177", "+14155550101", ""};
    auto refused = insert_new_tool_calls(
        tx, {read("call-a", "t1", a, "A1"), read("call-b", "t1", b, "B1"),
             read("call-a", "t2", b, "B on A's call")},
        {fresh});
    CHECK(refused == std::vector<std::size_t>{2});
    tx.commit();
  }
  CHECK(result_of(c, "call-a", "t1") == "A1");
  CHECK(result_of(c, "call-b", "t1") == "B1");
  CHECK(result_of(c, "call-a", "t2") == "(none)");
  {
    pqxx::work tx{c};
    tx.exec0("SET LOCAL ROLE ringmaster_app");
    CHECK_THROWS_AS(insert_new_tool_calls(
                        tx, {read("call-a", "t3", a, "A3"), read("call-a", "t1", a, "A1 again")},
                        {}),
                    pqxx::unique_violation);
  }
  CHECK(result_of(c, "call-a", "t3") == "(none)");  // nothing of the failed batch
  CHECK(result_of(c, "call-a", "t1") == "A1");
}

TEST_CASE("the tool log's batch with a row stored already stores the rest, keeping the first "
          "result",
          "[tool-log-writer]") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  std::string a;
  {
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    make_call(tx, "call-a", a);
    insert_completed_tool_calls(tx, {read("call-a", "t1", a, "first")});
    tx.commit();
  }
  call_identity fresh{"call-new", a, "inbound", "+14155550177", "+14155550100", ""};
  auto written = rm::calls::write_tool_log(
      c,
      {read("call-a", "t1", a, "second"), read("call-a", "t2", a, "A2"),
       read("call-new", "t1", a, "N1")},
      {fresh});
  CHECK(written.some_stored);
  CHECK_FALSE(written.row_by_row);
  CHECK(written.refused.empty());
  CHECK(written.written == 3);
  CHECK(result_of(c, "call-a", "t1") == "first");
  CHECK(result_of(c, "call-a", "t2") == "A2");
  CHECK(result_of(c, "call-new", "t1") == "N1");

  // New rows only: the first statement stores them.
  auto again = rm::calls::write_tool_log(c, {read("call-a", "t3", a, "A3")});
  CHECK_FALSE(again.some_stored);
  CHECK_FALSE(again.row_by_row);
  CHECK(again.written == 1);
  CHECK(result_of(c, "call-a", "t3") == "A3");
}
