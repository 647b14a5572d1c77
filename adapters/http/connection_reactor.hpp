// The HTTP server's connection handling: idle and slow connections wait in epoll, not in worker
// threads, so they cannot starve webhooks (issue 9 §6).
//
// cpp-httplib 0.11 (Debian's libcpp-httplib-dev) hands every accepted socket to one worker of a
// fixed pool and keeps it there for the connection's whole life: the worker polls for the next
// request (keep-alive, 5 s) and reads the request with a 5 s timeout per read. 32 idle or slowly
// sending connections therefore held all 32 workers, and a Vapi webhook waited 5 s per wave of
// them (64 idle connections: ~10 s; 512: over a minute).
//
// reactor_server keeps httplib's request parsing, routing and response writing
// (Server::process_request) but replaces what happens to a socket around it:
//   1. An accepted socket is parked in an epoll set (one thread, "the reactor"); it costs a file
//      descriptor and a small buffer, no thread.
//   2. The reactor reads what arrives (non-blocking) into the connection's buffer until a whole
//      request is there: the head up to its blank line and, with Content-Length, the body.
//      Only then does a worker take the connection and run httplib on the buffered bytes, so a
//      worker never waits for a client that is slow to send. (Chunked bodies, Expect:
//      100-continue, bodies over max_body_bytes and heads over max_head_bytes go to a worker
//      once the head is there, as does a request without Content-Length; httplib reads or
//      refuses the rest, with io_timeout per read.)
//   3. After the response the connection is parked again (keep-alive), unless either side
//      asked to close, or the request was the connection's max_requests_per_connection-th.
//      When no other request is queued the worker first waits up to `linger` (2 ms) for the
//      next request on the same connection: a busy keep-alive client (wrk, a proxy) then costs
//      no hand-off per request, and a connection that goes quiet holds a worker for 2 ms at most.
// Deadlines, checked by the reactor every 250 ms: a parked connection with no byte of a next
// request is closed after idle_timeout; one whose request is incomplete request_timeout after
// its first byte (slowloris). Buffered, not yet complete requests share a budget
// (max_buffered_bytes); beyond it a connection goes to a worker with what it has, as plain
// httplib would, so memory stays bounded under a flood of large slow bodies.
//
// Also fixed on the way: Debian builds httplib without CPPHTTPLIB_USE_POLL, so its select()-based
// code answers 500 to any connection whose descriptor is ≥ FD_SETSIZE (1024). This server polls,
// so its stream reports no descriptor to that guard and a busy server keeps answering.
//
// Threads: the accept loop (httplib's listen), the reactor, and `workers` workers that run the
// handlers. stop() (httplib's Server::stop) stops accepting; listen() then closes the parked
// connections, lets the workers finish the requests they have and any complete request already
// queued (answered with Connection: close), and returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>

#include <httplib.h>

namespace rm::http {

struct reactor_settings {
  std::size_t workers = 32;  // threads that run handlers (RINGMASTER_HTTP_THREADS)
  // Niceness the worker threads add to the process's (setpriority on each thread; 0 = none).
  // Under overload the threads that take new requests then yield the CPU to the ones that
  // finish accepted work (actors, database workers, PostgreSQL on the same machine).
  int worker_nice = 0;
  std::chrono::milliseconds idle_timeout{5000};  // keep-alive: parked with no byte of a request
  std::chrono::milliseconds request_timeout{10000};  // first byte → complete request, at most
  std::chrono::milliseconds io_timeout{5000};  // a worker's wait for each read or write
  // After a response, how long a worker waits for the connection's next request before parking
  // it, and only when no other request is queued (0 = park at once); keeps keep-alive traffic
  // from paying the trip through the reactor for every request.
  std::chrono::milliseconds linger{2};
  std::size_t max_body_bytes = 1 << 20;  // bodies up to this are gathered before a worker runs
  std::size_t max_head_bytes = 64 * 1024;  // request line + headers gathered at most
  std::size_t max_buffered_bytes = 64u << 20;  // all incomplete requests together, at most
  std::size_t max_requests_per_connection = 100000;
};

class reactor_server : public httplib::Server {
 public:
  explicit reactor_server(reactor_settings settings = {});
  ~reactor_server() override;

  // Connections parked now (idle or part-way through a request); 0 when not listening.
  std::size_t parked() const;

  struct reactor;  // connection_reactor.cpp

 private:
  // Called by httplib's accept loop for each accepted socket: parks it instead of serving it.
  bool process_and_close_socket(socket_t sock) override;

  const reactor_settings settings_;
  mutable std::mutex reactor_mutex_;
  std::shared_ptr<reactor> reactor_;  // while listening
};

}  // namespace rm::http
