// RINGMASTER_TRUSTED_PROXIES at start-up: read by load_config, and a bad range stops start-up with
// an error naming the setting and quoting the range.
#include <string>

#include <catch2/catch.hpp>

#include "tests/auth/config_env.hpp"

using rm::test::load_with;

TEST_CASE("RINGMASTER_TRUSTED_PROXIES is read at start-up, and a bad range names the setting") {
  rm::app::config cfg;
  REQUIRE_FALSE(load_with("RINGMASTER_TRUSTED_PROXIES", "10.0.0.0/8, ::1", cfg));
  CHECK(cfg.trusted_proxies.size() == 2);
  CHECK(cfg.trusted_proxies.contains("10.3.3.3"));

  rm::app::config bad;
  auto err = load_with("RINGMASTER_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/99", bad);
  REQUIRE(err);
  CHECK(err->setting == "RINGMASTER_TRUSTED_PROXIES");
  CHECK(err->message.find("10.0.0.0/99") != std::string::npos);

  rm::app::config unset;
  REQUIRE_FALSE(rm::app::load_config({}, false, unset));
  CHECK(unset.trusted_proxies.empty());
}
