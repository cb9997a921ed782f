// Socket bufferevents with BEV_OPT_THREADSAFE after evthread_use_pthreads(), pinned
// against libevent 2.1.12 on every backend. Built into its own executable (it links
// the pthreads library and installs lock callbacks for good).
#include "bev_support.h"

#include <event2/thread.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace bt;

namespace {

class BevThread : public BevTest {
 protected:
  void SetUp() override {
    // Before any base exists, so the bases get locks and a notification channel.
    ASSERT_EQ(evthread_use_pthreads(), 0);
    BevTest::SetUp();
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, BevThread, ::testing::ValuesIn(backends()), backend_name);

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Spins until pred() or ms pass.
template <class P>
bool wait_for(P pred, int ms) {
  const double end = now_ms() + ms;
  while (!pred()) {
    if (now_ms() > end) return false;
    sleep_ms(1);
  }
  return true;
}

TEST_P(BevThread, ThreadsafeBuffereventCanBeCreatedAndLocked) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), BEV_OPT_THREADSAFE));
  ASSERT_NE(bev.get(), nullptr);
  // The lock is recursive.
  bufferevent_lock(bev);
  bufferevent_lock(bev);
  EXPECT_EQ(bufferevent_write(bev, "locked", 6), 0);
  bufferevent_unlock(bev);
  bufferevent_unlock(bev);
  Rec rec;
  rec.attach(bev);
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  EXPECT_EQ(drain_fd(sp.b()), "locked");
}

TEST_P(BevThread, LockExcludesOtherThreads) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), BEV_OPT_THREADSAFE));
  ASSERT_NE(bev.get(), nullptr);
  std::atomic<bool> got{false};
  bufferevent_lock(bev);
  std::thread t([&] {
    bufferevent_lock(bev);
    got = true;
    bufferevent_unlock(bev);
  });
  sleep_ms(50);
  EXPECT_FALSE(got.load());
  bufferevent_unlock(bev);
  EXPECT_TRUE(wait_for([&] { return got.load(); }, 3000));
  t.join();
}

// One thread writes with bufferevent_write while the loop thread runs the base that
// sends it and reads it on the other end: every byte arrives, in order.
TEST_P(BevThread, CrossThreadWritesArriveInOrder) {
  SocketPair sp;
  Bev src(bufferevent_socket_new(base, sp.a(), BEV_OPT_THREADSAFE));
  Bev dst(bufferevent_socket_new(base, sp.b(), BEV_OPT_THREADSAFE));
  ASSERT_NE(src.get(), nullptr);
  ASSERT_NE(dst.get(), nullptr);
  constexpr uint32_t kChunks = 1024;
  constexpr size_t kChunk = 1024;  // bytes per chunk, each word = chunk index
  constexpr size_t kTotal = kChunks * kChunk;
  std::string got;
  got.reserve(kTotal);
  Rec rd;
  rd.attach(dst);
  rd.on_read = [&](bufferevent* b) {
    evbuffer* in = bufferevent_get_input(b);
    size_t n = evbuffer_get_length(in);
    std::string chunk(n, '\0');
    bufferevent_read(b, chunk.data(), n);
    got += chunk;
  };
  ASSERT_EQ(bufferevent_enable(dst, EV_READ), 0);
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    std::string chunk(kChunk, '\0');
    for (uint32_t i = 0; i < kChunks; ++i) {
      for (size_t off = 0; off < kChunk; off += sizeof i) memcpy(&chunk[off], &i, sizeof i);
      if (bufferevent_write(src, chunk.data(), chunk.size()) != 0) ADD_FAILURE() << "write " << i;
      if (i % 64 == 0) sleep_ms(1);
    }
    writer_done = true;
  });
  const bool all = run_until(base, [&] { return writer_done.load() && got.size() >= kTotal; }, 20000);
  writer.join();
  ASSERT_TRUE(all) << "received " << got.size() << " of " << kTotal;
  ASSERT_EQ(got.size(), kTotal);
  bool in_order = true;
  for (uint32_t i = 0; i < kChunks && in_order; ++i)
    for (size_t off = 0; off < kChunk; off += sizeof i) {
      uint32_t w;
      memcpy(&w, &got[i * kChunk + off], sizeof w);
      if (w != i) {
        in_order = false;
        ADD_FAILURE() << "chunk " << i << " offset " << off << " holds " << w;
        break;
      }
    }
  EXPECT_TRUE(in_order);
  EXPECT_TRUE(rd.events.empty());
}

// A write from another thread wakes a loop that is blocked with nothing else to do.
TEST_P(BevThread, CrossThreadWriteWakesTheLoop) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), BEV_OPT_THREADSAFE));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.on_write = [&](bufferevent*) { event_base_loopbreak(base); };
  rec.attach(bev);
  // Keep the loop alive (and blocked) with a far-away timer.
  event* keep = event_new(base, -1, 0, tick_cb, nullptr);
  timeval far = tv_ms(10000);
  event_add(keep, &far);
  const double start = now_ms();  // before the sleep starts
  std::thread t([&] {
    sleep_ms(50);
    bufferevent_write(bev, "wake", 4);
  });
  event_base_dispatch(base);
  const double took = now_ms() - start;
  t.join();
  event_free(keep);
  EXPECT_EQ(rec.writes, 1);
  EXPECT_GE(took, 50.0);  // sleep_for measures on CLOCK_MONOTONIC, as now_ms() does
  EXPECT_LT(took, 50 + kLate);
  EXPECT_EQ(drain_fd(sp.b()), "wake");
}

// The helper thread takes the bufferevent lock while the loop thread is inside a
// callback; returns whether it got the lock before the callback returned.
bool lock_taken_during_callback(event_base* base, int options, int wait_ms) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), options));
  if (!bev.get()) {
    ADD_FAILURE() << "bufferevent_socket_new failed";
    return false;
  }
  std::atomic<bool> go{false}, got{false};
  bool during = false;
  bool called = false;
  std::thread helper([&] {
    while (!go.load()) sleep_ms(1);
    bufferevent_lock(bev);
    got = true;
    bufferevent_unlock(bev);
  });
  Rec rec;
  rec.on_read = [&](bufferevent*) {
    called = true;
    go = true;
    // Give the helper up to wait_ms to get in.
    wait_for([&] { return got.load(); }, wait_ms);
    during = got.load();
  };
  rec.attach(bev);
  bufferevent_enable(bev, EV_READ);
  put(sp.b(), "x");
  run_until(base, [&] { return called; });
  if (!called) go = true;
  EXPECT_TRUE(wait_for([&] { return got.load(); }, 3000));
  helper.join();
  EXPECT_TRUE(called);
  return during;
}

TEST_P(BevThread, CallbacksRunWithTheLockHeld) {
  EXPECT_FALSE(lock_taken_during_callback(base, BEV_OPT_THREADSAFE, 150));
  EXPECT_FALSE(lock_taken_during_callback(base, BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS, 150));
}

TEST_P(BevThread, UnlockCallbacksRunWithoutTheLock) {
  EXPECT_TRUE(lock_taken_during_callback(
      base, BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS, 3000));
}

}  // namespace
