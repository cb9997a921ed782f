// The dispatch loop: reconcile fd interest, wait in the backend, expire timers, run the
// active callbacks of the most urgent priority, repeat.
#include "backend/backend.hpp"
#include "core/base.hpp"

using namespace vigil;

namespace vigil {
void claim_signals(event_base* base);
}

// EV_PERSIST events with a timeout are rescheduled before their callback runs, relative
// to the missed deadline when the timeout fired (so periodic timers do not drift).
void event_base::run_persist_timeout(event* ev) {
    if (!timerisset(&ev->ev_io_timeout)) return;
    timeval delay = ev->ev_io_timeout;
    suseconds_t magic = delay.tv_usec & ~kUsecMask;
    delay.tv_usec &= kUsecMask;
    Micros t = now();
    Micros base_time = t;
    if (ev->ev_res & EV_TIMEOUT) base_time = deadline_of(ev);
    Micros run_at = base_time + tv_to_us(delay);
    if (run_at < t) run_at = t + tv_to_us(delay);  // fell behind: restart from now
    timeval abs = make_deadline(run_at, magic);
    add_event(ev, &abs, true);
}

namespace {

// Calls a user callback. With a lock, the base is unlocked for the call (so the callback
// may use the base, and other threads may too) and waiters in event_del are told when
// it has returned.
template <bool kLocked, class Fn>
inline void call_user(event_base* base, Fn&& fn) {
    if constexpr (kLocked) lock_release(base->th_lock);
    fn();
    if constexpr (kLocked) {
        lock_acquire(base->th_lock);
        if (base->th_waiters) {
            base->th_waiters = 0;
            base->current_callback = nullptr;
            cond_broadcast(base->th_cond);
        }
    }
}

}  // namespace

template <bool kLocked>
int event_base::process_queue(CallbackQueue& q, bool limited, int max_to_process, Micros endtime) {
    int count = 0;
    while (event_callback* cb = q.first) {
        const uint8_t closure = cb->evcb_closure;
        event* ev = as_event(cb);
        if (closure == kClosurePersist) {
            // The common case, kept short: a persistent event stays added.
            cb->evcb_flags = short(cb->evcb_flags & ~EVLIST_ACTIVE);
            const bool user = !(cb->evcb_flags & EVLIST_INTERNAL);
            event_count -= user;
            --event_count_active;
            q.pop_front(cb);
            count += user;
            current_callback = cb;
            if (VIGIL_UNLIKELY(ev->ev_io_timeout.tv_sec | ev->ev_io_timeout.tv_usec)) run_persist_timeout(ev);
            // Read everything the call needs while the lock (if any) is held.
            event_callback_fn fn = ev->ev_callback;
            evutil_socket_t fd = ev->ev_fd;
            short res = ev->ev_res;
            void* arg = ev->ev_arg;
            call_user<kLocked>(this, [&] { fn(fd, res, arg); });
        } else {
            if (closure <= kClosurePersist || closure >= kClosureEventFinalize) {
                if ((ev->ev_events & EV_PERSIST) || (ev->ev_flags & EVLIST_FINALIZING))
                    remove_active(cb);
                else
                    del_event(ev);
            } else {
                remove_active(cb);
            }
            count += !(cb->evcb_flags & EVLIST_INTERNAL);
            current_callback = cb;
            run_callback<kLocked>(cb, closure);
        }

        if (VIGIL_UNLIKELY(interrupt_flags | limited)) {
            if (got_break) {
                current_callback = nullptr;
                return -1;
            }
            if (limited) {
                if (count >= max_to_process) break;
                if (count && endtime >= 0 && mono_now(clock_id) >= endtime) break;
            }
            if (got_continue) break;
        }
    }
    current_callback = nullptr;
    return count;
}

// Every closure but the persistent one, which process_queue handles inline. The base's
// state is only touched with the lock held; the callbacks run without it.
template <bool kLocked>
void event_base::run_callback(event_callback* cb, uint8_t closure) {
    // Only events have these fields: a bare event_callback (deferred work) ends earlier.
    const bool is_event = closure <= kClosurePersist || closure >= kClosureEventFinalize;
    event* ev = as_event(cb);
    event_callback_fn fn = is_event ? ev->ev_callback : nullptr;
    evutil_socket_t fd = is_event ? ev->ev_fd : -1;
    short res = is_event ? ev->ev_res : 0;
    void* arg = cb->evcb_arg;
    switch (closure) {
        case kClosureSignal: {
            short ncalls = ev->ev_ncalls;
            // event_del zeroes ncalls through this pointer and clears it, so the pointer
            // never outlives this frame.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
            if (ncalls) ev->ev_pncalls = &ncalls;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
            while (ncalls) {
                --ncalls;
                ev->ev_ncalls = ncalls;
                if (!ncalls) ev->ev_pncalls = nullptr;
                call_user<kLocked>(this, [&] { fn(fd, res, arg); });
                if (got_break) {
                    if (ncalls) ev->ev_pncalls = nullptr;
                    break;
                }
            }
            break;
        }
        case kClosureEvent:
            call_user<kLocked>(this, [&] { fn(fd, res, arg); });
            break;
        case kClosureCbSelf: {
            auto self = cb->evcb_cb_union.evcb_selfcb;
            call_user<kLocked>(this, [&] { self(cb, arg); });
            break;
        }
        case kClosureEventFinalize:
        case kClosureEventFinalizeFree: {
            bool free_it = closure == kClosureEventFinalizeFree;
            auto fin = cb->evcb_cb_union.evcb_evfinalize;
            debug_note_teardown(ev);
            call_user<kLocked>(this, [&] {
                fin(ev, arg);
                if (free_it) mm_free(ev);
            });
            break;
        }
        case kClosureCbFinalize: {
            auto fin = cb->evcb_cb_union.evcb_cbfinalize;
            call_user<kLocked>(this, [&] { fin(cb, arg); });
            break;
        }
    }
}

// Runs the callbacks of the most urgent priority that has any; lower priorities wait
// for a later iteration, as in libevent.
template <bool kLocked>
inline int event_base::process_active() {
    int c = 0;
    for (int pri = 0; pri < nactive; ++pri) {
        if (active[pri].empty()) continue;
        running_priority = pri;
        if (VIGIL_UNLIKELY(pri >= limit_callbacks_after_prio &&
                           (max_dispatch_callbacks != INT_MAX || max_dispatch_time >= 0))) {
            Micros endtime = max_dispatch_time >= 0 ? mono_now(clock_id) + max_dispatch_time : -1;
            c = process_queue<kLocked>(active[pri], true, max_dispatch_callbacks, endtime);
        } else {
            c = process_queue<kLocked>(active[pri], false, INT_MAX, -1);
        }
        if (c != 0) break;  // a real callback ran (or a break was asked for)
    }
    running_priority = -1;
    return c;
}

int event_base::loop(int flags) {
    return th_lock ? run_loop<true>(flags) : run_loop<false>(flags);
}

template <bool kLocked>
int event_base::run_loop(int flags) {
    if constexpr (kLocked) lock_acquire(th_lock);
    if (VIGIL_UNLIKELY(running_loop)) {
        if constexpr (kLocked) lock_release(th_lock);
        vigil_warn("event_base_loop: reentrant invocation; only one event_base_loop can run on a base at a time");
        return -1;
    }
    running_loop = true;
    if constexpr (kLocked) th_owner = current_thread_id();
    clear_time_cache();
    if (sig.nadded) claim_signals(this);
    got_term = got_break = false;
    int retval = 0;

    for (;;) {
        got_continue = false;
        if (got_term || got_break) break;
        if (VIGIL_UNLIKELY(!active_later.empty())) activate_later_callbacks();
        // Wait only when nothing is active: until the first timer, or indefinitely.
        Micros timeout = 0;
        if (!event_count_active) {
            if (!(flags & EVLOOP_NO_EXIT_ON_EMPTY) && !has_events()) {
                vigil_debug("event_base_loop: no events registered");
                retval = 1;
                break;
            }
            if (!(flags & EVLOOP_NONBLOCK)) {
                timeout = -1;
                if (!timers.empty()) {
                    Micros t = now();
                    timeout = timers.top_deadline() > t ? timers.top_deadline() - t : 0;
                }
            }
        }
        if (!changed_fds.empty()) reconcile_changes();
        clear_time_cache();
        int r = kLocked ? backend->dispatch_locked(*this, timeout) : backend->dispatch(*this, timeout);
        if (VIGIL_UNLIKELY(r < 0)) {
            retval = -1;
            break;
        }
        clear_time_cache();
        if (!timers.empty()) timeout_process();
        note_count_peaks();
        if (event_count_active) {
            int n = process_active<kLocked>();
            if ((flags & EVLOOP_ONCE) && !event_count_active && n != 0) break;
        } else if (flags & EVLOOP_NONBLOCK) {
            break;
        }
    }
    clear_time_cache();
    running_loop = false;
    if constexpr (kLocked) lock_release(th_lock);
    return retval;
}

static void loopexit_fired(evutil_socket_t, short, void* arg) { static_cast<event_base*>(arg)->got_term = true; }

extern "C" {

VIGIL_EXPORT int event_base_loop(struct event_base* base, int flags) {
    if (!base) base = event_global_current_base_;
    if (!base) {
        vigil_warn("event_base_loop: NULL base and no current base");
        return -1;
    }
    return base->loop(flags);
}

VIGIL_EXPORT int event_base_dispatch(struct event_base* base) { return event_base_loop(base, 0); }

VIGIL_EXPORT int event_base_loopexit(struct event_base* base, const struct timeval* tv) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    return event_base_once(base, -1, EV_TIMEOUT, loopexit_fired, base, tv);
}

VIGIL_EXPORT int event_base_loopbreak(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    BaseGuard g(base);
    base->got_break = true;
    return 0;
}

VIGIL_EXPORT int event_base_loopcontinue(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    BaseGuard g(base);
    base->got_continue = true;
    return 0;
}

VIGIL_EXPORT int event_base_got_break(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return 0;
    BaseGuard g(base);
    return base->got_break;
}

VIGIL_EXPORT int event_base_got_exit(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return 0;
    BaseGuard g(base);
    return base->got_term;
}

VIGIL_EXPORT struct event* event_base_get_running_event(struct event_base* base) {
    if (!base) return nullptr;
    BaseGuard g(base);
    event_callback* cb = base->current_callback;
    if (!cb || !base->in_loop_thread()) return nullptr;
    if (cb->evcb_closure <= kClosurePersist) return as_event(cb);
    return nullptr;
}

}  // extern "C"
