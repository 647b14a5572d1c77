// fake-google --port N --client-id ID --client-secret SECRET [--email ADDRESS]
//             [--busy START/END ...]
// Serves the local Google OAuth + Calendar fake until SIGINT/SIGTERM (tests/fakes/fake_google.hpp).
// For tests and demos only: nothing reaches Google. --busy adds a busy block to the "primary"
// calendar (RFC 3339 instants separated by '/').
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "tests/fakes/fake_google.hpp"

namespace {

int usage() {
  std::cerr << "usage: fake-google --port N --client-id ID --client-secret SECRET"
               " [--email ADDRESS] [--busy START/END ...]\n"
               "  GET /_fake/requests and /_fake/events list what it received\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string id, secret, email;
  std::vector<std::pair<std::string, std::string>> busy;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (arg == "--client-id" && i + 1 < argc) id = argv[++i];
    else if (arg == "--client-secret" && i + 1 < argc) secret = argv[++i];
    else if (arg == "--email" && i + 1 < argc) email = argv[++i];
    else if (arg == "--busy" && i + 1 < argc) {
      std::string b = argv[++i];
      auto slash = b.find('/');
      if (slash == std::string::npos) return usage();
      busy.emplace_back(b.substr(0, slash), b.substr(slash + 1));
    } else {
      return usage();
    }
  }
  if (id.empty() || secret.empty()) return usage();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    rm::fakes::fake_google fake(id, secret, port);
    if (!email.empty()) fake.set_account(email, "110169484474386276334");
    if (!busy.empty()) fake.set_busy("primary", busy);
    std::cout << "fake-google listening on 127.0.0.1:" << fake.port()
              << " (a local Google OAuth/Calendar fake, not Google)" << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    fake.stop();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
