// fake-twilio --port N --account SID:TOKEN [--account …] [--magic-from] [--page-size N]
//             [--own SID:+E164 …]
// Serves the local Twilio fake until SIGINT/SIGTERM. For tests and demos only.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/fake_twilio.hpp"

namespace {

int usage() {
  std::cerr << "usage: fake-twilio --port N --account SID:TOKEN [--account SID:TOKEN …] "
               "[--magic-from] [--page-size N] [--own SID:+E164 …]\n"
               "  --magic-from  test-credential mode: any From but +15005550006 gets 21606\n"
               "  --page-size   IncomingPhoneNumbers.json page size without PageSize (default 50)\n"
               "  --own         the account already owns this number (for imports)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  rm::fakes::fake_twilio_options options;
  std::map<std::string, std::string> accounts;
  std::vector<std::pair<std::string, std::string>> owned;  // account sid, E.164
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      options.port = std::atoi(argv[++i]);
    } else if (arg == "--account" && i + 1 < argc) {
      std::string value = argv[++i];
      auto colon = value.find(':');
      if (colon == std::string::npos || colon == 0) return usage();
      accounts[value.substr(0, colon)] = value.substr(colon + 1);
    } else if (arg == "--page-size" && i + 1 < argc) {
      options.list_page_size = std::atoi(argv[++i]);
      if (options.list_page_size < 1 || options.list_page_size > 1000) return usage();
    } else if (arg == "--own" && i + 1 < argc) {
      std::string value = argv[++i];
      auto colon = value.find(':');
      if (colon == std::string::npos || colon == 0) return usage();
      owned.emplace_back(value.substr(0, colon), value.substr(colon + 1));
    } else if (arg == "--magic-from") {
      options.enforce_magic_from = true;
    } else {
      return usage();
    }
  }
  if (accounts.empty()) return usage();

  // Block the signals before the server threads start so only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    rm::fakes::fake_twilio fake(accounts, options);
    for (const auto& [account, number] : owned) fake.add_owned_number(account, number);
    std::cout << "fake-twilio listening on 127.0.0.1:" << fake.port()
              << " (a local Twilio-compatible fake, not Twilio)" << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    fake.stop();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
