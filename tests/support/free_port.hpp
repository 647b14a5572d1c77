// A loopback TCP port that nothing listens on right now (bound to port 0, read back, closed), for
// tests that start a server or need a port that refuses connections. Another process may take it
// before the caller binds it; the tests accept that small race.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace rm::test {

// Throws std::runtime_error when no socket can be bound on 127.0.0.1.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("free_port: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("free_port: no loopback port could be bound");
  return ntohs(addr.sin_port);
}

}  // namespace rm::test
