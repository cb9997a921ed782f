// Listeners and the process-wide settings that must come first: memory from
// event_set_mem_functions' allocator, and debug mode. Its own main() installs both
// before any base or event exists.
#include "listener_support.h"

#include <cstdlib>
#include <set>

using namespace lt;

namespace {

std::set<void*>* g_live = nullptr;  // blocks from the counting allocator not yet freed
size_t g_mallocs = 0;

void* counting_malloc(size_t n) {
  void* p = malloc(n);
  ++g_mallocs;
  if (p) g_live->insert(p);
  return p;
}
void* counting_realloc(void* old, size_t n) {
  if (old && !g_live->erase(old)) abort();  // not ours
  void* p = realloc(old, n);
  ++g_mallocs;
  if (p) g_live->insert(p);
  return p;
}
void counting_free(void* p) {
  if (!p) return;
  if (!g_live->erase(p)) abort();  // a block this allocator never handed out
  free(p);
}

// ListenerTest's base, made after main() installed the allocator and debug mode.
class ListenerMemDebug : public ListenerTest {};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, ListenerMemDebug, ::testing::ValuesIn(backends()), backend_name);

TEST_P(ListenerMemDebug, ListenerMemoryComesFromTheAllocator) {
  // A first round lets the base's own tables (fd map, debug map) reach their size.
  for (int round = 0; round < 2; ++round) {
    evconnlistener* lev = bind_loopback(base, nullptr, nullptr, LEV_OPT_CLOSE_ON_FREE);
    ASSERT_NE(lev, nullptr);
    Accepted acc;
    evconnlistener_set_cb(lev, Accepted::cb, &acc);
    Fd c = connect_to(port_of(lev));
    ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
    evconnlistener_free(lev);
  }
  const size_t live_before = g_live->size();
  const size_t mallocs_before = g_mallocs;
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  EXPECT_GT(g_mallocs, mallocs_before);
  EXPECT_GT(g_live->size(), live_before);
  EXPECT_TRUE(g_live->count(lev));  // the listener itself
  Fd c = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  evconnlistener_free(lev);
  EXPECT_EQ(g_live->size(), live_before);
}

TEST_P(ListenerMemDebug, DebugModeAcceptsRepeatedCreateAndFree) {
  // Debug mode tracks every event; a listener's must be forgotten when it goes, or a
  // later one at the same address would be taken for it.
  for (int i = 0; i < 20; ++i) {
    Accepted acc;
    evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE | (i % 2 ? LEV_OPT_DISABLED : 0));
    ASSERT_NE(lev, nullptr);
    if (i % 2) {
      EXPECT_EQ(evconnlistener_enable(lev), 0);
    }
    Fd c = connect_to(port_of(lev));
    ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
    EXPECT_EQ(evconnlistener_disable(lev), 0);
    evconnlistener_free(lev);
  }
}

int main(int argc, char** argv) {
  g_live = new std::set<void*>;
  event_set_mem_functions(counting_malloc, counting_realloc, counting_free);
  event_enable_debug_mode();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
