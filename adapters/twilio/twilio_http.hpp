// The HTTP layer shared by twilio::client's operations (internal to adapters/twilio; the public
// contract is twilio_client.hpp): form and URL encoding, Twilio's error bodies, one exchange,
// and THE retry loop (429, 5xx and transport failures with exponential backoff; a numeric
// Retry-After replaces the backoff, capped by max_backoff). Operations that must not be repeated
// (purchases, calls, caller-ID requests, updates, releases) call `once` instead.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/twilio/twilio_client.hpp"

namespace httplib {
class Client;
}

namespace rm::twilio::detail {

using fields = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding (unreserved kept); `space_as_plus` for form bodies.
std::string percent_encode(const std::string& s, bool space_as_plus);
// "?A=1&B=2" from the non-empty values (RFC 3986 encoding, '+' → %2B), "" when none.
std::string query_string(const fields& params);

std::string json_string(const nlohmann::json& j, const char* key);  // "" when absent / not text
bool json_bool(const nlohmann::json& j, const char* key);           // false unless true

// The outcome of one HTTP exchange: a 2xx body parsed as a JSON object (none for 204 or a
// DELETE), or a parsed Twilio error (http_status 0: transport), plus the Retry-After hint.
struct exchange_result {
  bool ok = false;
  int http_status = 0;
  nlohmann::json body;
  twilio_error error;
  long long retry_after = -1;  // seconds; -1 = none
};

// HTTP Basic AccountSid:AuthToken against the configured base URL (scheme://host[:port][/prefix]),
// with the client's connect/read/write timeout. Credentials never go to another host.
class account_http {
 public:
  account_http(const std::string& base_url, const credentials& creds,
               std::chrono::milliseconds timeout);
  ~account_http();
  account_http(const account_http&) = delete;
  account_http& operator=(const account_http&) = delete;

  // False when the base URL is unusable; every exchange then fails with http_status 0.
  bool usable() const { return static_cast<bool>(http_); }
  const std::string& prefix() const { return prefix_; }  // the base URL's path, no trailing '/'
  // prefix + /2010-04-01/Accounts/{Sid}
  std::string account_path() const;

  // One request; `path` includes any query string.
  exchange_result get(const std::string& path);
  exchange_result post(const std::string& path, const fields& form);
  exchange_result del(const std::string& path);

 private:
  std::string base_url_, prefix_, account_sid_;
  std::unique_ptr<httplib::Client> http_;
};

// The retry loop: repeats `attempt` while it fails with 429, 5xx or a transport failure, up to
// retry.max_attempts, sleeping through `sleeper`. `attempts` counts the HTTP attempts made.
exchange_result with_retry(const retry_policy& retry,
                           const std::function<void(std::chrono::milliseconds)>& sleeper,
                           int& attempts, const std::function<exchange_result()>& attempt);

// GET `first_path` and every page after it (base URL + next_page_uri, as twilio-python does; an
// absolute next_page_uri contributes only its path, so credentials never go to another host),
// each page retried through with_retry; `on_item` gets every object of the page's `list_key`
// array. Fails (false, `error` set) on a failed page, a page without that array, a
// next_page_uri that repeats the current page or leaves the API, or after 1000 pages.
bool list_pages(account_http& http, const retry_policy& retry,
                const std::function<void(std::chrono::milliseconds)>& sleeper,
                std::string first_path, const char* list_key,
                const std::function<void(const nlohmann::json&)>& on_item, twilio_error& error,
                int& pages);

}  // namespace rm::twilio::detail
