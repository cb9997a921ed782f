// The socket helpers of event2/util.h and its error and timeval macros.
#include "util_support.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstddef>

using namespace ut;

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

int sockopt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

// The return value and errno of one call.
template <class F>
std::pair<int, int> call(F f) {
  errno = 0;
  int r = f();
  return {r, errno};
}

}  // namespace

TEST(Socketpair, ConnectedPair) {
  evutil_socket_t sv[2] = {-1, -1};
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  ASSERT_EQ(write(a.fd, "hi", 2), 2);
  char buf[2];
  ASSERT_EQ(read(b.fd, buf, 2), 2);
  EXPECT_EQ(memcmp(buf, "hi", 2), 0);
  // The kernel's answer for families it cannot pair.
  auto r = call([&] { return evutil_socketpair(AF_INET, SOCK_STREAM, 0, sv); });
  EXPECT_EQ(r.first, -1);
  EXPECT_EQ(r.second, EOPNOTSUPP);
}

TEST(SocketFlags, NonblockingAndCloseOnExec) {
  evutil_socket_t sv[2];
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  EXPECT_EQ(fcntl(a.fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(evutil_make_socket_nonblocking(a.fd), 0);
  EXPECT_NE(fcntl(a.fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(evutil_make_socket_nonblocking(a.fd), 0);  // again: no change, no error
  EXPECT_EQ(fcntl(a.fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(evutil_make_socket_closeonexec(a.fd), 0);
  EXPECT_NE(fcntl(a.fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(evutil_make_socket_closeonexec(a.fd), 0);
}

TEST(SocketFlags, BadDescriptorsAreLogged) {
  // These two warn through the event log, as libevent does.
  LogCapture log;
  auto r = call([] { return evutil_make_socket_nonblocking(-1); });
  EXPECT_EQ(r.first, -1);
  EXPECT_EQ(r.second, EBADF);
  EXPECT_TRUE(log.has("fcntl(-1, F_GETFL)")) << log.dump();
  r = call([] { return evutil_make_socket_closeonexec(-1); });
  EXPECT_EQ(r.first, -1);
  EXPECT_EQ(r.second, EBADF);
  EXPECT_TRUE(log.has("fcntl(-1, F_GETFD)")) << log.dump();
  EXPECT_EQ(log.size(), 2u) << log.dump();
}

TEST(Closesocket, ClosesOnce) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(evutil_closesocket(fd), 0);
  auto r = call([&] { return evutil_closesocket(fd); });
  EXPECT_EQ(r.first, -1);
  EXPECT_EQ(r.second, EBADF);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(EVUTIL_CLOSESOCKET(fd), 0);
}

TEST(ListenSocketOptions, SetTheirOption) {
  Fd tcp(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(tcp.fd, 0);
  EXPECT_EQ(evutil_make_listen_socket_reuseable(tcp.fd), 0);
  EXPECT_NE(sockopt(tcp.fd, SOL_SOCKET, SO_REUSEADDR), 0);
  EXPECT_EQ(evutil_make_listen_socket_reuseable_port(tcp.fd), 0);
  EXPECT_NE(sockopt(tcp.fd, SOL_SOCKET, SO_REUSEPORT), 0);
  EXPECT_EQ(evutil_make_tcp_listen_socket_deferred(tcp.fd), 0);
  EXPECT_NE(sockopt(tcp.fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);

  Fd tcp6(socket(AF_INET6, SOCK_STREAM, 0));
  if (tcp6.fd >= 0) {
    EXPECT_EQ(evutil_make_listen_socket_ipv6only(tcp6.fd), 0);
    EXPECT_EQ(sockopt(tcp6.fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
  }
}

TEST(ListenSocketOptions, FailuresComeFromSetsockopt) {
  // Each helper returns setsockopt's result as it is, errno included, and logs nothing.
  LogCapture log;
  evutil_socket_t sv[2];
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  Fd udp(socket(AF_INET, SOCK_DGRAM, 0));
  ASSERT_GE(udp.fd, 0);

  auto r = call([&] { return evutil_make_tcp_listen_socket_deferred(a.fd); });
  EXPECT_EQ(r, std::make_pair(-1, EOPNOTSUPP));
  r = call([&] { return evutil_make_tcp_listen_socket_deferred(udp.fd); });
  EXPECT_EQ(r, std::make_pair(-1, ENOPROTOOPT));
  r = call([&] { return evutil_make_tcp_listen_socket_deferred(-1); });
  EXPECT_EQ(r, std::make_pair(-1, EBADF));
  r = call([&] { return evutil_make_listen_socket_reuseable_port(a.fd); });
  EXPECT_EQ(r, std::make_pair(-1, EOPNOTSUPP));
  r = call([&] { return evutil_make_listen_socket_ipv6only(udp.fd); });
  EXPECT_EQ(r, std::make_pair(-1, ENOPROTOOPT));
  r = call([&] { return evutil_make_listen_socket_reuseable(-1); });
  EXPECT_EQ(r, std::make_pair(-1, EBADF));
  r = call([&] { return evutil_make_listen_socket_reuseable_port(-1); });
  EXPECT_EQ(r, std::make_pair(-1, EBADF));
  r = call([&] { return evutil_make_listen_socket_ipv6only(-1); });
  EXPECT_EQ(r, std::make_pair(-1, EBADF));
  EXPECT_EQ(log.size(), 0u) << log.dump();
}

TEST(UtilMacros, ErrorsAndSockets) {
  errno = EAGAIN;
  EXPECT_EQ(EVUTIL_SOCKET_ERROR(), EAGAIN);
  EXPECT_EQ(evutil_socket_geterror(12345), EAGAIN);
  EVUTIL_SET_SOCKET_ERROR(ECONNRESET);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_STREQ(evutil_socket_error_to_string(EBADF), strerror(EBADF));
  EXPECT_EQ(EVUTIL_INVALID_SOCKET, -1);
  evutil_socket_t s = EVUTIL_INVALID_SOCKET;
  EXPECT_EQ(s, -1);
}

TEST(UtilMacros, Timeval) {
  timeval a{5, 900000}, b{1, 200000}, r{};
  evutil_timeradd(&a, &b, &r);
  EXPECT_EQ(r.tv_sec, 7);
  EXPECT_EQ(r.tv_usec, 100000);
  evutil_timersub(&b, &a, &r);
  EXPECT_EQ(r.tv_sec, -5);
  EXPECT_EQ(r.tv_usec, 300000);
  EXPECT_TRUE(evutil_timercmp(&b, &a, <));
  EXPECT_TRUE(evutil_timercmp(&a, &a, <=));
  EXPECT_FALSE(evutil_timercmp(&a, &b, ==));
  timeval c{5, 100};
  EXPECT_TRUE(evutil_timercmp(&c, &a, <));
  EXPECT_TRUE(evutil_timerisset(&a));
  evutil_timerclear(&a);
  EXPECT_FALSE(evutil_timerisset(&a));
  timeval now{};
  EXPECT_EQ(evutil_gettimeofday(&now, nullptr), 0);
  EXPECT_GT(now.tv_sec, 0);
  struct S {
    char c;
    int i;
  };
  EXPECT_EQ(evutil_offsetof(S, i), offsetof(S, i));
}

TEST(UtilMacros, IntegerTypes) {
  EXPECT_EQ(sizeof(ev_uint64_t), 8u);
  EXPECT_EQ(sizeof(ev_int32_t), 4u);
  EXPECT_EQ(sizeof(ev_uint16_t), 2u);
  EXPECT_EQ(sizeof(ev_int8_t), 1u);
  EXPECT_EQ(sizeof(ev_ssize_t), sizeof(ssize_t));
  EXPECT_EQ(sizeof(ev_off_t), 8u);
  EXPECT_EQ(sizeof(ev_socklen_t), sizeof(socklen_t));
  EXPECT_EQ(EV_UINT32_MAX, 0xffffffffu);
  EXPECT_EQ(EV_INT16_MIN, -32768);
  EXPECT_EQ(EV_SSIZE_MIN, INT64_MIN);
  EXPECT_EQ(EV_SIZE_MAX, SIZE_MAX);
}
