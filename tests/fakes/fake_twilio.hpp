// A local, Twilio-compatible fake of the REST endpoint ringmaster calls (send SMS), for tests
// and the demo. Test/demo code only: never link it into the service. It speaks Twilio's wire
// format (Basic auth, form bodies, Twilio's JSON errors, 201 message resources) and reproduces
// the SMS magic numbers of ../shared/contracts/twilio.md §4.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

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
  };
  void handle(const httplib::Request& req, httplib::Response& res);
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
  std::vector<recorded_request> requests_;
  nlohmann::json messages_ = nlohmann::json::array();
  nlohmann::json calls_ = nlohmann::json::array();
  nlohmann::json caller_ids_ = nlohmann::json::array();
};

}  // namespace rm::fakes
