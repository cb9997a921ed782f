// vigil-only: the socket bufferevent's system-call economy (src/bufferevent/socket.cpp).
// The binary interposes epoll_ctl, ioctl and writev (the executable's definitions win
// over libc's for the library's calls; the CMake target exports them) and counts them.
// libevent makes two epoll_ctl per written message and an ioctl(FIONREAD) per read, so
// these tests are compiled out of the oracle run.
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT

#include <dlfcn.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <string>

#include "bev_support.h"

#include <sys/uio.h>

namespace {
int g_epoll_ctl = 0;
int g_ioctl = 0;
int g_writev = 0;
}  // namespace

extern "C" __attribute__((visibility("default"))) ssize_t writev(int fd, const struct iovec* iov, int n) {
  using Fn = ssize_t (*)(int, const struct iovec*, int);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "writev"));
  ++g_writev;
  return real(fd, iov, n);
}

extern "C" __attribute__((visibility("default"))) int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
  using Fn = int (*)(int, int, int, struct epoll_event*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "epoll_ctl"));
  ++g_epoll_ctl;
  return real(epfd, op, fd, ev);
}

extern "C" __attribute__((visibility("default"))) int ioctl(int fd, unsigned long req, ...) {
  using Fn = int (*)(int, unsigned long, void*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "ioctl"));
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  ++g_ioctl;
  return real(fd, req, arg);
}

namespace {

class BevSyscalls : public ::testing::Test {
 protected:
  void SetUp() override {
    event_config* cfg = event_config_new();
    event_config_avoid_method(cfg, "poll");
    event_config_avoid_method(cfg, "select");
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    ASSERT_NE(base, nullptr);
    ASSERT_STREQ(event_base_get_method(base), "epoll");
    int sv[2];
    ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(evutil_make_socket_nonblocking(sv[0]), 0);
    ASSERT_EQ(evutil_make_socket_nonblocking(sv[1]), 0);
    peer = sv[1];
    bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    ASSERT_NE(bev, nullptr);
  }
  void TearDown() override {
    if (bev) bufferevent_free(bev);
    if (peer >= 0) evutil_closesocket(peer);
    event_base_free(base);
  }
  event_base* base = nullptr;
  bufferevent* bev = nullptr;  // on one end of a socketpair, non-blocking
  evutil_socket_t peer = -1;   // the other end, non-blocking
};

void count_read(bufferevent* b, void* arg) {
  evbuffer* in = bufferevent_get_input(b);
  *static_cast<size_t*>(arg) += evbuffer_get_length(in);
  evbuffer_drain(in, evbuffer_get_length(in));
}

// A message to a socket with room goes out in the loop's next pass with one writev and
// no epoll_ctl: the fd is watched for writability only when the socket is full.
TEST_F(BevSyscalls, WritingToASocketWithRoomRegistersNothing) {
  const std::string msg(64, 'm');
  g_epoll_ctl = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(bufferevent_write(bev, msg.data(), msg.size()), 0);
    // 1 afterwards: nothing is left registered once the write has run.
    ASSERT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    char got[128];
    ASSERT_EQ(recv(peer, got, sizeof got, 0), 64) << "message " << i;
  }
  EXPECT_EQ(g_epoll_ctl, 0);
}

// A full socket is watched, and the rest goes out when it drains.
TEST_F(BevSyscalls, AFullSocketIsWatchedUntilItDrains) {
  const std::string big(4 << 20, 'b');
  ASSERT_EQ(bufferevent_write(bev, big.data(), big.size()), 0);
  size_t received = 0;
  g_epoll_ctl = 0;
  for (int i = 0; i < 100000 && received < big.size(); ++i) {
    event_base_loop(base, EVLOOP_NONBLOCK);
    char buf[65536];
    ssize_t n = recv(peer, buf, sizeof buf, 0);
    if (n > 0) received += size_t(n);
  }
  EXPECT_EQ(received, big.size());
  EXPECT_GE(g_epoll_ctl, 1);  // EPOLLOUT was asked for while the socket was full
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0u);
}

// Reads go straight to readv: no FIONREAD probe first.
TEST_F(BevSyscalls, ReadingMakesNoIoctl) {
  size_t got = 0;
  bufferevent_setcb(bev, count_read, nullptr, nullptr, &got);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  g_ioctl = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(send(peer, "0123456789", 10, 0), 10);
    ASSERT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  }
  EXPECT_EQ(got, 100u);
  EXPECT_EQ(g_ioctl, 0);
}

// A reply from the read callback while earlier output waits for room in the socket
// is left to the write event: no write is tried on the full socket.
TEST_F(BevSyscalls, ReplyBehindAFullSocketTriesNoWrite) {
  int reads = 0;
  bufferevent_setcb(
      bev,
      [](bufferevent* b, void* arg) {
        ++*static_cast<int*>(arg);
        evbuffer_drain(bufferevent_get_input(b), 1);
        bufferevent_write(b, "reply", 5);
      },
      nullptr, nullptr, &reads);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  const std::string big(4 << 20, 'b');
  ASSERT_EQ(bufferevent_write(bev, big.data(), big.size()), 0);
  for (int i = 0; i < 5; ++i) event_base_loop(base, EVLOOP_NONBLOCK);  // the socket fills
  ASSERT_GT(evbuffer_get_length(bufferevent_get_output(bev)), 0u);
  ASSERT_EQ(send(peer, "q", 1, 0), 1);
  g_writev = 0;
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(g_writev, 0);
}

}  // namespace

#endif  // VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
