// bench-idle — how long a webhook waits while N idle connections are held open (issue 9 §6).
//
// Runs two servers in this process on 127.0.0.1, each answering POST /webhooks/vapi with a
// fixed JSON, with the same Debian httplib and the same tuning as ringmaster's front door:
//   old      httplib::Server with a ThreadPool of 32 workers (ringmaster before issue 9 §6);
//   reactor  rm::http::reactor_server with 32 workers (adapters/http/connection_reactor.hpp).
// For each N it opens N TCP connections that send nothing, then sends --probes webhooks one
// after another, each on a new connection, and reports their latency (a probe that gets no
// answer within --timeout seconds counts as that timeout, is marked ">", and ends that run).
//   bench-idle [--idle 0,64,512] [--probes 3] [--timeout 15] [--only old|reactor]
//   bench-idle --serve old|reactor --port N   (one server until SIGINT/SIGTERM, for wrk)
// Loopback only; it stops by itself.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "adapters/http/connection_reactor.hpp"

namespace {

using ms = std::chrono::duration<double, std::milli>;

const std::string reply_body =
    R"({"results":[{"name":"check_availability","toolCallId":"idle","result":"{\"slots\":[]}"}]})";
const std::string probe_body =
    R"({"message":{"type":"status-update","status":"ringing","call":{"id":"bench-idle"}}})";

std::unique_ptr<httplib::Server> make_server(const std::string& kind) {
  std::unique_ptr<httplib::Server> svr;
  if (kind == "old") {
    svr = std::make_unique<httplib::Server>();
    svr->new_task_queue = [] { return new httplib::ThreadPool(32); };
    svr->set_keep_alive_max_count(100000);
  } else {
    rm::http::reactor_settings s;
    s.workers = 32;
    svr = std::make_unique<rm::http::reactor_server>(s);
  }
  svr->set_tcp_nodelay(true);
  svr->Post("/webhooks/vapi", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(reply_body, "application/json");
  });
  return svr;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct result {
  std::vector<double> latencies_ms;
  int unanswered = 0;
};

result measure(const std::string& kind, int idle, int probes, int timeout_s) {
  auto svr = make_server(kind);
  const int port = svr->bind_to_any_port("127.0.0.1");
  std::thread listener{[&] { svr->listen_after_bind(); }};
  while (!svr->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  std::vector<int> fds;
  for (int i = 0; i < idle; ++i) {
    const int fd = connect_to(port);
    if (fd < 0) {
      std::cerr << "bench-idle: connect failed after " << i << " connections\n";
      break;
    }
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted

  result r;
  for (int i = 0; i < probes; ++i) {
    httplib::Client cli{"127.0.0.1", port};
    cli.set_connection_timeout(timeout_s);
    cli.set_read_timeout(timeout_s);
    const auto start = std::chrono::steady_clock::now();
    auto res = cli.Post("/webhooks/vapi", probe_body, "application/json");
    const double took = ms(std::chrono::steady_clock::now() - start).count();
    if (!res || res->status != 200) {
      ++r.unanswered;
      r.latencies_ms.push_back(timeout_s * 1000.0);
      break;  // the next probe would only queue behind the same idle connections
    } else {
      r.latencies_ms.push_back(took);
    }
  }
  for (int fd : fds) ::close(fd);  // the old server's workers then see EOF and drain quickly
  svr->stop();
  listener.join();
  return r;
}

// p50 or max in ms; ">" when that figure is a probe that got no answer (the timeout).
std::string cell(const result& r, bool worst) {
  auto v = r.latencies_ms;
  std::sort(v.begin(), v.end());
  const std::size_t at = worst ? v.size() - 1 : v.size() / 2;
  const bool timed_out = at >= v.size() - static_cast<std::size_t>(r.unanswered);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%.1f", timed_out ? ">" : "", v[at]);
  return buf;
}

int serve(const std::string& kind, int port) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto svr = make_server(kind);
  if (!svr->bind_to_port("127.0.0.1", port)) {
    std::cerr << "bench-idle: cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  std::thread listener{[&] { svr->listen_after_bind(); }};
  int sig = 0;
  sigwait(&stop, &sig);
  svr->stop();
  listener.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> idles{0, 64, 512};
  int probes = 3, timeout_s = 15, port = 0;
  std::string only, serve_kind;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench-idle: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--idle") {
      idles.clear();
      std::stringstream list{value()};
      for (std::string n; std::getline(list, n, ',');) idles.push_back(std::atoi(n.c_str()));
    } else if (a == "--probes") {
      probes = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--timeout") {
      timeout_s = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--only") {
      only = value();
    } else if (a == "--serve") {
      serve_kind = value();
    } else if (a == "--port") {
      port = std::atoi(value().c_str());
    } else {
      std::cerr << "usage: bench-idle [--idle 0,64,512] [--probes 3] [--timeout 15] "
                   "[--only old|reactor] | --serve old|reactor --port N\n";
      return 2;
    }
  }
  // Both ends of every idle connection live in this process.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (!serve_kind.empty()) return serve(serve_kind, port);

  std::printf("%-8s %8s %14s %14s %11s\n", "server", "idle", "p50 ms", "max ms", "unanswered");
  for (const int idle : idles)
    for (const std::string kind : {"old", "reactor"}) {
      if (!only.empty() && only != kind) continue;
      const auto r = measure(kind, idle, probes, timeout_s);
      std::printf("%-8s %8d %14s %14s %7d/%-3zu\n", kind.c_str(), idle, cell(r, false).c_str(),
                  cell(r, true).c_str(), r.unanswered, r.latencies_ms.size());
      std::fflush(stdout);
    }
  return 0;
}
