#include "tests/fakes/fake_google.hpp"

#include <httplib.h>

#include <cctype>
#include <regex>
#include <stdexcept>

#include "adapters/http/url_codec.hpp"

namespace rm::fakes {
namespace {

using nlohmann::json;

// Google Calendar's error body (google-samples/error-*.json).
json calendar_error(int status, const std::string& domain, const std::string& reason,
                    const std::string& message) {
  return {{"error",
           {{"errors", json::array({{{"domain", domain}, {"reason", reason}, {"message", message}}})},
            {"code", status},
            {"message", message}}}};
}

json injected_error(int status) {
  if (status == 429)
    return calendar_error(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded");
  if (status == 401)
    return calendar_error(401, "global", "authError", "Invalid Credentials");
  if (status == 403)
    return calendar_error(403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded");
  return calendar_error(status, "global", "backendError", "Backend Error");
}

std::string base64url(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += t[v >> 18 & 63]; out += t[v >> 12 & 63]; out += t[v >> 6 & 63]; out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += t[v >> 18 & 63]; out += t[v >> 12 & 63];
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += t[v >> 18 & 63]; out += t[v >> 12 & 63]; out += t[v >> 6 & 63];
  }
  return out;
}

std::map<std::string, std::string> form_of(const std::string& body) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : rm::http::parse_query(body)) out[k] = v;
  return out;
}

bool base32hex_id(const std::string& id) {
  if (id.size() < 5 || id.size() > 1024) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'v'))) return false;
  return true;
}

}  // namespace

fake_google::fake_google(std::string client_id, std::string client_secret, int port)
    : client_id_(std::move(client_id)), client_secret_(std::move(client_secret)),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_tcp_nodelay(true);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Delete(".*", handler);
  if (port == 0) port_ = server_->bind_to_any_port("127.0.0.1");
  else if (server_->bind_to_port("127.0.0.1", port)) port_ = port;
  if (port_ <= 0)
    throw std::runtime_error("fake-google: cannot bind 127.0.0.1:" + std::to_string(port));
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
}

fake_google::~fake_google() { stop(); }

void fake_google::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  released_.notify_all();
  if (!thread_.joinable()) return;
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

std::string fake_google::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void fake_google::set_account(std::string email, std::string sub) {
  std::lock_guard<std::mutex> lock(mutex_);
  email_ = std::move(email);
  sub_ = std::move(sub);
}
void fake_google::set_expires_in(int seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  expires_in_ = seconds;
}
void fake_google::set_busy(const std::string& calendar_id,
                           std::vector<std::pair<std::string, std::string>> blocks) {
  std::lock_guard<std::mutex> lock(mutex_);
  busy_[calendar_id] = std::move(blocks);
  calendar_errors_.erase(calendar_id);
}
void fake_google::set_calendar_error(const std::string& calendar_id, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  calendar_errors_[calendar_id] = reason;
}
void fake_google::fail_refresh_with_invalid_grant(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  invalid_grant_ = on;
}
void fake_google::fail_next(int status, int count, const std::string& path_part) {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_.push_back({status, count, path_part});
}
void fake_google::hold(const std::string& method, const std::string& path_part) {
  std::lock_guard<std::mutex> lock(mutex_);
  holds_.emplace_back(method, path_part);
}
void fake_google::release_holds() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    holds_.clear();
  }
  released_.notify_all();
}
int fake_google::held_now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

std::vector<google_recorded_request> fake_google::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

int fake_google::count(const std::string& method, const std::string& path_part) const {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (const auto& r : requests_)
    if (r.method == method && r.path.find(path_part) != std::string::npos) ++n;
  return n;
}

json fake_google::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  json out = json::array();
  for (const auto& key : event_order_) out.push_back(events_.at(key));
  return out;
}

int fake_google::confirmed_events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (const auto& [key, e] : events_) n += e.value("status", "") == "confirmed";
  return n;
}

void fake_google::handle(const httplib::Request& req, httplib::Response& res) {
  if (req.method == "GET" && (req.path == "/_fake/requests" || req.path == "/_fake/events")) {
    json out = json::array();
    if (req.path == "/_fake/events") {
      out = events();
    } else {
      for (const auto& r : requests())
        out.push_back({{"method", r.method}, {"path", r.path}, {"status", r.status}});
    }
    res.set_content(out.dump(), "application/json");
    return;
  }
  json out;
  std::string content_type = "application/json; charset=UTF-8", raw;
  int status = 0;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (req.path.find(it->path_part) == std::string::npos) continue;
      status = it->status;
      if (--it->left <= 0) failures_.erase(it);
      break;
    }
    if (status != 0) out = injected_error(status);
    else status = route(req, out, content_type, raw);
    requests_.push_back({req.method, req.path, req.body, status});
    auto held = [&] {
      for (const auto& [m, p] : holds_)
        if (m == req.method && req.path.find(p) != std::string::npos) return true;
      return false;
    };
    if (held()) {
      ++held_;
      released_.wait(lock, [&] { return stopping_ || !held(); });
      --held_;
      if (stopping_) return;  // the answer is lost
    }
  }
  res.status = status;
  if (status == 302) {
    res.set_header("Location", raw);
  } else if (status != 204) {
    res.set_content(raw.empty() ? out.dump() : raw, content_type);
  }
}

// Called with mutex_ held.
int fake_google::route(const httplib::Request& req, json& out, std::string& content_type,
                       std::string& raw) {
  (void)content_type;
  const auto& path = req.path;
  if (req.method == "GET" && path == "/o/oauth2/v2/auth") {
    auto param = [&](const char* k) { return req.has_param(k) ? req.get_param_value(k) : ""; };
    if (param("client_id") != client_id_ || param("response_type") != "code" ||
        param("redirect_uri").empty()) {
      out = {{"error", "invalid_request"}};
      return 400;
    }
    const auto code = "4/fake-code-" + std::to_string(next_++);
    codes_[code] = param("redirect_uri");
    const auto sep = param("redirect_uri").find('?') == std::string::npos ? "?" : "&";
    raw = param("redirect_uri") + sep + "code=" + rm::http::percent_encode(code) +
          "&state=" + rm::http::percent_encode(param("state")) + "&scope=" + rm::http::percent_encode(param("scope"));
    return 302;
  }
  if (req.method == "POST" && path == "/token") {
    auto form = form_of(req.body);
    if (form["client_id"] != client_id_ || form["client_secret"] != client_secret_) {
      out = {{"error", "invalid_client"}, {"error_description", "The OAuth client was not found."}};
      return 401;
    }
    const std::string scope =
        "openid https://www.googleapis.com/auth/userinfo.email "
        "https://www.googleapis.com/auth/calendar.events "
        "https://www.googleapis.com/auth/calendar.freebusy";
    const auto access = "ya29.fake-access-" + std::to_string(next_++);
    if (form["grant_type"] == "authorization_code") {
      auto it = codes_.find(form["code"]);
      if (it == codes_.end() || it->second != form["redirect_uri"]) {
        out = {{"error", "invalid_grant"}, {"error_description", "Bad Request"}};
        return 400;
      }
      codes_.erase(it);  // a code is good once
      const auto refresh = "1//fake-refresh-" + std::to_string(next_++);
      refresh_tokens_[refresh] = true;
      access_tokens_[access] = true;
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      json claims{{"iss", "https://accounts.google.com"}, {"azp", client_id_},
                  {"aud", client_id_}, {"sub", sub_}, {"email", email_},
                  {"email_verified", true}, {"iat", now}, {"exp", now + 3600}};
      out = {{"access_token", access}, {"expires_in", expires_in_}, {"refresh_token", refresh},
             {"scope", scope}, {"token_type", "Bearer"},
             {"id_token", base64url(R"({"alg":"RS256","kid":"EXAMPLE"})") + "." +
                              base64url(claims.dump()) + ".EXAMPLE_SIGNATURE"}};
      return 200;
    }
    if (form["grant_type"] == "refresh_token") {
      auto it = refresh_tokens_.find(form["refresh_token"]);
      if (invalid_grant_ || it == refresh_tokens_.end() || !it->second) {
        out = {{"error", "invalid_grant"},
               {"error_description", "Token has been expired or revoked."}};
        return 400;
      }
      access_tokens_[access] = true;
      out = {{"access_token", access}, {"expires_in", expires_in_}, {"scope", scope},
             {"token_type", "Bearer"}};
      return 200;
    }
    out = {{"error", "unsupported_grant_type"}, {"error_description", "Invalid grant_type"}};
    return 400;
  }
  if (req.method == "POST" && path == "/revoke") {
    auto token = form_of(req.body)["token"];
    auto r = refresh_tokens_.find(token);
    auto a = access_tokens_.find(token);
    if (r == refresh_tokens_.end() && a == access_tokens_.end()) {
      out = {{"error", "invalid_token"}, {"error_description", "Token expired or revoked"}};
      return 400;
    }
    if (r != refresh_tokens_.end()) r->second = false;
    if (a != access_tokens_.end()) a->second = false;
    out = json::object();
    return 200;
  }
  if (path.rfind("/calendar/v3/", 0) != 0) {
    out = calendar_error(404, "global", "notFound", "Not Found");
    return 404;
  }
  // Calendar API: a live access token first.
  const auto auth = req.get_header_value("Authorization");
  auto tok = access_tokens_.find(auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "");
  if (tok == access_tokens_.end() || !tok->second) {
    out = injected_error(401);
    return 401;
  }
  auto body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (body.is_discarded()) {
    out = calendar_error(400, "global", "parseError", "Parse Error");
    return 400;
  }
  if (req.method == "POST" && path == "/calendar/v3/freeBusy") {
    if (!body.contains("timeMin") || !body.contains("timeMax") || !body.contains("items")) {
      out = calendar_error(400, "global", "required", "Required");
      return 400;
    }
    json calendars = json::object();
    for (const auto& item : body["items"]) {
      const auto id = item.value("id", "");
      if (auto e = calendar_errors_.find(id); e != calendar_errors_.end()) {
        calendars[id] = {{"errors", json::array({{{"domain", "global"}, {"reason", e->second}}})},
                         {"busy", json::array()}};
        continue;
      }
      json busy = json::array();
      for (const auto& [s, e] : busy_[id]) busy.push_back({{"start", s}, {"end", e}});
      calendars[id] = {{"busy", busy}};
    }
    out = {{"kind", "calendar#freeBusy"}, {"timeMin", body["timeMin"]},
           {"timeMax", body["timeMax"]}, {"calendars", calendars}};
    return 200;
  }
  static const std::regex collection{R"(^/calendar/v3/calendars/([^/]+)/events$)"};
  static const std::regex item{R"(^/calendar/v3/calendars/([^/]+)/events/([^/]+)$)"};
  std::smatch m;
  if (req.method == "POST" && std::regex_match(path, m, collection)) {
    const std::string cal = m[1], id = body.value("id", "");
    if (!base32hex_id(id) || !body.contains("start") || !body.contains("end")) {
      out = calendar_error(400, "global", "invalid", "Invalid resource id value.");
      return 400;
    }
    const auto key = cal + "/" + id;
    if (events_.count(key)) {
      out = calendar_error(409, "global", "duplicate", "The requested identifier already exists.");
      return 409;
    }
    body["kind"] = "calendar#event";
    body["status"] = "confirmed";
    body["iCalUID"] = id + "@google.com";
    events_[key] = body;
    event_order_.push_back(key);
    out = body;
    return 200;
  }
  if (std::regex_match(path, m, item)) {
    const auto key = std::string(m[1]) + "/" + std::string(m[2]);
    auto it = events_.find(key);
    if (it == events_.end()) {
      out = calendar_error(404, "global", "notFound", "Not Found");
      return 404;
    }
    if (req.method == "GET") {
      out = it->second;
      return 200;
    }
    if (req.method == "DELETE") {
      if (it->second["status"] == "cancelled") {
        out = calendar_error(410, "global", "deleted", "Resource has been deleted");
        return 410;
      }
      it->second["status"] = "cancelled";
      return 204;
    }
  }
  out = calendar_error(404, "global", "notFound", "Not Found");
  return 404;
}

}  // namespace rm::fakes
