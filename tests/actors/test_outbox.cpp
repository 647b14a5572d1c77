// The outbox actor (actors/outbox_interfaces.hpp) with its real neighbours: the db pool on a
// scratch PostgreSQL, the provider gate and the twilio adapter against the in-process Twilio
// fake. Passes run on request (`opoll`, answered when the pass is over; no timer), so each step is
// observed after a whole pass: scheduling and sending, the reconcile of a row a dead sender left
// 'sending' (found at Twilio → no second POST; not found → one POST), refusals with backoff.
#include <catch2/catch.hpp>
#include <caf/all.hpp>

#include <pqxx/pqxx>
#include <tuple>

#include "actors/actors.hpp"
#include "persistence/credentials.hpp"
#include "persistence/repositories.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/support/test_db.hpp"

using namespace rm;
using namespace std::chrono_literals;

namespace {

const std::string sid = "AC0123456789abcdef0123456789abcdef";
const std::string token = "outbox-token";
const std::string clinic_number = "+14155550100";

struct fixture {
  testing::scratch_database db;
  fakes::fake_twilio twilio{std::map<std::string, std::string>{{sid, token}}};
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::wiring_ptr w = std::make_shared<actors::wiring>();
  std::string org;

  fixture() {
    {
      pqxx::connection c{db.url()};
      pqxx::work tx{c};
      persistence::new_tenant t;
      t.name = "Harbor Dental";
      t.numbers.push_back({clinic_number, "main", ""});
      org = persistence::create_tenant(tx, t).org_id;
      persistence::store_twilio_credential(tx, org, sid, token, "");
      tx.commit();
    }
    actors::register_errors(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    w->outbox.poll = 0ms;  // passes on request only
    w->outbox.rows.lease = 3s;
    w->outbox.rows.first_backoff = 1s;
    w->outbox.twilio_base_url = twilio.base_url();
    w->set(actors::spawn_db_pool(*sys, db.url(), 2));
    w->set(actors::spawn_provider_gate(*sys, w));
    w->set(actors::spawn_twilio(*sys, twilio.base_url(), w));
    w->set(actors::spawn_outbox(*sys, w));
  }
  ~fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(w->outbox_sender()),
                   caf::actor_cast<caf::actor>(w->twilio()), caf::actor_cast<caf::actor>(w->gate()),
                   caf::actor_cast<caf::actor>(w->db())})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sys.reset();
  }

  // One pass: (scheduled, sent, settled otherwise).
  std::tuple<int, int, int> pass() {
    caf::scoped_actor self{*sys};
    std::tuple<int, int, int> out{-1, -1, -1};
    self->request(w->outbox_sender(), 20s, actors::opoll_atom::value)
        .receive([&](int s, int n, int o) { out = {s, n, o}; },
                 [&](caf::error& e) { FAIL(sys->render(e)); });
    return out;
  }

  void sql(const std::string& q) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    tx.exec(q);
    tx.commit();
  }
  std::string sql1(const std::string& q) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto r = tx.exec1(q);
    return r[0].is_null() ? "NULL" : r[0].c_str();
  }
  void alert(const std::string& to, const std::string& body) {
    sql("INSERT INTO message_outbox (org_id, kind, recipient, body, due_at) VALUES ('" + org +
        "', 'hot_lead_alert', '" + to + "', '" + body + "', now())");
  }
  int posts() const {
    int n = 0;
    for (const auto& r : twilio.requests())
      if (r.method == "POST" && r.path.find("/Messages.json") != std::string::npos) ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("a pass schedules due reminders and sends every due row once", "[outbox]") {
  fixture f;
  f.sql("INSERT INTO contacts (org_id, phone_e164) VALUES ('" + f.org + "', '+14155552001')");
  f.sql("INSERT INTO appointments (org_id, contact_id, status, starts_at, ends_at, blocked_until)"
        " SELECT org_id, id, 'booked', now() + interval '3 hours', now() + interval '200 minutes',"
        " now() + interval '215 minutes' FROM contacts");
  f.alert("+14155550333", "Hot lead");
  CHECK(f.pass() == std::make_tuple(1, 2, 0));
  REQUIRE(f.twilio.messages().size() == 2);
  for (const auto& m : f.twilio.messages()) CHECK(m["from"] == clinic_number);
  CHECK(f.pass() == std::make_tuple(0, 0, 0));  // nothing twice
  CHECK(f.twilio.messages().size() == 2);
  CHECK(f.sql1("SELECT count(*) FROM message_outbox WHERE state = 'sent'") == "2");
}

TEST_CASE("a row its dead sender left sending is reconciled with Twilio's message list",
          "[outbox]") {
  fixture f;
  f.alert("+14155550333", "Hot lead: found at Twilio");
  f.alert("+14155550334", "Hot lead: never reached Twilio");
  // A sender claimed both and died: one message had reached Twilio, the other had not.
  f.sql("INSERT INTO messages (org_id, direction, method, recipient, content, status)"
        " SELECT org_id, 'outbound', 'sms', recipient, body, 'sending' FROM message_outbox");
  f.sql("UPDATE message_outbox o SET state = 'sending', claim_token = gen_random_uuid(),"
        " claimed_until = now() - interval '1 second', attempts = 1, sender = '" + clinic_number +
        "', message_id = (SELECT id FROM messages m WHERE m.recipient = o.recipient)");
  twilio::client direct{f.twilio.base_url()};
  auto earlier = direct.send_sms({sid, token}, {clinic_number, "+14155550333",
                                                "Hot lead: found at Twilio", ""});
  REQUIRE(earlier.ok);
  const int posts_before = f.posts();
  CHECK(f.pass() == std::make_tuple(0, 2, 0));
  CHECK(f.posts() == posts_before + 1);  // only the one Twilio did not have
  CHECK(f.sql1("SELECT external_id FROM message_outbox WHERE recipient = '+14155550333'") ==
        earlier.sent.sid);
  std::map<std::string, int> per_recipient;
  for (const auto& m : f.twilio.messages()) ++per_recipient[m["to"].get<std::string>()];
  CHECK(per_recipient["+14155550333"] == 1);
  CHECK(per_recipient["+14155550334"] == 1);
  CHECK(f.sql1("SELECT count(*) FROM messages WHERE status = 'sent'") == "2");
}

TEST_CASE("a refused SMS goes back to pending with a backoff, not sent twice", "[outbox]") {
  fixture f;
  f.alert("+15005550001", "Hot lead");  // Twilio's magic invalid To: 21211
  CHECK(f.pass() == std::make_tuple(0, 0, 1));
  CHECK(f.sql1("SELECT state || ' ' || attempts || ' ' || (due_at > now())"
               " FROM message_outbox") == "pending 1 true");
  CHECK(f.sql1("SELECT error_code FROM messages") == "21211");
  CHECK(f.pass() == std::make_tuple(0, 0, 0));  // not due yet
  CHECK(f.posts() == 1);
}
