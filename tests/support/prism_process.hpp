// Prism (@stoplight/prism-cli, pinned in tests/contract, installed by scripts/bootstrap.sh with
// `npm ci`) as a child process for the contract tests: tests/contract (Twilio's document, `mock`)
// and tests/openapi (docs/openapi.yaml, `proxy --errors`).
//
// Env: RM_PRISM (a prism executable; default tests/contract/node_modules/.bin/prism),
// RM_PRISM_START_TIMEOUT_S (how long start-up may take, default 120 s).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace rm::test {

// The prism executable: $RM_PRISM, else the one tests/contract's `npm ci` installs.
std::string prism_path();

// The last `max_lines` lines of the file at `path`, each indented by two spaces (for messages).
std::string log_tail(const std::string& path, std::size_t max_lines = 40);

// One Prism on a free loopback port, in its own process group: the group gets SIGTERM (then
// SIGKILL after 5 s) on stop() and destruction, and the kernel kills Prism should the test die
// first (PR_SET_PDEATHSIG). Never throws: a failure to start is reported by error().
class prism_process {
 public:
  // Runs `prism <args…> -h 127.0.0.1 -p <port>` with stdout and stderr in `log_path` (truncated),
  // then GETs `probe_path` every 250 ms until Prism answers anything (it listens), for at most
  // RM_PRISM_START_TIMEOUT_S seconds. On success prints the port and start-up time to stderr
  // (prefixed by `name`); otherwise error() says why (not installed, exited, too slow: with the
  // log's tail) and Prism is stopped.
  prism_process(const std::string& name, const std::vector<std::string>& args,
                const std::string& probe_path, std::string log_path);
  ~prism_process();
  prism_process(const prism_process&) = delete;
  prism_process& operator=(const prism_process&) = delete;

  const std::string& error() const { return error_; }  // "" once Prism listens
  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  // Stops the process group (SIGTERM, SIGKILL after 5 s) and reaps Prism; idempotent.
  void stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
  std::string error_;
};

}  // namespace rm::test
