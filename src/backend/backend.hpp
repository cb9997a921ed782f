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
    // The same for a base with a lock: it is released while the kernel waits.
    virtual int dispatch_locked(event_base& base, Micros timeout_us) = 0;
};

// Backends write one `template <bool kLocked> int run(event_base&, Micros)` that brackets
// the kernel wait with wait_begin/wait_end when kLocked; this supplies both entry points,
// so an unlocked base runs code with no trace of locking.
template <class Impl>
class BackendWith : public Backend {
public:
    int dispatch(event_base& base, Micros timeout_us) override {
        return static_cast<Impl*>(this)->template run<false>(base, timeout_us);
    }
    int dispatch_locked(event_base& base, Micros timeout_us) override {
        return static_cast<Impl*>(this)->template run<true>(base, timeout_us);
    }
};

inline void wait_begin(event_base& base) {
    base.in_wait = true;
    lock_release(base.th_lock);
}
inline void wait_end(event_base& base) {
    lock_acquire(base.th_lock);
    base.in_wait = false;
}

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
