#include "adapters/twilio/twilio_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

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

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string percent_encode(const std::string& s, bool space_as_plus) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string form_unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];  // a stray '%' is kept as is rather than rejected
    }
  }
  return out;
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

std::string json_string(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// Accepts the legacy {"code","message",...} and the RFC 9457 {"title","detail",...} shapes.
twilio_error parse_error(int http_status, const std::string& body) {
  twilio_error e;
  e.http_status = http_status;
  auto j = parse_response(body);
  if (j.is_object()) {
    e.code = json_int(j, "code");
    e.message = json_string(j, "message");
    if (e.message.empty()) e.message = json_string(j, "detail");
    if (e.message.empty()) e.message = json_string(j, "title");
  }
  if (e.message.empty()) e.message = "HTTP " + std::to_string(http_status);
  return e;
}

// httplib 0.11 names its errors tersely ("Connection", "Read"); say what happened.
std::string transport_message(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection failed";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "no response (read failed or timed out)";
    case httplib::Error::Write:
      return "sending the request failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    default:
      return "transport error: " + httplib::to_string(error);
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

// First "+digits" token in Twilio's message, e.g. "The 'To' number +1500… is not valid".
std::string number_in(const std::string& message) {
  for (size_t i = 0; i + 1 < message.size(); ++i) {
    if (message[i] != '+' || !std::isdigit(static_cast<unsigned char>(message[i + 1]))) continue;
    size_t end = i + 1;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    return message.substr(i, end - i);
  }
  return {};
}

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += percent_encode(key, true) + '=' + percent_encode(value, true);
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

std::string describe(const twilio_error& e) {
  if (e.http_status == 0) {
    return "could not reach Twilio" + (e.message.empty() ? "" : " (" + e.message + ")");
  }
  std::string number = number_in(e.message);
  std::string the_number = number.empty() ? "the recipient's number" : "the number " + number;
  switch (e.code) {
    case 20003:
      return "Twilio rejected these credentials (wrong Account SID or Auth Token)";
    case 20404:
      return "Twilio has no such resource on this account (wrong SID, or already released)";
    case 20429:
      return "Twilio is rate-limiting this account; try again in a moment";
    case 21211:
      return the_number + " is not a valid phone number";
    case 21212:
      return "the clinic's sending number is not a valid phone number";
    case 21421:
      return "that phone number is not valid for purchase";
    case 21422:
      return "that number is no longer available";
    case 21451:
      return "that area code is not valid";
    case 21452:
      return "no numbers available in that area code";
    case 21408:
      return "the clinic's Twilio account is not permitted to send SMS to that country";
    case 21602:
      return "the message has no text";
    case 21604:
      return "no recipient number was given";
    case 21606:
      return "the clinic's sending number cannot send SMS (not owned by the account or not "
             "SMS-capable)";
    case 21610:
      return "the recipient has opted out of SMS (STOP)";
    case 21611:
      return "the clinic's sending number has too many queued messages; try again later";
    case 21612:
      return "Twilio cannot deliver SMS to " + the_number + " from the clinic's number";
    case 21614:
      return "that number cannot receive SMS (not a mobile number)";
    case 21617:
      return "the message is too long (over 1600 characters)";
    default:
      break;
  }
  std::string what = e.code != 0 ? "Twilio error " + std::to_string(e.code)
                                 : "Twilio answered HTTP " + std::to_string(e.http_status);
  return e.message.empty() ? what : what + ": " + e.message;
}

client::client(std::string base_url, retry_policy retry, std::chrono::milliseconds timeout,
               std::function<void(std::chrono::milliseconds)> sleeper)
    : base_url_(std::move(base_url)),
      retry_(retry),
      timeout_(timeout),
      sleeper_(std::move(sleeper)) {
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

sms_result client::send_sms(const credentials& creds, const sms_request& req) {
  sms_result result;
  auto [scheme_host_port, prefix] = split_base_url(base_url_);
  if (scheme_host_port.empty()) {
    result.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return result;
  }
  std::string path = prefix + "/2010-04-01/Accounts/" + percent_encode(creds.account_sid, false) +
                     "/Messages.json";
  std::vector<std::pair<std::string, std::string>> fields{
      {"To", req.to}, {"From", req.from}, {"Body", req.body}};
  if (!req.status_callback.empty()) fields.emplace_back("StatusCallback", req.status_callback);
  const std::string body = form_encode(fields);

  httplib::Client http(scheme_host_port);
  http.set_tcp_nodelay(true);
  http.set_basic_auth(creds.account_sid, creds.auth_token);
  http.set_connection_timeout(timeout_);
  http.set_read_timeout(timeout_);
  http.set_write_timeout(timeout_);

  const int max_attempts = std::max(1, retry_.max_attempts);
  auto backoff = retry_.first_backoff;
  while (true) {
    ++result.attempts;
    auto res = http.Post(path, body, "application/x-www-form-urlencoded");
    long long retry_after = -1;
    if (!res) {
      result.error = twilio_error{0, 0, transport_message(res.error())};
    } else if (res->status >= 200 && res->status < 300) {
      auto j = parse_response(res->body);
      result.sent.sid = j.is_object() ? json_string(j, "sid") : "";
      result.sent.status = j.is_object() ? json_string(j, "status") : "";
      if (!result.sent.sid.empty()) {
        result.ok = true;
        result.error = {};
        return result;
      }
      // Accepted but unreadable: do not retry, a retry could send the SMS twice.
      result.error = twilio_error{res->status, 0, "unexpected success body from Twilio"};
      return result;
    } else {
      result.error = parse_error(res->status, res->body);
      retry_after = retry_after_seconds(*res);
    }
    if (!retryable(result.error.http_status) || result.attempts >= max_attempts) return result;

    auto wait = backoff;
    if (retry_after >= 0) {
      // Compare in seconds first so a huge Retry-After cannot overflow.
      bool over_cap = retry_after > retry_.max_backoff.count() / 1000;
      wait = over_cap ? retry_.max_backoff : std::chrono::seconds(retry_after);
    }
    sleeper_(std::min(wait, retry_.max_backoff));
    backoff = std::min(backoff * 2, retry_.max_backoff);
  }
}

namespace {

// The outcome of one HTTP exchange with Twilio: a 2xx body parsed as JSON (or an empty body for
// 204), or a parsed error, plus the Retry-After hint for the retry loop.
struct exchange_result {
  bool ok = false;
  int http_status = 0;
  json body;
  twilio_error error;
  long long retry_after = -1;
};

httplib::Client make_http(const std::string& scheme_host_port, const credentials& creds,
                          std::chrono::milliseconds timeout) {
  httplib::Client http(scheme_host_port);
  http.set_tcp_nodelay(true);
  http.set_basic_auth(creds.account_sid, creds.auth_token);
  http.set_connection_timeout(timeout);
  http.set_read_timeout(timeout);
  http.set_write_timeout(timeout);
  return http;
}

// One request. `method` is GET, POST (form body) or DELETE; `path` includes any query string.
// A 2xx must carry a JSON object, except 204 (no body).
exchange_result exchange(httplib::Client& http, const std::string& method,
                         const std::string& path, const std::string& form_body = {}) {
  exchange_result out;
  httplib::Result res = method == "GET"      ? http.Get(path.c_str())
                        : method == "DELETE" ? http.Delete(path.c_str())
                                             : http.Post(path.c_str(), form_body,
                                                         "application/x-www-form-urlencoded");
  if (!res) {
    out.error = twilio_error{0, 0, transport_message(res.error())};
    return out;
  }
  out.http_status = res->status;
  if (res->status == 204 || (method == "DELETE" && res->status >= 200 && res->status < 300)) {
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

// Repeats `exchange` on 429, 5xx and transport failures with the client's backoff (Retry-After,
// when numeric, replaces the backoff, capped by max_backoff). Only for requests that are safe to
// repeat (GET). `attempts` counts the HTTP attempts.
exchange_result exchange_with_retry(httplib::Client& http, const std::string& path,
                                    const retry_policy& retry,
                                    const std::function<void(std::chrono::milliseconds)>& sleeper,
                                    int& attempts) {
  const int max_attempts = std::max(1, retry.max_attempts);
  auto backoff = retry.first_backoff;
  while (true) {
    ++attempts;
    exchange_result r = exchange(http, "GET", path);
    if (r.ok || !retryable(r.error.http_status) || attempts >= max_attempts) return r;
    auto wait = backoff;
    if (r.retry_after >= 0) {
      bool over_cap = r.retry_after > retry.max_backoff.count() / 1000;
      wait = over_cap ? retry.max_backoff : std::chrono::seconds(r.retry_after);
    }
    sleeper(std::min(wait, retry.max_backoff));
    backoff = std::min(backoff * 2, retry.max_backoff);
  }
}

// One POST of a form to an account resource, without retry; 2xx → parsed body.
struct single_post {
  bool ok = false;
  json body;
  twilio_error error;
};
single_post post_once(const std::string& base_url, std::chrono::milliseconds timeout,
                      const credentials& creds, const std::string& resource,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  single_post out;
  auto [scheme_host_port, prefix] = split_base_url(base_url);
  if (scheme_host_port.empty()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url};
    return out;
  }
  std::string path = prefix + "/2010-04-01/Accounts/" + percent_encode(creds.account_sid, false) +
                     "/" + resource;
  auto http = make_http(scheme_host_port, creds, timeout);
  auto r = exchange(http, "POST", path, form_encode(fields));
  out.ok = r.ok;
  out.body = std::move(r.body);
  out.error = r.error;
  return out;
}

std::string account_path(const std::string& prefix, const credentials& creds) {
  return prefix + "/2010-04-01/Accounts/" + percent_encode(creds.account_sid, false);
}

// "?A=1&B=2" from the non-empty values (RFC 3986 encoding, '+' → %2B), "" when none.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    q += (q.empty() ? '?' : '&') + percent_encode(key, false) + '=' + percent_encode(value, false);
  }
  return q;
}

bool json_bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

incoming_number parse_incoming_number(const json& j) {
  incoming_number n;
  n.sid = json_string(j, "sid");
  n.phone_number = json_string(j, "phone_number");
  n.friendly_name = json_string(j, "friendly_name");
  n.voice_url = json_string(j, "voice_url");  // null in Twilio's body when unset → ""
  n.sms_url = json_string(j, "sms_url");
  n.status_callback = json_string(j, "status_callback");
  return n;
}

// The URL fields of a purchase or update; methods are pinned to POST (our webhooks are POSTs).
void add_url_fields(std::vector<std::pair<std::string, std::string>>& fields,
                    const purchase_request& urls) {
  if (!urls.voice_url.empty()) {
    fields.emplace_back("VoiceUrl", urls.voice_url);
    fields.emplace_back("VoiceMethod", "POST");
  }
  if (!urls.sms_url.empty()) {
    fields.emplace_back("SmsUrl", urls.sms_url);
    fields.emplace_back("SmsMethod", "POST");
  }
  if (!urls.status_callback.empty()) {
    fields.emplace_back("StatusCallback", urls.status_callback);
    fields.emplace_back("StatusCallbackMethod", "POST");
  }
  if (!urls.friendly_name.empty()) fields.emplace_back("FriendlyName", urls.friendly_name);
}

// A 2xx incoming_phone_number body → number_result (no sid = unusable).
number_result to_number_result(const single_post& r, int http_status) {
  number_result out;
  out.error = r.error;
  if (r.ok) {
    out.number = parse_incoming_number(r.body);
    out.ok = !out.number.sid.empty() && !out.number.phone_number.empty();
    if (!out.ok)
      out.error = twilio_error{http_status, 0, "Twilio's phone number resource has no sid"};
  }
  return out;
}

}  // namespace

call_result client::create_call(const credentials& creds, const call_request& req) {
  std::vector<std::pair<std::string, std::string>> fields{
      {"To", req.to}, {"From", req.from}, {"Twiml", req.twiml}};
  if (!req.status_callback.empty()) fields.emplace_back("StatusCallback", req.status_callback);
  auto r = post_once(base_url_, timeout_, creds, "Calls.json", fields);
  call_result out;
  out.error = r.error;
  if (r.ok) {
    out.sid = json_string(r.body, "sid");
    out.status = json_string(r.body, "status");
    out.ok = !out.sid.empty();
    if (!out.ok) out.error = twilio_error{201, 0, "Twilio's call resource has no sid"};
  }
  return out;
}

caller_id_result client::create_caller_id(const credentials& creds,
                                          const caller_id_request& req) {
  std::vector<std::pair<std::string, std::string>> fields{{"PhoneNumber", req.phone_number}};
  if (!req.friendly_name.empty()) fields.emplace_back("FriendlyName", req.friendly_name);
  if (!req.status_callback.empty()) fields.emplace_back("StatusCallback", req.status_callback);
  auto r = post_once(base_url_, timeout_, creds, "OutgoingCallerIds.json", fields);
  caller_id_result out;
  out.error = r.error;
  if (r.ok) {
    out.validation_code = json_string(r.body, "validation_code");
    if (out.validation_code.empty() && r.body.contains("validation_code") &&
        r.body["validation_code"].is_number_integer())
      out.validation_code = std::to_string(r.body["validation_code"].get<long long>());
    out.call_sid = json_string(r.body, "call_sid");
    out.ok = !out.validation_code.empty();
    if (!out.ok) out.error = twilio_error{200, 0, "Twilio's validation request has no code"};
  }
  return out;
}

account_result client::fetch_account(const credentials& creds) {
  account_result out;
  auto [scheme_host_port, prefix] = split_base_url(base_url_);
  if (scheme_host_port.empty()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  auto http = make_http(scheme_host_port, creds, timeout_);
  int attempts = 0;
  auto r = exchange_with_retry(http, account_path(prefix, creds) + ".json", retry_, sleeper_,
                               attempts);
  out.error = r.error;
  if (r.ok) {
    // The body also carries the account's auth_token: deliberately not read.
    out.account.sid = json_string(r.body, "sid");
    out.account.friendly_name = json_string(r.body, "friendly_name");
    out.account.status = json_string(r.body, "status");
    out.account.type = json_string(r.body, "type");
    out.ok = !out.account.sid.empty();
    if (!out.ok) out.error = twilio_error{r.http_status, 0, "Twilio's account resource has no sid"};
  }
  return out;
}

available_result client::search_available(const credentials& creds, const available_search& q) {
  available_result out;
  auto [scheme_host_port, prefix] = split_base_url(base_url_);
  if (scheme_host_port.empty()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  std::string path = account_path(prefix, creds) + "/AvailablePhoneNumbers/" +
                     percent_encode(q.country.empty() ? "US" : q.country, false) + "/Local.json" +
                     query_string({{"AreaCode", q.area_code},
                                   {"Contains", q.contains},
                                   {"PageSize", q.page_size > 0
                                                    ? std::to_string(std::min(q.page_size, 1000))
                                                    : ""}});
  auto http = make_http(scheme_host_port, creds, timeout_);
  int attempts = 0;
  auto r = exchange_with_retry(http, path, retry_, sleeper_, attempts);
  out.error = r.error;
  if (!r.ok) return out;
  auto list = r.body.find("available_phone_numbers");
  if (list == r.body.end() || !list->is_array()) {
    out.error = twilio_error{r.http_status, 0, "Twilio's answer has no available_phone_numbers"};
    return out;
  }
  for (const auto& item : *list) {
    if (!item.is_object()) continue;
    available_number n;
    n.phone_number = json_string(item, "phone_number");
    n.friendly_name = json_string(item, "friendly_name");
    n.locality = json_string(item, "locality");
    n.region = json_string(item, "region");
    n.iso_country = json_string(item, "iso_country");
    auto caps = item.find("capabilities");
    if (caps != item.end() && caps->is_object()) {
      // Twilio's capability keys are lower case here ("voice"), upper case in older bodies.
      n.voice = json_bool(*caps, "voice") || json_bool(*caps, "Voice");
      n.sms = json_bool(*caps, "sms") || json_bool(*caps, "SMS");
      n.mms = json_bool(*caps, "mms") || json_bool(*caps, "MMS");
    }
    if (!n.phone_number.empty()) out.numbers.push_back(std::move(n));
  }
  out.ok = true;
  out.error = {};
  return out;
}

number_result client::purchase_number(const credentials& creds, const purchase_request& req) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (!req.phone_number.empty()) {
    fields.emplace_back("PhoneNumber", req.phone_number);
  } else {
    fields.emplace_back("AreaCode", req.area_code);
  }
  add_url_fields(fields, req);
  return to_number_result(post_once(base_url_, timeout_, creds, "IncomingPhoneNumbers.json", fields),
                          201);
}

number_list_result client::list_numbers(const credentials& creds,
                                        const std::string& phone_number) {
  number_list_result out;
  auto [scheme_host_port, prefix] = split_base_url(base_url_);
  if (scheme_host_port.empty()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  auto http = make_http(scheme_host_port, creds, timeout_);
  std::string path = account_path(prefix, creds) + "/IncomingPhoneNumbers.json" +
                     query_string({{"PhoneNumber", phone_number}});
  // A misbehaving server must not keep us paging forever: 1000 pages of 50 is far beyond any
  // clinic's account.
  constexpr int max_pages = 1000;
  while (true) {
    int attempts = 0;
    auto r = exchange_with_retry(http, path, retry_, sleeper_, attempts);
    if (!r.ok) {
      out.error = r.error;
      return out;
    }
    ++out.pages;
    auto list = r.body.find("incoming_phone_numbers");
    if (list == r.body.end() || !list->is_array()) {
      out.error = twilio_error{r.http_status, 0, "Twilio's answer has no incoming_phone_numbers"};
      return out;
    }
    for (const auto& item : *list) {
      if (item.is_object()) out.numbers.push_back(parse_incoming_number(item));
    }
    std::string next = json_string(r.body, "next_page_uri");  // null on the last page
    if (next.empty()) break;
    // next_page_uri is relative to the API host ("/2010-04-01/…"). Should it ever be absolute,
    // only its path is used: the tenant's credentials go to the configured host only.
    if (auto scheme = next.find("://"); scheme != std::string::npos) {
      auto slash = next.find('/', scheme + 3);
      next = slash == std::string::npos ? std::string{} : next.substr(slash);
    }
    if (next.empty() || next[0] != '/' || prefix + next == path) {
      out.error = twilio_error{r.http_status, 0, "Twilio's next_page_uri is unusable: " +
                                                     json_string(r.body, "next_page_uri")};
      return out;
    }
    if (out.pages >= max_pages) {
      out.error = twilio_error{r.http_status, 0, "more than 1000 pages of phone numbers"};
      return out;
    }
    path = prefix + next;
  }
  out.ok = true;
  return out;
}

number_result client::update_number_urls(const credentials& creds, const std::string& pn_sid,
                                         const purchase_request& urls) {
  std::vector<std::pair<std::string, std::string>> fields;
  add_url_fields(fields, urls);
  return to_number_result(post_once(base_url_, timeout_, creds,
                                    "IncomingPhoneNumbers/" + percent_encode(pn_sid, false) +
                                        ".json",
                                    fields),
                          200);
}

release_result client::release_number(const credentials& creds, const std::string& pn_sid) {
  release_result out;
  auto [scheme_host_port, prefix] = split_base_url(base_url_);
  if (scheme_host_port.empty()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  auto http = make_http(scheme_host_port, creds, timeout_);
  auto r = exchange(http, "DELETE",
                    account_path(prefix, creds) + "/IncomingPhoneNumbers/" +
                        percent_encode(pn_sid, false) + ".json");
  // 404 with 20404: no such number on the account any more — the release already happened. A
  // bare 404 (wrong base URL, a proxy) is not taken as proof: the number may still be billed.
  out.ok = r.ok || (r.http_status == 404 && r.error.code == 20404);
  if (!out.ok) out.error = r.error;
  return out;
}

}  // namespace rm::twilio
