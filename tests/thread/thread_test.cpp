// Bases used from several threads (event2/thread.h with libevent_pthreads), on every
// backend. main() enables pthreads before any base exists, as the API requires.
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../support/clock.h"
#include "../support/log_capture.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

timeval tv_ms(long ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

struct Backend {
  const char* name;
};

class Threads : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    event_config* cfg = event_config_new();
    for (const char* m : {"epoll", "poll", "select"})
      if (std::string(m) != GetParam().name) event_config_avoid_method(cfg, m);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    ASSERT_NE(base, nullptr);
    ASSERT_STREQ(event_base_get_method(base), GetParam().name);
    // Something far in the future keeps the loop waiting in the backend.
    keepalive = evtimer_new(base, [](evutil_socket_t, short, void*) {}, nullptr);
    timeval far = tv_ms(60000);
    event_add(keepalive, &far);
  }
  void TearDown() override {
    event_free(keepalive);
    event_base_free(base);
  }
  // Runs the loop in a thread until loopbreak/loopexit.
  void start_loop() {
    loop_thread = std::thread([this] { loop_result = event_base_dispatch(base); });
    // Wait until the loop is blocked (a callback from the loop proves it runs).
    std::atomic<bool> ran{false};
    event_base_once(base, -1, EV_TIMEOUT, [](evutil_socket_t, short, void* a) {
      static_cast<std::atomic<bool>*>(a)->store(true);
    }, &ran, nullptr);
    while (!ran.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void join_loop() {
    if (loop_thread.joinable()) loop_thread.join();
  }

  event_base* base = nullptr;
  event* keepalive = nullptr;
  std::thread loop_thread;
  int loop_result = -2;
};

TEST_P(Threads, LoopbreakFromAnotherThreadWakesTheLoopAtOnce) {
  start_loop();
  auto t0 = Clock::now();
  EXPECT_EQ(event_base_loopbreak(base), 0);
  join_loop();
  EXPECT_LT(ms_since(t0), 2000.0);
  EXPECT_EQ(loop_result, 0);
  EXPECT_TRUE(event_base_got_break(base));
}

TEST_P(Threads, LoopexitFromAnotherThread) {
  // On the base's clock (it honours EVENT_PRECISE_TIMER), from before the loop starts:
  // loopexit may arm the exit from the time the loop cached for its current round.
  const bool precise = std::getenv("EVENT_PRECISE_TIMER") != nullptr;
  const double t0 = vigil_test::base_clock_ms(precise);
  start_loop();
  timeval tv = tv_ms(30);
  EXPECT_EQ(event_base_loopexit(base, &tv), 0);
  join_loop();
  double took = vigil_test::base_clock_ms(precise) - t0;
  EXPECT_GE(took, 30 - vigil_test::kMicrosecond);
  EXPECT_LT(took, 2000.0);
  EXPECT_TRUE(event_base_got_exit(base));
}

struct Counter {
  std::atomic<int> n{0};
};
void count_cb(evutil_socket_t, short, void* arg) { static_cast<Counter*>(arg)->n++; }

TEST_P(Threads, EventAddFromAnotherThreadIsSeenByTheWaitingLoop) {
  int fds[2];
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  evutil_make_socket_nonblocking(fds[0]);
  Counter c;
  event* r = event_new(base, fds[0], EV_READ, count_cb, &c);
  start_loop();
  ASSERT_EQ(event_add(r, nullptr), 0);  // while the loop waits in the backend
  ASSERT_EQ(send(fds[1], "x", 1, 0), 1);
  auto t0 = Clock::now();
  while (c.n.load() == 0 && ms_since(t0) < 3000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(c.n.load(), 1);
  // A timer added from outside, sooner than anything the loop waits for, fires on time.
  Counter tc;
  event* t = evtimer_new(base, count_cb, &tc);
  timeval soon = tv_ms(20);
  t0 = Clock::now();
  ASSERT_EQ(event_add(t, &soon), 0);
  while (tc.n.load() == 0 && ms_since(t0) < 3000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(tc.n.load(), 1);
  EXPECT_LT(ms_since(t0), 2000.0);
  event_base_loopbreak(base);
  join_loop();
  event_free(t);
  event_free(r);
  close(fds[0]);
  close(fds[1]);
}

// Several threads each activate their own event and wait for its callback, many times:
// every activation is delivered exactly once, and quickly (the loop is woken each time).
TEST_P(Threads, ManyThreadsActivateEventsOnOneLoopingBase) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  struct PingPong {
    std::atomic<int> seen{0};
  };
  std::vector<PingPong> pp(kThreads);
  std::vector<event*> evs;
  for (int i = 0; i < kThreads; ++i)
    evs.push_back(event_new(base, -1, 0, [](evutil_socket_t, short what, void* a) {
      EXPECT_EQ(what, EV_TIMEOUT);
      static_cast<PingPong*>(a)->seen++;
    }, &pp[i]));
  start_loop();
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int i = 0; i < kThreads; ++i)
    workers.emplace_back([&, i] {
      for (int r = 1; r <= kRounds; ++r) {
        event_active(evs[i], EV_TIMEOUT, 1);
        auto start = Clock::now();
        while (pp[i].seen.load() < r && ms_since(start) < 5000) std::this_thread::yield();
        if (pp[i].seen.load() < r) return;  // reported below
      }
    });
  for (auto& w : workers) w.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(pp[i].seen.load(), kRounds) << "thread " << i;
  EXPECT_LT(ms_since(t0), 20000.0);
  event_base_loopbreak(base);
  join_loop();
  for (event* e : evs) event_free(e);
}

// Threads adding and deleting timers and I/O events while the loop runs, for a bounded
// time: nothing crashes, every fired callback belongs to an added event, and the base
// ends consistent.
TEST_P(Threads, ConcurrentAddDeleteStress) {
  constexpr int kThreads = 3;
  std::atomic<bool> stop{false};
  std::atomic<long> ops{0};
  Counter fired;
  start_loop();
  std::vector<std::thread> workers;
  for (int i = 0; i < kThreads; ++i)
    workers.emplace_back([&, i] {
      int fds[2];
      evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
      evutil_make_socket_nonblocking(fds[0]);
      evutil_make_socket_nonblocking(fds[1]);
      event* t = evtimer_new(base, count_cb, &fired);
      event* w = event_new(base, fds[1], EV_WRITE, count_cb, &fired);
      unsigned seed = 7u + unsigned(i);
      while (!stop.load()) {
        seed = seed * 1103515245u + 12345u;
        timeval tv{0, suseconds_t((seed >> 8) % 2000)};
        event_add(t, &tv);
        event_add(w, nullptr);
        if (seed & 0x100) event_del(t);
        if (seed & 0x200) event_del(w);
        event_active(t, EV_TIMEOUT, 1);
        ++ops;
      }
      event_del(t);
      event_del(w);
      event_free(t);
      event_free(w);
      close(fds[0]);
      close(fds[1]);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& w : workers) w.join();
  event_base_loopbreak(base);
  join_loop();
  EXPECT_GT(ops.load(), 100);
  EXPECT_GT(fired.n.load(), 0);
  // Only the keepalive timer is left.
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
}

struct SlowCallback {
  std::atomic<bool> inside{false};
  std::atomic<bool> done{false};
};
void slow_cb(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<SlowCallback*>(arg);
  s->inside = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  s->done = true;
}

// libevent 2.1's rule: event_del from another thread waits until the event's running
// callback has returned, so the caller may then free what the callback uses.
TEST_P(Threads, DelFromAnotherThreadWaitsForTheRunningCallback) {
  SlowCallback s;
  event* e = event_new(base, -1, EV_PERSIST, slow_cb, &s);
  start_loop();
  event_active(e, EV_TIMEOUT, 1);
  while (!s.inside.load()) std::this_thread::yield();
  EXPECT_EQ(event_del(e), 0);
  EXPECT_TRUE(s.done.load()) << "event_del returned while the callback still ran";
  event_free(e);
  event_base_loopbreak(base);
  join_loop();
}

TEST_P(Threads, DelNoblockDoesNotWait) {
  SlowCallback s;
  event* e = event_new(base, -1, EV_PERSIST, slow_cb, &s);
  start_loop();
  event_active(e, EV_TIMEOUT, 1);
  while (!s.inside.load()) std::this_thread::yield();
  EXPECT_EQ(event_del_noblock(e), 0);
  EXPECT_FALSE(s.done.load()) << "event_del_noblock waited for the callback";
  while (!s.done.load()) std::this_thread::yield();
  event_base_loopbreak(base);
  join_loop();
  event_free(e);
}

TEST_P(Threads, FinalizeEventsNeverBlockInEventDel) {
  SlowCallback s;
  event* e = event_new(base, -1, EV_PERSIST | EV_FINALIZE, slow_cb, &s);
  start_loop();
  event_active(e, EV_TIMEOUT, 1);
  while (!s.inside.load()) std::this_thread::yield();
  EXPECT_EQ(event_del(e), 0);
  EXPECT_FALSE(s.done.load()) << "event_del waited on an EV_FINALIZE event";
  // event_del_block waits even for them.
  event_active(e, EV_TIMEOUT, 1);
  while (!s.done.load()) std::this_thread::yield();
  s.done = false;
  s.inside = false;
  event_active(e, EV_TIMEOUT, 1);
  while (!s.inside.load()) std::this_thread::yield();
  EXPECT_EQ(event_del_block(e), 0);
  EXPECT_TRUE(s.done.load());
  event_base_loopbreak(base);
  join_loop();
  event_free(e);
}

TEST_P(Threads, DeletingItselfFromItsOwnCallbackDoesNotDeadlock) {
  struct Self {
    event* ev;
    std::atomic<int> n{0};
  } self;
  self.ev = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short, void* a) {
    auto* s = static_cast<Self*>(a);
    s->n++;
    event_del(s->ev);
  }, &self);
  start_loop();
  event_active(self.ev, EV_TIMEOUT, 1);
  auto t0 = Clock::now();
  while (self.n.load() == 0 && ms_since(t0) < 3000) std::this_thread::yield();
  EXPECT_EQ(self.n.load(), 1);
  event_base_loopbreak(base);
  join_loop();
  event_free(self.ev);
}

TEST_P(Threads, NolockBaseWorksFromItsOwnThread) {
  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  event_base* nb = event_base_new_with_config(cfg);
  event_config_free(cfg);
  ASSERT_NE(nb, nullptr);
#ifdef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_EQ(evthread_make_base_notifiable(nb), 0);  // libevent adds the channel anyway
#else
  {
    // An unlocked base must not be touched from other threads: vigil refuses and says why.
    vigil_test::LogCapture log;
    EXPECT_EQ(evthread_make_base_notifiable(nb), -1);
    EXPECT_TRUE(log.has("has no lock", EVENT_LOG_WARN)) << log.dump();
  }
#endif
  Counter c;
  event* t = evtimer_new(nb, count_cb, &c);
  timeval tv = tv_ms(5);
  ASSERT_EQ(event_add(t, &tv), 0);
  EXPECT_EQ(event_base_dispatch(nb), 1);
  EXPECT_EQ(c.n.load(), 1);
  event_free(t);
  event_base_free(nb);
}

TEST_P(Threads, BasesAreNotifiable) { EXPECT_EQ(evthread_make_base_notifiable(base), 0); }

INSTANTIATE_TEST_SUITE_P(Backends, Threads, ::testing::Values(Backend{"epoll"}, Backend{"poll"}, Backend{"select"}),
                         [](const ::testing::TestParamInfo<Backend>& i) { return std::string(i.param.name); });

}  // namespace

int main(int argc, char** argv) {
  if (evthread_use_pthreads() != 0) {
    fprintf(stderr, "evthread_use_pthreads failed\n");
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
