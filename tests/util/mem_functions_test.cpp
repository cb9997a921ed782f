// event_set_mem_functions and evutil: memory the library hands to the program comes
// from the program's allocator and goes back to it. Its own main() installs the
// counting allocator before anything else runs.
#include "util_support.h"

#include <netdb.h>

#include <cstdlib>
#include <mutex>
#include <set>

namespace {

std::mutex g_lock;
std::set<void*>* g_live = nullptr;  // blocks from the counting allocator not yet freed
size_t g_mallocs = 0;
size_t g_frees = 0;

void* counting_malloc(size_t n) {
  void* p = malloc(n);
  std::lock_guard<std::mutex> g(g_lock);
  ++g_mallocs;
  if (p) g_live->insert(p);
  return p;
}
void* counting_realloc(void* old, size_t n) {
  std::lock_guard<std::mutex> g(g_lock);
  if (old && !g_live->erase(old)) abort();  // not ours
  void* p = realloc(old, n);
  ++g_mallocs;
  if (p) g_live->insert(p);
  return p;
}
void counting_free(void* p) {
  if (!p) return;
  std::lock_guard<std::mutex> g(g_lock);
  if (!g_live->erase(p)) abort();  // freeing a block the allocator never handed out
  ++g_frees;
  free(p);
}

size_t live() {
  std::lock_guard<std::mutex> g(g_lock);
  return g_live->size();
}
size_t mallocs() {
  std::lock_guard<std::mutex> g(g_lock);
  return g_mallocs;
}

}  // namespace

TEST(UtilMemFunctions, MonotonicTimerUsesTheAllocator) {
  const size_t before = mallocs();
  const size_t live_before = live();
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  ASSERT_NE(t, nullptr);
  EXPECT_GT(mallocs(), before);
  EXPECT_EQ(live(), live_before + 1);
  evutil_monotonic_timer_free(t);
  EXPECT_EQ(live(), live_before);
}

TEST(UtilMemFunctions, StringAndAddressHelpersLeaveNothingBehind) {
  const size_t live_before = live();
  unsigned char a[16];
  EXPECT_EQ(evutil_inet_pton(AF_INET6, "fe80::1", a), 1);
  sockaddr_storage ss;
  int len = sizeof ss;
  EXPECT_EQ(evutil_parse_sockaddr_port("[fe80::1]:80", reinterpret_cast<sockaddr*>(&ss), &len), 0);
  char buf[64];
  EXPECT_NE(evutil_inet_ntop(AF_INET6, a, buf, sizeof buf), nullptr);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, nullptr), 29);
  EXPECT_EQ(evutil_snprintf(buf, sizeof buf, "%s", "x"), 1);
  EXPECT_EQ(live(), live_before);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(UtilMemFunctions, ZonesNeedNoAllocation) {
  // libevent 2.1.12 copies "addr%zone" with the program's malloc and releases the copy
  // with the C library's free() -- a mismatch that breaks allocators not built on
  // malloc. vigil parses the zone in place and allocates nothing.
  const size_t before = mallocs();
  const size_t live_before = live();
  unsigned char a[16];
  unsigned idx = 0;
  EXPECT_EQ(evutil_inet_pton_scope(AF_INET6, "fe80::1%3", a, &idx), 1);
  EXPECT_EQ(idx, 3u);
  sockaddr_storage ss;
  int len = sizeof ss;
  EXPECT_EQ(evutil_parse_sockaddr_port("[fe80::1%4]:80", reinterpret_cast<sockaddr*>(&ss), &len), 0);
  EXPECT_EQ(mallocs(), before);
  EXPECT_EQ(live(), live_before);
}

TEST(UtilMemFunctions, GetaddrinfoResultsComeFromTheAllocator) {
  // libevent hands out the C library's own lists here (so its allocator is not used);
  // vigil allocates every entry, address and canonical name through it, for numeric
  // hosts answered in-process and for names the system resolver answered alike.
  addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = EVUTIL_AI_CANONNAME;
  for (const char* node : {"127.0.0.1", "::1", "localhost"}) {
    const size_t live_before = live();
    addrinfo* res = nullptr;
    ASSERT_EQ(evutil_getaddrinfo(node, "80", &hints, &res), 0) << node;
    size_t entries = 0;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      ++entries;
      std::lock_guard<std::mutex> g(g_lock);
      EXPECT_TRUE(g_live->count(ai)) << node;
      if (ai->ai_canonname) EXPECT_TRUE(g_live->count(ai->ai_canonname)) << node;
    }
    EXPECT_GE(entries, 1u);
    EXPECT_GT(live(), live_before);
    evutil_freeaddrinfo(res);
    EXPECT_EQ(live(), live_before) << node;
  }
}
#endif

int main(int argc, char** argv) {
  g_live = new std::set<void*>;
  event_set_mem_functions(counting_malloc, counting_realloc, counting_free);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
