// The per-event API of event.h: assign, add, delete, activate, inspect, finalize.
#include "core/base.hpp"
#include "core/owned_event.hpp"

#include <cstring>

using namespace vigil;

namespace {

// event_self_cbarg() returns the address of this object; event_assign swaps it for the event.
char g_self_cbarg_marker;

bool bad_timeout(const timeval* tv) {
    if (is_common_timeout_tv(tv)) return false;
    return tv->tv_sec < 0 || tv->tv_usec < 0;
}

// Whether ev is really linked into its base, as opposed to memory that merely has the
// flag bits set (event_assign is often given uninitialised storage).
bool really_added(const event* ev) {
    short f = ev->ev_flags;
    if (!(f & EVLIST_INIT) || !(f & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)))
        return false;
    event_base* base = ev->ev_base;
    if (!base || !base_is_live(base)) return false;
    if (f & EVLIST_INSERTED) {
        event* head = nullptr;
        if (ev->ev_events & EV_SIGNAL) {
            if (ev->ev_fd > 0 && ev->ev_fd < NSIG) head = base->sig_heads[ev->ev_fd];
            for (event* e = head; e; e = e->ev_signal_next.le_next)
                if (e == ev) return true;
        } else if (ev->ev_fd >= 0 && size_t(ev->ev_fd) < base->fds.size()) {
            for (event* e = base->fds[size_t(ev->ev_fd)].head; e; e = e->ev_io_next.le_next)
                if (e == ev) return true;
        }
    }
    if ((f & EVLIST_TIMEOUT) && !is_common_timeout_tv(&ev->ev_timeout)) {
        int i = ev->ev_timeout_pos.min_heap_idx;
        if (i >= 0 && size_t(i) < base->timers.size() && base->timers.at(size_t(i)) == ev) return true;
    }
    if (f & EVLIST_ACTIVE) {
        for (int p = 0; p < base->nactive; ++p)
            for (event_callback* cb = base->active[p].first; cb; cb = cb->evcb_active_next.tqe_next)
                if (cb == &ev->ev_evcallback) return true;
    }
    return false;
}

int assign(event* ev, event_base* base, evutil_socket_t fd, short events, event_callback_fn cb, void* arg) {
    if (!ev) {
        vigil_warn("event_assign: NULL event");
        return -1;
    }
    if (!base) base = event_global_current_base_;
    debug_assert_not_added(ev, "event_assign");
    if (really_added(ev)) {
        vigil_warn("event_assign: event %p is added to a base; delete it before assigning it again",
                   static_cast<void*>(ev));
        return -1;
    }
    if ((events & EV_SIGNAL) && (events & kIoEvents)) {
        vigil_warn("event_assign: EV_SIGNAL cannot be combined with EV_READ, EV_WRITE or EV_CLOSED");
        return -1;
    }
    if (arg == &g_self_cbarg_marker) arg = ev;
    ev->ev_base = base;
    ev->ev_callback = cb;
    ev->ev_arg = arg;
    ev->ev_fd = fd;
    ev->ev_events = events;
    ev->ev_res = 0;
    ev->ev_flags = EVLIST_INIT | kFlagFresh;
    ev->ev_ncalls = 0;
    ev->ev_pncalls = nullptr;
    if (events & EV_SIGNAL) {
        ev->ev_closure = kClosureSignal;
    } else if (events & EV_PERSIST) {
        timerclear(&ev->ev_io_timeout);
        ev->ev_closure = kClosurePersist;
    } else {
        ev->ev_closure = kClosureEvent;
    }
    ev->ev_timeout_pos.min_heap_idx = -1;
    ev->ev_pri = uint8_t(base ? base->nactive / 2 : 0);
    debug_note_setup(ev);
    return 0;
}

bool check_event(const event* ev, const char* func) {
    if (VIGIL_UNLIKELY(!ev)) {
        vigil_warn("%s: NULL event", func);
        return false;
    }
    debug_assert_is_setup(ev, func);
    if (VIGIL_UNLIKELY(!ev->ev_base)) {
        vigil_warn("%s: event has no event_base set", func);
        return false;
    }
    return true;
}

}  // namespace

// ---- the state machine shared by the API and the loop

// A signal callback repeating for several deliveries counts down a variable on the
// loop's stack (ev_pncalls): zero it, and forget it so nothing writes there later.
static void stop_signal_repeats(event* ev) {
    *ev->ev_pncalls = 0;
    ev->ev_pncalls = nullptr;
    ev->ev_ncalls = 0;
}

int event_base::add_event(event* ev, const timeval* tv, bool tv_is_absolute) {
    if (VIGIL_UNLIKELY(ev->ev_flags & EVLIST_FINALIZING)) return -1;
    if (tv && !tv_is_absolute && VIGIL_UNLIKELY(bad_timeout(tv))) {
        vigil_warn("event_add: negative timeout {%ld, %ld}", long(tv->tv_sec), long(tv->tv_usec));
        return -1;
    }
    CommonTimeout* ct = nullptr;
    if (tv && is_common_timeout_tv(tv)) {
        ct = common_timeout_of(tv);
        if (!ct) {
            vigil_warn("event_add: timeout %p is a common timeout of another event_base", static_cast<const void*>(tv));
            return -1;
        }
    }

    if ((ev->ev_events & (kIoEvents | EV_SIGNAL)) &&
        !(ev->ev_flags & (EVLIST_INSERTED | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER))) {
        int r = (ev->ev_events & EV_SIGNAL) ? signal_add(ev) : io_add(ev);
        if (r < 0) return -1;
        ev->ev_flags |= EVLIST_INSERTED;
        if (!(ev->ev_flags & EVLIST_INTERNAL)) {
            ++event_count;
            if (event_count > event_count_max) event_count_max = event_count;
        }
    }
    ev->ev_flags &= ~kFlagFresh;

    if (tv) {
        if (ev->ev_closure == kClosurePersist && !tv_is_absolute) ev->ev_io_timeout = *tv;
        if (ev->ev_flags & EVLIST_TIMEOUT) timeout_remove(ev);
        // A pending timeout activation is superseded by the new timeout.
        if ((ev->ev_flags & EVLIST_ACTIVE) && (ev->ev_res & EV_TIMEOUT)) {
            if ((ev->ev_events & EV_SIGNAL) && ev->ev_ncalls && ev->ev_pncalls) stop_signal_repeats(ev);
            remove_active(as_callback(ev));
        }
        if (tv_is_absolute) {
            ev->ev_timeout = *tv;  // already a deadline (make_deadline)
        } else if (ct) {
            timeval d = *tv;
            d.tv_usec &= kUsecMask;
            ev->ev_timeout = make_deadline(now() + tv_to_us(d), tv->tv_usec & ~kUsecMask);
        } else {
            ev->ev_timeout = make_deadline(now() + tv_to_us(*tv), 0);
        }
        timeout_insert(ev);
    }
    debug_note_add(ev);
    return 0;
}

int event_base::del_event(event* ev, bool even_if_finalizing) {
    if (!even_if_finalizing && (ev->ev_flags & EVLIST_FINALIZING)) return 0;
    // Stop a signal callback that is being repeated for several deliveries.
    if ((ev->ev_events & EV_SIGNAL) && ev->ev_ncalls && ev->ev_pncalls) stop_signal_repeats(ev);
    short f = ev->ev_flags;
    if (f & EVLIST_TIMEOUT) timeout_remove(ev);
    if (f & EVLIST_ACTIVE) remove_active(as_callback(ev));
    if (f & EVLIST_INSERTED) {
        ev->ev_flags &= ~EVLIST_INSERTED;
        if (!(f & EVLIST_INTERNAL)) --event_count;
        if (ev->ev_events & EV_SIGNAL)
            signal_del(ev);
        else
            io_del(ev);
    }
    debug_note_del(ev);
    return 0;
}

// Activation of an event that is already active, finalizing, or a signal.
void event_base::activate_slow(event* ev, short res, short ncalls) {
    short f = ev->ev_flags;
    if (f & EVLIST_FINALIZING) return;
    if (f & EVLIST_ACTIVE) {
        ev->ev_res |= res;
        return;
    }
    ev->ev_res = res;
    if (int(ev->ev_pri) < running_priority) got_continue = true;
    if (ev->ev_events & EV_SIGNAL) {
        ev->ev_ncalls = ncalls;
        ev->ev_pncalls = nullptr;
    }
    activate_callback(as_callback(ev));
    note_count_peaks();
}

// ---- for components, on events they own (core/owned_event.hpp)

namespace {
// event_pending's test for what, without the timeout (lock held).
inline bool pending_locked(const event* ev, short what) {
    short f = ev->ev_flags;
    return ((f & EVLIST_INSERTED) && (ev->ev_events & what)) ||
           ((f & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) && (ev->ev_res & what));
}
}  // namespace

// Each is a leaf for a base without locks; the locked case is a separate function so
// that the common one needs no stack frame.

namespace {
bool activate_unless_pending_locked(event_base* base, event* ev, short what) {
    if (pending_locked(ev, what)) return false;
    base->activate(ev, what, 1);
    base->note_count_peaks();
    return true;
}
void del_if_pending_locked(event_base* base, event* ev) {
    if (ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) base->del_event(ev);
}

__attribute__((noinline)) bool pending_for_with_lock(event_base* base, event* ev, short what) {
    base->lock();
    bool r = pending_locked(ev, what);
    base->unlock();
    return r;
}
__attribute__((noinline)) bool activate_unless_pending_with_lock(event_base* base, event* ev, short what) {
    BaseGuard g(base);
    return activate_unless_pending_locked(base, ev, what);
}
__attribute__((noinline)) void del_if_pending_with_lock(event_base* base, event* ev) {
    BaseGuard g(base);
    del_if_pending_locked(base, ev);
}
}  // namespace

bool vigil::pending_for(event* ev, short what) {
    event_base* base = ev->ev_base;
    if (VIGIL_UNLIKELY(base->th_lock != nullptr)) return pending_for_with_lock(base, ev, what);
    return pending_locked(ev, what);
}

bool vigil::activate_unless_pending(event* ev, short what) {
    event_base* base = ev->ev_base;
    if (VIGIL_UNLIKELY(base->th_lock != nullptr)) return activate_unless_pending_with_lock(base, ev, what);
    return activate_unless_pending_locked(base, ev, what);
}

void vigil::del_if_pending(event* ev) {
    event_base* base = ev->ev_base;
    if (VIGIL_UNLIKELY(base->th_lock != nullptr)) return del_if_pending_with_lock(base, ev);
    del_if_pending_locked(base, ev);
}

// ---- C API

extern "C" {

VIGIL_EXPORT void* event_self_cbarg(void) { return &g_self_cbarg_marker; }

VIGIL_EXPORT int event_assign(struct event* ev, struct event_base* base, evutil_socket_t fd, short events,
                              event_callback_fn cb, void* arg) {
    return assign(ev, base, fd, events, cb, arg);
}

VIGIL_EXPORT struct event* event_new(struct event_base* base, evutil_socket_t fd, short events, event_callback_fn cb,
                                     void* arg) {
    event* ev = static_cast<event*>(mm_malloc(sizeof(event)));
    if (!ev) {
        log_errno("event_new: malloc");
        return nullptr;
    }
    memset(ev, 0, sizeof *ev);
    if (assign(ev, base, fd, events, cb, arg) < 0) {
        mm_free(ev);
        return nullptr;
    }
    return ev;
}

namespace {
enum class DelWait { kAuto, kBlock, kNoBlock };

// event_del from a thread other than the loop's waits until the event's running
// callback has returned (so the caller may free what it uses), unless told not to;
// EV_FINALIZE events never wait in the automatic mode.
__attribute__((always_inline)) inline int del_locked(event* ev, DelWait how, const char* func) {
    if (!check_event(ev, func)) return -1;
    event_base* base = ev->ev_base;
    if (VIGIL_LIKELY(!base->th_lock)) return base->del_event(ev);
    BaseGuard g(base);
    if (VIGIL_UNLIKELY(base->th_lock != nullptr) && how != DelWait::kNoBlock &&
        !(how == DelWait::kAuto && (ev->ev_events & EV_FINALIZE)))
        base->wait_for_callback(as_callback(ev));
    return base->del_event(ev);
}
}  // namespace

void event_base::wait_for_callback(event_callback* cb) {
    if (!th_cond) return;
    while (current_callback == cb && !in_loop_thread()) {
        ++th_waiters;
        cond_wait(th_cond, th_lock);
    }
}

VIGIL_EXPORT void event_free(struct event* ev) {
    if (!ev) return;
    debug_assert_is_setup(ev, "event_free");
    if (ev->ev_base) del_locked(ev, DelWait::kAuto, "event_free");
    debug_note_teardown(ev);
    mm_free(ev);
}

VIGIL_EXPORT int event_add(struct event* ev, const struct timeval* tv) {
    if (!check_event(ev, "event_add")) return -1;
    event_base* base = ev->ev_base;
    if (VIGIL_LIKELY(!base->th_lock)) return base->add_event(ev, tv, false);
    BaseGuard g(base);
    return base->add_event(ev, tv, false);
}

VIGIL_EXPORT int event_del(struct event* ev) { return del_locked(ev, DelWait::kAuto, "event_del"); }
VIGIL_EXPORT int event_del_block(struct event* ev) { return del_locked(ev, DelWait::kBlock, "event_del_block"); }
VIGIL_EXPORT int event_del_noblock(struct event* ev) {
    return del_locked(ev, DelWait::kNoBlock, "event_del_noblock");
}

VIGIL_EXPORT int event_remove_timer(struct event* ev) {
    if (!check_event(ev, "event_remove_timer")) return -1;
    BaseGuard g(ev->ev_base);
    if (ev->ev_flags & EVLIST_TIMEOUT) {
        ev->ev_base->timeout_remove(ev);
        timerclear(&ev->ev_io_timeout);
    }
    return 0;
}

VIGIL_EXPORT void event_active(struct event* ev, int res, short ncalls) {
    if (!check_event(ev, "event_active")) return;
    BaseGuard g(ev->ev_base);
    ev->ev_base->activate(ev, short(res), ncalls);
    ev->ev_base->note_count_peaks();
}

VIGIL_EXPORT int event_pending(const struct event* ev, short events, struct timeval* tv) {
    if (!ev) return 0;
    debug_assert_is_setup(ev, "event_pending");
    if (!ev->ev_base) {
        vigil_warn("event_pending: event has no event_base set");
        return 0;
    }
    BaseGuard g(ev->ev_base);
    int flags = 0;
    short f = ev->ev_flags;
    if (f & EVLIST_INSERTED) flags |= ev->ev_events & (kIoEvents | EV_SIGNAL);
    if (f & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) flags |= ev->ev_res;
    if (f & EVLIST_TIMEOUT) flags |= EV_TIMEOUT;
    events &= EV_TIMEOUT | kIoEvents | EV_SIGNAL;
    if (tv && (flags & events & EV_TIMEOUT)) {
        *tv = us_to_tv(ev->ev_base->wall_from_mono(deadline_of(ev)));
    }
    return flags & events;
}

VIGIL_EXPORT int event_initialized(const struct event* ev) {
    if (!ev) return 0;
    return ev->ev_flags & EVLIST_INIT;
}

VIGIL_EXPORT evutil_socket_t event_get_fd(const struct event* ev) { return ev->ev_fd; }
VIGIL_EXPORT struct event_base* event_get_base(const struct event* ev) { return ev->ev_base; }
VIGIL_EXPORT short event_get_events(const struct event* ev) { return ev->ev_events; }
VIGIL_EXPORT event_callback_fn event_get_callback(const struct event* ev) { return ev->ev_callback; }
VIGIL_EXPORT void* event_get_callback_arg(const struct event* ev) { return ev->ev_arg; }
VIGIL_EXPORT int event_get_priority(const struct event* ev) { return ev->ev_pri; }

VIGIL_EXPORT void event_get_assignment(const struct event* ev, struct event_base** base_out, evutil_socket_t* fd_out,
                                       short* events_out, event_callback_fn* callback_out, void** arg_out) {
    if (base_out) *base_out = ev->ev_base;
    if (fd_out) *fd_out = ev->ev_fd;
    if (events_out) *events_out = ev->ev_events;
    if (callback_out) *callback_out = ev->ev_callback;
    if (arg_out) *arg_out = ev->ev_arg;
}

VIGIL_EXPORT int event_priority_set(struct event* ev, int pri) {
    if (!check_event(ev, "event_priority_set")) return -1;
    BaseGuard g(ev->ev_base);
    if (ev->ev_flags & EVLIST_ACTIVE) return -1;
    if (pri < 0 || pri >= ev->ev_base->nactive) return -1;
    ev->ev_pri = uint8_t(pri);
    return 0;
}

VIGIL_EXPORT int event_base_set(struct event_base* base, struct event* ev) {
    if (!base || !ev) {
        vigil_warn("event_base_set: NULL %s", base ? "event" : "base");
        return -1;
    }
    // Only an event that is not added may move to another base.
    if (ev->ev_flags != (EVLIST_INIT | kFlagFresh) && ev->ev_flags != EVLIST_INIT) return -1;
    debug_assert_is_setup(ev, "event_base_set");
    ev->ev_base = base;
    ev->ev_pri = uint8_t(base->nactive / 2);
    return 0;
}

// The finalize API: the callback runs from the loop once the event can no longer run.
static int finalize(unsigned, event* ev, event_finalize_callback_fn cb, bool free_after) {
    if (!check_event(ev, free_after ? "event_free_finalize" : "event_finalize")) return -1;
    BaseGuard g(ev->ev_base);
    if (ev->ev_flags & EVLIST_FINALIZING) {
        vigil_warn("event_finalize: event %p is already being finalized", static_cast<void*>(ev));
        return -1;
    }
    event_base* base = ev->ev_base;
    base->del_event(ev);
    ev->ev_closure = free_after ? kClosureEventFinalizeFree : kClosureEventFinalize;
    ev->ev_evcallback.evcb_cb_union.evcb_evfinalize = cb;
    base->activate(ev, EV_FINALIZE, 1);
    ev->ev_flags |= EVLIST_FINALIZING;
    return 0;
}

VIGIL_EXPORT int event_finalize(unsigned flags, struct event* ev, event_finalize_callback_fn cb) {
    return finalize(flags, ev, cb, false);
}

VIGIL_EXPORT int event_free_finalize(unsigned flags, struct event* ev, event_finalize_callback_fn cb) {
    return finalize(flags, ev, cb, true);
}

// ---- event_base_once: a heap-allocated one-shot event that frees itself after firing.

static void once_fired(evutil_socket_t fd, short what, void* arg) {
    OnceEvent* o = static_cast<OnceEvent*>(arg);
    event_base* base = o->ev.ev_base;
    // Callbacks run without the base lock; the once list is the base's state.
    base->lock();
    *o->prev = o->next;
    if (o->next) o->next->prev = o->prev;
    base->unlock();
    event_callback_fn cb = o->cb;
    void* user = o->arg;
    debug_note_teardown(&o->ev);
    mm_free(o);
    cb(fd, what, user);
}

VIGIL_EXPORT int event_base_once(struct event_base* base, evutil_socket_t fd, short events, event_callback_fn cb,
                                 void* arg, const struct timeval* tv) {
    if (!base) base = event_global_current_base_;
    if (!base || !cb) {
        vigil_warn("event_base_once: NULL %s", base ? "callback" : "base");
        return -1;
    }
    if (events & (EV_SIGNAL | EV_PERSIST)) {
        vigil_warn("event_base_once: EV_SIGNAL and EV_PERSIST are not allowed");
        return -1;
    }
    if (tv && bad_timeout(tv)) {
        vigil_warn("event_base_once: negative timeout");
        return -1;
    }
    BaseGuard g(base);
    OnceEvent* o = static_cast<OnceEvent*>(mm_calloc(1, sizeof(OnceEvent)));
    if (!o) return -1;
    o->cb = cb;
    o->arg = arg;
    bool now = false;
    if (events == EV_TIMEOUT) {
        assign(&o->ev, base, -1, 0, once_fired, o);
        // An immediate one-shot is a common way to schedule work: skip the timer heap.
        now = !tv || !timerisset(tv);
    } else if (events & (EV_READ | EV_WRITE)) {
        assign(&o->ev, base, fd, short(events & (EV_READ | EV_WRITE)), once_fired, o);
    } else {
        mm_free(o);
        vigil_warn("event_base_once: events 0x%x name nothing to wait for", unsigned(events));
        return -1;
    }
    if (now) {
        base->activate(&o->ev, EV_TIMEOUT, 1);
    } else if (base->add_event(&o->ev, tv, false) < 0) {
        debug_note_teardown(&o->ev);
        mm_free(o);
        return -1;
    }
    o->next = base->once_events;
    o->prev = &base->once_events;
    if (o->next) o->next->prev = &o->next;
    base->once_events = o;
    return 0;
}

}  // extern "C"
