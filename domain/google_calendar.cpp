#include "domain/google_calendar.hpp"

#include <algorithm>
#include <cctype>

#include "domain/uuid.hpp"

namespace rm::domain::google {

bool valid_event_id(std::string_view id) {
  if (id.size() < 5 || id.size() > 1024) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'v'))) return false;
  return true;
}

std::optional<std::string> event_id_of(std::string_view appointment_id) {
  const std::string id{appointment_id};
  if (!is_uuid(id)) return std::nullopt;
  std::string out;
  out.reserve(32);
  for (char c : id)
    if (c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool nonce_ok(std::string_view n) {
  if (n.size() < 16 || n.size() > 64) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

bool part_ok(std::string_view p) {
  if (p.empty() || p.size() > 64) return false;
  for (char c : p)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

std::string state_text(const oauth_state& s) {
  return "v1." + s.org_id + "." + s.user_id + "." + s.nonce + "." + std::to_string(s.expires_at);
}

std::optional<oauth_state> parse_state_text(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 5 || parts[0] != "v1") return std::nullopt;
  if (!part_ok(parts[1]) || !part_ok(parts[2]) || !nonce_ok(parts[3])) return std::nullopt;
  const auto& e = parts[4];
  if (e.empty() || e.size() > 12) return std::nullopt;
  std::int64_t expires = 0;
  for (char c : e) {
    if (c < '0' || c > '9') return std::nullopt;
    expires = expires * 10 + (c - '0');
  }
  return oauth_state{std::string{parts[1]}, std::string{parts[2]}, std::string{parts[3]},
                     expires};
}

bool state_expired(const oauth_state& s, instant now) {
  return now.time_since_epoch().count() >= s.expires_at;
}

std::vector<busy_interval> merge_busy(std::vector<busy_interval> busy) {
  busy.erase(std::remove_if(busy.begin(), busy.end(),
                            [](const busy_interval& b) { return b.end <= b.start; }),
             busy.end());
  std::sort(busy.begin(), busy.end(),
            [](const busy_interval& a, const busy_interval& b) { return a.start < b.start; });
  std::vector<busy_interval> out;
  for (const auto& b : busy) {
    if (!out.empty() && b.start <= out.back().end)
      out.back().end = std::max(out.back().end, b.end);
    else
      out.push_back(b);
  }
  return out;
}

std::vector<busy_interval> join_busy(const std::vector<busy_interval>& local,
                                     const std::vector<busy_interval>& google) {
  if (google.empty()) return local;
  auto all = local;
  all.insert(all.end(), google.begin(), google.end());
  return merge_busy(std::move(all));
}

std::vector<busy_interval> clip_busy(const std::vector<busy_interval>& busy, instant from,
                                     instant to) {
  std::vector<busy_interval> out;
  for (const auto& b : busy)
    if (b.end > from && b.start < to) out.push_back(b);
  return out;
}

bool token_needs_refresh(instant obtained_at, std::int64_t expires_in_s, instant now) {
  const std::int64_t margin = std::min<std::int64_t>(300, expires_in_s / 2);
  return now >= obtained_at + std::chrono::seconds(expires_in_s - margin);
}

std::chrono::seconds sync_backoff(int attempts) {
  if (attempts < 1) attempts = 1;
  if (attempts > 9) return std::chrono::seconds(300);
  return std::chrono::seconds(std::min(300, 1 << (attempts - 1)));
}

}  // namespace rm::domain::google
