// The public monotonic timer of event2/util.h.
//
// Behaviour kept from libevent 2.1.12 on Linux:
//  * evutil_configure_monotonic_time(t, 0) uses CLOCK_MONOTONIC_COARSE (cheap, about a
//    jiffy of resolution), EV_MONOT_PRECISE uses CLOCK_MONOTONIC, and EV_MONOT_FALLBACK
//    (alone or with EV_MONOT_PRECISE) uses gettimeofday() with a correction that keeps
//    the readings from ever going backwards. Configuring always succeeds.
//  * A timer read before it was ever configured reads clock id 0, CLOCK_REALTIME: the
//    zeroed state libevent allocates happens to name that clock. vigil does the same,
//    so such a reading is wall-clock time.
#include "core/runtime.hpp"

#include <sys/time.h>
#include <time.h>

struct evutil_monotonic_timer {
    clockid_t clock = CLOCK_REALTIME;  // see the note above
    bool use_wall_clock = false;       // EV_MONOT_FALLBACK: gettimeofday() + correction
    vigil::Micros correction = 0;      // added to wall-clock readings
    vigil::Micros last = 0;            // the last wall-clock based reading returned
};

extern "C" {

VIGIL_EXPORT struct evutil_monotonic_timer* evutil_monotonic_timer_new(void) {
    return vigil::mm_new<evutil_monotonic_timer>();
}

VIGIL_EXPORT void evutil_monotonic_timer_free(struct evutil_monotonic_timer* timer) { vigil::mm_delete(timer); }

VIGIL_EXPORT int evutil_configure_monotonic_time(struct evutil_monotonic_timer* timer, int flags) {
    if (!timer) return -1;
    timespec ts;
    const bool precise = (flags & EV_MONOT_PRECISE) != 0;
    const bool fallback = (flags & EV_MONOT_FALLBACK) != 0;
    if (!precise && !fallback && clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0) {
        timer->clock = CLOCK_MONOTONIC_COARSE;
        timer->use_wall_clock = false;
        return 0;
    }
    if (!fallback && clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
        timer->clock = CLOCK_MONOTONIC;
        timer->use_wall_clock = false;
        return 0;
    }
    timer->use_wall_clock = true;
    return 0;
}

VIGIL_EXPORT int evutil_gettime_monotonic(struct evutil_monotonic_timer* timer, struct timeval* tp) {
    if (!timer || !tp) return -1;
    if (!timer->use_wall_clock) {
        timespec ts;
        if (clock_gettime(timer->clock, &ts) != 0) return -1;
        tp->tv_sec = ts.tv_sec;
        tp->tv_usec = suseconds_t(ts.tv_nsec / 1000);
        return 0;
    }
    timeval wall;
    if (gettimeofday(&wall, nullptr) != 0) return -1;
    vigil::Micros now = vigil::tv_to_us(wall) + timer->correction;
    if (now < timer->last) {
        // The wall clock stepped back: absorb the step so the reading stays put.
        timer->correction += timer->last - now;
        now = timer->last;
    }
    timer->last = now;
    *tp = vigil::us_to_tv(now);
    return 0;
}

}  // extern "C"
