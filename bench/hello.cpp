// bench-hello — the ceiling for bench/run.sh: a bare cpp-httplib server that answers
// POST /webhooks/vapi with a fixed tool-calls reply (and GET /api/inbound/phone-lookup/{phone}
// with a fixed lookup reply). It uses the same httplib build and the same
// tuning as ringmaster's front door (TCP_NODELAY, long keep-alive, 32 workers), so the ratio
// ringmaster/hello isolates what our own code costs per request, not what the HTTP layer costs.
//   bench-hello --port N   (listens on 127.0.0.1 only; SIGINT/SIGTERM stop it)
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <httplib.h>

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a.rfind("--port=", 0) == 0) port = std::atoi(a.c_str() + 7);
    else {
      std::cerr << "usage: bench-hello --port N\n";
      return 2;
    }
  }
  if (port <= 0 || port > 65535) {
    std::cerr << "bench-hello: --port N (1-65535) is required\n";
    return 2;
  }
  // Block the stop signals before any thread starts, so only sigwait below receives them
  // (svr.stop() is not async-signal-safe, so it must not run in a signal handler).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  httplib::Server svr;
  // Debian's httplib is precompiled, so the tuning macros do nothing: these runtime setters are
  // the only way. Nagle on costs ~40 ms per keep-alive round trip; the default keep-alive count
  // (5) would make wrk reconnect constantly; the default pool (8) is smaller than wrk's 32.
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(1000000);
  svr.new_task_queue = [] { return new httplib::ThreadPool(32); };

  // Same size class as a real one-slot reply; the content never changes, so it costs nothing.
  static const std::string body =
      R"({"results":[{"name":"check_availability","toolCallId":"hello",)"
      R"("result":"{\"slots\":[]}"}]})";
  svr.Post("/webhooks/vapi", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/json");
  });
  // The phone-lookup ceiling: a fixed reply the size of ringmaster's (GET, any number).
  static const std::string lookup =
      R"({"success":true,"org_id":"00000000-0000-4000-8000-000000000000",)"
      R"("clinic_name":"Org 0001 Family Dental - Main Office","inbound_phone_number":"+12125550000"})";
  svr.Get(R"(/api/inbound/phone-lookup/([^/]+))",
          [](const httplib::Request&, httplib::Response& res) {
            res.set_content(lookup, "application/json");
          });

  if (!svr.bind_to_port("127.0.0.1", port)) {
    std::cerr << "bench-hello: cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  std::thread http{[&] { svr.listen_after_bind(); }};
  std::cout << "bench-hello listening on http://127.0.0.1:" << port << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  svr.stop();
  http.join();
  return 0;
}
