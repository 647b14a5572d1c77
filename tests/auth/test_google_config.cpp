// RINGMASTER_GOOGLE_* (app/config.hpp): read, validated, the secret never in the settings line.
#include <catch2/catch.hpp>

#include "tests/auth/config_env.hpp"

using rm::test::load_with;
using rm::test::scoped_env;

TEST_CASE("RINGMASTER_GOOGLE_*: bases, client, refresh, and the secret only as set") {
  scoped_env secret{"RINGMASTER_GOOGLE_CLIENT_SECRET", "g-secret-value"};
  scoped_env oauth{"RINGMASTER_GOOGLE_OAUTH_BASE", "http://127.0.0.1:7001"};
  scoped_env refresh{"RINGMASTER_GOOGLE_REFRESH_MS", "250"};
  rm::app::config c;
  REQUIRE(!load_with("RINGMASTER_GOOGLE_CLIENT_ID", "cid.apps.googleusercontent.com", c));
  CHECK(c.google_client_id == "cid.apps.googleusercontent.com");
  CHECK(c.google_oauth_base == "http://127.0.0.1:7001");
  CHECK(c.google_authorize_url == "http://127.0.0.1:7001/o/oauth2/v2/auth");
  CHECK(c.google_api_base == "https://www.googleapis.com");
  CHECK(c.google_refresh_ms == 250);
  const auto line = rm::app::settings_summary(c);
  CHECK(line.find("g-secret-value") == std::string::npos);
  CHECK(line.find("google_client_secret=set") != std::string::npos);
}

TEST_CASE("RINGMASTER_GOOGLE_*: half a client, bad URLs and bad numbers are refused by name") {
  {
    rm::app::config c;  // a fresh one each: a refused value stays in the struct
    auto err = load_with("RINGMASTER_GOOGLE_CLIENT_ID", "cid", c);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_GOOGLE_CLIENT_SECRET");
  }
  {
    rm::app::config c;
    auto err = load_with("RINGMASTER_GOOGLE_API_BASE", "www.googleapis.com", c);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_GOOGLE_API_BASE");
  }
  {
    rm::app::config c;
    auto err = load_with("RINGMASTER_GOOGLE_REFRESH_MS", "10", c);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_GOOGLE_REFRESH_MS");
  }
  {
    rm::app::config c;
    auto err = load_with("RINGMASTER_GOOGLE_LEASE_MS", "100", c);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_GOOGLE_LEASE_MS");
  }
}
