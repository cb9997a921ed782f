// Invalid calls on every backend: each fails cleanly with -1/NULL and a logged reason
// (or is accepted exactly as libevent 2.1.12 accepts it), never crashes.
#include "core_support.h"

using namespace vt;

TEST_P(Core, SignalCombinedWithReadOrWriteIsRejected) {
  LogCapture log;
  EXPECT_EQ(event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, noop_cb, nullptr), nullptr);
  EXPECT_TRUE(log.has("EV_SIGNAL", EVENT_LOG_WARN)) << log.dump();
  log.clear();
  EXPECT_EQ(event_new(base, SIGUSR1, EV_SIGNAL | EV_WRITE, noop_cb, nullptr), nullptr);
  EXPECT_EQ(event_new(base, SIGUSR1, EV_SIGNAL | EV_CLOSED, noop_cb, nullptr), nullptr);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 2u) << log.dump();
  log.clear();
  struct event ev;
  EXPECT_EQ(event_assign(&ev, base, SIGUSR1, EV_SIGNAL | EV_READ | EV_PERSIST, noop_cb, nullptr), -1);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 1u) << log.dump();
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT  // vigil's deliberate differences from libevent
// vigil rejects what the issue names as invalid input, where libevent 2.1.12 accepts it
// silently: fd -1 for an I/O event (libevent reports it pending and never polls it) and
// negative timeouts (libevent fires them at once). Each case returns -1 and logs why.
TEST_P(Core, MinusOneDescriptorWithReadIsRejected) {
  LogCapture log;
  Hits h;
  event* e = event_new(base, -1, EV_READ, hit_cb, &h);
  ASSERT_NE(e, nullptr);  // assignment is fine: bufferevents assign fd -1 and set it later
  EXPECT_EQ(event_add(e, nullptr), -1);
  EXPECT_TRUE(log.has("invalid fd", EVENT_LOG_WARN)) << log.dump();
  EXPECT_EQ(event_pending(e, EV_READ, nullptr), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 0);
  EXPECT_EQ(event_del(e), 0);
  event_free(e);
}

TEST_P(Core, AssignOnAnAddedEventIsRejected) {
  LogCapture log;
  SocketPair sp;
  Hits h1, h2;
  struct event ev;
  ASSERT_EQ(event_assign(&ev, base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h1), 0);
  ASSERT_EQ(event_add(&ev, nullptr), 0);
  EXPECT_EQ(event_assign(&ev, base, sp.a(), EV_WRITE, hit_cb, &h2), -1);
  EXPECT_TRUE(log.has("delete it before assigning", EVENT_LOG_WARN)) << log.dump();
  // The event is untouched and still works.
  EXPECT_EQ(event_get_callback_arg(&ev), &h1);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(h1.n, 1);
  EXPECT_EQ(h1.last_what, EV_READ);
  EXPECT_EQ(event_del(&ev), 0);
  // Once deleted it may be assigned again.
  EXPECT_EQ(event_assign(&ev, base, sp.a(), EV_WRITE, hit_cb, &h2), 0);
}
#endif

TEST_P(Core, SignalNumbersOutOfRangeCannotBeAdded) {
  for (int sig : {65, 1000, -1, -100}) {
    SCOPED_TRACE(sig);
    event* e = evsignal_new(base, sig, noop_cb, nullptr);
    ASSERT_NE(e, nullptr);  // only event_add validates the number
    EXPECT_EQ(event_add(e, nullptr), -1);
    EXPECT_FALSE(event_pending(e, EV_SIGNAL, nullptr));
    event_free(e);
  }
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

TEST_P(Core, UncatchableOrZeroSignalIsRejectedWithAWarning) {
  for (int sig : {0, SIGKILL, SIGSTOP}) {
    SCOPED_TRACE(sig);
    LogCapture log;
    event* e = evsignal_new(base, sig, noop_cb, nullptr);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(event_add(e, nullptr), -1);
    EXPECT_GE(log.count(EVENT_LOG_WARN), 1u) << log.dump();
    event_free(e);
  }
}

TEST_P(Core, HighestSignalNumberWorks) {
  const int sig = 64;  // SIGRTMAX on Linux; NSIG is 65
  struct sigaction old {};
  sigaction(sig, nullptr, &old);
  Hits h;
  event* e = evsignal_new(base, sig, hit_cb, &h);
  ASSERT_EQ(event_add(e, nullptr), 0);
  raise(sig);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 1);
  event_free(e);
  sigaction(sig, &old, nullptr);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT  // libevent fires negative timeouts at once
TEST_P(Core, NegativeSecondsAreRejected) {
  LogCapture log;
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval neg{-1, 0};
  EXPECT_EQ(event_add(t, &neg), -1);
  EXPECT_TRUE(log.has("negative timeout", EVENT_LOG_WARN)) << log.dump();
  EXPECT_EQ(event_pending(t, EV_TIMEOUT, nullptr), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 0);
  event_free(t);
}

TEST_P(Core, NegativeMicrosecondsAreRejectedAndLeaveTheEventAlone) {
  LogCapture log;
  Hits h;
  SocketPair sp;
  event* r = event_new(base, sp.a(), EV_READ, hit_cb, &h);
  timeval ok = tv_ms(10000), neg{0, -5};
  ASSERT_EQ(event_add(r, &ok), 0);
  EXPECT_EQ(event_add(r, &neg), -1);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 1u) << log.dump();
  // Still pending with its old timeout.
  EXPECT_EQ(event_pending(r, EV_READ | EV_TIMEOUT, nullptr), EV_READ | EV_TIMEOUT);
  event_free(r);
}

TEST_P(Core, NegativeOnceTimeoutIsRejected) {
  LogCapture log;
  Hits h;
  timeval neg{-2, 0};
  EXPECT_EQ(event_base_once(base, -1, EV_TIMEOUT, hit_cb, &h, &neg), -1);
  EXPECT_TRUE(log.has("negative timeout", EVENT_LOG_WARN)) << log.dump();
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 0);
}

TEST_P(Core, NegativeCommonTimeoutIsRejected) {
  LogCapture log;
  timeval neg{-1, 0};
  EXPECT_EQ(event_base_init_common_timeout(base, &neg), nullptr);
  EXPECT_TRUE(log.has("negative duration", EVENT_LOG_WARN)) << log.dump();
  timeval neg_us{0, -1};
  EXPECT_EQ(event_base_init_common_timeout(base, &neg_us), nullptr);
}

TEST_P(Core, NegativeLoopexitTimeoutIsRejected) {
  LogCapture log;
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval soon = tv_ms(20), neg{-1, 0};
  ASSERT_EQ(event_add(t, &soon), 0);
  EXPECT_EQ(event_base_loopexit(base, &neg), -1);
  EXPECT_TRUE(log.has("negative timeout", EVENT_LOG_WARN)) << log.dump();
  // No exit was scheduled: the loop runs until the timer fires and nothing is left.
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_FALSE(event_base_got_exit(base));
  event_free(t);
}
#endif

TEST_P(Core, EventWithoutBaseCannotBeAddedOrDeleted) {
  LogCapture log;
  event* e = event_new(nullptr, -1, 0, noop_cb, nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(event_get_base(e), nullptr);
  timeval tv = tv_ms(10);
  EXPECT_EQ(event_add(e, &tv), -1);
  EXPECT_TRUE(log.has("event_base", EVENT_LOG_WARN)) << log.dump();
  log.clear();
  EXPECT_EQ(event_del(e), -1);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 1u) << log.dump();
  log.clear();
  EXPECT_EQ(event_remove_timer(e), -1);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 1u) << log.dump();
  // Attaching a base makes it usable.
  EXPECT_EQ(event_base_set(base, e), 0);
  EXPECT_EQ(event_get_base(e), base);
  EXPECT_EQ(event_add(e, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  event_free(e);

  struct event ev;
  EXPECT_EQ(event_assign(&ev, nullptr, -1, 0, noop_cb, nullptr), 0);
  EXPECT_EQ(event_add(&ev, &tv), -1);
}

TEST_P(Core, ZeroedEventWithoutBaseIsRejected) {
  LogCapture log;
  struct event ev;
  std::memset(&ev, 0, sizeof ev);
  EXPECT_EQ(event_add(&ev, nullptr), -1);
  EXPECT_EQ(event_del(&ev), -1);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 2u) << log.dump();
}

TEST_P(Core, OnceRejectsSignalsPersistAndNullBase) {
  EXPECT_EQ(event_base_once(base, SIGUSR1, EV_SIGNAL, noop_cb, nullptr, nullptr), -1);
  EXPECT_EQ(event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST, noop_cb, nullptr, nullptr), -1);
  EXPECT_EQ(event_base_once(nullptr, -1, EV_TIMEOUT, noop_cb, nullptr, nullptr), -1);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

TEST_P(Core, BaseSetOnAnAddedEventFails) {
  event_base* other = make_base(GetParam());
  ASSERT_NE(other, nullptr);
  event* t = evtimer_new(base, noop_cb, nullptr);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(t, &tv), 0);
  EXPECT_EQ(event_base_set(other, t), -1);
  EXPECT_EQ(event_get_base(t), base);
  event_del(t);
  EXPECT_EQ(event_base_set(other, t), 0);
  EXPECT_EQ(event_get_base(t), other);
  event_free(t);
  event_base_free(other);
}

TEST_P(Core, LoopControlOnNullBaseFails) {
  EXPECT_EQ(event_base_loopbreak(nullptr), -1);
  EXPECT_EQ(event_base_loopexit(nullptr, nullptr), -1);
  EXPECT_EQ(event_base_loopcontinue(nullptr), -1);
}

TEST_P(Core, ForeachWithoutCallbackFails) {
  EXPECT_EQ(event_base_foreach_event(base, nullptr, nullptr), -1);
}

TEST_P(Core, AddingTwiceIsIdempotent) {
  SocketPair sp;
  Hits h;
  event* r = event_new(base, sp.a(), EV_READ, hit_cb, &h);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(event_add(r, nullptr), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  event_free(r);
}

TEST_P(Core, DeletingANeverAddedEventIsFine) {
  event* e = event_new(base, -1, 0, noop_cb, nullptr);
  EXPECT_EQ(event_del(e), 0);
  EXPECT_EQ(event_del_block(e), 0);
  EXPECT_EQ(event_del_noblock(e), 0);
  EXPECT_EQ(event_remove_timer(e), 0);
  event_free(e);
}

TEST_P(Core, MaxDispatchIntervalAcceptsUnlimitedAndNegativeValues) {
  event_config* cfg = event_config_new();
  for (const char* m : GetParam().avoid) event_config_avoid_method(cfg, m);
  event_config_set_flag(cfg, GetParam().flags | EVENT_BASE_FLAG_IGNORE_ENV);
  timeval neg{-1, 0};
  EXPECT_EQ(event_config_set_max_dispatch_interval(cfg, &neg, -1, 0), 0);
  timeval ten = tv_ms(10);
  EXPECT_EQ(event_config_set_max_dispatch_interval(cfg, &ten, -1, 1), 0);
  event_base* b = event_base_new_with_config(cfg);
  event_config_free(cfg);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(event_base_priority_init(b, 2), 0);
  Hits h;
  event* t = evtimer_new(b, hit_cb, &h);
  timeval tv = tv_ms(5);
  event_add(t, &tv);
  EXPECT_EQ(event_base_dispatch(b), 1);
  EXPECT_EQ(h.n, 1);
  event_free(t);
  event_base_free(b);
}
