#include "tests/support/service_fixture.hpp"

#include <cstdlib>
#include <ctime>
#include <regex>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <jwt.h>
#include <pqxx/pqxx>

namespace rm::testing {

// ---- HTTP ---------------------------------------------------------------------------------------

reply http_request(int port, const std::string& method, const std::string& path,
                   const std::string& token, const std::string& body,
                   const std::string& content_type, const header_map& extra) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(90);
  cli.set_write_timeout(60);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  for (const auto& [k, v] : extra) headers.emplace(k, v);
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return cli.Get(path.c_str(), headers);
    if (method == "POST") return cli.Post(path.c_str(), headers, body, content_type.c_str());
    if (method == "PUT") return cli.Put(path.c_str(), headers, body, content_type.c_str());
    if (method == "PATCH") return cli.Patch(path.c_str(), headers, body, content_type.c_str());
    if (method == "DELETE") return cli.Delete(path.c_str(), headers);
    throw std::invalid_argument("http_request(): unsupported method " + method);
  };
  auto res = send();
  reply r;
  if (!res) {
    r.transport_error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.text = res->body;
  r.content_type = res->get_header_value("Content-Type");
  r.body = json::parse(res->body, nullptr, false);
  for (const auto& [k, v] : res->headers) r.headers[k] = v;
  return r;
}

std::string mint_jwt(const std::string& secret, const std::string& org_id,
                     const std::string& role, const std::string& user, long exp_in_s) {
  const long now = static_cast<long>(std::time(nullptr));
  json claims{{"sub", user},
              {"iat", now},
              {"exp", now + exp_in_s},
              {"role", "authenticated"},
              {"app_metadata", {{"org_id", org_id}, {"role", role}}}};
  jwt_t* j = nullptr;
  REQUIRE(jwt_new(&j) == 0);
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> owner(j, jwt_free);
  REQUIRE(jwt_add_grants_json(j, claims.dump().c_str()) == 0);
  REQUIRE(jwt_set_alg(j, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) == 0);
  char* token = jwt_encode_str(j);
  REQUIRE(token != nullptr);
  std::string out = token;
  std::free(token);
  return out;
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

// ---- server_run -----------------------------------------------------------------------------------

server_run::server_run(actors::service& service, http::server_options options)
    : server_(std::make_unique<http::server>(service, std::move(options))) {
  port_ = server_->bind("127.0.0.1", 0);
  if (port_ <= 0) throw std::runtime_error("the HTTP server could not bind a loopback port");
  listener_ = std::thread{[this] { server_->listen(); }};
  const bool up = eventually([&] { return http_request(port_, "GET", "/healthz").status == 200; },
                             std::chrono::seconds(10));
  if (!up) {
    server_->stop();
    listener_.join();
    throw std::runtime_error("the HTTP server did not answer /healthz");
  }
}

server_run::~server_run() {
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

// ---- the builder ----------------------------------------------------------------------------------

service_fixture_builder& service_fixture_builder::twilio_accounts(
    std::map<std::string, std::string> accounts) {
  accounts_ = std::move(accounts);
  return *this;
}
service_fixture_builder& service_fixture_builder::fake_vapi(std::string private_key) {
  vapi_ = true;
  vapi_key_ = std::move(private_key);
  return *this;
}
service_fixture_builder& service_fixture_builder::fake_smtp(std::string from) {
  smtp_ = true;
  smtp_from_ = std::move(from);
  return *this;
}
service_fixture_builder& service_fixture_builder::jwt_secret(std::string secret) {
  jwt_secret_ = std::move(secret);
  return *this;
}
service_fixture_builder& service_fixture_builder::operator_token(std::string token) {
  operator_token_ = std::move(token);
  return *this;
}
service_fixture_builder& service_fixture_builder::service_token(std::string token) {
  service_token_ = std::move(token);
  return *this;
}
service_fixture_builder& service_fixture_builder::service(
    std::function<void(actors::service_options&)> edit) {
  service_edits_.push_back(std::move(edit));
  return *this;
}
service_fixture_builder& service_fixture_builder::server(
    std::function<void(http::server_options&)> edit) {
  server_edits_.push_back(std::move(edit));
  return *this;
}
service_fixture_builder& service_fixture_builder::with_verification(
    std::function<void(actors::verification_service_options&)> edit) {
  verification_ = true;
  if (edit) verification_edits_.push_back(std::move(edit));
  return *this;
}
service_fixture_builder& service_fixture_builder::with_numbers(
    std::function<void(actors::number_service_options&)> edit) {
  numbers_ = true;
  if (edit) number_edits_.push_back(std::move(edit));
  return *this;
}
std::unique_ptr<service_fixture> service_fixture_builder::build() const {
  return std::make_unique<service_fixture>(*this);
}

// ---- the fixture ----------------------------------------------------------------------------------

service_fixture::service_fixture(const service_fixture_builder& spec)
    : spec_(spec), twilio_(spec.accounts_) {
  if (spec_.vapi_) vapi_ = std::make_unique<fakes::fake_vapi>(spec_.vapi_key_);
  if (spec_.smtp_) smtp_ = std::make_unique<fakes::fake_smtp>();
  start();
}

service_fixture::~service_fixture() { stop(); }

void service_fixture::start() {
  const std::string vapi_url = vapi_ ? vapi_->base_url() : std::string{};

  actors::service_options so;
  so.database_url = db_.url();
  so.db_workers = 4;
  so.scheduler_threads = 4;
  so.twilio_base_url = twilio_.base_url();
  if (vapi_) {
    so.vapi_base_url = vapi_url;
    so.vapi_private_key = spec_.vapi_key_;
  }
  if (smtp_) {
    so.smtp_url = smtp_->url();
    so.smtp_from = spec_.smtp_from_;
  }
  so.request_timeout = std::chrono::milliseconds(20000);
  for (const auto& edit : spec_.service_edits_) edit(so);
  service_ = std::make_unique<actors::service>(so);

  http::server_options ho;
  ho.operator_token = spec_.operator_token_;
  ho.service_token = spec_.service_token_;
  ho.jwt.hs256_secret = spec_.jwt_secret_;
  ho.worker_threads = 8;
  for (const auto& edit : spec_.server_edits_) edit(ho);

  if (spec_.verification_) {
    actors::verification_service_options vo;
    vo.twilio_base_url = twilio_.base_url();
    for (const auto& edit : spec_.verification_edits_) edit(vo);
    verification_ = std::make_unique<actors::verification_service>(*service_, vo);
    ho.verification = verification_.get();
  }
  if (spec_.numbers_) {
    actors::number_service_options no;
    no.twilio_base_url = twilio_.base_url();
    if (vapi_) {
      no.vapi_base_url = vapi_url;
      no.vapi_private_key = spec_.vapi_key_;
    }
    no.public_url = ho.public_url;
    no.sweep_interval = std::chrono::milliseconds(0);  // tests sweep by hand
    for (const auto& edit : spec_.number_edits_) edit(no);
    numbers_ = std::make_unique<actors::number_service>(*service_, no);
    ho.numbers = numbers_.get();
  }
  server_options_ = ho;
  server_ = std::make_unique<server_run>(*service_, ho);
}

void service_fixture::stop() {
  server_.reset();
  numbers_.reset();
  verification_.reset();
  service_.reset();
}

void service_fixture::restart() {
  stop();
  start();
}

fakes::fake_vapi& service_fixture::vapi_fake() {
  if (!vapi_) throw std::logic_error("service_fixture: built without fake_vapi()");
  return *vapi_;
}

fakes::fake_smtp& service_fixture::smtp() {
  if (!smtp_) throw std::logic_error("service_fixture: built without fake_smtp()");
  return *smtp_;
}

std::uint64_t service_fixture::auth_failures(const std::string& reason) const {
  const auto all = server().counters().auth_failures();
  const auto it = all.find(reason);
  return it == all.end() ? 0 : it->second;
}

std::unique_ptr<server_run> service_fixture::another_server() {
  return std::make_unique<server_run>(*service_, server_options_);
}

std::string service_fixture::direct_url(const std::string& path_and_query) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path_and_query;
}

std::string service_fixture::last_sms_code(const std::string& to) const {
  std::string code;
  static const std::regex six{"([0-9]{6})"};
  for (const auto& m : twilio_.messages()) {
    std::smatch match;
    const std::string body = m.value("body", "");
    if (m.value("to", "") == to && std::regex_search(body, match, six)) code = match[1];
  }
  return code;
}

std::string service_fixture::create_tenant(const json& body) const {
  auto r = ops_post("/ops/tenants", body);
  INFO(r.text << r.transport_error);
  REQUIRE(r.status == 201);
  REQUIRE(r.body["id"].is_string());
  return r.body["id"].get<std::string>();
}

std::vector<std::vector<std::string>> service_fixture::rows(
    const std::string& sql, const std::vector<std::string>& params) const {
  pqxx::connection c{db_.url()};
  pqxx::work tx{c};
  const pqxx::result res =
      params.empty() ? tx.exec(sql)
                     : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  tx.commit();
  std::vector<std::vector<std::string>> out;
  for (const auto& row : res) {
    std::vector<std::string> values;
    for (const auto& field : row) values.push_back(field.is_null() ? "" : field.c_str());
    out.push_back(std::move(values));
  }
  return out;
}

std::string service_fixture::scalar(const std::string& sql,
                                    const std::vector<std::string>& params) const {
  const auto all = rows(sql, params);
  if (all.empty() || all[0].empty()) return "";
  return all[0][0];
}

}  // namespace rm::testing
