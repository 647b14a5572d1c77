#include "tests/fakes/fake_twilio_numbers.hpp"

#include <algorithm>
#include <cctype>

#include "adapters/http/url_codec.hpp"
#include "tests/fakes/fake_twilio_messages.hpp"

namespace rm::fakes {
namespace {

using nlohmann::json;

const std::string* param(const fake_params& params, const std::string& key) {
  auto it = params.find(key);
  return it == params.end() ? nullptr : &it->second;
}

fake_reply error_reply(int status, int code, const std::string& message) {
  return {status, error_body({status, code, message})};
}

fake_reply not_found(const std::string& path) {
  return error_reply(404, 20404, "The requested resource " + path + " was not found");
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A North American area code: three digits, the first 2–9.
bool valid_area_code(const std::string& s) { return s.size() == 3 && all_digits(s) && s[0] >= '2'; }

bool is_e164(const std::string& s) {
  return s.size() >= 9 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
         all_digits(s.substr(1));
}

// "+14155550100" → "(415) 555-0100", Twilio's default friendly name for NANP numbers.
std::string friendly(const std::string& e164) {
  if (e164.size() != 12 || e164.compare(0, 2, "+1") != 0) return e164;
  return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
}

// The offer of an area code: +1 NPA 555 0100 … 0199 (see the header).
bool in_regular_offer(const std::string& e164) {
  if (e164.size() != 12 || e164.compare(0, 2, "+1") != 0 || !all_digits(e164.substr(1)))
    return false;
  const std::string npa = e164.substr(2, 3);
  return valid_area_code(npa) && npa != "500" && npa != "533" &&
         e164.compare(5, 5, "55501") == 0;
}

struct place {
  const char* locality;
  const char* region;
  const char* lata;
  const char* rate_center;
  const char* postal_code;
  const char* latitude;
  const char* longitude;
};
place place_of(const std::string& npa) {
  static const std::map<std::string, place> known = {
      {"212", {"New York", "NY", "132", "NWYRCYZN01", "10001", "40.750000", "-73.997000"}},
      {"415", {"San Francisco", "CA", "722", "SNFC CNTRL", "94105", "37.790000", "-122.400000"}},
      {"617", {"Boston", "MA", "128", "BOSTON", "02108", "42.358000", "-71.060000"}},
      {"808", {"Hilo", "HI", "834", "HILO", "96720", "19.720000", "-155.090000"}},
  };
  auto it = known.find(npa);
  if (it != known.end()) return it->second;
  return {"Springfield", "IL", "976", "SPRINGFIELD", "62701", "39.800000", "-89.650000"};
}

// Twilio's Contains: digits, '*' (any one digit) and letters (phone keypad).
char keypad_digit(char c) {
  static const char* keys = "22233344455566677778889999";
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'z' ? keys[c - 'a'] : c;
}
bool contains_pattern(const std::string& e164, const std::string& pattern) {
  if (pattern.empty()) return true;
  const std::string digits = e164.substr(1);
  for (size_t start = 0; start + pattern.size() <= digits.size(); ++start) {
    bool match = true;
    for (size_t i = 0; i < pattern.size() && match; ++i) {
      char p = keypad_digit(pattern[i]);
      match = p == '*' || p == digits[start + i];
    }
    if (match) return true;
  }
  return false;
}

json available_resource(const std::string& e164) {
  const std::string npa = e164.substr(2, 3);
  const place p = place_of(npa);
  return {{"friendly_name", friendly(e164)},
          {"phone_number", e164},
          {"lata", p.lata},
          {"locality", p.locality},
          {"rate_center", p.rate_center},
          {"latitude", p.latitude},
          {"longitude", p.longitude},
          {"region", p.region},
          {"postal_code", p.postal_code},
          {"iso_country", "US"},
          {"address_requirements", "none"},
          {"beta", false},
          {"capabilities", {{"voice", true}, {"sms", true}, {"mms", true}, {"fax", false}}}};
}

json incoming_resource(const std::string& account_sid, const std::string& e164,
                       const std::string& friendly_name) {
  const std::string sid = new_sid("PN");
  const std::string now = rfc2822_now();
  return {{"account_sid", account_sid},
          {"address_requirements", "none"},
          {"address_sid", nullptr},
          {"api_version", "2010-04-01"},
          {"beta", false},
          {"capabilities", {{"voice", true}, {"sms", true}, {"mms", true}, {"fax", false}}},
          {"date_created", now},
          {"date_updated", now},
          {"emergency_status", "Inactive"},
          {"emergency_address_sid", nullptr},
          {"emergency_address_status", "unregistered"},
          {"friendly_name", friendly_name.empty() ? friendly(e164) : friendly_name},
          {"identity_sid", nullptr},
          {"origin", "twilio"},
          {"phone_number", e164},
          {"sid", sid},
          {"sms_application_sid", ""},
          {"sms_fallback_method", "POST"},
          {"sms_fallback_url", ""},
          {"sms_method", "POST"},
          {"sms_url", ""},
          {"status_callback", ""},
          {"status_callback_method", "POST"},
          {"trunk_sid", nullptr},
          {"uri", "/2010-04-01/Accounts/" + account_sid + "/IncomingPhoneNumbers/" + sid + ".json"},
          {"voice_application_sid", ""},
          {"voice_caller_id_lookup", false},
          {"voice_fallback_method", "POST"},
          {"voice_fallback_url", nullptr},
          {"voice_method", "POST"},
          {"voice_url", nullptr},
          {"bundle_sid", nullptr},
          {"voice_receive_mode", "voice"},
          {"status", "in-use"},
          {"type", "local"}};
}

// Form field → resource field for purchase and update. Methods must be GET or POST; URLs
// http(s) (Twilio: 21402 "Url is not a valid URL", 21403 invalid method).
struct settable {
  const char* form;
  const char* field;
  bool is_method;
};
const settable settable_fields[] = {
    {"FriendlyName", "friendly_name", false},
    {"VoiceUrl", "voice_url", false},
    {"VoiceMethod", "voice_method", true},
    {"VoiceFallbackUrl", "voice_fallback_url", false},
    {"VoiceFallbackMethod", "voice_fallback_method", true},
    {"SmsUrl", "sms_url", false},
    {"SmsMethod", "sms_method", true},
    {"SmsFallbackUrl", "sms_fallback_url", false},
    {"SmsFallbackMethod", "sms_fallback_method", true},
    {"StatusCallback", "status_callback", false},
    {"StatusCallbackMethod", "status_callback_method", true},
};

std::optional<fake_reply> check_settable(const fake_params& form) {
  for (const auto& f : settable_fields) {
    const std::string* value = param(form, f.form);
    if (!value || value->empty() || std::string(f.form) == "FriendlyName") continue;
    if (f.is_method && *value != "GET" && *value != "POST")
      return error_reply(400, 21403, std::string(f.form) + " must be GET or POST");
    if (!f.is_method && value->rfind("http://", 0) != 0 && value->rfind("https://", 0) != 0)
      return error_reply(400, 21402, std::string(f.form) + " is not a valid URL: " + *value);
  }
  return std::nullopt;
}

void apply_settable(json& number, const fake_params& form) {
  for (const auto& f : settable_fields) {
    if (const std::string* value = param(form, f.form)) number[f.field] = *value;
  }
  number["date_updated"] = rfc2822_now();
}

// A positive integer query parameter, or `fallback` when absent; -1 when malformed.
int int_param(const fake_params& q, const std::string& key, int fallback) {
  const std::string* v = param(q, key);
  if (!v) return fallback;
  if (!all_digits(*v) || v->size() > 6) return -1;
  return std::stoi(*v);
}

}  // namespace

json number_inventory::account_resource(const std::string& account_sid,
                                        const std::string& auth_token,
                                        const std::string& status) const {
  const std::string base = "/2010-04-01/Accounts/" + account_sid;
  json subresources = json::object();
  for (const char* name : {"available_phone_numbers", "calls", "incoming_phone_numbers",
                           "messages", "outgoing_caller_ids"}) {
    static const std::map<std::string, std::string> path = {
        {"available_phone_numbers", "AvailablePhoneNumbers"},
        {"calls", "Calls"},
        {"incoming_phone_numbers", "IncomingPhoneNumbers"},
        {"messages", "Messages"},
        {"outgoing_caller_ids", "OutgoingCallerIds"}};
    subresources[name] = base + "/" + path.at(name) + ".json";
  }
  return {{"auth_token", auth_token},
          {"date_created", "Thu, 30 Jul 2015 20:00:00 +0000"},
          {"date_updated", "Thu, 30 Jul 2015 20:00:00 +0000"},
          {"friendly_name", "Fake account " + account_sid.substr(0, 8)},
          {"owner_account_sid", account_sid},
          {"sid", account_sid},
          {"status", status},
          {"subresource_uris", subresources},
          {"type", "Full"},
          {"uri", base + ".json"}};
}

bool number_inventory::owned_by_anyone(const std::string& phone_number) const {
  for (const auto& [account, numbers] : owned_) {
    for (const auto& n : numbers) {
      if (n["phone_number"] == phone_number) return true;
    }
  }
  return false;
}

std::vector<std::string> number_inventory::offer(const std::string& area_code) const {
  if (area_code == "500") return {"+15005550006"};
  if (area_code == "533") return {};
  std::vector<std::string> out;
  for (int i = 0; i < 100; ++i) {
    std::string n = "+1" + area_code + "55501" + (i < 10 ? "0" : "") + std::to_string(i);
    if (!owned_by_anyone(n)) out.push_back(n);
  }
  return out;
}

fake_reply number_inventory::search(const std::string& account_sid, const std::string& country,
                                    const fake_params& query) const {
  const std::string path =
      "/2010-04-01/Accounts/" + account_sid + "/AvailablePhoneNumbers/" + country + "/Local.json";
  if (country.size() != 2 || !std::isupper(static_cast<unsigned char>(country[0])) ||
      !std::isupper(static_cast<unsigned char>(country[1])))
    return not_found(path);
  const std::string* area = param(query, "AreaCode");
  if (area && !valid_area_code(*area))
    return error_reply(400, 21451, "Invalid areaCode: " + *area);
  const std::string* contains = param(query, "Contains");
  const int page_size = int_param(query, "PageSize", 50);
  if (page_size < 1 || page_size > 1000)
    return error_reply(400, 20001, "PageSize must be between 1 and 1000");

  json list = json::array();
  if (country == "US") {  // the fake has no inventory elsewhere: an empty list, as Twilio answers
    for (const auto& n : offer(area ? *area : "415")) {
      if (static_cast<int>(list.size()) >= page_size) break;
      if (contains && !contains_pattern(n, *contains)) continue;
      list.push_back(available_resource(n));
    }
  }
  std::string uri = path;
  std::string sep = "?";
  for (const char* key : {"AreaCode", "Contains", "PageSize"}) {
    if (const std::string* v = param(query, key)) {
      uri += sep + key + "=" + rm::http::percent_encode(*v);
      sep = "&";
    }
  }
  return {200,
          {{"available_phone_numbers", list},
           {"end", list.empty() ? 0 : static_cast<int>(list.size()) - 1},
           {"first_page_uri", uri},
           {"next_page_uri", nullptr},
           {"page", 0},
           {"page_size", page_size},
           {"previous_page_uri", nullptr},
           {"start", 0},
           {"uri", uri}}};
}

fake_reply number_inventory::purchase(const std::string& account_sid, const fake_params& form) {
  const std::string* number = param(form, "PhoneNumber");
  const std::string* area = param(form, "AreaCode");
  if (number && number->empty()) number = nullptr;
  if (area && area->empty()) area = nullptr;
  if (!number && !area)
    return error_reply(400, 21421, "A 'PhoneNumber' or an 'AreaCode' is required");
  if (auto bad = check_settable(form)) return *bad;

  std::string chosen;
  if (number) {
    if (*number == "+15005550000")
      return error_reply(400, 21422, "PhoneNumber +15005550000 is not available");
    if (*number == "+15005550001")
      return error_reply(400, 21421, "PhoneNumber +15005550001 is invalid");
    if (!is_e164(*number)) return error_reply(400, 21421, "PhoneNumber " + *number + " is invalid");
    if (*number != "+15005550006" && (!in_regular_offer(*number) || owned_by_anyone(*number)))
      return error_reply(400, 21422, "PhoneNumber " + *number + " is not available");
    chosen = *number;
  } else {
    if (!valid_area_code(*area)) return error_reply(400, 21451, "Invalid areaCode: " + *area);
    auto candidates = offer(*area);
    if (candidates.empty())
      return error_reply(400, 21452, "No phone numbers found in area code " + *area);
    chosen = candidates.front();
  }
  json n = incoming_resource(account_sid, chosen, "");
  apply_settable(n, form);
  n["date_updated"] = n["date_created"];
  owned_[account_sid].push_back(n);
  return {201, n};
}

fake_reply number_inventory::list(const std::string& account_sid, const fake_params& query,
                                  int default_page_size) const {
  const std::string path = "/2010-04-01/Accounts/" + account_sid + "/IncomingPhoneNumbers.json";
  const int page_size = int_param(query, "PageSize", default_page_size);
  const int page = int_param(query, "Page", 0);
  if (page_size < 1 || page_size > 1000)
    return error_reply(400, 20001, "PageSize must be between 1 and 1000");
  if (page < 0) return error_reply(400, 20001, "Page must be a non-negative integer");
  const std::string* phone = param(query, "PhoneNumber");
  const std::string* name = param(query, "FriendlyName");

  std::vector<const json*> matching;
  auto it = owned_.find(account_sid);
  if (it != owned_.end()) {
    for (const auto& n : it->second) {
      // Twilio matches PhoneNumber as a pattern; a substring match is close enough here.
      if (phone && n["phone_number"].get<std::string>().find(*phone) == std::string::npos)
        continue;
      if (name && n["friendly_name"] != *name) continue;
      matching.push_back(&n);
    }
  }
  std::string filters;
  if (phone) filters += "PhoneNumber=" + rm::http::percent_encode(*phone) + "&";
  if (name) filters += "FriendlyName=" + rm::http::percent_encode(*name) + "&";
  auto page_uri = [&](int p, const std::string& token) {
    return path + "?" + filters + "PageSize=" + std::to_string(page_size) +
           "&Page=" + std::to_string(p) + (token.empty() ? "" : "&PageToken=" + token);
  };

  const size_t start = static_cast<size_t>(page) * static_cast<size_t>(page_size);
  json numbers = json::array();
  for (size_t i = start; i < matching.size() && numbers.size() < static_cast<size_t>(page_size);
       ++i)
    numbers.push_back(*matching[i]);
  const bool more = start + numbers.size() < matching.size();
  // Twilio's PageToken is "PA" + the SID of the last item served ("PB" + first for previous).
  json next = more ? json(page_uri(page + 1, "PA" + numbers.back()["sid"].get<std::string>()))
                   : json(nullptr);
  json previous = nullptr;
  if (page > 0) {
    previous = page_uri(page - 1, numbers.empty()
                                      ? std::string{}
                                      : "PB" + numbers.front()["sid"].get<std::string>());
  }
  std::string current = path;
  {
    std::string sep = "?";
    for (const auto& [k, v] : query) {
      current += sep + rm::http::percent_encode(k) + "=" + rm::http::percent_encode(v);
      sep = "&";
    }
  }
  return {200,
          {{"end", numbers.empty() ? 0 : static_cast<int>(start + numbers.size() - 1)},
           {"first_page_uri", page_uri(0, "")},
           {"incoming_phone_numbers", numbers},
           {"next_page_uri", next},
           {"page", page},
           {"page_size", page_size},
           {"previous_page_uri", previous},
           {"start", static_cast<int>(start)},
           {"uri", current}}};
}

json* number_inventory::find(const std::string& account_sid, const std::string& pn_sid) {
  auto it = owned_.find(account_sid);
  if (it == owned_.end()) return nullptr;
  for (auto& n : it->second) {
    if (n["sid"] == pn_sid) return &n;
  }
  return nullptr;
}

fake_reply number_inventory::update(const std::string& account_sid, const std::string& pn_sid,
                                    const fake_params& form) {
  json* n = find(account_sid, pn_sid);
  if (!n)
    return not_found("/2010-04-01/Accounts/" + account_sid + "/IncomingPhoneNumbers/" + pn_sid +
                     ".json");
  if (auto bad = check_settable(form)) return *bad;
  apply_settable(*n, form);
  return {200, *n};
}

fake_reply number_inventory::release(const std::string& account_sid, const std::string& pn_sid) {
  auto it = owned_.find(account_sid);
  if (it != owned_.end()) {
    auto& numbers = it->second;
    auto n = std::find_if(numbers.begin(), numbers.end(),
                          [&](const json& x) { return x["sid"] == pn_sid; });
    if (n != numbers.end()) {
      released_.push_back(*n);
      numbers.erase(n);
      return {204, nullptr};
    }
  }
  return not_found("/2010-04-01/Accounts/" + account_sid + "/IncomingPhoneNumbers/" + pn_sid +
                   ".json");
}

json number_inventory::add_owned(const std::string& account_sid, const std::string& phone_number,
                                 const std::string& friendly_name) {
  json n = incoming_resource(account_sid, phone_number, friendly_name);
  owned_[account_sid].push_back(n);
  return n;
}

json number_inventory::owned(const std::string& account_sid) const {
  auto it = owned_.find(account_sid);
  json out = json::array();
  if (it != owned_.end()) {
    for (const auto& n : it->second) out.push_back(n);
  }
  return out;
}

}  // namespace rm::fakes
