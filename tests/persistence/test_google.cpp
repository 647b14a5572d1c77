// Migration 014 through persistence/google_queries.hpp, as the runtime role: the sealed refresh
// token, single-use state nonces, the queue rows the appointments trigger writes in the booking's
// own transaction, claims with leases and claim tokens, broken links with one notification.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/agent_queries.hpp"
#include "persistence/google_queries.hpp"
#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
namespace gq = rm::persistence::google;
using rm::persistence::test::make_tenant;

namespace {

struct google_db {
  rm::testing::scratch_database db;
  pqxx::connection owner{db.url()};
  pqxx::connection app{db.url()};
  std::string org, other;

  google_db() {
    pqxx::nontransaction{app}.exec("SET ROLE ringmaster_app");
    pqxx::work tx{owner};
    org = make_tenant(tx, "Harbor Dental", "+14155550100");
    other = make_tenant(tx, "Other Clinic", "+14155550199");
    tx.commit();
  }
  template <class F>
  auto as(const std::string& tenant, F f) {
    pqxx::work tx{app};
    set_tenant(tx, tenant);
    auto out = f(tx);
    tx.commit();
    return out;
  }
  std::string appointment(const std::string& tenant, int hours) {
    return as(tenant, [&](pqxx::work& tx) {
      return tx.exec_params1(
                 "INSERT INTO appointments (org_id, status, starts_at, ends_at, blocked_until)"
                 " VALUES ($1::uuid, 'booked', now() + make_interval(hours => $2),"
                 " now() + make_interval(hours => $2, mins => 30),"
                 " now() + make_interval(hours => $2, mins => 45)) RETURNING id::text",
                 tenant, hours)[0]
          .as<std::string>();
    });
  }
  void sql(const std::string& q) {
    pqxx::work tx{owner};
    tx.exec(q);
    tx.commit();
  }
};

}  // namespace

TEST_CASE("google link: sealed refresh token, view, delete; other tenants see nothing",
          "[google]") {
  google_db d;
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) { return gq::load_link(tx, d.org).has_value(); }));
  d.as(d.org, [&](pqxx::work& tx) {
    gq::store_link(tx, d.org, "frontdesk@exampleclinic.com", "sub-1", "1//refresh", "user-1");
    return 0;
  });
  auto link = d.as(d.org, [&](pqxx::work& tx) { return gq::load_link(tx, d.org); });
  REQUIRE(link);
  CHECK(link->connected_email == "frontdesk@exampleclinic.com");
  CHECK(link->status == "connected");
  CHECK(link->calendar_id == "primary");
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return *gq::load_refresh_token(tx, d.org); }) ==
        "1//refresh");
  // Stored sealed: the clear token is nowhere in the row.
  pqxx::work tx{d.owner};
  auto raw = tx.exec1("SELECT encode(ciphertext, 'escape') FROM org_credentials"
                      " WHERE provider = 'google'")[0].as<std::string>();
  tx.commit();
  CHECK(raw.find("1//refresh") == std::string::npos);
  // Row-level security: the other tenant sees no link and no token.
  CHECK_FALSE(d.as(d.other, [&](pqxx::work& tx) { return gq::load_link(tx, d.org).has_value(); }));
  CHECK_FALSE(d.as(d.other, [&](pqxx::work& tx) {
    return gq::load_refresh_token(tx, d.org).has_value();
  }));
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::delete_link(tx, d.org); }));
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) { return gq::delete_link(tx, d.org); }));
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) {
    return gq::load_refresh_token(tx, d.org).has_value();
  }));
}

TEST_CASE("google state nonces are single use", "[google]") {
  google_db d;
  const auto exp = std::time(nullptr) + 600;
  CHECK(d.as(d.org, [&](pqxx::work& tx) {
    return gq::use_state_nonce(tx, d.org, "abcdefghijklmnop", exp);
  }));
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) {
    return gq::use_state_nonce(tx, d.org, "abcdefghijklmnop", exp);
  }));
}

TEST_CASE("google queue: booking and cancelling write rows in their own transaction; claims "
          "lease them", "[google]") {
  google_db d;
  // No link: nothing is queued.
  auto unlinked = d.appointment(d.org, 30);
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "pending"); }) == 0);
  d.as(d.org, [&](pqxx::work& tx) {
    gq::store_link(tx, d.org, "a@b.c", "s", "1//r", "u");
    return 0;
  });
  // A booking rolled back leaves no row.
  {
    pqxx::work tx{d.app};
    set_tenant(tx, d.org);
    tx.exec_params("INSERT INTO appointments (org_id, status, starts_at, ends_at, blocked_until)"
                   " VALUES ($1::uuid, 'booked', now() + interval '40 hours',"
                   " now() + interval '41 hours', now() + interval '41 hours')", d.org);
    tx.abort();
  }
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "pending"); }) == 0);
  auto appt = d.appointment(d.org, 50);
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "pending"); }) == 1);
  auto due = d.as(d.org, [&](pqxx::work& tx) { return gq::syncs_due(tx, 10); });
  REQUIRE(due.size() == 1);
  auto job = d.as(d.org, [&](pqxx::work& tx) {
    return gq::claim_sync(tx, due[0].id, std::chrono::seconds(30));
  });
  REQUIRE(job);
  CHECK(job->action == "insert");
  CHECK(job->event_id.size() == 32);
  CHECK(job->event_id.find('-') == std::string::npos);
  CHECK(job->appointment_id == appt);
  CHECK(job->attempts == 1);
  // Held by a live lease: nobody else claims it, and it is not due.
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) {
    return gq::claim_sync(tx, due[0].id, std::chrono::seconds(30)).has_value();
  }));
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::syncs_due(tx, 10); }).empty());
  // The lease runs out (the worker died): claimed again with a new token; the old one is void.
  d.sql("UPDATE google_event_syncs SET claimed_until = now() - interval '1 second'");
  auto again = d.as(d.org, [&](pqxx::work& tx) {
    return gq::claim_sync(tx, due[0].id, std::chrono::seconds(30));
  });
  REQUIRE(again);
  CHECK(again->claim_token != job->claim_token);
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) { return gq::sync_done(tx, *job); }));
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::sync_done(tx, *again); }));
  // Cancelling queues the delete (same event id); another tenant's row is invisible.
  d.as(d.org, [&](pqxx::work& tx) {
    tx.exec_params("UPDATE appointments SET status = 'cancelled' WHERE id = $1::uuid", appt);
    return 0;
  });
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "pending"); }) == 1);
  CHECK(d.as(d.other, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "pending"); }) == 0);
  (void)unlinked;
}

TEST_CASE("google queue: retries back off, then fail with a notification; broken links notify "
          "once", "[google]") {
  google_db d;
  d.as(d.org, [&](pqxx::work& tx) {
    gq::store_link(tx, d.org, "a@b.c", "s", "1//r", "u");
    return 0;
  });
  d.appointment(d.org, 30);
  auto id = d.as(d.org, [&](pqxx::work& tx) { return gq::syncs_due(tx, 10); }).at(0).id;
  auto job = d.as(d.org, [&](pqxx::work& tx) {
    return *gq::claim_sync(tx, id, std::chrono::seconds(30));
  });
  CHECK(d.as(d.org, [&](pqxx::work& tx) {
    return gq::sync_retry(tx, job, "HTTP 503", std::chrono::hours(1), 2, false);
  }));
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "pending"); }) == 1);
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::syncs_due(tx, 10); }).empty());  // backoff
  d.sql("UPDATE google_event_syncs SET due_at = now() - interval '1 second'");
  job = d.as(d.org, [&](pqxx::work& tx) { return *gq::claim_sync(tx, id, std::chrono::seconds(30)); });
  CHECK(job.attempts == 2);
  d.as(d.org, [&](pqxx::work& tx) {
    return gq::sync_retry(tx, job, "HTTP 503", std::chrono::seconds(1), 2, false);
  });
  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::count_syncs(tx, d.org, "failed"); }) == 1);

  CHECK(d.as(d.org, [&](pqxx::work& tx) { return gq::mark_broken(tx, d.org, "invalid_grant"); }));
  CHECK_FALSE(d.as(d.org, [&](pqxx::work& tx) {
    return gq::mark_broken(tx, d.org, "invalid_grant");
  }));
  auto notes = d.as(d.org, [&](pqxx::work& tx) { return list_notifications(tx, false, 50); });
  int broken = 0, failed = 0;
  for (const auto& n : notes) {
    broken += n.kind == "google.link_broken";
    failed += n.kind == "google.sync_failed";
  }
  CHECK(broken == 1);
  CHECK(failed == 1);
  auto link = d.as(d.org, [&](pqxx::work& tx) { return *gq::load_link(tx, d.org); });
  CHECK(link.status == "broken");
  CHECK(link.broken_reason == "invalid_grant");
  // A broken link's orgs are still listed (the actor skips them), its rows are not due.
  auto orgs = d.as(d.org, [&](pqxx::work& tx) { return gq::linked_orgs(tx); });
  REQUIRE(orgs.size() == 1);
  CHECK(orgs[0].status == "broken");
}
