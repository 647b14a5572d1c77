// RINGMASTER_TRUSTED_PROXIES: parsing the CIDR list and which address the failed-authentication
// throttle counts a request under (test_trusted_proxies_config.cpp: the start-up error).
#include <catch2/catch.hpp>

#include "adapters/http/client_address.hpp"

using rm::http::trusted_proxies;

namespace {

trusted_proxies parsed(const std::string& text) {
  trusted_proxies p;
  const auto err = trusted_proxies::parse(text, p);
  INFO(text << " → " << err.value_or("ok"));
  REQUIRE(!err);
  return p;
}

}  // namespace

TEST_CASE("trusted proxies: IPv4 and IPv6 ranges, bare addresses, spaces and empties") {
  auto p = parsed(" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1,, 172.16.0.0/12 ");
  CHECK(p.size() == 5);
  CHECK(p.contains("10.1.2.3"));
  CHECK(p.contains("10.255.255.255"));
  CHECK_FALSE(p.contains("11.0.0.1"));
  CHECK(p.contains("192.168.1.7"));
  CHECK_FALSE(p.contains("192.168.1.8"));
  CHECK(p.contains("2001:db8:1::5"));
  CHECK(p.contains("2001:DB8::1"));
  CHECK_FALSE(p.contains("2001:db9::1"));
  CHECK(p.contains("::1"));
  CHECK(p.contains("172.31.255.1"));
  CHECK_FALSE(p.contains("172.32.0.1"));
  // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6.
  CHECK(p.contains("::ffff:10.9.8.7"));
  CHECK_FALSE(p.contains("not-an-address"));
  CHECK(parsed("").empty());
  CHECK(parsed(" , ").empty());
  // Host bits beyond the prefix are ignored; /0 trusts everything of that family.
  CHECK(parsed("10.1.2.3/8").contains("10.200.0.1"));
  CHECK(parsed("0.0.0.0/0").contains("203.0.113.9"));
  CHECK_FALSE(parsed("0.0.0.0/0").contains("2001:db8::1"));
  // Odd prefixes.
  auto odd = parsed("10.0.0.0/13, fd00::/7");
  CHECK(odd.contains("10.7.255.255"));
  CHECK_FALSE(odd.contains("10.8.0.0"));
  CHECK(odd.contains("fdff::1"));
  CHECK(odd.contains("fc00::1"));
  CHECK_FALSE(odd.contains("fe00::1"));
}

TEST_CASE("trusted proxies: a bad item is an error that quotes it") {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.256",
                          "proxy.example.com", "10.0.0.1:8080", "[::1]", "10.0.0.0/8/8",
                          "1.2.3.4, nope"}) {
    trusted_proxies p = parsed("127.0.0.1");
    auto err = trusted_proxies::parse(bad, p);
    INFO(bad);
    REQUIRE(err);
    CHECK(err->find("is not an IPv4/IPv6 address or CIDR range") != std::string::npos);
    CHECK(p.size() == 1);  // unchanged
  }
}

TEST_CASE("the client is the peer unless the peer is a trusted proxy") {
  const auto none = parsed("");
  CHECK(none.client_of("203.0.113.7", {"198.51.100.1"}) == "203.0.113.7");
  const auto p = parsed("10.0.0.0/8, 2001:db8::/32");
  // An untrusted peer's X-Forwarded-For is its own claim: ignored.
  CHECK(p.client_of("203.0.113.7", {"198.51.100.1"}) == "203.0.113.7");
  CHECK(p.client_of("::ffff:203.0.113.7", {}) == "203.0.113.7");
  // A trusted peer: the right-most entry that is not a trusted proxy.
  CHECK(p.client_of("10.0.0.2", {"198.51.100.1"}) == "198.51.100.1");
  CHECK(p.client_of("10.0.0.2", {"6.6.6.6, 198.51.100.1, 10.0.0.5"}) == "198.51.100.1");
  // Several headers are one list, in order.
  CHECK(p.client_of("10.0.0.2", {"6.6.6.6", "198.51.100.1", "10.0.0.5"}) == "198.51.100.1");
  // Ports and brackets some proxies add; canonical text back.
  CHECK(p.client_of("10.0.0.2", {"198.51.100.1:4711"}) == "198.51.100.1");
  CHECK(p.client_of("10.0.0.2", {"[2001:DB9::0001]:443"}) == "2001:db9::1");
  CHECK(p.client_of("2001:db8::9", {"2001:db8::7, 2001:db9::1"}) == "2001:db9::1");
  // No header: the proxy itself; every hop trusted: the left-most.
  CHECK(p.client_of("10.0.0.2", {}) == "10.0.0.2");
  CHECK(p.client_of("10.0.0.2", {"10.0.0.9, 10.0.0.8"}) == "10.0.0.9");
  // Garbage stops the walk at the last address a trusted proxy vouched for.
  CHECK(p.client_of("10.0.0.2", {"198.51.100.1, garbage"}) == "10.0.0.2");
  CHECK(p.client_of("10.0.0.2", {"garbage, 10.0.0.7"}) == "10.0.0.7");
}
