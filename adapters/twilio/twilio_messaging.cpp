// twilio::client construction and Messages.json: send, and the list the outbox reconciles with
// (twilio_client.hpp).
#include <cstring>
#include <ctime>
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

long long parse_rfc2822(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return 0;
  // The zone: "+0000" (Twilio always writes UTC) or another ±hhmm offset.
  while (*end == ' ') ++end;
  long long offset = 0;
  if ((*end == '+' || *end == '-') && std::strlen(end) >= 5) {
    int hh = (end[1] - '0') * 10 + (end[2] - '0'), mm = (end[3] - '0') * 10 + (end[4] - '0');
    offset = (hh * 60 + mm) * 60LL * (*end == '-' ? -1 : 1);
  } else if (*end != '\0' && std::string(end) != "GMT" && std::string(end) != "UTC") {
    return 0;
  }
  return static_cast<long long>(timegm(&tm)) - offset;
}

message_list_result client::list_messages(const credentials& creds, const message_query& q) {
  message_list_result out;
  detail::account_http http{base_url_, creds, timeout_};
  if (!http.usable()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  const auto path = http.account_path() + "/Messages.json" +
                    detail::query_string({{"To", q.to},
                                          {"From", q.from},
                                          {"DateSent>", q.date_sent_after},
                                          {"PageSize", std::to_string(q.page_size)}});
  using detail::json_string;
  if (!detail::list_pages(
          http, retry_, sleeper_, path, "messages",
          [&](const nlohmann::json& m) {
            listed_message x;
            x.sid = json_string(m, "sid");
            x.from = json_string(m, "from");
            x.to = json_string(m, "to");
            x.body = json_string(m, "body");
            x.status = json_string(m, "status");
            x.direction = json_string(m, "direction");
            x.date_created = json_string(m, "date_created");
            x.date_created_epoch = parse_rfc2822(x.date_created);
            out.messages.push_back(std::move(x));
          },
          out.error, out.pages))
    return out;
  out.ok = true;
  return out;
}

}  // namespace rm::twilio
