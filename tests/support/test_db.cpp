#include "tests/support/test_db.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include <pqxx/pqxx>

#include "persistence/database.hpp"
#include "persistence/secret_box.hpp"

namespace rm::testing {
namespace {

// Replaces the database part of a postgresql:// URL: "…/postgres?x=y" → "…/<db>?x=y".
std::string with_database(const std::string& url, const std::string& db) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    throw std::runtime_error("RINGMASTER_TEST_DATABASE_URL must be a postgresql:// URL, got '" +
                             url + "'");
  }
  const auto query = url.find('?', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  const auto host_end = std::min(slash, query);
  std::string out = url.substr(0, host_end) + "/" + db;
  if (query != std::string::npos) out += url.substr(query);
  return out;
}

}  // namespace

std::string test_server_url() {
  const char* url = std::getenv("RINGMASTER_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "RINGMASTER_TEST_DATABASE_URL is not set: database tests need a PostgreSQL server. "
        "Start a throwaway one with: eval \"$(scripts/pg-start.sh)\" (stop: scripts/pg-stop.sh)");
  }
  return url;
}

scratch_database::scratch_database() : server_url_(test_server_url()) {
  // Stored credentials need the process's master key (app/main.cpp installs the configured one):
  // tests get a random one, once per process.
  if (!persistence::has_master_key()) persistence::install_master_key(persistence::generate_master_key());
  static std::atomic<int> counter{0};
  name_ = "rm_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  {
    pqxx::connection admin{server_url_};
    pqxx::nontransaction tx{admin};
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");  // pid reuse
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  }
  url_ = with_database(server_url_, name_);
  try {
    pqxx::connection c{url_};
    persistence::migrate(c);
  } catch (...) {
    drop();  // the destructor does not run for a throwing constructor
    throw;
  }
}

scratch_database::~scratch_database() { drop(); }

void scratch_database::drop() noexcept {
  try {
    pqxx::connection admin{server_url_};
    pqxx::nontransaction tx{admin};
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (...) {
    // A leftover rm_test_* database is harmless on a throwaway server.
  }
}

}  // namespace rm::testing
