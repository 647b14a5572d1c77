// The connection reactor's worker threads run at the niceness they are given (reactor_settings::
// worker_nice, RINGMASTER_HTTP_NICE): under overload they yield the CPU to the threads that
// finish accepted work (issue 13's fourth round, bench/README.md). The reactor and listener
// threads keep the process's niceness.
#include <sys/resource.h>

#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "adapters/http/connection_reactor.hpp"

namespace {

// The niceness a request handler runs at, through a reactor with `worker_nice`.
int handler_nice(int worker_nice) {
  rm::http::reactor_settings settings;
  settings.workers = 2;
  settings.worker_nice = worker_nice;
  rm::http::reactor_server svr{settings};
  svr.Get("/nice", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::to_string(::getpriority(PRIO_PROCESS, 0)), "text/plain");
  });
  const int port = svr.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread listener{[&] { svr.listen_after_bind(); }};
  httplib::Client client{"127.0.0.1", port};
  auto res = client.Get("/nice");
  svr.stop();
  listener.join();
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return std::stoi(res->body);
}

}  // namespace

TEST_CASE("reactor workers add their niceness to the process's, and 0 leaves it") {
  const int base = ::getpriority(PRIO_PROCESS, 0);
  REQUIRE(base <= 19 - 4);  // room to add 4 (a test run under nice 16+ cannot check this)
  CHECK(handler_nice(0) == base);
  CHECK(handler_nice(4) == base + 4);
  CHECK(::getpriority(PRIO_PROCESS, 0) == base);  // the caller's thread is untouched
}
