// event_set_mem_functions: a counting allocator installed before any other
// libevent call (hence this binary's own main()).
#include "core_support.h"

#include <event2/buffer.h>

#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

using namespace vt;

namespace {

struct AllocStats {
  std::unordered_map<void*, size_t>* live = nullptr;  // pointer -> size
  size_t mallocs = 0, reallocs = 0, frees = 0;
  size_t foreign_frees = 0;  // frees of pointers we never handed out
  size_t biggest = 0;
  bool fail_reallocs = false;  // realloc returns null, as when memory runs out
};
AllocStats g;

void* counting_malloc(size_t sz) {
  void* p = std::malloc(sz);
  if (p) {
    (*g.live)[p] = sz;
    g.mallocs++;
    if (sz > g.biggest) g.biggest = sz;
  }
  return p;
}

void* counting_realloc(void* old, size_t sz) {
  if (old && !g.live->count(old)) g.foreign_frees++;
  if (g.fail_reallocs) return nullptr;
  void* p = std::realloc(old, sz);
  g.reallocs++;
  if (p) {
    if (old) g.live->erase(old);
    (*g.live)[p] = sz;
  }
  return p;
}

void counting_free(void* p) {
  if (p) {
    if (!g.live->erase(p)) g.foreign_frees++;
    g.frees++;
  }
  std::free(p);
}

size_t live_bytes() {
  size_t n = 0;
  for (const auto& [p, sz] : *g.live) n += sz;
  return n;
}

// An emptied buffer still takes and returns data; freeing it brings the live bytes
// back to `before`.
void expect_reusable_then_free(evbuffer* buf, size_t before) {
  ASSERT_EQ(evbuffer_add(buf, "again", 5), 0);
  char got[8] = {};
  EXPECT_EQ(evbuffer_remove(buf, got, sizeof got), 5);
  EXPECT_EQ(std::memcmp(got, "again", 5), 0);
  evbuffer_free(buf);
  EXPECT_EQ(live_bytes(), before);
}

class MemFn : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(g.foreign_frees, 0u) << "library freed memory it did not allocate with our hooks"; }
};

}  // namespace

TEST_F(MemFn, BaseAndEventsUseTheAllocator) {
  size_t before = g.mallocs + g.reallocs;
  event_base* b = event_base_new();
  ASSERT_NE(b, nullptr);
  EXPECT_GT(g.mallocs + g.reallocs, before) << "event_base_new never called the custom malloc";
  EXPECT_TRUE(g.live->count(b)) << "the base itself should come from the custom allocator";

  event* e = event_new(b, -1, 0, noop_cb, nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(g.live->count(e)) << "event_new's memory must come from the custom malloc";
  event_free(e);
  EXPECT_FALSE(g.live->count(e)) << "event_free must release through the custom free";
  event_base_free(b);
  EXPECT_FALSE(g.live->count(b));
}

TEST_F(MemFn, NothingLeaksPerBase) {
  // Whatever the library keeps for itself is allocated once; creating and
  // freeing more bases, events and configs must return to the same count.
  auto cycle = [] {
    event_config* cfg = event_config_new();
    event_config_avoid_method(cfg, "select");
    event_base* b = event_base_new_with_config(cfg);
    event_config_free(cfg);
    SocketPair sp;
    Hits h;
    event* r = event_new(b, sp.a(), EV_READ | EV_PERSIST, hit_cb, &h);
    event* s = evsignal_new(b, SIGUSR2, hit_cb, &h);
    event_add(r, nullptr);
    event_add(s, nullptr);
    timeval tv = tv_ms(1);
    event_base_once(b, -1, EV_TIMEOUT, hit_cb, &h, &tv);
    timeval far = tv_ms(60000);
    event_base_once(b, -1, EV_TIMEOUT, hit_cb, &h, &far);  // never fires
    const timeval* ct = event_base_init_common_timeout(b, &far);
    event* c = evtimer_new(b, hit_cb, &h);
    event_add(c, ct);
    put(sp.b(), "x");
    event_base_loop(b, EVLOOP_ONCE);
    event_free(r);
    event_free(s);
    event_free(c);
    event_base_free(b);
  };
  cycle();
  size_t live_after_first = g.live->size();
  for (int i = 0; i < 3; ++i) cycle();
  EXPECT_EQ(g.live->size(), live_after_first);
}

TEST_F(MemFn, ConfigUsesTheAllocator) {
  size_t before_live = g.live->size();
  size_t before = g.mallocs;
  event_config* cfg = event_config_new();
  ASSERT_NE(cfg, nullptr);
  EXPECT_TRUE(g.live->count(cfg));
  size_t after_new = g.mallocs;
  EXPECT_GT(after_new, before);
  event_config_avoid_method(cfg, "poll");
  EXPECT_GT(g.mallocs, after_new) << "avoid_method copies the name with the custom allocator";
  event_config_free(cfg);
  EXPECT_EQ(g.live->size(), before_live);
}

TEST_F(MemFn, FreeFinalizeAndOnceReleaseThroughTheAllocator) {
  event_base* b = event_base_new();
  size_t live = g.live->size();
  event* e = event_new(b, -1, 0, noop_cb, nullptr);
  event_free_finalize(0, e, [](event*, void*) {});
  Hits h;
  event_base_once(b, -1, EV_TIMEOUT, hit_cb, &h, nullptr);
  event_base_loop(b, EVLOOP_NONBLOCK);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(g.live->size(), live);
  event_base_free(b);
}

// However much an evbuffer held, once emptied it keeps at most a small chunk as room
// for its next data.
TEST_F(MemFn, EmptiedEvbufferKeepsLittle) {
  const size_t before = live_bytes();
  const size_t reallocs = g.reallocs;
  evbuffer* buf = evbuffer_new();
  ASSERT_NE(buf, nullptr);
  std::vector<char> piece(65536, 'x'), out(65536);
  for (int i = 0; i < 16; ++i) ASSERT_EQ(evbuffer_add(buf, piece.data(), piece.size()), 0);
  EXPECT_GE(live_bytes() - before, 16u * 65536u);
  for (int i = 0; i < 16; ++i) ASSERT_EQ(evbuffer_remove(buf, out.data(), out.size()), 65536);
  EXPECT_LE(live_bytes() - before, 8192u);
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  // vigil shrinks the chunk filled last instead of freeing it (see chunk_shrink).
  EXPECT_GT(g.reallocs, reallocs);
#else
  (void)reallocs;
#endif
  expect_reusable_then_free(buf, before);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
// When the chunk cannot be cut down, the emptied buffer frees it and keeps nothing.
TEST_F(MemFn, EmptiedEvbufferFreesItsChunkWhenReallocFails) {
  const size_t before = live_bytes();
  evbuffer* buf = evbuffer_new();
  ASSERT_NE(buf, nullptr);
  const size_t empty = live_bytes() - before;
  std::vector<char> piece(65536, 'y');
  ASSERT_EQ(evbuffer_add(buf, piece.data(), piece.size()), 0);
  g.fail_reallocs = true;
  EXPECT_EQ(evbuffer_drain(buf, piece.size()), 0);
  g.fail_reallocs = false;
  EXPECT_EQ(evbuffer_get_length(buf), 0u);
  EXPECT_EQ(live_bytes() - before, empty);
  expect_reusable_then_free(buf, before);
}
#endif

int main(int argc, char** argv) {
  g.live = new std::unordered_map<void*, size_t>;  // plain operator new: not via our hooks
  event_set_mem_functions(counting_malloc, counting_realloc, counting_free);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
