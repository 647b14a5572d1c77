// Google OAuth 2.0 and Calendar v3, as ringmaster uses them (../shared/contracts/google-calendar.md;
// payload shapes in google-samples/). Blocking (cpp-httplib; TLS when a base URL is https), so it
// runs only on the google actor's own thread and on HTTP worker threads (the callback's code
// exchange, the revoke); no CAF here. ONE HTTP attempt per call: the google actor owns retries
// (backoff behind the tenant's breaker), so nothing here can repeat an insert on its own.
//
// Errors: an HTTP status other than 2xx (or 0 for no answer) with Google's `reason` when the body
// has one — OAuth errors carry `error` ("invalid_grant", …), Calendar errors
// `error.errors[0].reason` ("duplicate", "deleted", "rateLimitExceeded", "authError", …).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/calendar.hpp"

namespace rm::google {

// The contract's scopes: OpenID + the address, events, free/busy.
inline constexpr const char* oauth_scopes =
    "openid email https://www.googleapis.com/auth/calendar.events "
    "https://www.googleapis.com/auth/calendar.freebusy";

struct endpoint {
  std::string authorize_url = "https://accounts.google.com/o/oauth2/v2/auth";
  std::string oauth_base = "https://oauth2.googleapis.com";  // /token, /revoke
  std::string api_base = "https://www.googleapis.com";       // /calendar/v3/…
  std::string client_id;
  std::string client_secret;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // one HTTP attempt
};

struct error {
  int http_status = 0;   // 0 = no answer (connection, timeout, bad URL)
  std::string reason;    // "invalid_grant", "duplicate", "deleted", "rateLimitExceeded", … or ""
  std::string message;   // for logs and the link's broken_reason; never a token
};
// Worth retrying later (and a failure for the breaker): no answer, 429, 5xx, or a 403 rate limit.
bool transient(const error& e);
std::string describe(const error& e);  // "HTTP 409 duplicate: The requested identifier …"

struct token_result {
  bool ok = false;
  error err;
  std::string access_token;
  std::string refresh_token;  // authorization_code: always (offline); refresh: usually ""
  std::string scope;          // granted scopes, space-separated
  std::string id_token;
  std::int64_t expires_in = 0;  // seconds
};

// The id_token's payload (google-samples/id-token-claims.json). Read without checking the
// signature: the token came straight from the token endpoint (the contract's [OIDC-sample]).
struct id_claims {
  std::string iss, aud, sub, email;
  bool email_verified = false;
  std::int64_t exp = 0;
};
std::optional<id_claims> decode_id_token(const std::string& id_token);
// "" when iss is Google's, aud is `client_id` and exp is after `now`; else why not.
std::string check_id_claims(const id_claims& c, const std::string& client_id, domain::instant now);
// True when `granted` (space-separated) holds both calendar scopes.
bool calendar_scopes_granted(const std::string& granted);

struct busy_result {
  bool ok = false;
  error err;
  std::vector<domain::busy_interval> busy;  // as Google sent them ([start, end))
};

struct event_result {
  bool ok = false;       // insert: created or already there; delete: gone
  bool already = false;  // insert 409 duplicate; delete 404/410
  error err;
};

// The consent URL: authorization-code flow, offline, consent, the scopes above, `state`.
std::string authorize_url(const endpoint& ep, const std::string& redirect_uri,
                          const std::string& state);

// The event of an appointment (google-samples/events-insert-request.json's shape): the
// client-chosen id, start/end with offset and zone, opaque, private properties naming the clinic
// and the appointment.
nlohmann::json event_body(const std::string& event_id, const std::string& summary,
                          const std::string& description, domain::instant start,
                          domain::instant end, const std::string& time_zone,
                          const std::string& org_id, const std::string& appointment_id);

class client {
 public:
  explicit client(endpoint ep) : ep_(std::move(ep)) {}
  token_result exchange_code(const std::string& code, const std::string& redirect_uri) const;
  token_result refresh(const std::string& refresh_token) const;
  // 200 → ok; 400 (already invalid) → ok too, as the contract says to forget the copy either way.
  event_result revoke(const std::string& token) const;
  // freeBusy over [from, to) for one calendar. A per-calendar `errors[]` inside the 200 is a
  // failure (reason = the calendar's first reason): unknown is never "free".
  busy_result free_busy(const std::string& access_token, const std::string& calendar_id,
                        domain::instant from, domain::instant to) const;
  // POST …/calendars/{cal}/events?sendUpdates=none; 409 duplicate → ok + already.
  event_result insert_event(const std::string& access_token, const std::string& calendar_id,
                            const nlohmann::json& event) const;
  // DELETE …/calendars/{cal}/events/{id}?sendUpdates=none; 404 and 410 → ok + already.
  event_result delete_event(const std::string& access_token, const std::string& calendar_id,
                            const std::string& event_id) const;

 private:
  endpoint ep_;
};

}  // namespace rm::google
