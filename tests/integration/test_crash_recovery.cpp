// 9. Crash recovery with the real `ringmaster` binary (RINGMASTER_BIN): kill -9 in the middle of a
// call, start again, and the call carries on from the database.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/integration/harness.hpp"

extern char** environ;

using namespace rm::itest;

namespace {

// A loopback port nobody listens on right now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child process that is always killed and reaped, even when a REQUIRE fails.
class child_process {
 public:
  child_process(const std::string& bin, const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env, const std::string& log_path) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      if (!env.count(kv.substr(0, kv.find('=')))) env_strings.push_back(kv);
    }
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings{bin};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
  }
  ~child_process() { kill_hard(); }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool started() const { return pid_ > 0; }
  // True while the process has not exited.
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  // SIGKILL and reap.
  void kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("a call survives kill -9 of the service and carries on after the restart",
          "[crash-recovery]") {
  const char* bin = std::getenv("RINGMASTER_BIN");
  INFO("RINGMASTER_BIN must name the ringmaster executable (ctest sets it)");
  REQUIRE(bin != nullptr);
  REQUIRE(::access(bin, X_OK) == 0);

  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, auth_token}}};
  const int port = free_port();
  const std::string log_path = "/tmp/rm-integ-crash-" + std::to_string(::getpid()) + ".log";
  const std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
  };
  auto start = [&] {
    auto child =
        std::make_unique<child_process>(bin, std::vector<std::string>{"serve"}, env, log_path);
    REQUIRE(child->started());
    bool ready =
        eventually([&] { return !child->running() || http_get(port, "/readyz").status == 200; },
                   std::chrono::seconds(60));
    INFO(read_file(log_path));
    REQUIRE(ready);
    REQUIRE(child->running());
    REQUIRE(http_get(port, "/readyz").status == 200);
    return child;
  };
  auto post = [&](const json& body, const std::string& path = "/webhooks/vapi",
                  const std::string& token = "") {
    return http_post(port, path, body.dump(), token);
  };
  auto view = [&](const std::string& id) {
    auto r = http_get(port, "/sessions/calls/" + id, operator_token);
    INFO(r.text);
    REQUIRE(r.status == 200);
    return r.body;
  };

  call_spec call{"crash-call-1"};
  const auto reserve = tool_calls(
      call, {{"tc-crash-hold", "reserve_slot", json{{"start", future_weekday(2) + "T13:00"}}}});
  std::string hold_result;
  {
    auto first = start();
    json tenant{{"name", "Harbor Dental"},
                {"time_zone", "America/New_York"},
                {"numbers", {{{"e164", clinic_number}, {"vapi_phone_number_id", clinic_vapi_id}}}},
                {"assistant_id", clinic_assistant},
                {"twilio", {{"account_sid", account_sid}, {"auth_token", auth_token}}}};
    auto created = post(tenant, "/ops/tenants", operator_token);
    INFO(created.text);
    REQUIRE(created.status == 201);
    REQUIRE(post(status_update(call, "ringing", 1000)).status == 200);
    REQUIRE(post(status_update(call, "in-progress", 2000)).status == 200);
    auto hold = only_result(post(reserve));
    INFO(hold.dump());
    REQUIRE(hold.contains("result"));
    hold_result = hold["result"].get<std::string>();
    first->kill_hard();  // kill -9, in the middle of the call
    CHECK_FALSE(first->running());
  }
  const std::string hold_id = json::parse(hold_result)["hold_id"];

  auto second = start();
  bool listed = eventually(
      [&] {
        auto r = http_get(port, "/sessions/calls", operator_token);
        if (r.status != 200 || !r.body["calls"].is_array()) return false;
        for (const auto& c : r.body["calls"])
          if (c["id"] == call.call_id) return true;
        return false;
      },
      std::chrono::seconds(30));
  INFO(read_file(log_path));
  REQUIRE(listed);

  auto after = view(call.call_id);
  INFO(after.dump());
  CHECK(after["live"] == true);
  CHECK(after["state"] == "in-progress");
  REQUIRE(after["holds"].size() == 1);
  CHECK(after["holds"][0]["id"] == hold_id);
  CHECK(after["holds"][0]["status"] == "held");

  auto retried = only_result(post(reserve));
  INFO(retried.dump());
  REQUIRE(retried.contains("result"));
  CHECK(retried["result"] == hold_result);
  CHECK(json::parse(retried["result"].get<std::string>())["hold_id"] == hold_id);

  REQUIRE(post(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
  REQUIRE(post(end_of_call_report(call, 4000)).status == 200);
  auto done = view(call.call_id);
  INFO(done.dump());
  CHECK(done["state"] == "reported");
  CHECK(done["outcome"] == "lost");  // a hold that was never booked is not a booking
  CHECK(done["ended_reason"] == "customer-ended-call");
  second->kill_hard();
  std::remove(log_path.c_str());
}
