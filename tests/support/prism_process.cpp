#include "tests/support/prism_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <httplib.h>

#include "tests/support/free_port.hpp"

namespace rm::test {

using namespace std::chrono_literals;

std::string prism_path() {
  const char* env = std::getenv("RM_PRISM");
  return env && *env ? env : RM_PRISM_DEFAULT;
}

std::string log_tail(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

prism_process::prism_process(const std::string& name, const std::vector<std::string>& args,
                             const std::string& probe_path, std::string log_path)
    : log_path_(std::move(log_path)) {
  const std::string bin = prism_path();
  struct stat st {};
  if (::stat(bin.c_str(), &st) != 0 || !(st.st_mode & S_IXUSR)) {
    error_ = "Prism is not installed (no executable " + bin +
             "). Install it with `bash scripts/bootstrap.sh` (runs `npm ci` in tests/contract), "
             "or point RM_PRISM at a prism executable.";
    return;
  }
  port_ = free_port();
  // argv, built before fork: the child only execs.
  std::vector<std::string> argv_strings{bin};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  for (const char* s : {"-h", "127.0.0.1", "-p"}) argv_strings.emplace_back(s);
  argv_strings.push_back(std::to_string(port_));
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    error_ = "fork failed";
    return;
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the test died before prctl
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also from here, so a kill right away reaches the group

  const char* limit_env = std::getenv("RM_PRISM_START_TIMEOUT_S");
  const int limit_s = limit_env && std::atoi(limit_env) > 0 ? std::atoi(limit_env) : 120;
  const auto started = std::chrono::steady_clock::now();
  httplib::Client probe("127.0.0.1", port_);
  probe.set_connection_timeout(1s);
  probe.set_read_timeout(10s);
  while (std::chrono::steady_clock::now() < started + std::chrono::seconds(limit_s)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "Prism exited during start-up (status " + std::to_string(status) + "); log " +
               log_path_ + ":\n" + log_tail(log_path_);
      return;
    }
    if (auto res = probe.Get(probe_path.c_str())) {  // any HTTP answer: listening
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      std::cerr << name << ": Prism ready on 127.0.0.1:" << port_ << " after " << ms.count()
                << " ms (log " << log_path_ << ")\n";
      return;
    }
    std::this_thread::sleep_for(250ms);
  }
  error_ = "Prism did not answer within " + std::to_string(limit_s) +
           " s (RM_PRISM_START_TIMEOUT_S); log " + log_path_ + ":\n" + log_tail(log_path_);
  stop();
}

prism_process::~prism_process() { stop(); }

void prism_process::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {  // 5 s, then SIGKILL
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace rm::test
