#include "adapters/http/connection_reactor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rm::http {

namespace {

using clock = std::chrono::steady_clock;

struct connection {
  int fd = -1;
  std::string buf;         // received, not yet consumed by httplib
  std::size_t off = 0;     // consumed prefix of buf
  std::size_t counted = 0;  // bytes of buf counted in the reactor's buffered budget
  clock::time_point deadline;
  bool in_request = false;   // a byte of the next request has arrived
  bool peer_closed = false;  // the client shut down its sending side
  std::size_t served = 0;
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;

  std::size_t pending() const { return buf.size() - off; }
  void compact() {
    buf.erase(0, off);
    off = 0;
  }
};

void ip_and_port(const sockaddr_storage& a, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

// Waits up to `timeout` for `events` on fd (poll, restarted on EINTR); false on timeout or
// error, or when none of `events` came. With `refuse_error_or_hangup`, also false when POLLERR or
// POLLHUP came with them: a write to such a socket would fail, whereas a read still drains what
// the peer sent before hanging up.
bool wait_for(int fd, short events, std::chrono::milliseconds timeout,
              bool refuse_error_or_hangup = false) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0 || (p.revents & events) == 0) return false;
  return !(refuse_error_or_hangup && (p.revents & (POLLERR | POLLHUP)));
}

bool iequals_prefix(const char* line, std::size_t len, const char* name) {
  const std::size_t n = std::strlen(name);
  if (len < n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

// httplib's view of a connection: the buffered bytes first, then the socket (polled, so any
// descriptor number works).
class buffered_stream : public httplib::Stream {
 public:
  buffered_stream(connection& c, std::chrono::milliseconds timeout) : c_(c), timeout_(timeout) {}

  bool is_readable() const override {
    return c_.pending() > 0 || wait_for(c_.fd, POLLIN, timeout_);
  }
  bool is_writable() const override {
    return wait_for(c_.fd, POLLOUT, timeout_, /*refuse_error_or_hangup=*/true);
  }
  ssize_t read(char* ptr, size_t size) override {
    if (c_.pending() == 0) {
      if (!wait_for(c_.fd, POLLIN, timeout_)) return -1;
      char chunk[16 * 1024];
      ssize_t n;
      do {
        n = ::recv(c_.fd, chunk, sizeof chunk, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      c_.buf.assign(chunk, static_cast<std::size_t>(n));
      c_.off = 0;
    }
    const std::size_t n = std::min(size, c_.pending());
    std::memcpy(ptr, c_.buf.data() + c_.off, n);
    c_.off += n;
    return static_cast<ssize_t>(n);
  }
  // Sent at once while the socket has room, the usual case: one system call per write (a poll
  // before every send was ~2 % of the service's CPU on the tool-call path, issue 13's sixth-round
  // profile). Only a full send buffer waits for room, up to the timeout, as before.
  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      ssize_t n;
      do {
        n = ::send(c_.fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return n;
      if (!is_writable()) return -1;
    }
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.remote_ip;
    port = c_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  // Consulted by httplib only for its select()-era guard (descriptors ≥ FD_SETSIZE get 500);
  // this stream polls, so it reports no descriptor there.
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  connection& c_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

struct reactor_server::reactor {
  using serve_fn = std::function<bool(httplib::Stream&, bool close_connection,
                                      bool& connection_closed)>;

  reactor(const reactor_settings& s, serve_fn serve) : settings(s), serve(std::move(serve)) {
    epoll = ::epoll_create1(EPOLL_CLOEXEC);
    wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &ev);
    loop = std::thread{[this] { run(); }};
    for (std::size_t i = 0; i < std::max<std::size_t>(1, settings.workers); ++i)
      workers.emplace_back([this] {
        if (settings.worker_nice > 0)  // raising one's own niceness needs no privilege
          ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)),
                        ::getpriority(PRIO_PROCESS, 0) + settings.worker_nice);
        work();
      });
  }

  ~reactor() {
    stop();
    ::close(epoll);
    ::close(wake);
  }

  // A socket httplib accepted: parked until a request is complete.
  void adopt(int fd) {
    auto c = std::make_unique<connection>();
    c->fd = fd;
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      ip_and_port(a, c->remote_ip, c->remote_port);
    len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      ip_and_port(a, c->local_ip, c->local_port);
    c->deadline = clock::now() + settings.idle_timeout;
    std::lock_guard<std::mutex> g{m};
    if (stopping) return close_now(std::move(c));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return close_now(std::move(c));
    parked.emplace(fd, std::move(c));
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g{m};
      if (stopping) return;
      stopping = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake, &one, sizeof one);
    if (loop.joinable()) loop.join();
    {
      std::lock_guard<std::mutex> g{m};
      for (auto& [fd, c] : parked) close_now(std::move(c));
      parked.clear();
    }
    { std::lock_guard<std::mutex> g{jobs_m}; }  // a worker between its check and its wait
    jobs_cv.notify_all();
    for (auto& w : workers)
      if (w.joinable()) w.join();
  }

  std::size_t parked_count() const {
    std::lock_guard<std::mutex> g{m};
    return parked.size();
  }

 private:
  // The event loop: reads what arrives, hands complete requests to the workers, expires
  // deadlines.
  void run() {
    std::vector<epoll_event> events(256);
    auto next_sweep = clock::now();
    for (;;) {
      const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 250);
      {
        std::lock_guard<std::mutex> g{m};
        if (stopping) return;
      }
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake) continue;
        std::unique_ptr<connection> c;
        {
          std::lock_guard<std::mutex> g{m};
          auto it = parked.find(events[i].data.fd);
          if (it == parked.end()) continue;
          c = std::move(it->second);
          parked.erase(it);
        }
        on_readable(std::move(c));
      }
      const auto now = clock::now();
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + std::chrono::milliseconds(250);
      }
    }
  }

  void on_readable(std::unique_ptr<connection> c) {
    const std::size_t cap = settings.max_head_bytes + settings.max_body_bytes;
    for (;;) {
      if (c->pending() >= cap) break;
      char chunk[16 * 1024];
      const ssize_t n = ::recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        c->buf.append(chunk, static_cast<std::size_t>(n));
        c->counted += static_cast<std::size_t>(n);
        buffered += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) {
        c->peer_closed = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close_now(std::move(c));  // reset or another error
    }
    if (complete(*c) || c->pending() >= cap || buffered > settings.max_buffered_bytes)
      return dispatch(std::move(c));
    if (c->peer_closed) return close_now(std::move(c));
    if (c->pending() > 0 && !c->in_request) {
      c->in_request = true;
      c->deadline = clock::now() + settings.request_timeout;
    }
    park(std::move(c));
  }

  // True when the buffer holds a whole request (head and Content-Length body), or as much as a
  // worker should get before httplib takes over (see the header).
  bool complete(const connection& c) const {
    if (c.pending() == 0) return false;
    const char* data = c.buf.data() + c.off;
    const std::size_t size = c.pending();
    const std::string_view view{data, size};
    const auto end = view.find("\r\n\r\n");
    if (end == std::string_view::npos) return size > settings.max_head_bytes;
    const std::size_t head = end + 4;
    if (head > settings.max_head_bytes) return true;  // httplib refuses it
    std::size_t length = 0;
    // Header lines (the request line is skipped: it cannot start with a header name + ':').
    for (std::size_t pos = view.find("\r\n") + 2; pos < end;) {
      const auto eol = view.find("\r\n", pos);
      const char* line = data + pos;
      const std::size_t len = eol - pos;
      if (iequals_prefix(line, len, "transfer-encoding:") ||
          iequals_prefix(line, len, "expect:"))
        return true;  // httplib reads the body itself (and answers 100 Continue first)
      if (iequals_prefix(line, len, "content-length:")) {
        std::size_t i = std::strlen("content-length:");
        while (i < len && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i == len) return true;  // malformed: httplib answers it
        std::size_t value = 0;
        for (; i < len && line[i] >= '0' && line[i] <= '9'; ++i) {
          if (value > settings.max_body_bytes) return true;  // 413 from httplib
          value = value * 10 + static_cast<std::size_t>(line[i] - '0');
        }
        if (value > settings.max_body_bytes) return true;
        length = value;
      }
      pos = eol + 2;
    }
    return size >= head + length;
  }

  void park(std::unique_ptr<connection> c) {
    std::lock_guard<std::mutex> g{m};
    if (stopping) return close_now(std::move(c));
    const int fd = c->fd;
    parked.emplace(fd, std::move(c));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &ev) != 0) {
      auto it = parked.find(fd);
      close_now(std::move(it->second));
      parked.erase(it);
    }
  }

  void dispatch(std::unique_ptr<connection> c) {
    buffered -= c->counted;
    c->counted = 0;
    {
      std::lock_guard<std::mutex> g{jobs_m};
      jobs.push_back(std::move(c));
    }
    jobs_cv.notify_one();
  }

  void close_now(std::unique_ptr<connection> c) {
    if (!c) return;
    buffered -= c->counted;
    ::epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, nullptr);
    ::shutdown(c->fd, SHUT_RDWR);
    ::close(c->fd);
  }

  void sweep(clock::time_point now) {
    std::lock_guard<std::mutex> g{m};
    for (auto it = parked.begin(); it != parked.end();) {
      if (it->second->deadline <= now) {
        close_now(std::move(it->second));
        it = parked.erase(it);
      } else {
        ++it;
      }
    }
  }

  void work() {
    for (;;) {
      std::unique_ptr<connection> c;
      {
        std::unique_lock<std::mutex> lock{jobs_m};
        jobs_cv.wait(lock, [this] { return !jobs.empty() || is_stopping(); });
        if (jobs.empty()) return;  // stopping, and every queued request was answered
        c = std::move(jobs.front());
        jobs.pop_front();
      }
      serve_connection(std::move(c));
    }
  }

  bool is_stopping() {
    std::lock_guard<std::mutex> g{m};
    return stopping;
  }

  // Runs httplib on the connection while whole requests are buffered, then parks or closes it.
  void serve_connection(std::unique_ptr<connection> c) {
    for (;;) {
      buffered_stream stream{*c, settings.io_timeout};
      const bool last = ++c->served >= settings.max_requests_per_connection || c->peer_closed ||
                        is_stopping();
      bool closed = false;
      bool ok = false;
      try {
        ok = serve(stream, last, closed);  // handlers' exceptions are answered inside httplib
      } catch (...) {
      }
      if (!ok || closed || last) return close_now(std::move(c));
      c->compact();
      c->in_request = false;
      if (c->pending() == 0 && !linger(*c)) break;
      if (c->peer_closed && c->pending() == 0) return close_now(std::move(c));
      if (!complete(*c)) {  // the start of a next request: wait for the rest in the reactor
        c->in_request = true;
        break;
      }
    }
    c->deadline = clock::now() + (c->in_request ? settings.request_timeout : settings.idle_timeout);
    park(std::move(c));
  }

  // A busy keep-alive client sends its next request within a fraction of a millisecond; waiting
  // that long here (only while no other request is queued) saves the round trip through the
  // reactor. True when bytes (or the client's close) arrived within settings.linger.
  bool linger(connection& c) {
    if (settings.linger.count() <= 0) return false;
    {
      std::lock_guard<std::mutex> g{jobs_m};
      if (!jobs.empty()) return false;
    }
    if (!wait_for(c.fd, POLLIN, settings.linger)) return false;
    char chunk[16 * 1024];
    ssize_t n;
    do {
      n = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n == 0) c.peer_closed = true;
    if (n <= 0) return n == 0;
    c.buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  const reactor_settings settings;
  const serve_fn serve;
  int epoll = -1, wake = -1;
  std::thread loop;
  std::vector<std::thread> workers;

  mutable std::mutex m;  // parked, stopping
  std::unordered_map<int, std::unique_ptr<connection>> parked;
  bool stopping = false;
  std::atomic<std::size_t> buffered{0};  // bytes of incomplete requests held by the reactor

  std::mutex jobs_m;
  std::condition_variable jobs_cv;
  std::deque<std::unique_ptr<connection>> jobs;
};

namespace {

// httplib calls enqueue() on its accept thread for each accepted socket; parking is quick, so it
// runs inline. shutdown() comes after the accept loop has ended.
class reactor_queue : public httplib::TaskQueue {
 public:
  explicit reactor_queue(std::function<void()> on_shutdown)
      : on_shutdown_(std::move(on_shutdown)) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { on_shutdown_(); }

 private:
  std::function<void()> on_shutdown_;
};

}  // namespace

reactor_server::reactor_server(reactor_settings settings) : settings_(settings) {
  new_task_queue = [this]() -> httplib::TaskQueue* {
    auto r = std::make_shared<reactor>(
        settings_, [this](httplib::Stream& strm, bool close_connection, bool& connection_closed) {
          return process_request(strm, close_connection, connection_closed, nullptr);
        });
    {
      std::lock_guard<std::mutex> g{reactor_mutex_};
      reactor_ = r;
    }
    return new reactor_queue([this, r] {
      r->stop();
      std::lock_guard<std::mutex> g{reactor_mutex_};
      if (reactor_ == r) reactor_.reset();
    });
  };
}

reactor_server::~reactor_server() {
  stop();
  std::shared_ptr<reactor> r;
  {
    std::lock_guard<std::mutex> g{reactor_mutex_};
    r = std::move(reactor_);
  }
  if (r) r->stop();
}

bool reactor_server::process_and_close_socket(socket_t sock) {
  std::shared_ptr<reactor> r;
  {
    std::lock_guard<std::mutex> g{reactor_mutex_};
    r = reactor_;
  }
  if (!r) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return false;
  }
  r->adopt(sock);
  return true;
}

std::size_t reactor_server::parked() const {
  std::lock_guard<std::mutex> g{reactor_mutex_};
  return reactor_ ? reactor_->parked_count() : 0;
}

}  // namespace rm::http
