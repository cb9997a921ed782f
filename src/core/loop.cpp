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
            ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
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
            run_callback(cb, closure);
        }

        if (VIGIL_UNLIKELY(interrupt_flags | limited)) {
            if (got_break) {
                current_callback = nullptr;
                return -1;
            }
            if (limited) {
                if (count >= max_to_process) break;
                if (count && endtime >= 0 && mono_now() >= endtime) break;
            }
            if (got_continue) break;
        }
    }
    current_callback = nullptr;
    return count;
}

// Every closure but the persistent one (handled inline by process_queue).
void event_base::run_callback(event_callback* cb, uint8_t closure) {
    event* ev = as_event(cb);
    switch (closure) {
        case kClosureSignal: {
            short ncalls = ev->ev_ncalls;
            // event_del zeroes ncalls through this pointer and clears it, so the pointer
            // never outlives this frame.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
            if (ncalls) ev->ev_pncalls = &ncalls;
#pragma GCC diagnostic pop
            while (ncalls) {
                --ncalls;
                ev->ev_ncalls = ncalls;
                if (!ncalls) ev->ev_pncalls = nullptr;
                ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
                if (got_break) {
                    if (ncalls) ev->ev_pncalls = nullptr;
                    break;
                }
            }
            break;
        }
        case kClosurePersist:
            run_persist_timeout(ev);
            ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
            break;
        case kClosureEvent:
            ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
            break;
        case kClosureCbSelf:
            cb->evcb_cb_union.evcb_selfcb(cb, cb->evcb_arg);
            break;
        case kClosureEventFinalize:
        case kClosureEventFinalizeFree: {
            bool free_it = closure == kClosureEventFinalizeFree;
            cb->evcb_cb_union.evcb_evfinalize(ev, cb->evcb_arg);
            debug_note_teardown(ev);
            if (free_it) mm_free(ev);
            break;
        }
        case kClosureCbFinalize:
            cb->evcb_cb_union.evcb_cbfinalize(cb, cb->evcb_arg);
            break;
    }
}

// Runs the callbacks of the most urgent priority that has any; lower priorities wait
// for a later iteration, as in libevent.
inline int event_base::process_active() {
    int c = 0;
    for (int pri = 0; pri < nactive; ++pri) {
        if (active[pri].empty()) continue;
        running_priority = pri;
        if (VIGIL_UNLIKELY(pri >= limit_callbacks_after_prio &&
                           (max_dispatch_callbacks != INT_MAX || max_dispatch_time >= 0))) {
            Micros endtime = max_dispatch_time >= 0 ? mono_now() + max_dispatch_time : -1;
            c = process_queue(active[pri], true, max_dispatch_callbacks, endtime);
        } else {
            c = process_queue(active[pri], false, INT_MAX, -1);
        }
        if (c != 0) break;  // a real callback ran (or a break was asked for)
    }
    running_priority = -1;
    return c;
}

int event_base::loop(int flags) {
    if (VIGIL_UNLIKELY(running_loop)) {
        vigil_warn("event_base_loop: reentrant invocation; only one event_base_loop can run on a base at a time");
        return -1;
    }
    running_loop = true;
    clear_time_cache();
    if (sig.nadded) claim_signals(this);
    got_term = got_break = false;
    int retval = 0;

    for (;;) {
        got_continue = false;
        if (got_term || got_break) break;
        if (!(flags & EVLOOP_NO_EXIT_ON_EMPTY) && !event_count_active && !has_events()) {
            vigil_debug("event_base_loop: no events registered");
            retval = 1;
            break;
        }
        Micros timeout = -1;
        if (event_count_active || (flags & EVLOOP_NONBLOCK)) {
            timeout = 0;
        } else if (!timers.empty()) {
            Micros t = now();
            timeout = timers.top_deadline() > t ? timers.top_deadline() - t : 0;
        }
        // Callbacks deferred with "active later" become active now.
        while (event_callback* cb = active_later.first) {
            remove_active_later(cb);
            activate_callback(cb);
        }
        if (!changed_fds.empty()) reconcile_changes();
        clear_time_cache();
        if (VIGIL_UNLIKELY(backend->dispatch(*this, timeout) < 0)) {
            retval = -1;
            break;
        }
        clear_time_cache();
        if (!timers.empty()) timeout_process();
        note_count_peaks();
        if (event_count_active) {
            int n = process_active();
            if ((flags & EVLOOP_ONCE) && !event_count_active && n != 0) break;
        } else if (flags & EVLOOP_NONBLOCK) {
            break;
        }
    }
    clear_time_cache();
    running_loop = false;
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
    base->got_break = true;
    return 0;
}

VIGIL_EXPORT int event_base_loopcontinue(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    base->got_continue = true;
    return 0;
}

VIGIL_EXPORT int event_base_got_break(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    return base ? base->got_break : 0;
}

VIGIL_EXPORT int event_base_got_exit(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    return base ? base->got_term : 0;
}

VIGIL_EXPORT struct event* event_base_get_running_event(struct event_base* base) {
    if (!base || !base->current_callback) return nullptr;
    event_callback* cb = base->current_callback;
    if (cb->evcb_closure <= kClosurePersist) return as_event(cb);
    return nullptr;
}

}  // extern "C"
