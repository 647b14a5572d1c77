// The real `ringmaster` binary for the tests that run it as a child process (crash recovery,
// lifecycle, secrets): where it is (RINGMASTER_BIN, set by ctest) and `ringmaster serve` started
// and waited for until /readyz answers.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/child_process.hpp"
#include "tests/integration/harness.hpp"

namespace rm::itest {

// The ringmaster executable; REQUIREs that RINGMASTER_BIN names an executable file.
inline std::string ringmaster_bin() {
  const char* bin = std::getenv("RINGMASTER_BIN");
  INFO("RINGMASTER_BIN must name the ringmaster executable (ctest sets it)");
  REQUIRE(bin != nullptr);
  REQUIRE(::access(bin, X_OK) == 0);
  return bin;
}

// Starts `ringmaster serve` with `env` (on top of the test's environment), its output in
// `log_path`, and waits until 127.0.0.1:`port`/readyz answers 200 (initdb of an embedded cluster
// included) or the child exits; REQUIREs that it is ready and running (the log is shown if not).
inline std::unique_ptr<child_process> start_serve(
    const std::map<std::string, std::string>& env, int port, const std::string& log_path,
    std::chrono::seconds ready_within = std::chrono::seconds(90)) {
  auto child = std::make_unique<child_process>(ringmaster_bin(), std::vector<std::string>{"serve"},
                                               env, log_path);
  REQUIRE(child->started());
  const bool ready =
      eventually([&] { return !child->running() || http_get(port, "/readyz").status == 200; },
                 ready_within);
  INFO(read_file(log_path));
  REQUIRE(ready);
  REQUIRE(child->running());
  return child;
}

}  // namespace rm::itest
