// The Vapi REST client against the local fake (tests/fakes/fake_vapi): wire format of each
// operation, NestJS error parsing, retries (sleeps recorded, never taken), fetch-merge-patch.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <thread>

#include "adapters/vapi/vapi_client.hpp"
#include "tests/support/free_port.hpp"
#include "tests/fakes/fake_vapi.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using rm::fakes::fake_vapi;
using rm::vapi::client;

namespace {

const std::string key = "vapi-private-key-for-tests";
const std::string account_sid = "AC0123456789abcdef0123456789abcdef";

// A client whose waits are recorded instead of slept.
struct recording_client {
  std::vector<std::chrono::milliseconds> slept;
  client vapi;
  explicit recording_client(const std::string& base_url, const std::string& k = key)
      : vapi(base_url, k, {}, 2s, [this](std::chrono::milliseconds d) { slept.push_back(d); }) {}
};

// A loopback port with nothing listening on it.
int closed_port() { return rm::test::free_port(); }

// Answers everything with a fixed status and body (for shapes the fake does not produce).
struct canned_server {
  httplib::Server server;
  std::thread thread;
  int port;
  std::string last_path;  // written by the server thread; read after the client returned
  canned_server(int status, std::string body) {
    auto h = [this, status, body](const httplib::Request& req, httplib::Response& res) {
      last_path = req.path;
      res.status = status;
      res.set_content(body, "application/json");
    };
    server.Post(".*", h);
    server.Get(".*", h);
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~canned_server() {
    while (!server.is_running()) std::this_thread::yield();
    server.stop();
    thread.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

json assistant_with_prompt() {
  return json{{"name", "Harbor Dental front desk"},
              {"firstMessage", "Harbor Dental, how can I help?"},
              {"model",
               {{"provider", "openai"},
                {"model", "gpt-4o"},
                {"temperature", 0.3},
                {"messages", json::array({{{"role", "system"},
                                           {"content", "You are the front desk of Harbor Dental."}}})},
                {"toolIds", json::array({"tool-check", "tool-book"})}}},
              {"serverMessages", json::array({"end-of-call-report", "tool-calls"})}};
}

}  // namespace

TEST_CASE("vapi credential: POST /credential with the Bearer key, the secret is never returned",
          "[vapi]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  auto r = c.vapi.create_twilio_credential(account_sid, "tenant-auth-token", "org 42 twilio");
  REQUIRE(r.ok);
  CHECK(r.http_status == 201);
  CHECK(r.attempts == 1);
  const std::string id = r.body.value("id", "");
  REQUIRE_FALSE(id.empty());
  CHECK_FALSE(r.body.contains("authToken"));
  CHECK(r.body["accountSid"] == account_sid);

  auto reqs = fake.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].path == "/credential");
  CHECK(reqs[0].header("authorization") == "Bearer " + key);
  CHECK(reqs[0].header("content-type").rfind("application/json", 0) == 0);
  CHECK(reqs[0].body == json{{"provider", "twilio"},
                             {"accountSid", account_sid},
                             {"authToken", "tenant-auth-token"},
                             {"name", "org 42 twilio"}});
  CHECK(fake.credential_secret(id) == "tenant-auth-token");
  CHECK_FALSE(fake.credentials().dump().find("tenant-auth-token") != std::string::npos);

  auto d = c.vapi.delete_credential(id);
  CHECK(d.ok);
  CHECK(d.http_status == 200);
  CHECK(fake.credentials().empty());
  CHECK(fake.requests().back().method == "DELETE");
  CHECK(fake.requests().back().path == "/credential/" + id);

  // Deleting again: Vapi says 404, which means done.
  auto again = c.vapi.delete_credential(id);
  CHECK(again.ok);
  CHECK(again.http_status == 404);
  CHECK(again.attempts == 1);
}

TEST_CASE("vapi phone number: import a Twilio number, then delete it (404 counts as done)",
          "[vapi]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  auto assistant = fake.add_assistant(assistant_with_prompt());
  rm::vapi::phone_number_import n;
  n.number = "+14155550100";
  n.twilio_account_sid = account_sid;
  n.twilio_auth_token = "tenant-auth-token";
  n.assistant_id = assistant["id"];
  n.name = "Harbor Dental main line";
  n.server_url = "https://ringmaster.example/webhooks/vapi";
  auto r = c.vapi.import_twilio_number(n);
  REQUIRE(r.ok);
  CHECK(r.http_status == 201);
  CHECK(r.body["status"] == "active");
  CHECK_FALSE(r.body.contains("twilioAuthToken"));
  const std::string id = r.body["id"];

  auto sent = fake.requests().back();
  CHECK(sent.path == "/phone-number");
  CHECK(sent.body == json{{"provider", "twilio"},
                          {"number", "+14155550100"},
                          {"twilioAccountSid", account_sid},
                          {"twilioAuthToken", "tenant-auth-token"},
                          {"assistantId", assistant["id"]},
                          {"name", "Harbor Dental main line"},
                          {"server", {{"url", "https://ringmaster.example/webhooks/vapi"}}}});
  CHECK(fake.phone_number_secret(id) == "tenant-auth-token");

  // Optional fields are left out rather than sent empty.
  rm::vapi::phone_number_import bare;
  bare.number = "+14155550101";
  bare.twilio_account_sid = account_sid;
  bare.twilio_auth_token = "tenant-auth-token";
  REQUIRE(c.vapi.import_twilio_number(bare).ok);
  auto bare_body = fake.requests().back().body;
  CHECK_FALSE(bare_body.contains("assistantId"));
  CHECK_FALSE(bare_body.contains("name"));
  CHECK_FALSE(bare_body.contains("server"));

  CHECK(c.vapi.delete_phone_number(id).ok);
  CHECK(fake.phone_numbers().size() == 1);
  auto gone = c.vapi.delete_phone_number(id);
  CHECK(gone.ok);
  CHECK(gone.http_status == 404);
}

TEST_CASE("vapi errors: NestJS message arrays are joined, strings kept, 400 is not retried",
          "[vapi]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  rm::vapi::phone_number_import n;  // no number, no account sid
  n.twilio_auth_token = "x";
  auto r = c.vapi.import_twilio_number(n);
  CHECK_FALSE(r.ok);
  CHECK(r.http_status == 400);
  CHECK(r.error.http_status == 400);
  CHECK(r.attempts == 1);
  CHECK(c.slept.empty());
  CHECK_FALSE(r.transient());
  CHECK(r.error.message.find("number should not be empty; ") != std::string::npos);
  CHECK(r.error.message.find("twilioAccountSid should not be empty") != std::string::npos);

  // A string message (unknown assistant) is kept as is.
  auto call = c.vapi.create_call({"no-such-assistant", "no-such-number", "+14155550199", "", {}});
  CHECK(call.http_status == 400);
  CHECK(call.error.message == "Couldn't Find Assistant. Assistant Not Found.");

  // 404 on GET is an error (only deletes treat it as done).
  auto missing = c.vapi.get_assistant("nope");
  CHECK_FALSE(missing.ok);
  CHECK(missing.http_status == 404);
  CHECK(missing.error.message == "Assistant Not Found");

  // A non-JSON error body falls back to the status.
  canned_server plain(502, "<html>bad gateway</html>");
  rm::vapi::retry_policy once;
  once.max_attempts = 1;
  client c2(plain.base_url(), key, once, 2s, [](std::chrono::milliseconds) {});
  auto bad = c2.get_assistant("a");
  CHECK(bad.error.message == "HTTP 502");
  CHECK(bad.transient());
}

TEST_CASE("vapi auth: a wrong key gets Vapi's 401 text, no key fails before any request",
          "[vapi]") {
  fake_vapi fake(key);
  recording_client wrong(fake.base_url(), "not-the-key");
  auto r = wrong.vapi.get_assistant("a");
  CHECK(r.http_status == 401);
  CHECK(r.attempts == 1);
  CHECK(r.error.message.rfind("Invalid Key. Hot tip", 0) == 0);
  CHECK(fake.requests().size() == 1);

  recording_client none(fake.base_url(), "");
  auto n = none.vapi.create_twilio_credential(account_sid, "t", "");
  CHECK_FALSE(n.ok);
  CHECK(n.attempts == 0);
  CHECK(n.error.http_status == 0);
  CHECK(n.error.message.find("RINGMASTER_VAPI_PRIVATE_KEY") != std::string::npos);
  CHECK(fake.requests().size() == 1);  // nothing sent
}

TEST_CASE("vapi retries 429 and 5xx with 2 s, 4 s, 8 s backoff through the sleeper", "[vapi]") {
  fake_vapi fake(key);
  SECTION("429 three times, then success on the fourth attempt") {
    recording_client c(fake.base_url());
    fake.fail_next(429, 3);
    auto r = c.vapi.create_twilio_credential(account_sid, "t", "n");
    CHECK(r.ok);
    CHECK(r.attempts == 4);
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms, 4000ms, 8000ms});
    CHECK(fake.credentials().size() == 1);
    CHECK(fake.requests().size() == 4);
  }
  SECTION("500 four times: gives up after four attempts, transient") {
    recording_client c(fake.base_url());
    fake.fail_next(500, 4);
    auto r = c.vapi.create_assistant(assistant_with_prompt());
    CHECK_FALSE(r.ok);
    CHECK(r.attempts == 4);
    CHECK(r.http_status == 500);
    CHECK(r.transient());
    CHECK(r.error.message == "Internal server error");
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms, 4000ms, 8000ms});
    CHECK(fake.assistants().empty());
  }
  SECTION("one 503 then success") {
    recording_client c(fake.base_url());
    fake.fail_next(503, 1);
    auto a = fake.add_assistant(assistant_with_prompt());
    auto r = c.vapi.get_assistant(a["id"]);
    CHECK(r.ok);
    CHECK(r.attempts == 2);
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms});
    CHECK(r.body["model"]["toolIds"] == json::array({"tool-check", "tool-book"}));
  }
  SECTION("transport failure (nothing listening) is retried and reported") {
    recording_client c("http://127.0.0.1:" + std::to_string(closed_port()));
    auto r = c.vapi.get_assistant("a");
    CHECK_FALSE(r.ok);
    CHECK(r.http_status == 0);
    CHECK(r.attempts == 4);
    CHECK(r.transient());
    CHECK(r.error.message.find("could not reach Vapi") != std::string::npos);
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms, 4000ms, 8000ms});
  }
}

TEST_CASE("vapi call: POST /call gives 201 queued, a 5xx is not retried (no double dialling)",
          "[vapi]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  auto assistant = fake.add_assistant(assistant_with_prompt());
  rm::vapi::phone_number_import n{"+14155550100", account_sid, "t", assistant["id"], "", ""};
  auto number = c.vapi.import_twilio_number(n);
  REQUIRE(number.ok);

  rm::vapi::outbound_call call;
  call.assistant_id = assistant["id"];
  call.phone_number_id = number.body["id"];
  call.customer_number = "+14155550199";
  call.customer_name = "Dana Patient";
  call.variable_values = {{"reason", "call-back"}};
  auto r = c.vapi.create_call(call);
  REQUIRE(r.ok);
  CHECK(r.http_status == 201);
  CHECK(r.body["status"] == "queued");
  CHECK_FALSE(r.body.value("id", "").empty());
  CHECK(fake.requests().back().body ==
        json{{"assistantId", assistant["id"]},
             {"phoneNumberId", number.body["id"]},
             {"customer", {{"number", "+14155550199"}, {"name", "Dana Patient"}}},
             {"assistantOverrides", {{"variableValues", {{"reason", "call-back"}}}}}});

  fake.fail_next(500, 1);
  auto failed = c.vapi.create_call(call);
  CHECK_FALSE(failed.ok);
  CHECK(failed.attempts == 1);
  CHECK(failed.transient());
  CHECK(c.slept.empty());

  fake.fail_next(429, 1);  // rate limited: Vapi did nothing, so retrying is safe
  auto limited = c.vapi.create_call(call);
  CHECK(limited.ok);
  CHECK(limited.attempts == 2);
  CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms});
  CHECK(fake.calls().size() == 2);
}

TEST_CASE("vapi deep_merge: objects merged key by key, arrays and scalars replaced, null removes",
          "[vapi]") {
  json base{{"a", 1}, {"o", {{"x", 1}, {"y", {{"z", 1}}}}}, {"arr", {1, 2}}, {"gone", true}};
  json patch{{"o", {{"y", {{"w", 2}}}}}, {"arr", {3}}, {"gone", nullptr}, {"new", "n"}};
  CHECK(rm::vapi::deep_merge(base, patch) ==
        json{{"a", 1}, {"o", {{"x", 1}, {"y", {{"z", 1}, {"w", 2}}}}}, {"arr", {3}},
             {"new", "n"}});
  CHECK(rm::vapi::deep_merge(json{{"a", 1}}, json{{"a", {{"b", 2}}}}) == json{{"a", {{"b", 2}}}});
  CHECK(rm::vapi::deep_merge(json{{"a", {{"b", 2}}}}, json{{"a", 5}}) == json{{"a", 5}});
}

TEST_CASE("vapi merge_assistant: GET, merge, PATCH the whole model (messages and toolIds kept)",
          "[vapi]") {
  fake_vapi fake(key);
  recording_client c(fake.base_url());
  auto created = c.vapi.create_assistant(assistant_with_prompt());
  REQUIRE(created.ok);
  CHECK(created.http_status == 201);
  const std::string id = created.body["id"];
  fake.clear_requests();

  json changes{{"model", {{"toolIds", {"tool-check", "tool-book", "tool-sms"}}}},
               {"server", {{"url", "https://ringmaster.example/webhooks/vapi"}}}};
  auto r = c.vapi.merge_assistant(id, changes);
  REQUIRE(r.ok);
  CHECK(r.attempts == 2);

  auto reqs = fake.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "GET");
  CHECK(reqs[0].path == "/assistant/" + id);
  CHECK(reqs[1].method == "PATCH");
  CHECK(reqs[1].path == "/assistant/" + id);
  // Only the touched top-level keys, each whole.
  const json& patch = reqs[1].body;
  CHECK(patch.size() == 2);
  CHECK_FALSE(patch.contains("name"));
  CHECK(patch["model"]["provider"] == "openai");
  CHECK(patch["model"]["model"] == "gpt-4o");
  CHECK(patch["model"]["temperature"] == 0.3);
  CHECK(patch["model"]["messages"] == assistant_with_prompt()["model"]["messages"]);
  CHECK(patch["model"]["toolIds"] == json::array({"tool-check", "tool-book", "tool-sms"}));
  CHECK(patch["server"] == json{{"url", "https://ringmaster.example/webhooks/vapi"}});

  // The fake replaces `model` whole, like Vapi: the stored assistant still has its prompt.
  auto stored = c.vapi.get_assistant(id);
  REQUIRE(stored.ok);
  CHECK(stored.body["model"]["messages"] == assistant_with_prompt()["model"]["messages"]);
  CHECK(stored.body["model"]["toolIds"].size() == 3);
  CHECK(stored.body["name"] == "Harbor Dental front desk");
  CHECK(stored.body["firstMessage"] == "Harbor Dental, how can I help?");

  SECTION("a naive partial PATCH would have lost the prompt (the fake is faithful)") {
    httplib::Client raw(fake.base_url());
    raw.set_bearer_token_auth(key.c_str());
    auto res = raw.Patch(("/assistant/" + id).c_str(),
                         json{{"model", {{"toolIds", {"only"}}}}}.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto after = json::parse(res->body);
    CHECK_FALSE(after["model"].contains("messages"));
  }
  SECTION("a failed GET stops before any PATCH") {
    fake.clear_requests();
    auto missing = c.vapi.merge_assistant("unknown-assistant", changes);
    CHECK_FALSE(missing.ok);
    CHECK(missing.http_status == 404);
    REQUIRE(fake.requests().size() == 1);
    CHECK(fake.requests()[0].method == "GET");
  }
  SECTION("a 429 on the PATCH is retried; attempts count both requests") {
    fake.clear_requests();
    fake.fail_next(429, 1, "PATCH");
    auto r2 = c.vapi.merge_assistant(id, json{{"firstMessage", "Hello"}});
    CHECK(r2.ok);
    CHECK(r2.attempts == 3);  // GET, PATCH (429), PATCH
    CHECK(c.slept == std::vector<std::chrono::milliseconds>{2000ms});
    auto reqs2 = fake.requests();
    REQUIRE(reqs2.size() == 3);
    CHECK(reqs2[1].status == 429);
    CHECK(reqs2[2].body == json{{"firstMessage", "Hello"}});
  }
}

TEST_CASE("vapi base URL with a path prefix and a trailing slash", "[vapi]") {
  canned_server s(201, R"({"id":"cred-1","provider":"twilio"})");
  client c(s.base_url() + "/proxy/vapi/", key, {}, 2s, [](std::chrono::milliseconds) {});
  auto r = c.create_twilio_credential(account_sid, "t", "");
  CHECK(r.ok);
  CHECK(r.body["id"] == "cred-1");
  CHECK(s.last_path == "/proxy/vapi/credential");

  client broken("not a url", key, {}, 2s, [](std::chrono::milliseconds) {});
  auto b = broken.get_assistant("a");
  CHECK_FALSE(b.ok);
  CHECK(b.error.message.find("invalid Vapi base URL") != std::string::npos);
}
