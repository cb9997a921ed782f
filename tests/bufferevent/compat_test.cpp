// The 1.x-style bufferevent API (event2/bufferevent_compat.h, the EVBUFFER_* macros of
// event2/buffer_compat.h) and bufferevents on the event_init() "current" base, pinned
// against libevent 2.1.12 on every backend.
#include "bev_support.h"

#include <event2/event_compat.h>
// libevent 2.1.12's buffer_compat.h and bufferevent_compat.h have no extern "C" block
// of their own, so C++ users wrap them; that must keep working.
extern "C" {
#include <event2/buffer_compat.h>
#include <event2/bufferevent_compat.h>
}

#if !defined(VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT) && !defined(VIGIL_EVENT2_BUFFEREVENT_COMPAT_H_)
#error "event2/bufferevent_compat.h did not come from vigil's include/"
#endif

#include <deque>
#include <type_traits>

using namespace bt;

namespace {

class BevCompat : public BevTest {};

INSTANTIATE_TEST_SUITE_P(Backends, BevCompat, ::testing::ValuesIn(backends()), backend_name);

// event_init() on the backend under test (chosen through the EVENT_* variables, which
// event_init honours), freed again at the end of the test.
struct CurrentBase {
  std::deque<EnvVar> env;
  event_base* b = nullptr;
  explicit CurrentBase(const BackendSpec& s) {
    for (const char* var : {"EVENT_NOEPOLL", "EVENT_NOPOLL", "EVENT_NOSELECT"}) {
      bool off = false;
      for (const char* o : s.env_off) off = off || (o && strcmp(o, var) == 0);
      env.emplace_back(var, off ? "1" : nullptr);
    }
    env.emplace_back("EVENT_EPOLL_USE_CHANGELIST", s.env_changelist ? "1" : nullptr);
    env.emplace_back("EVENT_PRECISE_TIMER", nullptr);
    env.emplace_back("EVENT_SHOW_METHOD", nullptr);
    b = event_init();
  }
  ~CurrentBase() {
    if (b) event_base_free(b);
  }
  CurrentBase(const CurrentBase&) = delete;
  CurrentBase& operator=(const CurrentBase&) = delete;
};

TEST_P(BevCompat, ConstantsAndMacros) {
  static_assert(EVBUFFER_READ == BEV_EVENT_READING);
  static_assert(EVBUFFER_WRITE == BEV_EVENT_WRITING);
  static_assert(EVBUFFER_EOF == BEV_EVENT_EOF);
  static_assert(EVBUFFER_ERROR == BEV_EVENT_ERROR);
  static_assert(EVBUFFER_TIMEOUT == BEV_EVENT_TIMEOUT);
  static_assert(BEV_EVENT_READING == 0x01);
  static_assert(BEV_EVENT_WRITING == 0x02);
  static_assert(BEV_EVENT_EOF == 0x10);
  static_assert(BEV_EVENT_ERROR == 0x20);
  static_assert(BEV_EVENT_TIMEOUT == 0x40);
  static_assert(BEV_EVENT_CONNECTED == 0x80);
  static_assert(BEV_OPT_CLOSE_ON_FREE == 1);
  static_assert(BEV_OPT_THREADSAFE == 2);
  static_assert(BEV_OPT_DEFER_CALLBACKS == 4);
  static_assert(BEV_OPT_UNLOCK_CALLBACKS == 8);
  static_assert(BEV_TRIG_IGNORE_WATERMARKS == 0x10000);
  static_assert(static_cast<int>(BEV_TRIG_DEFER_CALLBACKS) == static_cast<int>(BEV_OPT_DEFER_CALLBACKS));
  static_assert(BEV_NORMAL == 0 && BEV_FLUSH == 1 && BEV_FINISHED == 2);
  static_assert(std::is_same_v<evbuffercb, bufferevent_data_cb>);
  static_assert(std::is_same_v<everrorcb, bufferevent_event_cb>);

  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  EXPECT_EQ(EVBUFFER_INPUT(bev.get()), bufferevent_get_input(bev));
  EXPECT_EQ(EVBUFFER_OUTPUT(bev.get()), bufferevent_get_output(bev));
  EXPECT_EQ(EVBUFFER_LENGTH(EVBUFFER_OUTPUT(bev.get())), 0u);
  ASSERT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
  ASSERT_EQ(evbuffer_add(EVBUFFER_OUTPUT(bev.get()), "abc", 3), 0);
  ASSERT_EQ(bufferevent_write(bev, "def", 3), 0);
  EXPECT_EQ(EVBUFFER_LENGTH(EVBUFFER_OUTPUT(bev.get())), 6u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(EVBUFFER_DATA(EVBUFFER_OUTPUT(bev.get()))), 6), "abcdef");
}

TEST_P(BevCompat, BuffereventNewRunsOnTheCurrentBase) {
  CurrentBase cur(GetParam());
  ASSERT_NE(cur.b, nullptr);
  ASSERT_STREQ(event_base_get_method(cur.b), GetParam().method);
  SocketPair sp;
  Rec rec;
  std::string seen;
  rec.on_read = [&](bufferevent* b) {
    evbuffer* in = EVBUFFER_INPUT(b);
    seen.append(reinterpret_cast<char*>(EVBUFFER_DATA(in)), EVBUFFER_LENGTH(in));
    evbuffer_drain(in, EVBUFFER_LENGTH(in));
    bufferevent_write(b, "ack", 3);
  };
  evbuffercb rcb = Rec::read_cb, wcb = Rec::write_cb;
  everrorcb ecb = Rec::event_cb;
  bufferevent* bev = bufferevent_new(sp.a(), rcb, wcb, ecb, &rec);
  ASSERT_NE(bev, nullptr);
  // The bufferevent itself records no base, but its events sit on the current one.
  EXPECT_EQ(bufferevent_get_base(bev), nullptr);
  EXPECT_EQ(bev->ev_base, nullptr);
  EXPECT_EQ(event_get_base(&bev->ev_read), cur.b);
  EXPECT_EQ(event_get_base(&bev->ev_write), cur.b);
  EXPECT_EQ(bufferevent_getfd(bev), sp.a());
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  bufferevent_data_cb r = nullptr;
  void* arg = nullptr;
  bufferevent_getcb(bev, &r, nullptr, nullptr, &arg);
  EXPECT_EQ(r, &Rec::read_cb);
  EXPECT_EQ(arg, &rec);

  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "1.x"), 3);
  timeval tv = tv_ms(50);
  ASSERT_EQ(event_loopexit(&tv), 0);
  ASSERT_EQ(event_dispatch(), 0);
  EXPECT_EQ(seen, "1.x");
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(rec.writes, 1);
  EXPECT_EQ(drain_fd(sp.b()), "ack");
  // The old-style read/write calls are the same functions.
  ASSERT_EQ(put(sp.b(), "xy"), 2);
  rec.on_read = [&](bufferevent* b) {
    char buf[8] = {};
    EXPECT_EQ(bufferevent_read(b, buf, sizeof buf), 2u);
    seen += buf;
  };
  ASSERT_TRUE(run_until(cur.b, [&] { return seen.size() >= 5; }));
  EXPECT_EQ(seen, "1.xxy");
  bufferevent_free(bev);
  EXPECT_EQ(event_loop(EVLOOP_NONBLOCK), 1);  // finalizing the bufferevent left nothing behind
  EXPECT_TRUE(fd_is_open(sp.a()));
}

TEST_P(BevCompat, SocketNewWithNullBaseMeansTheCurrentBase) {
  CurrentBase cur(GetParam());
  ASSERT_NE(cur.b, nullptr);
  SocketPair sp;
  bufferevent* bev = bufferevent_socket_new(nullptr, sp.release(0), BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  EXPECT_EQ(bufferevent_get_base(bev), nullptr);
  EXPECT_EQ(event_get_base(&bev->ev_read), cur.b);
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_write(bev, "current", 7), 0);
  ASSERT_TRUE(run_until(cur.b, [&] { return rec.writes >= 1; }));
  EXPECT_EQ(drain_fd(sp.b()), "current");
  const evutil_socket_t fd = bufferevent_getfd(bev);
  bufferevent_free(bev);
  event_loop(EVLOOP_NONBLOCK);
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_P(BevCompat, BaseSetMovesABuffereventToAnotherBase) {
  CurrentBase cur(GetParam());
  ASSERT_NE(cur.b, nullptr);
  SocketPair sp;
  Rec rec;
  bufferevent* bev = bufferevent_new(sp.a(), Rec::read_cb, Rec::write_cb, Rec::event_cb, &rec);
  ASSERT_NE(bev, nullptr);
  ASSERT_EQ(bufferevent_base_set(base, bev), 0);
  EXPECT_EQ(bufferevent_get_base(bev), base);
  EXPECT_EQ(bev->ev_base, base);
  EXPECT_EQ(event_get_base(&bev->ev_read), base);
  EXPECT_EQ(event_get_base(&bev->ev_write), base);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "moved"), 5);
  // The current base knows nothing of it ...
  run_for(cur.b, 30);
  EXPECT_EQ(rec.reads, 0);
  // ... the new one does.
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 5; }));
  EXPECT_EQ(rec.got, "moved");
  bufferevent_free(bev);
  run_nonblock(base);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
// With no current base, bufferevent_new makes a bufferevent on no base at all: what is
// written before bufferevent_base_set waits, and goes out once writing is enabled there.
// (libevent 2.1.12 crashes inside bufferevent_new when there is no current base.)
TEST_P(BevCompat, WriteBeforeBaseSetWaitsForTheBase) {
  LogCapture logs;
  SocketPair sp;
  Rec rec;
  bufferevent* bev = bufferevent_new(sp.a(), Rec::read_cb, Rec::write_cb, Rec::event_cb, &rec);
  ASSERT_NE(bev, nullptr);
  EXPECT_EQ(event_get_base(&bev->ev_write), nullptr);
  ASSERT_EQ(bufferevent_write(bev, "early", 5), 0);
  ASSERT_EQ(bufferevent_base_set(base, bev), 0);
  ASSERT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
  EXPECT_EQ(receive(base, sp.b(), 5), "early");
  bufferevent_free(bev);
  run_nonblock(base);
}
#endif

TEST_P(BevCompat, SettimeoutTakesWholeSeconds) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  bufferevent_settimeout(bev, 2, 3);
  EXPECT_EQ(bev->timeout_read.tv_sec, 2);
  EXPECT_EQ(bev->timeout_read.tv_usec, 0);
  EXPECT_EQ(bev->timeout_write.tv_sec, 3);
  EXPECT_EQ(bev->timeout_write.tv_usec, 0);
  // 0 means "no timeout" for that direction.
  bufferevent_settimeout(bev, 0, 5);
  EXPECT_EQ(bev->timeout_read.tv_sec, 0);
  EXPECT_EQ(bev->timeout_read.tv_usec, 0);
  EXPECT_EQ(bev->timeout_write.tv_sec, 5);
  bufferevent_settimeout(bev, 0, 0);
  EXPECT_EQ(bev->timeout_write.tv_sec, 0);
  EXPECT_EQ(bev->timeout_write.tv_usec, 0);
}

TEST_P(BevCompat, SettimeoutReadTimeoutFires) {
  CurrentBase cur(GetParam());
  ASSERT_NE(cur.b, nullptr);
  SocketPair sp;
  Rec rec;
  bufferevent* bev = bufferevent_new(sp.a(), Rec::read_cb, Rec::write_cb, Rec::event_cb, &rec);
  ASSERT_NE(bev, nullptr);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  const double start = coarse_now_ms();
  bufferevent_settimeout(bev, 1, 0);
  ASSERT_TRUE(run_until(cur.b, [&] { return !rec.events.empty(); }, 5000));
  EXPECT_EQ(rec.events[0], EVBUFFER_TIMEOUT | EVBUFFER_READ);
  EXPECT_GE(rec.event_ms[0] - start, 1000 - kMicrosecond);
  EXPECT_LT(rec.event_ms[0] - start, 1000 + kLate);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  bufferevent_free(bev);
  event_loop(EVLOOP_NONBLOCK);
}

TEST_P(BevCompat, OldStyleErrorCallbackFlags) {
  CurrentBase cur(GetParam());
  ASSERT_NE(cur.b, nullptr);
  SocketPair sp;
  Rec rec;
  bufferevent* bev = bufferevent_new(sp.a(), Rec::read_cb, Rec::write_cb, Rec::event_cb, &rec);
  ASSERT_NE(bev, nullptr);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  sp.close_end(1);
  ASSERT_TRUE(run_until(cur.b, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], EVBUFFER_EOF | EVBUFFER_READ);
  ASSERT_EQ(bufferevent_write(bev, "x", 1), 0);
  ASSERT_TRUE(run_until(cur.b, [&] { return rec.events.size() >= 2; }));
  EXPECT_EQ(rec.events[1], EVBUFFER_ERROR | EVBUFFER_WRITE);
  bufferevent_free(bev);
  event_loop(EVLOOP_NONBLOCK);
}

}  // namespace
