// evthread_enable_lock_debugging: misuse of a lock is a fatal error with a message.
// The checks sit between the core and the lock callbacks, so the test drives that
// layer directly through the core's internal table of callbacks.
#include <event2/event.h>
#include <event2/thread.h>
#include <gtest/gtest.h>

#include "thread/thread.hpp"

namespace {

class LockDebug : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  static void enable() {
    ASSERT_EQ(evthread_use_pthreads(), 0);
    evthread_enable_lock_debugging();
  }
};

TEST_F(LockDebug, CorrectUseIsQuiet) {
  enable();
  void* l = vigil::lock_new();
  ASSERT_NE(l, nullptr);
  vigil::lock_acquire(l);
  vigil::lock_acquire(l);  // the base lock is recursive
  vigil::lock_release(l);
  vigil::lock_release(l);
  vigil::lock_free(l);
  // A base made under lock debugging runs normally.
  event_base* b = event_base_new();
  ASSERT_NE(b, nullptr);
  event* t = evtimer_new(b, [](evutil_socket_t, short, void*) {}, nullptr);
  timeval tv{0, 1000};
  event_add(t, &tv);
  EXPECT_EQ(event_base_dispatch(b), 1);
  event_free(t);
  event_base_free(b);
}

TEST_F(LockDebug, UnlockingAnUnheldLockIsFatal) {
  EXPECT_DEATH(
      {
        enable();
        void* l = vigil::lock_new();
        vigil::lock_release(l);
      },
      "unlocking a lock that is not held");
}

TEST_F(LockDebug, UnlockingAnotherThreadsLockIsFatal) {
  EXPECT_DEATH(
      {
        enable();
        void* l = vigil::lock_new();
        vigil::lock_acquire(l);
        std::thread([l] { vigil::g_threads.lock.unlock(0, l); }).join();
      },
      "held by another thread");
}

TEST_F(LockDebug, TakingANonRecursiveLockTwiceIsFatal) {
  EXPECT_DEATH(
      {
        enable();
        void* l = vigil::g_threads.lock.alloc(0);
        vigil::g_threads.lock.lock(0, l);
        vigil::g_threads.lock.lock(0, l);
      },
      "non-recursive lock was taken twice");
}

TEST_F(LockDebug, FreeingAHeldLockIsFatal) {
  EXPECT_DEATH(
      {
        enable();
        void* l = vigil::lock_new();
        vigil::lock_acquire(l);
        vigil::lock_free(l);
      },
      "still held");
}

}  // namespace
