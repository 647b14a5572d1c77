// Issue 11 §3, done-when #3: the outbox actor of the real `ringmaster` binary sends exactly one
// automatic reminder per appointment across a kill -9 while sends are in flight at Twilio (the
// fake recorded them but has not answered), and with two instances on one database; a
// hot_lead_alert row goes out once too.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <pqxx/pqxx>
#include <set>

#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

namespace {

struct outbox_env {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  std::string org_id;
  const std::string master_key = test_master_key();  // one for every process of the test

  std::map<std::string, std::string> env(int port, int lease_ms) const {
    return {{"DATABASE_URL", db.url()},
            {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
            {"RINGMASTER_OPERATOR_TOKEN", operator_token},
            {"RINGMASTER_VAPI_AUTH", "none"},
            {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
            {"RINGMASTER_MASTER_KEY", master_key},
            {"RINGMASTER_OUTBOX_POLL_MS", "100"},
            {"RINGMASTER_OUTBOX_LEASE_MS", std::to_string(lease_ms)}};
  }

  void create_clinic(int port) {
    auto created = http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    org_id = tx.exec1("SELECT id::text FROM organizations")[0].c_str();
    tx.commit();
  }

  // `n` booked appointments an hour apart starting in 2 h (inside the default 24 h lead), each
  // with its own contact +1415555020i; returns the contacts' phones.
  std::vector<std::string> book(int n, int first = 0) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    std::vector<std::string> phones;
    for (int i = first; i < first + n; ++i) {
      std::string phone = "+1415555" + std::to_string(2000 + i);
      auto contact = tx.exec_params1(
          "INSERT INTO contacts (org_id, phone_e164, name) VALUES ($1::uuid, $2, $3)"
          " ON CONFLICT (org_id, phone_e164) DO UPDATE SET name = EXCLUDED.name"
          " RETURNING id::text",
          org_id, phone, "Patient " + std::to_string(i))[0].as<std::string>();
      tx.exec_params(
          "INSERT INTO appointments (org_id, contact_id, status, starts_at, ends_at,"
          " blocked_until) VALUES ($1::uuid, $2::uuid, 'booked',"
          " now() + make_interval(hours => 2 + $3), now() + make_interval(hours => 2 + $3, mins => 30),"
          " now() + make_interval(hours => 2 + $3, mins => 45))",
          org_id, contact, i);
      phones.push_back(phone);
    }
    tx.commit();
    return phones;
  }

  std::map<std::string, int> count(const std::string& state) const {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    std::map<std::string, int> out;
    for (const auto& r : tx.exec_params(
             "SELECT recipient, count(*)::int AS n FROM message_outbox WHERE state = $1"
             " GROUP BY recipient",
             state))
      out[r[0].c_str()] = r[1].as<int>();
    return out;
  }

  // Messages at the fake, per recipient.
  std::map<std::string, int> at_twilio() const {
    std::map<std::string, int> out;
    for (const auto& m : twilio.messages()) ++out[m["to"].get<std::string>()];
    return out;
  }

  // Every outbox row sent with the sid the fake gave its one message, and audited as sent.
  void check_sids_and_audit() const {
    std::map<std::string, std::string> sid_of;
    for (const auto& m : twilio.messages()) sid_of[m["to"]] = m["sid"];
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    for (const auto& r : tx.exec(
             "SELECT o.recipient, o.external_id, m.status AS audit, m.external_message_id"
             " FROM message_outbox o JOIN messages m ON m.id = o.message_id")) {
      INFO(r[0].c_str());
      CHECK(std::string{r[1].c_str()} == sid_of[r[0].c_str()]);
      CHECK(std::string{r[2].c_str()} == "sent");
      CHECK(std::string{r[3].c_str()} == sid_of[r[0].c_str()]);
    }
  }
};

}  // namespace

TEST_CASE("kill -9 while reminders are in flight at Twilio: each appointment gets exactly one",
          "[outbox][crash-recovery]") {
  outbox_env e;
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-outbox-" + std::to_string(::getpid()) + ".log";
  const int lease_ms = 9000;  // each Twilio exchange may take lease / 3 = 3 s
  std::vector<std::string> phones;
  {
    auto first = start_serve(e.env(port, lease_ms), port, log_path, std::chrono::seconds(60));
    e.create_clinic(port);
    e.twilio.hold_message_answers(2);  // the first two sends: recorded, never answered
    phones = e.book(5);
    // Both held sends are at the fake, unanswered; the other three went through.
    const bool in_flight = eventually(
        [&] { return e.twilio.held_answers() == 2 && e.count("sent").size() == 3; },
        std::chrono::seconds(20));
    INFO(read_file(log_path));
    REQUIRE(in_flight);
    first->kill_hard();  // kill -9, sends in flight
    CHECK_FALSE(first->running());
  }
  e.twilio.release_held();  // the answers go to a dead socket
  // The crash left two rows 'sending' whose messages Twilio has.
  REQUIRE(e.count("sending").size() == 2);
  for (const auto& [phone, n] : e.count("sending")) CHECK(e.at_twilio()[phone] == 1);
  CHECK(e.twilio.messages().size() == 5);

  auto second = start_serve(e.env(port, lease_ms), port, log_path, std::chrono::seconds(60));
  const bool all_sent = eventually([&] { return e.count("sent").size() == phones.size(); },
                                   std::chrono::seconds(40));
  INFO(read_file(log_path));
  REQUIRE(all_sent);
  auto at_twilio = e.at_twilio();
  for (const auto& phone : phones) {
    INFO(phone);
    CHECK(at_twilio[phone] == 1);
  }
  CHECK(e.twilio.messages().size() == phones.size());
  e.check_sids_and_audit();
  // The restart found the two in-flight sends at Twilio: it asked the Message list, not POST.
  int lists = 0;
  for (const auto& r : e.twilio.requests())
    if (r.method == "GET" && r.path.find("/Messages.json") != std::string::npos) ++lists;
  CHECK(lists >= 2);
  // A few more passes change nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(e.twilio.messages().size() == phones.size());
  second->kill_hard();
  std::remove(log_path.c_str());
}

TEST_CASE("two ringmaster instances on one database send each reminder and alert once",
          "[outbox][two-instances]") {
  outbox_env e;
  const int port_a = free_port(), port_b = free_port();
  const std::string log_a = "/tmp/rm-integ-outbox-a-" + std::to_string(::getpid()) + ".log";
  const std::string log_b = "/tmp/rm-integ-outbox-b-" + std::to_string(::getpid()) + ".log";
  auto a = start_serve(e.env(port_a, 9000), port_a, log_a, std::chrono::seconds(60));
  e.create_clinic(port_a);
  auto b = start_serve(e.env(port_b, 9000), port_b, log_b, std::chrono::seconds(60));
  // The first four sends are held at the fake: their senders stay in the middle of a pass with
  // more rows listed, which the other instance meanwhile claims and sends. When the answers come,
  // those listed rows are no longer due: claiming them again must change nothing.
  e.twilio.hold_message_answers(4);
  auto phones = e.book(8);
  const std::string alert_phone = "+14155550333";
  {
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    tx.exec_params(
        "INSERT INTO message_outbox (org_id, kind, recipient, body, due_at)"
        " VALUES ($1::uuid, 'hot_lead_alert', $2, 'Hot lead: +14155550177 (score 86)', now())",
        e.org_id, alert_phone);
    tx.commit();
  }
  phones.push_back(alert_phone);
  REQUIRE(eventually([&] { return e.twilio.held_answers() == 4; }, std::chrono::seconds(20)));
  // The rest go out meanwhile (within the held sends' 3 s exchange limit, normally).
  eventually([&] { return e.count("sent").size() == phones.size() - 4; },
             std::chrono::milliseconds(2500));
  e.twilio.release_held();
  const bool all_sent = eventually([&] { return e.count("sent").size() == phones.size(); },
                                   std::chrono::seconds(40));
  INFO(read_file(log_a));
  INFO(read_file(log_b));
  REQUIRE(all_sent);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // both keep polling
  auto at_twilio = e.at_twilio();
  for (const auto& phone : phones) {
    INFO(phone);
    CHECK(at_twilio[phone] == 1);
  }
  CHECK(e.twilio.messages().size() == phones.size());
  e.check_sids_and_audit();
  // Sent from the clinic's number (the rows' sender was '').
  for (const auto& m : e.twilio.messages()) CHECK(m["from"] == clinic_number);
  {
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT count(*) FROM appointments WHERE confirmation_sent")[0].as<int>() == 8);
    CHECK(tx.exec1("SELECT count(*) FROM message_outbox WHERE kind = 'reminder'")[0].as<int>() ==
          8);
  }
  a->kill_hard();
  b->kill_hard();
  std::remove(log_a.c_str());
  std::remove(log_b.c_str());
}

TEST_CASE("an opted-out contact's reminder is cancelled with the reason, never sent",
          "[outbox]") {
  outbox_env e;
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-outbox-o-" + std::to_string(::getpid()) + ".log";
  auto serve = start_serve(e.env(port, 6000), port, log_path, std::chrono::seconds(60));
  e.create_clinic(port);
  {
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    tx.exec_params(
        "INSERT INTO contacts (org_id, phone_e164, opted_out) VALUES ($1::uuid, '+14155552000', true)",
        e.org_id);
    tx.commit();
  }
  auto phones = e.book(2);  // +14155552000 (opted out) and +14155552001
  const bool settled = eventually([&] {
    return e.count("sent").size() == 1 && e.count("cancelled").size() == 1;
  }, std::chrono::seconds(30));
  INFO(read_file(log_path));
  REQUIRE(settled);
  CHECK(e.count("cancelled").count("+14155552000") == 1);
  CHECK(e.at_twilio().count("+14155552000") == 0);
  pqxx::connection c{e.db.url()};
  pqxx::work tx{c};
  CHECK(std::string{tx.exec1("SELECT last_error FROM message_outbox WHERE state = 'cancelled'")[0]
                        .c_str()}
            .find("opted out") != std::string::npos);
  serve->kill_hard();
  std::remove(log_path.c_str());
}
