// A local, Twilio-compatible fake of the REST endpoints ringmaster calls, for tests and the demo.
// Test/demo code only: never link it into the service. It speaks Twilio's wire format (Basic
// auth, form bodies, snake_case JSON, paging fields, Twilio's JSON errors) and reproduces the
// magic numbers of ../shared/contracts/twilio.md §4. Endpoints (all under
// /2010-04-01/Accounts/{Sid}, Sid = the Basic-auth user, else 401 20003):
//   GET  .json                                  FetchAccount
//   POST /Messages.json, /Calls.json, /OutgoingCallerIds.json
//   GET  /Messages.json                          To/From/DateSent filters, paged (message_list)
//   GET  /AvailablePhoneNumbers/{Country}/Local.json      (inventory: fake_twilio_numbers.hpp)
//   GET  /IncomingPhoneNumbers.json              paged by next_page_uri
//   POST /IncomingPhoneNumbers.json              buy (magic numbers, ordinary numbers once)
//   POST /IncomingPhoneNumbers/{PN}.json         update URLs
//   DELETE /IncomingPhoneNumbers/{PN}.json       204; unknown PN → 404 20404
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_twilio_numbers.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace rm::fakes {

struct fake_twilio_options {
  int port = 0;  // 0 = ephemeral
  // Test-credential mode: any From outside the magic table is refused with 21606. Off by
  // default so a tenant's real number works as From.
  bool enforce_magic_from = false;
  // IncomingPhoneNumbers.json page size when the request gives no PageSize (Twilio: 50). Set it
  // small to exercise next_page_uri paging.
  int list_page_size = 50;
};

struct recorded_request {
  std::string method;
  std::string path;
  std::string content_type;
  std::multimap<std::string, std::string> form;  // decoded form fields
  std::string auth_account_sid;                  // user of the Basic auth header, "" if none
  std::string field(const std::string& name) const;  // first value, "" if absent
};

class fake_twilio {
 public:
  // accounts: account sid → auth token. Starts serving on 127.0.0.1 before returning; throws
  // std::runtime_error when the port cannot be bound.
  explicit fake_twilio(std::map<std::string, std::string> accounts,
                       fake_twilio_options options = {});
  ~fake_twilio();
  fake_twilio(const fake_twilio&) = delete;
  fake_twilio& operator=(const fake_twilio&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // The next `count` requests (any path) are answered with `http_status`; with a Twilio
  // error body {"code","message",…} when code != 0, else a plain-text body. retry_after_s >= 0
  // adds a Retry-After header.
  void fail_next(int http_status, int count, int code = 0, int retry_after_s = -1);
  // Like fail_next, but only for requests whose method is `method` ("" = any) and whose path
  // contains `path_fragment` (e.g. "IncomingPhoneNumbers/"); other requests pass through.
  void fail_next_on(const std::string& method, const std::string& path_fragment,
                    int http_status, int count, int code = 0, int retry_after_s = -1);

  // Numbers: see fake_twilio_numbers.hpp for the inventory rules.
  void set_list_page_size(int page_size);
  // The account already owns `phone_number` (e.g. bought before it connected to ringmaster).
  // Returns the incoming_phone_number body (its "sid" is the PN SID).
  nlohmann::json add_owned_number(const std::string& account_sid, const std::string& phone_number,
                                  const std::string& friendly_name = "");
  nlohmann::json owned_numbers(const std::string& account_sid) const;  // purchase order
  nlohmann::json released_numbers() const;  // bodies of released numbers, release order
  // FetchAccount's "status" for this account ("active" by default; "suspended", "closed").
  void set_account_status(const std::string& account_sid, const std::string& status);

  // The next `count` accepted Messages.json POSTs are recorded (messages() lists them) but their
  // 201 answer is held until release_held() (or stop()): a crash test can kill the sender while
  // the send is in flight at the provider. Keep `count` below the server's thread pool (8).
  void hold_message_answers(int count);
  int held_answers() const;  // answers waiting now
  void release_held();       // answers every held request and holds no more

  std::vector<recorded_request> requests() const;  // every request received, in order
  nlohmann::json messages() const;                 // accepted messages, Twilio's 201 bodies
  // Accepted calls: Twilio's 201 bodies plus "twiml" (the Twiml parameter as received).
  nlohmann::json calls() const;
  // Accepted OutgoingCallerIds.json requests: Twilio's 200 bodies.
  nlohmann::json caller_id_requests() const;

  void stop();  // idempotent; the destructor calls it

 private:
  struct scripted_failure {
    int http_status;
    int code;
    int retry_after_s;
    std::string method;         // "" = any
    std::string path_fragment;  // "" = any
  };
  void handle(const httplib::Request& req, httplib::Response& res);
  // Accounts/{Sid}.json and the number endpoints; false when the path is none of them.
  bool handle_numbers(const httplib::Request& req, httplib::Response& res,
                      const std::string& user, const std::string& token);
  void send_message(const httplib::Request& req, httplib::Response& res,
                    const std::string& account_sid);

  std::map<std::string, std::string> accounts_;
  fake_twilio_options options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  std::deque<scripted_failure> failures_;
  int holds_left_ = 0;    // Messages.json answers still to hold
  int held_now_ = 0;      // handlers waiting on release_
  bool releasing_ = false;
  std::condition_variable release_;
  std::vector<recorded_request> requests_;
  nlohmann::json messages_ = nlohmann::json::array();
  nlohmann::json calls_ = nlohmann::json::array();
  nlohmann::json caller_ids_ = nlohmann::json::array();
  number_inventory numbers_;
  std::map<std::string, std::string> account_status_;
};

}  // namespace rm::fakes
