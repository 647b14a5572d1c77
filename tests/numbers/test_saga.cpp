// The provisioning saga's failure paths: a crash between the purchase and its recording
// (reconciled by listing the account), a Vapi import that fails for a while (retried), for good
// (compensated: the number is released), and a number bought that cannot be recorded.
#include <catch2/catch.hpp>

#include <thread>

#include <caf/all.hpp>

#include "actors/wiring.hpp"

#include "adapters/twilio/twilio_client.hpp"
#include "tests/numbers/fixture.hpp"

using namespace rm::ntest;

namespace {

const std::string magic_ok = "+15005550006";

// An order as a request records it before calling Twilio, whose request then died: its lease has
// run out. `number` or `area_code`.
std::string crashed_order(fixture& f, const std::string& org, const std::string& number,
                          const std::string& area_code = "") {
  return f.scalar(
      "INSERT INTO provisioning_orders (org_id, requested_by, requested_number, area_code,"
      " lease_until) VALUES ($1, 'admin-1', nullif($2, ''), nullif($3, ''),"
      " now() - interval '1 second') RETURNING id",
      {org, number, area_code});
}

// What the dead request had done at Twilio: the purchase, with our tag.
rm::twilio::incoming_number buy_at_twilio(fixture& f, const std::string& order_id,
                                          const std::string& number,
                                          const std::string& area_code = "") {
  rm::twilio::client client{f.twilio().base_url()};
  rm::twilio::purchase_request req;
  req.phone_number = number;
  req.area_code = area_code;
  req.friendly_name = "ringmaster order " + order_id;
  req.voice_url = std::string{public_url} + "/webhooks/twilio/voice";
  auto r = client.purchase_number({account_a, token_a}, req);
  INFO(r.error.message);
  REQUIRE(r.ok);
  return r.number;
}

long releases(fixture& f, const std::string& pn_sid) {
  long n = 0;
  for (const auto& r : f.twilio().requests())
    if (r.method == "DELETE" && r.path.find("/IncomingPhoneNumbers/" + pn_sid) != std::string::npos)
      ++n;
  return n;
}

void make_due(fixture& f) {
  f.scalar("UPDATE provisioning_orders SET next_attempt_at = now() - interval '1 second',"
           " lease_until = least(lease_until, now() - interval '1 second')");
}

}  // namespace

TEST_CASE("a crash after the purchase: the sweep finds the number by listing and completes") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto order = crashed_order(f, a, magic_ok);
  auto bought = buy_at_twilio(f, order, magic_ok);
  CHECK(f.count("SELECT count(*) FROM phone_numbers WHERE e164 = $1", {magic_ok}) == 0);

  auto swept = f.numbers().sweep_now();
  CHECK(swept["orders"] == 1);
  CHECK(f.scalar("SELECT state FROM provisioning_orders WHERE id = $1", {order}) == "completed");
  CHECK(f.scalar("SELECT status || '/' || provider_sid FROM phone_numbers WHERE e164 = $1 AND active",
                 {magic_ok}) == "linked/" + bought.sid);
  // The listing asked for exactly that number.
  bool listed = false;
  for (const auto& r : f.twilio().requests())
    if (r.method == "GET" && r.path.find("/IncomingPhoneNumbers.json") != std::string::npos)
      listed = true;
  CHECK(listed);
  CHECK(f.vapi().phone_numbers().size() == 1);
  CHECK(releases(f, bought.sid) == 0);
  // A second sweep has nothing left to do.
  CHECK(f.numbers().sweep_now()["orders"] == 0);
}

TEST_CASE("a crash after an area-code purchase: the number is recognised by the order's tag") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto order = crashed_order(f, a, "", "500");
  auto bought = buy_at_twilio(f, order, "", "500");
  f.numbers().sweep_now();
  CHECK(f.scalar("SELECT state FROM provisioning_orders WHERE id = $1", {order}) == "completed");
  CHECK(f.scalar("SELECT e164 FROM provisioning_orders WHERE id = $1", {order}) ==
        bought.phone_number);
  CHECK(f.count("SELECT count(*) FROM phone_numbers WHERE provider_sid = $1 AND active",
                {bought.sid}) == 1);
}

TEST_CASE("a crash before Twilio bought anything: the order fails and nothing is recorded") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto order = crashed_order(f, a, magic_ok);
  f.numbers().sweep_now();
  CHECK(f.scalar("SELECT state || '/' || error_code FROM provisioning_orders WHERE id = $1",
                 {order}) == "failed/not_purchased");
  CHECK(f.count("SELECT count(*) FROM phone_numbers WHERE e164 = $1", {magic_ok}) == 0);
  CHECK(f.vapi().phone_numbers().empty());
}

TEST_CASE("an order still leased to its request is left alone by the sweep") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto order = crashed_order(f, a, magic_ok);
  f.scalar("UPDATE provisioning_orders SET lease_until = now() + interval '1 minute'");
  CHECK(f.numbers().sweep_now()["orders"] == 0);
  CHECK(f.scalar("SELECT state FROM provisioning_orders WHERE id = $1", {order}) == "pending");
}

TEST_CASE("a bought number another clinic took meanwhile is given back, never left unrecorded") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  auto order = crashed_order(f, a, magic_ok);
  auto bought = buy_at_twilio(f, order, magic_ok);
  // B maps the number by hand before the sweep runs.
  REQUIRE(f.post("/api/inbound/phone-mappings", mint(b),
                 {{"inbound_phone_number", magic_ok}, {"clinic_name", "Uptown"}})
              .status == 201);
  f.numbers().sweep_now();
  CHECK(f.scalar("SELECT state || '/' || error_code FROM provisioning_orders WHERE id = $1",
                 {order}) == "released/number_taken");
  CHECK(releases(f, bought.sid) == 1);
  CHECK(f.count("SELECT count(*) FROM phone_numbers WHERE org_id = $1 AND e164 = $2", {a, magic_ok}) == 0);
}

TEST_CASE("a Vapi import that fails for a while is retried by the sweep until the number is "
          "linked") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  f.vapi().fail_next(503, 2, "POST");  // both attempts of the client's retry policy
  auto r = f.post("/api/phone-numbers", mint(a), {{"phone_number", magic_ok}});
  INFO(r.text);
  REQUIRE(r.status == 202);
  CHECK(r.body["number"]["status"] == "owned");
  CHECK(r.body["order"]["state"] == "purchased");
  CHECK(r.body["order"]["attempts"] == 1);
  CHECK(r.body["order"]["error"]["code"] == "vapi_unavailable");
  // Already routed: the number belongs to A.
  CHECK(f.scalar("SELECT active FROM phone_numbers WHERE e164 = $1", {magic_ok}) == "t");
  // Not due yet (backoff 30 s).
  CHECK(f.numbers().sweep_now()["orders"] == 0);
  make_due(f);
  CHECK(f.numbers().sweep_now()["orders"] == 1);
  auto order_id = r.body["order"]["id"].get<std::string>();
  CHECK(f.scalar("SELECT state FROM provisioning_orders WHERE id = $1", {order_id}) == "completed");
  CHECK(f.scalar("SELECT status FROM phone_numbers WHERE e164 = $1", {magic_ok}) == "linked");
  auto list = f.get("/api/phone-numbers", mint(a));
  CHECK(list.body["orders"].empty());
}

TEST_CASE("a Vapi refusal is final: the number is released again, without quarantine") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  auto b = f.create_tenant("Uptown Smiles", number_b, account_b, token_b);
  f.vapi().fail_next(400, 1, "POST");
  auto r = f.post("/api/phone-numbers", mint(a), {{"phone_number", magic_ok}});
  INFO(r.text);
  REQUIRE(r.status == 502);
  CHECK(r.body["error"]["code"] == "vapi_refused");
  CHECK(r.body["error"]["message"].get<std::string>().find("was released") != std::string::npos);
  auto sid = f.scalar("SELECT provider_sid FROM phone_numbers WHERE e164 = $1", {magic_ok});
  CHECK(releases(f, sid) == 1);
  CHECK(f.scalar("SELECT status || '/' || coalesce(quarantine_until::text, 'none')"
                 " FROM phone_numbers WHERE e164 = $1",
                 {magic_ok}) == "released/none");
  CHECK(f.scalar("SELECT state FROM provisioning_orders") == "released");
  // No quarantine: another clinic may buy it right away.
  auto again = f.post("/api/phone-numbers", mint(b), {{"phone_number", magic_ok}});
  INFO(again.text);
  CHECK(again.status == 201);
}

TEST_CASE("a Vapi import that keeps failing is compensated after the last attempt") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  f.vapi().fail_next(500, 1000, "POST");
  auto r = f.post("/api/phone-numbers", mint(a), {{"phone_number", magic_ok}});
  INFO(r.text);
  REQUIRE(r.status == 202);
  auto order = r.body["order"]["id"].get<std::string>();
  for (int i = 0; i < 6 && f.scalar("SELECT state FROM provisioning_orders") == "purchased"; ++i) {
    make_due(f);
    f.numbers().sweep_now();
  }
  CHECK(f.scalar("SELECT state || '/' || attempts FROM provisioning_orders WHERE id = $1",
                 {order}) == "released/5");
  auto sid = f.scalar("SELECT pn_sid FROM provisioning_orders WHERE id = $1", {order});
  CHECK(releases(f, sid) == 1);
  CHECK(f.scalar("SELECT active FROM phone_numbers WHERE provider_sid = $1", {sid}) == "f");
}

TEST_CASE("a restarted sweeper actor resumes an order left open, from its rows alone") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, account_a, token_a);
  // The request died after Twilio bought the number; the order's lease has run out (the row says
  // so: no waiting on the clock).
  auto order = crashed_order(f, a, magic_ok);
  auto bought = buy_at_twilio(f, order, magic_ok);
  REQUIRE(f.scalar("SELECT state FROM provisioning_orders WHERE id = $1", {order}) == "pending");

  // The sweeper fails; the root supervisor restarts it and publishes the new handle.
  auto w = f.service().shared_wiring();
  auto before = w->number_sweeper();
  REQUIRE(before);
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  {
    caf::scoped_actor self{f.service().system()};
    self->monitor(before);
    self->receive([](const caf::down_msg&) {});  // the old one is gone
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (w->number_sweeper() == before && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(w->number_sweeper() != before);

  // The new sweeper's start-up pass (which runs before it serves any request) took the order and
  // completed it: the pass asked for here finds nothing left.
  CHECK(f.numbers().sweep_now()["orders"] == 0);
  CHECK(f.scalar("SELECT state FROM provisioning_orders WHERE id = $1", {order}) == "completed");
  CHECK(f.scalar("SELECT status || '/' || provider_sid FROM phone_numbers WHERE e164 = $1 AND active",
                 {magic_ok}) == "linked/" + bought.sid);
  CHECK(f.vapi().phone_numbers().size() == 1);
  CHECK(releases(f, bought.sid) == 0);
}
