// Signal events through a self-pipe: the handler writes the signal number to a socket
// that the base watches like any other fd, so callbacks run from the loop, never from
// the handler.
//
// POSIX handlers are process-wide, so one base at a time receives signals: the base that
// most recently added a signal event, or that most recently started its loop with signal
// events added. Signal events on other bases stay pending until their base takes over.
#include "core/base.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

using namespace vigil;

namespace {

std::atomic<int> g_signal_write_fd{-1};
std::atomic<event_base*> g_signal_base{nullptr};

extern "C" void vigil_signal_handler(int sig) {
    int saved = errno;
    int fd = g_signal_write_fd.load(std::memory_order_relaxed);
    if (fd >= 0) {
        unsigned char b = static_cast<unsigned char>(sig);
        (void)!send(fd, &b, 1, MSG_DONTWAIT);
    }
    errno = saved;
}

void drain_signal_pipe(evutil_socket_t fd, short, void* arg) {
    event_base* base = static_cast<event_base*>(arg);
    int counts[NSIG] = {};
    unsigned char buf[1024];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            break;
        }
        for (ssize_t i = 0; i < n; ++i)
            if (buf[i] < NSIG) ++counts[buf[i]];
    }
    for (int s = 1; s < NSIG; ++s)
        if (counts[s]) base->signal_ready(s, counts[s]);
}

}  // namespace

namespace vigil {
void claim_signals(event_base* base) {
    g_signal_base.store(base);
    g_signal_write_fd.store(base->sig.pipe[1]);
}
}  // namespace vigil

static int open_signal_pipe(event_base* base) {
    SignalState& s = base->sig;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s.pipe) < 0) {
        log_errno("signal: socketpair");
        s.pipe[0] = s.pipe[1] = -1;
        return -1;
    }
    event_assign(&s.reader, base, s.pipe[0], EV_READ | EV_PERSIST, drain_signal_pipe, base);
    s.reader.ev_flags |= EVLIST_INTERNAL;
    s.reader.ev_pri = 0;
    return 0;
}

int event_base::signal_add(event* ev) {
    int signo = ev->ev_fd;
    if (signo <= 0 || signo >= NSIG) {
        vigil_warn("event_add: signal number %d is out of range (1..%d)", signo, NSIG - 1);
        return -1;
    }
    if (sig.pipe[0] < 0 && open_signal_pipe(this) < 0) return -1;
    if (!sig_heads[signo]) {
        auto* saved = static_cast<struct sigaction*>(mm_malloc(sizeof(struct sigaction)));
        if (!saved) return -1;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = vigil_signal_handler;
        sa.sa_flags = SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (sigaction(signo, &sa, saved) < 0) {
            log_errno("sigaction(%d)", signo);
            mm_free(saved);
            return -1;
        }
        sig.saved[signo] = saved;
        if (sig.nadded++ == 0 && !sig.reader_added) {
            if (add_event(&sig.reader, nullptr, false) == 0) sig.reader_added = true;
        }
    }
    claim_signals(this);
    ev->ev_signal_next.le_next = sig_heads[signo];
    if (sig_heads[signo]) sig_heads[signo]->ev_signal_next.le_prev = &ev->ev_signal_next.le_next;
    ev->ev_signal_next.le_prev = &sig_heads[signo];
    sig_heads[signo] = ev;
    return 0;
}

void event_base::signal_del(event* ev) {
    int s = ev->ev_fd;
    if (ev->ev_signal_next.le_next) ev->ev_signal_next.le_next->ev_signal_next.le_prev = ev->ev_signal_next.le_prev;
    *ev->ev_signal_next.le_prev = ev->ev_signal_next.le_next;
    if (sig_heads[s]) return;
    // The last event for this signal: give the signal back its previous disposition.
    if (sig.saved[s]) {
        if (sigaction(s, sig.saved[s], nullptr) < 0) log_errno("sigaction(%d) restore", s);
        mm_free(sig.saved[s]);
        sig.saved[s] = nullptr;
    }
    if (--sig.nadded == 0 && sig.reader_added) {
        del_event(&sig.reader);
        sig.reader_added = false;
    }
}

void event_base::signal_ready(int s, int ncalls) {
    for (event* ev = sig_heads[s]; ev;) {
        event* next = ev->ev_signal_next.le_next;
        activate(ev, EV_SIGNAL, short(ncalls));
        ev = next;
    }
}

int event_base::signal_reinit() {
    if (sig.pipe[0] < 0) return 0;
    bool was_added = sig.reader_added;
    if (was_added) {
        del_event(&sig.reader);
        sig.reader_added = false;
    }
    close(sig.pipe[0]);
    close(sig.pipe[1]);
    sig.pipe[0] = sig.pipe[1] = -1;
    if (open_signal_pipe(this) < 0) return -1;
    if (was_added) {
        if (add_event(&sig.reader, nullptr, false) < 0) return -1;
        sig.reader_added = true;
    }
    if (g_signal_base.load() == this) claim_signals(this);
    return 0;
}

void event_base::signal_free() {
    for (int s = 1; s < NSIG; ++s)
        if (sig.saved[s]) {
            sigaction(s, sig.saved[s], nullptr);
            mm_free(sig.saved[s]);
            sig.saved[s] = nullptr;
        }
    if (g_signal_base.load() == this) {
        g_signal_write_fd.store(-1);
        g_signal_base.store(nullptr);
    }
    if (sig.pipe[0] >= 0) {
        if (sig.reader_added) del_event(&sig.reader);
        debug_note_teardown(&sig.reader);
        close(sig.pipe[0]);
        close(sig.pipe[1]);
        sig.pipe[0] = sig.pipe[1] = -1;
    }
}
