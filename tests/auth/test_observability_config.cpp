// RINGMASTER_METRICS_LISTEN and RINGMASTER_LOG_FORMAT at start-up (issue 14): read by
// load_config; a bad value stops start-up with an error naming the setting.
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "app/config.hpp"

namespace {

struct scoped_env {
  std::string name;
  scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() { unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("RINGMASTER_METRICS_LISTEN: off by default, host:port, never the public port") {
  rm::app::config unset;
  REQUIRE_FALSE(rm::app::load_config({}, false, unset));
  CHECK(unset.metrics_host.empty());
  {
    scoped_env env{"RINGMASTER_METRICS_LISTEN", "127.0.0.1:9464"};
    rm::app::config cfg;
    REQUIRE_FALSE(rm::app::load_config({}, false, cfg));
    CHECK(cfg.metrics_host == "127.0.0.1");
    CHECK(cfg.metrics_port == 9464);
  }
  for (const char* bad : {"9464", "127.0.0.1:", "127.0.0.1:70000", "a b:1"}) {
    INFO(bad);
    scoped_env env{"RINGMASTER_METRICS_LISTEN", bad};
    rm::app::config cfg;
    auto err = rm::app::load_config({}, false, cfg);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_METRICS_LISTEN");
  }
  {
    scoped_env env{"RINGMASTER_METRICS_LISTEN", "127.0.0.1:8080"};
    rm::app::config cfg;
    auto err = rm::app::load_config({"--listen", "0.0.0.0:8080"}, false, cfg);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_METRICS_LISTEN");
    CHECK(err->message.find("RINGMASTER_LISTEN") != std::string::npos);
  }
}

TEST_CASE("RINGMASTER_LOG_FORMAT: json, text or unset") {
  for (const char* ok : {"json", "text"}) {
    scoped_env env{"RINGMASTER_LOG_FORMAT", ok};
    rm::app::config cfg;
    REQUIRE_FALSE(rm::app::load_config({}, false, cfg));
    CHECK(cfg.log_format == ok);
  }
  scoped_env env{"RINGMASTER_LOG_FORMAT", "yaml"};
  rm::app::config cfg;
  auto err = rm::app::load_config({}, false, cfg);
  REQUIRE(err);
  CHECK(err->setting == "RINGMASTER_LOG_FORMAT");
  CHECK(err->message.find("yaml") != std::string::npos);
}
