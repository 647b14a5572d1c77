// load_caller_memory (persistence/caller_memory_queries.hpp): which call and which appointment it
// picks, and that row-level security keeps it inside the named tenant. Data is set up as the
// owner, then read as the service does (SET ROLE ringmaster_app, set_tenant).
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/caller_memory_queries.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_tenant;

namespace {

constexpr const char* caller = "+14155550111";

struct two_clinics {
  rm::testing::scratch_database db;
  std::string a, b;
  two_clinics() {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    b = make_tenant(tx, "Clinic B", "+14155550199");
    const auto contact =
        tx.exec_params1("INSERT INTO contacts (org_id, phone_e164, name) VALUES ($1, $2, 'Ann')"
                        " RETURNING id::text",
                        a, caller)[0]
            .as<std::string>();
    // Calls of the caller to A: the latest reported one, an older scored one, a newer one that
    // is not reported yet, a newer reported one without summary; and one from another number.
    tx.exec_params(
        "INSERT INTO calls (id, org_id, direction, caller, dialled, state, ended_at, summary)"
        " VALUES ('a-latest', $1, 'inbound', $2, '+14155550100', 'reported',"
        "         now() - interval '2 days', 'Asked about a cleaning.'),"
        "        ('a-older', $1, 'inbound', $2, '+14155550100', 'scored',"
        "         now() - interval '20 days', 'Asked about whitening.'),"
        "        ('a-live', $1, 'inbound', $2, '+14155550100', 'ended',"
        "         now() - interval '1 hour', 'Not reported.'),"
        "        ('a-blank', $1, 'inbound', $2, '+14155550100', 'scored',"
        "         now() - interval '1 day', '  '),"
        "        ('a-other', $1, 'inbound', '+14155550122', '+14155550100', 'scored',"
        "         now(), 'Someone else.')",
        a, caller);
    tx.exec_params(
        "INSERT INTO appointments (org_id, contact_id, status, starts_at, ends_at, blocked_until)"
        " SELECT $1::uuid, $2::uuid, s.status, now() + s.at, now() + s.at + interval '30 minutes',"
        "        now() + s.at + interval '45 minutes'"
        " FROM (VALUES ('booked', interval '-3 days'), ('cancelled', interval '1 day'),"
        "              ('booked', interval '3 days'), ('booked', interval '9 days'))"
        "   AS s(status, at)",
        a, contact);
    // B knows the same number, with nothing to recall.
    tx.exec_params("INSERT INTO contacts (org_id, phone_e164) VALUES ($1, $2)", b, caller);
    tx.commit();
  }
};

std::unique_ptr<pqxx::connection> app_connection(const std::string& url) {
  auto c = std::make_unique<pqxx::connection>(url);
  pqxx::nontransaction n{*c};
  n.exec("SET ROLE ringmaster_app");
  return c;
}

}  // namespace

TEST_CASE("caller memory reads the latest reported summary and the next booked appointment") {
  two_clinics t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  set_tenant(tx, t.a);
  const auto h = load_caller_memory(tx, t.a, caller, "current-call");
  REQUIRE(h);
  CHECK(h->name == "Ann");
  CHECK(h->time_zone == "UTC");
  CHECK(h->last_summary == "Asked about a cleaning.");
  REQUIRE(h->next_appointment);
  const auto expected = tx.exec1(
      "SELECT extract(epoch from starts_at)::bigint FROM appointments"
      " WHERE status = 'booked' AND starts_at > now() ORDER BY starts_at LIMIT 1")[0]
                            .as<std::int64_t>();
  CHECK(h->next_appointment->time_since_epoch().count() == expected);
  // The call being set up is never its own "last call".
  CHECK(load_caller_memory(tx, t.a, caller, "a-latest")->last_summary ==
        "Asked about whitening.");
  // An unknown number: no history at all.
  CHECK_FALSE(load_caller_memory(tx, t.a, "+14155550133", "current-call"));
}

TEST_CASE("caller memory never reads another tenant's contact, calls or appointments") {
  two_clinics t;
  auto c = app_connection(t.db.url());
  pqxx::work tx{*c};
  set_tenant(tx, t.b);
  // B's own contact for the same number: nothing of A's comes with it.
  const auto h = load_caller_memory(tx, t.b, caller, "current-call");
  REQUIRE(h);
  CHECK(h->name.empty());
  CHECK(h->last_summary.empty());
  CHECK_FALSE(h->next_appointment);
  // Asking for A while the transaction names B: row-level security shows nothing.
  CHECK_FALSE(load_caller_memory(tx, t.a, caller, "current-call"));
}
