// twilio::client::list_messages (GET Messages.json, what the outbox reconciles with) against the
// local fake: filters, Twilio's page shape and next_page_uri paging; and the fake's held answers
// (the crash test's "in flight at the provider").
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "adapters/twilio/twilio_client.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/fakes/fake_twilio_messages.hpp"

using namespace std::chrono_literals;
using rm::fakes::fake_twilio;
using rm::twilio::client;

namespace {

const rm::twilio::credentials clinic{"AC11112222333344445555666677778888", "clinic-token"};
const rm::twilio::credentials other{"AC99990000aaaabbbbccccddddeeeeffff", "other-token"};
const std::map<std::string, std::string> accounts{{clinic.account_sid, clinic.auth_token},
                                                  {other.account_sid, other.auth_token}};
const std::string clinic_number = "+14155550100";
const std::string patient = "+14155550199";

rm::twilio::sms_request sms(const std::string& to, const std::string& body,
                            const std::string& from = clinic_number) {
  return {from, to, body, ""};
}

std::string utc_day(long long epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

TEST_CASE("list_messages finds a sent message by To and From, newest first, with its body",
          "[twilio][message-list]") {
  fake_twilio fake{accounts};
  client twilio{fake.base_url()};
  REQUIRE(twilio.send_sms(clinic, sms(patient, "first")).ok);
  auto second = twilio.send_sms(clinic, sms(patient, "second"));
  REQUIRE(second.ok);
  REQUIRE(twilio.send_sms(clinic, sms("+14155550142", "to someone else")).ok);
  REQUIRE(twilio.send_sms(clinic, sms(patient, "from another number", "+14155550101")).ok);
  REQUIRE(twilio.send_sms(other, sms(patient, "another account")).ok);

  rm::twilio::message_query q;
  q.to = patient;
  q.from = clinic_number;
  auto listed = twilio.list_messages(clinic, q);
  REQUIRE(listed.ok);
  REQUIRE(listed.messages.size() == 2);
  CHECK(listed.messages[0].body == "second");  // newest first, like Twilio
  CHECK(listed.messages[0].sid == second.sent.sid);
  CHECK(listed.messages[0].to == patient);
  CHECK(listed.messages[0].from == clinic_number);
  CHECK(listed.messages[0].direction == "outbound-api");
  CHECK(listed.messages[1].body == "first");
  const auto now = static_cast<long long>(std::time(nullptr));
  CHECK(listed.messages[0].date_created_epoch >= now - 60);
  CHECK(listed.messages[0].date_created_epoch <= now + 1);

  // The wire: filters as query parameters, DateSent's bound as "DateSent>".
  q.date_sent_after = utc_day(now);
  auto today = twilio.list_messages(clinic, q);
  REQUIRE(today.ok);
  CHECK(today.messages.size() == 2);
  auto requests = fake.requests();
  const auto& last = requests.back();
  CHECK(last.method == "GET");
  CHECK(last.path == "/2010-04-01/Accounts/" + clinic.account_sid + "/Messages.json");
  CHECK(last.field("To") == patient);
  CHECK(last.field("From") == clinic_number);
  CHECK(last.field("DateSent>") == utc_day(now));

  q.date_sent_after = utc_day(now + 2 * 86400);  // the day after tomorrow: nothing yet
  auto later = twilio.list_messages(clinic, q);
  REQUIRE(later.ok);
  CHECK(later.messages.empty());
}

TEST_CASE("list_messages follows next_page_uri to the last page", "[twilio][message-list]") {
  fake_twilio fake{accounts};
  client twilio{fake.base_url()};
  for (int i = 0; i < 5; ++i) REQUIRE(twilio.send_sms(clinic, sms(patient, "m" + std::to_string(i))).ok);
  rm::twilio::message_query q;
  q.to = patient;
  q.page_size = 2;
  auto listed = twilio.list_messages(clinic, q);
  REQUIRE(listed.ok);
  CHECK(listed.pages == 3);
  REQUIRE(listed.messages.size() == 5);
  CHECK(listed.messages.front().body == "m4");
  CHECK(listed.messages.back().body == "m0");
}

TEST_CASE("the fake's Messages list speaks Twilio's page format", "[twilio][message-list]") {
  nlohmann::json accepted = nlohmann::json::array();
  accepted.push_back(rm::fakes::message_resource(clinic.account_sid, clinic_number, patient, "a"));
  accepted.push_back(rm::fakes::message_resource(clinic.account_sid, clinic_number, patient, "b"));
  auto page = rm::fakes::message_list(accepted, clinic.account_sid,
                                      {{"To", patient}, {"PageSize", "1"}});
  REQUIRE(page.status == 200);
  CHECK(page.body["page"] == 0);
  CHECK(page.body["page_size"] == 1);
  REQUIRE(page.body["messages"].size() == 1);
  CHECK(page.body["messages"][0]["body"] == "b");
  CHECK(page.body["messages"][0]["status"] == "sent");
  CHECK(page.body["next_page_uri"].get<std::string>().find("Page=1") != std::string::npos);
  CHECK(page.body["next_page_uri"].get<std::string>().find("To=%2B14155550199") !=
        std::string::npos);
  CHECK(page.body["previous_page_uri"].is_null());
  CHECK(page.body.contains("uri"));
  auto bad = rm::fakes::message_list(accepted, clinic.account_sid, {{"DateSent>", "yesterday"}});
  CHECK(bad.status == 400);
  CHECK(bad.body["code"] == 20001);
}

TEST_CASE("held Messages.json answers: recorded at once, answered on release",
          "[twilio][message-list]") {
  fake_twilio fake{accounts};
  fake.hold_message_answers(1);
  client twilio{fake.base_url(), {1, 10ms, 10ms}, 10s};
  auto pending = std::async(std::launch::async,
                            [&] { return twilio.send_sms(clinic, sms(patient, "held")); });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (fake.held_answers() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  REQUIRE(fake.held_answers() == 1);
  CHECK(fake.messages().size() == 1);  // the provider has it; the sender does not know yet
  CHECK(pending.wait_for(100ms) == std::future_status::timeout);
  fake.release_held();
  auto sent = pending.get();
  CHECK(sent.ok);
  CHECK(fake.held_answers() == 0);
  REQUIRE(twilio.send_sms(clinic, sms(patient, "not held")).ok);  // only `count` were held
}
