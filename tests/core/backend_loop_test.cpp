// Base lifecycle and loop control, run on every backend.
#include "core_support.h"

#include <sys/wait.h>

#include <string>
#include <vector>

using namespace vt;

INSTANTIATE_TEST_SUITE_P(Backends, Core, ::testing::ValuesIn(all_backends()),
                         [](const ::testing::TestParamInfo<BackendSpec>& info) {
                           return std::string(info.param.name);
                         });

namespace {

struct Ctx {
  event_base* base = nullptr;
  event* self = nullptr;
  int n = 0;
  int limit = 0;
  std::vector<std::string>* order = nullptr;
  const char* tag = "";
  int rc = 0;
};

void record_cb(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Ctx*>(arg);
  c->n++;
  if (c->order) c->order->push_back(c->tag);
}

}  // namespace

TEST_P(Core, BackendAndFeaturesMatchConfiguration) {
  EXPECT_STREQ(event_base_get_method(base), GetParam().method);
  EXPECT_EQ(event_base_get_features(base), GetParam().features);
}

TEST_P(Core, FreshBaseHasNoEvents) {
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL), 0);
  EXPECT_EQ(event_base_got_exit(base), 0);
  EXPECT_EQ(event_base_got_break(base), 0);
}

TEST_P(Core, LoopReturnsOneWhenThereAreNoEvents) {
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(event_base_loop(base, 0), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
}

TEST_P(Core, LoopReturnsOneOnceTheLastEventHasRun) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(t, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  event_free(t);
}

TEST_P(Core, NonblockWithNoExitOnEmptyRunsOneRoundAndReturnsZero) {
  // Without the flag an empty base means "nothing to do" (1); with it the loop
  // polls once without waiting and reports a normal return.
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_NO_EXIT_ON_EMPTY), 0);
}

TEST_P(Core, NoExitOnEmptyKeepsWaitingAfterTheLastEvent) {
  // A child runs the loop; its only timer tells the parent it fired, after
  // which the base is empty. With EVLOOP_NO_EXIT_ON_EMPTY the loop must keep
  // waiting, so the child is still alive afterwards.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(p[0]);
    event_reinit(base);
    event* t = evtimer_new(base, [](evutil_socket_t, short, void* arg) {
      int fd = *static_cast<int*>(arg);
      (void)!write(fd, "x", 1);
    }, &p[1]);
    timeval tv = tv_ms(10);
    event_add(t, &tv);
    int rc = event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    _exit(rc == 0 ? 10 : 11);  // should never get here
  }
  close(p[1]);
  char c = 0;
  ASSERT_EQ(read(p[0], &c, 1), 1) << "child's timer did not fire";
  close(p[0]);
  usleep(100 * 1000);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0) << "loop returned although NO_EXIT_ON_EMPTY was set";
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

TEST_P(Core, WithoutNoExitOnEmptyTheLoopReturnsAfterTheLastEvent) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(t, &tv), 0);
  double t0 = now_ms();
  EXPECT_EQ(event_base_loop(base, 0), 1);
  EXPECT_LT(now_ms() - t0, kLate);
  EXPECT_EQ(h.n, 1);
  event_free(t);
}

TEST_P(Core, LoopOnceWaitsForTheFirstEventOnly) {
  Hits fast, slow;
  event* a = evtimer_new(base, hit_cb, &fast);
  event* b = evtimer_new(base, hit_cb, &slow);
  timeval ta = tv_ms(20), tb = tv_ms(10000);
  double t0 = base_clock_ms(precise_timer());
  ASSERT_EQ(event_add(a, &ta), 0);
  ASSERT_EQ(event_add(b, &tb), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  double dt = base_clock_ms(precise_timer()) - t0;
  EXPECT_EQ(fast.n, 1);
  EXPECT_EQ(slow.n, 0);
  EXPECT_GE(dt, 20 - kMicrosecond);
  EXPECT_LT(dt, kLate);
  EXPECT_TRUE(event_pending(b, EV_TIMEOUT, nullptr));
  event_free(a);
  event_free(b);
}

TEST_P(Core, LoopOnceRunsEverythingActiveInThatRound) {
  Hits h1, h2, h3;
  event* e1 = event_new(base, -1, 0, hit_cb, &h1);
  event* e2 = event_new(base, -1, 0, hit_cb, &h2);
  event* e3 = event_new(base, -1, 0, hit_cb, &h3);
  event_active(e1, EV_TIMEOUT, 0);
  event_active(e2, EV_READ, 0);
  event_active(e3, EV_WRITE, 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(h1.n, 1);
  EXPECT_EQ(h2.n, 1);
  EXPECT_EQ(h3.n, 1);
  EXPECT_EQ(h1.last_what, EV_TIMEOUT);
  EXPECT_EQ(h2.last_what, EV_READ);
  EXPECT_EQ(h3.last_what, EV_WRITE);
  event_free(e1);
  event_free(e2);
  event_free(e3);
}

TEST_P(Core, NonblockDoesNotWaitForTimers) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(5000);
  ASSERT_EQ(event_add(t, &tv), 0);
  double t0 = now_ms();
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
  EXPECT_LT(now_ms() - t0, 1000.0);
  EXPECT_EQ(h.n, 0);
  event_free(t);
}

TEST_P(Core, NonblockRunsReadyEvents) {
  SocketPair sp;
  Hits h;
  event* r = event_new(base, sp.a(), EV_READ, hit_cb, &h);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);  // ran it, then nothing was left
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_READ);
  event_free(r);
}

TEST_P(Core, LoopexitWithoutTimeoutFinishesTheCurrentRound) {
  struct S {
    event_base* base;
    event* self;
    int n = 0;
  } s{base, nullptr};
  Hits other;
  s.self = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    if (++st->n == 3) event_base_loopexit(st->base, nullptr);
  }, &s);
  timeval tv = tv_ms(5);
  ASSERT_EQ(event_add(s.self, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 0);
  EXPECT_EQ(s.n, 3);
  EXPECT_TRUE(event_base_got_exit(base));
  EXPECT_FALSE(event_base_got_break(base));
  // The flag is cleared by the next loop.
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
  EXPECT_FALSE(event_base_got_exit(base));
  event_free(s.self);
}

TEST_P(Core, LoopexitBeforeDispatchEndsTheNextLoop) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(5000);
  ASSERT_EQ(event_add(t, &tv), 0);
  ASSERT_EQ(event_base_loopexit(base, nullptr), 0);
  double t0 = now_ms();
  EXPECT_EQ(event_base_dispatch(base), 0);
  EXPECT_LT(now_ms() - t0, 1000.0);
  EXPECT_EQ(h.n, 0);
  EXPECT_TRUE(event_base_got_exit(base));
  event_free(t);
}

TEST_P(Core, LoopexitWithTimeout) {
  Hits ticks;
  event* t = event_new(base, -1, EV_PERSIST, hit_cb, &ticks);
  timeval every = tv_ms(10);
  ASSERT_EQ(event_add(t, &every), 0);
  timeval after = tv_ms(100);
  double t0 = base_clock_ms(precise_timer());
  ASSERT_EQ(event_base_loopexit(base, &after), 0);
  EXPECT_EQ(event_base_dispatch(base), 0);
  double dt = base_clock_ms(precise_timer()) - t0;
  EXPECT_GE(dt, 100 - kMicrosecond);
  EXPECT_LT(dt, kLate);
  EXPECT_GE(ticks.n, 1);
  EXPECT_TRUE(event_base_got_exit(base));
  event_free(t);
}

TEST_P(Core, LoopbreakStopsBeforeTheNextCallback) {
  struct S {
    event_base* base;
    int n = 0;
  } s{base};
  Hits second;
  event* a = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->n++;
    event_base_loopbreak(st->base);
  }, &s);
  event* b = event_new(base, -1, 0, hit_cb, &second);
  event_active(a, EV_TIMEOUT, 0);
  event_active(b, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(base), 0);
  EXPECT_EQ(s.n, 1);
  EXPECT_EQ(second.n, 0);
  EXPECT_TRUE(event_base_got_break(base));
  EXPECT_FALSE(event_base_got_exit(base));
  // The interrupted callback is still active and runs on the next loop.
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(second.n, 1);
  EXPECT_FALSE(event_base_got_break(base));
  event_free(a);
  event_free(b);
}

TEST_P(Core, LoopbreakOutsideTheLoopDoesNotCarryOver) {
  // libevent clears the break flag when a loop starts.
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(t, &tv), 0);
  EXPECT_EQ(event_base_loopbreak(base), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_FALSE(event_base_got_break(base));
  event_free(t);
}

TEST_P(Core, LoopcontinuePollsBeforeTheRestOfTheQueue) {
  // Two priorities. A and B are active at the low one; A makes a socket
  // readable that a high-priority event watches. With loopcontinue, the loop
  // polls again right after A, so H runs before B. Without it, B runs first.
  for (bool use_continue : {false, true}) {
    SCOPED_TRACE(use_continue ? "with loopcontinue" : "without loopcontinue");
    event_base* b2 = make_base(GetParam());
    ASSERT_NE(b2, nullptr);
    ASSERT_EQ(event_base_priority_init(b2, 2), 0);
    SocketPair sp;
    std::vector<std::string> order;
    struct A {
      event_base* base;
      evutil_socket_t wfd;
      bool cont;
      std::vector<std::string>* order;
    } actx{b2, sp.b(), use_continue, &order};
    Ctx hctx, bctx;
    hctx.order = bctx.order = &order;
    hctx.tag = "H";
    bctx.tag = "B";
    event* h = event_new(b2, sp.a(), EV_READ, record_cb, &hctx);
    event* a = event_new(b2, -1, 0, [](evutil_socket_t, short, void* arg) {
      auto* c = static_cast<A*>(arg);
      c->order->push_back("A");
      (void)put(c->wfd, "!");
      if (c->cont) {
        EXPECT_EQ(event_base_loopcontinue(c->base), 0);
      }
    }, &actx);
    event* bb = event_new(b2, -1, 0, record_cb, &bctx);
    ASSERT_EQ(event_priority_set(h, 0), 0);
    ASSERT_EQ(event_priority_set(a, 1), 0);
    ASSERT_EQ(event_priority_set(bb, 1), 0);
    ASSERT_EQ(event_add(h, nullptr), 0);
    event_active(a, EV_TIMEOUT, 0);
    event_active(bb, EV_TIMEOUT, 0);
    EXPECT_EQ(event_base_dispatch(b2), 1);
    std::vector<std::string> want = use_continue ? std::vector<std::string>{"A", "H", "B"}
                                                 : std::vector<std::string>{"A", "B", "H"};
    EXPECT_EQ(order, want);
    event_free(h);
    event_free(a);
    event_free(bb);
    event_base_free(b2);
  }
}

TEST_P(Core, LoopcontinueOutsideALoopIsHarmless) {
  EXPECT_EQ(event_base_loopcontinue(base), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

TEST_P(Core, ReenteringTheLoopFromACallbackFails) {
  LogCapture log;
  struct S {
    event_base* base;
    int rc_loop = 99;
    int rc_dispatch = 99;
  } s{base};
  event* e = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->rc_loop = event_base_loop(st->base, EVLOOP_NONBLOCK);
    st->rc_dispatch = event_base_dispatch(st->base);
  }, &s);
  event_active(e, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.rc_loop, -1);
  EXPECT_EQ(s.rc_dispatch, -1);
  EXPECT_TRUE(log.has("reentrant", EVENT_LOG_WARN)) << log.dump();
  event_free(e);
}

TEST_P(Core, MaxDispatchIntervalLimitsCallbacksPerRound) {
  // With max_callbacks = 1 the loop polls between callbacks, so a newly
  // readable high-priority event overtakes a waiting low-priority one.
  event_config* cfg = event_config_new();
  for (const char* m : GetParam().avoid) event_config_avoid_method(cfg, m);
  event_config_set_flag(cfg, GetParam().flags | EVENT_BASE_FLAG_IGNORE_ENV);
  ASSERT_EQ(event_config_set_max_dispatch_interval(cfg, nullptr, 1, 0), 0);
  event_base* b2 = event_base_new_with_config(cfg);
  event_config_free(cfg);
  ASSERT_NE(b2, nullptr);
  ASSERT_STREQ(event_base_get_method(b2), GetParam().method);
  ASSERT_EQ(event_base_priority_init(b2, 2), 0);
  SocketPair sp;
  std::vector<std::string> order;
  struct A {
    evutil_socket_t wfd;
    std::vector<std::string>* order;
  } actx{sp.b(), &order};
  Ctx hctx, bctx;
  hctx.order = bctx.order = &order;
  hctx.tag = "H";
  bctx.tag = "B";
  event* h = event_new(b2, sp.a(), EV_READ, record_cb, &hctx);
  event* a = event_new(b2, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* c = static_cast<A*>(arg);
    c->order->push_back("A");
    (void)put(c->wfd, "!");
  }, &actx);
  event* bb = event_new(b2, -1, 0, record_cb, &bctx);
  event_priority_set(h, 0);
  event_priority_set(a, 1);
  event_priority_set(bb, 1);
  ASSERT_EQ(event_add(h, nullptr), 0);
  event_active(a, EV_TIMEOUT, 0);
  event_active(bb, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(b2), 1);
  EXPECT_EQ(order, (std::vector<std::string>{"A", "H", "B"}));
  event_free(h);
  event_free(a);
  event_free(bb);
  event_base_free(b2);
}

TEST_P(Core, FreeWithPendingEventsRunsNoCallbacks) {
  // Events owned by the caller (event_assign'd) stay untouched memory-wise;
  // freeing the base must neither run nor crash on them.
  SocketPair sp;
  Hits h;
  event_base* base_free_me = base;
  base = nullptr;  // TearDown must not free it again
  struct event io, tm, sig;
  ASSERT_EQ(event_assign(&io, base_free_me, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h), 0);
  ASSERT_EQ(event_assign(&tm, base_free_me, -1, 0, hit_cb, &h), 0);
  ASSERT_EQ(evsignal_assign(&sig, base_free_me, SIGUSR2, hit_cb, &h), 0);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(&io, nullptr), 0);
  ASSERT_EQ(event_add(&tm, &tv), 0);
  ASSERT_EQ(event_add(&sig, nullptr), 0);
  (void)put(sp.b(), "data");
  event_base_free(base_free_me);
  EXPECT_EQ(h.n, 0);
}

TEST_P(Core, HeapEventsSurviveAfterBeingFreedBeforeTheirBase) {
  SocketPair sp;
  Hits h;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h);
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(event_add(t, &tv), 0);
  event_free(r);
  event_free(t);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 0);
}

TEST_P(Core, ReinitKeepsEventsWorking) {
  SocketPair sp;
  Hits rd, tm;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &rd);
  event* t = evtimer_new(base, hit_cb, &tm);
  ASSERT_EQ(event_add(r, nullptr), 0);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(t, &tv), 0);
  ASSERT_EQ(event_reinit(base), 0);
  EXPECT_TRUE(event_pending(r, EV_READ, nullptr));
  EXPECT_TRUE(event_pending(t, EV_TIMEOUT, nullptr));
  ASSERT_EQ(put(sp.b(), "z"), 1);
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(rd.n, 1);
  EXPECT_EQ(drain_fd(sp.a()), "z");
  EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(tm.n, 1);
  event_free(r);
  event_free(t);
}

TEST_P(Core, FreeNofinalizeSkipsPendingFinalizers) {
  int finalized = 0;
  struct event ev;
  ASSERT_EQ(event_assign(&ev, base, -1, 0, noop_cb, &finalized), 0);
  ASSERT_EQ(event_finalize(0, &ev, [](struct event*, void* arg) { ++*static_cast<int*>(arg); }), 0);
  event_base_free_nofinalize(base);
  base = nullptr;
  EXPECT_EQ(finalized, 0);
}

TEST_P(Core, FreeRunsPendingFinalizers) {
  int finalized = 0;
  struct event ev;
  ASSERT_EQ(event_assign(&ev, base, -1, 0, noop_cb, &finalized), 0);
  ASSERT_EQ(event_finalize(0, &ev, [](struct event*, void* arg) { ++*static_cast<int*>(arg); }), 0);
  event_base_free(base);
  base = nullptr;
  EXPECT_EQ(finalized, 1);
}

TEST_P(Core, CachedTimeInsideCallbacks) {
  struct S {
    event_base* base;
    bool precise;
    timeval first{}, second{}, updated{};
    int rc1 = -9, rc2 = -9, rc3 = -9, rcu = -9;
  } s{base, precise_timer()};
  event* e = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->rc1 = event_base_gettimeofday_cached(st->base, &st->first);
    // 30 ms on the base's own clock: across a plain 30 ms sleep the coarse clock can
    // advance less, lagging further behind at the end than at the start.
    const double c = base_clock_ms(st->precise);
    while (base_clock_ms(st->precise) < c + 30) usleep(1000);
    st->rc2 = event_base_gettimeofday_cached(st->base, &st->second);
    st->rcu = event_base_update_cache_time(st->base);
    st->rc3 = event_base_gettimeofday_cached(st->base, &st->updated);
  }, &s);
  double before = wall_ms();
  event_active(e, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.rc1, 0);
  EXPECT_EQ(s.rc2, 0);
  EXPECT_EQ(s.rc3, 0);
  EXPECT_EQ(s.rcu, 0);
  // The cache is taken once per round: two reads within one callback agree...
  EXPECT_EQ(tv_to_ms(s.first), tv_to_ms(s.second));
  // ...it is close to the real wall-clock time...
  EXPECT_GT(tv_to_ms(s.first), before - 1000.0);
  EXPECT_LT(tv_to_ms(s.first), before + kLate);
  // ...and event_base_update_cache_time refreshes it. (Not exactly 30: the wall-clock
  // offset added to the cached time is re-measured every 5 seconds.)
  EXPECT_GE(tv_to_ms(s.updated) - tv_to_ms(s.first), 20.0);
  event_free(e);
}

TEST_P(Core, NoCacheTimeFlagGivesFreshTime) {
  event_base* b2 = make_base(GetParam(), EVENT_BASE_FLAG_NO_CACHE_TIME);
  ASSERT_NE(b2, nullptr);
  struct S {
    event_base* base;
    timeval first{}, second{};
  } s{b2};
  event* e = event_new(b2, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    event_base_gettimeofday_cached(st->base, &st->first);
    usleep(30 * 1000);
    event_base_gettimeofday_cached(st->base, &st->second);
  }, &s);
  event_active(e, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(b2), 1);
  EXPECT_GE(tv_to_ms(s.second) - tv_to_ms(s.first), 20.0);
  event_free(e);
  event_base_free(b2);
}

TEST_P(Core, CachedTimeOutsideTheLoopIsCurrent) {
  timeval tv{};
  double before = wall_ms();
  ASSERT_EQ(event_base_gettimeofday_cached(base, &tv), 0);
  double after = wall_ms();
  EXPECT_GE(tv_to_ms(tv), before - 1.0);
  EXPECT_LE(tv_to_ms(tv), after + 1.0);
  EXPECT_EQ(event_base_update_cache_time(base), 0);
}
