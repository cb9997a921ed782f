// The full library (libevent-2.1.so: core + extra) exports the core API too.
#include "core_support.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

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

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(FullLibrary, ComesFromTheVigilBuildTree) {
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&event_base_new), &info), 0);
  char real_lib[PATH_MAX], real_dir[PATH_MAX];
  ASSERT_NE(realpath(info.dli_fname, real_lib), nullptr);
  ASSERT_NE(realpath(VIGIL_TEST_LIBDIR, real_dir), nullptr);
  std::string lib = real_lib;
  EXPECT_EQ(lib.rfind(std::string(real_dir) + "/", 0), 0u) << lib;
  EXPECT_NE(lib.find("libevent-2.1.so"), std::string::npos) << lib;
}
#endif
