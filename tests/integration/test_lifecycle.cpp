// The process lifecycle of the real `ringmaster` binary (RINGMASTER_BIN), issue 9:
//  - fail closed: serve refuses to start without a Vapi webhook credential unless
//    RINGMASTER_VAPI_AUTH=none (and any other value of it is an error);
//  - /readyz says not ready without the database's error text;
//  - graceful stop: SIGTERM and SIGINT stop accepting, answer the request in flight, store the
//    write-behind tool log, stop the embedded PostgreSQL and exit 0.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <string>

#include <pqxx/pqxx>

#include "persistence/database.hpp"
#include "tests/integration/serve_process.hpp"

using namespace rm::itest;
namespace fs = std::filesystem;

namespace {

// Every webhook credential setting, unset for the child (it inherits the test's environment).
std::map<std::string, std::string> no_vapi_credentials() {
  return {{"RINGMASTER_VAPI_SECRET", ""},
          {"RINGMASTER_VAPI_BEARER_TOKEN", ""},
          {"RINGMASTER_VAPI_HMAC_SECRET", ""},
          {"RINGMASTER_VAPI_AUTH", ""}};
}

// True while `pid` exists and is not a zombie (an exited child waiting for its parent).
bool process_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close == std::string::npos || line.size() < close + 3 || line[close + 2] != 'Z';
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/rm-life.XXXXXX";
    path = ::mkdtemp(tmpl);
    // As root, the postgres OS user must be able to walk into it.
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("serve refuses to start without a Vapi webhook credential unless RINGMASTER_VAPI_AUTH=none",
          "[lifecycle]") {
  const std::string log_path = "/tmp/rm-integ-failclosed-" + std::to_string(::getpid()) + ".log";
  auto env = no_vapi_credentials();
  env["DATABASE_URL"] = "postgresql://127.0.0.1:1/none";  // never reached: config comes first
  env["RINGMASTER_OPERATOR_TOKEN"] = operator_token;
  env["RINGMASTER_LISTEN"] = "127.0.0.1:0";
  env["RINGMASTER_MASTER_KEY"] = test_master_key();
  env["RINGMASTER_MASTER_KEY_FILE"] = "";
  auto run = [&](const std::map<std::string, std::string>& extra) {
    std::remove(log_path.c_str());
    auto e = env;
    for (const auto& [k, v] : extra) e[k] = v;
    child_process p{ringmaster_bin(), {"serve"}, e, log_path};
    REQUIRE(p.started());
    auto rc = p.wait_exit_for(std::chrono::seconds(30));
    std::string out = read_file(log_path);
    std::remove(log_path.c_str());
    return std::make_pair(rc, out);
  };

  SECTION("no credential: exit 2 naming the three settings and the waiver") {
    auto [rc, out] = run({});
    INFO(out);
    CHECK(rc == std::optional<int>{2});
    CHECK(out.find("RINGMASTER_VAPI_SECRET") != std::string::npos);
    CHECK(out.find("RINGMASTER_VAPI_BEARER_TOKEN") != std::string::npos);
    CHECK(out.find("RINGMASTER_VAPI_HMAC_SECRET") != std::string::npos);
    CHECK(out.find("RINGMASTER_VAPI_AUTH=none") != std::string::npos);
    CHECK(out.find("listening") == std::string::npos);
  }
  SECTION("RINGMASTER_VAPI_AUTH with another value than none: exit 2 naming it") {
    auto [rc, out] = run({{"RINGMASTER_VAPI_AUTH", "off"}});
    INFO(out);
    CHECK(rc == std::optional<int>{2});
    CHECK(out.find("RINGMASTER_VAPI_AUTH: must be 'none'") != std::string::npos);
  }
}

TEST_CASE("serve with RINGMASTER_VAPI_AUTH=none warns and accepts unauthenticated webhooks; with a "
          "credential it requires it",
          "[lifecycle]") {
  rm::testing::scratch_database db;
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-vapiauth-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  auto env = no_vapi_credentials();
  env["DATABASE_URL"] = db.url();
  env["RINGMASTER_APP_DATABASE_URL"] = "";
  env["RINGMASTER_OPERATOR_TOKEN"] = operator_token;
  env["RINGMASTER_LISTEN"] = "127.0.0.1:" + std::to_string(port);
  env["RINGMASTER_MASTER_KEY"] = test_master_key();
  env["RINGMASTER_MASTER_KEY_FILE"] = "";
  const json webhook = status_update(call_spec{"life-open-1"}, "ringing", 1000);
  const json clinic{
      {"name", "Harbor Dental"},
      {"time_zone", "America/New_York"},
      {"numbers", {{{"e164", clinic_number}, {"vapi_phone_number_id", clinic_vapi_id}}}},
      {"assistant_id", clinic_assistant}};
  auto create_clinic = [&] {
    auto created = http_post(port, "/ops/tenants", clinic.dump(), operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
  };

  SECTION("RINGMASTER_VAPI_AUTH=none") {
    env["RINGMASTER_VAPI_AUTH"] = "none";
    auto child = start_serve(env, port, log_path);
    CHECK(read_file(log_path).find("Vapi webhooks are accepted UNAUTHENTICATED") !=
          std::string::npos);
    create_clinic();
    auto r = http_post(port, "/webhooks/vapi", webhook.dump());
    INFO(r.text);
    CHECK(r.status == 200);
    child->signal(SIGTERM);
    CHECK(child->wait_exit_for(std::chrono::seconds(15)) == std::optional<int>{0});
  }
  SECTION("RINGMASTER_VAPI_BEARER_TOKEN") {
    const std::string token = "lifecycle-vapi-bearer-token-0123";
    env["RINGMASTER_VAPI_BEARER_TOKEN"] = token;
    auto child = start_serve(env, port, log_path);
    CHECK(read_file(log_path).find("UNAUTHENTICATED") == std::string::npos);
    create_clinic();
    auto refused = http_post(port, "/webhooks/vapi", webhook.dump());
    CHECK(refused.status == 401);
    auto accepted = http_post(port, "/webhooks/vapi", webhook.dump(), token);
    INFO(refused.text << "\n" << accepted.text);
    CHECK(accepted.status == 200);
    child->signal(SIGTERM);
    CHECK(child->wait_exit_for(std::chrono::seconds(15)) == std::optional<int>{0});
  }
  std::remove(log_path.c_str());
}

TEST_CASE("/readyz answers not ready without the database's error text", "[lifecycle]") {
  harness h;
  REQUIRE(h.get("/readyz", false).status == 200);
  // Refuse new connections to the scratch database and cut the service's existing ones (from the
  // server's maintenance database: a database cannot lock itself out).
  const char* server = std::getenv("RINGMASTER_TEST_DATABASE_URL");
  REQUIRE(server != nullptr);
  std::string name;
  {
    pqxx::connection scratch{h.db_url()};
    pqxx::nontransaction q{scratch};
    name = q.exec1("SELECT current_database()")[0].c_str();
  }
  pqxx::connection admin{server};
  pqxx::nontransaction tx{admin};
  tx.exec("ALTER DATABASE " + tx.quote_name(name) + " ALLOW_CONNECTIONS false");
  tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                 name);
  auto r = h.get("/readyz", false);
  tx.exec("ALTER DATABASE " + tx.quote_name(name) + " ALLOW_CONNECTIONS true");
  INFO(r.text);
  CHECK(r.status == 503);
  CHECK(r.body == json{{"status", "unavailable"}});
  CHECK(r.text.find("connection") == std::string::npos);
  CHECK(r.text.find(name) == std::string::npos);
  CHECK(eventually([&] { return h.get("/readyz", false).status == 200; }));
}

TEST_CASE("SIGTERM and SIGINT stop serve gracefully: the request in flight is answered, the tool "
          "log stored, the embedded PostgreSQL stopped, exit 0",
          "[lifecycle]") {
  temp_dir dir;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-stop-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  const std::string vapi_token = "lifecycle-vapi-bearer-token-4567";
  auto env = no_vapi_credentials();
  env["DATABASE_URL"] = "";  // the embedded PostgreSQL under the data dir
  env["RINGMASTER_APP_DATABASE_URL"] = "";
  env["RINGMASTER_DATA_DIR"] = dir.path.string();
  env["RINGMASTER_OPERATOR_TOKEN"] = operator_token;
  env["RINGMASTER_LISTEN"] = "127.0.0.1:" + std::to_string(port);
  env["RINGMASTER_MASTER_KEY"] = test_master_key();
  env["RINGMASTER_MASTER_KEY_FILE"] = "";
  env["RINGMASTER_TWILIO_API_BASE"] = twilio.base_url();
  env["RINGMASTER_VAPI_BEARER_TOKEN"] = vapi_token;
  // The test's own way into the embedded cluster: the socket and the password file.
  const rm::persistence::embedded_postgres layout{dir.path.string()};
  const std::string owner_dsn = layout.connection_string("ringmaster");
  const fs::path pid_file = dir.path / "postgres" / "data" / "postmaster.pid";
  auto postmaster_pid = [&] {
    std::ifstream in{pid_file};
    pid_t pid = 0;
    in >> pid;
    return pid;
  };
  // Sends `sig` and requires exit 0 within 15 s, then no postmaster left.
  auto stop_with = [&](child_process& child, int sig) {
    const pid_t pg = postmaster_pid();
    REQUIRE(process_alive(pg));
    child.signal(sig);
    auto rc = child.wait_exit_for(std::chrono::seconds(15));
    INFO(read_file(log_path));
    CHECK(rc == std::optional<int>{0});
    CHECK_FALSE(process_alive(pg));
    CHECK_FALSE(fs::exists(pid_file));
  };

  call_spec call{"life-stop-call-1"};
  {
    auto child = start_serve(env, port, log_path);
    const json tenant = clinic_tenant();
    auto created = http_post(port, "/ops/tenants", tenant.dump(), operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "ringing", 1000).dump(),
                      vapi_token).status == 200);
    REQUIRE(http_post(port, "/webhooks/vapi", status_update(call, "in-progress", 2000).dump(),
                      vapi_token).status == 200);

    // Hold the appointments table so check_availability is still running when SIGTERM comes.
    pqxx::connection blocker{owner_dsn};
    pqxx::work lock{blocker};
    lock.exec("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE");
    const auto check = tool_calls(
        call, {{"tc-life-check", "check_availability", json{{"date", future_weekday(2)}}}});
    auto in_flight = std::async(std::launch::async, [&] {
      return http_post(port, "/webhooks/vapi", check.dump(), vapi_token);
    });
    pqxx::connection observer{owner_dsn};
    REQUIRE(eventually([&] {
      pqxx::nontransaction q{observer};
      return q.exec1("SELECT count(*) FROM pg_locks WHERE NOT granted")[0].as<long>() > 0;
    }));

    const pid_t pg = postmaster_pid();
    child->signal(SIGTERM);
    // No new connections, while the request in flight is still waiting for the lock.
    CHECK(eventually([&] { return http_get(port, "/healthz").status == 0; },
                     std::chrono::seconds(5)));
    CHECK(in_flight.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready);
    CHECK(child->running());
    lock.commit();  // releases the table: the request completes

    auto answered = in_flight.get();
    INFO(answered.text << answered.transport_error);
    REQUIRE(answered.status == 200);
    auto result = only_result(answered);
    CHECK(result.contains("result"));
    observer.disconnect();
    blocker.disconnect();
    auto rc = child->wait_exit_for(std::chrono::seconds(15));
    INFO(read_file(log_path));
    CHECK(rc == std::optional<int>{0});
    CHECK_FALSE(process_alive(pg));
    CHECK_FALSE(fs::exists(pid_file));
  }

  // Start again on the same data dir: the read answered during the stop was stored.
  auto child = start_serve(env, port, log_path);
  {
    pqxx::connection c{owner_dsn};
    pqxx::nontransaction q{c};
    CHECK(q.exec1("SELECT count(*) FROM tool_invocations WHERE tool_call_id = 'tc-life-check'")[0]
              .as<long>() == 1);
  }
  stop_with(*child, SIGINT);
  std::remove(log_path.c_str());
}
