// Log lines of ringmaster (issue 14 §2). ringmaster logs with spdlog's default logger (stdout);
// this extends it rather than adding a second facility:
//   - install(format::json): one JSON object per line,
//       {"time":"2026-12-05T01:02:03.456Z","level":"info","component":"http",
//        "message":"…","request_id":"…","call_id":"…","org_id":"…"}
//     (request_id, call_id, org_id only when known on the logging thread; see context);
//   - install(format::text): spdlog's usual pattern, with the same redaction.
// Both formats pass every message through redact(): phone numbers keep only their last four
// digits, so no line carries a caller's number whatever a call site formats into it.
//
// Context: each thread has one `context` (thread-local). The HTTP server opens a scope per
// request (component "http", the X-Request-Id); routes add call_id / org_id once they know them.
// Lines logged outside any scope get the component from the message's own "word: " prefix
// ("numbers: order …" → "numbers"), else "ringmaster".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rm::logging {

enum class format { text, json };

// "json" | "text" → the format; anything else → nullopt (RINGMASTER_LOG_FORMAT is then refused).
std::optional<format> parse_format(std::string_view s);
// The default when RINGMASTER_LOG_FORMAT is unset: text when stdout (where the default logger
// writes) is a terminal, json otherwise.
format default_format();
// Sets the formatter of spdlog's default logger. Call once at start-up, before other threads log.
void install(format f);

// The message with every phone number reduced to "…" and its last four digits: a '+' followed by
// 7–15 digits (E.164, optionally with spaces, dots or dashes between digit groups), and a bare run
// of 10–15 digits that is not part of a longer word, id or number (letters, digits, '-', '_', '.'
// or '/' around it). Other text is unchanged.
std::string redact(std::string_view message);

// What a log line from this thread is about. Empty fields are left out of JSON lines.
struct context {
  std::string request_id;
  std::string call_id;
  std::string org_id;
  std::string component;  // "" → from the message prefix
};
context& current();  // this thread's context

// Sets this thread's context for its lifetime and restores the previous one after.
class scope {
 public:
  explicit scope(context c);
  ~scope();
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;

 private:
  context saved_;
};

// Adds what a handler learns on the way (kept until the enclosing scope ends). Empty arguments
// leave the field as it is.
void note_call(const std::string& call_id, const std::string& org_id = "");
void note_org(const std::string& org_id);

// One JSON log line (no newline) as install(format::json) writes it; `time_utc_ms` is the
// Unix time in milliseconds. Exposed for tests.
std::string json_line(long long time_utc_ms, std::string_view level, std::string_view message,
                      const context& ctx);

}  // namespace rm::logging
