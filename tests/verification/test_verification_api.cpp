// Hybrid telephony over HTTP: the whole service (runtime role, row-level security), the HTTP
// server on a loopback port and the Twilio fake, through tests/integration/harness. Tenant
// requests carry an HS256 JWT minted by the fixture (tests/support/service_fixture.hpp).
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <future>
#include <mutex>
#include <regex>
#include <sstream>

#include "tests/integration/harness.hpp"

using namespace rm;
using namespace rm::itest;

namespace {

const std::string jwt_secret = "verification-tests-jwt-secret-0123456789";
const std::string owner_phone = "+12127360123";

// Everything spdlog writes during the tests, for the scan for codes in clear.
std::ostringstream& captured_logs() {
  static std::ostringstream out;
  static std::once_flag once;
  std::call_once(once, [] {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::default_logger()->sinks().push_back(sink);
    spdlog::set_level(spdlog::level::debug);
  });
  return out;
}

harness_options options() {
  harness_options o;
  o.http_threads = 8;
  o.jwt_hs256_secret = jwt_secret;
  o.verification = true;
  return o;
}

struct clinic {
  harness h{options()};
  std::string org = h.create_sample_clinic();
  std::string token = h.mint(org);

  reply post(const std::string& path, const json& body) {
    return http_post(h.port(), path, body.dump(), token);
  }
  reply get(const std::string& path) { return http_get(h.port(), path, token); }
  reply del(const std::string& path) { return h.request("DELETE", path, token); }

  // The code of the last SMS the fake received for `to`.
  std::string last_sms_code(const std::string& to) const { return h.last_sms_code(to); }

  std::string initiate_sms(const std::string& phone = owner_phone) {
    auto r = post("/api/telephony/verify-caller-id/initiate",
                  {{"phoneNumber", phone}, {"friendlyName", "Dr. Lee's mobile"}, {"channel", "sms"}});
    INFO(r.text);
    REQUIRE(r.status == 200);
    return r.body["verificationId"];
  }

  // A verified number; returns its id.
  std::string verified(const std::string& phone = owner_phone) {
    auto id = initiate_sms(phone);
    auto r = post("/api/telephony/verify-caller-id/confirm",
                  {{"verificationId", id}, {"verificationCode", last_sms_code(phone)}});
    INFO(r.text);
    REQUIRE(r.status == 200);
    return id;
  }
};

std::string wrong_code_for(const std::string& code) { return code == "000000" ? "000001" : "000000"; }

}  // namespace

TEST_CASE("SMS verification end to end: code by SMS, masked audit row, verified number listed") {
  captured_logs();
  clinic c;
  auto r = c.post("/api/telephony/verify-caller-id/initiate",
                  {{"phoneNumber", "(212) 736-0123"}, {"friendlyName", "Office"}, {"channel", "sms"}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["success"] == true);
  CHECK(r.body["expiresAt"].get<std::string>().size() == 20);
  std::string id = r.body["verificationId"];

  auto sms = c.h.twilio().messages().back();
  CHECK(sms["from"] == clinic_number);
  CHECK(sms["to"] == owner_phone);
  auto code = c.last_sms_code(owner_phone);
  REQUIRE(code.size() == 6);
  CHECK(sms["body"] == "Your ringmaster verification code is " + code +
                           ". It expires in 10 minutes. Do not share it with anyone.");

  CHECK(c.h.scalar("SELECT content FROM messages WHERE recipient = $1 AND method = 'sms'",
                   {owner_phone}) ==
        "Your ringmaster verification code is ••••••. It expires in 10 minutes. Do not share it "
        "with anyone.");

  auto wrong = c.post("/api/telephony/verify-caller-id/confirm",
                      {{"verificationId", id}, {"verificationCode", wrong_code_for(code)}});
  CHECK(wrong.status == 400);
  CHECK(wrong.body["error"]["code"] == "wrong_code");
  CHECK(wrong.body["error"]["attemptsRemaining"] == 2);

  auto ok = c.post("/api/telephony/verify-caller-id/confirm",
                   {{"verificationId", id}, {"verificationCode", code}});
  INFO(ok.text);
  CHECK(ok.status == 200);
  CHECK(ok.body["success"] == true);

  auto list = c.get("/api/telephony/verified-numbers");
  REQUIRE(list.status == 200);
  CHECK(list.body["success"] == true);
  REQUIRE(list.body["numbers"].size() == 1);
  auto n = list.body["numbers"][0];
  CHECK(n["id"] == id);
  CHECK(n["phoneNumber"] == owner_phone);
  CHECK(n["friendlyName"] == "Office");
  CHECK(n["status"] == "verified");
  CHECK(n["verifiedAt"].is_string());
  CHECK(n["hasForwardingConfig"] == false);

  auto again = c.post("/api/telephony/verify-caller-id/initiate",
                      {{"phoneNumber", owner_phone}, {"channel", "sms"}});
  CHECK(again.status == 409);
  CHECK(again.body["error"]["code"] == "already_verified");
}

TEST_CASE("voice verification: the TwiML speaks the code twice and the audit row masks it") {
  clinic c;
  auto r = c.post("/api/telephony/verify-caller-id/initiate",
                  {{"phoneNumber", owner_phone}, {"channel", "call"}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  auto calls = c.h.twilio().calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["to"] == owner_phone);
  CHECK(calls[0]["from"] == clinic_number);
  std::string twiml = calls[0]["twiml"];
  std::smatch m;
  REQUIRE(std::regex_search(twiml, m, std::regex{"code is ((?:[0-9], ){5}[0-9])"}));
  std::string spoken = m[1];
  std::regex again{spoken};
  CHECK(std::distance(std::sregex_iterator(twiml.begin(), twiml.end(), again),
                      std::sregex_iterator()) == 2);
  auto content = c.h.scalar("SELECT content FROM messages WHERE method = 'voice'");
  CHECK(content.find("••••••") != std::string::npos);
  CHECK(content.find(spoken) == std::string::npos);
}

TEST_CASE("initiation refuses bad input, a fourth code within the hour, and a locked number") {
  clinic c;
  auto bad = c.post("/api/telephony/verify-caller-id/initiate",
                    {{"phoneNumber", "+1 212 555 01"}, {"channel", "sms"}});
  CHECK(bad.status == 400);
  CHECK(bad.body["error"]["field"] == "phoneNumber");
  auto channel = c.post("/api/telephony/verify-caller-id/initiate",
                        {{"phoneNumber", owner_phone}, {"channel", "fax"}});
  CHECK(channel.status == 400);
  CHECK(channel.body["error"]["field"] == "channel");

  SECTION("rate limit: three codes per number per hour") {
    for (int i = 0; i < 3; ++i) c.initiate_sms();
    auto fourth = c.post("/api/telephony/verify-caller-id/initiate",
                         {{"phoneNumber", owner_phone}, {"channel", "sms"}});
    CHECK(fourth.status == 429);
    CHECK(fourth.body["error"]["code"] == "too_many_verifications");
    CHECK(std::stoi(fourth.headers["Retry-After"]) > 3500);
  }
  SECTION("brute force: the fourth guess is refused whatever it is, and the number is locked") {
    auto id = c.initiate_sms();
    auto code = c.last_sms_code(owner_phone);
    auto wrong = wrong_code_for(code);
    for (int i = 0; i < 2; ++i)
      CHECK(c.post("/api/telephony/verify-caller-id/confirm",
                   {{"verificationId", id}, {"verificationCode", wrong}}).status == 400);
    auto third = c.post("/api/telephony/verify-caller-id/confirm",
                        {{"verificationId", id}, {"verificationCode", wrong}});
    CHECK(third.status == 423);
    CHECK(third.body["error"]["code"] == "verification_failed");
    auto fourth = c.post("/api/telephony/verify-caller-id/confirm",
                         {{"verificationId", id}, {"verificationCode", code}});
    CHECK(fourth.status == 423);
    CHECK(c.h.scalar("SELECT status FROM verified_caller_ids WHERE id = $1", {id}) == "failed");
    auto locked = c.post("/api/telephony/verify-caller-id/initiate",
                         {{"phoneNumber", owner_phone}, {"channel", "sms"}});
    CHECK(locked.status == 423);
    CHECK(std::stoi(locked.headers["Retry-After"]) > 3500);
  }
}

TEST_CASE("parallel confirms with the right code: exactly one succeeds") {
  clinic c;
  auto id = c.initiate_sms();
  auto code = c.last_sms_code(owner_phone);
  std::vector<std::future<int>> racers;
  for (int i = 0; i < 6; ++i)
    racers.push_back(std::async(std::launch::async, [&] {
      return c.post("/api/telephony/verify-caller-id/confirm",
                    {{"verificationId", id}, {"verificationCode", code}})
          .status;
    }));
  int ok = 0, conflict = 0;
  for (auto& r : racers) {
    int s = r.get();
    ok += s == 200;
    conflict += s == 409;
  }
  CHECK(ok == 1);
  CHECK(conflict == 5);
}

TEST_CASE("forwarding configurations: every carrier and mode, then confirm and disable") {
  clinic c;
  auto vid = c.verified();
  for (std::string carrier : {"tmobile", "att", "verizon", "other_gsm", "sprint"})
    for (std::string mode : {"total_ai", "safety_net"}) {
      INFO(carrier << " " << mode);
      auto r = c.post("/api/telephony/forwarding-config",
                      {{"verifiedCallerId", vid}, {"forwardingType", mode}, {"carrier", carrier},
                       {"ringTimeSeconds", 20}});
      INFO(r.text);
      REQUIRE(r.status == 201);
      auto cfg = r.body["config"];
      CHECK(cfg["status"] == "pending_setup");
      CHECK(cfg["destinationNumber"] == clinic_number);
      CHECK_FALSE(cfg["generatedActivationCode"].get<std::string>().empty());
      CHECK(cfg["instructions"].size() > 0);
      if (carrier != "verizon" && mode == "safety_net")
        CHECK(cfg["generatedActivationCode"].get<std::string>().find("*11*20#") !=
              std::string::npos);
      auto off = c.del("/api/telephony/forwarding-config/" + cfg["id"].get<std::string>());
      CHECK(off.status == 200);
      CHECK(off.body["deactivationCode"] == cfg["generatedDeactivationCode"]);
    }

  auto made = c.post("/api/telephony/forwarding-config",
                     {{"verifiedCallerId", vid}, {"forwardingType", "total_ai"},
                      {"carrier", "tmobile"}});
  REQUIRE(made.status == 201);
  CHECK(made.body["config"]["generatedActivationCode"] == "**21*14155550100#");
  std::string fid = made.body["config"]["id"];
  auto dup = c.post("/api/telephony/forwarding-config",
                    {{"verifiedCallerId", vid}, {"forwardingType", "total_ai"},
                     {"carrier", "tmobile"}});
  CHECK(dup.status == 409);
  CHECK(c.get("/api/telephony/verified-numbers").body["numbers"][0]["hasForwardingConfig"] ==
        true);
  auto confirmed = c.post("/api/telephony/forwarding-config/confirm", {{"forwardingConfigId", fid}});
  CHECK(confirmed.status == 200);
  CHECK(confirmed.body["status"] == "active");
  auto got = c.get("/api/telephony/forwarding-config?verifiedCallerId=" + vid);
  REQUIRE(got.status == 200);
  CHECK(got.body["config"]["status"] == "active");
  CHECK(got.body["config"]["userConfirmedSetup"] == true);
  auto off = c.del("/api/telephony/forwarding-config/" + fid);
  CHECK(off.body["status"] == "disabled");
  CHECK(off.body["deactivationCode"] == "##21#");

  auto removed = c.del("/api/telephony/verified-numbers/" + vid);
  CHECK(removed.status == 200);
  CHECK(c.h.count("SELECT count(*) FROM hybrid_forwarding_configs") == 0);
  CHECK(c.get("/api/telephony/verified-numbers").body["numbers"].empty());
}

TEST_CASE("forwarding rejections answer 400 with the machine-readable reason") {
  clinic c;
  auto vid = c.verified();
  auto try_ring = [&](const json& ring) {
    json body{{"verifiedCallerId", vid}, {"forwardingType", "safety_net"}, {"carrier", "att"}};
    if (!ring.is_null()) body["ringTimeSeconds"] = ring;
    auto r = c.post("/api/telephony/forwarding-config", body);
    if (r.status == 201) c.del("/api/telephony/forwarding-config/" + r.body["config"]["id"].get<std::string>());
    return r;
  };
  CHECK(try_ring(5).status == 201);
  CHECK(try_ring(30).status == 201);
  CHECK(try_ring(nullptr).status == 201);
  for (int bad : {35, 0}) {
    auto r = try_ring(bad);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "ring_time_out_of_range");
    CHECK(r.body["error"]["field"] == "ringTimeSeconds");
  }
  CHECK(try_ring(17).body["error"]["code"] == "ring_time_not_multiple_of_5");

  auto dest = [&](const std::string& carrier, const std::string& destination) {
    return c.post("/api/telephony/forwarding-config",
                  {{"verifiedCallerId", vid}, {"forwardingType", "total_ai"}, {"carrier", carrier},
                   {"destinationNumber", destination}});
  };
  CHECK(dest("tmobile", "+442079460958").body["error"]["code"] ==
        "international_destination_not_supported");
  CHECK(dest("other_gsm", "+442079460958").body["error"]["code"] ==
        "destination_not_own_ai_number");
  CHECK(dest("att", "12345").body["error"]["code"] == "invalid_destination");
  auto injected = dest("tmobile", "+14155550100#**21*19005550199");
  CHECK(injected.status == 400);
  CHECK(injected.body["error"]["code"] == "invalid_destination");
  CHECK(dest("tmobile", "+1 212 736 0199").body["error"]["code"] ==
        "destination_not_own_ai_number");
  CHECK(c.post("/api/telephony/forwarding-config",
               {{"verifiedCallerId", vid}, {"forwardingType", "total_ai"}, {"carrier", "nokia"}})
            .body["error"]["code"] == "unknown_carrier");
  CHECK(c.h.count("SELECT count(*) FROM hybrid_forwarding_configs WHERE status <> 'disabled'") ==
        0);

  SECTION("an unverified number cannot be forwarded") {
    auto pending = c.initiate_sms("+12127360124");
    auto r = c.post("/api/telephony/forwarding-config",
                    {{"verifiedCallerId", pending}, {"forwardingType", "total_ai"},
                     {"carrier", "tmobile"}});
    CHECK(r.status == 409);
    CHECK(r.body["error"]["code"] == "number_not_verified");
  }
}

TEST_CASE("a verified number can be registered as a Twilio caller ID") {
  clinic c;
  auto vid = c.verified();
  auto r = c.post("/api/telephony/verified-numbers/" + vid + "/caller-id", json::object());
  INFO(r.text);
  REQUIRE(r.status == 200);
  auto sent = c.h.twilio().caller_id_requests();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["phone_number"] == owner_phone);
  CHECK(r.body["validationCode"] == sent[0]["validation_code"]);
  CHECK(c.get("/api/telephony/verified-numbers").body["numbers"][0]["twilioCallerIdStatus"] ==
        "validating");
}

TEST_CASE("no code in clear anywhere: database, logs and the inspection API") {
  auto& logs = captured_logs();
  clinic c;
  auto pending_id = c.initiate_sms("+12127360124");
  c.initiate_sms("+12127360125");
  auto failing = c.initiate_sms("+12127360126");
  auto failing_code = c.last_sms_code("+12127360126");
  c.post("/api/telephony/verify-caller-id/confirm",
         {{"verificationId", failing}, {"verificationCode", wrong_code_for(failing_code)}});
  c.post("/api/telephony/verify-caller-id/initiate",
         {{"phoneNumber", "+12127360127"}, {"channel", "call"}});
  c.verified("+12127360128");

  std::vector<std::string> codes;
  for (const auto& m : c.h.twilio().messages()) {
    std::smatch match;
    std::string body = m["body"];
    if (std::regex_search(body, match, std::regex{"([0-9]{6})"})) codes.push_back(match[1]);
  }
  for (const auto& call : c.h.twilio().calls()) {
    std::string twiml = call["twiml"];
    std::smatch match;
    if (std::regex_search(twiml, match, std::regex{"code is ((?:[0-9], ){5}[0-9])"})) {
      std::string digits = match[1];
      digits.erase(std::remove_if(digits.begin(), digits.end(),
                                  [](char ch) { return ch == ',' || ch == ' '; }),
                   digits.end());
      codes.push_back(digits);
    }
  }
  REQUIRE(codes.size() == 5);

  auto live = c.h.get("/sessions/verifications");
  REQUIRE(live.status == 200);
  bool saw_pending = false;
  for (const auto& s : live.body["sessions"]) {
    if (s["id"] == pending_id) {
      saw_pending = true;
      CHECK(s["state"] == "pending");
      CHECK(s["attemptsLeft"] == 3);
      CHECK(s["expiresInSeconds"] > 500);
    }
  }
  CHECK(saw_pending);
  CHECK(live.text.find("argon2") == std::string::npos);

  // Every text-like column of every table in the schema.
  auto columns = c.h.scalar(
      "SELECT string_agg(format('%I.%I', table_name, column_name), ' ') FROM "
      "information_schema.columns WHERE table_schema = 'public' AND data_type IN "
      "('text', 'character varying', 'jsonb', 'json', 'character')");
  std::istringstream split(columns);
  std::string column;
  int scanned = 0;
  while (split >> column) {
    auto dot = column.find('.');
    auto table = column.substr(0, dot), name = column.substr(dot + 1);
    for (const auto& code : codes) {
      INFO(column << " holds a code");
      CHECK(c.h.count("SELECT count(*) FROM " + table + " WHERE " + name +
                      "::text LIKE '%' || $1 || '%'",
                      {code}) == 0);
    }
    ++scanned;
  }
  CHECK(scanned > 20);
  auto text = logs.str();
  CHECK(text.find("verification") != std::string::npos);  // the capture does see our logs
  for (const auto& code : codes) {
    INFO("the logs hold code " << code);
    CHECK(text.find(code) == std::string::npos);
    CHECK(live.text.find(code) == std::string::npos);
  }
}

TEST_CASE("verification routes need a tenant token and isolate tenants") {
  clinic c;
  auto id = c.initiate_sms();
  auto anonymous = http_post(c.h.port(), "/api/telephony/verify-caller-id/confirm",
                             json{{"verificationId", id}, {"verificationCode", "123456"}}.dump());
  CHECK(anonymous.status == 401);
  auto other_org = c.h.create_tenant("Other Clinic", "+14155550111",
                                     "d41e8b27-9d3a-4f6c-b0e5-1a7d2c9f3e81");
  auto other = http_post(c.h.port(), "/api/telephony/verify-caller-id/confirm",
                         json{{"verificationId", id}, {"verificationCode",
                                                       c.last_sms_code(owner_phone)}}
                             .dump(),
                         c.h.mint(other_org));
  CHECK(other.status == 404);
  auto list = http_get(c.h.port(), "/api/telephony/verified-numbers", c.h.mint(other_org));
  CHECK(list.body["numbers"].empty());
}
