// Getters, event_get_assignment, event_self_cbarg, foreach/dump, running
// event, event counters and the finalize API. Every backend.
#include "core_support.h"

#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace vt;

TEST_P(Core, GettersReturnWhatWasAssigned) {
  SocketPair sp;
  int marker = 0;
  event* e = event_new(base, sp.a(), EV_READ | EV_WRITE | EV_PERSIST, hit_cb, &marker);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(event_get_fd(e), sp.a());
  EXPECT_EQ(event_get_base(e), base);
  EXPECT_EQ(event_get_events(e), EV_READ | EV_WRITE | EV_PERSIST);
  EXPECT_EQ(event_get_callback(e), &hit_cb);
  EXPECT_EQ(event_get_callback_arg(e), &marker);
  EXPECT_EQ(event_get_priority(e), 0);
  EXPECT_TRUE(event_initialized(e));

  event_base* b = nullptr;
  evutil_socket_t fd = -7;
  short what = 0;
  event_callback_fn cb = nullptr;
  void* arg = nullptr;
  event_get_assignment(e, &b, &fd, &what, &cb, &arg);
  EXPECT_EQ(b, base);
  EXPECT_EQ(fd, sp.a());
  EXPECT_EQ(what, EV_READ | EV_WRITE | EV_PERSIST);
  EXPECT_EQ(cb, &hit_cb);
  EXPECT_EQ(arg, &marker);
  // Every output pointer is optional.
  event_get_assignment(e, nullptr, nullptr, nullptr, nullptr, nullptr);
  event_get_assignment(e, nullptr, &fd, nullptr, nullptr, nullptr);
  EXPECT_EQ(fd, sp.a());
  event_free(e);
}

TEST_P(Core, TimerAndSignalGetters) {
  event* t = evtimer_new(base, noop_cb, nullptr);
  EXPECT_EQ(event_get_fd(t), -1);
  EXPECT_EQ(event_get_events(t), 0);
  EXPECT_EQ(event_get_callback_arg(t), nullptr);
  event* s = evsignal_new(base, SIGUSR1, noop_cb, nullptr);
  EXPECT_EQ(event_get_fd(s), SIGUSR1);
  EXPECT_EQ(event_get_events(s), EV_SIGNAL | EV_PERSIST);
  event_free(t);
  event_free(s);
}

TEST_P(Core, EventAssignOnCallerStorage) {
  struct event ev;
  std::memset(&ev, 0, sizeof ev);
  EXPECT_FALSE(event_initialized(&ev));
  Hits h;
  ASSERT_EQ(event_assign(&ev, base, -1, 0, hit_cb, &h), 0);
  EXPECT_TRUE(event_initialized(&ev));
  EXPECT_EQ(event_get_base(&ev), base);
  timeval tv = tv_ms(5);
  ASSERT_EQ(event_add(&ev, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 1);
  // Re-assigning a non-pending event is allowed.
  SocketPair sp;
  ASSERT_EQ(event_assign(&ev, base, sp.a(), EV_WRITE, hit_cb, &h), 0);
  EXPECT_EQ(event_get_fd(&ev), sp.a());
  ASSERT_EQ(event_add(&ev, nullptr), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 2);
  EXPECT_EQ(h.last_what, EV_WRITE);
}

TEST_P(Core, StructEventSizeMatches) {
  EXPECT_EQ(event_get_struct_event_size(), sizeof(struct event));
}

TEST_P(Core, SelfCbargPassesTheEventItself) {
  struct S {
    event* seen = nullptr;
  };
  static S s;
  s.seen = nullptr;
  event* e = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    s.seen = static_cast<event*>(arg);
  }, event_self_cbarg());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(event_get_callback_arg(e), e);
  event_active(e, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.seen, e);
  event_free(e);

  struct event ev;
  ASSERT_EQ(event_assign(&ev, base, -1, 0, noop_cb, event_self_cbarg()), 0);
  EXPECT_EQ(event_get_callback_arg(&ev), &ev);
}

TEST_P(Core, RunningEventInsideACallback) {
  struct S {
    event_base* base;
    event* seen = reinterpret_cast<event*>(1);
    event* seen_timer = reinterpret_cast<event*>(1);
  } s{base};
  // Note: libevent 2.1.12 crashes when this is asked outside a callback, so
  // only the inside is checked.
  event* e = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->seen = event_base_get_running_event(st->base);
  }, &s);
  event* t = evtimer_new(base, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->seen_timer = event_base_get_running_event(st->base);
  }, &s);
  event_active(e, EV_TIMEOUT, 0);
  timeval tv = tv_ms(5);
  event_add(t, &tv);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.seen, e);
  EXPECT_EQ(s.seen_timer, t);
  event_free(e);
  event_free(t);
}

// libevent 2.1.12's counters (event.h warns they are only a load indication,
// but programs print them, so vigil matches them): EVENT_BASE_COUNT_ADDED
// counts an event once per queue it sits in -- I/O or signal map, timeout
// queue, active queue -- so an I/O event with a timeout counts twice and an
// active event counts as added too. Internal events are never counted.
TEST_P(Core, CountsAddedAndActiveEvents) {
  SocketPair sp;
  event* r = event_new(base, sp.a(), EV_READ, noop_cb, nullptr);
  event* t = evtimer_new(base, noop_cb, nullptr);
  event* s = evsignal_new(base, SIGUSR2, noop_cb, nullptr);
  event* a = event_new(base, -1, 0, noop_cb, nullptr);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(event_add(t, &tv), 0);
  ASSERT_EQ(event_add(s, nullptr), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 3);
  ASSERT_EQ(event_add(r, &tv), 0);  // now in the I/O map and the timeout queue
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 4);
  ASSERT_EQ(event_add(r, &tv), 0);  // re-adding changes nothing
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 4);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
  event_active(a, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 1);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 5);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE), 6);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL), 0);
  EXPECT_EQ(event_base_get_num_events(base, 0), 0);
  event_del(t);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 4);
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 3);
  ASSERT_EQ(event_remove_timer(r), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 2);
  for (event* e : {r, t, s, a}) event_free(e);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
}

TEST_P(Core, CountersInsideACallback) {
  struct S {
    event_base* base;
    int active = -1, added = -1;
  } st{base};
  event* e = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* s = static_cast<S*>(arg);
    s->active = event_base_get_num_events(s->base, EVENT_BASE_COUNT_ACTIVE);
    s->added = event_base_get_num_events(s->base, EVENT_BASE_COUNT_ADDED);
  }, &st);
  event* other = event_new(base, -1, 0, noop_cb, nullptr);
  event_active(e, EV_TIMEOUT, 0);
  event_active(other, EV_TIMEOUT, 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 2);
  EXPECT_EQ(event_base_dispatch(base), 1);
  // The running callback has left the active queue; the other is still there.
  EXPECT_EQ(st.active, 1);
  EXPECT_EQ(st.added, 1);
  event_free(e);
  event_free(other);
}

TEST_P(Core, MaxEventCountersAndClear) {
  std::vector<event*> evs;
  timeval tv = tv_ms(10000);
  for (int i = 0; i < 4; ++i) {
    evs.push_back(evtimer_new(base, noop_cb, nullptr));
    ASSERT_EQ(event_add(evs.back(), &tv), 0);
  }
  event_del(evs[0]);
  event_del(evs[1]);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 2);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 4);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 4);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0), 0);

  std::vector<event*> act;
  for (int i = 0; i < 3; ++i) {
    act.push_back(event_new(base, -1, 0, noop_cb, nullptr));
    event_active(act.back(), EV_TIMEOUT, 0);
  }
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0), 3);
  // 2 timers + 3 active at the peak.
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 5);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_ADDED, 0), 8);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_VIRTUAL, 0), 0);

  // Clearing returns the old maximum and resets it to zero.
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE, 1), 8);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0), 0);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 0);
  // Clearing one kind leaves the other alone.
  ASSERT_EQ(event_add(evs[0], &tv), 0);
  event_active(act[0], EV_TIMEOUT, 0);
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 4);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 1), 1);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0), 0);
  EXPECT_EQ(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 4);
  for (event* e : evs) event_free(e);
  for (event* e : act) event_free(e);
}

namespace {

struct Visit {
  std::set<const event*> seen;
  int calls = 0;
  int stop_after = -1;
};

int visit_cb(const event_base*, const event* ev, void* arg) {
  auto* v = static_cast<Visit*>(arg);
  v->seen.insert(ev);
  v->calls++;
  if (v->stop_after >= 0 && v->calls >= v->stop_after) return 42;
  return 0;
}

}  // namespace

TEST_P(Core, ForeachVisitsAddedAndActiveEvents) {
  SocketPair sp;
  event* r = event_new(base, sp.a(), EV_READ, noop_cb, nullptr);
  event* w = event_new(base, sp.a(), EV_WRITE, noop_cb, nullptr);
  event* t = evtimer_new(base, noop_cb, nullptr);
  event* s = evsignal_new(base, SIGUSR2, noop_cb, nullptr);
  event* a = event_new(base, -1, 0, noop_cb, nullptr);
  event* idle = event_new(base, -1, 0, noop_cb, nullptr);  // never added
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(r, &tv), 0);
  ASSERT_EQ(event_add(w, nullptr), 0);
  ASSERT_EQ(event_add(t, &tv), 0);
  ASSERT_EQ(event_add(s, nullptr), 0);
  event_active(a, EV_TIMEOUT, 0);

  // (libevent also reports its internal signal-pipe reader here; user events
  // are what is checked.)
  Visit v;
  EXPECT_EQ(event_base_foreach_event(base, visit_cb, &v), 0);
  for (const event* e : {r, w, t, s, a}) EXPECT_EQ(v.seen.count(e), 1u) << "missed an event";
  EXPECT_EQ(v.seen.count(idle), 0u) << "visited an event that was never added";
  EXPECT_EQ(static_cast<size_t>(v.calls), v.seen.size()) << "each event must be visited exactly once";

  Visit stop;
  stop.stop_after = 2;
  EXPECT_EQ(event_base_foreach_event(base, visit_cb, &stop), 42);
  EXPECT_EQ(stop.calls, 2);

  event_del(w);
  Visit after_del;
  EXPECT_EQ(event_base_foreach_event(base, visit_cb, &after_del), 0);
  EXPECT_EQ(after_del.seen.count(w), 0u);
  EXPECT_EQ(after_del.seen.count(r), 1u);

  std::set<const event*> mine{r, w, t, s, a, idle};
  for (event* e : {r, w, t, s, a, idle}) event_free(e);
  Visit empty;
  EXPECT_EQ(event_base_foreach_event(base, visit_cb, &empty), 0);
  for (const event* e : empty.seen) EXPECT_EQ(mine.count(e), 0u) << "visited a freed event";
}

TEST_P(Core, ForeachOnAFreshBaseVisitsNothing) {
  Visit v;
  EXPECT_EQ(event_base_foreach_event(base, visit_cb, &v), 0);
  EXPECT_EQ(v.calls, 0);
}

TEST_P(Core, DumpEventsMentionsTheDescriptor) {
  SocketPair sp;
  event* r = event_new(base, sp.a(), EV_READ | EV_PERSIST, noop_cb, nullptr);
  event* t = evtimer_new(base, noop_cb, nullptr);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(event_add(t, &tv), 0);
  FILE* f = tmpfile();
  ASSERT_NE(f, nullptr);
  event_base_dump_events(base, f);
  fflush(f);
  rewind(f);
  std::string text;
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  EXPECT_FALSE(text.empty());
  std::regex fd_word("(^|[^0-9])" + std::to_string(sp.a()) + "([^0-9]|$)");
  EXPECT_TRUE(std::regex_search(text, fd_word)) << text;
  std::regex read_word("read", std::regex::icase);
  EXPECT_TRUE(std::regex_search(text, read_word)) << text;
  event_free(r);
  event_free(t);
}

TEST_P(Core, FinalizeRunsTheFinalizerOnTheNextLoop) {
  SocketPair sp;
  struct S {
    int calls = 0;
    int finalized = 0;
    event* fin_ev = nullptr;
    void* fin_arg = nullptr;
  } s;
  struct event ev;
  ASSERT_EQ(event_assign(&ev, base, sp.a(), EV_READ | EV_PERSIST, [](evutil_socket_t, short, void* arg) {
    static_cast<S*>(arg)->calls++;
  }, &s), 0);
  ASSERT_EQ(event_add(&ev, nullptr), 0);
  ASSERT_EQ(event_finalize(0, &ev, [](event* e, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->finalized++;
    st->fin_ev = e;
    st->fin_arg = arg;
  }), 0);
  EXPECT_EQ(event_pending(&ev, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, nullptr), 0);
  EXPECT_EQ(s.finalized, 0) << "finalizers run from the loop, not synchronously";
  EXPECT_EQ(event_add(&ev, nullptr), -1) << "a finalizing event cannot be re-added";
  ASSERT_EQ(put(sp.b(), "x"), 1);
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(s.finalized, 1);
  EXPECT_EQ(s.fin_ev, &ev);
  EXPECT_EQ(s.fin_arg, &s);
  EXPECT_EQ(s.calls, 0);
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(s.finalized, 1);
}

TEST_P(Core, FreeFinalizeReleasesTheEvent) {
  // The sanitizer build checks that the memory is released exactly once.
  int finalized = 0;
  event* e = event_new(base, -1, 0, noop_cb, &finalized);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(e, &tv), 0);
  ASSERT_EQ(event_free_finalize(0, e, [](event*, void* arg) { ++*static_cast<int*>(arg); }), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
}

TEST_P(Core, FreeFinalizeFromTheEventsOwnCallback) {
  struct S {
    event* self = nullptr;
    int calls = 0, finalized = 0;
  } s;
  s.self = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short, void* arg) {
    auto* st = static_cast<S*>(arg);
    st->calls++;
    event_free_finalize(0, st->self, [](event*, void* a) { static_cast<S*>(a)->finalized++; });
    EXPECT_EQ(st->finalized, 0);
  }, &s);
  timeval tv = tv_ms(5);
  ASSERT_EQ(event_add(s.self, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(s.calls, 1);
  EXPECT_EQ(s.finalized, 1);
}

TEST_P(Core, FinalizeFlagEventBehavesNormally) {
  SocketPair sp;
  Hits h;
  event* e = event_new(base, sp.a(), EV_READ | EV_PERSIST | EV_FINALIZE, hit_cb, &h);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(event_get_events(e), EV_READ | EV_PERSIST | EV_FINALIZE);
  ASSERT_EQ(event_add(e, nullptr), 0);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_READ);
  EXPECT_EQ(event_del(e), 0);
  EXPECT_FALSE(event_pending(e, EV_READ, nullptr));
  event_free(e);
}

TEST_P(Core, FinalizersOfManyEvents) {
  constexpr int kN = 20;
  int finalized = 0;
  for (int i = 0; i < kN; ++i) {
    event* e = event_new(base, -1, 0, noop_cb, &finalized);
    if (i % 2 == 0) {
      timeval tv = tv_ms(10000);
      event_add(e, &tv);
    }
    ASSERT_EQ(event_free_finalize(0, e, [](event*, void* arg) { ++*static_cast<int*>(arg); }), 0);
  }
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(finalized, kN);
}
