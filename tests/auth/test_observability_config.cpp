// RINGMASTER_METRICS_LISTEN and RINGMASTER_LOG_FORMAT at start-up (issue 14): read by
// load_config; a bad value stops start-up with an error naming the setting.
#include <string>

#include <catch2/catch.hpp>

#include "tests/auth/config_env.hpp"

using rm::test::load_with;

TEST_CASE("RINGMASTER_METRICS_LISTEN: off by default, host:port, never the public port") {
  rm::app::config unset;
  REQUIRE_FALSE(rm::app::load_config({}, false, unset));
  CHECK(unset.metrics_host.empty());

  rm::app::config cfg;
  REQUIRE_FALSE(load_with("RINGMASTER_METRICS_LISTEN", "127.0.0.1:9464", cfg));
  CHECK(cfg.metrics_host == "127.0.0.1");
  CHECK(cfg.metrics_port == 9464);

  for (const char* bad : {"9464", "127.0.0.1:", "127.0.0.1:70000", "a b:1"}) {
    INFO(bad);
    rm::app::config refused;
    auto err = load_with("RINGMASTER_METRICS_LISTEN", bad, refused);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_METRICS_LISTEN");
  }

  rm::app::config same_port;
  auto err = load_with("RINGMASTER_METRICS_LISTEN", "127.0.0.1:8080", same_port,
                       {"--listen", "0.0.0.0:8080"});
  REQUIRE(err);
  CHECK(err->setting == "RINGMASTER_METRICS_LISTEN");
  CHECK(err->message.find("RINGMASTER_LISTEN") != std::string::npos);
}

TEST_CASE("RINGMASTER_LOG_FORMAT: json, text or unset") {
  for (const char* ok : {"json", "text"}) {
    rm::app::config cfg;
    REQUIRE_FALSE(load_with("RINGMASTER_LOG_FORMAT", ok, cfg));
    CHECK(cfg.log_format == ok);
  }
  rm::app::config cfg;
  auto err = load_with("RINGMASTER_LOG_FORMAT", "yaml", cfg);
  REQUIRE(err);
  CHECK(err->setting == "RINGMASTER_LOG_FORMAT");
  CHECK(err->message.find("yaml") != std::string::npos);
}

TEST_CASE("RINGMASTER_HTTP_NICE: 5 by default, 0 to 19, anything else refused by name") {
  rm::app::config unset;
  REQUIRE_FALSE(rm::app::load_config({}, false, unset));
  CHECK(unset.http_nice == 5);
  for (int ok : {0, 19}) {
    rm::app::config cfg;
    REQUIRE_FALSE(load_with("RINGMASTER_HTTP_NICE", std::to_string(ok), cfg));
    CHECK(cfg.http_nice == ok);
  }
  for (const char* bad : {"-1", "20", "five"}) {
    INFO(bad);
    rm::app::config refused;
    auto err = load_with("RINGMASTER_HTTP_NICE", bad, refused);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_HTTP_NICE");
  }
}
