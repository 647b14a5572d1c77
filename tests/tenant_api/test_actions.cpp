// The dashboard actions end to end (adapters/http/action_routes.cpp, share_routes.cpp): against
// the Twilio fake and the SMTP sink, in tenant A's world of the isolation tests (a booked call
// with a recording and a transcript). Each action works, is audited (audit_events) and writes its
// messages row; refusals are precise. Another tenant's ids: the isolation matrix.
#include <ctime>

#include <catch2/catch.hpp>

#include "domain/calendar.hpp"
#include "domain/reminders.hpp"
#include "persistence/secret_box.hpp"
#include "persistence/share_links.hpp"
#include "tests/tenant_api/isolation.hpp"

using namespace rm;
using namespace rm::tapi;
using namespace rm::tapi::isolation;

namespace {

std::string followup_path(const world& w) {
  return "/api/calls-dashboard/" + w.a_call + "/followup";
}

// The SMS the Twilio fake accepted for `to`, newest last.
std::vector<json> sms_to(world& w, const std::string& to) {
  std::vector<json> out;
  for (const auto& m : w.f.twilio().messages())
    if (m.value("to", "") == to) out.push_back(m);
  return out;
}

long audits(world& w, const std::string& action) {
  return w.f.count("SELECT count(*) FROM audit_events WHERE action = $1", {action});
}

}  // namespace

TEST_CASE("follow-up SMS: sent from the dialled number, audited, the lead moves to contacted") {
  world w;
  const std::string member = mint(w.a, "member", "a-member");
  auto r = w.f.post(followup_path(w), member, {{"message", "Hi Ada, we have openings tomorrow."}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["success"] == true);
  CHECK(r.body["phone"] == caller_number);
  const auto sent = sms_to(w, caller_number);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["from"] == number_a);
  CHECK(sent[0]["body"] == "Hi Ada, we have openings tomorrow.");
  CHECK(r.body["messageId"] == sent[0]["sid"]);
  CHECK(w.f.rows("SELECT method, status, recipient, external_message_id, call_id FROM messages "
                 "WHERE call_id = $1",
                 {w.a_call}) ==
        std::vector<std::vector<std::string>>{
            {"sms", "sent", caller_number, sent[0]["sid"].get<std::string>(), w.a_call}});
  CHECK(w.f.rows("SELECT actor, subject_type, subject_id, detail->>'status', client_ip "
                 "FROM audit_events WHERE action = 'call.followup'") ==
        std::vector<std::vector<std::string>>{{"a-member", "call", w.a_call, "sent", "127.0.0.1"}});
  CHECK(w.f.scalar("SELECT lead_status || ',' || (last_contacted_at IS NOT NULL) FROM contacts "
                   "WHERE id = $1",
                   {w.a_contact}) == "contacted,true");

  SECTION("precise 400s, nothing sent") {
    for (const auto& body : {json::object(), json{{"message", ""}}, json{{"message", 42}},
                             json{{"message", std::string(161, 'x')}}}) {
      auto bad = w.f.post(followup_path(w), member, body);
      INFO(body.dump() << " → " << bad.text);
      CHECK(bad.status == 400);
      CHECK(bad.body["error"]["field"] == "message");
    }
    // 160 characters (not bytes) is one SMS: accepted.
    std::string accents;
    for (int i = 0; i < 160; ++i) accents += "\xC3\xA9";
    CHECK(w.f.post(followup_path(w), member, {{"message", accents}}).status == 200);
    CHECK(sms_to(w, caller_number).size() == 2);
  }
  SECTION("an opted-out caller is refused before Twilio, and the refusal is audited") {
    w.f.scalar("UPDATE contacts SET opted_out = true WHERE id = $1", {w.a_contact});
    auto refused = w.f.post(followup_path(w), member, {{"message", "Hello again"}});
    CHECK(refused.status == 409);
    CHECK(refused.body["error"]["code"] == "opted_out");
    CHECK(sms_to(w, caller_number).size() == 1);
    CHECK(w.f.count("SELECT count(*) FROM messages WHERE status = 'refused' AND "
                    "error_code = 'opted_out'") == 1);
    CHECK(audits(w, "call.followup") == 2);
  }
  SECTION("Twilio refusing the SMS: 502, the row failed, audited") {
    w.f.twilio().fail_next(400, 1, 21211);
    auto failed = w.f.post(followup_path(w), member, {{"message", "Hello again"}});
    INFO(failed.text);
    CHECK(failed.status == 502);
    CHECK(failed.body["error"]["code"] == "twilio_error");
    CHECK(w.f.count("SELECT count(*) FROM messages WHERE status = 'failed' AND "
                    "error_code = '21211'") == 1);
    CHECK(audits(w, "call.followup") == 2);
  }
  SECTION("a clinic without its Twilio account gets 409 no_twilio_account") {
    w.f.scalar("DELETE FROM org_credentials WHERE org_id = $1 AND provider = 'twilio'", {w.a});
    w.f.scalar("DELETE FROM org_twilio_accounts WHERE org_id = $1", {w.a});
    auto none = w.f.post(followup_path(w), member, {{"message", "Hello again"}});
    CHECK(none.status == 409);
    CHECK(none.body["error"]["code"] == "no_twilio_account");
  }
}

TEST_CASE("share recording: a signed 24 h link by e-mail; using it redirects and is audited") {
  world w;
  const std::string member = mint(w.a, "member", "a-member");
  const auto share_path = "/api/calls-dashboard/" + w.a_call + "/share";
  auto r = w.f.post(share_path, member, {{"email", "qa@harbor.example"}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["success"] == true);
  CHECK(r.body["email"] == "qa@harbor.example");
  const std::string url = r.body["url"];
  const std::string prefix = std::string{public_url} + "/share/recordings/";
  REQUIRE(url.rfind(prefix, 0) == 0);
  const std::string token = url.substr(prefix.size());
  // Valid 24 h from now.
  const auto expires = domain::parse_instant(r.body["expires_at"].get<std::string>(), "UTC");
  REQUIRE(expires);
  const auto left = expires->time_since_epoch().count() - std::time(nullptr);
  CHECK(left > 24 * 3600 - 60);
  CHECK(left <= 24 * 3600);
  // The e-mail carries the link; the stored copy does not.
  auto mails = w.f.smtp().messages_to("qa@harbor.example");
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].header("Subject") == "Call recording shared by Harbor Dental");
  CHECK(mails[0].body().find(url) != std::string::npos);
  CHECK(w.f.scalar("SELECT status || ' ' || method || ' ' || subject FROM messages WHERE "
                   "recipient = 'qa@harbor.example'") ==
        "sent email Call recording shared by Harbor Dental");
  CHECK(w.f.scalar("SELECT count(*) FROM messages WHERE content LIKE '%' || $1 || '%'",
                   {token.substr(token.rfind('.') + 1)}) == "0");
  CHECK(w.f.rows("SELECT actor, subject_id, detail->>'email', detail->>'share_id' FROM "
                 "audit_events WHERE action = 'recording.share'") ==
        std::vector<std::vector<std::string>>{
            {"a-member", w.a_call, "qa@harbor.example", token.substr(0, token.find('.'))}});
  CHECK(w.f.scalar("SELECT count(*) FROM recording_shares WHERE call_id = $1 AND "
                   "expires_at > now() + interval '23 hours'",
                   {w.a_call}) == "1");

  // Using the link (no login): 302 to the recording, audited as the link.
  auto used = w.f.get("/share/recordings/" + token);
  CHECK(used.status == 302);
  CHECK(used.headers["Location"] == a_recording_url);
  CHECK(w.f.rows("SELECT actor, subject_id, detail->>'outcome' FROM audit_events WHERE action "
                 "= 'recording.share_used'") ==
        std::vector<std::vector<std::string>>{
            {"link:" + token.substr(0, token.find('.')), w.a_call, "redirected"}});

  SECTION("a tampered token is 403") {
    auto tampered = token;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'a' ? 'b' : 'a';
    auto refused = w.f.get("/share/recordings/" + tampered);
    CHECK(refused.status == 403);
    CHECK(refused.body["error"]["code"] == "invalid_link");
    CHECK(audits(w, "recording.share_used") == 1);
  }
  SECTION("an expired link is 403 link_expired, and the attempt is audited") {
    const std::string old_id = w.f.scalar(
        "INSERT INTO recording_shares (org_id, call_id, email, created_by, expires_at) VALUES "
        "($1, $2, 'qa@harbor.example', 'a-member', to_timestamp(1700000000)) RETURNING id",
        {w.a, w.a_call});
    const auto old = persistence::sign_share_token(persistence::installed_master_key(), old_id,
                                                   1700000000);
    auto expired = w.f.get("/share/recordings/" + old);
    CHECK(expired.status == 403);
    CHECK(expired.body["error"]["code"] == "link_expired");
    CHECK(expired.headers.count("Location") == 0);
    CHECK(w.f.scalar("SELECT detail->>'outcome' FROM audit_events WHERE action = "
                     "'recording.share_used' AND actor = $1",
                     {"link:" + old_id}) == "expired");
  }
  SECTION("a call without a recording: the share is refused and a link answers 404") {
    w.f.scalar("UPDATE calls SET recording_url = NULL WHERE id = $1", {w.a_call});
    auto gone = w.f.get("/share/recordings/" + token);
    CHECK(gone.status == 404);
    auto none = w.f.post(share_path, member, {{"email", "qa@harbor.example"}});
    CHECK(none.status == 409);
    CHECK(none.body["error"]["code"] == "no_recording");
  }
  SECTION("precise 400s and a mail server that refuses") {
    for (const auto& body : {json::object(), json{{"email", "not an address"}},
                             json{{"email", "a@b.example\r\nBcc: x@y.example"}},
                             json{{"email", 7}}}) {
      auto bad = w.f.post(share_path, member, body);
      INFO(body.dump() << " → " << bad.text);
      CHECK(bad.status == 400);
      CHECK(bad.body["error"]["field"] == "email");
    }
    w.f.smtp().reject_recipient("gone@harbor.example");
    auto rejected = w.f.post(share_path, member, {{"email", "gone@harbor.example"}});
    CHECK(rejected.status == 502);
    CHECK(rejected.body["error"]["code"] == "smtp_error");
    CHECK(w.f.scalar("SELECT detail->>'status' FROM audit_events WHERE action = "
                     "'recording.share' AND detail->>'email' = 'gone@harbor.example'") ==
          "failed");
  }
}

TEST_CASE("transcript export: the stored transcript as a text/plain attachment, audited") {
  world w;
  const std::string member = mint(w.a, "member", "a-member");
  const auto path = "/api/calls-dashboard/" + w.a_call + "/transcript/export";
  auto r = w.f.request("POST", path, member, R"({"format":"txt"})");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/plain; charset=utf-8");
  CHECK(r.headers["Content-Disposition"] ==
        "attachment; filename=\"call-" + w.a_call + "-transcript.txt\"");
  CHECK(r.text == a_transcript + "\n");
  CHECK(w.f.rows("SELECT actor, subject_id, detail->>'format' FROM audit_events WHERE action = "
                 "'transcript.export'") ==
        std::vector<std::vector<std::string>>{{"a-member", w.a_call, "txt"}});
  for (const auto* body : {R"({"format":"pdf"})", R"({"format":1})"}) {
    auto bad = w.f.request("POST", path, member, body);
    INFO(body);
    CHECK(bad.status == 400);
    CHECK(bad.body["error"]["field"] == "format");
  }
  w.f.scalar("UPDATE calls SET transcript = NULL WHERE id = $1", {w.a_call});
  auto none = w.f.request("POST", path, member, R"({"format":"txt"})");
  CHECK(none.status == 409);
  CHECK(none.body["error"]["code"] == "no_transcript");
  CHECK(audits(w, "transcript.export") == 1);
}

TEST_CASE("appointment reminder by SMS and e-mail: the domain text, confirmation_sent, audited") {
  world w;
  const std::string member = mint(w.a, "member", "a-member");
  const auto path = "/api/appointments/" + w.a_appointment + "/send-reminder";
  const auto starts = std::stoll(w.f.scalar(
      "SELECT extract(epoch from starts_at)::bigint FROM appointments WHERE id = $1",
      {w.a_appointment}));
  const auto text = domain::appointment_reminder_text(
      "Harbor Dental", domain::instant{std::chrono::seconds{starts}}, "America/New_York");

  auto sms = w.f.post(path, member, {{"method", "sms"}});
  INFO(sms.text);
  REQUIRE(sms.status == 200);
  CHECK(sms.body == json{{"success", true}, {"recipient", caller_number}, {"method", "sms"}});
  const auto sent = sms_to(w, caller_number);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["body"] == text);
  CHECK(sent[0]["from"] == number_a);
  CHECK(w.f.scalar("SELECT confirmation_sent FROM appointments WHERE id = $1",
                   {w.a_appointment}) == "t");
  CHECK(w.f.rows("SELECT actor, subject_type, subject_id, detail->>'method', "
                 "detail->>'status' FROM audit_events WHERE action = 'appointment.reminder'") ==
        std::vector<std::vector<std::string>>{
            {"a-member", "appointment", w.a_appointment, "sms", "sent"}});

  // E-mail: 422 while the contact has no address, then through the sink.
  auto no_email = w.f.post(path, member, {{"method", "email"}});
  CHECK(no_email.status == 422);
  CHECK(no_email.body["error"]["code"] == "no_email");
  w.f.scalar("UPDATE contacts SET email = 'ada@example.com' WHERE id = $1", {w.a_contact});
  auto mail = w.f.post(path, member, {{"method", "email"}});
  INFO(mail.text);
  REQUIRE(mail.status == 200);
  CHECK(mail.body["recipient"] == "ada@example.com");
  CHECK(mail.body["method"] == "email");
  auto mails = w.f.smtp().messages_to("ada@example.com");
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].header("Subject") == "Appointment reminder: Harbor Dental");
  CHECK(mails[0].body() == text + "\r\n");
  CHECK(mails[0].mail_from == "clinic@ringmaster.test");
  CHECK(audits(w, "appointment.reminder") == 2);

  // Refusals.
  for (const auto& body : {json::object(), json{{"method", "fax"}}, json{{"method", true}}}) {
    auto bad = w.f.post(path, member, body);
    INFO(body.dump());
    CHECK(bad.status == 400);
    CHECK(bad.body["error"]["field"] == "method");
  }
  w.f.scalar("UPDATE contacts SET opted_out = true WHERE id = $1", {w.a_contact});
  auto opted = w.f.post(path, member, {{"method", "sms"}});
  CHECK(opted.status == 409);
  CHECK(opted.body["error"]["code"] == "opted_out");
  CHECK(sms_to(w, caller_number).size() == 1);
  REQUIRE(w.f.post("/api/appointments/" + w.a_appointment + "/cancel", member).status == 200);
  auto cancelled = w.f.post(path, member, {{"method", "email"}});
  CHECK(cancelled.status == 409);
  CHECK(cancelled.body["error"]["code"] == "appointment_not_booked");
}
