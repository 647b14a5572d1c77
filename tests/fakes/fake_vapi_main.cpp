// fake-vapi --port N --key PRIVATE_KEY
// Serves the local Vapi fake until SIGINT/SIGTERM. For tests and demos only: nothing reaches Vapi.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "tests/fakes/fake_vapi.hpp"

namespace {

int usage() {
  std::cerr << "usage: fake-vapi --port N --key PRIVATE_KEY\n"
               "  requests must carry Authorization: Bearer PRIVATE_KEY;\n"
               "  GET /_fake/requests lists what it received\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string key;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--key" && i + 1 < argc) {
      key = argv[++i];
    } else {
      return usage();
    }
  }
  if (key.empty()) return usage();

  // Block the signals before the server threads start so only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    rm::fakes::fake_vapi fake(key, port);
    std::cout << "fake-vapi listening on 127.0.0.1:" << fake.port()
              << " (a local Vapi-compatible fake, not Vapi)" << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    fake.stop();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
