// The SMTP sink: see fake_smtp.hpp.
#include "tests/fakes/fake_smtp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace rm::fakes {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "<a@b>" (optionally followed by parameters) after "FROM:" / "TO:" → "a@b".
std::string path_of(const std::string& arg) {
  auto open = arg.find('<');
  auto close = arg.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return arg;
  return arg.substr(open + 1, close - open - 1);
}

std::string unbase64(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// A connection's line reader (CRLF or LF ended) with a poll timeout per read.
struct line_reader {
  int fd;
  std::string buf;
  bool next(std::string& line) {
    while (true) {
      auto nl = buf.find('\n');
      if (nl != std::string::npos) {
        line = buf.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        buf.erase(0, nl + 1);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return false;
      char chunk[4096];
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<std::size_t>(n));
    }
  }
};

void say(int fd, const std::string& text) {
  std::string out = text + "\r\n";
  std::size_t sent = 0;
  while (sent < out.size()) {
    auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string smtp_message::header(const std::string& name) const {
  const std::string want = lower(name) + ":";
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto end = data.find("\r\n", pos);
    if (end == std::string::npos) end = data.size();
    if (end == pos) break;  // the blank line: headers are over
    const std::string line = data.substr(pos, end - pos);
    if (lower(line.substr(0, want.size())) == want) {
      auto v = line.substr(want.size());
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
    pos = end + 2;
  }
  return "";
}

std::string smtp_message::body() const {
  auto blank = data.find("\r\n\r\n");
  return blank == std::string::npos ? "" : data.substr(blank + 4);
}

fake_smtp::fake_smtp(int port, std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("fake_smtp: socket() failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("fake_smtp: cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread{[this] { serve(); }};
}

fake_smtp::~fake_smtp() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

std::string fake_smtp::url() const {
  const std::string auth = user_.empty() ? "" : user_ + ":" + password_ + "@";
  return "smtp://" + auth + "127.0.0.1:" + std::to_string(port_);
}

std::vector<smtp_message> fake_smtp::messages() const {
  std::lock_guard<std::mutex> g{m_};
  return messages_;
}

std::vector<smtp_message> fake_smtp::messages_to(const std::string& address) const {
  std::vector<smtp_message> out;
  for (auto& m : messages())
    if (std::find(m.rcpt_to.begin(), m.rcpt_to.end(), address) != m.rcpt_to.end())
      out.push_back(m);
  return out;
}

void fake_smtp::clear() {
  std::lock_guard<std::mutex> g{m_};
  messages_.clear();
}

void fake_smtp::reject_recipient(const std::string& address) {
  std::lock_guard<std::mutex> g{m_};
  rejected_.insert(address);
}

void fake_smtp::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    session(fd);  // one session at a time: enough for tests, and messages stay in order
    ::close(fd);
  }
}

void fake_smtp::session(int fd) {
  line_reader in{fd, {}};
  say(fd, "220 fake-smtp ready");
  smtp_message current;
  std::string auth_user;
  bool in_auth = false;
  std::string line;
  while (!stopping_ && in.next(line)) {
    if (in_auth) {  // the client's AUTH PLAIN response after our 334
      in_auth = false;
      auto decoded = unbase64(line);  // authzid \0 user \0 password
      auto a = decoded.find('\0'), b = decoded.find('\0', a == std::string::npos ? 0 : a + 1);
      if (a != std::string::npos && b != std::string::npos &&
          decoded.substr(a + 1, b - a - 1) == user_ && decoded.substr(b + 1) == password_) {
        auth_user = user_;
        say(fd, "235 2.7.0 Authentication successful");
      } else {
        say(fd, "535 5.7.8 Authentication credentials invalid");
      }
      continue;
    }
    const std::string verb = lower(line.substr(0, line.find(' ')));
    const std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
    if (fail_all_ && verb != "quit") {
      say(fd, "421 4.3.2 fake-smtp is shutting down");
      return;
    }
    if (verb == "ehlo") {
      if (user_.empty()) {
        say(fd, "250-fake-smtp\r\n250-8BITMIME\r\n250 SIZE 10485760");
      } else {
        say(fd, "250-fake-smtp\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SIZE 10485760");
      }
    } else if (verb == "helo") {
      say(fd, "250 fake-smtp");
    } else if (verb == "auth") {
      if (lower(arg.substr(0, 5)) != "plain") {
        say(fd, "504 5.5.4 only AUTH PLAIN");
      } else if (arg.size() > 6) {
        in_auth = true;  // initial response given: handle it like a continuation line
        in.buf.insert(0, arg.substr(6) + "\r\n");
      } else {
        in_auth = true;
        say(fd, "334 ");
      }
    } else if (verb == "mail") {
      if (!user_.empty() && auth_user.empty()) {
        say(fd, "530 5.7.0 Authentication required");
        continue;
      }
      current = smtp_message{};
      current.mail_from = path_of(arg);
      current.auth_user = auth_user;
      say(fd, "250 2.1.0 OK");
    } else if (verb == "rcpt") {
      const auto to = path_of(arg);
      bool rejected;
      {
        std::lock_guard<std::mutex> g{m_};
        rejected = rejected_.count(to) > 0;
      }
      if (rejected) {
        say(fd, "550 5.1.1 mailbox unavailable");
      } else {
        current.rcpt_to.push_back(to);
        say(fd, "250 2.1.5 OK");
      }
    } else if (verb == "data") {
      if (current.rcpt_to.empty()) {
        say(fd, "554 5.5.1 no valid recipients");
        continue;
      }
      say(fd, "354 end data with <CR><LF>.<CR><LF>");
      std::string data;
      bool complete = false;
      while (in.next(line)) {
        if (line == ".") {
          complete = true;
          break;
        }
        if (!line.empty() && line[0] == '.') line.erase(0, 1);  // dot-unstuffing
        data += line + "\r\n";
      }
      if (!complete) return;
      current.data = std::move(data);
      {
        std::lock_guard<std::mutex> g{m_};
        messages_.push_back(current);
      }
      current = smtp_message{};
      say(fd, "250 2.0.0 OK queued");
    } else if (verb == "rset") {
      current = smtp_message{};
      say(fd, "250 2.0.0 OK");
    } else if (verb == "noop") {
      say(fd, "250 2.0.0 OK");
    } else if (verb == "quit") {
      say(fd, "221 2.0.0 bye");
      return;
    } else {
      say(fd, "502 5.5.2 command not implemented");
    }
  }
}

}  // namespace rm::fakes
