// SMTP through libcurl: see smtp_client.hpp.
#include "adapters/email/smtp_client.hpp"

#include <cstring>
#include <ctime>
#include <mutex>
#include <random>

#include <curl/curl.h>

namespace rm::email {

namespace {

void curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// RFC 2047 "B" encoding for a non-ASCII header value.
std::string header_text(const std::string& s) {
  return is_ascii(s) ? s : "=?UTF-8?B?" + base64(s) + "?=";
}

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

std::string new_message_id(const std::string& from) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return "<" + std::string(buf) + "@" + domain_of(from) + ">";
}

std::string rfc5322_date_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

struct upload {
  const std::string* text;
  std::size_t pos = 0;
};

std::size_t read_chunk(char* buffer, std::size_t size, std::size_t nitems, void* userdata) {
  auto* up = static_cast<upload*>(userdata);
  const std::size_t room = size * nitems;
  const std::size_t n = std::min(room, up->text->size() - up->pos);
  std::memcpy(buffer, up->text->data() + up->pos, n);
  up->pos += n;
  return n;
}

}  // namespace

bool valid_address(const std::string& a) {
  if (a.empty() || a.size() > 254) return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '(' || c == ')' || c == '\\')
      return false;
  const auto at = a.find('@');
  if (at == std::string::npos || at == 0 || a.find('@', at + 1) != std::string::npos) return false;
  const auto domain = a.substr(at + 1);
  const auto dot = domain.find('.');
  return dot != std::string::npos && dot > 0 && domain.back() != '.';
}

std::string validate(const smtp_settings& s) {
  if (s.url.rfind("smtp://", 0) != 0 && s.url.rfind("smtps://", 0) != 0)
    return "must start with smtp:// or smtps://";
  const auto rest = s.url.substr(s.url.find("://") + 3);
  const auto host = rest.substr(rest.rfind('@') == std::string::npos ? 0 : rest.rfind('@') + 1);
  if (host.empty() || host[0] == ':' || host[0] == '/') return "names no host";
  if (!valid_address(s.from)) return "RINGMASTER_SMTP_FROM must be a bare address (clinic@example.com)";
  return "";
}

std::string build_message(const std::string& from, const message& m,
                          const std::string& message_id, const std::string& date) {
  std::string out;
  out += "Date: " + date + "\r\n";
  out += "From: " + from + "\r\n";
  out += "To: " + m.to + "\r\n";
  out += "Subject: " + header_text(one_line(m.subject)) + "\r\n";
  out += "Message-ID: " + message_id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  // Body: every line ends in CRLF (bare LF and bare CR become CRLF).
  for (std::size_t i = 0; i < m.text.size(); ++i) {
    const char c = m.text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < m.text.size() && m.text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

send_result smtp_client::send(const message& m) const {
  send_result r;
  if (settings_.url.empty()) {
    r.error = "e-mail is not configured on this server (RINGMASTER_SMTP_URL)";
    return r;
  }
  if (!valid_address(m.to)) {
    r.error = "not an e-mail address: '" + one_line(m.to).substr(0, 64) + "'";
    r.smtp_status = 501;  // what a server would answer; not a server failure
    return r;
  }
  curl_once();
  CURL* curl = curl_easy_init();
  if (!curl) {
    r.error = "libcurl could not start an SMTP session";
    return r;
  }
  const std::string id = new_message_id(settings_.from);
  const std::string text = build_message(settings_.from, m, id, rfc5322_date_now());
  upload up{&text};
  const std::string from_path = "<" + settings_.from + ">";
  const std::string rcpt_path = "<" + m.to + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, rcpt_path.c_str());
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_path.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<long long>(settings_.timeout.count(), 10000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  r.smtp_status = static_cast<int>(code);
  if (rc == CURLE_OK) {
    r.ok = true;
    r.message_id = id;
    return r;
  }
  // libcurl's sentence names the step (and never the password); the URL is not repeated.
  r.error = std::string("the mail server did not take the message: ") +
            (errbuf[0] ? errbuf : curl_easy_strerror(rc));
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
      rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SSL_CONNECT_ERROR)
    r.smtp_status = 0;  // no SMTP reply worth naming: the server was not reached
  return r;
}

}  // namespace rm::email
