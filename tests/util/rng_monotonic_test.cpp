// The secure random number functions and the public monotonic timer.
#include "util_support.h"

#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace {

long long us_of(const timeval& tv) { return static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec; }

long long clock_us(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

long long wall_us() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return us_of(tv);
}

long long read_timer(evutil_monotonic_timer* t) {
  timeval tv{-1, -1};
  EXPECT_EQ(evutil_gettime_monotonic(t, &tv), 0);
  EXPECT_GE(tv.tv_usec, 0);
  EXPECT_LT(tv.tv_usec, 1000000);
  return us_of(tv);
}

// How far apart two readings of different clocks may be on a loaded machine.
constexpr long long kSlackUs = 500000;

}  // namespace

// -------------------------------------------------------------------- secure rng ----

TEST(SecureRng, InitSucceeds) {
  EXPECT_EQ(evutil_secure_rng_init(), 0);
  EXPECT_EQ(evutil_secure_rng_init(), 0);
}

TEST(SecureRng, FillsBuffersWithDifferentBytes) {
  unsigned char a[64], b[64];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  evutil_secure_rng_get_bytes(a, sizeof a);
  evutil_secure_rng_get_bytes(b, sizeof b);
  EXPECT_NE(memcmp(a, b, sizeof a), 0);
  // 64 zero bytes by chance: probability 2^-512.
  EXPECT_TRUE(std::any_of(a, a + sizeof a, [](unsigned char c) { return c != 0; }));
  // Odd sizes and a large buffer; every byte value should show up in 1 MiB.
  std::vector<unsigned char> big(1 << 20, 0);
  evutil_secure_rng_get_bytes(big.data(), big.size());
  std::set<unsigned char> seen(big.begin(), big.end());
  EXPECT_EQ(seen.size(), 256u);
  unsigned char one[3] = {0, 0, 0x5a};
  evutil_secure_rng_get_bytes(one, 2);
  EXPECT_EQ(one[2], 0x5a);
  evutil_secure_rng_get_bytes(one, 0);
  EXPECT_EQ(one[2], 0x5a);
}

TEST(SecureRng, DeviceFileIsNotUsed) {
  // Debian's build draws on arc4random(), so naming a device file fails with -1 and
  // has no effect; vigil, drawing on getrandom(2), behaves the same.
  char dev[] = "/dev/urandom";
  char missing[] = "/nonexistent/random/device";
  EXPECT_EQ(evutil_secure_rng_set_urandom_device_file(dev), -1);
  EXPECT_EQ(evutil_secure_rng_set_urandom_device_file(missing), -1);
  EXPECT_EQ(evutil_secure_rng_init(), 0);
  unsigned char a[16] = {0};
  evutil_secure_rng_get_bytes(a, sizeof a);
  EXPECT_TRUE(std::any_of(a, a + sizeof a, [](unsigned char c) { return c != 0; }));
}

TEST(SecureRng, AddBytesIsHarmless) {
  std::string junk(1000, 'A');
  evutil_secure_rng_add_bytes(junk.data(), junk.size());
  evutil_secure_rng_add_bytes(nullptr, 0);
  unsigned char a[32], b[32];
  evutil_secure_rng_get_bytes(a, sizeof a);
  evutil_secure_rng_add_bytes(junk.data(), junk.size());
  evutil_secure_rng_get_bytes(b, sizeof b);
  EXPECT_NE(memcmp(a, b, sizeof a), 0);
}

TEST(SecureRng, ParentAndChildDifferAfterFork) {
  ASSERT_EQ(evutil_secure_rng_init(), 0);
  unsigned char warm[8];
  evutil_secure_rng_get_bytes(warm, sizeof warm);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    unsigned char c[32];
    evutil_secure_rng_get_bytes(c, sizeof c);
    ssize_t w = write(fds[1], c, sizeof c);
    _exit(w == ssize_t(sizeof c) ? 0 : 1);
  }
  close(fds[1]);
  unsigned char p[32], c[32];
  evutil_secure_rng_get_bytes(p, sizeof p);
  ASSERT_EQ(read(fds[0], c, sizeof c), ssize_t(sizeof c));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(memcmp(p, c, sizeof p), 0);
}

// -------------------------------------------------------------- monotonic timer ----

TEST(MonotonicTimer, NewAndFree) {
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  ASSERT_NE(t, nullptr);
  evutil_monotonic_timer_free(t);
  evutil_monotonic_timer_free(nullptr);
}

TEST(MonotonicTimer, DefaultIsTheCoarseMonotonicClock) {
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  ASSERT_EQ(evutil_configure_monotonic_time(t, 0), 0);
  const long long before = clock_us(CLOCK_MONOTONIC_COARSE);
  const long long got = read_timer(t);
  const long long after = clock_us(CLOCK_MONOTONIC_COARSE);
  EXPECT_GE(got, before);
  EXPECT_LE(got, after);
  long long last = got;
  for (int i = 0; i < 1000; ++i) {
    const long long now = read_timer(t);
    EXPECT_GE(now, last);
    last = now;
  }
  // Unknown flag bits change nothing.
  ASSERT_EQ(evutil_configure_monotonic_time(t, 0x100), 0);
  EXPECT_LE(std::llabs(read_timer(t) - clock_us(CLOCK_MONOTONIC_COARSE)), kSlackUs);
  evutil_monotonic_timer_free(t);
}

TEST(MonotonicTimer, PreciseIsClockMonotonic) {
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  ASSERT_EQ(evutil_configure_monotonic_time(t, EV_MONOT_PRECISE), 0);
  const long long before = clock_us(CLOCK_MONOTONIC);
  const long long got = read_timer(t);
  const long long after = clock_us(CLOCK_MONOTONIC);
  EXPECT_GE(got, before);
  EXPECT_LE(got, after);
  // Microsecond resolution: a 2 ms sleep shows up as at least 2000 us.
  const long long a = read_timer(t);
  usleep(2000);
  const long long b = read_timer(t);
  EXPECT_GE(b - a, 2000);
  evutil_monotonic_timer_free(t);
}

TEST(MonotonicTimer, FallbackFollowsTheWallClock) {
  for (int flags : {EV_MONOT_FALLBACK, EV_MONOT_FALLBACK | EV_MONOT_PRECISE}) {
    evutil_monotonic_timer* t = evutil_monotonic_timer_new();
    ASSERT_EQ(evutil_configure_monotonic_time(t, flags), 0);
    const long long got = read_timer(t);
    EXPECT_LE(std::llabs(got - wall_us()), kSlackUs) << flags;
    long long last = got;
    for (int i = 0; i < 1000; ++i) {
      const long long now = read_timer(t);
      EXPECT_GE(now, last);
      last = now;
    }
    evutil_monotonic_timer_free(t);
  }
}

TEST(MonotonicTimer, UnconfiguredTimerReadsTheRealtimeClock) {
  // libevent's new timer is zeroed, and clock id 0 is CLOCK_REALTIME: reading it
  // before configuring it gives wall-clock time.
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  const long long got = read_timer(t);
  EXPECT_LE(std::llabs(got - wall_us()), kSlackUs);
  evutil_monotonic_timer_free(t);
}

TEST(MonotonicTimer, ReconfigureSwitchesClocks) {
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  ASSERT_EQ(evutil_configure_monotonic_time(t, EV_MONOT_FALLBACK), 0);
  EXPECT_LE(std::llabs(read_timer(t) - wall_us()), kSlackUs);
  ASSERT_EQ(evutil_configure_monotonic_time(t, EV_MONOT_PRECISE), 0);
  EXPECT_LE(std::llabs(read_timer(t) - clock_us(CLOCK_MONOTONIC)), kSlackUs);
  evutil_monotonic_timer_free(t);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(MonotonicTimer, NullArguments) {
  // libevent dereferences these; vigil fails with -1.
  timeval tv;
  EXPECT_EQ(evutil_configure_monotonic_time(nullptr, 0), -1);
  EXPECT_EQ(evutil_gettime_monotonic(nullptr, &tv), -1);
  evutil_monotonic_timer* t = evutil_monotonic_timer_new();
  EXPECT_EQ(evutil_gettime_monotonic(t, nullptr), -1);
  evutil_monotonic_timer_free(t);
}
#endif
