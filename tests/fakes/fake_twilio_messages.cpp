#include "tests/fakes/fake_twilio_messages.hpp"

#include <cctype>
#include <ctime>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

#include "adapters/http/url_codec.hpp"

namespace rm::fakes {
namespace {

using nlohmann::json;

// twilio.md §4, "SMS From": these apply whatever the mode.
const std::map<std::string, fake_error> magic_from = {
    {"+15005550001",
     {400, 21212,
      "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric "
      "sender ID."}},
    {"+15005550007",
     {400, 21606,
      "The 'From' phone number provided is not a valid, message-capable Twilio phone number "
      "for this destination."}},
    {"+15005550008",
     {400, 21611, "This 'From' number has exceeded the maximum number of queued messages."}},
};
const char* const magic_from_ok = "+15005550006";

// twilio.md §4, "SMS To".
const std::map<std::string, fake_error> magic_to = {
    {"+15005550001", {400, 21211, "The 'To' number +15005550001 is not a valid phone number."}},
    {"+15005550002",
     {400, 21612, "The 'To' phone number: +15005550002, is not currently reachable via SMS."}},
    {"+15005550003",
     {400, 21408,
      "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
      "number: +15005550003."}},
    {"+15005550004", {400, 21610, "Attempt to send to unsubscribed recipient"}},
    {"+15005550009", {400, 21614, "'To' number +15005550009 is not a valid mobile number"}},
};

bool is_e164(const std::string& s) {
  if (s.size() < 9 || s.size() > 16 || s[0] != '+' || s[1] == '0') return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// GSM-7 (approximated as ASCII) packs 160/153 characters per segment, UCS-2 70/67.
int num_segments(const std::string& body) {
  size_t units = 0;
  bool ucs2 = false;
  for (size_t i = 0; i < body.size(); ++i) {
    auto c = static_cast<unsigned char>(body[i]);
    if (c >= 0x80) ucs2 = true;
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    units += (c >= 0xF0) ? 2 : 1;      // outside the BMP: a UTF-16 surrogate pair
  }
  size_t single = ucs2 ? 70 : 160, multi = ucs2 ? 67 : 153;
  if (units <= single) return 1;
  return static_cast<int>((units + multi - 1) / multi);
}

std::string new_message_sid() { return new_sid("SM"); }

// twilio.md §4, "Calls To".
const std::map<std::string, fake_error> magic_call_to = {
    {"+15005550001", {400, 21217, "Phone number does not appear to be valid"}},
    {"+15005550002", {400, 21214, "'To' phone number cannot be reached"}},
    {"+15005550003", {400, 21215, "Account not authorized to call +15005550003"}},
    {"+15005550004", {400, 21216, "Account not allowed to call +15005550004"}},
};

// "Sun, 25 Mar 2018 09:53:19 +0000" → epoch seconds (the fake writes only +0000); -1 if not.
long long epoch_of_rfc2822(const std::string& text) {
  std::tm tm{};
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) return -1;
  return static_cast<long long>(timegm(&tm));
}

// A DateSent bound: "YYYY-MM-DD" (a day: [start, end of day]) or "YYYY-MM-DDThh:mm:ssZ".
struct bound {
  long long first = 0, last = 0;  // the instants the bound stands for, inclusive
};
std::optional<bound> parse_bound(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (!end) return std::nullopt;
  if (*end == '\0') {
    auto day = static_cast<long long>(timegm(&tm));
    return bound{day, day + 86399};
  }
  end = strptime(end, "T%H:%M:%S", &tm);
  if (!end || (std::strcmp(end, "Z") != 0 && std::strcmp(end, "+00:00") != 0))
    return std::nullopt;
  auto at = static_cast<long long>(timegm(&tm));
  return bound{at, at};
}

std::string param(const std::multimap<std::string, std::string>& params, const char* key) {
  auto it = params.find(key);
  return it == params.end() ? std::string{} : it->second;
}

}  // namespace

fake_list_reply message_list(const json& accepted, const std::string& account_sid,
                             const std::multimap<std::string, std::string>& params) {
  const auto to = param(params, "To"), from = param(params, "From");
  std::optional<bound> on, after, before;
  for (auto [key, slot] : {std::pair<const char*, std::optional<bound>*>{"DateSent", &on},
                           {"DateSent>", &after}, {"DateSent<", &before}}) {
    auto text = param(params, key);
    if (text.empty()) continue;
    *slot = parse_bound(text);
    if (!*slot)
      return {400, error_body({400, 20001, "Invalid " + std::string(key) + ": " + text})};
  }
  int page_size = 50, page = 0;
  try {
    if (auto t = param(params, "PageSize"); !t.empty()) page_size = std::stoi(t);
    if (auto t = param(params, "Page"); !t.empty()) page = std::stoi(t);
  } catch (const std::exception&) {
    return {400, error_body({400, 20001, "Invalid PageSize or Page"})};
  }
  if (page_size < 1 || page_size > 1000 || page < 0)
    return {400, error_body({400, 20001, "Invalid PageSize or Page"})};
  json matching = json::array();
  for (auto it = accepted.rbegin(); it != accepted.rend(); ++it) {  // newest first
    const auto& m = *it;
    if (m.value("account_sid", "") != account_sid) continue;
    if (!to.empty() && m.value("to", "") != to) continue;
    if (!from.empty() && m.value("from", "") != from) continue;
    const auto sent = epoch_of_rfc2822(m.value("date_created", ""));
    if (on && (sent < on->first || sent > on->last)) continue;
    if (after && sent < after->first) continue;
    if (before && sent > before->last) continue;
    json listed = m;
    listed["status"] = "sent";
    listed["date_sent"] = m.value("date_created", "");
    matching.push_back(std::move(listed));
  }
  // The paging URIs repeat the filters (percent-encoded), as Twilio's do.

  std::string base = "/2010-04-01/Accounts/" + account_sid + "/Messages.json?";
  std::string filters;
  for (const char* key : {"To", "From", "DateSent", "DateSent>", "DateSent<"}) {
    auto v = param(params, key);
    if (!v.empty())
      filters += rm::http::percent_encode(key) + "=" + rm::http::percent_encode(v) + "&";
  }
  auto uri_of = [&](int p) {
    return base + filters + "PageSize=" + std::to_string(page_size) + "&Page=" + std::to_string(p);
  };
  const std::size_t start = static_cast<std::size_t>(page) * page_size;
  json items = json::array();
  for (std::size_t i = start; i < matching.size() && i < start + page_size; ++i)
    items.push_back(matching[i]);
  const bool more = start + page_size < matching.size();
  json body{{"messages", items},
            {"page", page},
            {"page_size", page_size},
            {"start", start},
            {"end", items.empty() ? start : start + items.size() - 1},
            {"uri", uri_of(page)},
            {"first_page_uri", uri_of(0)},
            {"next_page_uri", more ? json(uri_of(page + 1)) : json(nullptr)},
            {"previous_page_uri", page > 0 ? json(uri_of(page - 1)) : json(nullptr)}};
  return {200, body};
}

std::string rfc2822_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string new_sid(const char* prefix) {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  static const char hex[] = "0123456789abcdef";
  std::string sid = prefix;
  for (int i = 0; i < 32; ++i) sid += hex[rng() % 16];
  return sid;
}

std::optional<fake_error> check_call(const std::string* from, const std::string* to,
                                     const std::string* twiml, const std::string* url,
                                     bool enforce_magic_from) {
  if (!to || to->empty()) return fake_error{400, 21201, "No 'To' number is specified"};
  if (!from || from->empty()) return fake_error{400, 21213, "No 'From' number is specified"};
  if ((!twiml || twiml->empty()) && (!url || url->empty()))
    return fake_error{400, 21205, "Url parameter is required."};
  if (*from == "+15005550001")
    return fake_error{400, 21212, "The 'From' number +15005550001 is not a valid phone number"};
  if ((enforce_magic_from && *from != magic_from_ok) || !is_e164(*from))
    return fake_error{400, 21210, "The source phone number provided, " + *from +
                                      ", is not yet verified for your account."};
  if (auto it = magic_call_to.find(*to); it != magic_call_to.end()) return it->second;
  if (!is_e164(*to)) return fake_error{400, 21217, "Phone number does not appear to be valid"};
  return std::nullopt;
}

json call_resource(const std::string& account_sid, const std::string& from,
                   const std::string& to) {
  const std::string sid = new_sid("CA");
  const std::string now = rfc2822_now();
  return {{"account_sid", account_sid}, {"answered_by", nullptr},
          {"api_version", "2010-04-01"}, {"caller_name", nullptr},
          {"date_created", now},        {"date_updated", now},
          {"direction", "outbound-api"}, {"duration", nullptr},
          {"end_time", nullptr},        {"from", from},
          {"from_formatted", from},     {"parent_call_sid", nullptr},
          {"phone_number_sid", nullptr}, {"price", nullptr},
          {"price_unit", "USD"},        {"sid", sid},
          {"start_time", nullptr},      {"status", "queued"},
          {"to", to},                   {"to_formatted", to},
          {"uri", "/2010-04-01/Accounts/" + account_sid + "/Calls/" + sid + ".json"}};
}

json caller_id_validation(const std::string& account_sid, const std::string& phone_number,
                          const std::string& friendly_name) {
  static std::mutex mutex;
  static std::mt19937 rng{std::random_device{}()};
  std::string code;
  {
    std::lock_guard<std::mutex> lock(mutex);
    code = std::to_string(100000 + rng() % 900000);
  }
  return {{"account_sid", account_sid},
          {"call_sid", new_sid("CA")},
          {"friendly_name", friendly_name.empty() ? phone_number : friendly_name},
          {"phone_number", phone_number},
          {"validation_code", code}};
}

json error_body(const fake_error& e) {
  return {{"code", e.code},
          {"message", e.message},
          {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(e.code)},
          {"status", e.http_status}};
}

std::optional<fake_error> check_sms(const std::string* from, const std::string* to,
                                    const std::string* body, bool enforce_magic_from) {
  if (!to || to->empty()) return fake_error{400, 21604, "A 'To' phone number is required."};
  if (!from || from->empty()) return fake_error{400, 21603, "A 'From' phone number is required."};
  if (!body || body->empty()) return fake_error{400, 21602, "Message body is required."};
  if (body->size() > 1600) {
    return fake_error{400, 21617,
                      "The concatenated message body exceeds the 1600 character limit."};
  }
  if (auto it = magic_from.find(*from); it != magic_from.end()) return it->second;
  if (enforce_magic_from && *from != magic_from_ok) return magic_from.at("+15005550007");
  if (!is_e164(*from)) {
    return fake_error{400, 21212, "The 'From' number " + *from + " is not a valid phone number."};
  }
  if (auto it = magic_to.find(*to); it != magic_to.end()) return it->second;
  if (!is_e164(*to)) {
    return fake_error{400, 21211, "The 'To' number " + *to + " is not a valid phone number."};
  }
  return std::nullopt;
}

json message_resource(const std::string& account_sid, const std::string& from,
                      const std::string& to, const std::string& body) {
  const std::string sid = new_message_sid();
  const std::string uri = "/2010-04-01/Accounts/" + account_sid + "/Messages/" + sid;
  const std::string now = rfc2822_now();
  return {{"account_sid", account_sid},
          {"api_version", "2010-04-01"},
          {"body", body},
          {"date_created", now},
          {"date_sent", nullptr},
          {"date_updated", now},
          {"direction", "outbound-api"},
          {"error_code", nullptr},
          {"error_message", nullptr},
          {"from", from},
          {"messaging_service_sid", nullptr},
          {"num_media", "0"},
          {"num_segments", std::to_string(num_segments(body))},
          {"price", nullptr},
          {"price_unit", "USD"},
          {"sid", sid},
          {"status", "queued"},
          {"subresource_uris", {{"media", uri + "/Media.json"}}},
          {"to", to},
          {"uri", uri + ".json"}};
}

}  // namespace rm::fakes
