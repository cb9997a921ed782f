// event2/listener.h: connection listeners, built on the public event API only.
//
// A listener is one persistent EV_READ event on the listening socket. Each time it
// fires, the socket is drained with accept4() until the kernel says "try again", and
// every new socket goes to the user's callback. The callbacks run without the
// listener's lock held; a reference count held across each call keeps the object alive
// if the callback frees it, and the last reference to go destroys it.
//
// Resource exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM) leaves the connection in the
// backlog, so the socket stays readable. libevent 2.1.12 then reports the error on
// every loop iteration and the loop spins. vigil reports the first failure at once as
// libevent does; if the very next attempt fails the same way, it stops watching the
// socket for kPauseMicros before trying again, so the error callback runs a few times
// per second instead of continuously. Any successful accept ends the back-off.
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/runtime.hpp"
#include "thread/thread.hpp"

namespace {

constexpr int kDefaultBacklog = 128;
constexpr long kPauseMicros = 100 * 1000;

}  // namespace

struct evconnlistener {
    event readable;        // EV_READ|EV_PERSIST on the listening socket
    event resume;          // timer ending a back-off after repeated resource errors
    void* lock;            // recursive; only with LEV_OPT_THREADSAFE and threads enabled
    evconnlistener_cb cb;
    evconnlistener_errorcb errorcb;
    void* user_data;
    unsigned flags;
    int accept_flags;      // SOCK_NONBLOCK / SOCK_CLOEXEC for accept4()
    int refs;              // 1 for the user's handle, +1 per callback in progress
    int resource_failures; // consecutive accept() failures for lack of resources
    bool enabled;          // what the user asked for (the event may wait for a callback)
    bool paused;           // in a back-off: `resume` is pending, `readable` is not
};

namespace {

void take(evconnlistener* lev) {
    if (lev->lock) vigil::lock_acquire(lev->lock);
}
void give(evconnlistener* lev) {
    if (lev->lock) vigil::lock_release(lev->lock);
}

// Ends a back-off early (the user enabled or disabled the listener meanwhile).
// Calls made with the lock held never wait for a running callback of the listener
// (event_del_noblock): that callback may itself be waiting for the lock. Both callbacks
// re-check the state under the lock, so one that is already running does no harm.
void cancel_pause(evconnlistener* lev) {
    if (!lev->paused) return;
    lev->paused = false;
    event_del_noblock(&lev->resume);
}

// Lock held. Watches the socket if the listener is enabled and has a callback.
int start_locked(evconnlistener* lev) {
    lev->enabled = true;
    if (!lev->cb) return 0;
    cancel_pause(lev);
    return event_add(&lev->readable, nullptr);
}

// Called with the lock held; drops one reference and the lock. The last reference
// tears the listener down and frees it; returns whether that happened.
bool unref_and_unlock(evconnlistener* lev) {
    if (--lev->refs > 0) {
        give(lev);
        return false;
    }
    // refs == 0 tells a callback that is about to run on the loop thread to leave the
    // object alone. The lock is released before event_del, which (from another thread)
    // waits for such a callback to finish and so must not wait while holding it.
    give(lev);
    event_del(&lev->readable);
    event_del(&lev->resume);
    if (lev->flags & LEV_OPT_CLOSE_ON_FREE) evutil_closesocket(event_get_fd(&lev->readable));
    event_debug_unassign(&lev->readable);
    event_debug_unassign(&lev->resume);
    vigil::lock_free(lev->lock);
    vigil::mm_free(lev);
    return true;
}

// Lock held, after a callback returns: drops the reference taken for it. If that was the
// last one (the callback freed the listener), destroys it and returns true; otherwise
// the lock is still held.
bool drop_callback_ref(evconnlistener* lev) {
    if (lev->refs == 1) return unref_and_unlock(lev);
    --lev->refs;
    return false;
}

bool retry_later(int err) {
    return err == EINTR || err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED;
}
bool out_of_resources(int err) {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

void on_resume(evutil_socket_t, short, void* arg) {
    auto* lev = static_cast<evconnlistener*>(arg);
    take(lev);
    if (lev->refs > 0 && lev->paused) {
        lev->paused = false;
        if (lev->enabled && lev->cb) event_add(&lev->readable, nullptr);
    }
    give(lev);
}

void on_readable(evutil_socket_t fd, short, void* arg) {
    auto* lev = static_cast<evconnlistener*>(arg);
    take(lev);
    if (lev->refs == 0) {  // being freed by another thread
        give(lev);
        return;
    }
    int err = 0;
    for (;;) {
        sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        int conn = accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, lev->accept_flags);
        if (conn < 0) {
            err = errno;
            break;
        }
        lev->resource_failures = 0;
        if (peer_len == 0) {  // an address-less connection some kernels report; drop it
            evutil_closesocket(conn);
            continue;
        }
        if (!lev->cb) {  // callback removed while enabled: the connection is refused
            evutil_closesocket(conn);
            give(lev);
            return;
        }
        evconnlistener_cb cb = lev->cb;
        void* user_data = lev->user_data;
        ++lev->refs;
        give(lev);
        cb(lev, conn, reinterpret_cast<sockaddr*>(&peer), int(peer_len), user_data);
        take(lev);
        if (drop_callback_ref(lev)) return;
        if (!lev->enabled) {  // the callback disabled the listener
            give(lev);
            return;
        }
    }
    if (retry_later(err)) {
        give(lev);
        return;
    }
    const bool resources = out_of_resources(err);
    if (lev->errorcb) {
        evconnlistener_errorcb errorcb = lev->errorcb;
        void* user_data = lev->user_data;
        ++lev->refs;
        give(lev);
        errno = err;
        errorcb(lev, user_data);
        take(lev);
        if (drop_callback_ref(lev)) return;
    } else {
        errno = err;
        vigil::log_errno("Error from accept() call on fd %d", int(fd));
    }
    if (resources && lev->enabled && !lev->paused && ++lev->resource_failures >= 2 &&
        event_pending(&lev->readable, EV_READ, nullptr)) {
        timeval pause = vigil::us_to_tv(kPauseMicros);
        if (event_add(&lev->resume, &pause) == 0) {
            lev->paused = true;
            event_del_noblock(&lev->readable);
        }
    }
    give(lev);
}

}  // namespace

extern "C" {

VIGIL_EXPORT struct evconnlistener* evconnlistener_new(struct event_base* base, evconnlistener_cb cb, void* ptr,
                                                       unsigned flags, int backlog, evutil_socket_t fd) {
    if (fd < 0) {
        vigil_warn("evconnlistener_new: invalid socket %d", int(fd));
        return nullptr;
    }
    if (backlog != 0 && listen(fd, backlog > 0 ? backlog : kDefaultBacklog) < 0) {
        int saved = errno;
        vigil::log_errno("evconnlistener_new: listen on fd %d", int(fd));
        errno = saved;
        return nullptr;
    }
    auto* lev = static_cast<evconnlistener*>(vigil::mm_calloc(1, sizeof(evconnlistener)));
    if (!lev) {
        vigil::log_errno("evconnlistener_new: malloc");
        return nullptr;
    }
    lev->cb = cb;
    lev->user_data = ptr;
    lev->flags = flags;
    lev->refs = 1;
    if (!(flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING)) lev->accept_flags |= SOCK_NONBLOCK;
    if (flags & LEV_OPT_CLOSE_ON_EXEC) lev->accept_flags |= SOCK_CLOEXEC;
    if (event_assign(&lev->readable, base, fd, EV_READ | EV_PERSIST, on_readable, lev) < 0 ||
        event_assign(&lev->resume, base, -1, 0, on_resume, lev) < 0) {
        vigil::mm_free(lev);
        return nullptr;
    }
    if (!event_get_base(&lev->readable)) {
        vigil_warn("evconnlistener_new: no event_base (NULL base and no current base)");
        event_debug_unassign(&lev->readable);
        event_debug_unassign(&lev->resume);
        vigil::mm_free(lev);
        return nullptr;
    }
    if (flags & LEV_OPT_THREADSAFE) lev->lock = vigil::lock_new();
    if (!(flags & LEV_OPT_DISABLED)) {
        // As in libevent, a socket the backend refuses still yields a listener; event_add
        // has logged why, and evconnlistener_enable can be retried.
        take(lev);
        start_locked(lev);
        give(lev);
    }
    return lev;
}

VIGIL_EXPORT struct evconnlistener* evconnlistener_new_bind(struct event_base* base, evconnlistener_cb cb, void* ptr,
                                                            unsigned flags, int backlog, const struct sockaddr* sa,
                                                            int socklen) {
    if (backlog == 0) {
        vigil_warn("evconnlistener_new_bind: a backlog of 0 is not allowed here");
        return nullptr;
    }
    const int family = sa ? sa->sa_family : AF_UNSPEC;
    int type = SOCK_STREAM | SOCK_NONBLOCK;
    if (flags & LEV_OPT_CLOSE_ON_EXEC) type |= SOCK_CLOEXEC;
    int fd = socket(family, type, 0);
    if (fd < 0) {
        int saved = errno;
        vigil::log_errno("evconnlistener_new_bind: socket");
        errno = saved;
        return nullptr;
    }
    const char* step = nullptr;
    const int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0)  // on local sockets too, as libevent 2.1
        step = "SO_KEEPALIVE";
    else if ((flags & LEV_OPT_REUSEABLE) && evutil_make_listen_socket_reuseable(fd) < 0)
        step = "SO_REUSEADDR";
    else if ((flags & LEV_OPT_REUSEABLE_PORT) && evutil_make_listen_socket_reuseable_port(fd) < 0)
        step = "SO_REUSEPORT";
    else if ((flags & LEV_OPT_DEFERRED_ACCEPT) && evutil_make_tcp_listen_socket_deferred(fd) < 0)
        step = "TCP_DEFER_ACCEPT";
    else if ((flags & LEV_OPT_BIND_IPV6ONLY) && evutil_make_listen_socket_ipv6only(fd) < 0)
        step = "IPV6_V6ONLY";
    else if (bind(fd, sa, socklen_t(socklen)) < 0)
        step = "bind";
    if (step) {
        int saved = errno;
        vigil::log_errno("evconnlistener_new_bind: %s", step);
        evutil_closesocket(fd);
        errno = saved;
        return nullptr;
    }
    evconnlistener* lev = evconnlistener_new(base, cb, ptr, flags, backlog, fd);
    if (!lev) {
        int saved = errno;
        evutil_closesocket(fd);
        errno = saved;
    }
    return lev;
}

VIGIL_EXPORT void evconnlistener_free(struct evconnlistener* lev) {
    if (!lev) return;
    take(lev);
    lev->cb = nullptr;
    lev->errorcb = nullptr;
    unref_and_unlock(lev);
}

VIGIL_EXPORT int evconnlistener_enable(struct evconnlistener* lev) {
    if (!lev) {
        vigil_warn("evconnlistener_enable: NULL listener");
        return -1;
    }
    take(lev);
    int r = start_locked(lev);
    give(lev);
    return r;
}

VIGIL_EXPORT int evconnlistener_disable(struct evconnlistener* lev) {
    if (!lev) {
        vigil_warn("evconnlistener_disable: NULL listener");
        return -1;
    }
    take(lev);
    lev->enabled = false;
    cancel_pause(lev);
    // libevent's event_del here deadlocks when another thread disables the listener
    // while the loop thread runs its callback (event_del waits for the callback, which
    // waits for this lock); the callback stops its accept loop on its own once it sees
    // `enabled` cleared.
    int r = event_del_noblock(&lev->readable);
    give(lev);
    return r;
}

VIGIL_EXPORT struct event_base* evconnlistener_get_base(struct evconnlistener* lev) {
    return lev ? event_get_base(&lev->readable) : nullptr;
}

VIGIL_EXPORT evutil_socket_t evconnlistener_get_fd(struct evconnlistener* lev) {
    return lev ? event_get_fd(&lev->readable) : -1;
}

VIGIL_EXPORT void evconnlistener_set_cb(struct evconnlistener* lev, evconnlistener_cb cb, void* arg) {
    if (!lev) return;
    take(lev);
    const bool was_waiting = lev->enabled && !lev->cb;
    lev->cb = cb;
    lev->user_data = arg;
    if (was_waiting) start_locked(lev);
    give(lev);
}

VIGIL_EXPORT void evconnlistener_set_error_cb(struct evconnlistener* lev, evconnlistener_errorcb errorcb) {
    if (!lev) return;
    take(lev);
    lev->errorcb = errorcb;
    give(lev);
}

}  // extern "C"
