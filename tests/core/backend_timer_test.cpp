// Timers, event_base_once, priorities and common timeouts. Every backend.
#include "core_support.h"

#include <string>
#include <vector>

using namespace vt;

namespace {

struct Tagged {
  std::vector<int>* order;
  int id;
  double at = 0;  // on base_clock_ms(precise_clock)
  bool precise_clock = true;
};

void tagged_cb(evutil_socket_t, short, void* arg) {
  auto* t = static_cast<Tagged*>(arg);
  t->order->push_back(t->id);
  t->at = base_clock_ms(t->precise_clock);
}

}  // namespace

TEST_P(Core, TimerFiresAfterItsTimeout) {
  Hits h;
  h.precise_clock = precise_timer();
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(50);
  double t0 = base_clock_ms(precise_timer());
  ASSERT_EQ(evtimer_add(t, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  double dt = h.last_ms - t0;
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_TIMEOUT);
  EXPECT_EQ(h.last_fd, -1);
  EXPECT_GE(dt, 50 - kMicrosecond);
  EXPECT_LT(dt, kLate);
  event_free(t);
}

TEST_P(Core, ZeroTimeoutFiresOnTheNextRound) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval zero{0, 0};
  ASSERT_EQ(event_add(t, &zero), 0);
  double t0 = now_ms();
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_LT(now_ms() - t0, 1000.0);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_TIMEOUT);
  event_free(t);
}

TEST_P(Core, TimersFireInDeadlineOrder) {
  std::vector<int> order;
  std::vector<Tagged> tags;
  tags.reserve(4);
  const long ms[] = {80, 20, 140, 50};
  std::vector<event*> evs;
  for (int i = 0; i < 4; ++i) {
    tags.push_back({&order, static_cast<int>(ms[i]), 0});
    evs.push_back(evtimer_new(base, tagged_cb, &tags.back()));
    timeval tv = tv_ms(ms[i]);
    ASSERT_EQ(event_add(evs.back(), &tv), 0);
  }
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(order, (std::vector<int>{20, 50, 80, 140}));
  for (event* e : evs) event_free(e);
}

TEST_P(Core, PersistentTimerRepeats) {
  struct S {
    event* self = nullptr;
    bool precise = false;
    std::vector<double> at;
  } s;
  s.precise = precise_timer();
  s.self = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short what, void* arg) {
    auto* st = static_cast<S*>(arg);
    EXPECT_EQ(what, EV_TIMEOUT);
    st->at.push_back(base_clock_ms(st->precise));
    if (st->at.size() == 4) event_del(st->self);
  }, &s);
  timeval tv = tv_ms(15);
  double t0 = base_clock_ms(s.precise);
  ASSERT_EQ(event_add(s.self, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  ASSERT_EQ(s.at.size(), 4u);
  // Each repeat is due a period after the previous deadline, not after it ran.
  EXPECT_GE(s.at.back() - t0, 4 * 15.0 - kMicrosecond);
  EXPECT_LT(s.at.back() - t0, 4 * kLate);
  event_free(s.self);
}

TEST_P(Core, DeletedTimerNeverFires) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(t, &tv), 0);
  ASSERT_EQ(evtimer_del(t), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 0);
  event_free(t);
}

TEST_P(Core, TimerAddedFromACallback) {
  struct S {
    event_base* base;
    event* second = nullptr;
    Hits hits;
  } s{base, nullptr, {}};
  s.second = evtimer_new(base, hit_cb, &s.hits);
  event* first = evtimer_new(base, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    timeval tv = tv_ms(10);
    event_add(st->second, &tv);
  }, &s);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(first, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.hits.n, 1);
  event_free(first);
  event_free(s.second);
}

TEST_P(Core, PendingReportsTheAbsoluteDeadline) {
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  timeval tv = tv_ms(10000);
  double before = wall_ms();
  ASSERT_EQ(event_add(t, &tv), 0);
  timeval when{};
  EXPECT_EQ(event_pending(t, EV_TIMEOUT, &when), EV_TIMEOUT);
  EXPECT_EQ(evtimer_pending(t, nullptr), EV_TIMEOUT);
  // The reported time is on the wall clock, about ten seconds from now.
  EXPECT_GT(tv_to_ms(when), before + 9000.0);
  EXPECT_LT(tv_to_ms(when), before + 11000.0);
  EXPECT_GE(when.tv_usec, 0);
  EXPECT_LT(when.tv_usec, 1000000);
  EXPECT_EQ(event_pending(t, EV_READ | EV_WRITE | EV_SIGNAL, &when), 0);
  event_del(t);
  EXPECT_EQ(event_pending(t, EV_TIMEOUT, nullptr), 0);
  event_free(t);
}

TEST_P(Core, PendingOnIoEventWithTimeout) {
  SocketPair sp;
  event* r = event_new(base, sp.a(), EV_READ | EV_WRITE, noop_cb, nullptr);
  EXPECT_EQ(event_pending(r, EV_READ | EV_WRITE | EV_TIMEOUT, nullptr), 0);
  timeval tv = tv_ms(5000);
  ASSERT_EQ(event_add(r, &tv), 0);
  EXPECT_EQ(event_pending(r, EV_READ | EV_WRITE | EV_TIMEOUT, nullptr), EV_READ | EV_WRITE | EV_TIMEOUT);
  EXPECT_EQ(event_pending(r, EV_READ, nullptr), EV_READ);
  EXPECT_EQ(event_pending(r, EV_TIMEOUT, nullptr), EV_TIMEOUT);
  event_free(r);
}

TEST_P(Core, PendingIncludesActiveEvents) {
  event* e = event_new(base, -1, 0, noop_cb, nullptr);
  event_active(e, EV_READ, 0);
  EXPECT_EQ(event_pending(e, EV_READ | EV_WRITE | EV_TIMEOUT, nullptr), EV_READ);
  EXPECT_EQ(event_pending(e, EV_WRITE, nullptr), 0);
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(event_pending(e, EV_READ, nullptr), 0);
  event_free(e);
}

TEST_P(Core, ActiveRunsTheCallbackWithTheGivenFlags) {
  Hits h;
  event* e = event_new(base, -1, 0, hit_cb, &h);
  event_active(e, EV_WRITE, 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 1);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_WRITE);
  event_free(e);
}

TEST_P(Core, ActivatingTwiceMergesTheFlags) {
  Hits h;
  event* e = event_new(base, -1, 0, hit_cb, &h);
  event_active(e, EV_READ, 0);
  event_active(e, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 1);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_READ | EV_TIMEOUT);
  event_free(e);
}

TEST_P(Core, ActivatingAnAddedEventKeepsItAdded) {
  SocketPair sp;
  Hits h;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h);
  ASSERT_EQ(event_add(r, nullptr), 0);
  event_active(r, EV_READ, 0);
  event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  EXPECT_EQ(h.n, 1);
  EXPECT_TRUE(event_pending(r, EV_READ, nullptr));
  ASSERT_EQ(put(sp.b(), "q"), 1);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 2);
  event_free(r);
}

TEST_P(Core, OnceFiresExactlyOnce) {
  Hits h;
  h.precise_clock = precise_timer();
  timeval tv = tv_ms(20);
  double t0 = base_clock_ms(precise_timer());
  ASSERT_EQ(event_base_once(base, -1, EV_TIMEOUT, hit_cb, &h, &tv), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_TIMEOUT);
  EXPECT_GE(h.last_ms - t0, 20 - kMicrosecond);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
}

TEST_P(Core, OnceWithNullTimeoutRunsImmediately) {
  Hits h;
  ASSERT_EQ(event_base_once(base, -1, EV_TIMEOUT, hit_cb, &h, nullptr), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 1);
}

TEST_P(Core, OnceOnAReadableSocket) {
  SocketPair sp;
  Hits h;
  timeval tv = tv_ms(5000);
  ASSERT_EQ(event_base_once(base, sp.a(), EV_READ, hit_cb, &h, &tv), 0);
  ASSERT_EQ(put(sp.b(), "ab"), 2);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_READ);
  EXPECT_EQ(h.last_fd, sp.a());
  // Data is still there, but the once-event is gone.
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(h.n, 1);
}

TEST_P(Core, OnceOnASocketTimesOut) {
  SocketPair sp;
  Hits h;
  timeval tv = tv_ms(30);
  ASSERT_EQ(event_base_once(base, sp.a(), EV_READ, hit_cb, &h, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_TIMEOUT);
}

TEST_P(Core, UnfiredOnceEventsAreReleasedByBaseFree) {
  // Checked for leaks by the sanitizer build.
  Hits h;
  SocketPair sp;
  timeval tv = tv_ms(60000);
  ASSERT_EQ(event_base_once(base, -1, EV_TIMEOUT, hit_cb, &h, &tv), 0);
  ASSERT_EQ(event_base_once(base, sp.a(), EV_READ, hit_cb, &h, &tv), 0);
  ASSERT_EQ(event_base_once(base, sp.a(), EV_READ, hit_cb, &h, nullptr), 0);
  event_base_free(base);
  base = nullptr;
  EXPECT_EQ(h.n, 0);
}

TEST_P(Core, PriorityInitDefaultsAndLimits) {
  event* e0 = event_new(base, -1, 0, noop_cb, nullptr);
  EXPECT_EQ(event_get_priority(e0), 0);  // one priority by default
  EXPECT_EQ(event_priority_set(e0, 0), 0);
  EXPECT_EQ(event_priority_set(e0, 1), -1);
  event_free(e0);

  EXPECT_EQ(event_base_priority_init(base, 0), -1);
  EXPECT_EQ(event_base_priority_init(base, EVENT_MAX_PRIORITIES), -1);
  EXPECT_EQ(event_base_priority_init(base, EVENT_MAX_PRIORITIES - 1), 0);
  ASSERT_EQ(event_base_priority_init(base, 5), 0);
  event* e = event_new(base, -1, 0, noop_cb, nullptr);
  EXPECT_EQ(event_get_priority(e), 2);  // new events get the middle one
  EXPECT_EQ(event_priority_set(e, 4), 0);
  EXPECT_EQ(event_get_priority(e), 4);
  EXPECT_EQ(event_priority_set(e, 5), -1);
  EXPECT_EQ(event_priority_set(e, -1), -1);
  EXPECT_EQ(event_get_priority(e), 4);
  event_free(e);
}

TEST_P(Core, PriorityCannotChangeWhileActive) {
  ASSERT_EQ(event_base_priority_init(base, 3), 0);
  event* e = event_new(base, -1, 0, noop_cb, nullptr);
  event_active(e, EV_TIMEOUT, 0);
  EXPECT_EQ(event_priority_set(e, 0), -1);
  EXPECT_EQ(event_base_priority_init(base, 4), -1) << "priority_init must fail while callbacks are active";
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(event_priority_set(e, 0), 0);
  event_free(e);
}

TEST_P(Core, HigherPriorityRunsFirst) {
  ASSERT_EQ(event_base_priority_init(base, 3), 0);
  std::vector<int> order;
  Tagged t0{&order, 0}, t1{&order, 1}, t2{&order, 2};
  event* e2 = event_new(base, -1, 0, tagged_cb, &t2);
  event* e0 = event_new(base, -1, 0, tagged_cb, &t0);
  event* e1 = event_new(base, -1, 0, tagged_cb, &t1);
  event_priority_set(e0, 0);
  event_priority_set(e1, 1);
  event_priority_set(e2, 2);
  event_active(e2, EV_TIMEOUT, 0);
  event_active(e1, EV_TIMEOUT, 0);
  event_active(e0, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  event_free(e0);
  event_free(e1);
  event_free(e2);
}

TEST_P(Core, LowerPriorityWaitsWhileHigherKeepsFiring) {
  // A high-priority reader drains one byte per call from a socket holding five.
  // The low-priority reader, readable the whole time, runs only afterwards.
  ASSERT_EQ(event_base_priority_init(base, 2), 0);
  SocketPair hi, lo;
  std::vector<std::string> order;
  struct S {
    std::vector<std::string>* order;
    const char* tag;
  } shi{&order, "hi"}, slo{&order, "lo"};
  auto cb = [](evutil_socket_t fd, short, void* arg) {
    auto* s = static_cast<S*>(arg);
    char c;
    (void)recv(fd, &c, 1, 0);
    s->order->push_back(s->tag);
  };
  event* eh = event_new(base, hi.a(), EV_READ | EV_PERSIST, cb, &shi);
  event* el = event_new(base, lo.a(), EV_READ, cb, &slo);
  event_priority_set(eh, 0);
  event_priority_set(el, 1);
  ASSERT_EQ(event_add(eh, nullptr), 0);
  ASSERT_EQ(event_add(el, nullptr), 0);
  ASSERT_EQ(put(hi.b(), "12345"), 5);
  ASSERT_EQ(put(lo.b(), "x"), 1);
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(order, (std::vector<std::string>{"hi", "hi", "hi", "hi", "hi", "lo"}));
  event_free(eh);
  event_free(el);
}

TEST_P(Core, SelfReactivatingHighPriorityStarvesLowerOnes) {
  ASSERT_EQ(event_base_priority_init(base, 2), 0);
  std::vector<std::string> order;
  struct S {
    event* self = nullptr;
    std::vector<std::string>* order;
    int left = 4;
  } shi{nullptr, &order};
  shi.self = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* s = static_cast<S*>(arg);
    s->order->push_back("hi");
    if (s->left-- > 0) event_active(s->self, EV_TIMEOUT, 0);
  }, &shi);
  struct L {
    std::vector<std::string>* order;
  } slo{&order};
  event* el = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    static_cast<L*>(arg)->order->push_back("lo");
  }, &slo);
  event_priority_set(shi.self, 0);
  event_priority_set(el, 1);
  event_active(el, EV_TIMEOUT, 0);
  event_active(shi.self, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(order, (std::vector<std::string>{"hi", "hi", "hi", "hi", "hi", "lo"}));
  event_free(shi.self);
  event_free(el);
}

TEST_P(Core, CommonTimeoutEventsFireInOrder) {
  timeval d = tv_ms(40);
  const timeval* ct = event_base_init_common_timeout(base, &d);
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(event_base_init_common_timeout(base, &d), ct) << "same duration must give the same handle";
  constexpr int kN = 100;
  std::vector<int> order;
  std::vector<Tagged> tags;
  tags.reserve(kN);
  std::vector<event*> evs;
  double t0 = base_clock_ms(precise_timer());
  for (int i = 0; i < kN; ++i) {
    tags.push_back({&order, i, 0, precise_timer()});
    evs.push_back(evtimer_new(base, tagged_cb, &tags.back()));
    ASSERT_EQ(event_add(evs.back(), ct), 0);
  }
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), kN);
  EXPECT_EQ(event_base_dispatch(base), 1);
  ASSERT_EQ(order.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(order[i], i);
  for (auto& t : tags) {
    EXPECT_GE(t.at - t0, 40 - kMicrosecond);
    EXPECT_LT(t.at - t0, kLate);
  }
  for (event* e : evs) event_free(e);
}

TEST_P(Core, CommonTimeoutMixedWithNormalTimeouts) {
  timeval d = tv_ms(60);
  const timeval* ct = event_base_init_common_timeout(base, &d);
  ASSERT_NE(ct, nullptr);
  std::vector<int> order;
  const bool p = precise_timer();
  Tagged n20{&order, 20, 0, p}, c1{&order, 601, 0, p}, c2{&order, 602, 0, p}, c3{&order, 603, 0, p},
      n150{&order, 150, 0, p};
  event* e20 = evtimer_new(base, tagged_cb, &n20);
  event* e150 = evtimer_new(base, tagged_cb, &n150);
  event* ec1 = evtimer_new(base, tagged_cb, &c1);
  event* ec2 = evtimer_new(base, tagged_cb, &c2);
  event* ec3 = evtimer_new(base, tagged_cb, &c3);
  timeval t20 = tv_ms(20), t150 = tv_ms(150);
  double t0 = base_clock_ms(p);
  ASSERT_EQ(event_add(e150, &t150), 0);
  ASSERT_EQ(event_add(ec1, ct), 0);
  ASSERT_EQ(event_add(e20, &t20), 0);
  ASSERT_EQ(event_add(ec2, ct), 0);
  ASSERT_EQ(event_add(ec3, ct), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order.front(), 20);
  // The common-timeout events keep their order relative to each other.
  std::vector<int> commons;
  for (int id : order)
    if (id > 600) commons.push_back(id);
  EXPECT_EQ(commons, (std::vector<int>{601, 602, 603}));
  EXPECT_GE(c1.at - t0, 60 - kMicrosecond);
  EXPECT_GE(c3.at - t0, 60 - kMicrosecond);
  EXPECT_GE(n150.at - t0, 150 - kMicrosecond);
  EXPECT_LT(n150.at - t0, kLate);
  for (event* e : {e20, e150, ec1, ec2, ec3}) event_free(e);
}

TEST_P(Core, CommonTimeoutWithPersistAndPending) {
  timeval d = tv_ms(15);
  const timeval* ct = event_base_init_common_timeout(base, &d);
  ASSERT_NE(ct, nullptr);
  struct S {
    event* self = nullptr;
    int n = 0;
  } s;
  s.self = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short what, void* arg) {
    auto* st = static_cast<S*>(arg);
    EXPECT_EQ(what, EV_TIMEOUT);
    if (++st->n == 3) event_del(st->self);
  }, &s);
  double before = wall_ms();
  ASSERT_EQ(event_add(s.self, ct), 0);
  timeval when{};
  ASSERT_EQ(event_pending(s.self, EV_TIMEOUT, &when), EV_TIMEOUT);
  // event_pending reports an ordinary time, not the encoded handle.
  EXPECT_GE(when.tv_usec, 0);
  EXPECT_LT(when.tv_usec, 1000000);
  EXPECT_GT(tv_to_ms(when), before - 100.0);
  EXPECT_LT(tv_to_ms(when), before + 1000.0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.n, 3);
  event_free(s.self);
}

TEST_P(Core, CommonTimeoutReaddReplacesIt) {
  timeval d = tv_ms(10000);
  const timeval* ct = event_base_init_common_timeout(base, &d);
  ASSERT_NE(ct, nullptr);
  Hits h;
  event* t = evtimer_new(base, hit_cb, &h);
  ASSERT_EQ(event_add(t, ct), 0);
  timeval quick = tv_ms(10);
  ASSERT_EQ(event_add(t, &quick), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  event_free(t);
}

TEST_P(Core, TooManyCommonTimeouts) {
  LogCapture log;
  const timeval* last = nullptr;
  for (int i = 0; i < 256; ++i) {
    timeval d{1, i};
    last = event_base_init_common_timeout(base, &d);
    ASSERT_NE(last, nullptr) << "common timeout #" << i;
  }
  timeval d{1, 999};
  EXPECT_EQ(event_base_init_common_timeout(base, &d), nullptr);
  EXPECT_GE(log.count(EVENT_LOG_WARN), 1u) << log.dump();
  // An already known duration is still handed out.
  timeval again{1, 255};
  EXPECT_EQ(event_base_init_common_timeout(base, &again), last);
}

namespace {
struct OrderedFire {
  std::vector<double> deadlines;  // by timer index, from event_pending
  std::vector<int> fired;         // timer indices in firing order
};
struct TimerSlot {
  OrderedFire* log;
  int index;
};
void ordered_cb(evutil_socket_t, short what, void* arg) {
  auto* slot = static_cast<TimerSlot*>(arg);
  EXPECT_EQ(what, EV_TIMEOUT);
  slot->log->fired.push_back(slot->index);
}
}  // namespace

// Many timers with random deadlines, a third deleted and some re-added: every remaining
// timer fires once, in deadline order (this walks the timer heap's insert, erase from the
// middle and pop paths).
TEST_P(Core, ManyRandomTimersFireOnceInDeadlineOrder) {
  constexpr int kTimers = 3000;
  OrderedFire log;
  log.deadlines.resize(kTimers);
  std::vector<TimerSlot> slots(kTimers);
  std::vector<event*> evs(kTimers);
  unsigned seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 8) % 40000u; };
  for (int i = 0; i < kTimers; ++i) {
    slots[i] = {&log, i};
    evs[i] = evtimer_new(base, ordered_cb, &slots[i]);
    timeval tv{0, suseconds_t(next())};
    ASSERT_EQ(event_add(evs[i], &tv), 0);
  }
  std::vector<bool> live(kTimers, true);
  for (int i = 0; i < kTimers; i += 3) {
    ASSERT_EQ(event_del(evs[i]), 0);
    live[i] = false;
  }
  for (int i = 0; i < kTimers; i += 7) {  // re-add some, deleted or not, with new deadlines
    timeval tv{0, suseconds_t(next())};
    ASSERT_EQ(event_add(evs[i], &tv), 0);
    live[i] = true;
  }
  int expected = 0;
  for (int i = 0; i < kTimers; ++i) {
    if (!live[i]) continue;
    ++expected;
    timeval when;
    ASSERT_TRUE(event_pending(evs[i], EV_TIMEOUT, &when));
    log.deadlines[i] = when.tv_sec * 1000.0 + when.tv_usec / 1000.0;
  }
  EXPECT_EQ(event_base_dispatch(base), 1);
  ASSERT_EQ(int(log.fired.size()), expected);
  std::vector<bool> seen(kTimers, false);
  for (size_t k = 0; k < log.fired.size(); ++k) {
    int i = log.fired[k];
    EXPECT_TRUE(live[i]) << "deleted timer " << i << " fired";
    EXPECT_FALSE(seen[i]) << "timer " << i << " fired twice";
    seen[i] = true;
    if (k > 0) EXPECT_LE(log.deadlines[log.fired[k - 1]], log.deadlines[i] + 1e-9) << "at position " << k;
  }
  for (event* e : evs) event_free(e);
}
