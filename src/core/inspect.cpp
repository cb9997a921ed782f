// Looking inside a base: event_base_foreach_event, event_base_dump_events, and the
// by-fd / by-signal activation helpers.
#include "core/base.hpp"

#include <cstdio>

using namespace vigil;

namespace {

// Calls fn for every non-internal event once: added I/O and signal events, then pending
// timers that are not also added, then active events that are neither.
template <class Fn>
int for_each_event(event_base* base, Fn fn) {
    for (size_t fd = 0; fd < base->fds.size(); ++fd)
        for (event* ev = base->fds[fd].head; ev;) {
            event* next = ev->ev_io_next.le_next;
            if (!(ev->ev_flags & EVLIST_INTERNAL))
                if (int r = fn(ev)) return r;
            ev = next;
        }
    for (int s = 0; s < NSIG; ++s)
        for (event* ev = base->sig_heads[s]; ev;) {
            event* next = ev->ev_signal_next.le_next;
            if (!(ev->ev_flags & EVLIST_INTERNAL))
                if (int r = fn(ev)) return r;
            ev = next;
        }
    for (size_t i = 0; i < base->timers.size(); ++i) {
        event* ev = base->timers.at(i);
        if (ev->ev_flags & (EVLIST_INSERTED | EVLIST_INTERNAL)) continue;
        if (int r = fn(ev)) return r;
    }
    for (CommonTimeout* ct : base->common_timeouts)
        for (event* ev = ct->events.tqh_first; ev; ev = ev->ev_timeout_pos.ev_next_with_common_timeout.tqe_next) {
            if (ev->ev_flags & (EVLIST_INSERTED | EVLIST_INTERNAL)) continue;
            if (int r = fn(ev)) return r;
        }
    for (int p = 0; p < base->nactive; ++p)
        for (event_callback* cb = base->active[p].first; cb; cb = cb->evcb_active_next.tqe_next) {
            if (cb->evcb_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_INTERNAL)) continue;
            if (cb->evcb_closure > kClosurePersist) continue;
            if (int r = fn(as_event(cb))) return r;
        }
    return 0;
}

void dump_one(FILE* out, const event* ev, event_base* base) {
    short e = ev->ev_events;
    fprintf(out, "  %p [%s %d]%s%s%s%s%s%s", static_cast<const void*>(ev), (e & EV_SIGNAL) ? "sig" : "fd",
            ev->ev_fd, (e & EV_READ) ? " Read" : "", (e & EV_WRITE) ? " Write" : "",
            (e & EV_CLOSED) ? " EOF" : "", (e & EV_SIGNAL) ? " Signal" : "", (e & EV_PERSIST) ? " Persist" : "",
            (e & EV_ET) ? " ET" : "");
    if (ev->ev_flags & EVLIST_TIMEOUT) {
        timeval wall = us_to_tv(base->wall_from_mono(deadline_of(ev)));
        fprintf(out, " Timeout=%ld.%06d", long(wall.tv_sec), int(wall.tv_usec));
    }
    fputc('\n', out);
}

}  // namespace

extern "C" {

VIGIL_EXPORT int event_base_foreach_event(struct event_base* base, event_base_foreach_event_cb fn, void* arg) {
    if (!base || !fn) {
        vigil_warn("event_base_foreach_event: NULL %s", base ? "callback" : "base");
        return -1;
    }
    BaseGuard g(base);
    return for_each_event(base, [&](event* ev) { return fn(base, ev, arg); });
}

VIGIL_EXPORT void event_base_dump_events(struct event_base* base, FILE* out) {
    if (!base || !out) return;
    BaseGuard g(base);
    fprintf(out, "Inserted events:\n");
    for_each_event(base, [&](event* ev) {
        if (ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT)) dump_one(out, ev, base);
        return 0;
    });
    fprintf(out, "Active events:\n");
    for_each_event(base, [&](event* ev) {
        if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
            fprintf(out, "  %p [%s %d, priority=%d]%s%s%s%s active%s\n", static_cast<void*>(ev),
                    (ev->ev_events & EV_SIGNAL) ? "sig" : "fd", ev->ev_fd, ev->ev_pri,
                    (ev->ev_res & EV_READ) ? " Read" : "", (ev->ev_res & EV_WRITE) ? " Write" : "",
                    (ev->ev_res & EV_CLOSED) ? " EOF" : "", (ev->ev_res & EV_TIMEOUT) ? " Timeout" : "",
                    (ev->ev_flags & EVLIST_ACTIVE_LATER) ? " [NextTime]" : "");
        }
        return 0;
    });
}

VIGIL_EXPORT void event_base_active_by_fd(struct event_base* base, evutil_socket_t fd, short events) {
    if (!base || fd < 0) return;
    BaseGuard g(base);
    if (size_t(fd) < base->fds.size()) base->io_ready(fd, short(events & kIoEvents));
    if (events & EV_TIMEOUT) {
        // Timers that carry this fd fire too (an I/O event's timeout, or a timer given an fd).
        Vec<event*> hits;
        for (size_t i = 0; i < base->timers.size(); ++i)
            if (base->timers.at(i)->ev_fd == fd) hits.push_back(base->timers.at(i));
        for (CommonTimeout* ct : base->common_timeouts)
            for (event* ev = ct->events.tqh_first; ev; ev = ev->ev_timeout_pos.ev_next_with_common_timeout.tqe_next)
                if (ev->ev_fd == fd) hits.push_back(ev);
        for (event* ev : hits) base->activate(ev, EV_TIMEOUT, 1);
    }
}

VIGIL_EXPORT void event_base_active_by_signal(struct event_base* base, int sig) {
    if (!base || sig <= 0 || sig >= NSIG) return;
    BaseGuard g(base);
    base->signal_ready(sig, 1);
}

}  // extern "C"
