#include "adapters/http/observability.hpp"

#include <chrono>
#include <optional>

#include "adapters/logging/log.hpp"
#include "adapters/metrics/metrics.hpp"

namespace rm::http {

namespace {

// httplib runs a request's routing, handler and logger on one worker thread.
struct request_state {
  std::optional<std::chrono::steady_clock::time_point> started;
  std::string route = "unmatched";
};
thread_local request_state this_request;

}  // namespace

void begin_request(const std::string& request_id) {
  this_request = request_state{};
  this_request.started = std::chrono::steady_clock::now();
  logging::current() = logging::context{request_id, "", "", "http"};
}

void route_matched(const std::string& route_template) { this_request.route = route_template; }

void end_request(const httplib::Request& req, const httplib::Response& res) {
  // A request refused before routing (e.g. 413) has no start: its latency counts as 0.
  const double seconds =
      this_request.started ? std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                           *this_request.started)
                                 .count()
                           : 0.0;
  metrics::http_request(req.method, this_request.route, res.status, seconds);
  if (res.status == 413) metrics::input_rejection("size");
  this_request = request_state{};
  logging::current() = logging::context{};
}

}  // namespace rm::http
