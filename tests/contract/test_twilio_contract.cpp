// Contract test (issue 4 §7): every Twilio REST request ringmaster makes is checked against
// Twilio's official OpenAPI document (../shared/contracts/twilio_api_v2010.json) by the Prism
// mock server (@stoplight/prism-cli, installed by scripts/bootstrap.sh with `npm ci` in this
// folder). Prism validates path, method, content type, Basic auth presence, field names, enums,
// types and required fields, answering 422 with a `validation` list when a request breaks the
// spec; otherwise it answers the spec's example, which the client must parse. See
// ../shared/contracts/twilio.md §5 for what Prism does not check.
//
// The process starts one Prism on a free loopback port (ready in ~20 s), puts a recording proxy
// in front of it (so a failure prints Prism's exact answer, violations included) and stops
// Prism on exit. Runs as one CTest entry (not discovered per test case: each would start Prism).
//
// Env: RM_PRISM (path of the prism executable), RM_PRISM_START_TIMEOUT_S (default 120).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <httplib.h>

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/twilio/twilio_client.hpp"
#include "tests/support/prism_process.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using rm::test::prism_process;

namespace {

const std::string spec_path = RM_SHARED_DIR "/contracts/twilio_api_v2010.json";
const std::string log_path = RM_BINARY_DIR "/prism.log";

// What Prism answered to one request.
struct exchange {
  std::string method, target, request_body;
  int status = 0;
  std::string body;
  std::string violations;  // Prism's sl-violations header, if any
};

// The violations in sl-violations that concern our request. Prism also lists the spec's own
// examples failing the spec's response schema (location "response": e.g. "" for a uri field);
// those are Twilio's document's problems, not ours.
std::vector<std::string> request_violations(const exchange& x) {
  std::vector<std::string> out;
  if (x.violations.empty()) return out;
  auto list = json::parse(x.violations, nullptr, false);
  if (!list.is_array()) return {"unreadable sl-violations: " + x.violations};
  for (const auto& v : list) {
    bool about_response = v.contains("location") && v["location"].is_array() &&
                          !v["location"].empty() && v["location"][0] == "response";
    if (!about_response) out.push_back(v.value("message", v.dump()));
  }
  return out;
}

std::string describe(const exchange& x) {
  std::string out = x.method + " " + x.target + "\n  request body: " + x.request_body +
                    "\n  Prism answered " + std::to_string(x.status);
  auto j = json::parse(x.body, nullptr, false);
  if (j.is_object() && j.contains("validation")) {
    out += ", violations of the spec:";
    for (const auto& v : j["validation"])
      out += "\n    - " + v.value("message", v.dump()) + " (at " +
             (v.contains("location") ? v["location"].dump() : "?") + ")";
  } else {
    out += ": " + x.body.substr(0, 600);
  }
  for (const auto& v : request_violations(x)) out += "\n  request violation: " + v;
  return out;
}

// Forwards every request to Prism unchanged (raw target, body, auth) and records the answer.
class recording_proxy {
 public:
  explicit recording_proxy(int prism_port) : upstream_("127.0.0.1", prism_port) {
    upstream_.set_connection_timeout(5s);
    upstream_.set_read_timeout(60s);
    auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Headers headers;
      for (const char* h : {"Authorization", "Accept", "User-Agent"}) {
        if (req.has_header(h)) headers.emplace(h, req.get_header_value(h));
      }
      const std::string type = req.get_header_value("Content-Type");
      httplib::Result r = req.method == "GET"      ? upstream_.Get(req.target.c_str(), headers)
                          : req.method == "DELETE" ? upstream_.Delete(req.target.c_str(), headers)
                                                   : upstream_.Post(req.target.c_str(), headers,
                                                                    req.body, type.c_str());
      exchange x;
      x.method = req.method;
      x.target = req.target;
      x.request_body = req.body;
      if (r) {
        x.status = r->status;
        x.body = r->body;
        x.violations = r->get_header_value("sl-violations");
        res.status = r->status;
        if (!r->body.empty())
          res.set_content(r->body, r->get_header_value("Content-Type").c_str());
      } else {
        x.body = "(no answer from Prism: " + httplib::to_string(r.error()) + ")";
        res.status = 502;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(std::move(x));
    };
    server_.Get(".*", forward);
    server_.Post(".*", forward);
    server_.Delete(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~recording_proxy() {
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<exchange> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto out = std::move(seen_);
    seen_.clear();
    return out;
  }

 private:
  httplib::Client upstream_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<exchange> seen_;
};

struct environment {
  std::unique_ptr<prism_process> prism;
  std::unique_ptr<recording_proxy> proxy;
};
environment* env = nullptr;  // set by main() for the whole run

const rm::twilio::credentials creds{"AC0123456789abcdef0123456789abcdef", "contract-token"};
const std::string pn_sid = "PN0123456789abcdef0123456789abcdef";

rm::twilio::client twilio() {
  // Prism validates against a 1.9 MB document: allow slow answers, never retry (a retry would
  // hide a first failure).
  return rm::twilio::client(env->proxy->base_url(), {1, 0ms, 0ms}, 60s);
}

// Every request of the last operation reached Prism, which accepted it with `expected_status`
// (no 422, no request violation in sl-violations). Prints Prism's answers otherwise.
void require_accepted(int expected_status, size_t expected_requests = 1) {
  auto seen = env->proxy->take();
  std::string report;
  for (const auto& x : seen) report += describe(x) + "\n";
  INFO("requests seen by Prism:\n" << report);
  REQUIRE(seen.size() == expected_requests);
  for (const auto& x : seen) {
    CHECK(x.status == expected_status);
    CHECK(request_violations(x).empty());
  }
}

}  // namespace

TEST_CASE("contract: send_sms (Messages.json)", "[contract]") {
  rm::twilio::sms_request req{"+14155550100", "+14155550199",
                              "Your appointment is confirmed for Tue 10:00.",
                              "https://rm.example/webhooks/twilio/sms-status"};
  auto r = twilio().send_sms(creds, req);
  require_accepted(201);
  REQUIRE(r.ok);
  CHECK(r.sent.sid == "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(r.sent.status == "queued");
}

TEST_CASE("contract: create_call (Calls.json with Twiml)", "[contract]") {
  rm::twilio::call_request req{"+14155550100", "+14155550199",
                               "<Response><Say>Your clinic is calling back.</Say></Response>",
                               "https://rm.example/webhooks/twilio/status"};
  auto r = twilio().create_call(creds, req);
  require_accepted(201);
  REQUIRE(r.ok);
  CHECK(r.sid == "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_CASE("contract: create_caller_id (OutgoingCallerIds.json)", "[contract]") {
  rm::twilio::caller_id_request req{"+14155550123", "Harbor Dental front desk",
                                    "https://rm.example/webhooks/twilio/caller-id"};
  auto r = twilio().create_caller_id(creds, req);
  require_accepted(200);
  REQUIRE(r.ok);
  CHECK(r.validation_code == "111111");
  CHECK(r.call_sid == "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_CASE("contract: fetch_account (Accounts/{Sid}.json)", "[contract]") {
  auto r = twilio().fetch_account(creds);
  require_accepted(200);
  REQUIRE(r.ok);
  CHECK(r.account.sid == "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(r.account.status == "active");
}

TEST_CASE("contract: search_available (AvailablePhoneNumbers/US/Local.json)", "[contract]") {
  auto r = twilio().search_available(creds, {"US", "415", "", 20});
  require_accepted(200);
  REQUIRE(r.ok);
  REQUIRE(r.numbers.size() == 1);
  CHECK(r.numbers[0].phone_number == "+18089251571");
  CHECK(r.numbers[0].locality == "Hilo");
  CHECK(r.numbers[0].voice);

  auto with_pattern = twilio().search_available(creds, {"US", "", "555", 5});
  require_accepted(200);
  CHECK(with_pattern.ok);
}

TEST_CASE("contract: purchase_number (IncomingPhoneNumbers.json)", "[contract]") {
  rm::twilio::purchase_request req;
  req.voice_url = "https://rm.example/webhooks/twilio/voice";
  req.sms_url = "https://rm.example/webhooks/twilio/sms";
  req.status_callback = "https://rm.example/webhooks/twilio/status";
  req.friendly_name = "Harbor Dental";

  SECTION("by phone number") {
    req.phone_number = "+14155550100";
    auto r = twilio().purchase_number(creds, req);
    require_accepted(201);
    REQUIRE(r.ok);
    CHECK(r.number.sid == "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CHECK(r.number.phone_number == "+18089255327");
    CHECK(r.number.voice_url == "https://example.com");
  }
  SECTION("by area code") {
    req.area_code = "415";
    auto r = twilio().purchase_number(creds, req);
    require_accepted(201);
    REQUIRE(r.ok);
    CHECK(r.number.sid == "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  }
}

TEST_CASE("contract: list_numbers (IncomingPhoneNumbers.json, paged)", "[contract]") {
  auto all = twilio().list_numbers(creds);
  require_accepted(200);
  REQUIRE(all.ok);
  CHECK(all.pages == 1);  // the example's next_page_uri is null
  REQUIRE(all.numbers.size() == 1);
  CHECK(all.numbers[0].sid == "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(all.numbers[0].phone_number == "+18089255327");

  auto one = twilio().list_numbers(creds, "+14155550100");
  require_accepted(200);
  CHECK(one.ok);
}

TEST_CASE("contract: update_number_urls (IncomingPhoneNumbers/{PN}.json)", "[contract]") {
  rm::twilio::purchase_request urls;
  urls.voice_url = "https://rm.example/webhooks/twilio/voice";
  urls.sms_url = "https://rm.example/webhooks/twilio/sms";
  urls.status_callback = "https://rm.example/webhooks/twilio/status";
  auto r = twilio().update_number_urls(creds, pn_sid, urls);
  require_accepted(200);
  REQUIRE(r.ok);
  CHECK(r.number.sid == "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_CASE("contract: release_number (DELETE IncomingPhoneNumbers/{PN}.json)", "[contract]") {
  auto r = twilio().release_number(creds, pn_sid);
  require_accepted(204);
  CHECK(r.ok);
}

// Controls: the harness must be able to fail. Prism rejects requests that break the spec.
TEST_CASE("contract control: Prism rejects requests that break the spec", "[contract]") {
  SECTION("a non-integer AreaCode") {
    auto r = twilio().search_available(creds, {"US", "abc", "", 20});
    CHECK_FALSE(r.ok);
    CHECK(r.error.http_status == 422);
    auto seen = env->proxy->take();
    REQUIRE(seen.size() == 1);
    CHECK(describe(seen[0]).find("areacode must be integer") != std::string::npos);
  }
  SECTION("a message without To, an SID that breaks ^PN…") {
    httplib::Client raw(env->proxy->base_url());
    raw.set_basic_auth(creds.account_sid, creds.auth_token);
    auto res = raw.Post(("/2010-04-01/Accounts/" + creds.account_sid + "/Messages.json").c_str(),
                        "From=%2B14155550100&Body=hi", "application/x-www-form-urlencoded");
    REQUIRE(res);
    CHECK(res->status == 422);
    CHECK(twilio().release_number(creds, "not-a-pn-sid").ok == false);
    auto seen = env->proxy->take();
    REQUIRE(seen.size() == 2);
    CHECK(describe(seen[0]).find("required property 'To'") != std::string::npos);
    CHECK(seen[1].status == 422);
  }
}

int main(int argc, char* argv[]) {
  ::signal(SIGPIPE, SIG_IGN);
  environment e;
  struct stat st {};
  if (::stat(spec_path.c_str(), &st) != 0) {
    std::cerr << "contract: FAILED: the Twilio OpenAPI document is missing: " << spec_path
              << " (../shared must sit beside the repository)\n";
    return 1;
  }
  e.prism = std::make_unique<prism_process>(
      "contract", std::vector<std::string>{"mock", spec_path}, "/__ringmaster_ready_probe", log_path);
  if (!e.prism->error().empty()) {
    std::cerr << "contract: FAILED: " << e.prism->error() << "\n";
    return 1;
  }
  e.proxy = std::make_unique<recording_proxy>(e.prism->port());
  env = &e;
  int result = Catch::Session().run(argc, argv);
  env = nullptr;
  e.proxy.reset();
  e.prism->stop();
  return result;
}
