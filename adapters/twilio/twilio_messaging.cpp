// twilio::client construction and Messages.json (twilio_client.hpp).
#include <thread>

#include "adapters/twilio/twilio_client.hpp"
#include "adapters/twilio/twilio_http.hpp"

namespace rm::twilio {

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
  detail::account_http http{base_url_, creds, timeout_};
  if (!http.usable()) {
    result.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return result;
  }
  detail::fields form{{"To", req.to}, {"From", req.from}, {"Body", req.body}};
  if (!req.status_callback.empty()) form.emplace_back("StatusCallback", req.status_callback);
  const auto path = http.account_path() + "/Messages.json";
  // Retried: Twilio answers 429/5xx before it queues a message. An accepted but unreadable answer
  // (2xx) is not retried, a retry could send the SMS twice.
  auto r = detail::with_retry(retry_, sleeper_, result.attempts,
                              [&] { return http.post(path, form); });
  result.error = r.error;
  if (!r.ok) return result;
  result.sent.sid = detail::json_string(r.body, "sid");
  result.sent.status = detail::json_string(r.body, "status");
  result.ok = !result.sent.sid.empty();
  result.error = result.ok ? twilio_error{}
                           : twilio_error{r.http_status, 0, "unexpected success body from Twilio"};
  return result;
}

}  // namespace rm::twilio
