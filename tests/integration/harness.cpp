#include "tests/integration/harness.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rm::itest {

json load_sample(const std::string& name) {
  std::string path = std::string{RM_SHARED_DIR} + "/contracts/vapi-samples/" + name + ".json";
  std::ifstream in{path};
  if (!in) throw std::runtime_error("cannot read the shared sample " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

namespace {

const json& cached(const std::string& name) {
  static const std::map<std::string, json> samples = [] {
    std::map<std::string, json> m;
    for (const char* n : {"status-update-ringing", "status-update-ended",
                          "tool-calls-check-availability", "end-of-call-report"})
      m[n] = load_sample(n);
    return m;
  }();
  return samples.at(name);
}

// Points a sample at another call, dialled number and caller.
void retarget(json& message, const call_spec& call) {
  message["call"]["id"] = call.call_id;
  message["call"]["phoneNumberId"] = call.phone_number_id;
  message["call"]["customer"]["number"] = call.caller;
  message["phoneNumber"]["id"] = call.phone_number_id;
  message["phoneNumber"]["number"] = call.dialled;
  message["customer"]["number"] = call.caller;
}

}  // namespace

json status_update(const call_spec& call, const std::string& status, std::int64_t ts_ms,
                   const std::string& ended_reason) {
  json body = cached(ended_reason.empty() ? "status-update-ringing" : "status-update-ended");
  auto& m = body["message"];
  retarget(m, call);
  m["status"] = status;
  m["timestamp"] = ts_ms;
  if (ended_reason.empty())
    m.erase("endedReason");
  else
    m["endedReason"] = ended_reason;
  return body;
}

json end_of_call_report(const call_spec& call, std::int64_t ts_ms,
                        const std::string& ended_reason) {
  json body = cached("end-of-call-report");
  auto& m = body["message"];
  retarget(m, call);
  m["timestamp"] = ts_ms;
  m["endedReason"] = ended_reason;
  return body;
}

json assistant_request(const call_spec& call) {
  json body = cached("status-update-ringing");
  auto& m = body["message"];
  retarget(m, call);
  m["type"] = "assistant-request";
  m.erase("status");
  return body;
}

json tool_calls(const call_spec& call, const std::vector<tool_spec>& tools) {
  json body = cached("tool-calls-check-availability");
  auto& m = body["message"];
  retarget(m, call);
  const json with_template = m["toolWithToolCallList"].at(0);
  json list = json::array(), openai = json::array(), with = json::array();
  for (const auto& t : tools) {
    json fn{{"name", t.name}, {"arguments", t.arguments}};
    list.push_back({{"id", t.id}, {"type", "function"}, {"function", fn}});
    json fn_text{{"name", t.name},
                 {"arguments", t.arguments.is_string() ? t.arguments : json(t.arguments.dump())}};
    openai.push_back({{"id", t.id}, {"type", "function"}, {"function", fn_text}});
    json w = with_template;
    w["function"]["name"] = t.name;
    w["toolCall"] = {{"id", t.id}, {"type", "function"}, {"function", fn}};
    with.push_back(w);
  }
  m["toolCallList"] = list;
  m["toolCalls"] = openai;
  m["toolWithToolCallList"] = with;
  return body;
}

// ---- HTTP
// ----------------------------------------------------------------------------------------

json only_result(const reply& r) {
  INFO(r.text << r.transport_error);
  REQUIRE(r.status == 200);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body["results"].size() == 1);
  return r.body["results"][0];
}

void hold_book_and_text(int port, const call_spec& call, const std::string& prefix,
                        const std::string& start, const std::string& message) {
  auto tool = [&](const std::string& suffix, const std::string& name, const json& args) {
    auto result = only_result(http_post(
        port, "/webhooks/vapi", tool_calls(call, {{prefix + suffix, name, args}}).dump()));
    INFO(name << ": " << result.dump());
    REQUIRE(result.contains("result"));
    return json::parse(result["result"].get<std::string>());
  };
  const std::string hold_id = tool("-hold", "reserve_slot", json{{"start", start}})["hold_id"];
  tool("-book", "book_appointment", json{{"hold_id", hold_id}, {"name", "Ada"}});
  CHECK(tool("-sms", "send_sms", json{{"message", message}})["status"] == "sent");
}

// ---- the in-process service
// ----------------------------------------------------------------------

namespace {

testing::service_fixture_builder spec(const harness_options& options) {
  auto b = testing::service_fixture_builder{}
               .twilio_accounts({{account_sid, auth_token}})
               .operator_token(itest::operator_token)
               .jwt_secret(options.jwt_hs256_secret)
               .service([options](actors::service_options& o) {
                 o.breaker = options.breaker;
                 o.sms_per_call = options.sms_per_call;
                 o.call_linger = std::chrono::milliseconds(60000);
                 o.no_report_timeout = std::chrono::milliseconds(60000);
                 o.sanity_timeout = std::chrono::milliseconds(120000);
               })
               .server([options](http::server_options& o) {
                 o.worker_threads = options.http_threads;
                 o.public_url = options.public_url;
                 // RINGMASTER_VAPI_AUTH=none: the samples carry no credentials.
                 o.vapi_auth.allow_unauthenticated = true;
               });
  if (options.verification)
    b.with_verification([options](actors::verification_service_options& o) {
       o.public_url = options.public_url;
     }).service([options](actors::service_options& o) {
      o.argon2_slots = options.argon2_slots;
      o.argon2_wait = options.argon2_wait;
    });
  return b;
}

}  // namespace

harness::harness(harness_options options) : service_fixture(spec(options)) {}

std::string harness::create_tenant(const std::string& name, const std::string& number,
                                   const std::string& vapi_id, bool with_twilio,
                                   const std::string& assistant_id) {
  json body{
      {"name", name},
      {"time_zone", "America/New_York"},
      {"numbers",
       {{{"e164", number}, {"label", name + " main line"}, {"vapi_phone_number_id", vapi_id}}}},
      {"assistant_id", assistant_id}};
  if (with_twilio) body["twilio"] = {{"account_sid", account_sid}, {"auth_token", auth_token}};
  return create_tenant(body);
}

json harness::call_view(const std::string& call_id) {
  auto r = get("/sessions/calls/" + call_id);
  INFO(r.text);
  REQUIRE(r.status == 200);
  return r.body;
}

}  // namespace rm::itest
