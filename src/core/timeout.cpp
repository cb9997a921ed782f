// Timeouts: the timer heap for arbitrary deadlines and common-timeout lists for many
// events sharing one duration (each list needs a single heap entry: its head's deadline).
#include "core/base.hpp"

using namespace vigil;

namespace {

void common_timeout_fired(evutil_socket_t, short, void* arg) {
    CommonTimeout* ct = static_cast<CommonTimeout*>(arg);
    event_base* base = ct->base;
    Micros now = base->now();
    while (event* ev = ct->events.tqh_first) {
        if (deadline_of(ev) > now) break;
        base->del_event(ev);
        base->activate(ev, EV_TIMEOUT, 1);
    }
    if (ct->events.tqh_first) base->common_timeout_schedule(ct);
}

}  // namespace

CommonTimeout* event_base::common_timeout_of(const timeval* tv) const {
    int idx = int((tv->tv_usec & kCommonIndexMask) >> kCommonIndexShift);
    if (idx >= int(common_timeouts.size())) return nullptr;
    CommonTimeout* ct = common_timeouts[size_t(idx)];
    return ct;
}

void event_base::common_timeout_schedule(CommonTimeout* ct) {
    timeval t = make_deadline(deadline_of(ct->events.tqh_first), 0);
    add_event(&ct->timer, &t, true);
}

void event_base::timeout_insert(event* ev) {
    ev->ev_flags |= EVLIST_TIMEOUT;
    if (!(ev->ev_flags & EVLIST_INTERNAL)) {
        ++event_count;
        if (event_count > event_count_max) event_count_max = event_count;
    }
    if (is_common_timeout_tv(&ev->ev_timeout)) {
        CommonTimeout* ct = common_timeout_of(&ev->ev_timeout);
        // Deadlines in one list nearly always arrive in order: search from the tail.
        event_list& q = ct->events;
        Micros when = deadline_of(ev);
        event* after = nullptr;
        if (q.tqh_first) {
            event* last = *reinterpret_cast<event_list*>(q.tqh_last)->tqh_last;
            for (event* e = last; e; e = (e == q.tqh_first) ? nullptr : *reinterpret_cast<event_list*>(e->ev_timeout_pos.ev_next_with_common_timeout.tqe_prev)->tqh_last) {
                if (deadline_of(e) <= when) {
                    after = e;
                    break;
                }
            }
        }
        auto& link = ev->ev_timeout_pos.ev_next_with_common_timeout;
        if (after) {
            auto& alink = after->ev_timeout_pos.ev_next_with_common_timeout;
            link.tqe_next = alink.tqe_next;
            if (link.tqe_next)
                link.tqe_next->ev_timeout_pos.ev_next_with_common_timeout.tqe_prev = &link.tqe_next;
            else
                q.tqh_last = &link.tqe_next;
            alink.tqe_next = ev;
            link.tqe_prev = &alink.tqe_next;
        } else {
            link.tqe_next = q.tqh_first;
            if (link.tqe_next)
                link.tqe_next->ev_timeout_pos.ev_next_with_common_timeout.tqe_prev = &link.tqe_next;
            else
                q.tqh_last = &link.tqe_next;
            q.tqh_first = ev;
            link.tqe_prev = &q.tqh_first;
            common_timeout_schedule(ct);
        }
        return;
    }
    timers.push(ev);
}

void event_base::timeout_remove(event* ev) {
    ev->ev_flags &= ~EVLIST_TIMEOUT;
    if (!(ev->ev_flags & EVLIST_INTERNAL)) --event_count;
    if (is_common_timeout_tv(&ev->ev_timeout)) {
        CommonTimeout* ct = common_timeout_of(&ev->ev_timeout);
        auto& link = ev->ev_timeout_pos.ev_next_with_common_timeout;
        if (link.tqe_next)
            link.tqe_next->ev_timeout_pos.ev_next_with_common_timeout.tqe_prev = link.tqe_prev;
        else
            ct->events.tqh_last = link.tqe_prev;
        *link.tqe_prev = link.tqe_next;
        return;
    }
    timers.erase(ev);
}

void event_base::timeout_process() {
    if (timers.empty()) return;
    Micros t = now();
    while (!timers.empty() && timers.top_deadline() <= t) {
        event* ev = timers.top();
        del_event(ev);
        activate<false>(ev, EV_TIMEOUT, 1);
    }
}

extern "C" VIGIL_EXPORT const struct timeval* event_base_init_common_timeout(struct event_base* base,
                                                                             const struct timeval* duration) {
    if (!base || !duration) {
        vigil_warn("event_base_init_common_timeout: NULL %s", base ? "duration" : "base");
        return nullptr;
    }
    BaseGuard g(base);
    if (is_common_timeout_tv(duration)) {
        CommonTimeout* ct = base->common_timeout_of(duration);
        if (ct && ct->duration.tv_usec == duration->tv_usec && ct->duration.tv_sec == duration->tv_sec)
            return &ct->duration;
        vigil_warn("event_base_init_common_timeout: %p is a common timeout of another base",
                   static_cast<const void*>(duration));
        return nullptr;
    }
    if (duration->tv_sec < 0 || duration->tv_usec < 0) {
        vigil_warn("event_base_init_common_timeout: negative duration");
        return nullptr;
    }
    timeval d = us_to_tv(tv_to_us(*duration));  // normalise tv_usec >= 1000000
    for (CommonTimeout* ct : base->common_timeouts)
        if (ct->duration.tv_sec == d.tv_sec && (ct->duration.tv_usec & kUsecMask) == d.tv_usec) return &ct->duration;
    if (base->common_timeouts.size() >= size_t(kMaxCommonTimeouts)) {
        vigil_warn("event_base_init_common_timeout: too many common timeouts (%d)", kMaxCommonTimeouts);
        return nullptr;
    }
    auto* ct = static_cast<CommonTimeout*>(mm_calloc(1, sizeof(CommonTimeout)));
    if (!ct) return nullptr;
    ct->events.tqh_first = nullptr;
    ct->events.tqh_last = &ct->events.tqh_first;
    ct->base = base;
    ct->duration = d;
    ct->duration.tv_usec |= kCommonMagic | suseconds_t(base->common_timeouts.size() << kCommonIndexShift);
    event_assign(&ct->timer, base, -1, 0, common_timeout_fired, ct);
    ct->timer.ev_flags |= EVLIST_INTERNAL;
    ct->timer.ev_pri = 0;
    base->common_timeouts.push_back(ct);
    return &ct->duration;
}
