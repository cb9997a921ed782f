// EVENT_BASE_FLAG_NOLOCK: with lock callbacks installed, such a base never takes a lock,
// while an ordinary base does. Counting callbacks installed by hand show which.
#include <event2/event.h>
#include <event2/thread.h>
#include <gtest/gtest.h>

#include <mutex>

namespace {

int g_locks = 0;

void* count_alloc(unsigned) { return new std::recursive_mutex; }
void count_free(void* l, unsigned) { delete static_cast<std::recursive_mutex*>(l); }
int count_lock(unsigned, void* l) {
  static_cast<std::recursive_mutex*>(l)->lock();
  ++g_locks;
  return 0;
}
int count_unlock(unsigned, void* l) {
  static_cast<std::recursive_mutex*>(l)->unlock();
  return 0;
}

int run_some_events(event_base* base) {
  int fired = 0;
  event* t = evtimer_new(base, [](evutil_socket_t, short, void* a) { ++*static_cast<int*>(a); }, &fired);
  timeval tv{0, 1000};
  event_add(t, &tv);
  event_base_dispatch(base);
  event_active(t, EV_TIMEOUT, 1);
  event_base_loop(base, EVLOOP_NONBLOCK);
  event_free(t);
  return fired;
}

TEST(NoLock, NolockBaseTakesNoLockAndOthersDo) {
  static const evthread_lock_callbacks cbs = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE, count_alloc,
                                              count_free, count_lock, count_unlock};
  ASSERT_EQ(evthread_set_lock_callbacks(&cbs), 0);

  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  event_base* nolock = event_base_new_with_config(cfg);
  event_config_free(cfg);
  ASSERT_NE(nolock, nullptr);
  g_locks = 0;
  EXPECT_EQ(run_some_events(nolock), 2);
  EXPECT_EQ(g_locks, 0);
  event_base_free(nolock);

  event_base* locked = event_base_new();
  ASSERT_NE(locked, nullptr);
  g_locks = 0;
  EXPECT_EQ(run_some_events(locked), 2);
  EXPECT_GT(g_locks, 0);
  event_base_free(locked);
}

TEST(NoLock, IncompleteOrConflictingCallbacksAreRefused) {
  evthread_lock_callbacks partial = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE, count_alloc, nullptr,
                                     count_lock, count_unlock};
  EXPECT_EQ(evthread_set_lock_callbacks(&partial), -1);
  static const evthread_lock_callbacks cbs = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE, count_alloc,
                                              count_free, count_lock, count_unlock};
  EXPECT_EQ(evthread_set_lock_callbacks(&cbs), 0);
  EXPECT_EQ(evthread_set_lock_callbacks(&cbs), 0);  // the same ones again: fine
  evthread_lock_callbacks other = cbs;
  other.unlock = [](unsigned, void* l) {
    static_cast<std::recursive_mutex*>(l)->unlock();
    return 0;
  };
  EXPECT_EQ(evthread_set_lock_callbacks(&other), -1);  // would strand locks made by the first
}

}  // namespace
