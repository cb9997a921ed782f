// Descriptor and socket helpers shared by the suites' support headers: an owning fd,
// a socketpair, loopback addresses and raw sends and receives. Plain POSIX sockets
// (no libevent), so they build against vigil and against the system libevent for the
// oracle runs alike.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace vigil_test {

// Owns one descriptor; closes it on destruction unless released.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd = o.fd;
      o.fd = -1;
    }
    return *this;
  }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
  int get() const { return fd; }
};

// An AF_UNIX stream socketpair, both ends non-blocking and close-on-exec, closed on
// destruction unless released.
struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
      ADD_FAILURE() << "socketpair: " << std::strerror(errno);
  }
  ~SocketPair() {
    close_end(0);
    close_end(1);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
  // Hands one end to someone else (say, a bufferevent with BEV_OPT_CLOSE_ON_FREE).
  int release(int i) {
    int f = fd[i];
    fd[i] = -1;
    return f;
  }
  int a() const { return fd[0]; }
  int b() const { return fd[1]; }
};

// 127.0.0.1:port (port 0: let bind() pick one).
inline sockaddr_in loopback4(unsigned port = 0) {
  sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sin;
}

// Sends s on a socket without raising SIGPIPE.
inline ssize_t put(int fd, const std::string& s) { return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

// Everything readable on a non-blocking fd right now.
inline std::string drain_fd(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Writes junk into a non-blocking fd until the kernel refuses more; returns the bytes written.
inline size_t fill_until_full(int fd) {
  static char junk[65536];
  size_t total = 0;
  for (;;) {
    ssize_t n = ::send(fd, junk, sizeof junk, MSG_NOSIGNAL);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

}  // namespace vigil_test
