// Calls.json and OutgoingCallerIds.json (twilio_client.hpp). Never retried: a retry after a lost
// reply could ring the phone twice.
#include "adapters/twilio/twilio_client.hpp"
#include "adapters/twilio/twilio_http.hpp"

namespace rm::twilio {

call_result client::create_call(const credentials& creds, const call_request& req) {
  detail::fields form{{"To", req.to}, {"From", req.from}, {"Twiml", req.twiml}};
  if (!req.status_callback.empty()) form.emplace_back("StatusCallback", req.status_callback);
  detail::account_http http{base_url_, creds, timeout_};
  auto r = http.post(http.account_path() + "/Calls.json", form);
  call_result out;
  out.error = r.error;
  if (r.ok) {
    out.sid = detail::json_string(r.body, "sid");
    out.status = detail::json_string(r.body, "status");
    out.ok = !out.sid.empty();
    if (!out.ok) out.error = twilio_error{201, 0, "Twilio's call resource has no sid"};
  }
  return out;
}

caller_id_result client::create_caller_id(const credentials& creds,
                                          const caller_id_request& req) {
  detail::fields form{{"PhoneNumber", req.phone_number}};
  if (!req.friendly_name.empty()) form.emplace_back("FriendlyName", req.friendly_name);
  if (!req.status_callback.empty()) form.emplace_back("StatusCallback", req.status_callback);
  detail::account_http http{base_url_, creds, timeout_};
  auto r = http.post(http.account_path() + "/OutgoingCallerIds.json", form);
  caller_id_result out;
  out.error = r.error;
  if (r.ok) {
    out.validation_code = detail::json_string(r.body, "validation_code");
    if (out.validation_code.empty() && r.body.contains("validation_code") &&
        r.body["validation_code"].is_number_integer())
      out.validation_code = std::to_string(r.body["validation_code"].get<long long>());
    out.call_sid = detail::json_string(r.body, "call_sid");
    out.ok = !out.validation_code.empty();
    if (!out.ok) out.error = twilio_error{200, 0, "Twilio's validation request has no code"};
  }
  return out;
}

}  // namespace rm::twilio
