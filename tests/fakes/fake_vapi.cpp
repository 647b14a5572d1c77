#include "tests/fakes/fake_vapi.hpp"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>
#include <stdexcept>

namespace rm::fakes {
namespace {

using nlohmann::json;

const char* const org_id = "0f0f0f0f-fake-4a11-8000-00000000fa4e";

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

// NestJS's HttpException body; `message` is a string or, for validation errors, an array.
json nest_error(int status, json message) {
  return json{{"message", std::move(message)}, {"error", reason_phrase(status)},
              {"statusCode", status}};
}

std::string now_iso() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool non_empty_string(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() && !it->get<std::string>().empty();
}

// class-validator's messages for a required string property.
void require_string(const json& body, const char* key, json& messages) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    messages.push_back(std::string(key) + " should not be empty");
    messages.push_back(std::string(key) + " must be a string");
  } else if (!it->is_string()) {
    messages.push_back(std::string(key) + " must be a string");
  } else if (it->get<std::string>().empty()) {
    messages.push_back(std::string(key) + " should not be empty");
  }
}

bool e164(const std::string& s) {
  static const std::regex re{R"(^\+[1-9][0-9]{6,14}$)"};
  return std::regex_match(s, re);
}

json* find_by_id(std::vector<json>& items, const std::string& id) {
  for (auto& item : items)
    if (item.value("id", "") == id) return &item;
  return nullptr;
}

bool erase_by_id(std::vector<json>& items, const std::string& id, json& erased) {
  for (auto it = items.begin(); it != items.end(); ++it) {
    if (it->value("id", "") != id) continue;
    erased = std::move(*it);
    items.erase(it);
    return true;
  }
  return false;
}

}  // namespace

std::string vapi_recorded_request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

fake_vapi::fake_vapi(std::string private_key, int port)
    : private_key_(std::move(private_key)), server_(std::make_unique<httplib::Server>()) {
  server_->set_tcp_nodelay(true);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Delete(".*", handler);
  server_->Patch(".*", handler);
  if (port == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else if (server_->bind_to_port("127.0.0.1", port)) {
    port_ = port;
  }
  if (port_ <= 0)
    throw std::runtime_error("fake-vapi: cannot bind 127.0.0.1:" + std::to_string(port));
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
}

fake_vapi::~fake_vapi() { stop(); }

void fake_vapi::stop() {
  if (!thread_.joinable()) return;
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

std::string fake_vapi::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void fake_vapi::fail_next(int http_status, int count, std::string method,
                          std::string path_prefix) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < count; ++i) failures_.push_back({http_status, method, path_prefix});
}

std::vector<vapi_recorded_request> fake_vapi::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void fake_vapi::clear_requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
}

json fake_vapi::credentials() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return json(credentials_.items);
}
json fake_vapi::phone_numbers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return json(phone_numbers_.items);
}
json fake_vapi::assistants() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return json(assistants_.items);
}
json fake_vapi::calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return json(calls_.items);
}
json fake_vapi::tools() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return json(tools_.items);
}

std::string fake_vapi::credential_secret(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = credentials_.secret.find(id);
  return it == credentials_.secret.end() ? std::string{} : it->second;
}

std::string fake_vapi::phone_number_secret(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = phone_numbers_.secret.find(id);
  return it == phone_numbers_.secret.end() ? std::string{} : it->second;
}

json fake_vapi::add_assistant(json assistant) {
  std::lock_guard<std::mutex> lock(mutex_);
  json stored = stamp(std::move(assistant));
  assistants_.items.push_back(stored);
  return stored;
}

json fake_vapi::stamp(json resource) {
  char id[40];
  std::snprintf(id, sizeof id, "%08llx-fa4e-4000-8000-%012llx", next_id_, next_id_);
  ++next_id_;
  auto now = now_iso();
  resource["id"] = id;
  resource["orgId"] = org_id;
  resource["createdAt"] = now;
  resource["updatedAt"] = now;
  return resource;
}

void fake_vapi::handle(const httplib::Request& req, httplib::Response& res) {
  auto reply = [&res](int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json; charset=utf-8");
  };
  if (req.method == "GET" && req.path == "/_fake/requests") {
    json out = json::array();
    for (const auto& r : requests())
      out.push_back({{"method", r.method}, {"path", r.path}, {"body", r.body},
                     {"status", r.status}});
    return reply(200, out);
  }

  vapi_recorded_request rec;
  rec.method = req.method;
  rec.path = req.path;
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rec.headers.emplace(lower, value);
  }
  bool body_ok = true;
  if (!req.body.empty()) {
    rec.body = json::parse(req.body, nullptr, false);
    if (rec.body.is_discarded()) {
      rec.body = req.body;
      body_ok = false;
    }
  }

  int status = 0;
  json out;
  const std::string auth = req.get_header_value("Authorization");
  if (private_key_.empty() || auth != "Bearer " + private_key_) {
    // Vapi's answer to a missing or wrong key (vapi.md §4, support.vapi.ai/t/28586614).
    status = 401;
    out = nest_error(401,
                     "Invalid Key. Hot tip, you may be using the private key instead of the "
                     "public key, or vice versa.");
  } else {
    int failure = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = failures_.begin(); it != failures_.end(); ++it) {
        if (!it->method.empty() && it->method != req.method) continue;
        if (req.path.compare(0, it->path_prefix.size(), it->path_prefix) != 0) continue;
        failure = it->status;
        failures_.erase(it);
        break;
      }
    }
    if (failure != 0) {
      status = failure;
      out = nest_error(failure, failure == 429 ? "Rate limit exceeded" : "Internal server error");
    } else {
      std::lock_guard<std::mutex> lock(mutex_);
      status = route(req.method, req.path, rec.body, body_ok, out);
    }
  }
  rec.status = status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(std::move(rec));
  }
  reply(status, out);
}

// Called with mutex_ held.
int fake_vapi::route(const std::string& method, const std::string& path, const json& body,
                     bool body_ok, json& out) {
  if (!body_ok) {
    out = nest_error(400, "Unexpected token in JSON body");
    return 400;
  }
  static const std::regex item{R"(^/(credential|phone-number|assistant|call|tool)/([^/]+)$)"};
  static const std::regex collection{R"(^/(credential|phone-number|assistant|call|tool)/?$)"};
  std::smatch m;
  std::string kind, id;
  if (std::regex_match(path, m, item)) {
    kind = m[1];
    id = m[2];
  } else if (std::regex_match(path, m, collection)) {
    kind = m[1];
  } else {
    out = nest_error(404, "Cannot " + method + " " + path);
    return 404;
  }
  resource_store& store = kind == "credential"     ? credentials_
                          : kind == "phone-number" ? phone_numbers_
                          : kind == "assistant"    ? assistants_
                          : kind == "tool"         ? tools_
                                                   : calls_;
  auto not_found = [&] {
    out = nest_error(404, (kind == "phone-number" ? std::string("Phone Number")
                           : kind == "credential" ? std::string("Credential")
                           : kind == "assistant"  ? std::string("Assistant")
                           : kind == "tool"       ? std::string("Tool")
                                                  : std::string("Call")) +
                              " Not Found");
    return 404;
  };

  if (id.empty() && method == "GET") {
    out = json(store.items);
    return 200;
  }
  if (!id.empty() && method == "GET") {
    json* found = find_by_id(store.items, id);
    if (!found) return not_found();
    out = *found;
    return 200;
  }
  if (!id.empty() && method == "DELETE" && kind != "call") {
    json erased;
    if (!erase_by_id(store.items, id, erased)) return not_found();
    store.secret.erase(id);
    out = erased;
    return 200;
  }
  if (!id.empty() && method == "PATCH" && (kind == "assistant" || kind == "tool")) {
    json* found = find_by_id(store.items, id);
    if (!found) return not_found();
    if (!body.is_object()) {
      out = nest_error(400, json::array({"body must be an object"}));
      return 400;
    }
    // Vapi replaces each given top-level key whole: a partial `model` loses messages and toolIds.
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() == "id" || it.key() == "orgId" || it.key() == "createdAt") continue;
      if (it->is_null()) {
        found->erase(it.key());
      } else {
        (*found)[it.key()] = *it;
      }
    }
    (*found)["updatedAt"] = now_iso();
    out = *found;
    return 200;
  }
  if (!id.empty() || method != "POST") {
    out = nest_error(404, "Cannot " + method + " " + path);
    return 404;
  }

  // ---- creation ----
  if (!body.is_object()) {
    out = nest_error(400, json::array({"body must be an object"}));
    return 400;
  }
  json messages = json::array();
  if (kind == "credential") {
    require_string(body, "provider", messages);
    if (messages.empty() && body["provider"] == "twilio") {
      require_string(body, "accountSid", messages);
      bool token = non_empty_string(body, "authToken");
      bool key = non_empty_string(body, "apiKey") && non_empty_string(body, "apiSecret");
      if (!token && !key) messages.push_back("authToken should not be empty");
    }
    if (!messages.empty()) {
      out = nest_error(400, messages);
      return 400;
    }
    json stored = body;
    std::string secret = body.value("authToken", body.value("apiSecret", ""));
    stored.erase("authToken");
    stored.erase("apiSecret");
    stored = stamp(std::move(stored));
    store.secret[stored["id"].get<std::string>()] = secret;
    store.items.push_back(stored);
    out = stored;
    return 201;
  }
  if (kind == "phone-number") {
    require_string(body, "provider", messages);
    require_string(body, "number", messages);
    if (non_empty_string(body, "provider") && body["provider"] != "twilio" &&
        body["provider"] != "vonage" && body["provider"] != "vapi" && body["provider"] != "telnyx")
      messages.push_back(
          "provider must be one of the following values: twilio, vonage, vapi, telnyx, byo-phone-number");
    if (body.value("provider", "") == "twilio") require_string(body, "twilioAccountSid", messages);
    if (non_empty_string(body, "number") && !e164(body["number"].get<std::string>()))
      messages.push_back("number must be a valid phone number in the E.164 format");
    if (messages.empty() && non_empty_string(body, "assistantId") &&
        !find_by_id(assistants_.items, body["assistantId"].get<std::string>())) {
      out = nest_error(400, "Couldn't Find Assistant. Assistant Not Found.");
      return 400;
    }
    if (!messages.empty()) {
      out = nest_error(400, messages);
      return 400;
    }
    for (const auto& existing : store.items) {
      if (existing.value("number", "") == body["number"]) {
        out = nest_error(400, "Number Already Exists. Please use a different number.");
        return 400;
      }
    }
    json stored = body;
    std::string secret = body.value("twilioAuthToken", "");
    stored.erase("twilioAuthToken");
    stored["status"] = "active";
    stored = stamp(std::move(stored));
    store.secret[stored["id"].get<std::string>()] = secret;
    store.items.push_back(stored);
    out = stored;
    return 201;
  }
  if (kind == "tool") {
    static const std::regex function_name{R"(^[a-zA-Z0-9_-]{1,64}$)"};
    require_string(body, "type", messages);
    if (non_empty_string(body, "type") && body["type"] != "function")
      messages.push_back("type must be one of the following values: function, apiRequest, "
                         "transferCall, endCall, dtmf, query");
    const json function = body.value("function", json());
    if (body.value("type", "") == "function") {
      if (!function.is_object() || !non_empty_string(function, "name"))
        messages.push_back("function.name should not be empty");
      else if (!std::regex_match(function["name"].get<std::string>(), function_name))
        messages.push_back("function.name must be a-z, A-Z, 0-9, or contain underscores and "
                           "dashes, with a maximum length of 64");
    }
    if (!messages.empty()) {
      out = nest_error(400, messages);
      return 400;
    }
    json stored = stamp(body);
    store.items.push_back(stored);
    out = stored;
    return 201;
  }
  if (kind == "assistant") {
    json stored = stamp(body);
    store.items.push_back(stored);
    out = stored;
    return 201;
  }
  // POST /call
  if (!non_empty_string(body, "assistantId") && !body.contains("assistant"))
    messages.push_back("assistantId or assistant must be provided");
  if (!non_empty_string(body, "phoneNumberId") && !body.contains("phoneNumber"))
    messages.push_back("phoneNumberId or phoneNumber must be provided");
  const json customer = body.value("customer", json::object());
  if (!customer.is_object() || !non_empty_string(customer, "number"))
    messages.push_back("customer.number should not be empty");
  else if (!e164(customer["number"].get<std::string>()))
    messages.push_back("customer.number must be a valid phone number in the E.164 format");
  if (!messages.empty()) {
    out = nest_error(400, messages);
    return 400;
  }
  if (non_empty_string(body, "assistantId") &&
      !find_by_id(assistants_.items, body["assistantId"].get<std::string>())) {
    out = nest_error(400, "Couldn't Find Assistant. Assistant Not Found.");
    return 400;
  }
  if (non_empty_string(body, "phoneNumberId") &&
      !find_by_id(phone_numbers_.items, body["phoneNumberId"].get<std::string>())) {
    out = nest_error(400, "Couldn't Get Phone Number. Phone Number Not Found.");
    return 400;
  }
  json call = body;
  call["type"] = "outboundPhoneCall";
  call["status"] = "queued";
  call["phoneCallProvider"] = "twilio";
  call["phoneCallTransport"] = "pstn";
  call["subscriptionLimits"] = {{"concurrencyBlocked", false},
                                {"concurrencyLimit", 10},
                                {"remainingConcurrentCalls", 9}};
  call = stamp(std::move(call));
  store.items.push_back(call);
  out = call;
  return 201;
}

}  // namespace rm::fakes
