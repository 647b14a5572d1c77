// AvailablePhoneNumbers and IncomingPhoneNumbers (twilio_client.hpp): search and list are retried
// (read-only); purchase, update and release are not (a retry after a lost reply could buy twice).
#include <algorithm>

#include "adapters/twilio/twilio_client.hpp"
#include "adapters/twilio/twilio_http.hpp"

namespace rm::twilio {
namespace {

using nlohmann::json;
using detail::json_string;

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
void add_url_fields(detail::fields& form, const purchase_request& urls) {
  if (!urls.voice_url.empty()) {
    form.emplace_back("VoiceUrl", urls.voice_url);
    form.emplace_back("VoiceMethod", "POST");
  }
  if (!urls.sms_url.empty()) {
    form.emplace_back("SmsUrl", urls.sms_url);
    form.emplace_back("SmsMethod", "POST");
  }
  if (!urls.status_callback.empty()) {
    form.emplace_back("StatusCallback", urls.status_callback);
    form.emplace_back("StatusCallbackMethod", "POST");
  }
  if (!urls.friendly_name.empty()) form.emplace_back("FriendlyName", urls.friendly_name);
}

// A 2xx incoming_phone_number body → number_result (no sid = unusable).
number_result to_number_result(const detail::exchange_result& r, int http_status) {
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

available_result client::search_available(const credentials& creds, const available_search& q) {
  available_result out;
  detail::account_http http{base_url_, creds, timeout_};
  if (!http.usable()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  const std::string path =
      http.account_path() + "/AvailablePhoneNumbers/" +
      detail::percent_encode(q.country.empty() ? "US" : q.country, false) + "/Local.json" +
      detail::query_string(
          {{"AreaCode", q.area_code},
           {"Contains", q.contains},
           {"PageSize", q.page_size > 0 ? std::to_string(std::min(q.page_size, 1000)) : ""}});
  int attempts = 0;
  auto r = detail::with_retry(retry_, sleeper_, attempts, [&] { return http.get(path); });
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
      n.voice = detail::json_bool(*caps, "voice") || detail::json_bool(*caps, "Voice");
      n.sms = detail::json_bool(*caps, "sms") || detail::json_bool(*caps, "SMS");
      n.mms = detail::json_bool(*caps, "mms") || detail::json_bool(*caps, "MMS");
    }
    if (!n.phone_number.empty()) out.numbers.push_back(std::move(n));
  }
  out.ok = true;
  out.error = {};
  return out;
}

number_result client::purchase_number(const credentials& creds, const purchase_request& req) {
  detail::fields form;
  if (!req.phone_number.empty()) {
    form.emplace_back("PhoneNumber", req.phone_number);
  } else {
    form.emplace_back("AreaCode", req.area_code);
  }
  add_url_fields(form, req);
  detail::account_http http{base_url_, creds, timeout_};
  return to_number_result(http.post(http.account_path() + "/IncomingPhoneNumbers.json", form),
                          201);
}

number_list_result client::list_numbers(const credentials& creds,
                                        const std::string& phone_number) {
  number_list_result out;
  detail::account_http http{base_url_, creds, timeout_};
  if (!http.usable()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  const auto path = http.account_path() + "/IncomingPhoneNumbers.json" +
                    detail::query_string({{"PhoneNumber", phone_number}});
  if (!detail::list_pages(
          http, retry_, sleeper_, path, "incoming_phone_numbers",
          [&](const json& item) { out.numbers.push_back(parse_incoming_number(item)); },
          out.error, out.pages))
    return out;
  out.ok = true;
  return out;
}

number_result client::update_number_urls(const credentials& creds, const std::string& pn_sid,
                                         const purchase_request& urls) {
  detail::fields form;
  add_url_fields(form, urls);
  detail::account_http http{base_url_, creds, timeout_};
  return to_number_result(
      http.post(http.account_path() + "/IncomingPhoneNumbers/" +
                    detail::percent_encode(pn_sid, false) + ".json",
                form),
      200);
}

release_result client::release_number(const credentials& creds, const std::string& pn_sid) {
  release_result out;
  detail::account_http http{base_url_, creds, timeout_};
  auto r = http.del(http.account_path() + "/IncomingPhoneNumbers/" +
                    detail::percent_encode(pn_sid, false) + ".json");
  // 404 with 20404: no such number on the account any more — the release already happened. A
  // bare 404 (wrong base URL, a proxy) is not taken as proof: the number may still be billed.
  out.ok = r.ok || (r.http_status == 404 && r.error.code == 20404);
  if (!out.ok) out.error = r.error;
  return out;
}

}  // namespace rm::twilio
