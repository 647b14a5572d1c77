#include "adapters/twilio/twilio_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

namespace rm::twilio {
namespace {

using nlohmann::json;

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
  auto j = json::parse(body, nullptr, false);
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
      return "Twilio rejected the clinic's credentials (wrong Account SID or Auth Token)";
    case 20429:
      return "Twilio is rate-limiting this account; try again in a moment";
    case 21211:
      return the_number + " is not a valid phone number";
    case 21212:
      return "the clinic's sending number is not a valid phone number";
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
      auto j = json::parse(res->body, nullptr, false);
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
  httplib::Client http(scheme_host_port);
  http.set_basic_auth(creds.account_sid, creds.auth_token);
  http.set_connection_timeout(timeout);
  http.set_read_timeout(timeout);
  http.set_write_timeout(timeout);
  auto res = http.Post(path, form_encode(fields), "application/x-www-form-urlencoded");
  if (!res) {
    out.error = twilio_error{0, 0, transport_message(res.error())};
  } else if (res->status >= 200 && res->status < 300) {
    out.body = json::parse(res->body, nullptr, false);
    out.ok = out.body.is_object();
    if (!out.ok) out.error = twilio_error{res->status, 0, "unexpected success body from Twilio"};
  } else {
    out.error = parse_error(res->status, res->body);
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

}  // namespace rm::twilio
