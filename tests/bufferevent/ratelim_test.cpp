// Behaviour tests for bufferevent rate limiting: token-bucket configurations,
// per-bufferevent limits and rate-limit groups.
//
// Written against the public API only and proven against the system libevent
// 2.1.12 first (run_against_system_libevent.sh defines
// VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT). Every expectation here is libevent's
// behaviour; a failure on vigil is a vigil bug.
//
// How 2.1.12's token buckets work, as pinned below:
//  * a bucket starts at the per-tick RATE, not at the burst;
//  * time is cut into ticks numbered floor(wall-clock ms / tick ms) (the base's
//    cached gettimeofday time); whenever a bucket is consulted it gains
//    rate * (ticks elapsed since it was last consulted), capped at the burst,
//    never a fraction of a tick;
//  * a bucket may go negative (by explicit decrements); get_*_limit returns the
//    raw value while get_max_to_* clamps at 0; a per-bufferevent bucket
//    replaces the 16384-byte single-read/-write default rather than clamping it;
//  * reconfiguring with a different cfg only clips the bucket down to the new
//    burst; the cfg pointer is kept, not copied (groups copy theirs);
//  * a group member may move (group bucket / members), but never less than
//    min_share (default 64, itself capped at the cfg's read and write rates),
//    and nothing while the group bucket is <= 0.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <gtest/gtest.h>

#include "bev_support.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

// The loop drivers (run_until, run_for, spin) come from bev_support.h.
using namespace bt;

namespace {

// ------------------------------------------------------------------ helpers --

size_t recv_count(int fd) {
  size_t total = 0;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

// A tick length long enough that no tick boundary passes during a test.
const timeval kHugeTick = {100000, 0};

// Counts and discards what arrives on a bufferevent.
struct Sink {
  size_t bytes = 0;
  int reads = 0;
  std::vector<short> events;
};
void sink_read(bufferevent* bev, void* arg) {
  auto* s = static_cast<Sink*>(arg);
  evbuffer* in = bufferevent_get_input(bev);
  s->bytes += evbuffer_get_length(in);
  s->reads++;
  evbuffer_drain(in, evbuffer_get_length(in));
}
void sink_event(bufferevent*, short what, void* arg) { static_cast<Sink*>(arg)->events.push_back(what); }

// Owns bufferevents, raw peers, cfgs and groups. release() frees them all but
// the base, before the fixture frees the base and checks for leaked descriptors.
class RatelimObjects {
 protected:
  struct Conn {
    bufferevent* bev = nullptr;
    int peer = -1;
  };

  virtual ~RatelimObjects() = default;
  virtual event_base* the_base() = 0;

  void release() {
    event_base* base = the_base();
    for (auto* g : groups_) {
      // A group may only be freed without members.
      for (auto* b : bevs_)
        if (b) bufferevent_remove_from_rate_limit_group(b);
      bufferevent_rate_limit_group_free(g);
    }
    groups_.clear();
    for (auto* b : bevs_)
      if (b) bufferevent_free(b);
    bevs_.clear();
    // Let already-scheduled deferred callbacks run and drop the references
    // they hold, so the bufferevents are finalized rather than leaked.
    if (base) spin(base);
    for (auto* c : cfgs_) ev_token_bucket_cfg_free(c);
    cfgs_.clear();
    for (int fd : peers_) close(fd);
    peers_.clear();
  }

  // A socket bufferevent on one end of a socketpair; the other end is raw.
  Conn conn(int options = BEV_OPT_CLOSE_ON_FREE) {
    event_base* base = the_base();
    int fds[2] = {-1, -1};
    Conn c;
    if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
      ADD_FAILURE() << "socketpair";
      return c;
    }
    evutil_make_socket_nonblocking(fds[0]);
    evutil_make_socket_nonblocking(fds[1]);
    c.bev = bufferevent_socket_new(base, fds[0], options);
    EXPECT_NE(c.bev, nullptr);
    c.peer = fds[1];
    bevs_.push_back(c.bev);
    peers_.push_back(fds[1]);
    return c;
  }
  // Two socket bufferevents connected to each other.
  void linked(bufferevent** a, bufferevent** b) {
    event_base* base = the_base();
    int fds[2] = {-1, -1};
    ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    evutil_make_socket_nonblocking(fds[0]);
    evutil_make_socket_nonblocking(fds[1]);
    *a = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
    *b = bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE);
    ASSERT_NE(*a, nullptr);
    ASSERT_NE(*b, nullptr);
    bevs_.push_back(*a);
    bevs_.push_back(*b);
  }
  void forget(bufferevent* b) {
    for (auto& x : bevs_)
      if (x == b) x = nullptr;
  }
  ev_token_bucket_cfg* cfg(size_t rr, size_t rb, size_t wr, size_t wb, const timeval* tick = &kHugeTick) {
    ev_token_bucket_cfg* c = ev_token_bucket_cfg_new(rr, rb, wr, wb, tick);
    EXPECT_NE(c, nullptr);
    if (c) cfgs_.push_back(c);
    return c;
  }
  bufferevent_rate_limit_group* group(const ev_token_bucket_cfg* c) {
    bufferevent_rate_limit_group* g = bufferevent_rate_limit_group_new(the_base(), c);
    EXPECT_NE(g, nullptr);
    if (g) groups_.push_back(g);
    return g;
  }

 private:
  std::vector<bufferevent*> bevs_;
  std::vector<int> peers_;
  std::vector<ev_token_bucket_cfg*> cfgs_;
  std::vector<bufferevent_rate_limit_group*> groups_;
};

// bt::BevTest (bev_support.h) supplies the per-backend base and the descriptor
// leak check.
class BevRatelim : public bt::BevTest, public RatelimObjects {
 protected:
  event_base* the_base() override { return base; }
  void TearDown() override {
    release();
    bt::BevTest::TearDown();
  }
};

// ------------------------------------------------------ configurations ----

TEST(BevRatelimCfg, NewRejectsZeroRatesAndRatesAboveBurst) {
  EXPECT_EQ(ev_token_bucket_cfg_new(0, 10, 10, 10, nullptr), nullptr);
  EXPECT_EQ(ev_token_bucket_cfg_new(10, 10, 0, 10, nullptr), nullptr);
  EXPECT_EQ(ev_token_bucket_cfg_new(11, 10, 10, 10, nullptr), nullptr);
  EXPECT_EQ(ev_token_bucket_cfg_new(10, 10, 11, 10, nullptr), nullptr);
  EXPECT_EQ(ev_token_bucket_cfg_new(10, 9, 10, 10, nullptr), nullptr);
  const size_t too_big = static_cast<size_t>(EV_RATE_LIMIT_MAX) + 1;
  EXPECT_EQ(ev_token_bucket_cfg_new(1, too_big, 1, 1, nullptr), nullptr);
  EXPECT_EQ(ev_token_bucket_cfg_new(1, 1, 1, too_big, nullptr), nullptr);
  // Equal rate and burst, the smallest rates and the largest allowed values are fine.
  ev_token_bucket_cfg* c = ev_token_bucket_cfg_new(10, 10, 1, 1, nullptr);
  EXPECT_NE(c, nullptr);
  ev_token_bucket_cfg_free(c);
  c = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, nullptr);
  EXPECT_NE(c, nullptr);
  ev_token_bucket_cfg_free(c);
  timeval tick = {0, 250000};
  c = ev_token_bucket_cfg_new(100, 200, 300, 400, &tick);
  EXPECT_NE(c, nullptr);
  ev_token_bucket_cfg_free(c);
}

// ------------------------------------------------------ per-bufferevent ----

TEST_P(BevRatelim, UnlimitedBuffereventReportsDefaults) {
  Conn c = conn();
  EXPECT_EQ(bufferevent_get_token_bucket_cfg(c.bev), nullptr);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), EV_SSIZE_MAX);
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), EV_SSIZE_MAX);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 16384);
  EXPECT_EQ(bufferevent_get_max_to_write(c.bev), 16384);
  // Removing a limit that was never set is fine.
  EXPECT_EQ(bufferevent_set_rate_limit(c.bev, nullptr), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), EV_SSIZE_MAX);
}

TEST_P(BevRatelim, BucketStartsAtTheRateNotTheBurst) {
  Conn c = conn();
  ev_token_bucket_cfg* k = cfg(1000, 5000, 3000, 9000);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, k), 0);
  EXPECT_EQ(bufferevent_get_token_bucket_cfg(c.bev), k);  // the very pointer
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 1000);
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), 3000);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 1000);
  EXPECT_EQ(bufferevent_get_max_to_write(c.bev), 3000);
  // Removing the limit.
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, nullptr), 0);
  EXPECT_EQ(bufferevent_get_token_bucket_cfg(c.bev), nullptr);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), EV_SSIZE_MAX);
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), EV_SSIZE_MAX);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 16384);
  EXPECT_EQ(bufferevent_get_max_to_write(c.bev), 16384);
}

TEST_P(BevRatelim, BucketLargerThanSingleReadDefaultIsNotClamped) {
  Conn c = conn();
  ev_token_bucket_cfg* k = cfg(100000, 100000, 50000, 50000);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, k), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 100000);
  EXPECT_EQ(bufferevent_get_max_to_write(c.bev), 50000);
}

TEST_P(BevRatelim, ReconfiguringOnlyClipsTheBucketDown) {
  Conn c = conn();
  ev_token_bucket_cfg* a = cfg(1000, 1000, 1000, 1000);
  ev_token_bucket_cfg* big = cfg(5000, 5000, 5000, 5000);
  ev_token_bucket_cfg* small = cfg(100, 200, 100, 300);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, a), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 1000);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, big), 0);
  EXPECT_EQ(bufferevent_get_token_bucket_cfg(c.bev), big);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 1000);  // not raised to 5000
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), 1000);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, small), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 200);  // clipped to the burst
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), 300);
  ASSERT_EQ(bufferevent_decrement_read_limit(c.bev, 150), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 50);
  // The same cfg again changes nothing.
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, small), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 50);
  // After removing the limit, setting one starts a fresh bucket at the rate.
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, nullptr), 0);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, a), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 1000);
}

TEST_P(BevRatelim, DecrementsGoNegativeAndMaxToClampsAtZero) {
  Conn c = conn();
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, cfg(1000, 1000, 2000, 2000)), 0);
  EXPECT_EQ(bufferevent_decrement_read_limit(c.bev, 300), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 700);
  EXPECT_EQ(bufferevent_decrement_read_limit(c.bev, -50), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 750);
  EXPECT_EQ(bufferevent_decrement_read_limit(c.bev, 800), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), -50);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 0);
  // A negative decrement may lift it above the burst.
  EXPECT_EQ(bufferevent_decrement_read_limit(c.bev, -2000), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 1950);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 1950);
  // The write bucket is separate.
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), 2000);
  EXPECT_EQ(bufferevent_decrement_write_limit(c.bev, 2500), 0);
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), -500);
  EXPECT_EQ(bufferevent_get_max_to_write(c.bev), 0);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 1950);
}

// Reads take at most what the bucket holds; an empty bucket stops reading
// until the bucket is refilled (here only by hand).
TEST_P(BevRatelim, ReadingIsBoundedByTheBucketExactly) {
  Conn c = conn();
  Sink s;
  bufferevent_setcb(c.bev, sink_read, nullptr, sink_event, &s);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, cfg(1000, 1000, 1000, 1000)), 0);
  ASSERT_EQ(bufferevent_decrement_read_limit(c.bev, 300), 0);
  std::string data(5000, 'r');
  ASSERT_EQ(::send(c.peer, data.data(), data.size(), 0), 5000);
  bufferevent_enable(c.bev, EV_READ);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes >= 700; }));
  run_for(base, 60);
  EXPECT_EQ(s.bytes, 700u);
  EXPECT_EQ(bufferevent_get_read_limit(c.bev), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 0);
  // Putting tokens back resumes reading, for exactly that many bytes.
  ASSERT_EQ(bufferevent_decrement_read_limit(c.bev, -300), 0);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes >= 1000; }));
  run_for(base, 40);
  EXPECT_EQ(s.bytes, 1000u);
  // Going negative and back above zero.
  ASSERT_EQ(bufferevent_decrement_read_limit(c.bev, 500), 0);
  ASSERT_EQ(bufferevent_decrement_read_limit(c.bev, -600), 0);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes >= 1100; }));
  run_for(base, 40);
  EXPECT_EQ(s.bytes, 1100u);
  // Removing the limit lets the rest through.
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, nullptr), 0);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes >= 5000; }));
  EXPECT_EQ(s.bytes, 5000u);
  EXPECT_TRUE(s.events.empty());
}

TEST_P(BevRatelim, WritingIsBoundedByTheBucketExactly) {
  Conn c = conn();
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, cfg(1000, 1000, 1000, 1000)), 0);
  std::string data(5000, 'w');
  ASSERT_EQ(bufferevent_write(c.bev, data.data(), data.size()), 0);
  size_t got = 0;
  ASSERT_TRUE(run_until(base, [&] {
    got += recv_count(c.peer);
    return got >= 1000;
  }));
  run_for(base, 60);
  got += recv_count(c.peer);
  EXPECT_EQ(got, 1000u);
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(c.bev)), 4000u);
  ASSERT_EQ(bufferevent_decrement_write_limit(c.bev, -250), 0);
  ASSERT_TRUE(run_until(base, [&] {
    got += recv_count(c.peer);
    return got >= 1250;
  }));
  run_for(base, 40);
  got += recv_count(c.peer);
  EXPECT_EQ(got, 1250u);
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, nullptr), 0);
  ASSERT_TRUE(run_until(base, [&] {
    got += recv_count(c.peer);
    return got >= 5000;
  }));
  EXPECT_EQ(got, 5000u);
}

// Tick arithmetic, observed outside the loop (where the base reads the wall
// clock afresh each time): with the bucket emptied during tick k0, a look during
// tick k sees min(burst, (k - k0) * rate). Samples straddling a tick boundary
// are skipped, so scheduling delays cannot make this flaky.
TEST_P(BevRatelim, BucketRefillsByWholeTicksUpToTheBurst) {
  const uint64_t tick_ms = 40;
  auto tick_now = [&] {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    const uint64_t ms = static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec) / 1000;
    return static_cast<int64_t>(ms / tick_ms);
  };
  Conn c = conn();
  timeval tick = {0, static_cast<suseconds_t>(tick_ms * 1000)};
  ASSERT_EQ(bufferevent_set_rate_limit(c.bev, cfg(100, 250, 100, 250, &tick)), 0);
  int64_t k0 = -1;
  for (int attempt = 0; attempt < 50 && k0 < 0; ++attempt) {
    const int64_t before = tick_now();
    const ev_ssize_t lim = bufferevent_get_read_limit(c.bev);  // brings the bucket up to date
    ASSERT_EQ(bufferevent_decrement_read_limit(c.bev, lim), 0);
    const ev_ssize_t zero = bufferevent_get_read_limit(c.bev);
    if (tick_now() == before) {
      ASSERT_EQ(zero, 0);
      k0 = before;
    }
  }
  ASSERT_GE(k0, 0) << "never managed to stay within one tick";
  int checked = 0;
  std::vector<int64_t> seen_ticks;
  // At least 8.5 ticks, longer if a loaded machine gave too few usable samples.
  const double t_start = now_ms();
  const double min_end = t_start + 8.5 * tick_ms, hard_end = t_start + 3000;
  for (;;) {
    const double t = now_ms();
    if (t >= hard_end || (t >= min_end && checked >= 5 && seen_ticks.size() >= 3)) break;
    const int64_t before = tick_now();
    const ev_ssize_t lim = bufferevent_get_read_limit(c.bev);
    if (tick_now() == before) {
      const int64_t n = before - k0;
      const ev_ssize_t expect = n * 100 >= 250 ? 250 : static_cast<ev_ssize_t>(n * 100);
      EXPECT_EQ(lim, expect) << "ticks elapsed: " << n;
      ++checked;
      if (seen_ticks.empty() || seen_ticks.back() != n) seen_ticks.push_back(n);
    }
    usleep(3000);
  }
  EXPECT_GE(checked, 5);
  EXPECT_GE(seen_ticks.size(), 3u);
  // The write bucket was never touched: it was already full-rate and capped.
  EXPECT_EQ(bufferevent_get_write_limit(c.bev), 250);
}

// Only socket bufferevents consult their buckets: a pair hands everything over
// regardless of a rate limit set on either end.
TEST_P(BevRatelim, PairsIgnoreRateLimits) {
  bufferevent* p[2] = {nullptr, nullptr};
  ASSERT_EQ(bufferevent_pair_new(base, 0, p), 0);
  ev_token_bucket_cfg* k = cfg(10, 10, 10, 10);
  ASSERT_EQ(bufferevent_set_rate_limit(p[0], k), 0);
  ASSERT_EQ(bufferevent_set_rate_limit(p[1], k), 0);
  bufferevent_enable(p[1], EV_READ);
  std::string data(5000, 'p');
  ASSERT_EQ(bufferevent_write(p[0], data.data(), data.size()), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(p[1])), 5000u);
  // ...and does not charge the buckets for it.
  EXPECT_EQ(bufferevent_get_read_limit(p[1]), 10);
  EXPECT_EQ(bufferevent_get_write_limit(p[0]), 10);
  bufferevent_free(p[0]);
  bufferevent_free(p[1]);
  spin(base);
}

// ------------------------------------------------------------- groups ----

TEST_P(BevRatelim, GroupCopiesItsCfgAndTracksItsOwnBucket) {
  ev_token_bucket_cfg* k = ev_token_bucket_cfg_new(1000, 1000, 2000, 2000, &kHugeTick);
  ASSERT_NE(k, nullptr);
  bufferevent_rate_limit_group* g = bufferevent_rate_limit_group_new(base, k);
  ASSERT_NE(g, nullptr);
  ev_token_bucket_cfg_free(k);  // the group keeps a copy
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 1000);
  EXPECT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 2000);
  EXPECT_EQ(bufferevent_rate_limit_group_decrement_read(g, 100), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 900);
  EXPECT_EQ(bufferevent_rate_limit_group_decrement_write(g, -500), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 2500);  // above the burst
  EXPECT_EQ(bufferevent_rate_limit_group_decrement_read(g, 1000), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), -100);
  ev_uint64_t r = 99, w = 99;
  bufferevent_rate_limit_group_get_totals(g, &r, &w);
  EXPECT_EQ(r, 0u);  // explicit decrements are not traffic
  EXPECT_EQ(w, 0u);
  bufferevent_rate_limit_group_get_totals(g, nullptr, nullptr);
  EXPECT_EQ(bufferevent_rate_limit_group_set_cfg(g, nullptr), -1);
  bufferevent_rate_limit_group_free(g);
  spin(base);
}

TEST_P(BevRatelim, GroupSharesItsBucketAmongMembersWithMinShare) {
  bufferevent_rate_limit_group* g = group(cfg(1000, 1000, 2000, 2000));
  Conn a = conn(), b = conn(), c = conn();
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 500);
  EXPECT_EQ(bufferevent_get_max_to_write(a.bev), 1000);
  // Group membership is not a per-bufferevent limit.
  EXPECT_EQ(bufferevent_get_token_bucket_cfg(a.bev), nullptr);
  EXPECT_EQ(bufferevent_get_read_limit(a.bev), EV_SSIZE_MAX);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(c.bev, g), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 333);
  EXPECT_EQ(bufferevent_get_max_to_write(c.bev), 666);
  ASSERT_EQ(bufferevent_remove_from_rate_limit_group(c.bev), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(c.bev), 16384);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 500);
  // Removing twice, and adding to the same group twice, are no-ops.
  EXPECT_EQ(bufferevent_remove_from_rate_limit_group(c.bev), 0);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 500);

  // min_share (64 by default) is a floor under each member's share.
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, 990), 0);  // 10 left: 5 each
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 64);
  ASSERT_EQ(bufferevent_rate_limit_group_set_min_share(g, 0), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 5);
  // A min_share above the cfg's rates is cut down to the smaller rate (1000).
  ASSERT_EQ(bufferevent_rate_limit_group_set_min_share(g, 5000), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 1000);
  EXPECT_EQ(bufferevent_get_max_to_write(a.bev), 1000);
  ASSERT_EQ(bufferevent_rate_limit_group_set_min_share(g, 64), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 64);
  // At or below zero the group is suspended: nothing for anyone.
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, 20), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), -10);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(b.bev), 0);
  EXPECT_EQ(bufferevent_get_max_to_write(a.bev), 1000);  // writing is separate
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, -74), 0);  // back to 64
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 64);

  // A member's own bucket and its group share: the smaller wins.
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, -936), 0);  // 1000: 500 each
  ASSERT_EQ(bufferevent_set_rate_limit(a.bev, cfg(300, 300, 300, 300)), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 300);
  ASSERT_EQ(bufferevent_set_rate_limit(a.bev, nullptr), 0);
  ASSERT_EQ(bufferevent_set_rate_limit(a.bev, cfg(5000, 5000, 5000, 5000)), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 500);
  EXPECT_EQ(bufferevent_get_read_limit(a.bev), 5000);  // a fresh bucket: the limit had been removed
}

TEST_P(BevRatelim, GroupSetCfgClipsBucketAndReappliesMinShare) {
  bufferevent_rate_limit_group* g = group(cfg(1000, 1000, 1000, 1000));
  Conn a = conn();
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 1000);
  ASSERT_EQ(bufferevent_rate_limit_group_set_cfg(g, cfg(500, 500, 800, 800)), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 500);
  EXPECT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 800);
  ASSERT_EQ(bufferevent_rate_limit_group_set_cfg(g, cfg(2000, 4000, 2000, 4000)), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 500);  // not raised
  // A cfg whose rate is below the configured min_share (64) lowers it...
  ASSERT_EQ(bufferevent_rate_limit_group_set_cfg(g, cfg(32, 32, 1000, 1000)), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 32);
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, 31), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 32);
  // ...and a later cfg restores the configured value.
  ASSERT_EQ(bufferevent_rate_limit_group_set_cfg(g, cfg(1000, 1000, 1000, 1000)), 0);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 1);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 64);
}

TEST_P(BevRatelim, GroupTotalsCountMembersTraffic) {
  bufferevent_rate_limit_group* g = group(cfg(100000, 100000, 100000, 100000));
  Conn a = conn();
  Sink s;
  bufferevent_setcb(a.bev, sink_read, nullptr, sink_event, &s);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
  bufferevent_enable(a.bev, EV_READ);
  std::string in(1234, 'i');
  ASSERT_EQ(::send(a.peer, in.data(), in.size(), 0), 1234);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes == 1234; }));
  ev_uint64_t r = 0, w = 0;
  bufferevent_rate_limit_group_get_totals(g, &r, &w);
  EXPECT_EQ(r, 1234u);
  EXPECT_EQ(w, 0u);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 100000 - 1234);
  std::string out(77, 'o');
  ASSERT_EQ(bufferevent_write(a.bev, out.data(), out.size()), 0);
  size_t got = 0;
  ASSERT_TRUE(run_until(base, [&] {
    got += recv_count(a.peer);
    return got == 77;
  }));
  bufferevent_rate_limit_group_get_totals(g, &r, &w);
  EXPECT_EQ(r, 1234u);
  EXPECT_EQ(w, 77u);
  EXPECT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 100000 - 77);
  // Explicit decrements move the buckets, not the totals.
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, 10), 0);
  bufferevent_rate_limit_group_get_totals(g, &r, nullptr);
  EXPECT_EQ(r, 1234u);
  bufferevent_rate_limit_group_reset_totals(g);
  bufferevent_rate_limit_group_get_totals(g, &r, &w);
  EXPECT_EQ(r, 0u);
  EXPECT_EQ(w, 0u);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 100000 - 1234 - 10);
  // Traffic after leaving the group is not counted.
  ASSERT_EQ(bufferevent_remove_from_rate_limit_group(a.bev), 0);
  ASSERT_EQ(::send(a.peer, "zz", 2, 0), 2);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes == 1236; }));
  bufferevent_rate_limit_group_get_totals(g, &r, &w);
  EXPECT_EQ(r, 0u);
}

TEST_P(BevRatelim, SuspendedGroupStopsReadingUntilRefilled) {
  bufferevent_rate_limit_group* g = group(cfg(1000, 1000, 1000, 1000));
  Conn a = conn();
  Sink s;
  bufferevent_setcb(a.bev, sink_read, nullptr, sink_event, &s);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
  bufferevent_enable(a.bev, EV_READ);
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, 1000), 0);
  std::string in(3000, 'x');
  ASSERT_EQ(::send(a.peer, in.data(), in.size(), 0), 3000);
  run_for(base, 60);
  EXPECT_EQ(s.bytes, 0u);
  // Refilling by hand resumes reading; the group bucket bounds it: one member
  // reads up to the whole bucket, then stops at zero.
  ASSERT_EQ(bufferevent_rate_limit_group_decrement_read(g, -700), 0);
  ASSERT_TRUE(run_until(base, [&] { return s.bytes >= 700; }));
  run_for(base, 60);
  EXPECT_EQ(s.bytes, 700u);
  EXPECT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 0);
  // A new member of a suspended group is suspended too.
  Conn b = conn();
  Sink sb;
  bufferevent_setcb(b.bev, sink_read, nullptr, sink_event, &sb);
  bufferevent_enable(b.bev, EV_READ);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g), 0);
  ASSERT_EQ(::send(b.peer, "hello", 5, 0), 5);
  run_for(base, 60);
  EXPECT_EQ(sb.bytes, 0u);
  // Leaving the group lifts that.
  ASSERT_EQ(bufferevent_remove_from_rate_limit_group(b.bev), 0);
  ASSERT_TRUE(run_until(base, [&] { return sb.bytes == 5; }));
}

TEST_P(BevRatelim, FreedMemberLeavesTheGroup) {
  bufferevent_rate_limit_group* g = group(cfg(1000, 1000, 1000, 1000));
  Conn a = conn(), b = conn();
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 500);
  forget(b.bev);
  bufferevent_free(b.bev);
  spin(base);
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 1000);
}

TEST_P(BevRatelim, MovingBetweenGroups) {
  bufferevent_rate_limit_group* g1 = group(cfg(1000, 1000, 1000, 1000));
  bufferevent_rate_limit_group* g2 = group(cfg(600, 600, 600, 600));
  Conn a = conn(), b = conn();
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g1), 0);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g1), 0);
  EXPECT_EQ(bufferevent_get_max_to_read(b.bev), 500);
  ASSERT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g2), 0);  // leaves g1
  EXPECT_EQ(bufferevent_get_max_to_read(a.bev), 600);
  EXPECT_EQ(bufferevent_get_max_to_read(b.bev), 1000);
}

INSTANTIATE_TEST_SUITE_P(Backends, BevRatelim, ::testing::ValuesIn(bt::backends()), bt::backend_name);

// ------------------------------------------------------- measured rates ----
//
// Two ~2 s runs in all, on the default backend. Ticks of 100 ms; each burst is
// two ticks' worth so that one late timer on a loaded machine loses nothing.
// A saturated limited stream moves the initial bucket (one tick's worth) plus
// one tick's worth per tick boundary crossed: R*T + R/10, give or take a tick.

class BevRatelimMeasured : public ::testing::Test, public RatelimObjects {
 protected:
  event_base* the_base() override { return base; }
  void SetUp() override {
    alarm(60);
    fds_before_ = bt::open_fds();
    base = event_base_new();
    ASSERT_NE(base, nullptr);
  }
  void TearDown() override {
    release();
    if (base) event_base_free(base);
    base = nullptr;
    EXPECT_EQ(bt::open_fds(), fds_before_) << "descriptor leak";
    alarm(0);
  }
  event_base* base = nullptr;
  std::vector<int> fds_before_;
};

const timeval kTick100 = {0, 100000};

// The ideal amount is what a saturated bucket lets through: its initial content (one
// tick's worth, rate / 10) plus rate * elapsed, 21 ticks' worth over 2 s. What moves is
// a whole number of ticks' worth: 20 when the loop exits just before the last refill
// (0.952 of the ideal), else 21. So +-10% still has a whole tick (4.8%) to spare for a
// timer that runs late on a loaded machine, in both directions.
void expect_rate(const char* what, size_t bytes, double rate, double secs) {
  const double ideal = rate / 10 + rate * secs;
  const double ratio = static_cast<double>(bytes) / ideal;
  SCOPED_TRACE(what);
  std::printf("[ rate     ] %s: %zu bytes in %.3f s = %.0f B/s (configured %.0f), %.3f of ideal %.0f\n", what,
              bytes, secs, static_cast<double>(bytes) / secs, rate, ratio, ideal);
  EXPECT_GE(ratio, 0.9) << bytes << " bytes in " << secs << " s at " << rate << " B/s";
  EXPECT_LE(ratio, 1.1) << bytes << " bytes in " << secs << " s at " << rate << " B/s";
}

TEST_F(BevRatelimMeasured, ReadAndWriteLimitsHoldTheirRatesOverTwoSeconds) {
  const double kReadRate = 40000, kWriteRate = 30000;
  // Read-limited: an unlimited writer keeps the socket full.
  bufferevent *rd = nullptr, *feeder = nullptr;
  linked(&rd, &feeder);
  // Write-limited: an unlimited reader drains the other end.
  bufferevent *wr = nullptr, *drainer = nullptr;
  linked(&wr, &drainer);
  Sink rd_sink, drain_sink;
  bufferevent_setcb(rd, sink_read, nullptr, sink_event, &rd_sink);
  bufferevent_setcb(drainer, sink_read, nullptr, sink_event, &drain_sink);
  std::string blob(400000, 'd');
  ASSERT_EQ(bufferevent_write(feeder, blob.data(), blob.size()), 0);
  ASSERT_EQ(bufferevent_write(wr, blob.data(), blob.size()), 0);
  ASSERT_EQ(bufferevent_set_rate_limit(rd, cfg(4000, 8000, 400000, 400000, &kTick100)), 0);
  ASSERT_EQ(bufferevent_set_rate_limit(wr, cfg(400000, 400000, 3000, 6000, &kTick100)), 0);
  bufferevent_enable(rd, EV_READ);
  bufferevent_enable(drainer, EV_READ);
  const double t0 = now_ms();
  timeval two = {2, 0};
  event_base_loopexit(base, &two);
  event_base_dispatch(base);
  const double secs = (now_ms() - t0) / 1000.0;
  EXPECT_GE(secs, 1.9);
  EXPECT_LT(secs, 4.0);
  expect_rate("read limit", rd_sink.bytes, kReadRate, secs);
  expect_rate("write limit", drain_sink.bytes, kWriteRate, secs);
  EXPECT_TRUE(rd_sink.events.empty());
  EXPECT_TRUE(drain_sink.events.empty());
  // The limited sides had plenty left to move.
  EXPECT_GT(evbuffer_get_length(bufferevent_get_output(wr)), 200000u);
}

TEST_F(BevRatelimMeasured, GroupRateIsSharedByItsMembersOverTwoSeconds) {
  const double kGroupRate = 60000;
  bufferevent_rate_limit_group* g = group(cfg(6000, 12000, 6000, 12000, &kTick100));
  const int kMembers = 3;
  Sink sinks[kMembers];
  std::string blob(300000, 'g');
  for (int i = 0; i < kMembers; ++i) {
    bufferevent *rd = nullptr, *feeder = nullptr;
    linked(&rd, &feeder);
    bufferevent_setcb(rd, sink_read, nullptr, sink_event, &sinks[i]);
    ASSERT_EQ(bufferevent_write(feeder, blob.data(), blob.size()), 0);
    ASSERT_EQ(bufferevent_add_to_rate_limit_group(rd, g), 0);
    bufferevent_enable(rd, EV_READ);
  }
  const double t0 = now_ms();
  timeval two = {2, 0};
  event_base_loopexit(base, &two);
  event_base_dispatch(base);
  const double secs = (now_ms() - t0) / 1000.0;
  EXPECT_GE(secs, 1.9);
  EXPECT_LT(secs, 4.0);
  size_t total = 0;
  for (const Sink& s : sinks) {
    total += s.bytes;
    // Everyone got a real part of it (the split is random-ordered, not exact).
    EXPECT_GT(s.bytes, static_cast<size_t>(kGroupRate * secs / kMembers / 4));
    EXPECT_TRUE(s.events.empty());
  }
  expect_rate("group", total, kGroupRate, secs);
  ev_uint64_t r = 0, w = 0;
  bufferevent_rate_limit_group_get_totals(g, &r, &w);
  EXPECT_EQ(r, total);
  EXPECT_EQ(w, 0u);
}

}  // namespace
