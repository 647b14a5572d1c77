#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using namespace rm::persistence::test;

TEST_CASE("a contact is upserted by phone and keeps its name when none is given") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  const auto id = upsert_contact(tx, org, "+14155550123", "Ann");
  CHECK(upsert_contact(tx, org, "+14155550123", "") == id);
  CHECK(contact_by_phone(tx, org, "+14155550123") == id);
  CHECK_FALSE(contact_by_phone(tx, org, "+14155550999"));
  CHECK(tx.exec_params1("SELECT name FROM contacts WHERE id = $1", id)[0].as<std::string>() ==
        "Ann");
  CHECK(upsert_contact(tx, org, "+14155550123", "Ann Lee") == id);
  CHECK(tx.exec_params1("SELECT name FROM contacts WHERE id = $1", id)[0].as<std::string>() ==
        "Ann Lee");
}

TEST_CASE("messages of a call round-trip in the order they were written") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  make_call(tx, "call-1", org);
  const auto contact = upsert_contact(tx, org, "+14155550123", "Ann");

  message_row sent;
  sent.org_id = org;
  sent.contact_id = contact;
  sent.call_id = "call-1";
  sent.direction = "outbound";
  sent.method = "sms";
  sent.recipient = "+14155550123";
  sent.content = "See you Tuesday at 10:00 AM.";
  sent.status = "sent";
  sent.external_message_id = "SM123";
  sent.sent_at = utc(8, 1);
  message_row failed = sent;
  failed.contact_id = "";
  failed.status = "failed";
  failed.external_message_id = "";
  failed.error_code = "21211";
  failed.error_message = "Invalid 'To' Phone Number";
  failed.sent_at.reset();

  const auto id1 = insert_message(tx, sent);
  const auto id2 = insert_message(tx, failed);
  CHECK(id1 != id2);
  auto rows = messages_for_call(tx, "call-1");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].org_id == org);
  CHECK(rows[0].contact_id == contact);
  CHECK(rows[0].direction == "outbound");
  CHECK(rows[0].method == "sms");
  CHECK(rows[0].recipient == "+14155550123");
  CHECK(rows[0].content == sent.content);
  CHECK(rows[0].status == "sent");
  CHECK(rows[0].service_provider == "twilio");
  CHECK(rows[0].external_message_id == "SM123");
  CHECK(rows[0].error_code.empty());
  CHECK(rows[0].sent_at == utc(8, 1));
  CHECK(rows[1].status == "failed");
  CHECK(rows[1].contact_id.empty());
  CHECK(rows[1].external_message_id.empty());
  CHECK(rows[1].error_code == "21211");
  CHECK(rows[1].error_message == "Invalid 'To' Phone Number");
  CHECK_FALSE(rows[1].sent_at);
  CHECK(messages_for_call(tx, "call-2").empty());
}
