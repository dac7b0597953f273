// A listening TCP socket on 127.0.0.1 at an ephemeral port, for tests that script a server by
// hand (accept, read, answer late or never). REQUIRES: the socket calls succeed (loopback).
// The caller owns the descriptor and closes it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace bts::test {

// Returns the descriptor; `port` receives the port it listens on.
inline int listen_on_loopback(std::uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(fd, 16);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace bts::test
