#include "tests/fakes/fake_twilio.hpp"

#include <httplib.h>

#include <optional>
#include <regex>
#include <stdexcept>

#include "tests/fakes/fake_twilio_messages.hpp"

namespace rm::fakes {
namespace {

using nlohmann::json;

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : in) {
    auto pos = chars.find(c);
    if (pos == std::string::npos) break;  // '=' padding or garbage ends the data
    value = (value << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  return out;
}

// "Basic base64(user:password)" → {user, password}; empty user when absent or malformed.
std::pair<std::string, std::string> basic_auth(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Basic ";
  if (header.compare(0, prefix.size(), prefix) != 0) return {};
  std::string decoded = base64_decode(header.substr(prefix.size()));
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return {};
  return {decoded.substr(0, colon), decoded.substr(colon + 1)};
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, const fake_error& e) {
  reply(res, e.http_status, error_body(e));
}

const std::string* first(const std::multimap<std::string, std::string>& form,
                         const std::string& key) {
  auto it = form.find(key);
  return it == form.end() ? nullptr : &it->second;
}

}  // namespace

std::string recorded_request::field(const std::string& name) const {
  const std::string* value = first(form, name);
  return value ? *value : std::string{};
}

fake_twilio::fake_twilio(std::map<std::string, std::string> accounts,
                         fake_twilio_options options)
    : accounts_(std::move(accounts)),
      options_(options),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_tcp_nodelay(true);
  // Every route goes through handle() so that every request is recorded and can be failed.
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Delete(".*", handler);
  server_->Patch(".*", handler);

  if (options_.port == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else if (server_->bind_to_port("127.0.0.1", options_.port)) {
    port_ = options_.port;
  }
  if (port_ <= 0) {
    throw std::runtime_error("fake-twilio: cannot bind 127.0.0.1:" +
                             std::to_string(options_.port));
  }
  // The socket already listens, so clients can connect before this thread starts accepting.
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
}

fake_twilio::~fake_twilio() { stop(); }

void fake_twilio::stop() {
  release_held();
  if (!thread_.joinable()) return;
  // httplib's stop() is a no-op until the accept loop runs; wait for it to start.
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

std::string fake_twilio::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void fake_twilio::fail_next(int http_status, int count, int code, int retry_after_s) {
  fail_next_on("", "", http_status, count, code, retry_after_s);
}

void fake_twilio::fail_next_on(const std::string& method, const std::string& path_fragment,
                               int http_status, int count, int code, int retry_after_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < count; ++i)
    failures_.push_back({http_status, code, retry_after_s, method, path_fragment});
}

void fake_twilio::set_list_page_size(int page_size) {
  std::lock_guard<std::mutex> lock(mutex_);
  options_.list_page_size = page_size;
}

json fake_twilio::add_owned_number(const std::string& account_sid,
                                   const std::string& phone_number,
                                   const std::string& friendly_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  return numbers_.add_owned(account_sid, phone_number, friendly_name);
}

json fake_twilio::owned_numbers(const std::string& account_sid) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return numbers_.owned(account_sid);
}

json fake_twilio::released_numbers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return numbers_.released();
}

void fake_twilio::set_account_status(const std::string& account_sid, const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  account_status_[account_sid] = status;
}

void fake_twilio::hold_message_answers(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  holds_left_ = count;
  releasing_ = false;
}
int fake_twilio::held_answers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_now_;
}
void fake_twilio::release_held() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    holds_left_ = 0;
    releasing_ = true;
  }
  release_.notify_all();
}
std::vector<recorded_request> fake_twilio::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

json fake_twilio::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

json fake_twilio::calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_;
}

json fake_twilio::caller_id_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return caller_ids_;
}

void fake_twilio::handle(const httplib::Request& req, httplib::Response& res) {
  // Inspection endpoint for the demo; not part of Twilio's API, so not recorded or failed.
  if (req.method == "GET" && req.path == "/_fake/messages") return reply(res, 200, messages());

  const auto [user, password] = basic_auth(req);
  std::optional<scripted_failure> failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back({req.method, req.path, req.get_header_value("Content-Type"),
                         {req.params.begin(), req.params.end()}, user});
    // The first scripted failure that applies to this request, if any.
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (!it->method.empty() && it->method != req.method) continue;
      if (!it->path_fragment.empty() && req.path.find(it->path_fragment) == std::string::npos)
        continue;
      failure = *it;
      failures_.erase(it);
      break;
    }
  }
  if (failure) {
    if (failure->retry_after_s >= 0) {
      res.set_header("Retry-After", std::to_string(failure->retry_after_s));
    }
    if (failure->code != 0) {
      return reply_error(res, {failure->http_status, failure->code, "Scripted failure"});
    }
    res.status = failure->http_status;
    return res.set_content("scripted failure", "text/plain");
  }

  auto account = accounts_.find(user);
  if (account == accounts_.end() || account->second != password) {
    res.set_header("WWW-Authenticate", "Basic realm=\"Twilio API\"");
    return reply_error(res, {401, 20003, "Authenticate"});
  }

  static const std::regex messages_path{R"(/2010-04-01/Accounts/([^/]+)/Messages\.json)"};
  std::smatch m;
  if (std::regex_match(req.path, m, messages_path) && (req.method == "POST" || req.method == "GET")) {
    // Another account's resources are not visible with these credentials.
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"});
    if (req.method == "POST") return send_message(req, res, user);
    fake_list_reply listed{0, nullptr};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      listed = message_list(messages_, user, {req.params.begin(), req.params.end()});
    }
    return reply(res, listed.status, listed.body);
  }
  static const std::regex calls_path{R"(/2010-04-01/Accounts/([^/]+)/Calls\.json)"};
  if (req.method == "POST" && std::regex_match(req.path, m, calls_path)) {
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"});
    const std::string* from = first(req.params, "From");
    const std::string* to = first(req.params, "To");
    const std::string* twiml = first(req.params, "Twiml");
    if (auto error = check_call(from, to, twiml, first(req.params, "Url"),
                                options_.enforce_magic_from))
      return reply_error(res, *error);
    json call = call_resource(user, *from, *to);
    json recorded = call;
    recorded["twiml"] = twiml ? *twiml : "";
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(recorded);
    }
    return reply(res, 201, call);
  }
  static const std::regex caller_ids_path{
      R"(/2010-04-01/Accounts/([^/]+)/OutgoingCallerIds\.json)"};
  if (req.method == "POST" && std::regex_match(req.path, m, caller_ids_path)) {
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"});
    const std::string* number = first(req.params, "PhoneNumber");
    if (!number || number->empty())
      return reply_error(res, {400, 21604, "A 'PhoneNumber' is required."});
    const std::string* name = first(req.params, "FriendlyName");
    json body = caller_id_validation(user, *number, name ? *name : "");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      caller_ids_.push_back(body);
    }
    return reply(res, 200, body);
  }
  if (handle_numbers(req, res, user, account->second)) return;
  reply_error(res, {404, 20404, "The requested resource " + req.path + " was not found"});
}

bool fake_twilio::handle_numbers(const httplib::Request& req, httplib::Response& res,
                                 const std::string& user, const std::string& token) {
  static const std::regex account_path{R"(/2010-04-01/Accounts/([^/]+)\.json)"};
  static const std::regex available_path{
      R"(/2010-04-01/Accounts/([^/]+)/AvailablePhoneNumbers/([^/]+)/Local\.json)"};
  static const std::regex numbers_path{R"(/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers\.json)"};
  static const std::regex number_path{
      R"(/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers/([^/]+)\.json)"};
  auto send = [&res](const fake_reply& r) {
    res.status = r.status;
    if (r.status != 204) res.set_content(r.body.dump(), "application/json");
  };
  std::smatch m;
  const bool get = req.method == "GET", post = req.method == "POST";
  if (get && std::regex_match(req.path, m, account_path)) {
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"}), true;
    std::lock_guard<std::mutex> lock(mutex_);
    auto status = account_status_.find(user);
    reply(res, 200,
          numbers_.account_resource(user, token,
                                    status == account_status_.end() ? "active" : status->second));
    return true;
  }
  if (get && std::regex_match(req.path, m, available_path)) {
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"}), true;
    std::lock_guard<std::mutex> lock(mutex_);
    send(numbers_.search(user, m[2], {req.params.begin(), req.params.end()}));
    return true;
  }
  const bool on_list = std::regex_match(req.path, m, numbers_path);
  if ((get || post) && on_list) {
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"}), true;
    if (post && req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded",
                                                           0) != 0)
      return reply(res, 400,
                   {{"code", nullptr},
                    {"message", "Content-Type must be application/x-www-form-urlencoded"},
                    {"more_info", nullptr},
                    {"status", 400}}),
             true;
    std::lock_guard<std::mutex> lock(mutex_);
    fake_params params{req.params.begin(), req.params.end()};
    send(get ? numbers_.list(user, params, options_.list_page_size)
             : numbers_.purchase(user, params));
    return true;
  }
  if ((post || req.method == "DELETE") && std::regex_match(req.path, m, number_path)) {
    if (m[1] != user) return reply_error(res, {401, 20003, "Authenticate"}), true;
    std::lock_guard<std::mutex> lock(mutex_);
    send(post ? numbers_.update(user, m[2], {req.params.begin(), req.params.end()})
              : numbers_.release(user, m[2]));
    return true;
  }
  return false;
}

void fake_twilio::send_message(const httplib::Request& req, httplib::Response& res,
                               const std::string& account_sid) {
  const std::string content_type = req.get_header_value("Content-Type");
  if (content_type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return reply(res, 400,
                 {{"code", nullptr},
                  {"message", "Content-Type must be application/x-www-form-urlencoded"},
                  {"more_info", nullptr},
                  {"status", 400}});
  }
  const std::string* from = first(req.params, "From");
  const std::string* to = first(req.params, "To");
  const std::string* body = first(req.params, "Body");
  if (auto error = check_sms(from, to, body, options_.enforce_magic_from)) {
    return reply_error(res, *error);
  }
  json message = message_resource(account_sid, *from, *to, *body);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    messages_.push_back(message);  // accepted: from here on it counts as sent
    if (holds_left_ > 0) {
      --holds_left_;
      ++held_now_;
      release_.wait(lock, [this] { return releasing_; });
      --held_now_;
    }
  }
  reply(res, 201, message);
}

}  // namespace rm::fakes
