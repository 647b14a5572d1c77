// The Twilio REST client against the local fake (tests/fakes/fake_twilio): wire format, magic
// numbers, error parsing and retries. Sleeps are recorded, never taken.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <thread>

#include "adapters/twilio/twilio_client.hpp"
#include "tests/support/free_port.hpp"
#include "tests/fakes/fake_twilio.hpp"

using namespace std::chrono_literals;
using rm::fakes::fake_twilio;
using rm::twilio::client;

namespace {

const rm::twilio::credentials tenant{"AC0123456789abcdef0123456789abcdef", "tenant-token"};
const std::map<std::string, std::string> accounts{{tenant.account_sid, tenant.auth_token}};
const std::string tenant_number = "+14155550100";
const std::string patient_number = "+14155550199";

rm::twilio::sms_request confirmation(const std::string& to = patient_number) {
  return {tenant_number, to, "Your appointment is confirmed for Tue 10:00.", ""};
}

// A client whose waits are recorded instead of slept.
struct recording_client {
  std::vector<std::chrono::milliseconds> slept;
  client twilio;
  explicit recording_client(const std::string& base_url, rm::twilio::retry_policy retry = {})
      : twilio(base_url, retry, 2s, [this](std::chrono::milliseconds d) { slept.push_back(d); }) {}
};

// A loopback port with nothing listening on it.
int closed_port() { return rm::test::free_port(); }

// Answers every POST with a fixed status and body (for shapes the fake does not produce).
struct canned_server {
  httplib::Server server;
  std::thread thread;
  int port;
  canned_server(int status, std::string body) {
    server.set_tcp_nodelay(true);
    server.Post(".*", [status, body](const httplib::Request&, httplib::Response& res) {
      res.status = status;
      res.set_content(body, "application/problem+json");
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~canned_server() {
    while (!server.is_running()) std::this_thread::yield();
    server.stop();
    thread.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

TEST_CASE("twilio form encoding round-trips plus, ampersand, equals, spaces and unicode",
          "[twilio]") {
  std::vector<std::pair<std::string, std::string>> fields{
      {"To", "+14155550199"},
      {"Body", "a+b & c=d 100% café ✓ 🦷"},
      {"Empty", ""},
      {"Body", "repeated keys stay"}};
  const std::string encoded = rm::twilio::form_encode(fields);
  CHECK(encoded.find("To=%2B14155550199&") == 0);
  CHECK(encoded.find("a%2Bb+%26+c%3Dd+100%25+caf%C3%A9") != std::string::npos);
  CHECK(rm::twilio::form_decode(encoded) == fields);
}

TEST_CASE("twilio form decoding turns '+' into a space and keeps keys without values", "[twilio]") {
  using pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(rm::twilio::form_decode("a=1+2&b=&c&&d=%41%2b") ==
        pairs{{"a", "1 2"}, {"b", ""}, {"c", ""}, {"d", "A+"}});
}

TEST_CASE("twilio client sends an SMS with the tenant's Basic auth and form fields", "[twilio]") {
  fake_twilio fake(accounts);
  recording_client c(fake.base_url());

  auto result = c.twilio.send_sms(tenant, confirmation());

  REQUIRE(result.ok);
  CHECK(result.attempts == 1);
  CHECK(result.sent.sid.size() == 34);
  CHECK(result.sent.sid.rfind("SM", 0) == 0);
  CHECK(result.sent.status == "queued");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path == "/2010-04-01/Accounts/" + tenant.account_sid + "/Messages.json");
  CHECK(seen[0].auth_account_sid == tenant.account_sid);
  CHECK(seen[0].content_type.rfind("application/x-www-form-urlencoded", 0) == 0);
  CHECK(seen[0].field("To") == patient_number);
  CHECK(seen[0].field("From") == tenant_number);
  CHECK(seen[0].field("Body") == confirmation().body);
  CHECK(fake.messages().at(0).at("sid") == result.sent.sid);
  CHECK(c.slept.empty());
}

TEST_CASE("twilio client gets each magic To number's documented code, not retried", "[twilio]") {
  auto [to, code] = GENERATE(table<std::string, int>({{"+15005550001", 21211},
                                                      {"+15005550002", 21612},
                                                      {"+15005550003", 21408},
                                                      {"+15005550004", 21610},
                                                      {"+15005550009", 21614}}));
  fake_twilio fake(accounts);
  recording_client c(fake.base_url());

  auto result = c.twilio.send_sms(tenant, confirmation(to));

  CHECK_FALSE(result.ok);
  CHECK(result.error.http_status == 400);
  CHECK(result.error.code == code);
  CHECK(result.attempts == 1);
  CHECK_FALSE(rm::twilio::describe(result.error).empty());
  CHECK(rm::twilio::describe(result.error).find("Twilio error") == std::string::npos);
}

TEST_CASE("fake twilio applies magic From numbers always, other From numbers in test mode",
          "[twilio]") {
  fake_twilio relaxed(accounts);
  fake_twilio strict(accounts, {0, true});
  auto with_from = [](const std::string& from) {
    return rm::twilio::sms_request{from, patient_number, "hello", ""};
  };

  CHECK(client(relaxed.base_url()).send_sms(tenant, with_from(tenant_number)).ok);
  CHECK(client(relaxed.base_url()).send_sms(tenant, with_from("+15005550001")).error.code ==
        21212);
  CHECK(client(relaxed.base_url()).send_sms(tenant, with_from("+15005550008")).error.code ==
        21611);
  CHECK(client(strict.base_url()).send_sms(tenant, with_from(tenant_number)).error.code == 21606);
  CHECK(client(strict.base_url()).send_sms(tenant, with_from("+15005550006")).ok);
}

TEST_CASE("fake twilio rejects a missing Body or a non-form request with 400", "[twilio]") {
  fake_twilio fake(accounts);
  auto no_body = client(fake.base_url()).send_sms(tenant, {tenant_number, patient_number, "", ""});
  CHECK(no_body.error.http_status == 400);
  CHECK(no_body.error.code == 21602);

  httplib::Client raw("127.0.0.1", fake.port());
  raw.set_basic_auth(tenant.account_sid, tenant.auth_token);
  auto res = raw.Post(("/2010-04-01/Accounts/" + tenant.account_sid + "/Messages.json").c_str(),
                      R"({"To":"+14155550199","From":"+14155550100","Body":"x"})",
                      "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(fake.messages().empty());
}

TEST_CASE("twilio client fails a wrong auth token with 20003 and does not retry", "[twilio]") {
  fake_twilio fake(accounts);
  recording_client c(fake.base_url());

  auto result = c.twilio.send_sms({tenant.account_sid, "wrong"}, confirmation());

  CHECK_FALSE(result.ok);
  CHECK(result.error.http_status == 401);
  CHECK(result.error.code == 20003);
  CHECK(result.attempts == 1);
  CHECK(fake.requests().size() == 1);
  CHECK(c.slept.empty());
  CHECK(rm::twilio::describe(result.error).find("credentials") != std::string::npos);
}

TEST_CASE("twilio client percent-encodes the account sid as one path segment", "[twilio]") {
  fake_twilio fake(accounts);
  auto result = client(fake.base_url()).send_sms({"AC x/y", "t"}, confirmation());

  CHECK(result.error.http_status == 401);  // reached Twilio's auth check: the URL was valid
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == "/2010-04-01/Accounts/AC x/y/Messages.json");  // httplib decodes it
}

TEST_CASE("twilio client succeeds after two 503s, waiting 200 ms then 400 ms", "[twilio]") {
  fake_twilio fake(accounts);
  fake.fail_next(503, 2);
  recording_client c(fake.base_url());

  auto result = c.twilio.send_sms(tenant, confirmation());

  CHECK(result.ok);
  CHECK(result.attempts == 3);
  CHECK(c.slept == std::vector<std::chrono::milliseconds>{200ms, 400ms});
  CHECK(fake.requests().size() == 3);
  CHECK(fake.messages().size() == 1);
}

TEST_CASE("twilio client gives up on a persistent 500 after max_attempts", "[twilio]") {
  fake_twilio fake(accounts);
  fake.fail_next(500, 10);
  recording_client c(fake.base_url(), {4, 200ms, 2000ms});

  auto result = c.twilio.send_sms(tenant, confirmation());

  CHECK_FALSE(result.ok);
  CHECK(result.attempts == 4);
  CHECK(result.error.http_status == 500);
  CHECK(fake.requests().size() == 4);
  CHECK(c.slept == std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms});
  CHECK(rm::twilio::describe(result.error).find("500") != std::string::npos);
}

TEST_CASE("twilio client doubles its backoff up to max_backoff", "[twilio]") {
  fake_twilio fake(accounts);
  fake.fail_next(502, 10);
  recording_client c(fake.base_url(), {5, 200ms, 500ms});

  c.twilio.send_sms(tenant, confirmation());

  CHECK(c.slept == std::vector<std::chrono::milliseconds>{200ms, 400ms, 500ms, 500ms});
}

TEST_CASE("twilio client retries 429, honouring Retry-After capped by max_backoff", "[twilio]") {
  fake_twilio fake(accounts);
  recording_client c(fake.base_url(), {3, 200ms, 2000ms});

  SECTION("without Retry-After the usual backoff applies") {
    fake.fail_next(429, 1, 20429);
    CHECK(c.twilio.send_sms(tenant, confirmation()).attempts == 2);
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{200ms});
  }
  SECTION("Retry-After: 1 waits one second") {
    fake.fail_next(429, 1, 20429, 1);
    CHECK(c.twilio.send_sms(tenant, confirmation()).ok);
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{1000ms});
  }
  SECTION("Retry-After: 30 is capped at max_backoff") {
    fake.fail_next(429, 1, 20429, 30);
    CHECK(c.twilio.send_sms(tenant, confirmation()).ok);
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms});
  }
}

TEST_CASE("twilio client retries a refused connection, then could not reach Twilio",
          "[twilio]") {
  recording_client c("http://127.0.0.1:" + std::to_string(closed_port()));

  auto result = c.twilio.send_sms(tenant, confirmation());

  CHECK_FALSE(result.ok);
  CHECK(result.error.http_status == 0);
  CHECK(result.attempts == 3);
  CHECK(c.slept == std::vector<std::chrono::milliseconds>{200ms, 400ms});
  CHECK(rm::twilio::describe(result.error).find("could not reach Twilio") == 0);
}

TEST_CASE("twilio client reports an unusable base URL without trying", "[twilio]") {
  recording_client c("api.twilio.com");

  auto result = c.twilio.send_sms(tenant, confirmation());

  CHECK_FALSE(result.ok);
  CHECK(result.attempts == 0);
  CHECK(result.error.http_status == 0);
  CHECK(result.error.message.find("api.twilio.com") != std::string::npos);
}

TEST_CASE("twilio client parses the RFC 9457 error shape too", "[twilio]") {
  canned_server twilio(400, R"({"type":"https://www.twilio.com/docs/errors/21211",
      "title":"Invalid 'To' Phone Number","status":400,"code":21211,
      "detail":"The 'To' number +1555 is not a valid phone number.","instance":"/x"})");

  auto result = client(twilio.base_url()).send_sms(tenant, confirmation());

  CHECK(result.error.http_status == 400);
  CHECK(result.error.code == 21211);
  CHECK(result.error.message == "The 'To' number +1555 is not a valid phone number.");
  CHECK(rm::twilio::describe(result.error) == "the number +1555 is not a valid phone number");
}

TEST_CASE("twilio describe has sentences for common codes, else code and message",
          "[twilio]") {
  for (int code : {20003, 21211, 21212, 21408, 21606, 21610, 21611, 21612, 21614}) {
    auto sentence = rm::twilio::describe({400, code, "Twilio's text"});
    CHECK_FALSE(sentence.empty());
    CHECK(sentence.find(std::to_string(code)) == std::string::npos);  // not the fallback
  }
  CHECK(rm::twilio::describe({400, 21610, ""}) == "the recipient has opted out of SMS (STOP)");
  auto fallback = rm::twilio::describe({400, 30007, "Message filtered"});
  CHECK(fallback.find("30007") != std::string::npos);
  CHECK(fallback.find("Message filtered") != std::string::npos);
}
