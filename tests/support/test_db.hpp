// A private, migrated database per test, on the server named by RINGMASTER_TEST_DATABASE_URL
// (scripts/pg-start.sh prints it). Database tests fail, never skip, when it is missing.
#pragma once

#include <string>

namespace rm::testing {

// The server's URL from RINGMASTER_TEST_DATABASE_URL; throws std::runtime_error when unset.
std::string test_server_url();

// RAII: CREATE DATABASE rm_test_<pid>_<counter>, migrate() it, DROP … WITH (FORCE) on
// destruction (also closing connections a failed test left open). The first one also installs a
// random master key for the process (persistence::install_master_key) when none is installed, so
// credentials can be stored and read as under `ringmaster serve`.
class scratch_database {
 public:
  scratch_database();
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  // Connection URL of the scratch database, for pqxx::connection or the application.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  void drop() noexcept;

  std::string server_url_;
  std::string name_;
  std::string url_;
};

}  // namespace rm::testing
