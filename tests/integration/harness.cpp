#include "tests/integration/harness.hpp"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <pqxx/pqxx>
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

std::string future_weekday(int min_days) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(min_days) * 86400;
  for (;;) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    if (tm.tm_wday != 0 && tm.tm_wday != 6) {
      char buf[16];
      std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
      return buf;
    }
    t += 86400;
  }
}

// ---- HTTP
// ----------------------------------------------------------------------------------------

namespace {

reply to_reply(const httplib::Result& res) {
  reply r;
  if (!res) {
    r.transport_error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.text = res->body;
  r.body = json::parse(res->body, nullptr, false);
  for (const auto& [k, v] : res->headers) r.headers[k] = v;
  return r;
}

httplib::Headers auth_headers(const std::string& token) {
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return h;
}

}  // namespace

reply http_post(int port, const std::string& path, const std::string& body,
                const std::string& token, const std::string& content_type) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(60);
  cli.set_write_timeout(60);
  return to_reply(cli.Post(path.c_str(), auth_headers(token), body, content_type.c_str()));
}

reply http_get(int port, const std::string& path, const std::string& token) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(60);
  return to_reply(cli.Get(path.c_str(), auth_headers(token)));
}

json only_result(const reply& r) {
  INFO(r.text << r.transport_error);
  REQUIRE(r.status == 200);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body["results"].size() == 1);
  return r.body["results"][0];
}

// ---- the in-process service
// ----------------------------------------------------------------------

namespace {

actors::service_options service_options_for(const std::string& url, const std::string& twilio,
                                            const harness_options& options) {
  actors::service_options o;
  o.breaker = options.breaker;
  o.sms_per_call = options.sms_per_call;
  o.database_url = url;
  o.db_workers = 4;
  o.twilio_base_url = twilio;
  o.request_timeout = std::chrono::milliseconds(20000);
  o.call_linger = std::chrono::milliseconds(60000);
  o.no_report_timeout = std::chrono::milliseconds(60000);
  o.sanity_timeout = std::chrono::milliseconds(120000);
  o.scheduler_threads = 4;
  return o;
}

}  // namespace

harness::harness(harness_options options)
    : twilio_(std::map<std::string, std::string>{{account_sid, auth_token}}),
      service_(
          std::make_unique<actors::service>(
              service_options_for(db_.url(), twilio_.base_url(), options))) {
  http::server_options ho;
  ho.operator_token = operator_token;
  ho.worker_threads = options.http_threads;
  ho.jwt.hs256_secret = options.jwt_hs256_secret;
  ho.public_url = options.public_url;

  ho.vapi_auth.allow_unauthenticated = true;  // RINGMASTER_VAPI_AUTH=none: the samples carry none
  if (options.verification) {
    actors::verification_service_options vo{twilio_.base_url(), options.public_url};
    vo.argon2_slots = options.argon2_slots;
    vo.argon2_wait = options.argon2_wait;
    verification_ = std::make_unique<actors::verification_service>(*service_, vo);
    ho.verification = verification_.get();
  }
  server_ = std::make_unique<http::server>(*service_, ho);
  port_ = server_->bind("127.0.0.1", 0);
  if (port_ <= 0) throw std::runtime_error("the HTTP server could not bind a loopback port");
  listener_ = std::thread{[this] { server_->listen(); }};
  bool up = eventually([&] { return http_get(port_, "/healthz").status == 200; },
                       std::chrono::seconds(10));
  if (!up) throw std::runtime_error("the HTTP server did not answer /healthz");
}

harness::~harness() {
  server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
  verification_.reset();
  service_.reset();
}

reply harness::post(const std::string& path, const json& body, bool auth) {
  return http_post(port_, path, body.dump(), auth ? operator_token : "");
}

reply harness::get(const std::string& path, bool auth) {
  return http_get(port_, path, auth ? operator_token : "");
}

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
  auto r = post("/ops/tenants", body, true);
  INFO(r.text);
  REQUIRE(r.status == 201);
  REQUIRE(r.body["id"].is_string());
  return r.body["id"];
}

json harness::call_view(const std::string& call_id) {
  auto r = get("/sessions/calls/" + call_id);
  INFO(r.text);
  REQUIRE(r.status == 200);
  return r.body;
}

std::string harness::scalar(const std::string& sql, const std::vector<std::string>& params) {
  pqxx::connection c{db_.url()};
  pqxx::work tx{c};
  pqxx::result res;
  switch (params.size()) {
    case 0:
      res = tx.exec(sql);
      break;
    case 1:
      res = tx.exec_params(sql, params[0]);
      break;
    case 2:
      res = tx.exec_params(sql, params[0], params[1]);
      break;
    case 3:
      res = tx.exec_params(sql, params[0], params[1], params[2]);
      break;
    default:
      throw std::invalid_argument("scalar(): at most 3 parameters");
  }
  tx.commit();
  if (res.empty() || res[0][0].is_null()) return "";
  return res[0][0].c_str();
}

}  // namespace rm::itest
