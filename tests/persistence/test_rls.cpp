// Row-level security: request work runs as ringmaster_app and sees only the tenant its
// transaction names (002_row_level_security.sql). These tests set up data as the owner, then
// look at it the way the service does.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

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
