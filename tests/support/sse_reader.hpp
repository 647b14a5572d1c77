// A Server-Sent Events client for tests (GET /sessions/events, GET /api/events): reads the
// stream on its own thread and keeps every event, so a test can act (send a webhook) and then
// wait for what the stream shows. No CAF, no Catch2.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace rm::testing {

struct sse_event {
  std::string event;  // "message" when the frame named none
  std::string id;
  std::string data;
  nlohmann::json json;  // data parsed (discarded when not JSON)
  std::chrono::steady_clock::time_point at;  // when it was parsed here
};

class sse_reader {
 public:
  // Starts GET `path` on 127.0.0.1:`port` ("Bearer <token>" unless "", plus `headers`).
  sse_reader(int port, std::string path, std::string token,
             std::map<std::string, std::string> headers = {});
  ~sse_reader();  // stop()
  sse_reader(const sse_reader&) = delete;
  sse_reader& operator=(const sse_reader&) = delete;

  // The response's status once its head arrived (0 when none within `timeout`).
  int status(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string header(const std::string& name);
  // The body of a response that was not a stream (an error), once it ended.
  std::string body(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The first event (from the start) for which `pred` holds, waiting up to `timeout`.
  std::optional<sse_event> wait_for(const std::function<bool(const sse_event&)>& pred,
                                    std::chrono::milliseconds timeout);
  std::vector<sse_event> events();
  std::size_t comments();  // comment lines seen (": keepalive")
  std::string raw();       // every byte received
  bool ended();            // the server ended the response (or the connection failed)
  bool wait_ended(std::chrono::milliseconds timeout);
  // Closes the connection (the client goes away) and joins the reader thread.
  void stop();

 private:
  void parse_locked();

  std::unique_ptr<httplib::Client> client_;
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string raw_, pending_;
  std::vector<sse_event> events_;
  std::size_t comments_ = 0;
  bool ended_ = false;
  bool stopping_ = false;
};

}  // namespace rm::testing
