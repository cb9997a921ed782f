// The epoll backend never asks the kernel for a change that cancels out before the
// next wait: interest changes are reconciled once per loop iteration. This binary
// counts epoll_ctl calls by interposing it (the executable's definition wins over
// libc's for the library's calls) and forwarding to the real one.
#include <dlfcn.h>
#include <sys/epoll.h>

#include "core_support.h"

using namespace vt;

namespace {
int g_ctl_calls = 0;
}

extern "C" __attribute__((visibility("default"))) int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
  using Fn = int (*)(int, int, int, struct epoll_event*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "epoll_ctl"));
  ++g_ctl_calls;
  return real(epfd, op, fd, ev);
}

namespace {

class EpollCtl : public ::testing::Test {
 protected:
  void SetUp() override {
    event_config* cfg = event_config_new();
    event_config_avoid_method(cfg, "poll");
    event_config_avoid_method(cfg, "select");
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    ASSERT_NE(base, nullptr);
    ASSERT_STREQ(event_base_get_method(base), "epoll");
  }
  void TearDown() override { event_base_free(base); }
  event_base* base = nullptr;
};

TEST_F(EpollCtl, DeleteAndReAddBetweenDispatchesCostsNothing) {
  SocketPair sp;
  Hits h;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h);
  g_ctl_calls = 0;
  ASSERT_EQ(event_add(r, nullptr), 0);
  EXPECT_EQ(g_ctl_calls, 1);  // the first interest in an fd is registered at once
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);

  g_ctl_calls = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(event_del(r), 0);
    ASSERT_EQ(event_add(r, nullptr), 0);
  }
  // A new timeout changes nothing the kernel knows about either.
  timeval tv = tv_ms(5000);
  ASSERT_EQ(event_add(r, &tv), 0);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(g_ctl_calls, 0);

  // A real change is one call at the next dispatch (a pending timer keeps the loop
  // from returning before it dispatches).
  event* keep = evtimer_new(base, noop_cb, nullptr);
  ASSERT_EQ(event_add(keep, &tv), 0);
  g_ctl_calls = 0;
  ASSERT_EQ(event_del(r), 0);
  EXPECT_EQ(g_ctl_calls, 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
  EXPECT_EQ(g_ctl_calls, 1);
  event_free(keep);
  event_free(r);
}

TEST_F(EpollCtl, SecondEventOnAnFdChangesTheMaskOnce) {
  SocketPair sp;
  Hits hr, hw;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &hr);
  event* w = event_new(base, sp.a(), EV_WRITE, hit_cb, &hw);
  ASSERT_EQ(event_add(r, nullptr), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
  g_ctl_calls = 0;
  ASSERT_EQ(event_add(w, nullptr), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(hw.n, 1);
  EXPECT_EQ(g_ctl_calls, 1);  // MOD to read+write
  g_ctl_calls = 0;
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
  EXPECT_EQ(g_ctl_calls, 1);  // the one-shot write event is gone: MOD back to read
  event_free(r);
  event_free(w);
}

// The hazard of deferring removals: an fd closed and its number reused by a new socket
// before the next dispatch. The kernel dropped the old file from the epoll set, so the
// new one must be registered even though the interest looks unchanged.
TEST_F(EpollCtl, ReusedFdNumberIsRegisteredAgain) {
  Hits h1, h2;
  int fds[2];
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  event* first = event_new(base, fds[0], EV_READ | EV_PERSIST, hit_cb, &h1);
  ASSERT_EQ(event_add(first, nullptr), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);

  int old = fds[0];
  event_free(first);
  close(fds[0]);
  close(fds[1]);
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(fds[0], old) << "the test needs the kernel to reuse the lowest fd number";
  event* second = event_new(base, fds[0], EV_READ | EV_PERSIST, hit_cb, &h2);
  ASSERT_EQ(event_add(second, nullptr), 0);
  ASSERT_EQ(put(fds[1], "x"), 1);
  timeval limit = tv_ms(2000);
  event_base_loopexit(base, &limit);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(h2.n, 1);
  EXPECT_EQ(h1.n, 0);
  event_free(second);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
