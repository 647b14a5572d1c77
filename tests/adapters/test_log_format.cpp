// The log format (adapters/logging/log.hpp): phone numbers redacted to their last four digits,
// other numbers and ids untouched, one JSON object per line with the thread's context.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "adapters/logging/log.hpp"

using rm::logging::redact;

TEST_CASE("redact keeps only the last four digits of phone numbers", "[logs]") {
  CHECK(redact("sms to +14155550177 sent") == "sms to …0177 sent");
  CHECK(redact("+14155550177") == "…0177");
  CHECK(redact("number '+1 415-555.0177'") == "number '…0177'");
  CHECK(redact("From=%2B14155550177&To=%2b442079460958") == "From=…0177&To=…0958");
  CHECK(redact("caller 4155550177 called") == "caller …0177 called");
  CHECK(redact("(4155550177)") == "(…0177)");
  CHECK(redact("+447700900123, +33612345678") == "…0123, …5678");
}

TEST_CASE("redact leaves ids, times and short numbers alone", "[logs]") {
  for (const char* text :
       {"schema at version 9 (was 0)", "listening on http://127.0.0.1:8080",
        "request 0123456789abcdef", "id 7d2f9a10-6c4b-4e8a-a1d3-202512345678",
        "at 2026-12-05T01:02:03.456Z", "sid SM0123456789abcdef0123456789abcdef",
        "took 1234567.891 ms", "v1.2345678901", "order_12345678901", "+12 a", "+123456 x",
        "key id 35e6496093ecdafd", "3 expired, 12 deleted"}) {
    INFO(text);
    CHECK(redact(text) == text);
  }
}

TEST_CASE("a JSON log line holds time, level, component, message and the known ids", "[logs]") {
  rm::logging::context ctx{"req-1", "call-9", "org-7", "http"};
  auto j = nlohmann::json::parse(
      rm::logging::json_line(1764896523456LL, "info", "sms to +14155550177 \"sent\"", ctx));
  CHECK(j["time"] == "2025-12-05T01:02:03.456Z");
  CHECK(j["level"] == "info");
  CHECK(j["component"] == "http");
  CHECK(j["message"] == "sms to …0177 \"sent\"");
  CHECK(j["request_id"] == "req-1");
  CHECK(j["call_id"] == "call-9");
  CHECK(j["org_id"] == "org-7");

  auto bare = nlohmann::json::parse(
      rm::logging::json_line(0, "warning", "numbers: order 5 reconciled", {}));
  CHECK(bare["component"] == "numbers");
  CHECK(bare["time"] == "1970-01-01T00:00:00.000Z");
  CHECK_FALSE(bare.contains("request_id"));
  CHECK_FALSE(bare.contains("call_id"));
  CHECK_FALSE(bare.contains("org_id"));
  CHECK(nlohmann::json::parse(rm::logging::json_line(0, "info", "tool log: dropped", {}))
            ["component"] == "tool_log");
  CHECK(nlohmann::json::parse(rm::logging::json_line(0, "info", "applied migration 001", {}))
            ["component"] == "ringmaster");
  // Bytes that are not UTF-8 do not break the line.
  auto bad = nlohmann::json::parse(rm::logging::json_line(0, "info", "path \xff\xfe", {}));
  CHECK(bad["message"].is_string());
}

TEST_CASE("install(json) makes spdlog's default logger write JSON lines with the context",
          "[logs]") {
  std::ostringstream out;
  auto logger = spdlog::default_logger();
  auto saved_sinks = logger->sinks();
  logger->sinks() = {std::make_shared<spdlog::sinks::ostream_sink_mt>(out)};
  rm::logging::install(rm::logging::format::json);
  {
    rm::logging::scope s{{"rid-42", "", "", "http"}};
    rm::logging::note_call("call-1", "org-2");
    spdlog::info("tool-calls for call {} from {}", "call-1", "+14155550177");
    std::thread other{[] { spdlog::warn("numbers: sweep failed"); }};
    other.join();
  }
  spdlog::info("after");
  rm::logging::install(rm::logging::format::text);
  spdlog::info("text from {}", "+14155550177");
  logger->sinks() = saved_sinks;

  std::istringstream lines{out.str()};
  std::string a, b, c, d;
  std::getline(lines, a);
  std::getline(lines, b);
  std::getline(lines, c);
  std::getline(lines, d);
  auto ja = nlohmann::json::parse(a);
  CHECK(ja["message"] == "tool-calls for call call-1 from …0177");
  CHECK(ja["request_id"] == "rid-42");
  CHECK(ja["call_id"] == "call-1");
  CHECK(ja["org_id"] == "org-2");
  CHECK(ja["component"] == "http");
  auto jb = nlohmann::json::parse(b);  // another thread: its own (empty) context
  CHECK(jb["level"] == "warning");
  CHECK(jb["component"] == "numbers");
  CHECK_FALSE(jb.contains("request_id"));
  auto jc = nlohmann::json::parse(c);  // the scope ended: context restored
  CHECK_FALSE(jc.contains("request_id"));
  CHECK_FALSE(jc.contains("call_id"));
  CHECK(d.find("[info] text from …0177") != std::string::npos);
  CHECK(d.find("14155550177") == std::string::npos);
}

TEST_CASE("RINGMASTER_LOG_FORMAT values", "[logs]") {
  CHECK(rm::logging::parse_format("json") == rm::logging::format::json);
  CHECK(rm::logging::parse_format("text") == rm::logging::format::text);
  CHECK_FALSE(rm::logging::parse_format("JSON"));
  CHECK_FALSE(rm::logging::parse_format(""));
}
