// Readers take result columns by name (persistence/detail/rows.hpp named_row), so the order of a
// SELECT list does not matter and a column the reader needs but the SELECT lacks fails loudly.
// These tests run real readers on their real column lists, reordered or with a column left out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/detail/readers.hpp"
#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using namespace rm::persistence::test;
using rm::persistence::detail::named_row;
namespace domain = rm::domain;

namespace {

// The top-level items of a SELECT list: split on commas outside parentheses and quotes.
std::vector<std::string> select_items(const std::string& list) {
  std::vector<std::string> out;
  std::string item;
  int depth = 0;
  bool quoted = false;
  for (char ch : list) {
    if (ch == '\'') quoted = !quoted;
    if (!quoted && ch == '(') ++depth;
    if (!quoted && ch == ')') --depth;
    if (!quoted && depth == 0 && ch == ',') {
      out.push_back(item);
      item.clear();
      continue;
    }
    item += ch;
  }
  out.push_back(item);
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string reversed(const std::string& list) {
  auto items = select_items(list);
  std::reverse(items.begin(), items.end());
  return join(items);
}

// `list` without the item that ends in `alias` (e.g. "AS hold_expires_at_s" or "status").
std::string without(const std::string& list, const std::string& alias) {
  std::vector<std::string> kept;
  for (const auto& i : select_items(list)) {
    const auto pos = i.rfind(alias);
    if (pos == std::string::npos || pos + alias.size() != i.size()) kept.push_back(i);
  }
  return join(kept);
}

void check_same(const appointment& a, const appointment& b) {
  CHECK(a.id == b.id);
  CHECK(a.org_id == b.org_id);
  CHECK(a.call_id == b.call_id);
  CHECK(a.tool_call_id == b.tool_call_id);
  CHECK(a.contact_id == b.contact_id);
  CHECK(a.status == b.status);
  CHECK(a.starts_at == b.starts_at);
  CHECK(a.ends_at == b.ends_at);
  CHECK(a.blocked_until == b.blocked_until);
  CHECK(a.hold_expires_at == b.hold_expires_at);
}

}  // namespace

TEST_CASE("named_row: a missing or ambiguous column name fails with the row's columns listed") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const named_row r = tx.exec1("SELECT 7 AS attempts, 'held' AS status");
  CHECK(r["status"].as<std::string>() == "held");
  CHECK(r["attempts"].as<int>() == 7);
  CHECK_THROWS_AS(r["state"], pqxx::argument_error);
  CHECK_THROWS_WITH(r["state"],
                    Catch::Contains("no column \"state\"") &&
                        Catch::Contains("(columns: attempts, status)"));
  // Names match as PostgreSQL reports them: an unquoted alias is lower case.
  CHECK_THROWS_WITH(r["Status"], Catch::Contains("no column \"Status\""));

  // Two columns of one name (a join selecting a.id, b.id) would make a lookup pick one silently.
  const named_row twice = tx.exec1("SELECT 1 AS id, 2 AS id");
  CHECK_THROWS_WITH(twice["id"], Catch::Contains("more than one column named \"id\""));
}

TEST_CASE("the appointment reader reads the same record from a reordered SELECT list") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  make_call(tx, "call-1", org);
  auto held = slot(org, utc(10, 0));  // every column set, hold_expires_at too
  held.call_id = "call-1";
  held.tool_call_id = "tc-1";
  held.contact_id = upsert_contact(tx, org, "+14155550123", "Ann");
  auto booked = slot(org, utc(11, 0), appointment_status::booked);  // NULL hold, call, contact
  const auto stored_held = insert_appointment(tx, held).row;
  const auto stored_booked = insert_appointment(tx, booked).row;
  REQUIRE(stored_held);
  REQUIRE(stored_booked);

  const std::string reordered = reversed(detail::appointment_columns);
  const auto query = std::string("SELECT ") + reordered + " FROM appointments WHERE id = $1";
  for (const auto& expected : {*stored_held, *stored_booked}) {
    const auto normal = find_appointment(tx, org, expected.id);
    REQUIRE(normal);
    const auto row = tx.exec_params1(query, expected.id);
    // The reversal really moved the columns: read by position, id would now be hold_expires_at_s.
    REQUIRE(row.size() == 10);
    CHECK(std::string(row[0].name()) == "hold_expires_at_s");
    CHECK(std::string(row[9].name()) == "id");
    const auto read = detail::read_appointment(row);
    check_same(read, *normal);
    check_same(read, expected);
  }
  CHECK(stored_held->hold_expires_at.has_value());
  CHECK(stored_held->contact_id == held.contact_id);
  CHECK_FALSE(stored_booked->hold_expires_at.has_value());
  CHECK(stored_booked->call_id.empty());
}

TEST_CASE("a reader whose SELECT lacks one of its columns fails naming that column") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  const auto stored = insert_appointment(tx, slot(org, utc(10, 0))).row;
  REQUIRE(stored);
  const auto partial = without(detail::appointment_columns, "AS hold_expires_at_s");
  REQUIRE(select_items(partial).size() == 9);
  const auto row =
      tx.exec_params1(std::string("SELECT ") + partial + " FROM appointments WHERE id = $1",
                      stored->id);
  CHECK_THROWS_WITH(detail::read_appointment(row),
                    Catch::Contains("no column \"hold_expires_at_s\""));
}

TEST_CASE("the call reader reads the same call from a reordered SELECT list") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  ensure_call(tx, {"call-1", org, "inbound", "+14155550123", "+14155550100", "CA123"});
  domain::call_projection p;
  p.state = domain::call_state::ended;
  p.outcome = domain::call_outcome::lost;
  p.ended_reason = "customer-ended-call";
  p.started_at_ms = 1894694400123;
  p.ended_at_ms = 1894694460456;
  save_projection(tx, "call-1", p);
  call_report report;
  report.transcript = "AI: Hello";
  report.summary = "Asked for Tuesday";
  report.recording_url = "https://example.test/r.wav";
  report.duration_seconds = 60.5;
  report.cost_usd = 0.12;
  report.success_evaluation = "false";
  report.structured_data_json = R"({"k": 1})";
  save_report(tx, "call-1", report);

  const auto normal = load_call(tx, "call-1");
  REQUIRE(normal);
  const auto row = tx.exec_params1(
      std::string("SELECT ") + reversed(detail::call_columns) + " FROM calls c WHERE id = $1",
      "call-1");
  REQUIRE(std::string(row[0].name()) == "has_booking_event");  // the list's last column
  const auto read = detail::read_call(row);
  CHECK(read.identity.id == "call-1");
  CHECK(read.identity.org_id == org);
  CHECK(read.identity.caller == normal->identity.caller);
  CHECK(read.identity.dialled == normal->identity.dialled);
  CHECK(read.identity.provider_call_sid == "CA123");
  CHECK(read.projection.state == domain::call_state::ended);
  CHECK(read.projection.outcome == domain::call_outcome::lost);
  CHECK(read.projection.ended_reason == "customer-ended-call");
  CHECK(read.projection.started_at_ms == p.started_at_ms);
  CHECK(read.projection.ended_at_ms == p.ended_at_ms);
  CHECK(read.projection.booked == normal->projection.booked);
  CHECK(read.report.transcript == report.transcript);
  CHECK(read.report.summary == report.summary);
  CHECK(read.report.recording_url == report.recording_url);
  CHECK(read.report.duration_seconds == report.duration_seconds);
  CHECK(read.report.cost_usd == report.cost_usd);
  CHECK(read.report.success_evaluation == "false");
  CHECK(read.report.structured_data_json == normal->report.structured_data_json);
  CHECK(read.created_at_ms == normal->created_at_ms);
}
