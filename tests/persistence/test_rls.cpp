// Row-level security: request work runs as ringmaster_app and sees only the tenant its
// transaction names (002_row_level_security.sql). These tests set up data as the owner, then
// look at it the way the service does.
#include <catch2/catch.hpp>

#include <set>

#include <pqxx/pqxx>

#include "persistence/bulk_queries.hpp"
#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_call;
using rm::persistence::test::make_tenant;

namespace {

struct two_tenants {
  rm::testing::scratch_database db;
  std::string a, b;
  two_tenants() {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    make_call(tx, "call-a", a);
    upsert_contact(tx, a, "+14155550111", "Ann");
    b = make_tenant(tx, "Clinic B", "+14155550199");
    make_call(tx, "call-b", b);
    upsert_contact(tx, b, "+14155550122", "Bob");
    tx.commit();
  }
};

// A connection as the service makes it: owner login, then SET ROLE ringmaster_app.
std::unique_ptr<pqxx::connection> app_connection(const std::string& url) {
  auto c = std::make_unique<pqxx::connection>(url);
  pqxx::nontransaction n{*c};
  n.exec("SET ROLE ringmaster_app");
  return c;
}

long count(pqxx::work& tx, const std::string& table) {
  return tx.exec1("SELECT count(*) FROM " + table)[0].as<long>();
}

}  // namespace

TEST_CASE("under the service role a transaction that names no tenant sees no rows") {
  two_tenants t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  for (const char* table : {"organizations", "phone_numbers", "calls", "contacts",
                            "appointments", "messages", "call_events", "tool_invocations",
                            "org_twilio_accounts", "org_credentials"})
    CHECK(count(tx, table) == 0);
}

TEST_CASE("with tenant A named, only A's rows are visible") {
  two_tenants t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  set_tenant(tx, t.a);
  CHECK(count(tx, "organizations") == 1);
  CHECK(count(tx, "calls") == 1);
  CHECK(tx.exec1("SELECT id FROM calls")[0].c_str() == std::string{"call-a"});
  CHECK(contact_by_phone(tx, t.a, "+14155550111"));
  CHECK_FALSE(contact_by_phone(tx, t.b, "+14155550122"));  // B's contact, even by its own id
  CHECK_FALSE(load_tenant(tx, t.b));
  CHECK_FALSE(load_call(tx, "call-b"));
}

TEST_CASE("the service role cannot write rows for a tenant other than the one it named") {
  two_tenants t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  set_tenant(tx, t.a);
  CHECK_THROWS_AS(upsert_contact(tx, t.b, "+14155550133", "Mallory"), pqxx::sql_error);
}

TEST_CASE("the tenant setting is local to its transaction") {
  two_tenants t;
  auto c = app_connection(t.db.url());
  {
    pqxx::work tx{*c};
    set_tenant(tx, t.a);
    CHECK(count(tx, "calls") == 1);
    tx.commit();
  }
  pqxx::work next{*c};
  CHECK(count(next, "calls") == 0);
}

TEST_CASE("the cross-tenant questions of a webhook are answered by narrow functions") {
  two_tenants t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  auto route = find_route_by_number(tx, "+14155550199");
  REQUIRE(route);
  CHECK(route->org_id == t.b);
  CHECK(call_org(tx, "call-a") == t.a);
  CHECK_FALSE(call_org(tx, "no-such-call"));
  CHECK(list_tenants(tx).size() == 2);
  CHECK(unfinished_call_ids(tx).size() == 2);
  // …but they reveal no more than that: the tables themselves stay closed.
  CHECK(count(tx, "phone_numbers") == 0);
}

TEST_CASE("the service role can neither bypass row-level security nor alter the schema") {
  two_tenants t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  auto role = tx.exec1("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user");
  CHECK(role[0].as<bool>() == false);
  CHECK(role[1].as<bool>() == false);
  CHECK_THROWS_AS(tx.exec("ALTER TABLE calls DISABLE ROW LEVEL SECURITY"), pqxx::sql_error);
}

// Migration 019: the start-up recovery and the operator's listing read every tenant's calls in
// one statement each, without naming a tenant; the tables stay closed to everything else.
TEST_CASE("the recovery and the operator's listing read the calls of every tenant at once") {
  two_tenants t;
  {
    pqxx::connection owner{t.db.url()};
    pqxx::work tx{owner};
    make_call(tx, "call-a-ended", t.a);
    tx.exec0("UPDATE calls SET state = 'ended' WHERE id = 'call-a-ended'");
    rm::domain::call_event booking;
    booking.kind = rm::domain::call_event_kind::booking;
    booking.status = rm::domain::call_state::in_progress;
    booking.occurred_at_ms = 1000;
    booking.dedup_key = "booking:1";
    append_call_event(tx, "call-b", t.b, booking, "{}");
    auto held = rm::persistence::test::slot(t.b, rm::persistence::test::utc(10, 0));
    held.call_id = "call-b";
    REQUIRE(insert_appointment(tx, held).row);
    insert_completed_tool_calls(
        tx, {{"call-a", "tc-1", t.a, "check_availability", "{}", {"{\"slots\":[]}", false}},
             {"call-a-ended", "tc-2", t.a, "check_availability", "{}", {"{}", false}}});
    tx.commit();
  }
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  // Recovery: the unfinished calls of both tenants, not the ended one, and their tool results.
  auto unfinished = any_tenant::unfinished_calls(tx);
  REQUIRE(unfinished.size() == 2);
  std::set<std::string> orgs;
  for (const auto& row : unfinished) orgs.insert(row.identity.org_id);
  CHECK(orgs == std::set<std::string>{t.a, t.b});
  auto results = any_tenant::completed_tool_calls_of_unfinished(tx);
  REQUIRE(results.size() == 1);
  CHECK(results[0].call_id == "call-a");
  CHECK(results[0].tool_call_id == "tc-1");
  // The listing: calls of both tenants in one call, ended or not, unknown ids left out.
  auto rows = any_tenant::view_rows_of_calls(tx, {"call-a", "call-b", "call-a-ended", "nope"});
  CHECK(rows.calls.size() == 3);
  CHECK(rows.scoring.size() == 3);
  for (const auto& row : rows.calls) CHECK(row.projection.booked == (row.identity.id == "call-b"));
  REQUIRE(rows.events.size() == 1);
  CHECK(rows.events[0].first == "call-b");
  REQUIRE(rows.appointments.size() == 1);
  CHECK(rows.appointments[0].org_id == t.b);
  CHECK(any_tenant::view_rows_of_calls(tx, {}).calls.empty());
  // …and the tables themselves stay closed to a transaction that names no tenant.
  CHECK(count(tx, "calls") == 0);
  CHECK(count(tx, "call_events") == 0);
  CHECK(count(tx, "appointments") == 0);
  CHECK(count(tx, "tool_invocations") == 0);
}

TEST_CASE("the cross-tenant functions are granted to the service role only") {
  two_tenants t;
  pqxx::connection owner{t.db.url()};
  pqxx::work tx{owner};
  for (const char* f : {"rm_calls_by_ids(text[])", "rm_call_events_by_call_ids(text[])",
                        "rm_appointments_by_call_ids(text[])", "rm_unfinished_call_rows()",
                        "rm_unfinished_tool_results()"}) {
    INFO(f);
    CHECK(tx.exec1(std::string("SELECT has_function_privilege('public', '") + f + "', 'EXECUTE')")[0]
              .as<bool>() == false);
    CHECK(tx.exec1(std::string("SELECT has_function_privilege('ringmaster_app', '") + f +
                   "', 'EXECUTE')")[0]
              .as<bool>());
  }
}
