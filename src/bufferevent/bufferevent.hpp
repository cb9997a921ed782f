// What every kind of bufferevent shares (socket, pair, filter): the private state behind
// the public struct bufferevent, the per-kind operations table, reference counting,
// locking, suspension, callback delivery and rate limiting hooks.
//
// A bufferevent is one allocation: the kind's own struct, whose first member is
// vigil::bev::Private, whose first member is the public struct bufferevent (libevent's
// layout, read directly by programs such as tmux). The last reference to go deletes
// the kind's events and finalizes ev_read; the finalizer, run from the loop once no
// callback of the bufferevent can be running, destroys it (be_ops->destruct) and frees
// the memory. File descriptors are therefore closed on the loop's next pass after
// bufferevent_free, as in libevent.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "buffer/buffer.hpp"
#include "core/runtime.hpp"
#include "thread/thread.hpp"

namespace vigil::bev {

// Why reading or writing is held off; each reason is set and cleared independently
// and the direction runs only when none is set.
enum Suspend : uint16_t {
    kSuspendWm = 0x01,        // input reached the read high-water mark
    kSuspendBw = 0x02,        // the bufferevent's own token bucket is empty
    kSuspendBwGroup = 0x04,   // its rate-limit group's bucket is empty
    kSuspendLookup = 0x08,    // connect_hostname is resolving
    kSuspendFiltRead = 0x10,  // a filter on top stopped taking data
};

enum class Ctrl { kGetFd, kSetFd, kGetUnderlying };
union CtrlData {
    evutil_socket_t fd;
    bufferevent* ptr;
};

// libevent's defaults for bufferevent_set_max_single_read/write.
constexpr ev_ssize_t kDefaultMaxSingle = 16384;

struct RateLimit;  // src/bufferevent/ratelim.cpp

}  // namespace vigil::bev

// The per-kind operations; be_ops in the public struct points at one of these.
struct bufferevent_ops {
    const char* type;
    // Start/stop the kind's I/O in the given directions (already filtered by suspension).
    int (*enable)(bufferevent*, short what);
    int (*disable)(bufferevent*, short what);
    // The last reference is gone: detach from partners (lock held). May be null.
    void (*unlink)(bufferevent*);
    // Release the kind's resources (fd, underlying) right before the memory. May be null.
    void (*destruct)(bufferevent*);
    // timeout_read/timeout_write changed.
    int (*adj_timeouts)(bufferevent*);
    int (*flush)(bufferevent*, short iotype, bufferevent_flush_mode mode);
    int (*ctrl)(bufferevent*, vigil::bev::Ctrl op, vigil::bev::CtrlData* data);
};

namespace vigil::bev {

struct Private {
    bufferevent bev{};  // first: the public part
    void* lock = nullptr;
    bool own_lock = false;
    // The last reference is gone and destruction waits for the finalizer: internal
    // callbacks that still run (a timer, a rate-limit refill) must change nothing.
    bool dying = false;
    bool connecting = false;          // socket: waiting for connect() to finish
    bool connection_refused = false;  // socket: a read saw ECONNREFUSED while connecting
    bool last_read_full = false;      // socket: the last read took all it was offered
    bool in_readcb = false;           // socket: the read callback runs from socket_readcb
    bool write_after_readcb = false;  // socket: it added output, written when it returns
    bool readcb_pending = false;      // deferred callbacks waiting to run
    bool writecb_pending = false;
    short eventcb_pending = 0;
    int errno_pending = 0;
    int refcnt = 1;
    int options = 0;
    int dns_error = 0;
    uint16_t read_suspended = 0;
    uint16_t write_suspended = 0;
    ev_ssize_t max_single_read = kDefaultMaxSingle;
    ev_ssize_t max_single_write = kDefaultMaxSingle;
    evbuffer_cb_entry* read_wm_cb = nullptr;  // input watcher for the read high-water mark
    RateLimit* rate = nullptr;                // null: unlimited
    event_callback deferred{};                // runs the pending callbacks (DEFER_CALLBACKS)
};

inline Private* upcast(bufferevent* b) { return reinterpret_cast<Private*>(b); }
inline const Private* upcast(const bufferevent* b) { return reinterpret_cast<const Private*>(b); }
inline bufferevent* downcast(Private* p) { return &p->bev; }
// The base a bufferevent's events live on. bufferevent_new (1.x API) leaves ev_base
// null and its events on the current base until bufferevent_base_set.
inline event_base* base_of(bufferevent* b) { return b->ev_read.ev_base; }

// Sets up the common part of a freshly allocated (value-initialised) bufferevent:
// buffers, lock, deferred callback. Returns -1 on failure; the caller then calls
// free_unfinished().
int init_common(Private* p, event_base* base, const bufferevent_ops* ops, int options);
void free_unfinished(Private* p);
// Shares lock (or makes a new one if null) with the bufferevent and its buffers.
int enable_locking(bufferevent* b, void* lock);

// Without a lock (or before threads are set up) these are one test each.
inline bool locked(const Private* p) { return p->lock && threads_enabled(); }
inline void lock(bufferevent* b) {
    if (locked(upcast(b))) lock_acquire(upcast(b)->lock);
}
inline void unlock(bufferevent* b) {
    if (locked(upcast(b))) lock_release(upcast(b)->lock);
}
inline void incref_and_lock(bufferevent* b) {
    lock(b);
    ++upcast(b)->refcnt;
}
// Returns 1 if that was the last reference (the bufferevent is being destroyed).
int decref_and_unlock(bufferevent* b);
void incref(bufferevent* b);
int decref(bufferevent* b);

// Deliver callbacks now, or queue them when the bufferevent (or options) defers them.
void run_readcb(bufferevent* b, int options);
void run_writecb(bufferevent* b, int options);
void run_eventcb(bufferevent* b, short what, int options);
// Read callback if the input reached the low-water mark, write callback if the output
// fell to the write low-water mark (unless BEV_TRIG_IGNORE_WATERMARKS). The caller holds
// the lock, which is also the buffers' lock. Inline: the I/O callbacks call it once per
// read or write with constant arguments.
inline void trigger_nolock(bufferevent* b, short iotype, int options) {
    const bool ignore = options & BEV_TRIG_IGNORE_WATERMARKS;
    if ((iotype & EV_READ) && (ignore || b->input->total >= b->wm_read.low)) run_readcb(b, options);
    if ((iotype & EV_WRITE) && (ignore || b->output->total <= b->wm_write.low)) run_writecb(b, options);
}

void suspend_read(bufferevent* b, uint16_t why);
void unsuspend_read(bufferevent* b, uint16_t why);
void suspend_write(bufferevent* b, uint16_t why);
void unsuspend_write(bufferevent* b, uint16_t why);

// event_add with tv, or with no timeout when tv is zero.
int add_event(event* ev, const timeval* tv);

// Kinds without a descriptor (pair, filter) use ev_read/ev_write as plain timers for
// the read and write timeouts.
void init_generic_timeouts(bufferevent* b);
int generic_adj_timeouts(bufferevent* b);
// After data moved in that direction: restart its timeout.
void reset_generic_read_timeout(bufferevent* b);
void reset_generic_write_timeout(bufferevent* b);

// ---- rate limiting (ratelim.cpp)
// How much one read / write may move now: max_single_read/write, capped by the token
// buckets of the bufferevent and of its group.
ev_ssize_t rlim_max(Private* p, bool write);
inline ev_ssize_t read_max(Private* p) {
    return VIGIL_LIKELY(!p->rate) ? p->max_single_read : rlim_max(p, false);
}
inline ev_ssize_t write_max(Private* p) {
    return VIGIL_LIKELY(!p->rate) ? p->max_single_write : rlim_max(p, true);
}
// Account for bytes moved; suspends the direction when a bucket runs dry.
void decrement_buckets(Private* p, ev_ssize_t n, bool write);
inline void decrement_read_buckets(Private* p, ev_ssize_t n) {
    if (VIGIL_UNLIKELY(p->rate != nullptr)) decrement_buckets(p, n, false);
}
inline void decrement_write_buckets(Private* p, ev_ssize_t n) {
    if (VIGIL_UNLIKELY(p->rate != nullptr)) decrement_buckets(p, n, true);
}
// Called by the finalizer (from the loop, no callback of the bufferevent running, lock
// held): leave the group, stop the refill timer, free the state. Until then `dying`
// tells the refill callbacks to leave the bufferevent alone.
void ratelim_release(Private* p);

}  // namespace vigil::bev
