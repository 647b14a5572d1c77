// Accounts/{Sid}.json (twilio_client.hpp): validates a tenant's credentials. Retried (read-only).
#include "adapters/twilio/twilio_client.hpp"
#include "adapters/twilio/twilio_http.hpp"

namespace rm::twilio {

account_result client::fetch_account(const credentials& creds) {
  account_result out;
  detail::account_http http{base_url_, creds, timeout_};
  if (!http.usable()) {
    out.error = twilio_error{0, 0, "invalid base URL " + base_url_};
    return out;
  }
  int attempts = 0;
  const auto path = http.account_path() + ".json";
  auto r = detail::with_retry(retry_, sleeper_, attempts, [&] { return http.get(path); });
  out.error = r.error;
  if (r.ok) {
    // The body also carries the account's auth_token: deliberately not read.
    out.account.sid = detail::json_string(r.body, "sid");
    out.account.friendly_name = detail::json_string(r.body, "friendly_name");
    out.account.status = detail::json_string(r.body, "status");
    out.account.type = detail::json_string(r.body, "type");
    out.ok = !out.account.sid.empty();
    if (!out.ok) out.error = twilio_error{r.http_status, 0, "Twilio's account resource has no sid"};
  }
  return out;
}

}  // namespace rm::twilio
