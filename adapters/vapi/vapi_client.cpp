#include "adapters/vapi/vapi_client.hpp"

#include <httplib.h>

#include "adapters/http/url_codec.hpp"
#include "adapters/json/json_guard.hpp"

#include <algorithm>
#include <cctype>
#include <thread>
#include <utility>

namespace rm::vapi {
namespace {

using nlohmann::json;

// A provider's response body under the same limits as a request body (json_guard: depth 64,
// UTF-8, NUL removed); discarded when refused, like json::parse(text, nullptr, false).
json parse_response(const std::string& text) {
  auto p = json_guard::parse(text);
  return p.ok() ? std::move(p.value) : json(json::value_t::discarded);
}

// "scheme://host[:port][/prefix]" → ("scheme://host[:port]", "/prefix"); httplib takes no path.
// An empty first part means the URL is unusable.
std::pair<std::string, std::string> split_base_url(const std::string& base_url) {
  auto scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) return {};
  auto path_start = base_url.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return {base_url, ""};
  std::string prefix = base_url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {base_url.substr(0, path_start), prefix};
}

// Ids are opaque (UUIDs in practice); encode anything outside RFC 3986 unreserved so an id can
// never change the path.
std::string path_segment(const std::string& s) { return http::percent_encode(s); }

// NestJS error body: {"message": "…" | ["…", …], "error": "Bad Request", "statusCode": 400}.
std::string nest_message(int http_status, const std::string& body) {
  std::string out;
  auto j = parse_response(body);
  if (j.is_object()) {
    auto m = j.find("message");
    if (m != j.end() && m->is_string()) {
      out = m->get<std::string>();
    } else if (m != j.end() && m->is_array()) {
      for (const auto& part : *m) {
        if (!part.is_string()) continue;
        if (!out.empty()) out += "; ";
        out += part.get<std::string>();
      }
    }
    if (out.empty()) {
      auto e = j.find("error");
      if (e != j.end() && e->is_string()) out = e->get<std::string>();
    }
  }
  if (out.empty()) out = "HTTP " + std::to_string(http_status);
  return out;
}

// httplib 0.11 names its errors tersely ("Connection", "Read"); say what happened.
std::string transport_message(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not reach Vapi (connection failed)";
    case httplib::Error::ConnectionTimeout:
      return "could not reach Vapi (connection timed out)";
    case httplib::Error::Read:
      return "no response from Vapi (read failed or timed out)";
    case httplib::Error::Write:
      return "sending the request to Vapi failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake with Vapi failed";
    case httplib::Error::SSLServerVerification:
      return "Vapi's TLS certificate could not be verified";
    default:
      return "transport error talking to Vapi: " + httplib::to_string(error);
  }
}

bool retryable(int http_status) {
  return http_status == 0 || http_status == 429 || http_status >= 500;
}

response failure(int http_status, std::string message) {
  response r;
  r.http_status = http_status;
  r.error = vapi_error{http_status, std::move(message)};
  return r;
}

}  // namespace

json deep_merge(json base, const json& patch) {
  if (!patch.is_object() || !base.is_object()) return patch;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it->is_null()) {
      base.erase(it.key());
    } else if (it->is_object() && base.contains(it.key()) && base[it.key()].is_object()) {
      base[it.key()] = deep_merge(std::move(base[it.key()]), *it);
    } else {
      base[it.key()] = *it;
    }
  }
  return base;
}

client::client(std::string base_url, std::string private_key, retry_policy retry,
               std::chrono::milliseconds timeout,
               std::function<void(std::chrono::milliseconds)> sleeper)
    : base_url_(std::move(base_url)),
      private_key_(std::move(private_key)),
      retry_(retry),
      timeout_(timeout),
      sleeper_(std::move(sleeper)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

response client::send(const std::string& method, const std::string& path, const json* body,
                      bool retry_ambiguous) {
  // Checked before any I/O: a deployment without a key still starts (the demo needs no Vapi);
  // only the calls that need Vapi fail, with this sentence.
  if (private_key_.empty())
    return failure(0, "Vapi is not configured: RINGMASTER_VAPI_PRIVATE_KEY is not set");
  auto [scheme_host_port, prefix] = split_base_url(base_url_);
  if (scheme_host_port.empty()) return failure(0, "invalid Vapi base URL '" + base_url_ + "'");

  httplib::Client http(scheme_host_port);
  http.set_tcp_nodelay(true);
  http.set_bearer_token_auth(private_key_.c_str());
  http.set_connection_timeout(timeout_);
  http.set_read_timeout(timeout_);
  http.set_write_timeout(timeout_);
  const httplib::Headers headers{{"Accept", "application/json"}};
  const std::string full_path = prefix + path;
  const std::string payload = body ? body->dump() : std::string{};

  response r;
  const int max_attempts = std::max(1, retry_.max_attempts);
  auto backoff = retry_.first_backoff;
  while (true) {
    ++r.attempts;
    httplib::Result res{nullptr, httplib::Error::Unknown};
    if (method == "GET") {
      res = http.Get(full_path.c_str(), headers);
    } else if (method == "DELETE") {
      res = http.Delete(full_path.c_str(), headers);
    } else if (method == "POST") {
      res = http.Post(full_path.c_str(), headers, payload, "application/json");
    } else {
      res = http.Patch(full_path.c_str(), headers, payload, "application/json");
    }
    bool ambiguous = false;  // Vapi may have acted on it
    if (!res) {
      r.http_status = 0;
      r.error = vapi_error{0, transport_message(res.error())};
      ambiguous = res.error() != httplib::Error::Connection &&
                  res.error() != httplib::Error::ConnectionTimeout;
    } else if (res->status >= 200 && res->status < 300) {
      r.http_status = res->status;
      r.error = {};
      if (res->body.empty()) {
        r.body = nullptr;
      } else {
        r.body = parse_response(res->body);
        if (r.body.is_discarded()) {
          // Vapi did act; a retry could act twice, so report without retrying.
          r.body = nullptr;
          r.error = vapi_error{res->status, "unexpected (non-JSON) success body from Vapi"};
          return r;
        }
      }
      r.ok = true;
      return r;
    } else {
      r.http_status = res->status;
      r.error = vapi_error{res->status, nest_message(res->status, res->body)};
      ambiguous = res->status >= 500;
    }
    if (!retryable(r.http_status) || r.attempts >= max_attempts) return r;
    if (ambiguous && !retry_ambiguous) return r;
    sleeper_(std::min(backoff, retry_.max_backoff));
    backoff = std::min(backoff * 2, retry_.max_backoff);
  }
}

response client::create_twilio_credential(const std::string& account_sid,
                                          const std::string& auth_token,
                                          const std::string& name) {
  json body{{"provider", "twilio"}, {"accountSid", account_sid}, {"authToken", auth_token}};
  if (!name.empty()) body["name"] = name;
  return send("POST", "/credential", &body);
}

namespace {
// DELETE of something already gone is done: deletes are idempotent from our side.
response gone_is_done(response r) {
  if (!r.ok && r.http_status == 404) {
    r.ok = true;
    r.error = {};
    r.body = nullptr;
  }
  return r;
}
}  // namespace

response client::delete_credential(const std::string& id) {
  return gone_is_done(send("DELETE", "/credential/" + path_segment(id), nullptr));
}

response client::import_twilio_number(const phone_number_import& n) {
  json body{{"provider", "twilio"},
            {"number", n.number},
            {"twilioAccountSid", n.twilio_account_sid},
            {"twilioAuthToken", n.twilio_auth_token}};
  if (!n.assistant_id.empty()) body["assistantId"] = n.assistant_id;
  if (!n.name.empty()) body["name"] = n.name;
  if (!n.server_url.empty()) body["server"] = json{{"url", n.server_url}};
  return send("POST", "/phone-number", &body);
}

response client::delete_phone_number(const std::string& id) {
  return gone_is_done(send("DELETE", "/phone-number/" + path_segment(id), nullptr));
}

response client::create_assistant(const json& assistant) {
  return send("POST", "/assistant", &assistant);
}

response client::get_assistant(const std::string& id) {
  return send("GET", "/assistant/" + path_segment(id), nullptr);
}

response client::merge_assistant(const std::string& id, const json& changes) {
  if (!changes.is_object() || changes.empty())
    return failure(0, "merge_assistant needs a non-empty JSON object of changes");
  response current = get_assistant(id);
  if (!current.ok) return current;
  if (!current.body.is_object())
    return failure(current.http_status, "Vapi's assistant " + id + " is not a JSON object");
  json merged = deep_merge(current.body, changes);
  json patch = json::object();
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    // A removed top-level key is sent as null (Vapi clears it); otherwise the whole merged value.
    patch[it.key()] = merged.contains(it.key()) ? merged[it.key()] : json(nullptr);
  }
  response r = send("PATCH", "/assistant/" + path_segment(id), &patch);
  r.attempts += current.attempts;
  return r;
}

response client::update_assistant(const std::string& id, const json& patch) {
  return send("PATCH", "/assistant/" + path_segment(id), &patch);
}

response client::create_tool(const json& tool) { return send("POST", "/tool", &tool); }

response client::update_tool(const std::string& id, const json& tool) {
  // A tool's type is fixed at creation (Vapi's update DTOs are per type and carry no `type`).
  json body = tool;
  if (body.is_object()) body.erase("type");
  return send("PATCH", "/tool/" + path_segment(id), &body);
}

response client::list_tools() { return send("GET", "/tool", nullptr); }

response client::create_call(const outbound_call& c) {
  json customer{{"number", c.customer_number}};
  if (!c.customer_name.empty()) customer["name"] = c.customer_name;
  json body{{"assistantId", c.assistant_id},
            {"phoneNumberId", c.phone_number_id},
            {"customer", customer}};
  if (c.variable_values.is_object() && !c.variable_values.empty())
    body["assistantOverrides"] = json{{"variableValues", c.variable_values}};
  return send("POST", "/call", &body, /*retry_ambiguous=*/false);
}

}  // namespace rm::vapi
