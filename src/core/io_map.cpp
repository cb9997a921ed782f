// The fd map: which events wait on each fd, and the changelist that turns interest
// changes into at most one backend update per fd per loop iteration.
#include "backend/backend.hpp"
#include "core/base.hpp"

using namespace vigil;

int event_base::io_add(event* ev) {
    int fd = ev->ev_fd;
    if (VIGIL_UNLIKELY(fd < 0)) {
        vigil_warn("event_add: invalid fd %d for an I/O event", fd);
        return -1;
    }
    if (VIGIL_UNLIKELY(size_t(fd) >= fds.size())) {
        size_t n = fds.size() ? fds.size() : 32;
        while (n <= size_t(fd)) n *= 2;
        fds.resize(n);
        // The first event of each list points back at its slot, which has just moved.
        for (FdSlot& slot : fds)
            if (slot.head) slot.head->ev_io_next.le_prev = &slot.head;
    }
    FdSlot& s = fds[size_t(fd)];
    short before = s.wanted();
    short e = ev->ev_events;
    if (e & EV_READ) ++s.nread;
    if (e & EV_WRITE) ++s.nwrite;
    if (e & EV_CLOSED) ++s.nclose;
    if (e & EV_ET) ++s.net;
    short after = s.wanted();

    // A re-assigned event on an fd that had no interest may be a new file that reuses
    // the number of one the kernel still lists: register it again, whatever we recorded.
    if ((ev->ev_flags & kFlagFresh) && !before && s.kernel) s.force = true;

    if (!s.kernel && !s.queued && after && !(flags & EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) && !in_wait) {
        // First interest in this fd: register now, so errors (a regular file, a closed
        // fd) are reported by event_add as libevent does. With the changelist flag,
        // libevent reports them from the next dispatch instead, and so do we; so does
        // another thread's event_add while the loop waits in the backend, which must
        // not see its fd set change under it.
        if (backend->update(fd, 0, after) < 0) {
            if (e & EV_READ) --s.nread;
            if (e & EV_WRITE) --s.nwrite;
            if (e & EV_CLOSED) --s.nclose;
            if (e & EV_ET) --s.net;
            return -1;
        }
        s.kernel = uint8_t(after);
    } else if ((after != s.kernel || s.force) && !s.queued) {
        s.queued = true;
        changed_fds.push_back(fd);
    }

    ev->ev_io_next.le_next = s.head;
    if (s.head) s.head->ev_io_next.le_prev = &ev->ev_io_next.le_next;
    ev->ev_io_next.le_prev = &s.head;
    s.head = ev;
    return 0;
}

void event_base::io_del(event* ev) {
    FdSlot& s = fds[size_t(ev->ev_fd)];
    short e = ev->ev_events;
    if (e & EV_READ) --s.nread;
    if (e & EV_WRITE) --s.nwrite;
    if (e & EV_CLOSED) --s.nclose;
    if (e & EV_ET) --s.net;
    if (s.wanted() != s.kernel && !s.queued) {
        s.queued = true;
        changed_fds.push_back(ev->ev_fd);
    }
    if (ev->ev_io_next.le_next) ev->ev_io_next.le_next->ev_io_next.le_prev = ev->ev_io_next.le_prev;
    *ev->ev_io_next.le_prev = ev->ev_io_next.le_next;
}

int event_base::reconcile_changes() {
    int res = 0;
    for (int fd : changed_fds) {
        FdSlot& s = fds[size_t(fd)];
        s.queued = false;
        short want = s.wanted();
        if (want == s.kernel && !s.force) continue;
        s.force = false;
        if (backend->update(fd, s.kernel, want) == 0)
            s.kernel = uint8_t(want);
        else
            res = -1;
    }
    changed_fds.clear();
    return res;
}
