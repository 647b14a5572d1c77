// twilio_http.hpp: encoding, error parsing, one exchange and the one retry loop.
#include "adapters/http/url_codec.hpp"
#include "adapters/twilio/twilio_http.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "adapters/json/json_guard.hpp"

namespace rm::twilio {
namespace {

using nlohmann::json;

// A provider's response body under the same limits as a request body (json_guard: depth 64,
// UTF-8, NUL removed); discarded when refused, like json::parse(text, nullptr, false).
json parse_response(const std::string& text) {
  auto p = json_guard::parse(text);
  return p.ok() ? std::move(p.value) : json(json::value_t::discarded);
}

std::string form_unescape(const std::string& s) {
  return http::percent_decode(s, /*plus_as_space=*/true);  // a stray '%' is kept as is
}

// "scheme://host[:port][/prefix]" → ("scheme://host[:port]", "/prefix"); httplib takes no path.
// An empty first part means the URL is unusable.
std::pair<std::string, std::string> split_base_url(const std::string& base_url) {
  auto scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos) return {};
  auto path_start = base_url.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return {base_url, ""};
  std::string prefix = base_url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {base_url.substr(0, path_start), prefix};
}

int json_int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int>();
  if (it->is_string()) {
    try {
      return std::stoi(it->get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

// Accepts the legacy {"code","message",...} and the RFC 9457 {"title","detail",...} shapes.
twilio_error parse_error(int http_status, const std::string& body) {
  twilio_error e;
  e.http_status = http_status;
  auto j = parse_response(body);
  if (j.is_object()) {
    e.code = json_int(j, "code");
    e.message = detail::json_string(j, "message");
    if (e.message.empty()) e.message = detail::json_string(j, "detail");
    if (e.message.empty()) e.message = detail::json_string(j, "title");
  }
  if (e.message.empty()) e.message = "HTTP " + std::to_string(http_status);
  return e;
}

// httplib 0.11 names its errors tersely ("Connection", "Read"); say what happened.
std::string transport_message(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection: return "connection failed";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "no response (read failed or timed out)";
    case httplib::Error::Write: return "sending the request failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "TLS certificate verification failed";
    default: return "transport error: " + httplib::to_string(error);
  }
}

bool retryable(int http_status) {
  return http_status == 0 || http_status == 429 || http_status >= 500;
}

// A numeric Retry-After in seconds, or -1 (HTTP-date forms are ignored).
long long retry_after_seconds(const httplib::Response& res) {
  auto value = res.get_header_value("Retry-After");
  auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
  if (value.empty() || !std::all_of(value.begin(), value.end(), digit)) return -1;
  try {
    return std::stoll(value);
  } catch (const std::exception&) {
    return -1;
  }
}

// A 2xx must carry a JSON object, except 204 and DELETE (no body needed).
detail::exchange_result to_exchange(const httplib::Result& res, bool is_delete) {
  detail::exchange_result out;
  if (!res) {
    out.error = twilio_error{0, 0, transport_message(res.error())};
    return out;
  }
  out.http_status = res->status;
  if (res->status == 204 || (is_delete && res->status >= 200 && res->status < 300)) {
    out.ok = true;
  } else if (res->status >= 200 && res->status < 300) {
    out.body = parse_response(res->body);
    out.ok = out.body.is_object();
    if (!out.ok) out.error = twilio_error{res->status, 0, "unexpected success body from Twilio"};
  } else {
    out.error = parse_error(res->status, res->body);
    out.retry_after = retry_after_seconds(*res);
  }
  return out;
}

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += detail::percent_encode(key, true) + '=' + detail::percent_encode(value, true);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> form_decode(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string part = body.substr(start, end - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string::npos) {
        fields.emplace_back(form_unescape(part), "");
      } else {
        fields.emplace_back(form_unescape(part.substr(0, eq)), form_unescape(part.substr(eq + 1)));
      }
    }
    start = end + 1;
  }
  return fields;
}

namespace detail {

std::string percent_encode(const std::string& s, bool space_as_plus) {
  return http::percent_encode(s, space_as_plus);
}

std::string query_string(const fields& params) {
  std::string q;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    q += (q.empty() ? '?' : '&') + percent_encode(key, false) + '=' + percent_encode(value, false);
  }
  return q;
}

std::string json_string(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool json_bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

account_http::account_http(const std::string& base_url, const credentials& creds,
                           std::chrono::milliseconds timeout)
    : base_url_(base_url), account_sid_(creds.account_sid) {
  auto [scheme_host_port, prefix] = split_base_url(base_url);
  prefix_ = prefix;
  if (scheme_host_port.empty()) return;
  http_ = std::make_unique<httplib::Client>(scheme_host_port);
  http_->set_tcp_nodelay(true);
  http_->set_basic_auth(creds.account_sid, creds.auth_token);
  http_->set_connection_timeout(timeout);
  http_->set_read_timeout(timeout);
  http_->set_write_timeout(timeout);
}

account_http::~account_http() = default;

std::string account_http::account_path() const {
  return prefix_ + "/2010-04-01/Accounts/" + percent_encode(account_sid_, false);
}

exchange_result account_http::get(const std::string& path) {
  if (!http_) return {false, 0, {}, twilio_error{0, 0, "invalid base URL " + base_url_}, -1};
  return to_exchange(http_->Get(path.c_str()), false);
}

exchange_result account_http::post(const std::string& path, const fields& form) {
  if (!http_) return {false, 0, {}, twilio_error{0, 0, "invalid base URL " + base_url_}, -1};
  return to_exchange(
      http_->Post(path.c_str(), form_encode(form), "application/x-www-form-urlencoded"), false);
}

exchange_result account_http::del(const std::string& path) {
  if (!http_) return {false, 0, {}, twilio_error{0, 0, "invalid base URL " + base_url_}, -1};
  return to_exchange(http_->Delete(path.c_str()), true);
}

exchange_result with_retry(const retry_policy& retry,
                           const std::function<void(std::chrono::milliseconds)>& sleeper,
                           int& attempts, const std::function<exchange_result()>& attempt) {
  const int max_attempts = std::max(1, retry.max_attempts);
  auto backoff = retry.first_backoff;
  while (true) {
    ++attempts;
    exchange_result r = attempt();
    if (r.ok || !retryable(r.error.http_status) || attempts >= max_attempts) return r;
    auto wait = backoff;
    if (r.retry_after >= 0) {
      // Compare in seconds first so a huge Retry-After cannot overflow.
      bool over_cap = r.retry_after > retry.max_backoff.count() / 1000;
      wait = over_cap ? retry.max_backoff : std::chrono::seconds(r.retry_after);
    }
    sleeper(std::min(wait, retry.max_backoff));
    backoff = std::min(backoff * 2, retry.max_backoff);
  }
}

bool list_pages(account_http& http, const retry_policy& retry,
                const std::function<void(std::chrono::milliseconds)>& sleeper,
                std::string path, const char* list_key,
                const std::function<void(const json&)>& on_item, twilio_error& error,
                int& pages) {
  const auto& prefix = http.prefix();
  // A misbehaving server must not keep us paging forever: 1000 pages of 50 is far beyond any
  // clinic's account.
  constexpr int max_pages = 1000;
  while (true) {
    int attempts = 0;
    auto r = with_retry(retry, sleeper, attempts, [&] { return http.get(path); });
    if (!r.ok) {
      error = r.error;
      return false;
    }
    ++pages;
    auto list = r.body.find(list_key);
    if (list == r.body.end() || !list->is_array()) {
      error = twilio_error{r.http_status, 0, std::string("Twilio's answer has no ") + list_key};
      return false;
    }
    for (const auto& item : *list)
      if (item.is_object()) on_item(item);
    std::string next = json_string(r.body, "next_page_uri");  // null on the last page
    if (next.empty()) return true;
    // next_page_uri is relative to the API host ("/2010-04-01/…"). Should it ever be absolute,
    // only its path is used: the tenant's credentials go to the configured host only.
    if (auto scheme = next.find("://"); scheme != std::string::npos) {
      auto slash = next.find('/', scheme + 3);
      next = slash == std::string::npos ? std::string{} : next.substr(slash);
    }
    if (next.empty() || next[0] != '/' || prefix + next == path) {
      error = twilio_error{r.http_status, 0, "Twilio's next_page_uri is unusable: " +
                                                 json_string(r.body, "next_page_uri")};
      return false;
    }
    if (pages >= max_pages) {
      error = twilio_error{r.http_status, 0,
                           std::string("more than 1000 pages of ") + list_key};
      return false;
    }
    path = prefix + next;
  }
}

}  // namespace detail
}  // namespace rm::twilio
