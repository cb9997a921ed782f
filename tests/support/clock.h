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
// come (the precise clock, read the same way, can show it up to a few ticks short).
inline double coarse_now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Milliseconds on the clock a base times its events with: CLOCK_MONOTONIC with
// EVENT_BASE_FLAG_PRECISE_TIMER, else CLOCK_MONOTONIC_COARSE. Read before the library
// reads it to arm a timer (so, for a timer armed in a callback, before that loop
// iteration began) and again when or after the callback runs, the two are at least
// the timeout apart: the deadline is the library's "now" at arming plus the timeout,
// and it fires only once its "now" has reached it.
inline double base_clock_ms(bool precise) { return precise ? now_ms() : coarse_now_ms(); }

// Both libraries keep time in whole microseconds, truncated, so a timeout measured as
// above can come out this much short, no more.
constexpr double kMicrosecond = 0.001;

inline timeval tv_ms(long ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

// Upper slack for "it happened, and not absurdly late" on a loaded 2-core machine.
constexpr double kLate = 2000.0;

}  // namespace vigil_test
