// Who the client is, for the failed-authentication throttle (auth_throttle.hpp).
//
// Without trusted proxies the client is the TCP peer (httplib's req.remote_addr). Behind a
// reverse proxy every request comes from the proxy, so RINGMASTER_TRUSTED_PROXIES names the
// proxies (CIDR ranges) whose X-Forwarded-For is believed. Only when the TCP peer is inside one of
// them is X-Forwarded-For read, from the right: each proxy appends the address it received the
// request from, so the right-most entry that is not itself a trusted proxy is the first hop we
// cannot vouch for — the client. Entries to its left were written by that client and are ignored
// (a client cannot pick its own key by sending X-Forwarded-For).
//
// Setting format: comma-separated items, each an IPv4 or IPv6 address with an optional /prefix
// ("10.0.0.0/8, 192.168.1.7, 2001:db8::/32, ::1"); a bare address is /32 or /128; host bits
// beyond the prefix are ignored; spaces around items are ignored; empty = no trusted proxy.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, as a dual-stack listener reports IPv4 peers) are
// treated as the IPv4 address they carry, both when matching and in the returned text.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rm::http {

class trusted_proxies {
 public:
  // Parses the setting's text into `out`; on a bad item returns a message quoting it (and leaves
  // `out` unchanged), e.g. "'10.0.0.0/33' is not an IPv4/IPv6 address or CIDR range".
  static std::optional<std::string> parse(const std::string& text, trusted_proxies& out);

  bool empty() const { return ranges_.empty(); }
  std::size_t size() const { return ranges_.size(); }

  // True when `address` (text; "[v6]:port" and "v4:port" accepted) lies in a trusted range.
  bool contains(const std::string& address) const;

  // The client address for a request from TCP peer `peer` carrying these X-Forwarded-For header
  // values (in header order; each may hold a comma-separated list):
  //   - peer not trusted (or no range configured): `peer`, normalised;
  //   - else, walking the list from the right: the first entry that is not trusted;
  //   - every entry trusted: the left-most entry; no entries: `peer`;
  //   - an entry that is not an address stops the walk: the last address passed (or `peer`),
  //     since only a trusted proxy's own entries can be relied on.
  // Addresses come back in canonical text (inet_ntop), so one client has one key.
  std::string client_of(const std::string& peer,
                        const std::vector<std::string>& forwarded_for) const;

 private:
  struct range {
    int family = 0;  // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;
  };
  std::vector<range> ranges_;
};

}  // namespace rm::http
