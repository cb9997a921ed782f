// The part of event2/bufferevent.h every kind shares: life cycle, locking, callbacks,
// watermarks, enabling, timeouts, triggers. Kinds plug in through bufferevent_ops.
#include "bufferevent/bufferevent.hpp"

#include <errno.h>
#include <string.h>

#include "buffer/buffer.hpp"
#include "core/deferred.hpp"
#include "thread/thread.hpp"

namespace vigil::bev {

namespace {

void recheck_read_mark(bufferevent* b);

// The pending callbacks, run from the loop for DEFER_CALLBACKS bufferevents. CONNECTED
// goes first: it happened before any data moved.
void run_deferred(event_callback*, void* arg) {
    Private* p = static_cast<Private*>(arg);
    bufferevent* b = downcast(p);
    lock(b);
    const bool unlock_cbs = p->options & BEV_OPT_UNLOCK_CALLBACKS;
    // Each callback is read again after the previous one: it may have changed them.
    auto call_data = [&](bufferevent_data_cb cb) {
        void* arg2 = b->cbarg;
        if (unlock_cbs) unlock(b);
        cb(b, arg2);
        if (unlock_cbs) lock(b);
    };
    auto call_event = [&](short what, int err) {
        bufferevent_event_cb cb = b->errorcb;
        void* arg2 = b->cbarg;
        if (unlock_cbs) unlock(b);
        errno = err;
        cb(b, what, arg2);
        if (unlock_cbs) lock(b);
    };
    if ((p->eventcb_pending & BEV_EVENT_CONNECTED) && b->errorcb) {
        p->eventcb_pending = short(p->eventcb_pending & ~BEV_EVENT_CONNECTED);
        call_event(BEV_EVENT_CONNECTED, 0);
    }
    if (p->readcb_pending && b->readcb) {
        p->readcb_pending = false;
        call_data(b->readcb);
        recheck_read_mark(b);
    }
    if (p->writecb_pending && b->writecb) {
        p->writecb_pending = false;
        call_data(b->writecb);
    }
    if (p->eventcb_pending && b->errorcb) {
        short what = p->eventcb_pending;
        int err = p->errno_pending;
        p->eventcb_pending = 0;
        p->errno_pending = 0;
        call_event(what, err);
    }
    decref_and_unlock(b);
}

// After a read callback: if the input still sits at the read high-water mark, reading
// stays suspended and no new data will call back, so libevent 2.1.12 calls the read
// callback again from the next loop iteration (until the input is drained or reading
// disabled). vigil does the same; programs rely on being called again.
void recheck_read_mark(bufferevent* b) {
    if (!b->wm_read.high || !(b->enabled & EV_READ) || evbuffer_get_length(b->input) < b->wm_read.high) return;
    trigger_nolock(b, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

// Queues the deferred runner, holding a reference until it has run.
void schedule_deferred(Private* p) {
    bufferevent* b = downcast(p);
    if (p->dying) return;
    ++p->refcnt;
    if (!deferred_schedule(base_of(b), &p->deferred)) --p->refcnt;
}

// The input buffer's watcher for the read high-water mark.
void input_wm_cb(evbuffer* buf, const evbuffer_cb_info*, void* arg) {
    bufferevent* b = static_cast<bufferevent*>(arg);
    if (evbuffer_get_length(buf) >= b->wm_read.high)
        suspend_read(b, kSuspendWm);
    else
        unsuspend_read(b, kSuspendWm);
}

// Runs from the loop once no callback of the bufferevent can run any more.
void finalize(event*, void* arg) {
    Private* p = static_cast<Private*>(arg);
    bufferevent* b = downcast(p);
    lock(b);
    bufferevent* underlying = nullptr;
    if (b->be_ops->ctrl) {
        CtrlData d{};
        if (b->be_ops->ctrl(b, Ctrl::kGetUnderlying, &d) == 0) underlying = d.ptr;
    }
    if (b->be_ops->destruct) b->be_ops->destruct(b);
    if (p->rate) ratelim_release(p);
    unlock(b);
    free_unfinished(p);
    // The reference a filter held on what it filters goes last.
    if (underlying) decref(underlying);
}

void generic_read_timeout(evutil_socket_t, short, void* arg) {
    bufferevent* b = static_cast<bufferevent*>(arg);
    incref_and_lock(b);
    if (!upcast(b)->dying) {
        bufferevent_disable(b, EV_READ);
        run_eventcb(b, BEV_EVENT_TIMEOUT | BEV_EVENT_READING, 0);
    }
    decref_and_unlock(b);
}

void generic_write_timeout(evutil_socket_t, short, void* arg) {
    bufferevent* b = static_cast<bufferevent*>(arg);
    incref_and_lock(b);
    if (!upcast(b)->dying) {
        bufferevent_disable(b, EV_WRITE);
        run_eventcb(b, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, 0);
    }
    decref_and_unlock(b);
}

bool timer_set(const timeval& tv) { return tv.tv_sec || tv.tv_usec; }

}  // namespace

int init_common(Private* p, event_base* base, const bufferevent_ops* ops, int options) {
    bufferevent* b = downcast(p);
    if ((options & (BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS)) == BEV_OPT_UNLOCK_CALLBACKS) {
        vigil_warn("bufferevent: UNLOCK_CALLBACKS requires DEFER_CALLBACKS");
        return -1;
    }
    b->ev_base = base;
    b->be_ops = ops;
    b->input = evbuffer_new();
    b->output = evbuffer_new();
    if (!b->input || !b->output) return -1;
    // A new bufferevent is write-enabled: data written to it goes out once possible.
    b->enabled = EV_WRITE;
    p->options = options;
    if ((options & BEV_OPT_THREADSAFE) && enable_locking(b, nullptr) < 0) return -1;
    int npri = base ? event_base_get_npriorities(base) : 1;
    deferred_init(&p->deferred, uint8_t(npri / 2), run_deferred, p);
    return 0;
}

void free_unfinished(Private* p) {
    bufferevent* b = downcast(p);
    if (b->input) evbuffer_free(b->input);
    if (b->output) evbuffer_free(b->output);
    if (p->own_lock) lock_free(p->lock);
    mm_free(p);
}

int enable_locking(bufferevent* b, void* lk) {
    Private* p = upcast(b);
    if (p->lock) return -1;
    if (!lk) {
        lk = lock_new();
        if (!lk) {
            vigil_warn("bufferevent: BEV_OPT_THREADSAFE needs thread support (evthread_use_pthreads)");
            return -1;
        }
        p->own_lock = true;
    }
    p->lock = lk;
    evbuffer_enable_locking(b->input, lk);
    evbuffer_enable_locking(b->output, lk);
    return 0;
}

void incref(bufferevent* b) {
    incref_and_lock(b);
    unlock(b);
}

int decref(bufferevent* b) {
    lock(b);
    return decref_and_unlock(b);
}

int decref_and_unlock(bufferevent* b) {
    Private* p = upcast(b);
    if (--p->refcnt > 0 || p->dying) {
        unlock(b);
        return 0;
    }
    p->dying = true;
    if (b->be_ops->unlink) b->be_ops->unlink(b);
    // Nothing of ours may run again (a queued deferred callback would still hold a
    // reference); the finalizer of ev_read runs after whatever callback is running now,
    // and destroys the bufferevent.
    event_del(&b->ev_write);
    if (event_finalize(0, &b->ev_read, finalize) < 0) {
        // ev_read never had a base (1.x API without any base): nothing can be running.
        unlock(b);
        finalize(&b->ev_read, p);
        return 1;
    }
    unlock(b);
    return 1;
}

void run_readcb(bufferevent* b, int options) {
    Private* p = upcast(b);
    if (!b->readcb) return;
    if ((p->options | options) & BEV_OPT_DEFER_CALLBACKS) {
        p->readcb_pending = true;
        schedule_deferred(p);
    } else {
        b->readcb(b, b->cbarg);
        recheck_read_mark(b);
    }
}

void run_writecb(bufferevent* b, int options) {
    Private* p = upcast(b);
    if (!b->writecb) return;
    if ((p->options | options) & BEV_OPT_DEFER_CALLBACKS) {
        p->writecb_pending = true;
        schedule_deferred(p);
    } else {
        b->writecb(b, b->cbarg);
    }
}

void run_eventcb(bufferevent* b, short what, int options) {
    Private* p = upcast(b);
    if (!b->errorcb) return;
    if ((p->options | options) & BEV_OPT_DEFER_CALLBACKS) {
        p->eventcb_pending = short(p->eventcb_pending | what);
        p->errno_pending = errno;
        schedule_deferred(p);
    } else {
        b->errorcb(b, what, b->cbarg);
    }
}

void suspend_read(bufferevent* b, uint16_t why) {
    Private* p = upcast(b);
    lock(b);
    if (!p->read_suspended && !p->dying) b->be_ops->disable(b, EV_READ);
    p->read_suspended = uint16_t(p->read_suspended | why);
    unlock(b);
}

void unsuspend_read(bufferevent* b, uint16_t why) {
    Private* p = upcast(b);
    lock(b);
    p->read_suspended = uint16_t(p->read_suspended & ~why);
    if (!p->read_suspended && (b->enabled & EV_READ) && !p->dying) b->be_ops->enable(b, EV_READ);
    unlock(b);
}

void suspend_write(bufferevent* b, uint16_t why) {
    Private* p = upcast(b);
    lock(b);
    if (!p->write_suspended && !p->dying) b->be_ops->disable(b, EV_WRITE);
    p->write_suspended = uint16_t(p->write_suspended | why);
    unlock(b);
}

void unsuspend_write(bufferevent* b, uint16_t why) {
    Private* p = upcast(b);
    lock(b);
    p->write_suspended = uint16_t(p->write_suspended & ~why);
    if (!p->write_suspended && (b->enabled & EV_WRITE) && !p->dying) b->be_ops->enable(b, EV_WRITE);
    unlock(b);
}

int add_event(event* ev, const timeval* tv) { return event_add(ev, timer_set(*tv) ? tv : nullptr); }

void init_generic_timeouts(bufferevent* b) {
    event_assign(&b->ev_read, b->ev_base, -1, EV_FINALIZE, generic_read_timeout, b);
    event_assign(&b->ev_write, b->ev_base, -1, EV_FINALIZE, generic_write_timeout, b);
}

int generic_adj_timeouts(bufferevent* b) {
    Private* p = upcast(b);
    int r1, r2;
    if ((b->enabled & EV_READ) && !p->read_suspended && timer_set(b->timeout_read))
        r1 = event_add(&b->ev_read, &b->timeout_read);
    else
        r1 = event_del(&b->ev_read);
    // The write timeout only runs while there is something to write.
    if ((b->enabled & EV_WRITE) && !p->write_suspended && timer_set(b->timeout_write) &&
        evbuffer_get_length(b->output))
        r2 = event_add(&b->ev_write, &b->timeout_write);
    else
        r2 = event_del(&b->ev_write);
    return (r1 < 0 || r2 < 0) ? -1 : 0;
}

void reset_generic_read_timeout(bufferevent* b) {
    if (timer_set(b->timeout_read)) event_add(&b->ev_read, &b->timeout_read);
}

void reset_generic_write_timeout(bufferevent* b) {
    if (timer_set(b->timeout_write)) event_add(&b->ev_write, &b->timeout_write);
}

}  // namespace vigil::bev

using namespace vigil::bev;

namespace {
// The only options a user's trigger may pass on.
constexpr int kTriggerOptions = BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS;
}

extern "C" {

void bufferevent_free(struct bufferevent* bufev) {
    if (!bufev) return;
    lock(bufev);
    bufferevent_setcb(bufev, nullptr, nullptr, nullptr, nullptr);
    decref_and_unlock(bufev);
}

void bufferevent_setcb(struct bufferevent* bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb,
                       bufferevent_event_cb eventcb, void* cbarg) {
    if (!bufev) return;
    lock(bufev);
    bufev->readcb = readcb;
    bufev->writecb = writecb;
    bufev->errorcb = eventcb;
    bufev->cbarg = cbarg;
    unlock(bufev);
}

void bufferevent_getcb(struct bufferevent* bufev, bufferevent_data_cb* readcb_ptr,
                       bufferevent_data_cb* writecb_ptr, bufferevent_event_cb* eventcb_ptr, void** cbarg_ptr) {
    if (!bufev) return;
    lock(bufev);
    if (readcb_ptr) *readcb_ptr = bufev->readcb;
    if (writecb_ptr) *writecb_ptr = bufev->writecb;
    if (eventcb_ptr) *eventcb_ptr = bufev->errorcb;
    if (cbarg_ptr) *cbarg_ptr = bufev->cbarg;
    unlock(bufev);
}

int bufferevent_setfd(struct bufferevent* bufev, evutil_socket_t fd) {
    if (!bufev) return -1;
    lock(bufev);
    CtrlData d{};
    d.fd = fd;
    int r = bufev->be_ops->ctrl ? bufev->be_ops->ctrl(bufev, Ctrl::kSetFd, &d) : -1;
    unlock(bufev);
    return r;
}

evutil_socket_t bufferevent_getfd(struct bufferevent* bufev) {
    if (!bufev) return -1;
    lock(bufev);
    CtrlData d{};
    d.fd = -1;
    int r = bufev->be_ops->ctrl ? bufev->be_ops->ctrl(bufev, Ctrl::kGetFd, &d) : -1;
    unlock(bufev);
    return r < 0 ? -1 : d.fd;
}

struct bufferevent* bufferevent_get_underlying(struct bufferevent* bufev) {
    if (!bufev) return nullptr;
    lock(bufev);
    CtrlData d{};
    int r = bufev->be_ops->ctrl ? bufev->be_ops->ctrl(bufev, Ctrl::kGetUnderlying, &d) : -1;
    unlock(bufev);
    return r < 0 ? nullptr : d.ptr;
}

struct event_base* bufferevent_get_base(struct bufferevent* bev) { return bev ? bev->ev_base : nullptr; }

int bufferevent_write(struct bufferevent* bufev, const void* data, size_t size) {
    if (!bufev) return -1;
    return evbuffer_add(bufev->output, data, size) == -1 ? -1 : 0;
}

int bufferevent_write_buffer(struct bufferevent* bufev, struct evbuffer* buf) {
    if (!bufev) return -1;
    return evbuffer_add_buffer(bufev->output, buf) == -1 ? -1 : 0;
}

size_t bufferevent_read(struct bufferevent* bufev, void* data, size_t size) {
    if (!bufev) return 0;
    int r = evbuffer_remove(bufev->input, data, size);
    return r < 0 ? 0 : size_t(r);
}

int bufferevent_read_buffer(struct bufferevent* bufev, struct evbuffer* buf) {
    if (!bufev) return -1;
    return evbuffer_add_buffer(buf, bufev->input);
}

struct evbuffer* bufferevent_get_input(struct bufferevent* bufev) { return bufev ? bufev->input : nullptr; }

struct evbuffer* bufferevent_get_output(struct bufferevent* bufev) { return bufev ? bufev->output : nullptr; }

int bufferevent_enable(struct bufferevent* bufev, short event) {
    if (!bufev) return -1;
    Private* p = upcast(bufev);
    incref_and_lock(bufev);
    short impl = event;
    if (p->read_suspended) impl = short(impl & ~EV_READ);
    if (p->write_suspended) impl = short(impl & ~EV_WRITE);
    bufev->enabled = short(bufev->enabled | event);
    int r = (impl && bufev->be_ops->enable(bufev, impl) < 0) ? -1 : 0;
    decref_and_unlock(bufev);
    return r;
}

int bufferevent_disable(struct bufferevent* bufev, short event) {
    if (!bufev) return -1;
    lock(bufev);
    bufev->enabled = short(bufev->enabled & ~event);
    int r = bufev->be_ops->disable(bufev, event) < 0 ? -1 : 0;
    unlock(bufev);
    return r;
}

short bufferevent_get_enabled(struct bufferevent* bufev) {
    if (!bufev) return 0;
    lock(bufev);
    short r = bufev->enabled;
    unlock(bufev);
    return r;
}

int bufferevent_set_timeouts(struct bufferevent* bufev, const struct timeval* timeout_read,
                             const struct timeval* timeout_write) {
    if (!bufev) return -1;
    lock(bufev);
    bufev->timeout_read = timeout_read ? *timeout_read : timeval{};
    bufev->timeout_write = timeout_write ? *timeout_write : timeval{};
    int r = bufev->be_ops->adj_timeouts ? bufev->be_ops->adj_timeouts(bufev) : 0;
    unlock(bufev);
    return r;
}

void bufferevent_setwatermark(struct bufferevent* bufev, short events, size_t lowmark, size_t highmark) {
    if (!bufev) return;
    Private* p = upcast(bufev);
    lock(bufev);
    if (events & EV_WRITE) {
        bufev->wm_write.low = lowmark;
        bufev->wm_write.high = highmark;
    }
    if (events & EV_READ) {
        bufev->wm_read.low = lowmark;
        bufev->wm_read.high = highmark;
        if (highmark) {
            if (!p->read_wm_cb) p->read_wm_cb = evbuffer_add_cb(bufev->input, input_wm_cb, bufev);
            evbuffer_cb_set_flags(bufev->input, p->read_wm_cb, EVBUFFER_CB_ENABLED);
            if (evbuffer_get_length(bufev->input) >= highmark)
                suspend_read(bufev, kSuspendWm);
            else
                unsuspend_read(bufev, kSuspendWm);
        } else {
            if (p->read_wm_cb) evbuffer_cb_clear_flags(bufev->input, p->read_wm_cb, EVBUFFER_CB_ENABLED);
            unsuspend_read(bufev, kSuspendWm);
        }
    }
    unlock(bufev);
}

int bufferevent_getwatermark(struct bufferevent* bufev, short events, size_t* lowm, size_t* highm) {
    if (!bufev) return -1;
    const event_watermark* wm;
    if (events == EV_WRITE)
        wm = &bufev->wm_write;
    else if (events == EV_READ)
        wm = &bufev->wm_read;
    else
        return -1;
    lock(bufev);
    if (lowm) *lowm = wm->low;
    if (highm) *highm = wm->high;
    unlock(bufev);
    return 0;
}

int bufferevent_flush(struct bufferevent* bufev, short iotype, enum bufferevent_flush_mode mode) {
    if (!bufev) return -1;
    lock(bufev);
    int r = bufev->be_ops->flush ? bufev->be_ops->flush(bufev, iotype, mode) : -1;
    unlock(bufev);
    return r;
}

void bufferevent_trigger(struct bufferevent* bufev, short iotype, int options) {
    if (!bufev) return;
    incref_and_lock(bufev);
    trigger_nolock(bufev, iotype, options & kTriggerOptions);
    decref_and_unlock(bufev);
}

void bufferevent_trigger_event(struct bufferevent* bufev, short what, int options) {
    if (!bufev) return;
    incref_and_lock(bufev);
    run_eventcb(bufev, what, options & kTriggerOptions);
    decref_and_unlock(bufev);
}

// As in libevent, holding the lock also holds a reference.
void bufferevent_lock(struct bufferevent* bufev) {
    if (bufev) incref_and_lock(bufev);
}

void bufferevent_unlock(struct bufferevent* bufev) {
    if (bufev) decref_and_unlock(bufev);
}

void bufferevent_incref(struct bufferevent* bufev) {
    if (bufev) incref(bufev);
}

int bufferevent_decref(struct bufferevent* bufev) { return bufev ? decref(bufev) : -1; }

int bufferevent_set_max_single_read(struct bufferevent* bev, size_t size) {
    if (!bev) return -1;
    lock(bev);
    upcast(bev)->max_single_read =
        (size == 0 || size > size_t(EV_SSIZE_MAX)) ? kDefaultMaxSingle : ev_ssize_t(size);
    unlock(bev);
    return 0;
}

int bufferevent_set_max_single_write(struct bufferevent* bev, size_t size) {
    if (!bev) return -1;
    lock(bev);
    upcast(bev)->max_single_write =
        (size == 0 || size > size_t(EV_SSIZE_MAX)) ? kDefaultMaxSingle : ev_ssize_t(size);
    unlock(bev);
    return 0;
}

ev_ssize_t bufferevent_get_max_single_read(struct bufferevent* bev) {
    if (!bev) return -1;
    lock(bev);
    ev_ssize_t r = upcast(bev)->max_single_read;
    unlock(bev);
    return r;
}

ev_ssize_t bufferevent_get_max_single_write(struct bufferevent* bev) {
    if (!bev) return -1;
    lock(bev);
    ev_ssize_t r = upcast(bev)->max_single_write;
    unlock(bev);
    return r;
}

// ---- the 1.x API (bufferevent_compat.h)

void bufferevent_settimeout(struct bufferevent* bufev, int timeout_read, int timeout_write) {
    timeval r{timeout_read, 0}, w{timeout_write, 0};
    bufferevent_set_timeouts(bufev, timeout_read ? &r : nullptr, timeout_write ? &w : nullptr);
}

}  // extern "C"
