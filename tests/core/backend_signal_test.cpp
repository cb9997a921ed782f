// Signal events and fork + event_reinit. Every backend.
#include "core_support.h"

#include <sys/wait.h>

#include <atomic>
#include <vector>

using namespace vt;

namespace {

volatile sig_atomic_t g_plain_handler_hits = 0;
void plain_handler(int) { g_plain_handler_hits = g_plain_handler_hits + 1; }

// Restores a signal's disposition when the test ends.
class SavedSignal {
 public:
  explicit SavedSignal(int sig) : sig_(sig) { sigaction(sig, nullptr, &old_); }
  ~SavedSignal() { sigaction(sig_, &old_, nullptr); }

 private:
  int sig_;
  struct sigaction old_{};
};

sighandler_t current_handler(int sig) {
  struct sigaction sa {};
  sigaction(sig, nullptr, &sa);
  return sa.sa_handler;
}

}  // namespace

TEST_P(Core, SignalRaisedBeforeTheLoop) {
  SavedSignal keep(SIGUSR1);
  struct S {
    event* self = nullptr;
    int n = 0;
    short what = 0;
    evutil_socket_t fd = -1;
  } s;
  s.self = evsignal_new(base, SIGUSR1, [](evutil_socket_t fd, short what, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->n++;
    st->what = what;
    st->fd = fd;
    event_del(st->self);
  }, &s);
  ASSERT_NE(s.self, nullptr);
  EXPECT_EQ(event_get_events(s.self), EV_SIGNAL | EV_PERSIST);
  ASSERT_EQ(evsignal_add(s.self, nullptr), 0);
  EXPECT_EQ(evsignal_pending(s.self, nullptr), EV_SIGNAL);
  raise(SIGUSR1);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.n, 1);
  EXPECT_EQ(s.what, EV_SIGNAL);
  EXPECT_EQ(s.fd, SIGUSR1);
  event_free(s.self);
}

TEST_P(Core, SignalRaisedFromATimerAndFromTheSignalCallback) {
  SavedSignal keep(SIGUSR1);
  struct S {
    event* sig = nullptr;
    int n = 0;
  } s;
  s.sig = evsignal_new(base, SIGUSR1, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    // First delivery re-raises from inside the loop; the second ends it.
    if (++st->n == 1)
      raise(SIGUSR1);
    else
      event_del(st->sig);
  }, &s);
  ASSERT_EQ(event_add(s.sig, nullptr), 0);
  event* t = evtimer_new(base, [](evutil_socket_t, short, void*) { raise(SIGUSR1); }, nullptr);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(t, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.n, 2);
  event_free(t);
  event_free(s.sig);
}

TEST_P(Core, SeveralEventsOnOneSignalAreAllCalled) {
  SavedSignal keep(SIGUSR2);
  Hits h[3];
  event* e[3];
  for (int i = 0; i < 3; ++i) {
    e[i] = evsignal_new(base, SIGUSR2, hit_cb, &h[i]);
    ASSERT_EQ(event_add(e[i], nullptr), 0);
  }
  raise(SIGUSR2);
  event_base_loop(base, EVLOOP_ONCE);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(h[i].n, 1) << "event " << i;
    EXPECT_EQ(h[i].last_what, EV_SIGNAL);
  }
  for (auto* ev : e) event_free(ev);
}

TEST_P(Core, SignalRaisedTwiceCallsTheCallbackTwice) {
  SavedSignal keep(SIGUSR1);
  Hits h;
  event* e = evsignal_new(base, SIGUSR1, hit_cb, &h);
  ASSERT_EQ(event_add(e, nullptr), 0);
  raise(SIGUSR1);
  raise(SIGUSR1);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 2);
  event_free(e);
}

TEST_P(Core, DeletingASignalEventInItsCallbackStopsRepeatCalls) {
  SavedSignal keep(SIGUSR1);
  struct S {
    event* self = nullptr;
    int n = 0;
  } s;
  s.self = evsignal_new(base, SIGUSR1, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->n++;
    event_del(st->self);
  }, &s);
  ASSERT_EQ(event_add(s.self, nullptr), 0);
  raise(SIGUSR1);
  raise(SIGUSR1);
  raise(SIGUSR1);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.n, 1);
  event_free(s.self);
}

TEST_P(Core, OneShotSignalEvent) {
  SavedSignal keep(SIGUSR2);
  Hits h;
  event* e = event_new(base, SIGUSR2, EV_SIGNAL, hit_cb, &h);
  ASSERT_EQ(event_add(e, nullptr), 0);
  raise(SIGUSR2);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_FALSE(event_pending(e, EV_SIGNAL, nullptr));
  event_free(e);
}

TEST_P(Core, SignalDelRestoresThePreviousHandler) {
  SavedSignal keep(SIGUSR1);
  struct sigaction sa {};
  sa.sa_handler = plain_handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &sa, nullptr), 0);
  g_plain_handler_hits = 0;

  Hits h;
  event* e = evsignal_new(base, SIGUSR1, hit_cb, &h);
  ASSERT_EQ(event_add(e, nullptr), 0);
  EXPECT_NE(current_handler(SIGUSR1), &plain_handler);
  raise(SIGUSR1);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(g_plain_handler_hits, 0);

  ASSERT_EQ(evsignal_del(e), 0);
  EXPECT_EQ(current_handler(SIGUSR1), &plain_handler);
  raise(SIGUSR1);
  EXPECT_EQ(g_plain_handler_hits, 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 1);
  event_free(e);
}

TEST_P(Core, SignalDelRestoresDefaultDisposition) {
  SavedSignal keep(SIGUSR2);
  signal(SIGUSR2, SIG_DFL);
  event* e = evsignal_new(base, SIGUSR2, noop_cb, nullptr);
  ASSERT_EQ(event_add(e, nullptr), 0);
  EXPECT_NE(current_handler(SIGUSR2), SIG_DFL);
  ASSERT_EQ(event_del(e), 0);
  EXPECT_EQ(current_handler(SIGUSR2), SIG_DFL);
  event_free(e);
}

TEST_P(Core, HandlerStaysWhileAnotherEventWatchesTheSignal) {
  SavedSignal keep(SIGUSR2);
  signal(SIGUSR2, SIG_DFL);
  Hits h1, h2;
  event* e1 = evsignal_new(base, SIGUSR2, hit_cb, &h1);
  event* e2 = evsignal_new(base, SIGUSR2, hit_cb, &h2);
  ASSERT_EQ(event_add(e1, nullptr), 0);
  ASSERT_EQ(event_add(e2, nullptr), 0);
  ASSERT_EQ(event_del(e1), 0);
  EXPECT_NE(current_handler(SIGUSR2), SIG_DFL);
  raise(SIGUSR2);  // would kill the process if the handler were gone
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h1.n, 0);
  EXPECT_EQ(h2.n, 1);
  ASSERT_EQ(event_del(e2), 0);
  EXPECT_EQ(current_handler(SIGUSR2), SIG_DFL);
  event_free(e1);
  event_free(e2);
}

TEST_P(Core, FreeingTheBaseRestoresSignalHandlers) {
  SavedSignal keep(SIGUSR2);
  signal(SIGUSR2, SIG_DFL);
  event* e = evsignal_new(base, SIGUSR2, noop_cb, nullptr);
  ASSERT_EQ(event_add(e, nullptr), 0);
  event_free(e);
  event_base_free(base);
  base = nullptr;
  EXPECT_EQ(current_handler(SIGUSR2), SIG_DFL);
}

TEST_P(Core, ActiveBySignal) {
  SavedSignal keep(SIGUSR1);
  Hits h, other;
  event* e = evsignal_new(base, SIGUSR1, hit_cb, &h);
  event* o = evsignal_new(base, SIGUSR2, hit_cb, &other);
  ASSERT_EQ(event_add(e, nullptr), 0);
  ASSERT_EQ(event_add(o, nullptr), 0);
  event_base_active_by_signal(base, SIGUSR1);
  event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_SIGNAL);
  EXPECT_EQ(other.n, 0);
  // Out-of-range numbers are ignored.
  event_base_active_by_signal(base, -1);
  event_base_active_by_signal(base, 65);
  event_base_active_by_signal(base, 100000);
  event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(other.n, 0);
  event_free(e);
  event_free(o);
}

TEST_P(Core, ActivatingASignalEventWithNcalls) {
  Hits h;
  event* e = evsignal_new(base, SIGUSR1, hit_cb, &h);
  event_active(e, EV_SIGNAL, 3);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 3);
  EXPECT_EQ(h.last_what, EV_SIGNAL);
  event_free(e);
}

TEST_P(Core, SignalWithTimeout) {
  // (libevent 2.1.12 drops a *persistent* signal event once its timeout fired,
  // which looks accidental, so that case is deliberately not pinned.)
  SavedSignal keep(SIGUSR1);
  Hits h;
  event* e = evsignal_new(base, SIGUSR1, hit_cb, &h);
  timeval tv = tv_ms(5000);
  ASSERT_EQ(event_add(e, &tv), 0);
  EXPECT_EQ(event_pending(e, EV_SIGNAL | EV_TIMEOUT, nullptr), EV_SIGNAL | EV_TIMEOUT);
  raise(SIGUSR1);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_SIGNAL);
  EXPECT_TRUE(event_pending(e, EV_SIGNAL, nullptr));
  event_free(e);

  Hits once;
  once.precise_clock = precise_timer();
  event* o = event_new(base, SIGUSR1, EV_SIGNAL, hit_cb, &once);
  timeval quick = tv_ms(20);
  double t0 = base_clock_ms(precise_timer());
  ASSERT_EQ(event_add(o, &quick), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(once.n, 1);
  EXPECT_EQ(once.last_what, EV_TIMEOUT);
  EXPECT_GE(once.last_ms - t0, 20 - kMicrosecond);
  EXPECT_FALSE(event_pending(o, EV_SIGNAL | EV_TIMEOUT, nullptr));
  event_free(o);
}

TEST_P(Core, ForkedChildKeepsWorkingAfterReinit) {
  SavedSignal keep(SIGUSR1);
  SocketPair sp;
  struct S {
    int reads = 0, signals = 0, timers = 0;
    std::string got;
  } s;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, [](evutil_socket_t fd, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->reads++;
    st->got += drain_fd(fd);
  }, &s);
  event* sig = evsignal_new(base, SIGUSR1, [](evutil_socket_t, short, void* arg) {
    static_cast<S*>(arg)->signals++;
  }, &s);
  event* t = evtimer_new(base, [](evutil_socket_t, short, void* arg) {
    static_cast<S*>(arg)->timers++;
  }, &s);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(event_add(sig, nullptr), 0);
  timeval tv = tv_ms(20);
  ASSERT_EQ(event_add(t, &tv), 0);

  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: no gtest assertions here, the exit status tells the story.
    int fail = 0;
    if (event_reinit(base) != 0) fail |= 1;
    if (put(sp.b(), "child") != 5) fail |= 2;
    raise(SIGUSR1);
    for (int i = 0; i < 50 && (s.reads == 0 || s.signals == 0 || s.timers == 0); ++i)
      event_base_loop(base, EVLOOP_ONCE);
    if (s.reads < 1 || s.got != "child") fail |= 4;
    if (s.signals != 1) fail |= 8;
    if (s.timers != 1) fail |= 16;
    _exit(fail);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died, status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "child failure bits: 1=reinit 2=write 4=read 8=signal 16=timer";

  // The parent's base is unaffected by the child.
  EXPECT_EQ(s.reads + s.signals + s.timers, 0);
  ASSERT_EQ(put(sp.b(), "parent"), 6);
  raise(SIGUSR1);
  for (int i = 0; i < 50 && (s.reads == 0 || s.signals == 0 || s.timers == 0); ++i)
    event_base_loop(base, EVLOOP_ONCE);
  EXPECT_GE(s.reads, 1);
  EXPECT_EQ(s.got, "parent");
  EXPECT_EQ(s.signals, 1);
  EXPECT_EQ(s.timers, 1);
  event_free(r);
  event_free(sig);
  event_free(t);
}
