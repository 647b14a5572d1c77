// The Twilio client's account and number operations against the local fake
// (tests/fakes/fake_twilio*): FetchAccount, AvailablePhoneNumbers, buying (magic numbers and
// ordinary ones), paging by next_page_uri, URL updates, release; error bodies and describe().
#include <catch2/catch.hpp>
#include <httplib.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/twilio/twilio_client.hpp"
#include "tests/fakes/fake_twilio.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using rm::fakes::fake_twilio;
using rm::twilio::client;
using rm::twilio::describe;

namespace {

const rm::twilio::credentials clinic_a{"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "token-a"};
const rm::twilio::credentials clinic_b{"ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "token-b"};
const std::map<std::string, std::string> accounts{{clinic_a.account_sid, clinic_a.auth_token},
                                                  {clinic_b.account_sid, clinic_b.auth_token}};

rm::twilio::purchase_request webhooks(std::string phone_number = "", std::string area_code = "") {
  rm::twilio::purchase_request r;
  r.phone_number = std::move(phone_number);
  r.area_code = std::move(area_code);
  r.voice_url = "https://rm.example/webhooks/twilio/voice";
  r.sms_url = "https://rm.example/webhooks/twilio/sms";
  r.status_callback = "https://rm.example/webhooks/twilio/status";
  return r;
}

struct recording_client {
  std::vector<std::chrono::milliseconds> slept;
  client twilio;
  explicit recording_client(const std::string& base_url)
      : twilio(base_url, {}, 2s, [this](std::chrono::milliseconds d) { slept.push_back(d); }) {}
};

// Answers every GET/DELETE with a fixed status and body (shapes the fake never produces).
struct canned_server {
  httplib::Server server;
  std::thread thread;
  int port;
  int hits = 0;
  canned_server(int status, std::string body) {
    auto handler = [this, status, body](const httplib::Request&, httplib::Response& res) {
      ++hits;
      res.status = status;
      res.set_content(body, "application/json");
    };
    server.Get(".*", handler);
    server.Delete(".*", handler);
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

std::string account_path(const rm::twilio::credentials& c) {
  return "/2010-04-01/Accounts/" + c.account_sid;
}

}  // namespace

TEST_CASE("fetch_account reads the account with Basic auth and never keeps its auth_token",
          "[twilio][numbers]") {
  fake_twilio fake(accounts);
  recording_client c(fake.base_url());

  auto r = c.twilio.fetch_account(clinic_a);

  REQUIRE(r.ok);
  CHECK(r.account.sid == clinic_a.account_sid);
  CHECK(r.account.status == "active");
  CHECK(r.account.type == "Full");
  CHECK_FALSE(r.account.friendly_name.empty());
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].path == account_path(clinic_a) + ".json");
  CHECK(seen[0].auth_account_sid == clinic_a.account_sid);

  fake.set_account_status(clinic_a.account_sid, "suspended");
  CHECK(c.twilio.fetch_account(clinic_a).account.status == "suspended");
}

TEST_CASE("fetch_account: wrong credentials are 20003, described, and not retried",
          "[twilio][numbers]") {
  fake_twilio fake(accounts);
  recording_client c(fake.base_url());

  SECTION("wrong token") {
    auto r = c.twilio.fetch_account({clinic_a.account_sid, "wrong"});
    CHECK_FALSE(r.ok);
    CHECK(r.error.http_status == 401);
    CHECK(r.error.code == 20003);
    CHECK(describe(r.error).rfind("Twilio rejected these credentials", 0) == 0);
  }
  SECTION("unknown account") {
    auto r = c.twilio.fetch_account({"AC00000000000000000000000000000000", "x"});
    CHECK(r.error.code == 20003);
  }
  CHECK(fake.requests().size() == 1);
  CHECK(c.slept.empty());
}

TEST_CASE("fetch_account is retried after a 503 (read-only)", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  fake.fail_next(503, 1);
  recording_client c(fake.base_url());

  CHECK(c.twilio.fetch_account(clinic_a).ok);
  CHECK(fake.requests().size() == 2);
  CHECK(c.slept == std::vector<std::chrono::milliseconds>{200ms});
}

TEST_CASE("search_available lists an area code's numbers deterministically", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  client c(fake.base_url());

  auto r = c.search_available(clinic_a, {"US", "212", "", 5});

  REQUIRE(r.ok);
  REQUIRE(r.numbers.size() == 5);
  CHECK(r.numbers[0].phone_number == "+12125550100");
  CHECK(r.numbers[4].phone_number == "+12125550104");
  CHECK(r.numbers[0].friendly_name == "(212) 555-0100");
  CHECK(r.numbers[0].locality == "New York");
  CHECK(r.numbers[0].region == "NY");
  CHECK(r.numbers[0].iso_country == "US");
  CHECK(r.numbers[0].voice);
  CHECK(r.numbers[0].sms);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].path == account_path(clinic_a) + "/AvailablePhoneNumbers/US/Local.json");
  CHECK(seen[0].field("AreaCode") == "212");
  CHECK(seen[0].field("PageSize") == "5");
  CHECK(c.search_available(clinic_a, {"US", "212", "", 5}).numbers[0].phone_number ==
        "+12125550100");  // same answer again: nothing was bought

  SECTION("Contains filters (digits, '*' any digit)") {
    auto filtered = c.search_available(clinic_a, {"US", "212", "0*07", 20});
    REQUIRE(filtered.ok);
    REQUIRE(filtered.numbers.size() == 1);
    CHECK(filtered.numbers[0].phone_number == "+12125550107");
  }
  SECTION("AreaCode 533 has no numbers: an empty list, not an error") {
    auto none = c.search_available(clinic_a, {"US", "533", "", 20});
    CHECK(none.ok);
    CHECK(none.numbers.empty());
  }
  SECTION("AreaCode 500 offers the magic +15005550006") {
    auto magic = c.search_available(clinic_a, {"US", "500", "", 20});
    REQUIRE(magic.numbers.size() == 1);
    CHECK(magic.numbers[0].phone_number == "+15005550006");
  }
  SECTION("an invalid area code is Twilio's 400 21451") {
    auto bad = c.search_available(clinic_a, {"US", "12", "", 20});
    CHECK_FALSE(bad.ok);
    CHECK(bad.error.http_status == 400);
    CHECK(bad.error.code == 21451);
    CHECK(describe(bad.error) == "that area code is not valid");
  }
}

TEST_CASE("purchase_number: each documented magic input", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  client c(fake.base_url());

  SECTION("PhoneNumber +15005550006 succeeds with 201 and our webhook URLs") {
    auto r = c.purchase_number(clinic_a, webhooks("+15005550006"));
    REQUIRE(r.ok);
    CHECK(r.number.phone_number == "+15005550006");
    CHECK(r.number.sid.size() == 34);
    CHECK(r.number.sid.rfind("PN", 0) == 0);
    CHECK(r.number.voice_url == "https://rm.example/webhooks/twilio/voice");
    CHECK(r.number.sms_url == "https://rm.example/webhooks/twilio/sms");
    CHECK(r.number.status_callback == "https://rm.example/webhooks/twilio/status");
    auto seen = fake.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].path == account_path(clinic_a) + "/IncomingPhoneNumbers.json");
    CHECK(seen[0].content_type.rfind("application/x-www-form-urlencoded", 0) == 0);
    CHECK(seen[0].field("PhoneNumber") == "+15005550006");
    CHECK(seen[0].form.count("AreaCode") == 0);
    CHECK(seen[0].field("VoiceUrl") == "https://rm.example/webhooks/twilio/voice");
    CHECK(seen[0].field("VoiceMethod") == "POST");
    CHECK(seen[0].field("SmsUrl") == "https://rm.example/webhooks/twilio/sms");
    CHECK(seen[0].field("StatusCallback") == "https://rm.example/webhooks/twilio/status");
    CHECK(fake.owned_numbers(clinic_a.account_sid).at(0).at("sid") == r.number.sid);
  }
  SECTION("PhoneNumber +15005550000 is 21422, 'no longer available'") {
    auto r = c.purchase_number(clinic_a, webhooks("+15005550000"));
    CHECK_FALSE(r.ok);
    CHECK(r.error.http_status == 400);
    CHECK(r.error.code == 21422);
    CHECK(describe(r.error) == "that number is no longer available");
    CHECK(fake.owned_numbers(clinic_a.account_sid).empty());
  }
  SECTION("PhoneNumber +15005550001 is 21421") {
    auto r = c.purchase_number(clinic_a, webhooks("+15005550001"));
    CHECK(r.error.code == 21421);
    CHECK(describe(r.error) == "that phone number is not valid for purchase");
  }
  SECTION("AreaCode 500 buys +15005550006") {
    auto r = c.purchase_number(clinic_a, webhooks("", "500"));
    REQUIRE(r.ok);
    CHECK(r.number.phone_number == "+15005550006");
    CHECK(fake.requests().at(0).field("AreaCode") == "500");
    CHECK(fake.requests().at(0).form.count("PhoneNumber") == 0);
  }
  SECTION("AreaCode 533 is 21452, 'no numbers available in that area code'") {
    auto r = c.purchase_number(clinic_a, webhooks("", "533"));
    CHECK(r.error.code == 21452);
    CHECK(describe(r.error) == "no numbers available in that area code");
    CHECK(fake.owned_numbers(clinic_a.account_sid).empty());
  }
}

TEST_CASE("purchase_number: two clinics get different ordinary numbers, and a number sells once",
          "[twilio][numbers]") {
  fake_twilio fake(accounts);
  client c(fake.base_url());

  auto offer_a = c.search_available(clinic_a, {"US", "617", "", 3});
  REQUIRE(offer_a.numbers.size() == 3);
  auto bought_a = c.purchase_number(clinic_a, webhooks(offer_a.numbers[0].phone_number));
  REQUIRE(bought_a.ok);
  CHECK(bought_a.number.phone_number == "+16175550100");

  auto offer_b = c.search_available(clinic_b, {"US", "617", "", 3});
  REQUIRE(offer_b.numbers.size() == 3);
  CHECK(offer_b.numbers[0].phone_number == "+16175550101");  // A's number is off the market

  auto again = c.purchase_number(clinic_b, webhooks("+16175550100"));
  CHECK_FALSE(again.ok);
  CHECK(again.error.code == 21422);
  CHECK(describe(again.error) == "that number is no longer available");

  auto by_area = c.purchase_number(clinic_b, webhooks("", "617"));
  REQUIRE(by_area.ok);
  CHECK(by_area.number.phone_number == "+16175550101");
  CHECK(by_area.number.sid != bought_a.number.sid);

  CHECK(fake.owned_numbers(clinic_a.account_sid).size() == 1);
  CHECK(fake.owned_numbers(clinic_b.account_sid).size() == 1);
  // A number outside the fake's offer is not for sale either.
  CHECK(c.purchase_number(clinic_b, webhooks("+16179998888")).error.code == 21422);
}

TEST_CASE("purchase_number is never retried (a retry could buy twice)", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  fake.fail_next(503, 1);
  recording_client c(fake.base_url());

  auto r = c.twilio.purchase_number(clinic_a, webhooks("+15005550006"));

  CHECK_FALSE(r.ok);
  CHECK(r.error.http_status == 503);
  CHECK(fake.requests().size() == 1);
  CHECK(c.slept.empty());
  CHECK(fake.owned_numbers(clinic_a.account_sid).empty());
}

TEST_CASE("list_numbers follows next_page_uri across pages", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  fake.set_list_page_size(3);
  std::vector<std::string> sids;
  for (int i = 0; i < 8; ++i) {
    sids.push_back(fake.add_owned_number(clinic_a.account_sid,
                                         "+1415555020" + std::to_string(i))["sid"]);
  }
  fake.add_owned_number(clinic_b.account_sid, "+12125550300");  // another clinic's number
  client c(fake.base_url());

  auto r = c.list_numbers(clinic_a);

  REQUIRE(r.ok);
  CHECK(r.pages == 3);
  REQUIRE(r.numbers.size() == 8);
  for (size_t i = 0; i < sids.size(); ++i) {
    CHECK(r.numbers[i].sid == sids[i]);
    CHECK(r.numbers[i].phone_number == "+1415555020" + std::to_string(i));
  }
  CHECK(r.numbers[0].friendly_name == "(415) 555-0200");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 3);
  const std::string list_path = account_path(clinic_a) + "/IncomingPhoneNumbers.json";
  for (const auto& s : seen) {
    CHECK(s.method == "GET");
    CHECK(s.path == list_path);
    CHECK(s.auth_account_sid == clinic_a.account_sid);
  }
  CHECK(seen[0].form.empty());  // the first page is the bare list URL
  // Later pages are exactly Twilio's next_page_uri: PageSize, Page and PageToken.
  CHECK(seen[1].field("Page") == "1");
  CHECK(seen[1].field("PageSize") == "3");
  CHECK(seen[1].field("PageToken") == "PA" + sids[2]);
  CHECK(seen[2].field("Page") == "2");
  CHECK(seen[2].field("PageToken") == "PA" + sids[5]);
}

TEST_CASE("list_numbers: filter by PhoneNumber, empty account, retried page",
          "[twilio][numbers]") {
  fake_twilio fake(accounts);
  client c(fake.base_url());

  SECTION("an account with no numbers is one empty page") {
    auto r = c.list_numbers(clinic_a);
    CHECK(r.ok);
    CHECK(r.pages == 1);
    CHECK(r.numbers.empty());
  }
  SECTION("PhoneNumber is sent percent-encoded and filters") {
    fake.add_owned_number(clinic_a.account_sid, "+14155550201");
    fake.add_owned_number(clinic_a.account_sid, "+14155550202");
    auto r = c.list_numbers(clinic_a, "+14155550202");
    REQUIRE(r.ok);
    REQUIRE(r.numbers.size() == 1);
    CHECK(r.numbers[0].phone_number == "+14155550202");
    CHECK(fake.requests().at(0).field("PhoneNumber") == "+14155550202");  // '+' arrived intact
  }
  SECTION("a page answered 503 is asked again") {
    fake.set_list_page_size(1);
    fake.add_owned_number(clinic_a.account_sid, "+14155550201");
    fake.add_owned_number(clinic_a.account_sid, "+14155550202");
    fake.fail_next_on("GET", "IncomingPhoneNumbers", 503, 1);
    recording_client rc(fake.base_url());
    auto r = rc.twilio.list_numbers(clinic_a);
    REQUIRE(r.ok);
    CHECK(r.numbers.size() == 2);
    CHECK(r.pages == 2);
    CHECK(rc.slept == std::vector<std::chrono::milliseconds>{200ms});
  }
  SECTION("wrong credentials fail the listing") {
    auto r = c.list_numbers({clinic_a.account_sid, "nope"});
    CHECK_FALSE(r.ok);
    CHECK(r.error.code == 20003);
  }
}

TEST_CASE("list_numbers refuses a next_page_uri that repeats the page", "[twilio][numbers]") {
  const std::string self = "/2010-04-01/Accounts/" + clinic_a.account_sid +
                           "/IncomingPhoneNumbers.json";
  canned_server loop(200, json{{"incoming_phone_numbers", json::array()},
                               {"next_page_uri", self},
                               {"page", 0},
                               {"page_size", 50},
                               {"uri", self}}
                              .dump());
  auto r = client(loop.base_url()).list_numbers(clinic_a);
  CHECK_FALSE(r.ok);
  CHECK(r.error.message.find("next_page_uri") != std::string::npos);
  CHECK(loop.hits == 1);
}

TEST_CASE("update_number_urls points an owned number at our webhooks", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  std::string sid = fake.add_owned_number(clinic_a.account_sid, "+14155550201")["sid"];
  client c(fake.base_url());

  auto r = c.update_number_urls(clinic_a, sid, webhooks());

  REQUIRE(r.ok);
  CHECK(r.number.sid == sid);
  CHECK(r.number.voice_url == "https://rm.example/webhooks/twilio/voice");
  auto owned = fake.owned_numbers(clinic_a.account_sid).at(0);
  CHECK(owned.at("voice_url") == "https://rm.example/webhooks/twilio/voice");
  CHECK(owned.at("sms_url") == "https://rm.example/webhooks/twilio/sms");
  CHECK(owned.at("status_callback") == "https://rm.example/webhooks/twilio/status");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path == account_path(clinic_a) + "/IncomingPhoneNumbers/" + sid + ".json");
  CHECK(seen[0].field("SmsMethod") == "POST");

  SECTION("another clinic's PN is 404 20404, and stays untouched") {
    auto other = c.update_number_urls(clinic_b, sid, webhooks());
    CHECK_FALSE(other.ok);
    CHECK(other.error.http_status == 404);
    CHECK(other.error.code == 20404);
    CHECK(describe(other.error).find("no such resource") != std::string::npos);
  }
  SECTION("a bad URL is Twilio's 400") {
    auto bad = webhooks();
    bad.voice_url = "not a url";
    CHECK(c.update_number_urls(clinic_a, sid, bad).error.code == 21402);
  }
}

TEST_CASE("release_number: 204, then 404 20404 also counts as released", "[twilio][numbers]") {
  fake_twilio fake(accounts);
  client c(fake.base_url());
  auto bought = c.purchase_number(clinic_a, webhooks("", "808"));
  REQUIRE(bought.ok);
  CHECK(bought.number.phone_number == "+18085550100");

  auto first = c.release_number(clinic_a, bought.number.sid);
  CHECK(first.ok);
  CHECK(fake.owned_numbers(clinic_a.account_sid).empty());
  REQUIRE(fake.released_numbers().size() == 1);
  CHECK(fake.released_numbers()[0]["sid"] == bought.number.sid);
  auto seen = fake.requests();
  CHECK(seen.back().method == "DELETE");
  CHECK(seen.back().path ==
        account_path(clinic_a) + "/IncomingPhoneNumbers/" + bought.number.sid + ".json");

  auto second = c.release_number(clinic_a, bought.number.sid);
  CHECK(second.ok);
  // Back on the fake's market.
  CHECK(c.search_available(clinic_b, {"US", "808", "", 1}).numbers.at(0).phone_number ==
        "+18085550100");

  SECTION("a bare 404 (no Twilio code) is not proof of release") {
    canned_server proxy(404, "not found");
    auto r = client(proxy.base_url()).release_number(clinic_a, bought.number.sid);
    CHECK_FALSE(r.ok);
    CHECK(r.error.http_status == 404);
  }
  SECTION("a 500 is a failure, not retried") {
    fake.fail_next(500, 1);
    recording_client rc(fake.base_url());
    auto r = rc.twilio.release_number(clinic_a, "PN0123456789abcdef0123456789abcdef");
    CHECK_FALSE(r.ok);
    CHECK(r.error.http_status == 500);
    CHECK(rc.slept.empty());
  }
  SECTION("wrong credentials are not 'released'") {
    auto r = c.release_number({clinic_a.account_sid, "nope"}, bought.number.sid);
    CHECK_FALSE(r.ok);
    CHECK(r.error.code == 20003);
  }
}

TEST_CASE("fake twilio speaks Twilio's wire format for numbers", "[twilio][numbers]") {
  fake_twilio fake(accounts, {0, false, 2});
  fake.add_owned_number(clinic_a.account_sid, "+14155550201");
  fake.add_owned_number(clinic_a.account_sid, "+14155550202");
  fake.add_owned_number(clinic_a.account_sid, "+14155550203");
  httplib::Client raw("127.0.0.1", fake.port());
  raw.set_basic_auth(clinic_a.account_sid, clinic_a.auth_token);

  auto page = raw.Get((account_path(clinic_a) + "/IncomingPhoneNumbers.json").c_str());
  REQUIRE(page);
  CHECK(page->status == 200);
  auto body = json::parse(page->body);
  for (const char* key : {"first_page_uri", "next_page_uri", "previous_page_uri", "page",
                          "page_size", "start", "end", "uri", "incoming_phone_numbers"})
    CHECK(body.contains(key));
  CHECK(body["page_size"] == 2);
  CHECK(body["next_page_uri"].get<std::string>().rfind(
            account_path(clinic_a) + "/IncomingPhoneNumbers.json?PageSize=2&Page=1&PageToken=PA",
            0) == 0);
  CHECK(body["previous_page_uri"].is_null());
  auto number = body["incoming_phone_numbers"][0];
  for (const char* key : {"sid", "account_sid", "phone_number", "friendly_name", "voice_url",
                          "sms_url", "status_callback", "capabilities", "date_created", "uri"})
    CHECK(number.contains(key));

  auto last = raw.Get(body["next_page_uri"].get<std::string>().c_str());
  REQUIRE(last);
  auto last_body = json::parse(last->body);
  CHECK(last_body["next_page_uri"].is_null());
  CHECK(last_body["page"] == 1);
  CHECK(last_body["incoming_phone_numbers"].size() == 1);

  auto gone = raw.Delete(
      (account_path(clinic_a) + "/IncomingPhoneNumbers/PN00000000000000000000000000000000.json")
          .c_str());
  REQUIRE(gone);
  CHECK(gone->status == 404);
  auto error = json::parse(gone->body);
  CHECK(error["code"] == 20404);
  CHECK(error["status"] == 404);
  CHECK(error["more_info"] == "https://www.twilio.com/docs/errors/20404");
  CHECK(error["message"].is_string());

  std::string sid = fake.owned_numbers(clinic_a.account_sid)[0]["sid"];
  auto deleted =
      raw.Delete((account_path(clinic_a) + "/IncomingPhoneNumbers/" + sid + ".json").c_str());
  REQUIRE(deleted);
  CHECK(deleted->status == 204);
  CHECK(deleted->body.empty());

  auto account = raw.Get((account_path(clinic_a) + ".json").c_str());
  REQUIRE(account);
  auto account_body = json::parse(account->body);
  CHECK(account_body["sid"] == clinic_a.account_sid);
  CHECK(account_body["subresource_uris"]["incoming_phone_numbers"] ==
        account_path(clinic_a) + "/IncomingPhoneNumbers.json");
}

TEST_CASE("twilio describe: number and account errors", "[twilio][numbers]") {
  CHECK(describe({400, 21422, "PhoneNumber +15005550000 is not available"}) ==
        "that number is no longer available");
  CHECK(describe({400, 21421, "PhoneNumber is invalid"}) ==
        "that phone number is not valid for purchase");
  CHECK(describe({400, 21452, "No phone numbers found"}) ==
        "no numbers available in that area code");
  CHECK(describe({401, 20003, "Authenticate"}) ==
        "Twilio rejected these credentials (wrong Account SID or Auth Token)");
  CHECK(describe({404, 20404, "The requested resource was not found"}) ==
        "Twilio has no such resource on this account (wrong SID, or already released)");
}
