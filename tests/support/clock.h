// Time helpers shared by the suites' support headers: milliseconds on the monotonic
// clock and timevals from milliseconds. Plain POSIX, so they build against vigil and
// against the system libevent for the oracle runs alike.
#pragma once

#include <sys/time.h>
#include <time.h>

namespace vigil_test {

// Milliseconds on CLOCK_MONOTONIC (the precise clock, never the coarse one).
inline double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Milliseconds on CLOCK_MONOTONIC_COARSE, the clock vigil and libevent 2.1.12 time events
// with on a base without EVENT_BASE_FLAG_PRECISE_TIMER. A timeout measured on it from a
// moment before the timer was armed is never short, however late the machine's ticks
// come, so such a test needs no kEarly slack.
inline double coarse_now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

inline timeval tv_ms(long ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

// Upper slack for "it happened, and not absurdly late" on a loaded 2-core machine.
constexpr double kLate = 2000.0;

// Lower slack for "not early". Without EVENT_BASE_FLAG_PRECISE_TIMER both vigil and
// libevent 2.1.12 read CLOCK_MONOTONIC_COARSE, which lags the precise clock by a kernel
// tick (4 ms at HZ=250, 10 ms at HZ=100) and, in a virtual machine whose ticks arrive
// late, by some milliseconds more (7.5 ms seen with 4 ms ticks), so a deadline taken
// from it can fall that far before the caller's precise "now" and the timer fires that
// much early. One tick, measured on this machine, plus 8 ms.
inline double coarse_tick_ms() {
  timespec res{};
  if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0) return 10.0;
  return static_cast<double>(res.tv_sec) * 1e3 + static_cast<double>(res.tv_nsec) / 1e6;
}
inline const double kEarly = coarse_tick_ms() + 8.0;

}  // namespace vigil_test
