// message_outbox (migration 011) through persistence/outbox_queries.hpp, as the runtime role:
// scheduling reminders once, claims and their leases, the claim_token check of every finish,
// refused attempts with backoff then failed + a notification, uncertain sends reconciled.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/credentials.hpp"
#include "persistence/outbox_queries.hpp"
#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
namespace ob = rm::persistence::outbox;
using rm::persistence::test::make_tenant;

namespace {

struct outbox_db {
  rm::testing::scratch_database db;
  pqxx::connection owner{db.url()};
  pqxx::connection app{db.url()};
  std::string org;

  outbox_db() {
    pqxx::nontransaction{app}.exec("SET ROLE ringmaster_app");
    pqxx::work tx{owner};
    org = make_tenant(tx, "Harbor Dental", "+14155550100");
    set_tenant(tx, org);
    store_twilio_credential(tx, org, "AC0123456789abcdef0123456789abcdef", "tok", "");
    tx.exec_params("UPDATE organizations SET time_zone = 'America/New_York' WHERE id = $1::uuid",
                   org);
    tx.commit();
  }

  // A booked appointment starting in `hours` for a contact on `phone`; returns its id.
  std::string appointment(const std::string& phone, int hours, bool opted_out = false) {
    pqxx::work tx{owner};
    auto contact = tx.exec_params1(
        "INSERT INTO contacts (org_id, phone_e164, opted_out) VALUES ($1::uuid, $2, $3)"
        " RETURNING id::text", org, phone, opted_out)[0].as<std::string>();
    auto id = tx.exec_params1(
        "INSERT INTO appointments (org_id, contact_id, status, starts_at, ends_at, blocked_until)"
        " VALUES ($1::uuid, $2::uuid, 'booked', now() + make_interval(hours => $3),"
        " now() + make_interval(hours => $3, mins => 30), now() + make_interval(hours => $3, mins => 45))"
        " RETURNING id::text", org, contact, hours)[0].as<std::string>();
    tx.commit();
    return id;
  }

  std::string sql1(const std::string& q) {
    pqxx::work tx{owner};
    auto r = tx.exec1(q);
    std::string out = r[0].is_null() ? "NULL" : r[0].c_str();
    tx.commit();
    return out;
  }
  void sql(const std::string& q) {
    pqxx::work tx{owner};
    tx.exec(q);
    tx.commit();
  }
};

ob::settings fast() {
  ob::settings s;
  s.lease = std::chrono::seconds(30);
  s.max_attempts = 2;
  s.first_backoff = std::chrono::milliseconds(1000);
  return s;
}

}  // namespace

TEST_CASE("reminders are scheduled once, when their time has come, in the clinic's words",
          "[outbox]") {
  outbox_db d;
  d.appointment("+14155552001", 3);        // inside the 24 h lead
  d.appointment("+14155552002", 48);       // not yet
  d.appointment("+14155552003", 5, true);  // opted out
  CHECK(ob::schedule_reminders(d.app, 50) == 2);
  CHECK(ob::schedule_reminders(d.app, 50) == 0);  // a second scheduler changes nothing
  CHECK(d.sql1("SELECT count(*) FROM message_outbox") == "2");
  CHECK(d.sql1("SELECT state FROM message_outbox WHERE recipient = '+14155552001'") == "pending");
  auto body = d.sql1("SELECT body FROM message_outbox WHERE recipient = '+14155552001'");
  CHECK(body.find("Harbor Dental") != std::string::npos);
  CHECK(d.sql1("SELECT state || ': ' || last_error FROM message_outbox"
               " WHERE recipient = '+14155552003'")
            .find("cancelled: the contact opted out") == 0);
  // Reminders off: nothing more is scheduled for this tenant.
  d.sql("UPDATE organizations SET reminders_enabled = false");
  d.sql("UPDATE organizations SET reminder_lead_minutes = 10080");
  CHECK(ob::schedule_reminders(d.app, 50) == 0);
  d.sql("UPDATE organizations SET reminders_enabled = true");
  CHECK(ob::schedule_reminders(d.app, 50) == 1);  // the 48 h one, inside a 7-day lead
}

TEST_CASE("a claim holds the row for its lease; only the claim_token's holder finishes it",
          "[outbox]") {
  outbox_db d;
  d.appointment("+14155552001", 3);
  REQUIRE(ob::schedule_reminders(d.app, 50) == 1);
  auto due = ob::due_rows(d.app, 10);
  REQUIRE(due.size() == 1);
  auto first = ob::claim_row(d.app, due[0], fast());
  REQUIRE(first.claimed);
  CHECK_FALSE(first.reconcile);
  CHECK(first.from == "+14155550100");  // no call: the clinic's first active number
  CHECK(first.to == "+14155552001");
  CHECK(first.account.account_sid == "AC0123456789abcdef0123456789abcdef");
  CHECK(first.attempts == 1);
  CHECK(ob::due_rows(d.app, 10).empty());                     // leased
  CHECK_FALSE(ob::claim_row(d.app, due[0], fast()).claimed);  // a second instance skips it
  CHECK(d.sql1("SELECT status FROM messages") == "sending");

  // The sender dies; its lease runs out: the next claim is a reconcile claim.
  d.sql("UPDATE message_outbox SET claimed_until = now() - interval '1 second'");
  auto second = ob::claim_row(d.app, ob::due_rows(d.app, 10).at(0), fast());
  REQUIRE(second.claimed);
  CHECK(second.reconcile);
  CHECK(second.message_id == first.message_id);  // the same audit row: one attempt at Twilio
  CHECK(second.attempts == 2);
  const auto now = static_cast<long long>(std::time(nullptr));
  CHECK(second.since_epoch >= now - 60);
  CHECK(second.since_epoch <= now + 1);
  CHECK_FALSE(ob::finish_sent(d.app, first, "SMstale"));  // the dead sender's late answer
  CHECK(ob::finish_sent(d.app, second, "SMfound"));
  CHECK(d.sql1("SELECT state || ' ' || external_id FROM message_outbox") == "sent SMfound");
  CHECK(d.sql1("SELECT status || ' ' || external_message_id FROM messages") == "sent SMfound");
  CHECK(d.sql1("SELECT confirmation_sent FROM appointments") == "t");
  CHECK(d.sql1("SELECT count(*) FROM messages") == "1");
  CHECK(ob::due_rows(d.app, 10).empty());
}

TEST_CASE("refused attempts back off, then the row fails with a notification", "[outbox]") {
  outbox_db d;
  d.appointment("+14155552001", 3);
  REQUIRE(ob::schedule_reminders(d.app, 50) == 1);
  auto cl = ob::claim_row(d.app, ob::due_rows(d.app, 10).at(0), fast());
  REQUIRE(cl.claimed);
  REQUIRE(ob::finish_refused(d.app, cl, fast(), "21211", "not a valid phone number"));
  CHECK(d.sql1("SELECT state FROM message_outbox") == "pending");
  CHECK(d.sql1("SELECT due_at > now() FROM message_outbox") == "t");  // backoff
  CHECK(ob::due_rows(d.app, 10).empty());
  CHECK(d.sql1("SELECT status || ' ' || error_code FROM messages") == "failed 21211");
  d.sql("UPDATE message_outbox SET due_at = now() - interval '1 second'");
  auto again = ob::claim_row(d.app, ob::due_rows(d.app, 10).at(0), fast());
  REQUIRE(again.claimed);
  CHECK_FALSE(again.reconcile);
  CHECK(again.message_id != cl.message_id);  // a new attempt, a new audit row
  REQUIRE(ob::finish_refused(d.app, again, fast(), "21211", "not a valid phone number"));
  CHECK(d.sql1("SELECT state || ' ' || attempts FROM message_outbox") == "failed 2");
  CHECK(d.sql1("SELECT kind || ' ' || subject_id FROM org_notifications") ==
        "outbox.failed " + cl.id);
  CHECK(ob::backoff_after(fast(), 1) == std::chrono::milliseconds(1000));
  CHECK(ob::backoff_after(fast(), 3) == std::chrono::milliseconds(4000));
  CHECK(ob::backoff_after(fast(), 40) == std::chrono::hours(1));
}

TEST_CASE("an uncertain send stays sending and is reconciled by the next claim", "[outbox]") {
  outbox_db d;
  // A hot-lead alert from a call: sent from the number the caller dialled.
  d.sql("INSERT INTO phone_numbers (org_id, e164) SELECT id, '+14155550199' FROM organizations");
  {
    pqxx::work tx{d.owner};
    set_tenant(tx, d.org);
    ensure_call(tx, {"call-1", d.org, "inbound", "+14155550123", "+14155550199", ""});
    tx.exec_params("INSERT INTO message_outbox (org_id, kind, call_id, recipient, body, due_at)"
                   " VALUES ($1::uuid, 'hot_lead_alert', 'call-1', '+14155550333', 'Hot lead',"
                   " now())", d.org);
    tx.commit();
  }
  auto cl = ob::claim_row(d.app, ob::due_rows(d.app, 10).at(0), fast());
  REQUIRE(cl.claimed);
  CHECK(cl.kind == "hot_lead_alert");
  CHECK(cl.from == "+14155550199");
  REQUIRE(ob::finish_uncertain(d.app, cl, fast(), "no answer"));
  CHECK(d.sql1("SELECT state || ' ' || sender FROM message_outbox") == "sending +14155550199");
  CHECK(d.sql1("SELECT claimed_until <= now() + interval '1.5 seconds' FROM message_outbox") ==
        "t");  // the lease shortened to the backoff
  d.sql("UPDATE message_outbox SET claimed_until = now() - interval '1 second'");
  auto next = ob::claim_row(d.app, ob::due_rows(d.app, 10).at(0), fast());
  REQUIRE(next.claimed);
  CHECK(next.reconcile);
  CHECK(next.from == "+14155550199");
}

TEST_CASE("a pending reminder whose appointment was cancelled is cancelled, not sent",
          "[outbox]") {
  outbox_db d;
  auto id = d.appointment("+14155552001", 3);
  REQUIRE(ob::schedule_reminders(d.app, 50) == 1);
  d.sql("UPDATE appointments SET status = 'cancelled' WHERE id = '" + id + "'");
  auto cl = ob::claim_row(d.app, ob::due_rows(d.app, 10).at(0), fast());
  CHECK_FALSE(cl.claimed);
  CHECK(cl.settled.find("cancelled") == 0);
  CHECK(d.sql1("SELECT state FROM message_outbox") == "cancelled");
  CHECK(d.sql1("SELECT count(*) FROM messages") == "0");
}
