// A local, Vapi-compatible fake of the REST API ringmaster calls (../shared/contracts/vapi.md §4),
// for tests and the demo. Test/demo code only: never link it into the service.
//
// Wire format as Vapi's: `Authorization: Bearer <private key>` on every request (401 with Vapi's
// NestJS body otherwise), JSON bodies, 201 on create, 200 on get/update/delete, NestJS errors
// {"message": "…" | ["…"], "error": "…", "statusCode": n}, lists as bare arrays, resources with
// id/orgId/createdAt/updatedAt. State is in memory:
//   POST/GET /credential, GET/DELETE /credential/{id}   (secrets are stored, never returned)
//   POST/GET /phone-number, GET/DELETE /phone-number/{id}  (provider, number, twilioAccountSid
//                                                           required; twilioAuthToken never returned)
//   POST/GET /assistant, GET/PATCH/DELETE /assistant/{id}   (PATCH replaces each top-level key it
//                                                           is given whole, as Vapi does with `model`)
//   POST/GET /call, GET /call/{id}                      (201 status "queued")
//   POST/GET /tool, GET/PATCH/DELETE /tool/{id}         (type "function" with function.name of
//                                                        a-z A-Z 0-9 _ -, at most 64 characters)
// Every request is recorded (failed and refused ones too); failures can be scripted.
// `GET /_fake/requests` (no auth, not recorded) returns the record for scripts.
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

struct vapi_recorded_request {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> headers;  // names lower-case
  nlohmann::json body;  // parsed JSON body; null when empty, the raw text when not JSON
  int status = 0;       // what the fake answered
  std::string header(const std::string& lower_name) const;  // first value, "" if absent
};

class fake_vapi {
 public:
  // Starts serving on 127.0.0.1:`port` (0 = ephemeral) before returning; throws
  // std::runtime_error when the port cannot be bound. Requests must carry
  // `Authorization: Bearer <private_key>`.
  explicit fake_vapi(std::string private_key, int port = 0);
  ~fake_vapi();
  fake_vapi(const fake_vapi&) = delete;
  fake_vapi& operator=(const fake_vapi&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // The next `count` requests (any path, after the auth check; only `method` ones when given, only
  // those whose path starts with `path_prefix` when given, e.g. "/tool") are answered with
  // `http_status` (429 "Too Many Requests", 5xx "Internal Server Error", …) and a NestJS body;
  // nothing is changed by them.
  void fail_next(int http_status, int count, std::string method = "",
                 std::string path_prefix = "");

  std::vector<vapi_recorded_request> requests() const;  // every request received, in order
  void clear_requests();

  // The stored resources as Vapi returns them (secrets omitted), in creation order.
  nlohmann::json credentials() const;
  nlohmann::json phone_numbers() const;
  nlohmann::json assistants() const;
  nlohmann::json calls() const;
  nlohmann::json tools() const;
  // The auth token a stored Twilio credential / phone number was created with ("" if unknown):
  // lets tests check the secret reached Vapi although the API never returns it.
  std::string credential_secret(const std::string& credential_id) const;
  std::string phone_number_secret(const std::string& phone_number_id) const;
  // Seeds an assistant directly (as if created in Vapi's dashboard); returns it with its id.
  nlohmann::json add_assistant(nlohmann::json assistant);

  void stop();  // idempotent; the destructor calls it

 private:
  struct resource_store {
    std::vector<nlohmann::json> items;          // as returned
    std::map<std::string, std::string> secret;  // id → secret kept out of `items`
  };
  void handle(const httplib::Request& req, httplib::Response& res);
  int route(const std::string& method, const std::string& path, const nlohmann::json& body,
            bool body_ok, nlohmann::json& out);
  nlohmann::json stamp(nlohmann::json resource);  // id, orgId, createdAt, updatedAt

  std::string private_key_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  struct scripted_failure {
    int status;
    std::string method, path_prefix;  // "" = any
  };
  std::deque<scripted_failure> failures_;
  std::vector<vapi_recorded_request> requests_;
  resource_store credentials_, phone_numbers_, assistants_, calls_, tools_;
  unsigned long long next_id_ = 1;
};

}  // namespace rm::fakes
