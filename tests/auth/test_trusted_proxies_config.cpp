// RINGMASTER_TRUSTED_PROXIES at start-up: read by load_config, and a bad range stops start-up with
// an error naming the setting and quoting the range.
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "app/config.hpp"

namespace {

// Sets an environment variable for the scope of one test.
struct scoped_env {
  std::string name;
  scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() { unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("RINGMASTER_TRUSTED_PROXIES is read at start-up; a bad range names the setting") {
  rm::app::config cfg;
  {
    scoped_env env{"RINGMASTER_TRUSTED_PROXIES", "10.0.0.0/8, ::1"};
    REQUIRE_FALSE(rm::app::load_config({}, false, cfg));
    CHECK(cfg.trusted_proxies.size() == 2);
    CHECK(cfg.trusted_proxies.contains("10.3.3.3"));
  }
  {
    scoped_env env{"RINGMASTER_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/99"};
    rm::app::config bad;
    auto err = rm::app::load_config({}, false, bad);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_TRUSTED_PROXIES");
    CHECK(err->message.find("10.0.0.0/99") != std::string::npos);
  }
  rm::app::config unset;
  REQUIRE_FALSE(rm::app::load_config({}, false, unset));
  CHECK(unset.trusted_proxies.empty());
}
