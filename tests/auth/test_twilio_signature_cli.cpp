// `ringmaster verify-twilio-signature`, driven through its function with string streams.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "app/twilio_signature_cli.hpp"

using rm::app::run_verify_twilio_signature;

namespace {

struct run_result {
  int code;
  std::string out, err;
};

run_result run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_verify_twilio_signature(args, out, err);
  return {code, out.str(), err.str()};
}

const std::vector<std::string> fixture = {
    "--auth-token", "12345",
    "--url",        "https://mycompany.com/myapp.php?foo=1&bar=2",
    "--param",      "CallSid=CA1234567890ABCDE",
    "--param",      "Caller=+14158675309",
    "--param",      "Digits=1234",
    "--param",      "From=+14158675309",
    "--param",      "To=+18005551212"};

std::vector<std::string> with(std::vector<std::string> args, std::vector<std::string> more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("the CLI accepts the SDK fixture and names the URL variant that matched") {
  const auto r = run(with(fixture, {"--signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="}));
  CHECK(r.code == 0);
  CHECK(r.out == "valid: matched https://mycompany.com/myapp.php?foo=1&bar=2\n");
  CHECK(r.err.empty());
}

TEST_CASE("the CLI also takes its arguments with the subcommand name in front") {
  auto args = with(fixture, {"--signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="});
  args.insert(args.begin(), "verify-twilio-signature");
  CHECK(run(args).code == 0);
}

TEST_CASE("the CLI reports a port variant that matched") {
  auto args = with(fixture, {"--signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="});
  args[3] = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
  const auto r = run(args);
  CHECK(r.code == 0);
  CHECK(r.out == "valid: matched https://mycompany.com/myapp.php?foo=1&bar=2\n");
}

TEST_CASE("an invalid signature shows the signed string and the signature of each variant") {
  const auto r = run(with(fixture, {"--signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}));
  CHECK(r.code == 1);
  CHECK(r.out.find("invalid: signed string was: https://mycompany.com/myapp.php?foo=1&bar=2"
                   "CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309"
                   "To+18005551212\n") == 0);
  CHECK(r.out.find("reason: signature_mismatch\n") != std::string::npos);
  CHECK(r.out.find("expected RSOYDt4T1cUTdK1PDd93/VVr8B8= for "
                   "https://mycompany.com/myapp.php?foo=1&bar=2\n") != std::string::npos);
  CHECK(r.out.find("for https://mycompany.com:443/myapp.php?foo=1&bar=2\n") != std::string::npos);
}

TEST_CASE("the CLI checks a JSON body from a file against bodySHA256") {
  const std::string path =
      (std::filesystem::temp_directory_path() / "rm_auth_tests_twilio_body.json").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << R"({"property": "value", "boolean": true})";
  }
  const std::vector<std::string> args = {
      "--auth-token", "12345", "--url",
      "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
      "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
      "--body-file", path};
  auto r = run(with(args, {"--signature", "a9nBmqA0ju/hNViExpshrM61xv4="}));
  CHECK(r.code == 0);
  CHECK(r.out.rfind("valid: matched ", 0) == 0);
  {
    std::ofstream f(path, std::ios::binary);
    f << R"({"property": "value", "boolean": false})";
  }
  r = run(with(args, {"--signature", "a9nBmqA0ju/hNViExpshrM61xv4="}));
  CHECK(r.code == 1);
  CHECK(r.out.find("reason: body_hash_mismatch\n") != std::string::npos);
  CHECK(r.out.find("body sha256: ") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("usage errors exit 2 and say what is wrong") {
  auto r = run({"--url", "https://x/", "--signature", "s"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--auth-token is required") != std::string::npos);
  CHECK(r.err.find("usage:") != std::string::npos);
  CHECK(r.out.empty());
  CHECK(run({"--auth-token", "t", "--signature", "s"}).code == 2);
  CHECK(run({"--auth-token", "t", "--url", "https://x/"}).code == 2);
  CHECK(run(with(fixture, {"--signature"})).code == 2);
  CHECK(run(with(fixture, {"--signature", "s", "--bogus", "1"})).code == 2);
  r = run(with(fixture, {"--signature", "s", "--param", "novalue"}));
  CHECK(r.code == 2);
  CHECK(r.err.find("key=value") != std::string::npos);
  r = run({"--auth-token", "t", "--url", "https://x/?bodySHA256=ab", "--signature", "s",
           "--body-file", "/nonexistent/body"});
  CHECK(r.code == 2);
  CHECK(r.err.find("cannot read") != std::string::npos);
  r = run(with(fixture, {"--signature", "s", "--body-file", "/nonexistent/body"}));
  CHECK(r.code == 2);
  CHECK(r.err.find("exclude each other") != std::string::npos);
}
