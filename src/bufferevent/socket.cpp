// Socket bufferevents: ev_read and ev_write watch the descriptor (persistent, with the
// bufferevent's timeouts); readable data goes into the input buffer, the output buffer
// drains to the socket whenever it holds data and writing is enabled. Also connect,
// connect_hostname, priorities and the 1.x constructors.
//
// Differences from libevent 2.1.12, on purpose, both about system calls:
// - a read takes up to max_single_read bytes (16 KiB) in one readv without a FIONREAD
//   probe first, where libevent reads at most 4 KiB per call after an ioctl, so a large
//   message costs a quarter of the reads and none of the ioctls;
// - data added to an idle output is written from the loop's current pass without first
//   registering for writability (libevent adds EPOLLOUT, waits for it, writes, and
//   removes it again: two epoll_ctl and one epoll_wait more per message). Data the read
//   callback adds is written as soon as it returns, so the write callback runs within
//   the same read event, ahead of other events already queued (libevent runs it on a
//   later loop iteration).
#include "bufferevent/bufferevent.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buffer/buffer.hpp"
#include "core/deferred.hpp"
#include "core/owned_event.hpp"

namespace vigil::bev {
namespace {

// What a read expects by default: one small message.
constexpr size_t kSmallRead = 4096;

bool retriable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// The callbacks below hold the bufferevent's lock, which is also its buffers' lock, so
// they read a buffer's length and flip its freeze flags directly.

evutil_socket_t fd_of(bufferevent* b) { return b->ev_read.ev_fd; }

void write_after_readcb(bufferevent* b);

void socket_readcb(evutil_socket_t fd, short what, void* arg) {
    bufferevent* b = static_cast<bufferevent*>(arg);
    Private* p = upcast(b);
    incref_and_lock(b);
    short ev = BEV_EVENT_READING;
    int res;
    if (p->dying) goto done;
    // A timeout together with readiness is no timeout: data arrived.
    if (what == EV_TIMEOUT) {
        ev |= BEV_EVENT_TIMEOUT;
        goto error;
    }
    {
        ev_ssize_t howmuch = -1;
        if (b->wm_read.high) {
            size_t len = b->input->total;
            if (len >= b->wm_read.high) {
                // The mark was lowered below what the input holds: stop reading.
                suspend_read(b, kSuspendWm);
                goto done;
            }
            howmuch = ev_ssize_t(b->wm_read.high - len);
        }
        ev_ssize_t most = read_max(p);
        if (howmuch < 0 || howmuch > most) howmuch = most;
        if (p->read_suspended || howmuch <= 0) goto done;
        b->input->freeze_end = false;
        // After a read that took all it was offered, more is likely waiting: offer the
        // buffer's own space for all of it. Otherwise expect a small message.
        size_t want = size_t(howmuch);
        size_t direct = p->last_read_full || want < kSmallRead ? want : kSmallRead;
        res = vigil::buf::read_socket(b->input, fd, want, direct);
        p->last_read_full = res > 0 && size_t(res) == want;
        b->input->freeze_end = true;
    }
    if (res < 0) {
        int err = errno;
        if (retriable(err)) goto done;
        if (err == ECONNREFUSED && p->connecting) {
            // Reported again through the write event, as a failed connect.
            p->connection_refused = true;
            goto done;
        }
        ev |= BEV_EVENT_ERROR;
        goto error;
    }
    if (res == 0) {
        ev |= BEV_EVENT_EOF;
        goto error;
    }
    decrement_read_buckets(p, res);
    p->in_readcb = true;
    trigger_nolock(b, EV_READ, 0);
    p->in_readcb = false;
    if (p->write_after_readcb) write_after_readcb(b);
    goto done;
error:
    bufferevent_disable(b, EV_READ);
    run_eventcb(b, ev, 0);
done:
    decref_and_unlock(b);
}

// After a write attempt: wait for writability only while output remains. (The first
// attempt after data arrives runs without asking the kernel, see output_cb.)
void watch_writability(bufferevent* b) {
    if (b->output->total == 0)
        vigil::del_if_pending(&b->ev_write);
    else if ((b->enabled & EV_WRITE) && !upcast(b)->write_suspended && !vigil::pending_for(&b->ev_write, EV_WRITE))
        add_event(&b->ev_write, &b->timeout_write);
}

// 1 connected, 0 still connecting, -1 failed (errno set).
int finished_connecting(evutil_socket_t fd) {
    int e = 0;
    socklen_t len = sizeof(e);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) return -1;
    if (e == EINPROGRESS || e == EINTR) return 0;
    if (e) {
        errno = e;
        return -1;
    }
    return 1;
}

// Writes what the output holds (as far as the rate limit allows), waits for
// writability if some is left, and runs the write callback. Shared by the write event
// and by the direct write after a read callback.
void write_output(bufferevent* b, bool connected) {
    Private* p = upcast(b);
    short ev = BEV_EVENT_WRITING;
    int res = 0;
    ev_ssize_t most = write_max(p);  // may itself suspend writing (a group ran dry)
    if (p->write_suspended || most <= 0) return;
    if (b->output->total) {
        b->output->freeze_start = false;
        res = vigil::buf::write_socket(b->output, fd_of(b), size_t(most));
        b->output->freeze_start = true;
        if (res < 0) {
            if (retriable(errno)) {
                watch_writability(b);
                return;
            }
            ev |= BEV_EVENT_ERROR;
            goto error;
        }
        if (res == 0) {
            ev |= BEV_EVENT_EOF;
            goto error;
        }
        decrement_write_buckets(p, res);
    }
    watch_writability(b);
    // Also after a connect with nothing to send yet, the write callback says "ready".
    if (res || !connected) trigger_nolock(b, EV_WRITE, 0);
    return;
error:
    bufferevent_disable(b, EV_WRITE);
    run_eventcb(b, ev, 0);
}

void socket_writecb(evutil_socket_t fd, short what, void* arg) {
    bufferevent* b = static_cast<bufferevent*>(arg);
    Private* p = upcast(b);
    incref_and_lock(b);
    bool connected = false;
    if (p->dying) goto done;
    if (what == EV_TIMEOUT) {
        bufferevent_disable(b, EV_WRITE);
        run_eventcb(b, BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT, 0);
        goto done;
    }
    if (p->connecting) {
        int c = finished_connecting(fd);
        if (p->connection_refused) {
            p->connection_refused = false;
            errno = ECONNREFUSED;
            c = -1;
        }
        if (c == 0) goto done;
        p->connecting = false;
        if (c < 0) {
            event_del(&b->ev_write);
            event_del(&b->ev_read);
            run_eventcb(b, BEV_EVENT_ERROR, 0);
            goto done;
        }
        connected = true;
        run_eventcb(b, BEV_EVENT_CONNECTED, 0);
        if (!(b->enabled & EV_WRITE) || p->write_suspended) {
            event_del(&b->ev_write);
            goto done;
        }
    }
    write_output(b, connected);
done:
    decref_and_unlock(b);
}

// Whether data added to the output now can be written: writing is on, not held off,
// and there is a descriptor and a base (bufferevent_new leaves the base to
// bufferevent_base_set when no current base exists).
bool may_write(bufferevent* b) {
    Private* p = upcast(b);
    return (b->enabled & EV_WRITE) && !p->write_suspended && !p->dying && fd_of(b) >= 0 &&
           b->ev_write.ev_base != nullptr;
}

// Data added to the output: if writing is on and idle, run the write event from the
// loop at once instead of registering it and waiting for the kernel to report the
// socket writable. A socket with room (the usual case) then costs one writev and no
// epoll_ctl; only a full socket gets watched (watch_writability). Data added by the
// read callback is written when that returns (write_after_readcb).
void output_cb(evbuffer*, const evbuffer_cb_info* info, void* arg) {
    bufferevent* b = static_cast<bufferevent*>(arg);
    Private* p = upcast(b);
    if (!info->n_added || !may_write(b)) return;
    if (p->in_readcb)
        p->write_after_readcb = true;
    else
        vigil::activate_unless_pending(&b->ev_write, EV_WRITE);
}

// A program that answers in its read callback (an echo, a request/response protocol)
// has its answer written as soon as the callback returns, by the write event's steps
// but without a trip through the event queue. Where the write event would not have run
// now, nothing changes: it is pending anyway (waiting for room or for a connect, or
// queued), or the callback dropped the last outside reference (a bufferevent freed in
// its read callback sends nothing more, as in libevent), or writing was turned off.
void write_after_readcb(bufferevent* b) {
    Private* p = upcast(b);
    p->write_after_readcb = false;
    if (p->refcnt == 1 || !may_write(b) || !b->output->total) return;
    if (p->connecting)
        vigil::activate_unless_pending(&b->ev_write, EV_WRITE);
    else if (!vigil::pending_for(&b->ev_write, EV_WRITE))
        write_output(b, false);
}

int socket_enable(bufferevent* b, short what) {
    // Without a descriptor there is nothing to watch yet; setfd/connect enable later.
    if (fd_of(b) < 0) return 0;
    if ((what & EV_READ) && add_event(&b->ev_read, &b->timeout_read) < 0) return -1;
    if ((what & EV_WRITE) && add_event(&b->ev_write, &b->timeout_write) < 0) return -1;
    return 0;
}

int socket_disable(bufferevent* b, short what) {
    if ((what & EV_READ) && event_del(&b->ev_read) < 0) return -1;
    // A connect in progress is watched through the write event: keep it.
    if ((what & EV_WRITE) && !upcast(b)->connecting && event_del(&b->ev_write) < 0) return -1;
    return 0;
}

void socket_destruct(bufferevent* b) {
    evutil_socket_t fd = fd_of(b);
    if ((upcast(b)->options & BEV_OPT_CLOSE_ON_FREE) && fd >= 0) evutil_closesocket(fd);
}

int socket_adj_timeouts(bufferevent* b) {
    int r = 0;
    if (event_pending(&b->ev_read, EV_READ, nullptr)) {
        if (b->timeout_read.tv_sec || b->timeout_read.tv_usec) {
            if (event_add(&b->ev_read, &b->timeout_read) < 0) r = -1;
        } else {
            event_remove_timer(&b->ev_read);
        }
    }
    if (event_pending(&b->ev_write, EV_WRITE, nullptr)) {
        if (b->timeout_write.tv_sec || b->timeout_write.tv_usec) {
            if (event_add(&b->ev_write, &b->timeout_write) < 0) r = -1;
        } else {
            event_remove_timer(&b->ev_write);
        }
    }
    return r;
}

int socket_flush(bufferevent*, short, bufferevent_flush_mode) { return 0; }

void assign_events(bufferevent* b, event_base* base, evutil_socket_t fd) {
    event_assign(&b->ev_read, base, fd, EV_READ | EV_PERSIST | EV_FINALIZE, socket_readcb, b);
    event_assign(&b->ev_write, base, fd, EV_WRITE | EV_PERSIST | EV_FINALIZE, socket_writecb, b);
}

void set_fd(bufferevent* b, evutil_socket_t fd) {
    event_del(&b->ev_read);
    event_del(&b->ev_write);
    assign_events(b, base_of(b), fd);
    if (fd >= 0) bufferevent_enable(b, b->enabled);
}

int socket_ctrl(bufferevent* b, Ctrl op, CtrlData* d) {
    switch (op) {
        case Ctrl::kSetFd:
            set_fd(b, d->fd);
            return 0;
        case Ctrl::kGetFd:
            d->fd = fd_of(b);
            return 0;
        case Ctrl::kGetUnderlying:
            return -1;
    }
    return -1;
}

const bufferevent_ops kSocketOps = {
    "socket", socket_enable, socket_disable, nullptr, socket_destruct, socket_adj_timeouts, socket_flush,
    socket_ctrl,
};

bool is_socket(const bufferevent* b) { return b->be_ops == &kSocketOps; }

// connect() on a non-blocking socket: 1 connected, 0 in progress, 2 refused at once,
// -1 failed.
int start_connect(evutil_socket_t fd, const sockaddr* sa, int socklen) {
    if (connect(fd, sa, socklen_t(socklen)) == 0) return 1;
    if (errno == EINPROGRESS || errno == EINTR) return 0;
    if (errno == ECONNREFUSED) return 2;
    return -1;
}

}  // namespace
}  // namespace vigil::bev

using namespace vigil::bev;

extern "C" {

struct bufferevent* bufferevent_socket_new(struct event_base* base, evutil_socket_t fd, int options) {
    // A socket bufferevent needs nothing beyond the common part.
    Private* p = vigil::mm_new<Private>();
    if (!p) return nullptr;
    bufferevent* b = downcast(p);
    if (init_common(p, base, &kSocketOps, options) < 0) {
        free_unfinished(p);
        return nullptr;
    }
    evbuffer_set_flags(b->output, EVBUFFER_FLAG_DRAINS_TO_FD);
    if (!vigil::buf::add_cb_for_additions(b->output, output_cb, b)) {
        free_unfinished(p);
        return nullptr;
    }
    assign_events(b, base, fd);
    // Only the bufferevent adds to its input and drains its output.
    evbuffer_freeze(b->input, 0);
    evbuffer_freeze(b->output, 1);
    return b;
}

int bufferevent_socket_connect(struct bufferevent* bev, const struct sockaddr* sa, int socklen) {
    if (!bev) return -1;
    if (!is_socket(bev)) {
        vigil_warn("bufferevent_socket_connect: not a socket bufferevent");
        return -1;
    }
    Private* p = upcast(bev);
    int result = -1;
    incref_and_lock(bev);
    evutil_socket_t fd = fd_of(bev);
    bool own_fd = false;
    int r = 0;
    if (fd < 0) {
        if (!sa) goto done;
        fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) goto done;
        own_fd = true;
    }
    if (sa) {
        r = start_connect(fd, sa, socklen);
        if (r < 0) {
            if (own_fd) evutil_closesocket(fd);
            goto done;
        }
    }
    set_fd(bev, fd);
    result = 0;
    if (r == 0) {
        if (socket_enable(bev, EV_WRITE) == 0)
            p->connecting = true;
        else
            result = -1;
    } else if (r == 1) {
        // Connected at once (AF_UNIX does this): the write callback says so, later.
        p->connecting = true;
        trigger_nolock(bev, EV_WRITE, BEV_OPT_DEFER_CALLBACKS);
    } else {
        run_eventcb(bev, BEV_EVENT_ERROR, BEV_OPT_DEFER_CALLBACKS);
        bufferevent_disable(bev, EV_WRITE | EV_READ);
    }
done:
    decref_and_unlock(bev);
    return result;
}

int bufferevent_socket_connect_hostname(struct bufferevent* bev, struct evdns_base* evdns_base, int family,
                                        const char* hostname, int port) {
    (void)evdns_base;  // names resolve through evutil_getaddrinfo until evdns exists
    if (!bev || !hostname) return -1;
    if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC) return -1;
    if (port < 1 || port > 65535) return -1;
    if (!is_socket(bev)) {
        vigil_warn("bufferevent_socket_connect_hostname: not a socket bufferevent");
        return -1;
    }
    Private* p = upcast(bev);
    evutil_addrinfo hint{};
    hint.ai_family = family;
    hint.ai_protocol = IPPROTO_TCP;
    hint.ai_socktype = SOCK_STREAM;
    char portbuf[8];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    incref_and_lock(bev);
    p->dns_error = 0;
    evutil_addrinfo* ai = nullptr;
    int err = evutil_getaddrinfo(hostname, portbuf, &hint, &ai);
    if (err != 0) {
        p->dns_error = err;
        run_eventcb(bev, BEV_EVENT_ERROR, 0);
    } else if (bufferevent_socket_connect(bev, ai->ai_addr, int(ai->ai_addrlen)) < 0) {
        run_eventcb(bev, BEV_EVENT_ERROR, 0);
    }
    if (ai) evutil_freeaddrinfo(ai);
    decref_and_unlock(bev);
    return 0;
}

int bufferevent_socket_get_dns_error(struct bufferevent* bev) {
    if (!bev) return 0;
    lock(bev);
    int r = upcast(bev)->dns_error;
    unlock(bev);
    return r;
}

int bufferevent_priority_set(struct bufferevent* bufev, int priority) {
    if (!bufev) return -1;
    int r = -1;
    lock(bufev);
    if (is_socket(bufev) && event_priority_set(&bufev->ev_read, priority) == 0 &&
        event_priority_set(&bufev->ev_write, priority) == 0) {
        vigil::deferred_set_priority(&upcast(bufev)->deferred, uint8_t(priority));
        r = 0;
    }
    unlock(bufev);
    return r;
}

int bufferevent_get_priority(const struct bufferevent* bufev) {
    return bufev ? event_get_priority(&bufev->ev_read) : -1;
}

// ---- the 1.x API (bufferevent_compat.h)

struct bufferevent* bufferevent_new(evutil_socket_t fd, evbuffercb readcb, evbuffercb writecb, everrorcb errorcb,
                                    void* cbarg) {
    bufferevent* b = bufferevent_socket_new(nullptr, fd, 0);
    if (b) bufferevent_setcb(b, readcb, writecb, errorcb, cbarg);
    return b;
}

int bufferevent_base_set(struct event_base* base, struct bufferevent* bufev) {
    if (!base || !bufev) return -1;
    int r = -1;
    lock(bufev);
    if (is_socket(bufev)) {
        bufev->ev_base = base;
        if (event_base_set(base, &bufev->ev_read) == 0 && event_base_set(base, &bufev->ev_write) == 0) r = 0;
    }
    unlock(bufev);
    return r;
}

}  // extern "C"
