// The whole service in one process, for the suites that test it over HTTP (tests/integration,
// tenant_api, twilio_webhooks, numbers, agents, verification): a private migrated database on
// the server named by RINGMASTER_TEST_DATABASE_URL (scratch_database), the Twilio fake, optionally
// the Vapi fake, the actor service, optionally caller-ID verification and the number service, and
// the HTTP server on an ephemeral loopback port. Built with service_fixture_builder:
//
//   auto f = service_fixture_builder{}
//                .twilio_accounts({{sid, token}})
//                .fake_vapi("private-key")
//                .jwt_secret("…").operator_token("…")
//                .with_numbers([](auto& o) { o.quarantine_days = 1; })
//                .server([](http::server_options& o) { o.public_url = "https://x.test"; })
//                .build();
//
// The fixture fills in what only it knows (database URL, the fakes' base URLs, the Vapi key, the
// tokens); the hooks run after that and may override anything (they are the tests' "env").
// Request helpers send one request on a fresh client (safe from any thread); scalar()/count()
// run SQL as the database owner (RLS does not apply).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/number_service.hpp"
#include "actors/service.hpp"
#include "actors/verification_service.hpp"
#include "adapters/http/server.hpp"
#include "tests/fakes/fake_smtp.hpp"
#include "tests/fakes/fake_twilio.hpp"
#include "tests/fakes/fake_vapi.hpp"
#include "tests/support/test_db.hpp"

namespace rm::testing {

using nlohmann::json;

// ---- HTTP ---------------------------------------------------------------------------------------

struct reply {
  int status = 0;  // 0: the request failed at the transport level (see transport_error)
  std::string text;
  std::string content_type;
  json body;  // discarded (a JSON "discarded" value) when the body is not JSON
  std::map<std::string, std::string> headers;
  std::string transport_error;  // httplib's error when status is 0
};

using header_map = std::map<std::string, std::string>;

// One request to 127.0.0.1:`port` on a fresh client. `token` "" sends no Authorization, else
// "Bearer <token>". Methods: GET, POST, PUT, PATCH, DELETE (others throw std::invalid_argument).
// Read timeout 90 s (provider retries in the number saga take a while).
reply http_request(int port, const std::string& method, const std::string& path,
                   const std::string& token = "", const std::string& body = "",
                   const std::string& content_type = "application/json",
                   const header_map& headers = {});

// HS256 tenant-user token signed with `secret`: sub=user, role "authenticated",
// app_metadata {org_id, role}; exp = now + exp_in_s (negative: already expired). REQUIREs success.
std::string mint_jwt(const std::string& secret, const std::string& org_id,
                     const std::string& role = "admin", const std::string& user = "user-1",
                     long exp_in_s = 3600);

// A weekday (Mon–Fri) at least `min_days` days after today (UTC), as YYYY-MM-DD.
std::string future_weekday(int min_days);

// Polls `probe` every 20 ms until it returns true (→ true) or `timeout` passes (→ false). For
// waiting on an asynchronous effect; never for letting time pass.
template <class Probe>
bool eventually(Probe probe, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- one HTTP server over a service --------------------------------------------------------------

// Binds 127.0.0.1:0, listens on its own thread and waits (≤ 10 s) for /healthz; stops and joins
// on destruction. Several can serve one service at once (each has its own failed-auth throttle).
class server_run {
 public:
  server_run(actors::service& service, http::server_options options);
  ~server_run();
  server_run(const server_run&) = delete;
  server_run& operator=(const server_run&) = delete;

  int port() const { return port_; }
  http::server& server() { return *server_; }
  const http::server& server() const { return *server_; }

 private:
  std::unique_ptr<http::server> server_;
  std::thread listener_;
  int port_ = -1;
};

// ---- the fixture --------------------------------------------------------------------------------

class service_fixture;

class service_fixture_builder {
 public:
  // The Twilio fake's accounts {AccountSid → AuthToken} (default: none).
  service_fixture_builder& twilio_accounts(std::map<std::string, std::string> accounts);
  // Starts the Vapi fake with this private key; the service and the number service use it.
  service_fixture_builder& fake_vapi(std::string private_key);
  // Starts the SMTP sink (tests/fakes/fake_smtp.hpp); the service sends e-mail there
  // (RINGMASTER_SMTP_URL) from `from` (RINGMASTER_SMTP_FROM).
  service_fixture_builder& fake_smtp(std::string from = "clinic@ringmaster.test");
  // Tokens the server accepts; "" leaves that kind of authentication unconfigured.
  service_fixture_builder& jwt_secret(std::string secret);
  service_fixture_builder& operator_token(std::string token);
  service_fixture_builder& service_token(std::string token);
  // Overrides of the options (applied after the fixture's own settings, in the order given).
  service_fixture_builder& service(std::function<void(actors::service_options&)> edit);
  service_fixture_builder& server(std::function<void(http::server_options&)> edit);
  // Caller-ID verification (/api/telephony/*), over the Twilio fake.
  service_fixture_builder& with_verification(
      std::function<void(actors::verification_service_options&)> edit = {});
  // The number service (/api/phone-numbers*), over the fakes; no background sweep by default.
  service_fixture_builder& with_numbers(
      std::function<void(actors::number_service_options&)> edit = {});

  std::unique_ptr<service_fixture> build() const;

 private:
  friend class service_fixture;
  std::map<std::string, std::string> accounts_;
  std::string vapi_key_;
  bool vapi_ = false;
  bool smtp_ = false;
  std::string smtp_from_;
  std::string jwt_secret_, operator_token_, service_token_;
  std::vector<std::function<void(actors::service_options&)>> service_edits_;
  std::vector<std::function<void(http::server_options&)>> server_edits_;
  bool verification_ = false;
  std::vector<std::function<void(actors::verification_service_options&)>> verification_edits_;
  bool numbers_ = false;
  std::vector<std::function<void(actors::number_service_options&)>> number_edits_;
};

class service_fixture {
 public:
  explicit service_fixture(const service_fixture_builder& spec);
  virtual ~service_fixture();
  service_fixture(const service_fixture&) = delete;
  service_fixture& operator=(const service_fixture&) = delete;

  int port() const { return server_->port(); }
  const std::string& db_url() const { return db_.url(); }
  fakes::fake_twilio& twilio() { return twilio_; }
  const fakes::fake_twilio& twilio() const { return twilio_; }
  fakes::fake_vapi& vapi_fake();  // throws std::logic_error when built without fake_vapi()
  fakes::fake_smtp& smtp();       // throws std::logic_error when built without fake_smtp()
  actors::service& service() { return *service_; }
  actors::verification_service* verification() { return verification_.get(); }
  actors::number_service* numbers() { return numbers_.get(); }
  http::server& server() { return server_->server(); }
  const http::server& server() const { return server_->server(); }
  const http::server_options& server_options() const { return server_options_; }
  std::vector<http::registered_route> routes() const { return server_->server().routes(); }
  std::uint64_t auth_failures(const std::string& reason) const;  // by reason, 0 when none

  // Another server over the same service, with the same options (its own failed-auth throttle).
  std::unique_ptr<server_run> another_server();
  // Stops the server, the number and verification services and the service, and starts them
  // again over the same database and fakes, as a process restart would (the port changes).
  void restart();

  // ---- tokens
  const std::string& jwt_secret() const { return spec_.jwt_secret_; }
  const std::string& operator_token() const { return spec_.operator_token_; }
  const std::string& service_token() const { return spec_.service_token_; }
  // A tenant user's token signed with the fixture's JWT secret (see mint_jwt).
  std::string mint(const std::string& org_id, const std::string& role = "admin",
                   const std::string& user = "user-1", long exp_in_s = 3600) const {
    return mint_jwt(jwt_secret(), org_id, role, user, exp_in_s);
  }

  // ---- HTTP to this fixture's server
  reply request(const std::string& method, const std::string& path,
                const std::string& token = "", const std::string& body = "",
                const std::string& content_type = "application/json",
                const header_map& headers = {}) const {
    return http_request(port(), method, path, token, body, content_type, headers);
  }
  reply get(const std::string& path, const std::string& token = "") const {
    return request("GET", path, token);
  }
  reply post(const std::string& path, const std::string& token,
             const json& body = json::object()) const {
    return request("POST", path, token, body.dump());
  }
  reply patch(const std::string& path, const std::string& token, const json& body) const {
    return request("PATCH", path, token, body.dump());
  }
  reply del(const std::string& path, const std::string& token) const {
    return request("DELETE", path, token);
  }
  // The same with the operator token (/ops/*, /sessions/*).
  reply ops_get(const std::string& path) const { return get(path, operator_token()); }
  reply ops_post(const std::string& path, const json& body) const {
    return post(path, operator_token(), body);
  }
  // The URL Twilio would sign when it reaches this process directly: http://127.0.0.1:PORT + path.
  std::string direct_url(const std::string& path_and_query) const;

  // The six-digit code of the last SMS the Twilio fake accepted for `to` ("" if none).
  std::string last_sms_code(const std::string& to) const;

  // POST /ops/tenants with `body` as the operator; REQUIREs 201 and returns the tenant id.
  std::string create_tenant(const json& body) const;

  // ---- SQL as the database owner (parameters as text, any number)
  // The first column of the first row; "" for NULL, no row or no column.
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {}) const;
  long count(const std::string& sql, const std::vector<std::string>& params = {}) const {
    return std::stol(scalar(sql, params));
  }
  // Every row, each as text ("" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql,
                                             const std::vector<std::string>& params = {}) const;

 private:
  void start();
  void stop();

  service_fixture_builder spec_;
  scratch_database db_;
  fakes::fake_twilio twilio_;
  std::unique_ptr<fakes::fake_vapi> vapi_;
  std::unique_ptr<fakes::fake_smtp> smtp_;
  std::unique_ptr<actors::service> service_;
  std::unique_ptr<actors::verification_service> verification_;
  std::unique_ptr<actors::number_service> numbers_;
  http::server_options server_options_;
  std::unique_ptr<server_run> server_;
};

}  // namespace rm::testing
