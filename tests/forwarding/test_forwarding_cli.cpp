// `ringmaster forwarding-codes`: one JSON line, exit 0 (codes), 1 (rejection) or 2 (usage).
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "app/forwarding_codes_cli.hpp"

namespace {

struct cli_run {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

cli_run run(std::vector<std::string> args) {
  std::ostringstream out, err;
  cli_run r;
  r.exit_code = rm::app::run_forwarding_codes(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace

TEST_CASE("the CLI prints the codes as one JSON line and exits 0") {
  const auto r = run({"--carrier", "tmobile", "--mode", "safety_net", "--destination",
                      "+1 (212) 736-0123", "--ring-time", "20"});
  CHECK(r.exit_code == 0);
  REQUIRE(!r.out.empty());
  CHECK(r.out.back() == '\n');
  CHECK(r.out.find('\n') == r.out.size() - 1);
  const auto j = r.json();
  CHECK(j.at("activation") == "**004*12127360123*11*20#");
  CHECK(j.at("deactivation") == "##004#");
  CHECK(j.at("status_check") == "*#004#");
  CHECK(j.at("instructions").is_array());
  CHECK(r.err.empty());
}

TEST_CASE("the CLI takes --flag=value as well as --flag value") {
  const auto r = run({"--carrier=verizon", "--mode=total_ai", "--destination=212-736-0123"});
  CHECK(r.exit_code == 0);
  CHECK(r.json().at("activation") == "*722127360123");
  CHECK(r.json().at("status_check") == "");
}

TEST_CASE("the CLI accepts sprint and any destination, not only a tenant's") {
  const auto r = run({"--carrier", "sprint", "--mode", "total_ai", "--destination",
                      "+1 415 234 5678"});
  CHECK(r.exit_code == 0);
  CHECK(r.json().at("activation") == "**21*14152345678#");
}

TEST_CASE("the CLI reports a rejection as an error object and exits 1") {
  SECTION("ring time out of range") {
    const auto r = run({"--carrier", "att", "--mode", "safety_net", "--destination",
                        "2127360123", "--ring-time", "35"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "ring_time_out_of_range");
    CHECK(r.json().at("error").at("message").is_string());
  }
  SECTION("ring time not a multiple of 5") {
    const auto r = run({"--carrier", "att", "--mode", "safety_net", "--destination",
                        "2127360123", "--ring-time", "17"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "ring_time_not_multiple_of_5");
  }
  SECTION("a negative ring time is a number out of range, not a usage error") {
    const auto r = run({"--carrier", "att", "--mode", "safety_net", "--destination",
                        "2127360123", "--ring-time", "-5"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "ring_time_out_of_range");
  }
  SECTION("a huge ring time is out of range too") {
    const auto r = run({"--carrier", "att", "--mode", "safety_net", "--destination",
                        "2127360123", "--ring-time", "99999999999999999999999"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "ring_time_out_of_range");
  }
  SECTION("an injection attempt") {
    const auto r = run({"--carrier", "tmobile", "--mode", "total_ai", "--destination",
                        "2125550123#*21*999#"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "invalid_destination");
    CHECK(r.out.find("\"activation\"") == std::string::npos);
  }
  SECTION("an international destination on T-Mobile") {
    const auto r = run({"--carrier", "tmobile", "--mode", "total_ai", "--destination",
                        "+44 20 7946 0958"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "international_destination_not_supported");
  }
  SECTION("an unknown carrier") {
    const auto r = run({"--carrier", "vodafone", "--mode", "total_ai", "--destination",
                        "2127360123"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "unknown_carrier");
  }
  SECTION("an unknown mode") {
    const auto r = run({"--carrier", "att", "--mode", "sometimes", "--destination",
                        "2127360123"});
    CHECK(r.exit_code == 1);
    CHECK(r.json().at("error").at("code") == "unknown_mode");
  }
}

TEST_CASE("a ring time with total_ai comes back as a note in the CLI output") {
  const auto r = run({"--carrier", "other_gsm", "--mode", "total_ai", "--destination",
                      "+12127360123", "--ring-time", "25"});
  CHECK(r.exit_code == 0);
  CHECK(r.json().at("activation") == "**21*+12127360123#");
  REQUIRE(r.json().at("notes").size() == 1);
  CHECK(r.json().at("notes")[0].get<std::string>().find("ignored") != std::string::npos);
}

TEST_CASE("usage errors print a usage error object, the usage text on stderr, and exit 2") {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--mode", "total_ai", "--destination", "2127360123"},                  // no carrier
      {"--carrier", "att", "--destination", "2127360123"},                    // no mode
      {"--carrier", "att", "--mode", "total_ai"},                             // no destination
      {"--carrier", "att", "--mode", "total_ai", "--destination"},            // no value
      {"--carrier", "--mode", "total_ai", "--destination", "2127360123"},     // flag as value
      {"--carrier", "att", "--mode", "total_ai", "--destination", "2127360123", "--colour", "x"},
      {"--carrier", "att", "--carrier", "att", "--mode", "total_ai", "--destination", "1"},
      {"att", "total_ai", "2127360123"},
      {"--carrier", "att", "--mode", "safety_net", "--destination", "2127360123", "--ring-time",
       "twenty"},
      {"--carrier", "att", "--mode", "safety_net", "--destination", "2127360123",
       "--ring-time=17.5"},
      {"--carrier", "att", "--mode", "safety_net", "--destination", "2127360123",
       "--ring-time=20s"},
      {"--carrier", "att", "--mode", "safety_net", "--destination", "2127360123",
       "--ring-time="},
  };
  for (const auto& args : cases) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    INFO(line);
    const auto r = run(args);
    CHECK(r.exit_code == 2);
    CHECK(r.json().at("error").at("code") == "usage");
    CHECK(r.err.find("Usage: ringmaster forwarding-codes") != std::string::npos);
  }
}

TEST_CASE("--help prints the usage on stdout and exits 0") {
  const auto r = run({"--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("--ring-time") != std::string::npos);
}
