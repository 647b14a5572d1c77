// Issue 11, done-when #1, with the real `ringmaster` binary (RINGMASTER_BIN): a recorded call
// whose transcript holds an SSN, a Luhn-valid card number and an e-mail address, asks about
// botox and books, ends `scored` with
//   - none of those PII strings in any row of any table, in any line ringmaster wrote, or in the
//     API answers (/sessions/calls/{id}, /sessions/calls, /api/calls, /api/calls/{id});
//   - financial value 400 (Botox), a lead score ≥ 70 and tier hot, the contact booked;
//   - one hot_lead_alert outbox row to the clinic's alert number (set through /api/org/settings),
//     sent once through the clinic's Twilio account (the fake Twilio receives exactly one SMS
//     to that number), and none more for a second hot call from the same caller within the hour.
// (The "botox" keyword itself is not PII: the services table holds it by design.)
#include <catch2/catch.hpp>
#include <cstdio>

#include <pqxx/pqxx>

#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

namespace {

const char* const ssn = "536-22-8419";
const char* const card = "4111 1111 1111 1111";  // Luhn-valid (a Visa test number)
const char* const email = "jane.doe@example.com";
const char* const alert_number = "+14155550199";

// Every row of every table in the public schema, as text.
std::string dump_database(const std::string& url) {
  pqxx::connection c{url};
  pqxx::work tx{c};
  std::string out;
  for (const auto& t : tx.exec("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    for (const auto& r : tx.exec("SELECT t::text FROM " + tx.quote_name(t[0].c_str()) + " t"))
      out += std::string(r[0].c_str()) + "\n";
  return out;
}

// What must appear nowhere: the PII as spoken, and its digits without separators (and, for the
// JSON-escaped dumps, nothing else is needed: none of these strings has a character JSON escapes).
std::vector<std::string> pii() {
  return {ssn,   "536228419", "536 22 8419", card, "4111111111111111", "4111-1111-1111-1111",
          email, "jane.doe"};
}

void check_clean(const std::string& where, const std::string& text) {
  for (const auto& s : pii()) {
    INFO(where << " holds '" << s << "'");
    CHECK(text.find(s) == std::string::npos);
  }
}

// The sample report, with a transcript (artifact, top level and messages[]), a summary and
// structured data that carry the PII, and a long enough call.
json pii_report(const call_spec& call, std::int64_t ts_ms) {
  const std::string said = std::string("Hi, I would love to book botox for my forehead. My SSN is ") +
                           ssn + ", my card is " + card + ", and my email is " + email + ".";
  const std::string transcript = "AI: Thanks for calling Harbor Dental, how can I help?\nUser: " +
                                 said +
                                 "\nAI: You are booked.\nUser: Great, thank you so much, that's "
                                 "perfect.\n";
  json body = end_of_call_report(call, ts_ms);
  auto& m = body["message"];
  m["artifact"]["transcript"] = transcript;
  m["transcript"] = transcript;
  for (auto& msg : m["artifact"]["messages"])
    if (msg.value("role", "") == "user") msg["message"] = said;
  if (m.contains("messages"))
    for (auto& msg : m["messages"])
      if (msg.value("role", "") == "user") msg["message"] = said;
  const std::string summary =
      std::string("The caller booked botox and gave the e-mail ") + email + " and SSN " + ssn + ".";
  m["analysis"]["summary"] = summary;
  m["summary"] = summary;
  m["analysis"]["structuredData"]["email"] = email;
  m["durationSeconds"] = 150.0;
  return body;
}

}  // namespace

TEST_CASE("a recorded call with PII ends scored, redacted everywhere, with one hot-lead alert",
          "[scoring][pii]") {
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  const std::string jwt_secret = "scoring-pii-jwt-secret-0123456789abcdef";
  const std::string log_path = "/tmp/rm-integ-scoring-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  const std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_VAPI_AUTH", "none"},
      {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
      {"RINGMASTER_MASTER_KEY", test_master_key()},
      {"RINGMASTER_MASTER_KEY_FILE", ""},
      {"RINGMASTER_JWT_SECRET", jwt_secret},
  };
  auto serve = start_serve(env, port, log_path, std::chrono::seconds(60));
  auto post = [&](const json& body) { return http_post(port, "/webhooks/vapi", body.dump()); };

  auto created = http_post(port, "/ops/tenants", clinic_tenant().dump(), operator_token);
  INFO(created.text);
  REQUIRE(created.status == 201);
  const std::string org = created.body["id"];
  const std::string jwt = rm::testing::mint_jwt(jwt_secret, org, "admin");
  {
    // The clinic sets its alert number through the settings API (E.164 normalised there).
    auto set = rm::testing::http_request(port, "PATCH", "/api/org/settings", jwt,
                                         json{{"alert_phone", "(415) 555-0199"}}.dump());
    INFO(set.text);
    REQUIRE(set.status == 200);
    CHECK(set.body["alert_phone"] == alert_number);
  }

  const std::string date = future_weekday(2);
  auto view_of = [&](const std::string& id) {
    return http_get(port, "/sessions/calls/" + id, operator_token);
  };
  auto hot_call = [&](const std::string& id, const std::string& time) {
    call_spec call{id};
    REQUIRE(post(status_update(call, "ringing", 1000)).status == 200);
    REQUIRE(post(status_update(call, "in-progress", 2000)).status == 200);
    hold_book_and_text(port, call, "tc-" + id, date + "T" + time, "Booked for " + date);
    REQUIRE(post(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
    auto report = post(pii_report(call, 4000));
    INFO(report.text);
    REQUIRE(report.status == 200);
    check_clean("the report's answer", report.text);
    json view;
    CHECK(eventually([&] {
      auto v = view_of(id);
      view = v.body;
      return v.status == 200 && v.body.value("state", "") == "scored";
    }));
    return view;
  };

  auto view = hot_call("pii-call-1", "10:00");
  INFO(view.dump());
  CHECK(view["state"] == "scored");
  CHECK(view["outcome"] == "booked");
  CHECK(view["financial_value"] == 400.0);
  CHECK(view["matched_service"] == "Botox");
  REQUIRE(view["lead_score"].is_number_integer());
  CHECK(view["lead_score"].get<int>() >= 70);
  CHECK(view["lead_tier"] == "hot");
  CHECK(view["sentiment"]["label"] == "positive");
  CHECK(view["recording_status"] == "completed");  // the sample carries its recording URL
  CHECK(view["redactions"]["ssn"] == 2);    // transcript and summary
  CHECK(view["redactions"]["card"] == 1);
  CHECK(view["redactions"]["email"] == 2);
  const std::string transcript = view["report"]["transcript"];
  CHECK(transcript.find("[SSN]") != std::string::npos);
  CHECK(transcript.find("[CARD]") != std::string::npos);
  CHECK(transcript.find("[EMAIL]") != std::string::npos);
  CHECK(transcript.find("botox") != std::string::npos);
  CHECK(transcript.find(caller_number) == std::string::npos);  // not said: nothing to keep

  auto scalar = [&](const std::string& sql, const std::string& p) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto r = tx.exec_params(sql, p);
    return r.empty() || r[0][0].is_null() ? std::string() : std::string(r[0][0].c_str());
  };
  CHECK(scalar("SELECT lead_status FROM contacts WHERE phone_e164 = $1", caller_number) ==
        "booked");
  CHECK(scalar("SELECT lead_tier FROM contacts WHERE phone_e164 = $1", caller_number) == "hot");
  CHECK(scalar("SELECT count(*) FROM message_outbox WHERE kind = $1", "hot_lead_alert") == "1");
  CHECK(scalar("SELECT recipient FROM message_outbox WHERE kind = $1", "hot_lead_alert") ==
        alert_number);
  CHECK(scalar("SELECT count(*) FROM org_notifications WHERE kind = $1", "lead.hot") == "1");
  // The outbox actor sends it through the clinic's own Twilio account, once.
  auto alerts_sent = [&] {
    int n = 0;
    for (const auto& m : twilio.messages())
      if (m.value("to", "") == alert_number) {
        ++n;
        check_clean("the alert SMS", m.dump());
      }
    return n;
  };
  CHECK(eventually([&] { return alerts_sent() == 1; }));
  CHECK(eventually([&] {
    return scalar("SELECT state FROM message_outbox WHERE kind = $1", "hot_lead_alert") == "sent";
  }));

  // A second hot call from the same caller within the hour: scored, no second alert.
  auto second = hot_call("pii-call-2", "13:00");
  INFO(second.dump());
  CHECK(second["lead_tier"] == "hot");
  CHECK(second["score_factors"]["returning_caller"] == 10);
  CHECK(scalar("SELECT count(*) FROM message_outbox WHERE kind = $1", "hot_lead_alert") == "1");
  CHECK(scalar("SELECT count(*) FROM org_notifications WHERE kind = $1", "lead.hot") == "2");
  CHECK(scalar("SELECT count(*) FROM call_events WHERE kind = $1", "score") == "2");

  // The API answers.
  for (const std::string path :
       {"/sessions/calls/pii-call-1", "/sessions/calls/pii-call-2", "/sessions/calls"}) {
    auto r = http_get(port, path, operator_token);
    CHECK(r.status == 200);
    check_clean(path, r.text);
  }
  for (const std::string path : {"/api/calls", "/api/calls/pii-call-1"}) {
    auto r = http_get(port, path, jwt);
    INFO(r.text);
    CHECK(r.status == 200);
    check_clean(path, r.text);
  }
  CHECK(alerts_sent() == 1);  // the second call queued nothing, so nothing more went out
  serve->kill_hard();

  check_clean("the database", dump_database(db.url()));
  const auto log = read_file(log_path);
  CHECK_FALSE(log.empty());
  check_clean("the log", log);
  std::remove(log_path.c_str());
}

TEST_CASE("a forwarded and transferred call keeps only the destination and reason",
          "[scoring][transfer]") {
  harness h;
  h.create_sample_clinic();
  call_spec call{"transfer-call-1"};
  REQUIRE(h.vapi(status_update(call, "ringing", 1000)).status == 200);
  REQUIRE(h.vapi(status_update(call, "in-progress", 2000)).status == 200);
  // status-update "forwarding" carries the conversation so far (vapi.md §1): stored redacted.
  json forwarding = status_update(call, "forwarding", 3000);
  forwarding["message"]["destination"] = {{"type", "number"}, {"number", "+14155550111"},
                                          {"description", "front desk"}};
  forwarding["message"]["transcript"] = std::string("User: my email is ") + email;
  auto fwd = h.vapi(forwarding);
  INFO(fwd.text);
  REQUIRE(fwd.status == 200);
  CHECK(fwd.body["state"] == "forwarding");
  auto view = h.call_view(call.call_id);
  INFO(view.dump());
  REQUIRE(view["transfer"].is_object());
  CHECK(view["transfer"]["to"] == "+14155550111");
  CHECK(view["transfer"]["reason"] == "front desk");
  CHECK(view["transfer"]["time"] == "1970-01-01T00:00:03Z");

  // A later transfer-update to a SIP desk, with a reason: it wins; the state does not move.
  json transfer = status_update(call, "forwarding", 5000);
  transfer["message"]["type"] = "transfer-update";
  transfer["message"].erase("status");
  transfer["message"]["destination"] = {{"type", "sip"}, {"sipUri", "sip:desk@clinic.example"}};
  transfer["message"]["reason"] = "caller asked for a person";
  transfer["message"]["artifact"] = {{"transcript", std::string("User: ") + email}};
  auto tr = h.vapi(transfer);
  INFO(tr.text);
  REQUIRE(tr.status == 200);
  CHECK(tr.body["state"] == "forwarding");
  CHECK(h.vapi(transfer).body["duplicate"] == true);
  view = h.call_view(call.call_id);
  CHECK(view["transfer"]["to"] == "sip:desk@clinic.example");
  CHECK(view["transfer"]["reason"] == "caller asked for a person");
  int transfers = 0;
  for (const auto& e : view["events"]) transfers += e["kind"] == "transfer";
  CHECK(transfers == 2);
  // The transfer-update's payload is only its destination and reason; the forwarding status's
  // payload is redacted.
  CHECK(h.scalar("SELECT payload::text FROM call_events WHERE dedup_key = 'transfer:5000'") ==
        R"({"type": "transfer-update", "reason": "caller asked for a person", )"
        R"("destination": "sip:desk@clinic.example"})");
  CHECK(h.count("SELECT count(*) FROM call_events WHERE payload::text LIKE '%' || $1 || '%'",
                {email}) == 0);
  CHECK(h.count("SELECT count(*) FROM call_events WHERE payload::text LIKE '%[EMAIL]%'") == 1);
}
