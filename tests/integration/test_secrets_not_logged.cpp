// Stored secrets with the real `ringmaster` binary (RINGMASTER_BIN):
//  - start-up refuses a missing or malformed master key with a message naming the setting;
//  - a full call whose SMS goes out with the tenant's Twilio token (sealed in org_credentials),
//    a Twilio webhook checked with that token, a refused request carrying it, a master-key
//    rotation and a restart under the new key; then every line ringmaster wrote (stdout and
//    stderr of every run) and every row of every table are scanned for the token and the master
//    keys in clear.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include <httplib.h>
#include <pqxx/pqxx>

#include "adapters/twilio/request_validator.hpp"

#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

namespace {

std::string hex_of(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

// Every row of every table in the public schema, as text (bytea columns render as \x…hex).
std::string dump_database(const std::string& url) {
  pqxx::connection c{url};
  pqxx::work tx{c};
  std::string out;
  for (const auto& t : tx.exec("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
    for (const auto& r : tx.exec("SELECT t::text FROM " + tx.quote_name(t[0].c_str()) + " t"))
      out += std::string(r[0].c_str()) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("serve refuses to start without a valid master key", "[secrets]") {
  const std::string bin = ringmaster_bin();
  const std::string log_path = "/tmp/rm-integ-nokey-" + std::to_string(::getpid()) + ".log";
  const std::map<std::string, std::string> base{
      {"DATABASE_URL", "postgresql://127.0.0.1:1/none"},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_VAPI_AUTH", "none"},
      {"RINGMASTER_LISTEN", "127.0.0.1:0"}};
  auto run = [&](std::map<std::string, std::string> env) {
    std::remove(log_path.c_str());
    for (const auto& kv : base) env.insert(kv);
    // Unset variables are overridden with "" (the child inherits the test's environment).
    env.insert({"RINGMASTER_MASTER_KEY", ""});
    env.insert({"RINGMASTER_MASTER_KEY_FILE", ""});
    child_process p{bin, {"serve"}, env, log_path};
    REQUIRE(p.started());
    const int rc = p.wait_exit();
    return std::make_pair(rc, read_file(log_path));
  };
  auto [rc, out] = run({});
  INFO(out);
  CHECK(rc == 2);
  CHECK(out.find("RINGMASTER_MASTER_KEY: is required") != std::string::npos);

  const std::string short_key = "c2hvcnQta2V5LW9ubHk=";
  std::tie(rc, out) = run({{"RINGMASTER_MASTER_KEY", short_key}});
  INFO(out);
  CHECK(rc == 2);
  CHECK(out.find("RINGMASTER_MASTER_KEY: must be the base64 of exactly 32 bytes") !=
        std::string::npos);
  CHECK(out.find(short_key) == std::string::npos);

  std::tie(rc, out) = run({{"RINGMASTER_MASTER_KEY_FILE", "/nonexistent/master.key"}});
  INFO(out);
  CHECK(rc == 2);
  CHECK(out.find("RINGMASTER_MASTER_KEY_FILE: cannot read /nonexistent/master.key") !=
        std::string::npos);

  std::tie(rc, out) = run(
      {{"RINGMASTER_MASTER_KEY", test_master_key()}, {"RINGMASTER_MASTER_KEY_FILE", "/x"}});
  CHECK(rc == 2);
  CHECK(out.find("set only one") != std::string::npos);
  std::remove(log_path.c_str());
}

TEST_CASE("no secret appears in clear in the logs or the database after a full run",
          "[secrets]") {
  const std::string bin = ringmaster_bin();
  const std::string token = "tok-SECRET-7c1e0b9a4d2f48e6a3b5c9d1e7f20a64";
  const std::string key1 = test_master_key();
  const std::string key2 = test_master_key();
  const std::string key2_file = "/tmp/rm-integ-key2-" + std::to_string(::getpid());
  std::remove(key2_file.c_str());
  {
    rm::persistence::master_key k;
    REQUIRE_FALSE(rm::persistence::parse_master_key(key2, k));
    REQUIRE_FALSE(rm::persistence::write_master_key_file(key2_file, k));
  }

  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, token}}};
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-secrets-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_VAPI_AUTH", "none"},  // the webhooks below carry no credential
      {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
      {"RINGMASTER_MASTER_KEY", key1},
      {"RINGMASTER_MASTER_KEY_FILE", ""},
  };
  auto start = [&] { return start_serve(env, port, log_path, std::chrono::seconds(60)); };

  auto post = [&](const json& body, const std::string& path = "/webhooks/vapi",
                  const std::string& bearer = "") {
    return http_post(port, path, body.dump(), bearer);
  };
  const std::string date = future_weekday(2);
  auto send_sms = [&](const std::string& call_id) {
    call_spec call{call_id};
    REQUIRE(post(status_update(call, "ringing", 1000)).status == 200);
    REQUIRE(post(status_update(call, "in-progress", 2000)).status == 200);
    auto sms = only_result(post(tool_calls(
        call, {{"tc-sms-" + call_id, "send_sms", json{{"message", "See you on " + date}}}})));
    INFO(sms.dump());
    REQUIRE(sms.contains("result"));
    CHECK(json::parse(sms["result"].get<std::string>())["status"] == "sent");
    REQUIRE(post(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
    REQUIRE(post(end_of_call_report(call, 4000)).status == 200);
  };

  {
    auto first = start();
    const json tenant = clinic_tenant(token);
    // A refused request that carries the token: its error names the field, not the value.
    json refused = tenant;
    refused["twilio"]["account_sid"] = "not-a-sid";
    auto bad = post(refused, "/ops/tenants", operator_token);
    CHECK(bad.status == 400);
    CHECK(bad.text.find(token) == std::string::npos);
    auto created = post(tenant, "/ops/tenants", operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    CHECK(created.text.find(token) == std::string::npos);

    // Check availability, hold, book, SMS with the tenant's (decrypted) token.
    call_spec call{"secrets-call-1"};
    REQUIRE(post(status_update(call, "ringing", 1000)).status == 200);
    REQUIRE(post(status_update(call, "in-progress", 2000)).status == 200);
    hold_book_and_text(port, call, "tc-s", date + "T14:00", "Booked for " + date);
    REQUIRE(post(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
    REQUIRE(post(end_of_call_report(call, 4000)).status == 200);

    // Twilio webhooks verified with the tenant's token: a signed inbound SMS is taken, a forged
    // one refused.
    const rm::twilio::params form{{"From", caller_number}, {"To", clinic_number},
                                  {"Body", "thanks"}, {"MessageSid", "SM0123456789abcdef"}};
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/twilio/sms";
    httplib::Client cli{"127.0.0.1", port};
    httplib::Params body;
    for (const auto& [k, v] : form) body.emplace(k, v);
    auto signed_sms = cli.Post("/webhooks/twilio/sms",
                               {{"X-Twilio-Signature", rm::twilio::compute_signature(token, url, form)}},
                               body);
    REQUIRE(signed_sms);
    CHECK(signed_sms->status == 200);
    auto forged = cli.Post("/webhooks/twilio/sms",
                           {{"X-Twilio-Signature", rm::twilio::compute_signature("guess", url, form)}},
                           body);
    REQUIRE(forged);
    CHECK(forged->status == 403);
    first->kill_hard();
  }

  // Rotate to key 2 (the service is stopped), then serve under key 2 only.
  {
    child_process rotate{bin, {"rotate-master-key", "--new-key-file", key2_file}, env, log_path};
    REQUIRE(rotate.started());
    CHECK(rotate.wait_exit() == 0);
  }
  INFO(read_file(log_path));
  CHECK(read_file(log_path).find("re-encrypted 1 credential(s)") != std::string::npos);
  env["RINGMASTER_MASTER_KEY"] = "";
  env["RINGMASTER_MASTER_KEY_FILE"] = key2_file;
  {
    auto second = start();
    send_sms("secrets-call-2");  // the token opens under the new key
    second->kill_hard();
  }
  // Twilio received both SMS with the tenant's token (the fake checks the Basic auth).
  CHECK(twilio.messages().size() == 2);

  const std::string log = read_file(log_path);
  REQUIRE_FALSE(log.empty());
  CHECK(log.find("listening on") != std::string::npos);
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find(key1) == std::string::npos);
  CHECK(log.find(key2) == std::string::npos);

  const std::string rows = dump_database(db.url());
  CHECK(rows.find("Harbor Dental") != std::string::npos);  // the scan does see the data
  CHECK(rows.find("SM0123456789abcdef") != std::string::npos);  // the signed inbound SMS
  CHECK(rows.find(token) == std::string::npos);
  CHECK(rows.find(hex_of(token)) == std::string::npos);
  CHECK(rows.find(key1) == std::string::npos);
  CHECK(rows.find(key2) == std::string::npos);
  std::remove(log_path.c_str());
  std::remove(key2_file.c_str());
}
