// struct event_base and the pieces it is made of. The C API (event.h) sees the base as
// an opaque pointer; everything here is internal.
#pragma once

#include "core/runtime.hpp"
#include "core/timer_heap.hpp"
#include "thread/thread.hpp"

#include <climits>
#include <csignal>

// Short names for struct event's nested members (the public layout is libevent's).
#define ev_flags ev_evcallback.evcb_flags
#define ev_pri ev_evcallback.evcb_pri
#define ev_closure ev_evcallback.evcb_closure
#define ev_callback ev_evcallback.evcb_cb_union.evcb_callback
#define ev_arg ev_evcallback.evcb_arg
#define ev_io_next ev_.ev_io.ev_io_next
#define ev_io_timeout ev_.ev_io.ev_timeout
#define ev_signal_next ev_.ev_signal.ev_signal_next
#define ev_ncalls ev_.ev_signal.ev_ncalls
#define ev_pncalls ev_.ev_signal.ev_pncalls

namespace vigil {

class Backend;

// What an event's callback slot holds (event_callback::evcb_closure).
enum Closure : uint8_t {
    kClosureEvent = 0,          // one-shot I/O or timer event
    kClosureSignal = 1,         // signal event: the callback runs ev_ncalls times
    kClosurePersist = 2,        // EV_PERSIST event: its timeout is rescheduled before the callback
    kClosureCbSelf = 3,         // bare event_callback (deferred work)
    kClosureCbFinalize = 4,     // bare event_callback being finalized
    kClosureEventFinalize = 5,  // event_finalize()
    kClosureEventFinalizeFree = 6,  // event_free_finalize()
};

// Private evcb_flags bit above libevent's EVLIST_* range: the event was (re)assigned
// since it was last added, so its fd may now name a different file than the kernel knows.
constexpr short kFlagFresh = 0x1000;

constexpr short kIoEvents = EV_READ | EV_WRITE | EV_CLOSED;

// Everything the base knows about one file descriptor.
struct FdSlot {
    event* head = nullptr;  // events on this fd, linked through ev_.ev_io.ev_io_next
    uint32_t nread = 0, nwrite = 0, nclose = 0, net = 0;  // how many added events want each
    uint8_t kernel = 0;    // interest the backend has registered (EV_READ|EV_WRITE|EV_CLOSED|EV_ET)
    bool queued = false;   // listed in event_base::changed_fds
    bool force = false;    // re-register even if the interest looks unchanged

    short wanted() const {
        short w = 0;
        if (nread) w |= EV_READ;
        if (nwrite) w |= EV_WRITE;
        if (nclose) w |= EV_CLOSED;
        if (w && net) w |= EV_ET;
        return w;
    }
};

// An intrusive FIFO of callbacks, linked through evcb_active_next like libevent's TAILQ.
struct CallbackQueue {
    event_callback* first = nullptr;
    event_callback** last = &first;

    CallbackQueue() = default;
    CallbackQueue(const CallbackQueue&) = delete;  // `last` may point into the object
    CallbackQueue& operator=(const CallbackQueue&) = delete;

    bool empty() const { return first == nullptr; }
    void push_back(event_callback* cb) {
        cb->evcb_active_next.tqe_next = nullptr;
        cb->evcb_active_next.tqe_prev = last;
        *last = cb;
        last = &cb->evcb_active_next.tqe_next;
    }
    void pop_front(event_callback* cb) {
        event_callback* next = cb->evcb_active_next.tqe_next;
        first = next;
        if (next)
            next->evcb_active_next.tqe_prev = &first;
        else
            last = &first;
    }
    void remove(event_callback* cb) {
        event_callback* next = cb->evcb_active_next.tqe_next;
        if (next)
            next->evcb_active_next.tqe_prev = cb->evcb_active_next.tqe_prev;
        else
            last = cb->evcb_active_next.tqe_prev;
        *cb->evcb_active_next.tqe_prev = next;
    }
};

// Events sharing one timeout duration, kept in deadline order so only the head needs a
// heap entry (event_base_init_common_timeout).
struct CommonTimeout {
    event_list events;  // linked through ev_timeout_pos.ev_next_with_common_timeout
    timeval duration;   // encoded: tv_usec carries kCommonMagic and the list's index
    event timer;        // internal event for the earliest deadline
    event_base* base;
};
constexpr int kMaxCommonTimeouts = 256;
constexpr suseconds_t kUsecMask = 0x000fffff;
constexpr suseconds_t kCommonIndexMask = 0x0ff00000;
constexpr int kCommonIndexShift = 20;
constexpr suseconds_t kCommonMagicMask = 0x70000000;
constexpr suseconds_t kCommonMagic = 0x60000000;

struct OnceEvent {
    event ev;
    event_callback_fn cb;
    void* arg;
    OnceEvent* next;
    OnceEvent** prev;
};

// Self-pipe signal delivery for one base.
struct SignalState {
    int pipe[2] = {-1, -1};   // the handler writes signal numbers to [1]; the base reads [0]
    event reader;             // internal EV_READ|EV_PERSIST on pipe[0]
    bool reader_added = false;
    int nadded = 0;           // signals with at least one event
    struct sigaction* saved[NSIG] = {};  // handlers to restore when a signal's last event goes
};

}  // namespace vigil

struct event_config {
    vigil::Vec<char*> avoided;  // method names, owned
    int require_features = 0;
    int flags = 0;
    int n_cpus_hint = 0;
    timeval max_dispatch_interval{-1, 0};
    int max_dispatch_callbacks = INT_MAX;
    int limit_callbacks_after_prio = 1;

    ~event_config() {
        for (char* s : avoided) vigil::mm_free(s);
    }
};

struct event_base {
    event_base() : interrupt_flags(0) {}

    vigil::Backend* backend = nullptr;
    const char* method_name = "";
    int flags = 0;  // EVENT_BASE_FLAG_* in effect

    // I/O
    vigil::Vec<vigil::FdSlot> fds;
    vigil::Vec<int> changed_fds;  // slots whose interest changed since the last reconcile

    // signals
    event* sig_heads[NSIG] = {};
    vigil::SignalState sig;

    // timers
    vigil::TimerHeap timers;
    vigil::Vec<vigil::CommonTimeout*> common_timeouts;

    // active callbacks, one FIFO per priority (0 runs first)
    vigil::CallbackQueue* active = nullptr;
    int nactive = 0;
    // Deferred callbacks (src/core/deferred.cpp) wait here for the next iteration; they
    // are counted in event_count_active already, so the loop neither blocks nor exits.
    vigil::CallbackQueue active_later;

    // counters behind event_base_get_num_events / get_max_events
    int event_count = 0, event_count_max = 0;
    int event_count_active = 0, event_count_active_max = 0;
    int virtual_event_count = 0, virtual_event_count_max = 0;
    bool peaks_pending = false;  // counts rose without updating the maxima (note_count_peaks)

    // loop control
    bool running_loop = false;
    bool got_term = false;
    // got_break and got_continue are checked after every callback: one load covers both.
    union {
        struct {
            bool got_break;
            bool got_continue;
        };
        uint16_t interrupt_flags;
    };
    int running_priority = -1;
    event_callback* current_callback = nullptr;

    clockid_t clock_id = CLOCK_MONOTONIC;  // CLOCK_MONOTONIC_COARSE unless PRECISE_TIMER
    // time: cached monotonic now while callbacks run, and wall - monotonic
    vigil::Micros time_cache = 0;
    vigil::Micros clock_diff = 0;
    vigil::Micros clock_synced_at = -1;  // never

    // dispatch limits (event_config_set_max_dispatch_interval)
    vigil::Micros max_dispatch_time = -1;
    int max_dispatch_callbacks = INT_MAX;
    int limit_callbacks_after_prio = 1;

    vigil::OnceEvent* once_events = nullptr;

    // threads (event2/thread.h): all null/false for a base made without lock callbacks
    // or with EVENT_BASE_FLAG_NOLOCK, and then none of it costs anything.
    void* th_lock = nullptr;         // recursive lock over everything above
    void* th_cond = nullptr;         // signalled when a running callback returns
    unsigned long th_owner = 0;      // thread running the loop
    int th_waiters = 0;              // threads waiting in event_del for current_callback
    bool in_wait = false;            // the loop thread is blocked in the backend, unlocked
    bool notify_pending = false;     // a wake-up is written and not yet read
    int notify_fd = -1;              // eventfd that wakes the loop
    event notify_ev{};               // internal reader of notify_fd

    void lock() {
        if (VIGIL_UNLIKELY(th_lock != nullptr)) vigil::lock_acquire(th_lock);
    }
    void unlock() {
        if (VIGIL_UNLIKELY(th_lock != nullptr)) vigil::lock_release(th_lock);
    }
    // Called with the lock held after a change: wakes a loop blocked in the backend.
    void wake_if_waiting() {
        if (VIGIL_UNLIKELY(in_wait) && !notify_pending) notify();
    }
    void notify();
    int make_notifiable();
    // Waits (lock held) until the callback cb, running in the loop thread, returns.
    void wait_for_callback(event_callback* cb);
    bool in_loop_thread() const { return !th_lock || !running_loop || th_owner == vigil::current_thread_id(); }

    // ---- implemented in src/core/*.cpp
    // The loop's notion of now: read from the clock at most once per iteration (unless
    // EVENT_BASE_FLAG_NO_CACHE_TIME), and only if something asks.
    vigil::Micros now() {
        if (time_cache) return time_cache;
        vigil::Micros t = vigil::mono_now(clock_id);
        if (running_loop && !(flags & EVENT_BASE_FLAG_NO_CACHE_TIME)) time_cache = t;
        return t;
    }
    void clear_time_cache() { time_cache = 0; }
    vigil::Micros wall_from_mono(vigil::Micros mono);

    int add_event(event* ev, const timeval* tv, bool tv_is_absolute);
    int del_event(event* ev, bool even_if_finalizing = false);
    // Makes ev active with result res. kFromCallback = false for the loop's own wake-ups
    // (backend readiness, expired timers), which happen while no callback runs.
    template <bool kFromCallback = true>
    inline void activate(event* ev, short res, short ncalls);
    inline void note_count_peaks();
    void activate_slow(event* ev, short res, short ncalls);
    inline bool activate_callback(event_callback* cb);
    inline void remove_active(event_callback* cb);
    bool has_events() const { return virtual_event_count > 0 || event_count > 0; }
    int n_active_callbacks() const { return event_count_active; }

    // fd and signal maps
    int io_add(event* ev);
    void io_del(event* ev);
    inline void io_ready(int fd, short what);
    int reconcile_changes();
    int signal_add(event* ev);
    void signal_del(event* ev);
    void signal_ready(int sig, int ncalls);
    int signal_reinit();
    void signal_free();

    // timeouts
    void timeout_insert(event* ev);
    void timeout_remove(event* ev);
    void timeout_process();
    vigil::CommonTimeout* common_timeout_of(const timeval* tv) const;
    void common_timeout_schedule(vigil::CommonTimeout* ct);

    int priority_init(int n);
    int loop(int flags);
    template <bool kLocked>
    __attribute__((always_inline)) inline int process_active();
    template <bool kLocked>
    int run_loop(int flags);
    template <bool kLocked>
    int process_queue(vigil::CallbackQueue& q, bool limited, int max_to_process, vigil::Micros endtime);
    void run_persist_timeout(event* ev);
    template <bool kLocked>
    void run_callback(event_callback* cb, uint8_t closure);
    void cancel_all_callbacks(bool run_finalizers);
    void activate_later_callbacks();
    ~event_base();
};

namespace vigil {
inline event* as_event(event_callback* cb) { return reinterpret_cast<event*>(cb); }
inline event_callback* as_callback(event* ev) { return &ev->ev_evcallback; }
// True when the tv passed to event_add names one of base's common timeouts.
inline bool is_common_timeout_tv(const timeval* tv) {
    return (tv->tv_usec & kCommonMagicMask) == kCommonMagic;
}
// A pending event's ev_timeout holds its deadline in monotonic microseconds in tv_sec,
// and in tv_usec only the common-timeout tag (kCommonMagic | index), or 0. One integer
// compare orders the timer heap. (libevent's field holds monotonic time too, so no
// program could use it as a wall-clock time.)
inline Micros deadline_of(const event* ev) { return Micros(ev->ev_timeout.tv_sec); }
inline timeval make_deadline(Micros when, suseconds_t tag) {
    timeval tv;
    tv.tv_sec = time_t(when);
    tv.tv_usec = tag;
    return tv;
}
event_base* new_base(const event_config* cfg);
void free_base(event_base* base, bool run_finalizers);
bool base_is_live(const event_base* base);
}  // namespace vigil

// ---- the hot path, inline so backends and the loop pay no call for it

inline bool event_base::activate_callback(event_callback* cb) {
    if (cb->evcb_flags & EVLIST_ACTIVE) return false;
    cb->evcb_flags = short(cb->evcb_flags | EVLIST_ACTIVE);
    event_count += !(cb->evcb_flags & EVLIST_INTERNAL);
    ++event_count_active;
    peaks_pending = true;
    active[cb->evcb_pri].push_back(cb);
    return true;
}

// The peaks reported by event_base_get_max_events. Activations from the backend skip
// this; the loop calls it after each dispatch, when those counts are highest.
inline void event_base::note_count_peaks() {
    if (!peaks_pending) return;
    peaks_pending = false;
    if (event_count > event_count_max) event_count_max = event_count;
    if (event_count_active > event_count_active_max) event_count_active_max = event_count_active;
}

template <bool kFromCallback>
inline void event_base::activate(event* ev, short res, short ncalls) {
    constexpr short kSlow = EVLIST_ACTIVE | EVLIST_ACTIVE_LATER | EVLIST_FINALIZING | EVLIST_INTERNAL;
    if (VIGIL_UNLIKELY((ev->ev_flags & kSlow) || (ev->ev_events & EV_SIGNAL))) {
        activate_slow(ev, res, ncalls);
        return;
    }
    // An idle, user-visible, non-signal event: the only kind the backend wakes in bulk.
    ev->ev_res = res;
    // While callbacks run, a more urgent activation makes the loop look again.
    if (kFromCallback && VIGIL_UNLIKELY(int(ev->ev_pri) < running_priority)) got_continue = true;
    ev->ev_flags = short(ev->ev_flags | EVLIST_ACTIVE);
    ++event_count;
    ++event_count_active;
    peaks_pending = true;
    active[ev->ev_pri].push_back(vigil::as_callback(ev));
}

inline void event_base::remove_active(event_callback* cb) {
    cb->evcb_flags = short(cb->evcb_flags & ~EVLIST_ACTIVE);
    if (!(cb->evcb_flags & EVLIST_INTERNAL)) --event_count;
    --event_count_active;
    active[cb->evcb_pri].remove(cb);
}

// fd is always inside the map: backends only report fds that io_add registered.
inline void event_base::io_ready(int fd, short what) {
    for (event* ev = fds[size_t(fd)].head; ev;) {
        event* next = ev->ev_io_next.le_next;
        short res = short(what & ev->ev_events);
        if (res & vigil::kIoEvents) activate<false>(ev, res, 1);
        ev = next;
    }
}

namespace vigil {
// Holds a base's lock for a scope and, on the way out, wakes its loop if it is blocked
// waiting (another thread changed what it waits for). Free for unlocked bases.
class BaseGuard {
public:
    explicit BaseGuard(event_base* b) : b_(b && b->th_lock ? b : nullptr) {
        if (b_) lock_acquire(b_->th_lock);
    }
    ~BaseGuard() {
        if (b_) {
            b_->wake_if_waiting();
            lock_release(b_->th_lock);
        }
    }
    BaseGuard(const BaseGuard&) = delete;
    BaseGuard& operator=(const BaseGuard&) = delete;

private:
    event_base* b_;
};
}  // namespace vigil
