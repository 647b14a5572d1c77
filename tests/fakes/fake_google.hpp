// A local fake of Google's OAuth 2.0 and Calendar v3 endpoints as ringmaster uses them
// (../shared/contracts/google-calendar.md and google-samples/), for tests and scripts only: never
// link it into the service. One server plays both hosts (point RINGMASTER_GOOGLE_OAUTH_BASE and
// RINGMASTER_GOOGLE_API_BASE at it):
//   GET  /o/oauth2/v2/auth        the consent screen, consented at once: 302 to
//                                 redirect_uri?code=…&state=… (the code is recorded with the
//                                 request's client_id, redirect_uri and scope)
//   POST /token                   form body; grant_type=authorization_code (code once, matching
//                                 redirect_uri) → the token-response-authorization-code.json shape
//                                 with an id_token whose payload is id-token-claims.json's shape;
//                                 grant_type=refresh_token → token-response-refresh.json's shape;
//                                 a revoked/unknown refresh token or fail_refresh_with_invalid_grant
//                                 → 400 {"error":"invalid_grant",…}; wrong client → 401
//                                 invalid_client
//   POST /revoke                  token=… → 200 (400 invalid_token when unknown)
//   POST /calendar/v3/freeBusy    Bearer access token (401 authError otherwise) → calendars{id:
//                                 {busy[…]}} with the blocks set by set_busy, or {errors[…]} for
//                                 set_calendar_error
//   POST /calendar/v3/calendars/{cal}/events       client-chosen id: 200 the Event; 409 duplicate
//                                 when the id exists (also when cancelled); 400 invalid id
//   GET  /calendar/v3/calendars/{cal}/events/{id}  200 the Event, 404
//   DELETE /calendar/v3/calendars/{cal}/events/{id}  204; 410 deleted when already cancelled; 404
// Injection: fail_next (status with Google's error body for the next N requests whose path
// contains a text), hold (answers to matching requests wait until released; the request's effect
// happens first, as when Google committed but the answer was lost). Every request is recorded.
// `GET /_fake/requests` and `GET /_fake/events` (not recorded) list them for scripts.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace rm::fakes {

struct google_recorded_request {
  std::string method;
  std::string path;
  std::string body;  // raw
  int status = 0;    // what the fake answered
};

class fake_google {
 public:
  // Serves on 127.0.0.1:`port` (0 = ephemeral) before returning; throws std::runtime_error when
  // the port cannot be bound. Only this client may use the token endpoint.
  fake_google(std::string client_id, std::string client_secret, int port = 0);
  ~fake_google();
  fake_google(const fake_google&) = delete;
  fake_google& operator=(const fake_google&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // The account that consents (id_token email/sub) and the access tokens' life (expires_in).
  void set_account(std::string email, std::string sub);
  void set_expires_in(int seconds);
  // Busy blocks of a calendar id ("primary" or an address): RFC 3339 start/end pairs.
  void set_busy(const std::string& calendar_id,
                std::vector<std::pair<std::string, std::string>> blocks);
  // The calendar answers with errors[{domain: global, reason}] inside the 200 instead of busy.
  void set_calendar_error(const std::string& calendar_id, const std::string& reason);
  // Every later refresh_token grant answers invalid_grant (as after the user revoked access).
  void fail_refresh_with_invalid_grant(bool on);
  // The next `count` requests whose path contains `path_part` get `status` with Google's error
  // body (429 rateLimitExceeded, 401 authError, 5xx backendError); nothing changes.
  void fail_next(int status, int count, const std::string& path_part);
  // While held, answers to requests whose method is `method` and path contains `path_part` wait
  // (after their effect) until release_holds() or stop().
  void hold(const std::string& method, const std::string& path_part);
  void release_holds();
  int held_now() const;  // requests waiting in a hold

  std::vector<google_recorded_request> requests() const;
  // Requests whose method matches and whose path contains `path_part`.
  int count(const std::string& method, const std::string& path_part) const;
  nlohmann::json events() const;  // every event ever inserted (status confirmed|cancelled)
  int confirmed_events() const;

  void stop();  // idempotent; the destructor calls it

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  int route(const httplib::Request& req, nlohmann::json& out, std::string& content_type,
            std::string& raw);

  std::string client_id_, client_secret_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable released_;
  bool stopping_ = false;
  std::string email_ = "frontdesk@exampleclinic.com", sub_ = "110169484474386276334";
  int expires_in_ = 3599;
  bool invalid_grant_ = false;
  struct failure { int status; int left; std::string path_part; };
  std::deque<failure> failures_;
  std::vector<std::pair<std::string, std::string>> holds_;  // method, path part
  int held_ = 0;
  std::map<std::string, std::string> codes_;         // code → redirect_uri
  std::map<std::string, bool> refresh_tokens_;       // token → live
  std::map<std::string, bool> access_tokens_;        // token → live
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> busy_;
  std::map<std::string, std::string> calendar_errors_;
  std::map<std::string, nlohmann::json> events_;     // "calendar/id" → Event
  std::vector<std::string> event_order_;
  std::vector<google_recorded_request> requests_;
  unsigned long long next_ = 1;
};

}  // namespace rm::fakes
