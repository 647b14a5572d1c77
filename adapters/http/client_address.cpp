#include "adapters/http/client_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace rm::http {

namespace {

struct address {
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};
};

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

// Text → address; "[v6]" / "[v6]:port" / "v4:port" accepted (some proxies append the port).
// IPv4-mapped IPv6 becomes IPv4.
std::optional<address> parse_address(std::string text) {
  text = trim(text);
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (const auto colon = text.find(':');
             colon != std::string::npos && text.find(':', colon + 1) == std::string::npos &&
             text.find('.') != std::string::npos) {
    text = text.substr(0, colon);  // a.b.c.d:port
  }
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  address a;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    a.family = AF_INET;
    std::memcpy(a.bytes.data(), &v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
  static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(&v6, mapped, 12) == 0) {
    a.family = AF_INET;
    std::memcpy(a.bytes.data(), reinterpret_cast<const std::uint8_t*>(&v6) + 12, 4);
    return a;
  }
  a.family = AF_INET6;
  std::memcpy(a.bytes.data(), &v6, 16);
  return a;
}

std::string text_of(const address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.family, a.bytes.data(), buf, sizeof buf);
  return buf;
}

bool prefix_equal(const std::array<std::uint8_t, 16>& x, const std::array<std::uint8_t, 16>& y,
                  int prefix) {
  const int whole = prefix / 8, bits = prefix % 8;
  if (std::memcmp(x.data(), y.data(), static_cast<std::size_t>(whole)) != 0) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (x[whole] & mask) == (y[whole] & mask);
}

// "a, b" → ["a", "b"] (empty items dropped).
std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    auto item = trim(text.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> trusted_proxies::parse(const std::string& text, trusted_proxies& out) {
  std::vector<range> ranges;
  for (const auto& item : split_commas(text)) {
    const auto bad = "'" + item + "' is not an IPv4/IPv6 address or CIDR range";
    const auto slash = item.find('/');
    const auto host = item.substr(0, slash);
    auto a = parse_address(host);
    // Ports and brackets belong to X-Forwarded-For entries, not to the setting ("a.b.c.d:port"
    // has one colon; an IPv6 address has at least two).
    const auto colons = std::count(host.begin(), host.end(), ':');
    if (!a || host.find_first_of("[]") != std::string::npos || colons == 1) return bad;
    range r;
    r.family = a->family;
    r.bytes = a->bytes;
    const int max = a->family == AF_INET ? 32 : 128;
    r.prefix = max;
    if (slash != std::string::npos) {
      const auto digits = item.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        return bad;
      r.prefix = std::stoi(digits);
      if (r.prefix > max) return bad;
      // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
      if (a->family == AF_INET && item.find(':') != std::string::npos) {
        if (r.prefix < 96) return bad;
        r.prefix -= 96;
      }
    }
    ranges.push_back(r);
  }
  out.ranges_ = std::move(ranges);
  return std::nullopt;
}

bool trusted_proxies::contains(const std::string& text) const {
  const auto a = parse_address(text);
  if (!a) return false;
  for (const auto& r : ranges_)
    if (r.family == a->family && prefix_equal(r.bytes, a->bytes, r.prefix)) return true;
  return false;
}

std::string trusted_proxies::client_of(const std::string& peer,
                                       const std::vector<std::string>& forwarded_for) const {
  const auto p = parse_address(peer);
  std::string client = p ? text_of(*p) : peer;
  if (ranges_.empty() || !contains(peer)) return client;
  std::vector<std::string> hops;
  for (const auto& value : forwarded_for)
    for (auto& hop : split_commas(value)) hops.push_back(std::move(hop));
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const auto a = parse_address(*it);
    if (!a) return client;  // garbage: keep the last address a trusted proxy vouched for
    client = text_of(*a);
    if (!contains(client)) return client;
  }
  return client;  // every hop trusted: the left-most one (or the peer when there were none)
}

}  // namespace rm::http
