// event_enable_debug_mode(): misuse of events aborts with a message that names
// the problem. Debug mode must be switched on before anything else, hence this
// binary's own main().
//
// "Freed" events are kept readable by a quarantining allocator (installed
// with event_set_mem_functions), so a use-after-free probe reads valid memory
// and the test checks the library's diagnosis, not the sanitizer's.
#include "core_support.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace vt;

namespace {

bool g_quarantine = false;
std::vector<void*>* g_quarantined = nullptr;

void* q_malloc(size_t sz) { return std::malloc(sz); }
void* q_realloc(void* p, size_t sz) { return std::realloc(p, sz); }
void q_free(void* p) {
  if (g_quarantine && p) {
    g_quarantined->push_back(p);
    return;
  }
  std::free(p);
}

// libevent says "non-initialized event" / "non-setup event"; any wording that
// names the problem is accepted.
const char* kNotSetUp = "(non-|un|not )initiali[sz]ed|non-setup|never assigned|not assigned|already freed";
const char* kAlreadyAdded = "already added";

class DebugMode : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "fast");
    base = event_base_new();
    ASSERT_NE(base, nullptr);
  }
  void TearDown() override {
    if (base) event_base_free(base);
    g_quarantine = false;
    for (void* p : *g_quarantined) std::free(p);
    g_quarantined->clear();
  }
  event_base* base = nullptr;
};

}  // namespace

TEST_F(DebugMode, NormalUseStillWorks) {
  SocketPair sp;
  Hits h;
  struct event ev;
  ASSERT_EQ(event_assign(&ev, base, sp.a(), EV_READ, hit_cb, &h), 0);
  // Re-assigning an event that is not pending is fine.
  ASSERT_EQ(event_assign(&ev, base, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h), 0);
  ASSERT_EQ(event_add(&ev, nullptr), 0);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_EQ(h.n, 1);
  ASSERT_EQ(event_del(&ev), 0);
  event_debug_unassign(&ev);

  event* e = event_new(base, -1, 0, hit_cb, &h);
  timeval tv = tv_ms(5);
  ASSERT_EQ(event_add(e, &tv), 0);
  EXPECT_EQ(event_base_dispatch(base), 1);
  EXPECT_EQ(h.n, 2);
  event_free(e);
}

TEST_F(DebugMode, AddingAnUnassignedEventAborts) {
  static struct event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.ev_base = base;  // looks plausible, but was never assigned
  timeval tv = tv_ms(10);
  EXPECT_DEATH(event_add(&ev, &tv), kNotSetUp);
}

TEST_F(DebugMode, ActivatingAnUnassignedEventAborts) {
  static struct event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.ev_base = base;
  EXPECT_DEATH(event_active(&ev, EV_READ, 0), kNotSetUp);
}

TEST_F(DebugMode, PendingOnAnUnassignedEventAborts) {
  static struct event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.ev_base = base;
  EXPECT_DEATH(event_pending(&ev, EV_READ, nullptr), kNotSetUp);
}

TEST_F(DebugMode, ReassigningAnAddedEventAborts) {
  static struct event ev;
  ASSERT_EQ(event_assign(&ev, base, -1, 0, noop_cb, nullptr), 0);
  timeval tv = tv_ms(10000);
  ASSERT_EQ(event_add(&ev, &tv), 0);
  EXPECT_DEATH(event_assign(&ev, base, -1, 0, noop_cb, nullptr), kAlreadyAdded);
  event_del(&ev);
  event_debug_unassign(&ev);
}

TEST_F(DebugMode, ReassigningAnAddedIoEventAborts) {
  SocketPair sp;
  static struct event ev;
  ASSERT_EQ(event_assign(&ev, base, sp.a(), EV_READ, noop_cb, nullptr), 0);
  ASSERT_EQ(event_add(&ev, nullptr), 0);
  EXPECT_DEATH(event_assign(&ev, base, sp.a(), EV_WRITE, noop_cb, nullptr), kAlreadyAdded);
  event_del(&ev);
  event_debug_unassign(&ev);
}

TEST_F(DebugMode, UsingAnUnassignedEventAborts) {
  static struct event ev;
  ASSERT_EQ(event_assign(&ev, base, -1, 0, noop_cb, nullptr), 0);
  event_debug_unassign(&ev);
  timeval tv = tv_ms(10);
  EXPECT_DEATH(event_add(&ev, &tv), kNotSetUp);
}

TEST_F(DebugMode, UsingAFreedEventAborts) {
  g_quarantine = true;
  event* e = event_new(base, -1, 0, noop_cb, nullptr);
  ASSERT_NE(e, nullptr);
  event_free(e);  // memory stays readable in quarantine
  timeval tv = tv_ms(10);
  EXPECT_DEATH(event_add(e, &tv), kNotSetUp);
}

TEST_F(DebugMode, FreeingAnEventTwiceAborts) {
  g_quarantine = true;
  event* e = event_new(base, -1, 0, noop_cb, nullptr);
  ASSERT_NE(e, nullptr);
  event_free(e);
  EXPECT_DEATH(event_free(e), kNotSetUp);
}

TEST_F(DebugMode, FatalCallbackIsCalled) {
  EXPECT_EXIT(
      {
        event_set_fatal_callback([](int) {
          std::fputs("custom-fatal-callback\n", stderr);
          std::fflush(stderr);
          _exit(3);
        });
        static struct event ev;
        std::memset(&ev, 0, sizeof ev);
        ev.ev_base = base;
        event_add(&ev, nullptr);
      },
      ::testing::ExitedWithCode(3), "custom-fatal-callback");
}

TEST_F(DebugMode, FatalMessageGoesThroughTheLogCallbackFirst) {
  EXPECT_EXIT(
      {
        event_set_log_callback([](int severity, const char* msg) {
          std::fprintf(stderr, "logged severity=%d: %s\n", severity, msg);
        });
        event_set_fatal_callback([](int) {
          std::fputs("then-fatal\n", stderr);
          _exit(4);
        });
        static struct event ev;
        std::memset(&ev, 0, sizeof ev);
        ev.ev_base = base;
        event_add(&ev, nullptr);
      },
      ::testing::ExitedWithCode(4), "logged severity=3: [^\n]*event[^\n]*\n[^\n]*then-fatal");
}

TEST_F(DebugMode, FatalCallbackGetsTheAbortCode) {
  // libevent passes its internal abort code, (int)0xdeaddead, to the callback.
  EXPECT_EXIT(
      {
        event_set_fatal_callback([](int err) {
          std::fprintf(stderr, "fatal err=%d\n", err);
          std::fflush(stderr);
          _exit(5);
        });
        static struct event ev;
        std::memset(&ev, 0, sizeof ev);
        ev.ev_base = base;
        event_add(&ev, nullptr);
      },
      ::testing::ExitedWithCode(5), "fatal err=-559030611");
}

int main(int argc, char** argv) {
  g_quarantined = new std::vector<void*>;
  event_set_mem_functions(q_malloc, q_realloc, q_free);
  event_enable_debug_mode();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
