#include "adapters/logging/log.hpp"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

namespace rm::logging {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Digits of a phone-like run starting at `i` (a digit): digit groups, optionally separated by
// one space, '.' or '-' each, up to 15 digits. `end` receives the index after the run.
std::string digits_from(std::string_view s, std::size_t i, bool allow_separators,
                        std::size_t& end) {
  std::string digits;
  std::size_t j = i;
  while (j < s.size() && digits.size() < 15) {
    if (is_digit(s[j])) {
      digits += s[j++];
      continue;
    }
    if (allow_separators && (s[j] == ' ' || s[j] == '.' || s[j] == '-') && j + 1 < s.size() &&
        is_digit(s[j + 1])) {
      ++j;
      continue;
    }
    break;
  }
  end = j;
  return digits;
}

std::string masked(const std::string& digits) { return "…" + digits.substr(digits.size() - 4); }

std::string iso_utc(long long ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// "numbers: order …" → "numbers"; "tool log: …" → "tool_log"; else "".
std::string component_of(std::string_view message) {
  std::string out;
  int words = 1;
  for (std::size_t i = 0; i < message.size() && i < 24; ++i) {
    char c = message[i];
    if (c >= 'a' && c <= 'z') {
      out += c;
    } else if (c == ' ' && !out.empty() && out.back() != '_' && words < 2) {
      out += '_';
      ++words;
    } else if (c == ':' && !out.empty() && out.back() != '_' && i + 1 < message.size() &&
               message[i + 1] == ' ') {
      return out;
    } else {
      return "";
    }
  }
  return "";
}

thread_local context this_thread;

std::string_view view(const spdlog::string_view_t& s) { return {s.data(), s.size()}; }

class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
            .count();
    const auto line = json_line(ms, view(spdlog::level::to_string_view(msg.level)),
                                view(msg.payload), this_thread);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

// spdlog's default pattern over the redacted message.
class text_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto text = redact(view(msg.payload));
    auto copy = msg;
    copy.payload = spdlog::string_view_t{text.data(), text.size()};
    inner_->format(copy, dest);
    // The colour sink reads the level's range from the message it passed in.
    msg.color_range_start = copy.color_range_start;
    msg.color_range_end = copy.color_range_end;
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<text_formatter>();
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_ = std::make_unique<spdlog::pattern_formatter>();
};

}  // namespace

std::optional<format> parse_format(std::string_view s) {
  if (s == "json") return format::json;
  if (s == "text") return format::text;
  return std::nullopt;
}

format default_format() { return ::isatty(STDOUT_FILENO) ? format::text : format::json; }

void install(format f) {
  if (f == format::json)
    spdlog::set_formatter(std::make_unique<json_formatter>());
  else
    spdlog::set_formatter(std::make_unique<text_formatter>());
}

std::string redact(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    // "+<digits>" or "%2B<digits>" (a form- or URL-encoded plus).
    std::size_t plus_len = s[i] == '+' ? 1
                           : (s[i] == '%' && i + 2 < s.size() && s[i + 1] == '2' &&
                              (s[i + 2] == 'B' || s[i + 2] == 'b'))
                               ? 3
                               : 0;
    if (plus_len > 0 && i + plus_len < s.size() && is_digit(s[i + plus_len])) {
      std::size_t end = 0;
      auto digits = digits_from(s, i + plus_len, true, end);
      if (digits.size() >= 7) {
        out += masked(digits);
        i = end;
        continue;
      }
    }
    if (is_digit(s[i]) && (i == 0 || (!word_char(s[i - 1]) && s[i - 1] != '.'))) {
      std::size_t end = 0;
      auto digits = digits_from(s, i, false, end);
      const bool bounded =
          end == s.size() ||
          (!word_char(s[end]) && !(s[end] == '.' && end + 1 < s.size() && is_digit(s[end + 1])));
      if (digits.size() >= 10 && bounded) {
        out += masked(digits);
        i = end;
        continue;
      }
      out.append(s.substr(i, end - i));  // a shorter number (or part of an id): as it is
      i = end;
      continue;
    }
    out += s[i++];
  }
  return out;
}

context& current() { return this_thread; }

scope::scope(context c) : saved_(std::move(this_thread)) { this_thread = std::move(c); }
scope::~scope() { this_thread = std::move(saved_); }

void note_call(const std::string& call_id, const std::string& org_id) {
  if (!call_id.empty()) this_thread.call_id = call_id;
  note_org(org_id);
}

void note_org(const std::string& org_id) {
  if (!org_id.empty()) this_thread.org_id = org_id;
}

std::string json_line(long long time_utc_ms, std::string_view level, std::string_view message,
                      const context& ctx) {
  const auto text = redact(message);
  nlohmann::ordered_json j;
  j["time"] = iso_utc(time_utc_ms);
  j["level"] = std::string{level};
  auto component = ctx.component.empty() ? component_of(text) : ctx.component;
  j["component"] = component.empty() ? "ringmaster" : component;
  j["message"] = text;
  if (!ctx.request_id.empty()) j["request_id"] = ctx.request_id;
  if (!ctx.call_id.empty()) j["call_id"] = redact(ctx.call_id);
  if (!ctx.org_id.empty()) j["org_id"] = ctx.org_id;
  // Replace, not throw: a message may quote request text that is not UTF-8.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rm::logging
