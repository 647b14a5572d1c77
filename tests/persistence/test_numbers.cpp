// The number lifecycle in the database (007_number_lifecycle.sql, persistence/number_queries.hpp),
// seen the way the service sees it: as ringmaster_app with the tenant named.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/number_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tenant_queries.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_tenant;
namespace dn = rm::domain::numbers;

namespace {

const std::string bought = "+15005550006";

struct world {
  rm::testing::scratch_database db;
  std::string a, b;
  world() {
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
    std::string out = r.empty() || r.columns() == 0 || r[0][0].is_null() ? "" : r[0][0].c_str();
    tx.commit();
    return out;
  }
};

new_number purchased(const std::string& e164, const std::string& sid) {
  return {e164, "Main line", sid, "purchased", "", "admin-1"};
}

rm::domain::instant in_days(int days) {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
         std::chrono::hours(24 * days);
}

}  // namespace

TEST_CASE("a recorded number is owned, then linked, then released into quarantine") {
  world w;
  auto c = w.app();
  pqxx::work tx{*c};
  set_tenant(tx, w.a);
  auto r = record_number(tx, w.a, purchased(bought, "PN0000000000000000000000000000000001"));
  REQUIRE(r.outcome == record_outcome::created);
  REQUIRE(r.row);
  CHECK(r.row->status == dn::number_status::owned);
  CHECK(r.row->source == "purchased");
  CHECK(r.row->active);
  mark_linked(tx, r.row->id, "vapi-pn-1", "");
  auto linked = find_number(tx, r.row->id);
  CHECK(linked->status == dn::number_status::linked);
  CHECK(linked->vapi_phone_number_id == "vapi-pn-1");
  // Routed while active.
  CHECK(find_route_by_number(tx, bought));

  mark_released(tx, r.row->id, "admin-1", in_days(30), false);
  auto gone = find_number(tx, r.row->id);
  CHECK(gone->status == dn::number_status::released);
  CHECK_FALSE(gone->active);
  REQUIRE(gone->quarantine_until);
  REQUIRE(gone->released_at);
  CHECK(dn::stage_of(gone->status, gone->quarantine_until, *gone->released_at) ==
        dn::lifecycle_stage::aging);
  CHECK_FALSE(find_route_by_number(tx, bought));  // routing stops with the commit
  CHECK(list_numbers(tx, false).size() == 1);     // the make_tenant number only
  CHECK(list_numbers(tx, true).size() == 2);
  tx.commit();
}

TEST_CASE("another tenant cannot take a quarantined number; the same tenant can") {
  world w;
  {
    auto c = w.app();
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    auto r = record_number(tx, w.a, purchased(bought, "PN0000000000000000000000000000000001"));
    mark_released(tx, r.row->id, "admin-1", in_days(30), false);
    tx.commit();
  }
  auto c = w.app();
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.b);
    auto av = number_availability_for(tx, bought, w.b);
    CHECK(av.state == number_availability::quarantined);
    CHECK(av.quarantine_until);
    auto r = record_number(tx, w.b, purchased(bought, "PN0000000000000000000000000000000002"));
    CHECK(r.outcome == record_outcome::quarantined);
    // The phone-mappings API asks first …
    auto m = save_phone_mapping(tx, w.b, "b-admin", bought, "B's", std::nullopt);
    CHECK(m.outcome == mapping_outcome::number_quarantined);
    tx.abort();
  }
  {
    // … and the database refuses a writer that does not ask (SQLSTATE RMQ01).
    pqxx::work tx{*c};
    set_tenant(tx, w.b);
    try {
      tx.exec_params0("INSERT INTO phone_numbers (org_id, e164) VALUES ($1, $2)", w.b, bought);
      FAIL("the quarantine trigger let the number through");
    } catch (const pqxx::sql_error& e) {
      CHECK(e.sqlstate() == "RMQ01");
    }
  }
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    CHECK(number_availability_for(tx, bought, w.a).state == number_availability::free);
    auto r = record_number(tx, w.a, purchased(bought, "PN0000000000000000000000000000000003"));
    CHECK(r.outcome == record_outcome::created);
    tx.commit();
  }
}

TEST_CASE("after the quarantine, or without one, another tenant may take the number") {
  world w;
  {
    auto c = w.app();
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    auto r = record_number(tx, w.a, purchased(bought, "PN0000000000000000000000000000000001"));
    mark_released(tx, r.row->id, "admin-1", std::nullopt, false);  // compensated, never used
    auto r2 = record_number(tx, w.a, purchased("+15005550007", "PN0000000000000000000000000000000009"));
    mark_released(tx, r2.row->id, "admin-1", in_days(30), false);
    tx.commit();
  }
  // The second number's quarantine ends (moved into the past by the owner).
  w.scalar("UPDATE phone_numbers SET quarantine_until = now() - interval '1 second'"
           " WHERE e164 = '+15005550007'");
  auto c = w.app();
  pqxx::work tx{*c};
  set_tenant(tx, w.b);
  CHECK(record_number(tx, w.b, purchased(bought, "PN0000000000000000000000000000000002")).outcome ==
        record_outcome::created);
  CHECK(save_phone_mapping(tx, w.b, "b", "+15005550007", "B", std::nullopt).outcome ==
        mapping_outcome::created);
}

TEST_CASE("a number active for another tenant is taken; the tenant's own mapping is adopted") {
  world w;
  auto c = w.app();
  pqxx::work tx{*c};
  set_tenant(tx, w.b);
  CHECK(number_availability_for(tx, "+14155550100", w.b).state == number_availability::taken);
  CHECK(record_number(tx, w.b, purchased("+14155550100", "PN0000000000000000000000000000000004"))
            .outcome == record_outcome::taken);
  auto r = record_number(tx, w.b, {"+14155550199", "x", "PN0000000000000000000000000000000005",
                                   "imported", "", ""});
  CHECK(r.outcome == record_outcome::adopted);
  CHECK(r.row->provider_sid == "PN0000000000000000000000000000000005");
  CHECK(r.row->source == "imported");
  CHECK(r.row->status == dn::number_status::linked);  // a hand-made mapping was routed already
  CHECK(list_numbers(tx, true).size() == 1);
}

TEST_CASE("deactivating a mapping by hand releases it without quarantine") {
  world w;
  auto c = w.app();
  pqxx::work tx{*c};
  set_tenant(tx, w.a);
  auto id = list_numbers(tx, false).at(0).id;
  REQUIRE(deactivate_phone_mapping(tx, id, "admin"));
  auto row = find_number(tx, id);
  CHECK(row->status == dn::number_status::released);
  CHECK(row->released_at);
  CHECK_FALSE(row->quarantine_until);
  // Posting it again makes it linked once more.
  auto m = save_phone_mapping(tx, w.a, "admin", row->e164, "Back", std::nullopt);
  CHECK(m.outcome == mapping_outcome::reactivated);
  CHECK(find_number(tx, id)->status == dn::number_status::linked);
}

TEST_CASE("a live forwarding configuration points at a number") {
  world w;
  w.scalar("INSERT INTO verified_caller_ids (id, org_id, phone_number, status)"
           " VALUES ('11111111-1111-1111-1111-111111111111', '" + w.a +
           "', '+12127360101', 'verified')");
  w.scalar("INSERT INTO hybrid_forwarding_configs (org_id, verified_caller_id, sim_phone_number,"
           " forwarding_type, carrier, twilio_forwarding_number, generated_activation_code,"
           " generated_deactivation_code) VALUES ('" + w.a +
           "', '11111111-1111-1111-1111-111111111111', '+12127360101', 'total_ai', 'att',"
           " '+14155550100', '**21*14155550100#', '##21#')");
  auto c = w.app();
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    CHECK(forwarding_points_at(tx, "+14155550100"));
    CHECK_FALSE(forwarding_points_at(tx, "+14155550199"));
  }
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.b);  // B sees nothing of A's configuration
    CHECK_FALSE(forwarding_points_at(tx, "+14155550100"));
  }
  w.scalar("UPDATE hybrid_forwarding_configs SET status = 'disabled'");
  pqxx::work tx{*c};
  set_tenant(tx, w.a);
  CHECK_FALSE(forwarding_points_at(tx, "+14155550100"));
}

TEST_CASE("provisioning orders: leased while a request works, due for the sweep after") {
  world w;
  auto c = w.app();
  std::string id;
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    provisioning_order o;
    o.org_id = w.a;
    o.requested_by = "admin-1";
    o.area_code = "500";
    auto made = create_order(tx, o, std::chrono::seconds(120));
    id = made.id;
    CHECK(made.state == dn::order_state::pending);
    CHECK(made.area_code == "500");
    CHECK(due_orders(tx, 10).empty());  // leased
    tx.commit();
  }
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.b);
    CHECK_FALSE(load_order(tx, id));  // another tenant's order is unknown
    CHECK_FALSE(load_order(tx, "not-a-uuid"));
  }
  w.scalar("UPDATE provisioning_orders SET lease_until = now() - interval '1 second'");
  {
    pqxx::work tx{*c};
    auto due = due_orders(tx, 10);  // no tenant named: SECURITY DEFINER
    REQUIRE(due.size() == 1);
    CHECK(due[0] == std::make_pair(id, w.a));
  }
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    auto o = *load_order(tx, id, true);
    o.state = dn::order_state::purchased;
    o.e164 = bought;
    o.pn_sid = "PN0000000000000000000000000000000001";
    o.attempts = 1;
    o.error_code = "vapi_unavailable";
    save_order(tx, o, std::chrono::seconds(60));
    CHECK(due_orders(tx, 10).empty());  // not before the retry is due
    tx.commit();
  }
  w.scalar("UPDATE provisioning_orders SET next_attempt_at = now() - interval '1 second'");
  {
    pqxx::work tx{*c};
    set_tenant(tx, w.a);
    CHECK(due_orders(tx, 10).size() == 1);
    auto o = *load_order(tx, id);
    CHECK(o.state == dn::order_state::purchased);
    CHECK(o.attempts == 1);
    o.state = dn::order_state::completed;
    save_order(tx, o);
    tx.commit();
  }
  pqxx::work tx{*c};
  CHECK(due_orders(tx, 10).empty());  // closed
}

TEST_CASE("a bought order must carry its number and PN SID") {
  world w;
  auto c = w.app();
  pqxx::work tx{*c};
  set_tenant(tx, w.a);
  provisioning_order o;
  o.org_id = w.a;
  o.requested_number = bought;
  auto made = create_order(tx, o, std::chrono::seconds(120));
  made.state = dn::order_state::purchased;
  CHECK_THROWS_AS(save_order(tx, made), pqxx::check_violation);
}
