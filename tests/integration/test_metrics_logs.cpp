// Issue 14 §1–§2 with the real `ringmaster` binary (RINGMASTER_BIN):
//  - RINGMASTER_METRICS_LISTEN serves GET /metrics (Prometheus text) on its own port; the public
//    port answers 404 there. A scrape before and after the recorded demo call (status updates,
//    the four tools, the SMS, the end-of-call report) shows every counter moved by exactly what
//    the call did, and the latency histograms have the observations.
//  - RINGMASTER_LOG_FORMAT unset with stdout not a terminal: every log line is one JSON object
//    with time, level, component and message (request_id, call_id, org_id where known), and no
//    line holds the caller's number, the tenant's Twilio auth token or the call's transcript.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <thread>

#include "tests/integration/child_process.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/serve_process.hpp"

using namespace rm::itest;

namespace {

using labels = std::map<std::string, std::string>;

// One scrape: every sample line "name{k="v",…} value" (comments skipped).
struct scrape {
  std::vector<std::tuple<std::string, labels, double>> samples;
  std::string text;

  explicit scrape(const std::string& body) : text(body) {
    std::istringstream in{body};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto space = line.rfind(' ');
      REQUIRE(space != std::string::npos);
      std::string series = line.substr(0, space);
      const double value = std::stod(line.substr(space + 1));
      labels ls;
      std::string name = series;
      if (auto brace = series.find('{'); brace != std::string::npos) {
        name = series.substr(0, brace);
        // k="v" pairs; our label values hold no quotes or commas.
        std::string inner = series.substr(brace + 1, series.size() - brace - 2);
        std::size_t i = 0;
        while (i < inner.size()) {
          auto eq = inner.find('=', i);
          auto close = inner.find('"', eq + 2);
          ls[inner.substr(i, eq - i)] = inner.substr(eq + 2, close - eq - 2);
          i = close + 2;  // past '",'
        }
      }
      samples.emplace_back(name, ls, value);
    }
  }
  // The sample with exactly these labels; 0 when absent (a counter not yet created).
  double value(const std::string& name, const labels& ls = {}) const {
    for (const auto& [n, l, v] : samples)
      if (n == name && l == ls) return v;
    return 0;
  }
  bool has(const std::string& name) const {
    for (const auto& s : samples)
      if (std::get<0>(s) == name) return true;
    return false;
  }
};

scrape get_metrics(int port) {
  auto r = http_get(port, "/metrics");
  INFO(r.transport_error);
  REQUIRE(r.status == 200);
  REQUIRE(r.headers["Content-Type"].find("text/plain") == 0);
  return scrape{r.text};
}

// A request is counted once its response is written (httplib calls the server's logger after
// the write), so the client may see the reply a moment before the count: scrapes until `done`
// holds (or 5 s pass) and returns the last scrape, whose values the caller then checks exactly.
template <class Done>
scrape settled_metrics(int port, Done done) {
  scrape s = get_metrics(port);
  for (int i = 0; i < 250 && !done(s); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s = get_metrics(port);
  }
  return s;
}

// Every string value under the key `key` anywhere in `j`.
void strings_at(const json& j, const std::string& key, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == key && it->is_string()) out.push_back(it->get<std::string>());
      strings_at(*it, key, out);
    }
  } else if (j.is_array()) {
    for (const auto& x : j) strings_at(x, key, out);
  }
}

}  // namespace

TEST_CASE("a recorded call moves the Prometheus counters exactly; JSON logs hold no personal data",
          "[metrics][logs]") {
  const std::string token = "tok-METRICS-3f9a1c7e5b2d4086a1c3e5f7092b4d6e";
  rm::testing::scratch_database db;
  rm::fakes::fake_twilio twilio{std::map<std::string, std::string>{{account_sid, token}}};
  const int port = free_port();
  int metrics_port = free_port();
  while (metrics_port == port) metrics_port = free_port();
  const std::string log_path = "/tmp/rm-integ-metrics-" + std::to_string(::getpid()) + ".log";
  std::remove(log_path.c_str());
  const std::map<std::string, std::string> env{
      {"DATABASE_URL", db.url()},
      {"RINGMASTER_LISTEN", "127.0.0.1:" + std::to_string(port)},
      {"RINGMASTER_METRICS_LISTEN", "127.0.0.1:" + std::to_string(metrics_port)},
      {"RINGMASTER_LOG_FORMAT", ""},  // the default: json, as stdout is a file here
      {"RINGMASTER_OPERATOR_TOKEN", operator_token},
      {"RINGMASTER_VAPI_AUTH", "none"},
      {"RINGMASTER_TWILIO_API_BASE", twilio.base_url()},
      {"RINGMASTER_MASTER_KEY", test_master_key()},
      {"RINGMASTER_MASTER_KEY_FILE", ""},
  };
  auto serve = start_serve(env, port, log_path, std::chrono::seconds(60));
  auto& child = *serve;

  auto post = [&](const json& body, const std::string& path = "/webhooks/vapi",
                  const std::string& bearer = "") {
    return http_post(port, path, body.dump(), bearer);
  };
  const json tenant_body = clinic_tenant(token);
  auto created = post(tenant_body, "/ops/tenants", operator_token);
  INFO(created.text);
  REQUIRE(created.status == 201);
  const std::string org_id = created.body["id"];

  // ---- the recorded demo call between two scrapes
  const scrape before = get_metrics(metrics_port);
  call_spec call{"metrics-call-1"};
  const std::string date = future_weekday(2);
  REQUIRE(post(status_update(call, "ringing", 1000)).status == 200);
  REQUIRE(post(status_update(call, "in-progress", 2000)).status == 200);
  auto check = only_result(
      post(tool_calls(call, {{"tc-m-check", "check_availability", json{{"date", date}}}})));
  INFO(check.dump());
  REQUIRE(check.contains("result"));
  const std::string start = json::parse(check["result"].get<std::string>())["slots"].at(0);
  hold_book_and_text(port, call, "tc-m", start, "Booked for " + date);
  REQUIRE(post(status_update(call, "ended", 3000, "customer-ended-call")).status == 200);
  const json report = end_of_call_report(call, 4000);
  REQUIRE(post(report).status == 200);
  const labels vapi_200{{"method", "POST"}, {"route", "/webhooks/vapi"}, {"status", "200"}};
  const labels vapi_route{{"method", "POST"}, {"route", "/webhooks/vapi"}};
  // (The histogram is observed after the counter is incremented.)
  const scrape after = settled_metrics(metrics_port, [&](const scrape& s) {
    return s.value("ringmaster_http_request_duration_seconds_count", vapi_route) -
               before.value("ringmaster_http_request_duration_seconds_count", vapi_route) >=
               8 &&
           s.value("ringmaster_calls_scored_total", {{"tier", "hot"}}) +
                   s.value("ringmaster_calls_scored_total", {{"tier", "warm"}}) +
                   s.value("ringmaster_calls_scored_total", {{"tier", "cold"}}) >
               0;
  });
  INFO(after.text);

  auto delta = [&](const std::string& name, const labels& ls = {}) {
    return after.value(name, ls) - before.value(name, ls);
  };
  // 8 webhook messages, all answered 200.
  CHECK(delta("ringmaster_http_requests_total", vapi_200) == 8);
  CHECK(delta("ringmaster_http_request_duration_seconds_count",
              {{"method", "POST"}, {"route", "/webhooks/vapi"}}) == 8);
  CHECK(after.value("ringmaster_http_request_duration_seconds_sum",
                    {{"method", "POST"}, {"route", "/webhooks/vapi"}}) > 0);
  CHECK(delta("ringmaster_vapi_messages_total", {{"type", "status-update"}}) == 3);
  CHECK(delta("ringmaster_vapi_messages_total", {{"type", "tool-calls"}}) == 4);
  CHECK(delta("ringmaster_vapi_messages_total", {{"type", "end-of-call-report"}}) == 1);
  CHECK(delta("ringmaster_vapi_messages_total", {{"type", "assistant-request"}}) == 0);
  for (const char* tool : {"check_availability", "reserve_slot", "book_appointment", "send_sms"}) {
    INFO(tool);
    CHECK(delta("ringmaster_tool_calls_total", {{"tool", tool}, {"outcome", "ok"}}) == 1);
    CHECK(delta("ringmaster_tool_calls_total", {{"tool", tool}, {"outcome", "error"}}) == 0);
    CHECK(delta("ringmaster_tool_call_duration_seconds_count", {{"tool", tool}}) == 1);
    CHECK(delta("ringmaster_tool_call_duration_seconds_bucket", {{"tool", tool}, {"le", "+Inf"}}) ==
          1);
  }
  // The report scored the call once (its tier depends on the transcript; one series moved).
  CHECK(delta("ringmaster_calls_scored_total", {{"tier", "hot"}}) +
            delta("ringmaster_calls_scored_total", {{"tier", "warm"}}) +
            delta("ringmaster_calls_scored_total", {{"tier", "cold"}}) ==
        1);
  CHECK(delta("ringmaster_sms_total", {{"outcome", "sent"}}) == 1);
  CHECK(delta("ringmaster_sms_total", {{"outcome", "failed"}}) == 0);
  CHECK(delta("ringmaster_sms_total", {{"outcome", "refused"}}) == 0);
  CHECK(delta("ringmaster_provider_requests_total", {{"provider", "twilio"}, {"outcome", "ok"}}) ==
        1);
  CHECK(delta("ringmaster_provider_requests_total",
              {{"provider", "twilio"}, {"outcome", "failed"}}) == 0);
  CHECK(after.value("ringmaster_circuit_breaker_state",
                    {{"org_id", org_id}, {"provider", "twilio"}}) == 0);  // closed
  CHECK(after.has("ringmaster_circuit_breaker_state"));
  // The call's actor lingers after its report (RINGMASTER_CALL_LINGER_SECONDS, 120 s).
  CHECK(before.value("ringmaster_live_call_actors") == 0);
  CHECK(after.value("ringmaster_live_call_actors") == 1);
  CHECK(after.value("ringmaster_live_tenant_actors") == 1);
  CHECK(after.value("ringmaster_open_verification_sessions") == 0);
  CHECK(delta("ringmaster_db_job_duration_seconds_count") > 0);
  CHECK(after.has("ringmaster_db_pool_queue_depth"));
  for (const char* reason : {"depth", "size", "encoding", "syntax"})
    CHECK(delta("ringmaster_input_rejections_total", {{"reason", reason}}) == 0);
  // No tenant-identifying label outside the breaker gauge.
  for (const auto& [name, ls, v] : after.samples) {
    if (name == "ringmaster_circuit_breaker_state") continue;
    INFO(name);
    CHECK(ls.count("org_id") == 0);
    for (const auto& [k, value] : ls) CHECK(value.find(org_id) == std::string::npos);
  }

  // Input hardening: an unparsable body and a too-deep one, each counted once.
  CHECK(http_post(port, "/webhooks/vapi", "{not json").status == 400);
  CHECK(http_post(port, "/webhooks/vapi", std::string(200, '[') + std::string(200, ']')).status ==
        400);
  CHECK(http_post(port, "/webhooks/vapi", std::string{"{\"message\":\"\xff\"}"}).status == 400);
  // A line for the caller's number (as a dialled number of no tenant): logged, redacted.
  call_spec stray{"metrics-stray-1", caller_number, "00000000-0000-4000-8000-000000000000"};
  CHECK(post(status_update(stray, "ringing", 1000)).status == 404);
  // A refusal for a known tenant: its log line names the tenant.
  call_spec no_id{""};
  CHECK(post(status_update(no_id, "ringing", 1000)).status == 400);
  const scrape last = get_metrics(metrics_port);
  CHECK(last.value("ringmaster_input_rejections_total", {{"reason", "syntax"}}) -
            after.value("ringmaster_input_rejections_total", {{"reason", "syntax"}}) ==
        1);
  CHECK(last.value("ringmaster_input_rejections_total", {{"reason", "depth"}}) -
            after.value("ringmaster_input_rejections_total", {{"reason", "depth"}}) ==
        1);
  CHECK(last.value("ringmaster_input_rejections_total", {{"reason", "encoding"}}) -
            after.value("ringmaster_input_rejections_total", {{"reason", "encoding"}}) ==
        1);

  // ---- /metrics is not on the public port
  auto public_metrics = http_get(port, "/metrics", operator_token);
  CHECK(public_metrics.status == 404);
  CHECK(public_metrics.text.find("ringmaster_") == std::string::npos);
  // A route with regex placeholders is labelled by its template's names only.
  const std::string uuid = "0b6c3f1e-2d4a-4c8e-9f10-1a2b3c4d5e6f";
  const int caller_id_status =
      http_post(port, "/webhooks/twilio/caller-id/" + uuid + "/" + uuid, "", "",
                "application/x-www-form-urlencoded")
          .status;
  const labels caller_id_labels{{"method", "POST"},
                                {"route", "/webhooks/twilio/caller-id/{org_id}/{id}"},
                                {"status", std::to_string(caller_id_status)}};
  const labels unmatched_404{{"method", "GET"}, {"route", "unmatched"}, {"status", "404"}};
  const scrape final_scrape = settled_metrics(metrics_port, [&](const scrape& s) {
    return s.value("ringmaster_http_requests_total", caller_id_labels) >= 1 &&
           s.value("ringmaster_http_requests_total", unmatched_404) >= 1;
  });
  CHECK(final_scrape.value("ringmaster_http_requests_total", unmatched_404) == 1);
  CHECK(final_scrape.value("ringmaster_http_requests_total", caller_id_labels) == 1);
  for (const auto& [name, ls, v] : final_scrape.samples)
    if (ls.count("route")) CHECK(ls.at("route").find(':') == std::string::npos);

  child.signal(SIGTERM);
  REQUIRE(child.wait_exit_for(std::chrono::seconds(30)) == std::optional<int>{0});

  // ---- the log: JSON lines without personal data or secrets
  const std::string log = read_file(log_path);
  INFO(log);
  std::vector<std::string> transcripts;
  strings_at(report, "transcript", transcripts);
  REQUIRE_FALSE(transcripts.empty());
  const std::string caller_digits = std::string{caller_number}.substr(1);  // 14155550177
  std::istringstream lines{log};
  std::string line;
  int json_lines = 0;
  bool saw_redacted = false, saw_org = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    INFO(line);
    CHECK(line.find(caller_digits) == std::string::npos);
    CHECK(line.find(caller_digits.substr(1)) == std::string::npos);  // without the country code
    CHECK(line.find(token) == std::string::npos);
    for (const auto& t : transcripts) {
      CHECK(line.find(t) == std::string::npos);
      CHECK(line.find(t.substr(0, 40)) == std::string::npos);
    }
    // The one line ringmaster prints to stdout itself (scripts read it) is not a log line.
    if (line.rfind("ringmaster listening on http://", 0) == 0) continue;
    auto j = json::parse(line, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    REQUIRE(j.is_object());
    ++json_lines;
    CHECK(j["time"].is_string());
    CHECK(j["time"].get<std::string>().size() == 24);  // 2026-12-05T01:02:03.456Z
    CHECK(j["level"].is_string());
    CHECK(j["component"].is_string());
    CHECK(j["message"].is_string());
    const std::string message = j.value("message", "");
    if (message.find("belongs to no tenant") != std::string::npos &&
        j.value("call_id", "") == "metrics-stray-1") {
      saw_redacted = message.find("…0177") != std::string::npos;
      CHECK(j["component"] == "http");
      CHECK(j["request_id"].is_string());
      CHECK_FALSE(j.contains("org_id"));
    }
    if (message.find("POST /webhooks/vapi → 400") != std::string::npos &&
        j.value("org_id", "") == org_id)
      saw_org = j["request_id"].is_string();
  }
  CHECK(json_lines >= 5);
  CHECK(saw_redacted);
  CHECK(saw_org);
  std::remove(log_path.c_str());
}
