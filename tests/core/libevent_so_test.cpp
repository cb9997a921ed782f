// The full library (libevent-2.1.so: core + extra) exports the core API and the extra one.
#include "core_support.h"

#include <event2/buffer.h>
#include <event2/tag.h>

#include "../support/loaded_from.h"

#include <string>

using namespace vt;

TEST(FullLibrary, CoreApiWorks) {
  event_base* b = event_base_new();
  ASSERT_NE(b, nullptr);
  SocketPair sp;
  Hits rd, tm;
  event* r = event_new(b, sp.a(), EV_READ, hit_cb, &rd);
  event* t = evtimer_new(b, hit_cb, &tm);
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_add(r, nullptr), 0);
  ASSERT_EQ(event_add(t, &tv), 0);
  ASSERT_EQ(put(sp.b(), "ok"), 2);
  EXPECT_EQ(event_base_dispatch(b), 1);
  EXPECT_EQ(rd.n, 1);
  EXPECT_EQ(tm.n, 1);
  EXPECT_EQ(drain_fd(sp.a()), "ok");
  event_free(r);
  event_free(t);
  event_base_free(b);
  EXPECT_EQ(event_get_version_number(), 0x02010c00u);
}

TEST(FullLibrary, ExtraApiWorks) {
  evbuffer* b = evbuffer_new();
  evtag_marshal_int(b, 300, 0xabcdef);
  ev_uint32_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 300, &v), 4);
  EXPECT_EQ(v, 0xabcdefu);
  EXPECT_EQ(evbuffer_get_length(b), 0u);
  evbuffer_free(b);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(FullLibrary, ComesFromTheVigilBuildTree) {
  const std::string lib = vigil_test::library_of(reinterpret_cast<void*>(&event_base_new));
  EXPECT_TRUE(vigil_test::is_under(lib, VIGIL_TEST_LIBDIR)) << lib;
  EXPECT_NE(lib.find("libevent-2.1.so"), std::string::npos) << lib;
}
#endif
