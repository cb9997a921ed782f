// event_base_once called from several threads at once on one base whose loop runs in
// another thread, on every backend. Part of vigil_thread_tests: main() in thread_test.cpp
// enables pthreads before any base exists.
//
// Each scheduled once-event gets a slot of its own; its callback counts itself there, so
// a callback that ran twice, never ran, ran with the wrong flags or on a thread other than
// the loop's is reported by slot. The base is freed at the end with once-events still
// pending in the second test, which ASan (the asan build runs these too) checks for leaks.
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

constexpr int kThreads = 4;

// The kinds of once-event each thread schedules, in turn.
enum Kind : int {
  kTimeoutZero,     // EV_TIMEOUT, tv = {0, 0}: activated at once, no timer heap
  kTimeoutNull,     // EV_TIMEOUT, tv = NULL: the same
  kTimeoutSmall,    // EV_TIMEOUT, tv = 1..3 ms
  kReadNoTimeout,   // EV_READ on the readable pipe end, tv = NULL
  kReadWithTimeout, // EV_READ on the readable pipe end, tv = 10 s (readability wins)
  kKinds
};

short expected_what(int kind) {
  return (kind == kReadNoTimeout || kind == kReadWithTimeout) ? EV_READ : EV_TIMEOUT;
}

struct Slot {
  std::atomic<int> hits{0};
  std::atomic<int> what{0};
  std::atomic<bool> on_loop_thread{true};
  int kind = 0;
};

struct Shared {
  std::atomic<long> fired{0};
  std::atomic<std::thread::id> loop_id{};
};

struct Arg {
  Slot* slot;
  Shared* shared;
};

void once_cb(evutil_socket_t, short what, void* p) {
  auto* a = static_cast<Arg*>(p);
  a->slot->what.store(what);
  if (std::this_thread::get_id() != a->shared->loop_id.load()) a->slot->on_loop_thread.store(false);
  a->slot->hits.fetch_add(1);
  a->shared->fired.fetch_add(1);
}

struct Backend {
  const char* name;
};

class OnceThreads : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    event_config* cfg = event_config_new();
    for (const char* m : {"epoll", "poll", "select"})
      if (std::string(m) != GetParam().name) event_config_avoid_method(cfg, m);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    ASSERT_NE(base, nullptr);
    ASSERT_STREQ(event_base_get_method(base), GetParam().name);
    ASSERT_EQ(pipe(readable), 0);
    ASSERT_EQ(pipe(idle), 0);
    for (int fd : {readable[0], readable[1], idle[0], idle[1]}) evutil_make_socket_nonblocking(fd);
    // One byte that nobody reads: readable[0] stays readable for the whole test.
    ASSERT_EQ(write(readable[1], "x", 1), 1);
  }
  void TearDown() override {
    join_loop();
    if (base) event_base_free(base);
    for (int fd : {readable[0], readable[1], idle[0], idle[1]})
      if (fd >= 0) close(fd);
  }

  // Runs event_base_loop in its own thread; it does not return when it has no events.
  void start_loop() {
    loop_thread = std::thread([this] {
      shared.loop_id.store(std::this_thread::get_id());
      loop_result = event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    });
    while (shared.loop_id.load() == std::thread::id()) std::this_thread::yield();
    round_trip(0);
  }
  // Schedules a once-event and waits for it: proves the loop is running and has gone
  // round at least once since the call.
  // (The counter is the fixture's, so a late callback after a failure writes to live memory.)
  void round_trip(long usec) {
    long want = ++trips_asked;
    timeval tv{0, suseconds_t(usec)};
    ASSERT_EQ(event_base_once(base, -1, EV_TIMEOUT, [](evutil_socket_t, short, void* a) {
      static_cast<std::atomic<long>*>(a)->fetch_add(1);
    }, &trips_done, &tv), 0);
    auto t0 = Clock::now();
    while (trips_done.load() < want && ms_since(t0) < 10000)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_GE(trips_done.load(), want) << "the loop did not run a once-event within 10 s";
  }
  void join_loop() {
    if (loop_thread.joinable()) {
      event_base_loopbreak(base);
      loop_thread.join();
    }
  }

  event_base* base = nullptr;
  int readable[2] = {-1, -1};
  int idle[2] = {-1, -1};  // never written: its read end never becomes readable
  Shared shared;
  std::thread loop_thread;
  int loop_result = -2;
  long trips_asked = 0;
  std::atomic<long> trips_done{0};
};

TEST_P(OnceThreads, EveryOnceCallbackFromManyThreadsRunsExactlyOnce) {
  constexpr int kPerThread = 1500;
  constexpr int kTotal = kThreads * kPerThread;
  auto slots = std::make_unique<Slot[]>(kTotal);
  auto args = std::make_unique<Arg[]>(kTotal);
  for (int i = 0; i < kTotal; ++i) {
    slots[i].kind = (i % kPerThread) % kKinds;
    args[i] = Arg{&slots[i], &shared};
  }
  start_loop();
  if (HasFatalFailure()) return;

  std::atomic<int> failed_calls{0};
  std::atomic<int> go{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t)
    workers.emplace_back([&, t] {
      go.fetch_add(1);
      while (go.load() < kThreads) std::this_thread::yield();  // start together
      for (int i = 0; i < kPerThread; ++i) {
        int id = t * kPerThread + i;
        int rc = -1;
        switch (slots[id].kind) {
          case kTimeoutZero: {
            timeval tv{0, 0};
            rc = event_base_once(base, -1, EV_TIMEOUT, once_cb, &args[id], &tv);
            break;
          }
          case kTimeoutNull:
            rc = event_base_once(base, -1, EV_TIMEOUT, once_cb, &args[id], nullptr);
            break;
          case kTimeoutSmall: {
            timeval tv{0, suseconds_t(1000 * (1 + i % 3))};
            rc = event_base_once(base, -1, EV_TIMEOUT, once_cb, &args[id], &tv);
            break;
          }
          case kReadNoTimeout:
            rc = event_base_once(base, readable[0], EV_READ, once_cb, &args[id], nullptr);
            break;
          case kReadWithTimeout: {
            timeval tv{10, 0};
            rc = event_base_once(base, readable[0], EV_READ, once_cb, &args[id], &tv);
            break;
          }
        }
        if (rc != 0) failed_calls.fetch_add(1);
        if (i % 64 == 63) std::this_thread::yield();
      }
    });
  for (auto& w : workers) w.join();
  // No ASSERT from here on: the base must be freed before the slots its events point to.
  EXPECT_EQ(failed_calls.load(), 0) << "event_base_once returned -1";

  auto t0 = Clock::now();
  while (shared.fired.load() < kTotal && ms_since(t0) < 30000)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(shared.fired.load(), kTotal) << "not every once-callback ran within 30 s";
  // A few more loop iterations, so that a callback run twice would show.
  for (int i = 0; i < 3; ++i) round_trip(2000);
  join_loop();
  EXPECT_EQ(loop_result, 0);
  EXPECT_TRUE(event_base_got_break(base));

  EXPECT_EQ(shared.fired.load(), kTotal);
  int bad = 0;
  for (int i = 0; i < kTotal && bad < 20; ++i) {
    const Slot& s = slots[i];
    bool ok = s.hits.load() == 1 && s.what.load() == expected_what(s.kind) && s.on_loop_thread.load();
    if (!ok) {
      ++bad;
      ADD_FAILURE() << "once-event " << i << " (thread " << i / kPerThread << ", kind " << s.kind
                    << "): ran " << s.hits.load() << " time(s), what=0x" << std::hex << s.what.load()
                    << " (expected 0x" << expected_what(s.kind) << ")" << std::dec
                    << (s.on_loop_thread.load() ? "" : ", not on the loop thread");
    }
  }
  // Nothing of theirs is left in the base: fired once-events are deleted, and the read
  // events' 10 s timeouts are gone from the timer heap.
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
  event_base_free(base);
  base = nullptr;
}

// Once-events scheduled from several threads that have not fired when the base is freed
// are freed with it, without their callbacks running; ones that fired meanwhile were
// unlinked from the base's list while other threads were adding to it.
TEST_P(OnceThreads, PendingOnceEventsFromManyThreadsAreFreedWithTheBase) {
  constexpr int kPerThread = 1000;
  std::atomic<long> never{0};
  std::atomic<long> fired{0};
  std::atomic<int> failed_calls{0};
  start_loop();
  if (HasFatalFailure()) return;
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int rc = 0;
        switch ((t + i) % 4) {
          case 0: {  // fires: unlinks itself from the list while others link theirs
            timeval tv{0, 0};
            rc = event_base_once(base, -1, EV_TIMEOUT, [](evutil_socket_t, short, void* a) {
              static_cast<std::atomic<long>*>(a)->fetch_add(1);
            }, &fired, &tv);
            break;
          }
          case 1: {
            timeval tv{60, 0};
            rc = event_base_once(base, -1, EV_TIMEOUT, [](evutil_socket_t, short, void* a) {
              static_cast<std::atomic<long>*>(a)->fetch_add(1);
            }, &never, &tv);
            break;
          }
          case 2:
            rc = event_base_once(base, idle[0], EV_READ, [](evutil_socket_t, short, void* a) {
              static_cast<std::atomic<long>*>(a)->fetch_add(1);
            }, &never, nullptr);
            break;
          case 3: {
            timeval tv{60, 0};
            rc = event_base_once(base, idle[0], EV_READ, [](evutil_socket_t, short, void* a) {
              static_cast<std::atomic<long>*>(a)->fetch_add(1);
            }, &never, &tv);
            break;
          }
        }
        if (rc != 0) failed_calls.fetch_add(1);
      }
    });
  for (auto& w : workers) w.join();
  constexpr long kFiring = kThreads * kPerThread / 4;
  auto t0 = Clock::now();
  while (fired.load() < kFiring && ms_since(t0) < 30000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  round_trip(1000);
  join_loop();
  EXPECT_EQ(failed_calls.load(), 0);
  EXPECT_EQ(fired.load(), kFiring);
  EXPECT_EQ(never.load(), 0);
  // Pending: a quarter each of timers, read events, and read events with a timeout. As in
  // libevent 2.1.12, an event with both an fd and a timeout counts twice as "added".
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), kFiring * (1 + 1 + 2));
  event_base_free(base);  // frees the 3 * kThreads * kPerThread / 4 pending once-events
  base = nullptr;
  EXPECT_EQ(never.load(), 0) << "event_base_free ran callbacks of pending once-events";
}

INSTANTIATE_TEST_SUITE_P(Backends, OnceThreads,
                         ::testing::Values(Backend{"epoll"}, Backend{"poll"}, Backend{"select"}),
                         [](const ::testing::TestParamInfo<Backend>& i) { return std::string(i.param.name); });

}  // namespace
