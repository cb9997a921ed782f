// The contract between the core and an I/O multiplexer. A backend knows nothing of
// events, timers or priorities: the core tells it which interest each fd should have,
// and it reports readiness back through event_base::io_ready.
#pragma once

#include "core/base.hpp"

namespace vigil {

class Backend {
public:
    virtual ~Backend() = default;
    // Change what the kernel watches on fd from `had` to `want` (sets of EV_READ,
    // EV_WRITE, EV_CLOSED and EV_ET; 0 means not watched). Returns 0 or -1 (logged).
    virtual int update(int fd, short had, short want) = 0;
    // Wait at most timeout_us microseconds (-1: no limit) and report each ready fd with
    // base.io_ready(fd, EV_READ|EV_WRITE|...). An interrupted wait is not an error.
    virtual int dispatch(event_base& base, Micros timeout_us) = 0;
};

struct BackendInfo {
    const char* name;
    int features;
    // Returns nullptr (with a logged reason) when the mechanism is unavailable.
    Backend* (*create)(int base_flags);
};

// In preference order, as libevent picks them.
extern const BackendInfo kBackends[];
extern const int kNumBackends;

Backend* create_epoll(int base_flags);
Backend* create_poll(int base_flags);
Backend* create_select(int base_flags);

// Milliseconds for poll-style timeouts, rounded up so a timer never fires early.
inline int timeout_ms(Micros timeout_us) {
    if (timeout_us < 0) return -1;
    constexpr Micros kMaxMs = 35 * 60 * 1000;  // keep far below INT_MAX and old kernels' limits
    Micros ms = (timeout_us + 999) / 1000;
    return int(ms > kMaxMs ? kMaxMs : ms);
}

}  // namespace vigil
