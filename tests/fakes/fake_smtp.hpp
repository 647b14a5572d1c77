// A local SMTP sink for tests and demos (never linked into the service): speaks enough RFC 5321
// for libcurl's SMTP client — greeting, EHLO/HELO, AUTH PLAIN (with or without the initial
// response), MAIL FROM, RCPT TO, DATA (dot-unstuffed, ended by CRLF.CRLF), RSET, NOOP, QUIT — on
// 127.0.0.1, one session at a time, and records every message it accepted. Tests read them in
// process (messages()); they can make RCPT answer 550 for one address (reject_recipient) or
// every command answer 421 (fail_all) to exercise failures.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rm::fakes {

struct smtp_message {
  std::string mail_from;             // the MAIL FROM path, without <>
  std::vector<std::string> rcpt_to;  // RCPT TO paths, without <>
  std::string data;                  // the message text as received, dot-unstuffed (CRLF kept)
  std::string auth_user;             // AUTH PLAIN user, "" when the session did not authenticate
  // The value of header `name` (first occurrence, case-insensitive), "" when absent.
  std::string header(const std::string& name) const;
  std::string body() const;  // the text after the blank line ending the headers
};

class fake_smtp {
 public:
  // Starts serving on 127.0.0.1:`port` (0 = ephemeral) before returning; throws
  // std::runtime_error when it cannot bind. `user`/`password`: when set, EHLO offers AUTH PLAIN
  // and MAIL is refused (530) before a successful AUTH with them.
  explicit fake_smtp(int port = 0, std::string user = "", std::string password = "");
  ~fake_smtp();
  fake_smtp(const fake_smtp&) = delete;
  fake_smtp& operator=(const fake_smtp&) = delete;

  int port() const { return port_; }
  // smtp://127.0.0.1:PORT (with user:password@ when the sink requires AUTH).
  std::string url() const;

  std::vector<smtp_message> messages() const;
  // Messages with `address` among their recipients.
  std::vector<smtp_message> messages_to(const std::string& address) const;
  void clear();
  // RCPT TO:<address> answers 550 from now on.
  void reject_recipient(const std::string& address);
  // Every command after the greeting answers 421 (the server is going away) while on.
  void fail_all(bool on) { fail_all_ = on; }

 private:
  void serve();
  void session(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::string user_, password_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> fail_all_{false};
  mutable std::mutex m_;
  std::vector<smtp_message> messages_;
  std::set<std::string> rejected_;
  std::thread thread_;
};

}  // namespace rm::fakes
