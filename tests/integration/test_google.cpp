// Issue 12 §1 "Done when", against the fake Google (tests/fakes/fake_google.hpp) and the real
// `ringmaster` binary: the consent URL carries offline + consent + the scopes; the callback stores
// a sealed refresh token and the email (single-use, signed state); a Google busy block makes that
// slot unavailable in check_availability without a Google call on the request path, and
// unreservable; a booking creates exactly one event across a failed insert and across a kill -9
// with the insert's answer held; cancelling deletes it; invalid_grant → broken link +
// notification + the local calendar still answering; repeated 5xx open the tenant's google
// breaker, shown in /sessions/tenants.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <pqxx/pqxx>

#include "domain/calendar.hpp"
#include "tests/fakes/fake_google.hpp"
#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

namespace {

const char* const client_id = "itest-client.apps.googleusercontent.com";
const char* const client_secret = "itest-client-secret";
const char* const jwt_secret = "google-itest-jwt-secret-0123456789abcdef";

struct google_env {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  rm::fakes::fake_google google{client_id, client_secret};
  const std::string master_key = test_master_key();
  std::string org, admin, member;

  std::map<std::string, std::string> env(int port) const {
    return {{"DATABASE_URL", db.url()},
            {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
            {"RINGMASTER_OPERATOR_TOKEN", operator_token},
            {"RINGMASTER_VAPI_AUTH", "none"},
            {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
            {"RINGMASTER_MASTER_KEY", master_key},
            {"RINGMASTER_MASTER_KEY_FILE", ""},
            {"RINGMASTER_JWT_SECRET", jwt_secret},
            {"RINGMASTER_GOOGLE_OAUTH_BASE", google.base_url()},
            {"RINGMASTER_GOOGLE_API_BASE", google.base_url()},
            {"RINGMASTER_GOOGLE_CLIENT_ID", client_id},
            {"RINGMASTER_GOOGLE_CLIENT_SECRET", client_secret},
            {"RINGMASTER_GOOGLE_REFRESH_MS", "200"},
            {"RINGMASTER_GOOGLE_LEASE_MS", "3000"},
            {"RINGMASTER_BREAKER_FAILURES", "3"},
            {"RINGMASTER_OUTBOX_POLL_MS", "0"}};
  }

  void create_clinic(int port) {
    auto created = http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    org = created.body["id"];
    admin = rm::testing::mint_jwt(jwt_secret, org, "admin");
    member = rm::testing::mint_jwt(jwt_secret, org, "member");
  }

  // GET …/authorize, then the fake's consent (302 to our callback with code + state): the
  // callback's path and query.
  std::string consent(int port) {
    auto a = http_get(port, "/api/integrations/google/authorize", admin);
    INFO(a.text);
    REQUIRE(a.status == 200);
    const std::string url = a.body["authorize_url"];
    httplib::Client c(google.base_url());
    auto res = c.Get(url.substr(google.base_url().size()).c_str());
    REQUIRE(res);
    REQUIRE(res->status == 302);
    auto loc = res->get_header_value("Location");
    const auto base = "http://127.0.0.1:" + std::to_string(port);
    REQUIRE(loc.rfind(base, 0) == 0);
    return loc.substr(base.size());
  }

  void link(int port) {
    auto cb = http_get(port, consent(port));
    INFO(cb.text);
    REQUIRE(cb.status == 200);
  }

  // Rows of google_event_syncs in `state` (or in `state` or `other`), read in ONE query: the
  // actor may claim a row (pending → working) between two separate counts.
  int syncs(const std::string& state, const std::string& other = "") const {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    return tx.exec_params1("SELECT count(*)::int FROM google_event_syncs"
                           " WHERE state = $1 OR state = $2",
                           state, other.empty() ? state : other)[0]
        .as<int>();
  }

  // A booked appointment tomorrow + `hours`, written as a booking writes it; returns its id.
  std::string book_sql(int hours) const {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto id = tx.exec_params1(
                    "INSERT INTO appointments (org_id, status, starts_at, ends_at, blocked_until)"
                    " VALUES ($1::uuid, 'booked', now() + make_interval(hours => 24 + $2),"
                    " now() + make_interval(hours => 24 + $2, mins => 30),"
                    " now() + make_interval(hours => 24 + $2, mins => 45)) RETURNING id::text",
                    org, hours)[0]
                  .as<std::string>();
    tx.commit();
    return id;
  }
};

std::string hex_of(std::string uuid) {
  uuid.erase(std::remove(uuid.begin(), uuid.end(), '-'), uuid.end());
  return uuid;
}

json tool(int port, const call_spec& call, const std::string& id, const std::string& name,
          const json& args) {
  auto r = only_result(http_post(port, "/webhooks/vapi", tool_calls(call, {{id, name, args}}).dump()));
  INFO(name << ": " << r.dump());
  REQUIRE(r.contains("result"));
  return json::parse(r["result"].get<std::string>());
}

bool has_slot(const json& availability, const std::string& prefix) {
  for (const auto& s : availability["slots"])
    if (s.get<std::string>().rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("google calendar: consent, busy time joined without a Google call, one event per "
          "booking, broken link falls back to the local calendar",
          "[google]") {
  google_env e;
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-google-" + std::to_string(::getpid()) + ".log";
  auto serve = start_serve(e.env(port), port, log_path, std::chrono::seconds(60));
  e.create_clinic(port);
  e.google.set_account("frontdesk@exampleclinic.com", "110169484474386276334");
  e.google.set_expires_in(4);  // refreshed every ~2 s: the invalid_grant below is met soon

  // Not linked yet; members may look but not link.
  auto before = http_get(port, "/api/integrations/google", e.member);
  REQUIRE(before.status == 200);
  CHECK(before.body["connected"] == false);
  CHECK(http_get(port, "/api/integrations/google/authorize", e.member).status == 403);
  auto a = http_get(port, "/api/integrations/google/authorize", e.admin);
  REQUIRE(a.status == 200);
  const std::string url = a.body["authorize_url"];
  CHECK(url.find("access_type=offline") != std::string::npos);
  CHECK(url.find("prompt=consent") != std::string::npos);
  CHECK(url.find("response_type=code") != std::string::npos);
  CHECK(url.find("https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.events") != std::string::npos);
  CHECK(url.find("https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.freebusy") != std::string::npos);
  CHECK(url.find("scope=openid%20email%20") != std::string::npos);
  CHECK(a.body["redirect_uri"] ==
        "http://127.0.0.1:" + std::to_string(port) + "/api/integrations/google/callback");

  // Bad callbacks: no state, a forged state, no code.
  CHECK(http_get(port, "/api/integrations/google/callback?code=x").status == 400);
  auto cb_path = e.consent(port);
  auto state_at = cb_path.find("state=") + 6;
  auto forged = cb_path;
  forged[state_at + 4] = forged[state_at + 4] == '0' ? '1' : '0';  // another tenant id
  CHECK(http_get(port, forged).status == 403);
  auto no_code = "/api/integrations/google/callback?" + cb_path.substr(state_at - 6);
  no_code = no_code.substr(0, no_code.find('&'));
  auto nc = http_get(port, no_code);
  CHECK(nc.status == 400);
  CHECK(nc.text.find("code") != std::string::npos);

  // The state survived the refused attempts (neither used it): now it links, once.
  auto cb = http_get(port, cb_path);
  INFO(cb.text);
  REQUIRE(cb.status == 200);
  CHECK(cb.body["connected_email"] == "frontdesk@exampleclinic.com");
  auto again = http_get(port, cb_path);
  CHECK(again.status == 400);
  CHECK(again.text.find("state_replayed") != std::string::npos);
  {
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    auto r = tx.exec1("SELECT count(*)::int, bool_and(position('1//fake-refresh' in"
                      " encode(ciphertext, 'escape')) = 0) FROM org_credentials"
                      " WHERE provider = 'google'");
    CHECK(r[0].as<int>() == 1);
    CHECK(r[1].as<bool>());  // sealed: the token is not in clear
  }
  auto view = http_get(port, "/api/integrations/google", e.member);
  CHECK(view.body["connected"] == true);
  CHECK(view.body["status"] == "connected");
  CHECK(view.body["connected_email"] == "frontdesk@exampleclinic.com");
  REQUIRE(eventually([&] {
    return !http_get(port, "/api/integrations/google", e.member).body["last_sync_at"].is_null();
  }));

  // A Google busy block at 10:00–11:00 on a coming weekday.
  const std::string date = future_weekday(2);
  call_spec call{"call-google-1"};
  REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "ringing", 1000).dump()).status == 200);
  REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "in-progress", 2000).dump()).status == 200);
  auto free_before = tool(port, call, "tc-a1", "check_availability", json{{"date", date}});
  REQUIRE(has_slot(free_before, date + "T10:00"));
  auto t10 = *rm::domain::parse_instant(date + "T10:00", "America/New_York");
  e.google.set_busy("primary", {{rm::domain::format_local(t10, "UTC"),
                                 rm::domain::format_local(t10 + std::chrono::hours(1), "UTC")}});
  REQUIRE(eventually([&] {
    return !has_slot(tool(port, call, "tc-a" + std::to_string(std::rand()), "check_availability",
                          json{{"date", date}}),
                     date + "T10:00");
  }));
  // The request path never waits for Google: with freeBusy answers held (the google actor stuck
  // inside a read), check_availability still answers from memory and no request reaches Google.
  e.google.hold("POST", "/freeBusy");
  REQUIRE(eventually([&] { return e.google.held_now() == 1; }));
  const auto requests_before = e.google.requests().size();
  auto during = tool(port, call, "tc-a2", "check_availability", json{{"date", date}});
  CHECK_FALSE(has_slot(during, date + "T10:00"));
  CHECK(has_slot(during, date + "T09:00"));
  CHECK(e.google.requests().size() == requests_before);
  // A Google-busy slot cannot be held.
  auto refused = only_result(http_post(
      port, "/webhooks/vapi",
      tool_calls(call, {{"tc-r1", "reserve_slot", json{{"start", date + "T10:00"}}}}).dump()));
  INFO(refused.dump());
  CHECK(refused.dump().find("hold_id") == std::string::npos);
  e.google.release_holds();

  // Booking: the first insert fails (503), the retry creates the one event with our id.
  e.google.fail_next(503, 1, "/events");
  hold_book_and_text(port, call, "tc-b", date + "T14:00", "Booked");
  std::string appt;
  {
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    appt = tx.exec1("SELECT id::text FROM appointments WHERE status = 'booked'")[0].c_str();
  }
  REQUIRE(eventually([&] { return e.google.confirmed_events() == 1 && e.syncs("done") == 1; }));
  CHECK(e.google.count("POST", "/events") == 2);
  auto events = e.google.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]["id"] == hex_of(appt));
  CHECK(events[0]["extendedProperties"]["private"]["bookingId"] == appt);

  // Cancelling deletes it.
  {
    pqxx::connection c{e.db.url()};
    pqxx::work tx{c};
    tx.exec_params("UPDATE appointments SET status = 'cancelled' WHERE id = $1::uuid", appt);
    tx.commit();
  }
  REQUIRE(eventually([&] { return e.google.confirmed_events() == 0 && e.syncs("done") == 2; }));

  // invalid_grant: broken, notified, and availability falls back to the local calendar.
  e.google.fail_refresh_with_invalid_grant(true);
  REQUIRE(eventually([&] {
    return http_get(port, "/api/integrations/google", e.member).body["status"] == "broken";
  }));
  auto broken = http_get(port, "/api/integrations/google", e.member);
  CHECK(broken.body["broken_reason"].get<std::string>().find("invalid_grant") != std::string::npos);
  auto notes = http_get(port, "/api/notifications", e.admin);
  CHECK(notes.text.find("google.link_broken") != std::string::npos);
  REQUIRE(eventually([&] {
    return has_slot(tool(port, call, "tc-f" + std::to_string(std::rand()), "check_availability",
                         json{{"date", date}}),
                    date + "T10:00");
  }));

  // DELETE revokes and forgets.
  const auto revokes = e.google.count("POST", "/revoke");
  CHECK(rm::testing::http_request(port, "DELETE", "/api/integrations/google", e.admin).status ==
        204);
  CHECK(e.google.count("POST", "/revoke") == revokes + 1);
  CHECK(http_get(port, "/api/integrations/google", e.member).body["connected"] == false);
  serve->kill_hard();
  std::remove(log_path.c_str());
}

TEST_CASE("google calendar: kill -9 while the insert's answer is held; the restart makes no "
          "second event", "[google][crash-recovery]") {
  google_env e;
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-google-k-" + std::to_string(::getpid()) + ".log";
  std::string appt;
  {
    auto first = start_serve(e.env(port), port, log_path, std::chrono::seconds(60));
    e.create_clinic(port);
    e.link(port);
    e.google.hold("POST", "/events");  // Google stores the event; its answer never comes
    appt = e.book_sql(3);
    REQUIRE(e.syncs("pending", "working") == 1);  // queued with the booking
    const bool in_flight = eventually([&] { return e.google.held_now() == 1; });
    INFO(read_file(log_path));
    REQUIRE(in_flight);
    first->kill_hard();
    CHECK_FALSE(first->running());
  }
  e.google.release_holds();  // the answer goes to a dead socket
  CHECK(e.google.confirmed_events() == 1);
  CHECK(e.syncs("pending", "working") == 1);  // in flight when killed

  auto second = start_serve(e.env(port), port, log_path, std::chrono::seconds(60));
  const bool done = eventually([&] { return e.syncs("done") == 1; }, std::chrono::seconds(30));
  INFO(read_file(log_path));
  REQUIRE(done);
  CHECK(e.google.confirmed_events() == 1);
  CHECK(e.google.events().size() == 1);
  CHECK(e.google.events()[0]["id"] == hex_of(appt));
  const auto inserts = e.google.count("POST", "/events");
  CHECK(inserts >= 2);  // the retries met 409 duplicate = done
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // more passes change nothing
  CHECK(e.google.count("POST", "/events") == inserts);
  second->kill_hard();
  std::remove(log_path.c_str());
}

TEST_CASE("google calendar: repeated 5xx open the tenant's google breaker, shown in "
          "/sessions/tenants", "[google][breaker]") {
  google_env e;
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-google-b-" + std::to_string(::getpid()) + ".log";
  auto serve = start_serve(e.env(port), port, log_path, std::chrono::seconds(60));
  e.create_clinic(port);
  e.link(port);
  e.google.fail_next(503, 1000, "/freeBusy");
  const bool open = eventually([&] {
    auto t = http_get(port, "/sessions/tenants", operator_token);
    return t.text.find("\"provider\":\"google\"") != std::string::npos &&
           t.text.find("\"state\":\"open\"") != std::string::npos;
  });
  INFO(read_file(log_path));
  REQUIRE(open);
  // Open: nothing more reaches Google for a while (the cool-off is 30 s by default).
  const auto n = e.google.count("POST", "/freeBusy");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK(e.google.count("POST", "/freeBusy") == n);
  auto view = http_get(port, "/api/integrations/google", e.member);
  CHECK(view.body["status"] == "connected");  // a breaker is not a broken link
  serve->kill_hard();
  std::remove(log_path.c_str());
}
