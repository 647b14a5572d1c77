#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_tenant;

TEST_CASE("a created tenant loads back with its rules, number and Twilio account") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  new_tenant t;
  t.name = "Clinic A";
  t.rules.time_zone = "Europe/Paris";
  t.rules.working_hours[6] = {{600, 720}};  // Saturday 10:00–12:00
  t.rules.slot_minutes = 20;
  t.rules.buffer_minutes = 10;
  t.assistant_id = "asst_1";
  t.numbers.push_back({"+14155550100", "Front desk", "vapi-pn-1"});
  t.twilio = twilio_account{"AC123", "secret"};
  auto created = create_tenant(tx, t);
  REQUIRE(created.error == create_tenant_error::none);

  auto loaded = load_tenant(tx, created.org_id);
  REQUIRE(loaded);
  CHECK(loaded->name == "Clinic A");
  CHECK(loaded->assistant_id == "asst_1");
  CHECK(loaded->rules.time_zone == "Europe/Paris");
  CHECK(loaded->rules.slot_minutes == 20);
  CHECK(loaded->rules.buffer_minutes == 10);
  REQUIRE(loaded->rules.working_hours[6].size() == 1);
  CHECK(loaded->rules.working_hours[6][0].open_minute == 600);
  CHECK(loaded->rules.working_hours[0].empty());
  CHECK(loaded->rules.working_hours[1][0].close_minute == 1020);

  auto by_number = find_route_by_number(tx, "+14155550100");
  REQUIRE(by_number);
  CHECK(by_number->org_id == created.org_id);
  CHECK(by_number->label == "Front desk");
  auto by_vapi = find_route_by_vapi_id(tx, "vapi-pn-1");
  REQUIRE(by_vapi);
  CHECK(by_vapi->phone_number_id == by_number->phone_number_id);
  CHECK_FALSE(find_route_by_vapi_id(tx, ""));

  auto twilio = load_twilio_account(tx, created.org_id);
  REQUIRE(twilio);
  CHECK(twilio->account_sid == "AC123");
  CHECK(twilio->auth_token == "secret");

  CHECK_FALSE(load_tenant(tx, "not-a-uuid"));
  CHECK_FALSE(load_tenant(tx, "00000000-0000-0000-0000-000000000000"));
  auto all = list_tenants(tx);
  REQUIRE(all.size() == 1);
  CHECK(all[0].numbers == std::vector<std::string>{"+14155550100"});
}

TEST_CASE("two active tenants cannot share a number, and the refusal writes nothing") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto first = make_tenant(tx, "Clinic A", "+14155550100");

  new_tenant t;
  t.name = "Clinic B";
  t.numbers = {{"+14155550199", "B main", ""}, {"+14155550100", "stolen", ""}};
  auto r = create_tenant(tx, t);
  CHECK(r.error == create_tenant_error::number_taken);
  CHECK(r.conflicting_number == "+14155550100");
  CHECK(r.org_id.empty());

  // The transaction is still usable and holds only the first tenant.
  auto all = list_tenants(tx);
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == first);
  CHECK_FALSE(find_route_by_number(tx, "+14155550199"));
  CHECK(find_route_by_number(tx, "+14155550100")->org_id == first);
}

TEST_CASE("PostgreSQL itself refuses a second active row for a number") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  CHECK_THROWS_AS(tx.exec_params("INSERT INTO phone_numbers (org_id, e164) VALUES ($1, $2)", org,
                                 "+14155550100"),
                  pqxx::unique_violation);
}

TEST_CASE("a deactivated number can be given to another tenant") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto first = make_tenant(tx, "Clinic A", "+14155550100");
  tx.exec_params0(
      "UPDATE phone_numbers SET active = false, deactivated_at = now() WHERE org_id = $1", first);
  CHECK_FALSE(find_route_by_number(tx, "+14155550100"));

  const auto second = make_tenant(tx, "Clinic B", "+14155550100");
  auto route = find_route_by_number(tx, "+14155550100");
  REQUIRE(route);
  CHECK(route->org_id == second);
}

TEST_CASE("a number that is not E.164 is refused by the schema") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  CHECK_THROWS_AS(make_tenant(tx, "Clinic A", "415-555-0100"), pqxx::check_violation);
}
