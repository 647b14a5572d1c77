// Migration 009: an active Vapi phone-number id belongs to at most one number (hence one tenant),
// enforced by a unique index that row-level security cannot hide rows from, and every writer
// (create_tenant, save_phone_mapping, mark_linked) turns a conflict into an outcome instead of
// an error. Run as the service runs: ringmaster_app with the tenant named.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/database.hpp"
#include "persistence/number_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tenant_queries.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_tenant;

namespace {

struct two_clinics {
  rm::testing::scratch_database db;
  std::string a, b;
  two_clinics() {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    b = make_tenant(tx, "Clinic B", "+14155550199");
    tx.commit();
  }
  std::unique_ptr<pqxx::connection> app() {
    auto c = std::make_unique<pqxx::connection>(db.url());
    pqxx::nontransaction n{*c};
    n.exec("SET ROLE ringmaster_app");
    return c;
  }
  std::string scalar(const std::string& sql) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto r = tx.exec(sql);
    std::string out = r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
    tx.commit();
    return out;
  }
  // Inserts a number for `org` as ringmaster_app; false when the database refuses it as a
  // duplicate (unique_violation).
  bool insert(const std::string& org, const std::string& e164, const char* vapi_id) {
    auto c = app();
    pqxx::work tx{*c};
    set_tenant(tx, org);
    try {
      tx.exec_params0("INSERT INTO phone_numbers (org_id, e164, vapi_phone_number_id)"
                      " VALUES ($1, $2, $3)",
                      org, e164, vapi_id);
      tx.commit();
      return true;
    } catch (const pqxx::unique_violation&) {
      return false;
    }
  }
};

}  // namespace

TEST_CASE("an active Vapi phone-number id is unique across tenants and numbers, hidden rows "
          "included") {
  two_clinics w;
  REQUIRE(w.insert(w.a, "+14155550101", "pn_shared"));
  // B cannot see A's row (row-level security) and is still refused.
  CHECK_FALSE(w.insert(w.b, "+14155550198", "pn_shared"));
  // Nor may A put the same id on a second number.
  CHECK_FALSE(w.insert(w.a, "+14155550102", "pn_shared"));
  // Numbers without an id are not constrained.
  CHECK(w.insert(w.a, "+14155550103", nullptr));
  CHECK(w.insert(w.b, "+14155550197", nullptr));
  CHECK(w.scalar("SELECT count(*) FROM phone_numbers WHERE vapi_phone_number_id = 'pn_shared'") ==
        "1");

  SECTION("a released number's id may be used again") {
    auto c = w.app();
    {
      pqxx::work tx{*c};
      set_tenant(tx, w.a);
      tx.exec0("UPDATE phone_numbers SET active = false, deactivated_at = now()"
               " WHERE vapi_phone_number_id = 'pn_shared'");
      tx.commit();
    }
    CHECK(w.insert(w.b, "+14155550198", "pn_shared"));
  }
}

TEST_CASE("the writers answer a taken Vapi id with an outcome and write nothing") {
  two_clinics w;
  REQUIRE(w.insert(w.a, "+14155550101", "pn_a"));
  auto c = w.app();

  SECTION("create_tenant: vapi_id_taken, no organization") {
    pqxx::work tx{*c};
    new_tenant t;
    t.name = "Clinic C";
    t.numbers.push_back({"+12125550100", "C", "pn_a"});
    auto r = create_tenant(tx, t);
    CHECK(r.error == create_tenant_error::vapi_id_taken);
    CHECK(r.conflicting_vapi_id == "pn_a");
    tx.commit();
    CHECK(w.scalar("SELECT count(*) FROM organizations") == "2");
    CHECK(w.scalar("SELECT count(*) FROM phone_numbers WHERE e164 = '+12125550100'") == "0");
  }
  SECTION("create_tenant: two numbers of one request sharing an id") {
    pqxx::work tx{*c};
    new_tenant t;
    t.name = "Clinic C";
    t.numbers.push_back({"+12125550100", "C", "pn_c"});
    t.numbers.push_back({"+12125550101", "C", "pn_c"});
    CHECK(create_tenant(tx, t).error == create_tenant_error::vapi_id_taken);
    tx.commit();
    CHECK(w.scalar("SELECT count(*) FROM organizations") == "2");
  }
  SECTION("create_tenant: no numbers at all is a tenant") {
    pqxx::work tx{*c};
    new_tenant t;
    t.name = "Clinic D";
    auto r = create_tenant(tx, t);
    CHECK(r.error == create_tenant_error::none);
    tx.commit();
    CHECK(w.scalar("SELECT count(*) FROM phone_numbers WHERE org_id = '" + r.org_id + "'") ==
          "0");
  }
  SECTION("save_phone_mapping: another tenant's id, and the tenant's own id on another number") {
    {
      pqxx::work tx{*c};
      set_tenant(tx, w.b);
      auto r = save_phone_mapping(tx, w.b, "u", "+12125550100", "B2", std::string{"pn_a"});
      CHECK(r.outcome == mapping_outcome::vapi_id_taken);
    }
    {
      pqxx::work tx{*c};
      set_tenant(tx, w.a);
      auto r = save_phone_mapping(tx, w.a, "u", "+14155550102", "A2", std::string{"pn_a"});
      CHECK(r.outcome == mapping_outcome::vapi_id_taken);
      // The mapping that holds the id may keep it.
      auto same = save_phone_mapping(tx, w.a, "u", "+14155550101", "A1", std::string{"pn_a"});
      CHECK(same.outcome == mapping_outcome::updated);
      tx.commit();
    }
    CHECK(w.scalar("SELECT count(*) FROM phone_numbers WHERE vapi_phone_number_id = 'pn_a'") ==
          "1");
  }
  SECTION("mark_linked: false, and the transaction stays usable") {
    pqxx::work tx{*c};
    set_tenant(tx, w.b);
    auto id = tx.exec1("SELECT id FROM phone_numbers WHERE org_id = rm_current_org()")[0]
                  .as<std::string>();
    CHECK_FALSE(mark_linked(tx, id, "pn_a", ""));
    CHECK(mark_linked(tx, id, "pn_b", ""));
    tx.commit();
    CHECK(w.scalar("SELECT vapi_phone_number_id FROM phone_numbers WHERE id = '" + id + "'") ==
          "pn_b");
  }
}

TEST_CASE("migration 009 keeps the id on the row that routed it and clears the duplicates") {
  two_clinics w;
  std::string sql;
  for (const auto& m : embedded_migrations())
    if (m.version == 9) sql = m.sql;
  REQUIRE(!sql.empty());
  pqxx::connection c{w.db.url()};
  {
    // The database as it was before 009, with data 009 must repair.
    pqxx::work tx{c};
    tx.exec0("DROP INDEX phone_numbers_active_vapi_id_unique");
    tx.exec0("CREATE INDEX phone_numbers_active_vapi_id ON phone_numbers (vapi_phone_number_id)"
             " WHERE active");
    tx.exec_params0("INSERT INTO phone_numbers (id, org_id, e164, vapi_phone_number_id) VALUES"
                    " ('00000000-0000-4000-8000-000000000002', $1, '+14155550101', 'pn_dup'),"
                    " ('00000000-0000-4000-8000-000000000001', $2, '+14155550198', 'pn_dup'),"
                    " ('00000000-0000-4000-8000-000000000003', $1, '+14155550102', 'pn_dup'),"
                    " ('00000000-0000-4000-8000-000000000004', $1, '+14155550103', ''),"
                    " ('00000000-0000-4000-8000-000000000005', $2, '+14155550197', '')",
                    w.a, w.b);
    tx.commit();
  }
  // The route before: the lowest id.
  std::string routed;
  {
    pqxx::work tx{c};
    routed = find_route_by_vapi_id(tx, "pn_dup")->phone_number_id;
    tx.commit();
  }
  CHECK(routed == "00000000-0000-4000-8000-000000000001");
  {
    pqxx::work tx{c};
    tx.exec0(sql);
    tx.commit();
  }
  CHECK(w.scalar("SELECT string_agg(id::text, ',') FROM phone_numbers"
                 " WHERE vapi_phone_number_id = 'pn_dup'") == routed);
  CHECK(w.scalar("SELECT count(*) FROM phone_numbers WHERE vapi_phone_number_id = ''") == "0");
  {
    pqxx::work tx{c};
    CHECK(find_route_by_vapi_id(tx, "pn_dup")->phone_number_id == routed);
    tx.commit();
  }
  CHECK(w.scalar("SELECT indexdef FROM pg_indexes WHERE indexname ="
                 " 'phone_numbers_active_vapi_id_unique'")
            .find("UNIQUE") != std::string::npos);
}
