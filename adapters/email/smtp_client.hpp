// Outbound e-mail over SMTP (RFC 5321) with libcurl's SMTP support: one plain-text message per
// call, blocking. Run it only from a detached actor (the e-mail adapter's workers,
// actors/provider_adapters.cpp); in the service nothing else builds a client. No CAF here.
//
// Configuration (RINGMASTER_SMTP_URL, RINGMASTER_SMTP_FROM; docs/operations.md "E-mail"):
//   smtp://host[:port]   plain SMTP (port 25 by default); STARTTLS is used when the server offers
//                        it (CURLUSESSL_TRY), so credentials go in clear only to a server that
//                        offers no TLS — use smtps:// to require TLS;
//   smtps://host[:port]  implicit TLS (port 465 by default), certificates verified;
//   user:password@ in either URL authenticates (AUTH as the server offers; percent-encode ':',
//   '@' and '/' in them). The URL is a secret (it may hold a password): never logged.
// The message: From = settings.from, To = message.to, Subject (RFC 2047 encoded when it is not
// ASCII), Date, Message-ID, MIME-Version, text/plain; charset=utf-8, 8bit; lines end in CRLF
// (libcurl dot-stuffs lines that start with '.').
#pragma once

#include <chrono>
#include <string>

namespace rm::email {

struct smtp_settings {
  std::string url;   // smtp://… or smtps://… ("" = not configured: every send fails, no I/O)
  std::string from;  // envelope and header sender, a bare address: clinic@example.com
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};  // the whole exchange
};

struct message {
  std::string to;       // one bare address
  std::string subject;  // one line (CR/LF are replaced by spaces)
  std::string text;     // UTF-8 body
};

struct send_result {
  bool ok = false;
  std::string message_id;  // the Message-ID header sent, "<…@…>", when ok
  // The last SMTP reply code libcurl saw (250, 550 …); 0 when the exchange never got one
  // (no connection, TLS failure, timeout, not configured).
  int smtp_status = 0;
  std::string error;  // one sentence when !ok (never the URL or a password)
  // A failure of the mail server rather than of this message: no reply at all or a 4xx
  // (RFC 5321 "transient negative") — what the provider gate's circuit breaker counts.
  bool transient() const { return !ok && (smtp_status == 0 || (smtp_status >= 400 && smtp_status < 500)); }
};

// A bare address local@domain: no spaces, no angle brackets, no CR/LF, exactly one '@' with text
// on both sides and a '.' in the domain, at most 254 bytes. What the routes and the client accept.
bool valid_address(const std::string& address);

// Checks a settings value: "" or an error naming the problem (scheme, host, from address).
std::string validate(const smtp_settings& s);

// The RFC 5322 message text (headers and body, CRLF line ends) for `m` from `from`, with the
// given Message-ID and Date header values. Pure; the client sends exactly this.
std::string build_message(const std::string& from, const message& m,
                          const std::string& message_id, const std::string& date);

class smtp_client {
 public:
  explicit smtp_client(smtp_settings settings) : settings_(std::move(settings)) {}
  // One message, one SMTP session. Never throws for a delivery failure (see send_result).
  send_result send(const message& m) const;

 private:
  smtp_settings settings_;
};

}  // namespace rm::email
