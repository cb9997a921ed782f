// Filtering bufferevents: a bufferevent stacked on another ("underlying") that passes
// what the underlying one reads through an input filter into its own input, and its
// own output through an output filter into the underlying one's output, as libevent
// 2.1.12 does it.
//
// - The filter takes over the underlying bufferevent's callbacks and holds a reference
//   on it until it is destroyed. Events from below (EOF, errors, timeouts, CONNECTED)
//   are reported as the filter's own.
// - The underlying bufferevent gets EV_READ|EV_WRITE enabled, but its reading stays
//   suspended (kSuspendFiltRead) while the filter itself is not reading.
// - In BEV_NORMAL mode a filter is given (read high-water mark - queued) as its limit
//   on the way in and (the underlying one's write high-water mark - queued) on the way
//   out, and is not called at all while that room is zero; flushing calls it with -1.
// - BEV_NEED_MORE and BEV_ERROR from a filter just stop the processing: libevent
//   reports neither as an event.
//
// Different from libevent on purpose: a BEV_OPT_THREADSAFE filter over a locked
// bufferevent shares its lock (libevent gives the filter a lock of its own). Writing to
// the filter takes the filter's lock and then the underlying one's, while the underlying
// bufferevent's callbacks run under its lock and take the filter's, so two locks
// deadlock as soon as one thread writes while the loop thread delivers callbacks. The
// underlying bufferevent, and so its lock, outlives the filter: the reference the filter
// holds goes only after the filter's memory.
#include "bufferevent/bufferevent.hpp"

#include <new>

#include "buffer/buffer.hpp"

namespace vigil::bev {
namespace {

struct Filtered {
    Private priv;  // first: a Filtered* is a Private* is a bufferevent*
    bufferevent* underlying = nullptr;
    // On our input; enabled only while bytes wait underneath because our input reached
    // its read high-water mark, so that draining it pulls them through.
    evbuffer_cb_entry* inbuf_cb = nullptr;
    // On our output: data added is filtered down at once.
    evbuffer_cb_entry* outbuf_cb = nullptr;
    void (*free_context)(void*) = nullptr;
    bufferevent_filter_cb process_in = nullptr;
    bufferevent_filter_cb process_out = nullptr;
    void* context = nullptr;
};

Filtered* filt_of(bufferevent* b) { return reinterpret_cast<Filtered*>(upcast(b)); }
bufferevent* bev_of(Filtered* f) { return downcast(&f->priv); }

// A NULL filter moves everything it may.
bufferevent_filter_result pass_through(evbuffer* src, evbuffer* dst, ev_ssize_t limit, bufferevent_flush_mode,
                                       void*) {
    const size_t n = limit < 0 ? evbuffer_get_length(src) : size_t(limit);
    return evbuffer_remove_buffer(src, dst, n) < 0 ? BEV_ERROR : BEV_OK;
}

// Our input is at its read high-water mark (only BEV_NORMAL respects the mark).
bool input_full(Filtered* f, bufferevent_flush_mode mode) {
    bufferevent* b = bev_of(f);
    return mode == BEV_NORMAL && b->wm_read.high && evbuffer_get_length(b->input) >= b->wm_read.high;
}

// The underlying output is at its write high-water mark.
bool underlying_full(Filtered* f, bufferevent_flush_mode mode) {
    bufferevent* u = f->underlying;
    return mode == BEV_NORMAL && u->wm_write.high && evbuffer_get_length(u->output) >= u->wm_write.high;
}

// Runs the input filter while it makes progress and there is data and room.
bufferevent_filter_result process_input(Filtered* f, bufferevent_flush_mode mode, bool* processed) {
    bufferevent* b = bev_of(f);
    bufferevent* u = f->underlying;
    // Normally only a reading filter with room takes data; flushing forces one call.
    if (mode == BEV_NORMAL && (!(b->enabled & EV_READ) || input_full(f, mode))) return BEV_OK;
    bufferevent_filter_result res;
    do {
        ev_ssize_t limit = -1;
        if (mode == BEV_NORMAL && b->wm_read.high)
            limit = ev_ssize_t(b->wm_read.high - evbuffer_get_length(b->input));
        res = f->process_in(u->input, b->input, limit, mode, f->context);
        if (res == BEV_OK) *processed = true;
    } while (res == BEV_OK && (b->enabled & EV_READ) && evbuffer_get_length(u->input) && !input_full(f, mode));
    if (*processed) reset_generic_read_timeout(b);
    return res;
}

// Runs the output filter while it makes progress and there is data and room, telling
// the write callback each time our output has drained to its low-water mark. Requires
// a reference and the lock: the write callback may run.
bufferevent_filter_result process_output(Filtered* f, bufferevent_flush_mode mode, bool* processed) {
    bufferevent* b = bev_of(f);
    bufferevent* u = f->underlying;
    if (mode == BEV_NORMAL &&
        (!(b->enabled & EV_WRITE) || underlying_full(f, mode) || !evbuffer_get_length(b->output)))
        return BEV_OK;
    // What the write callback adds is picked up by the loop below, not by a nested run.
    evbuffer_cb_clear_flags(b->output, f->outbuf_cb, EVBUFFER_CB_ENABLED);
    bufferevent_filter_result res = BEV_OK;
    auto more_to_do = [&] {
        return res == BEV_OK && (b->enabled & EV_WRITE) && evbuffer_get_length(b->output) &&
               !underlying_full(f, mode);
    };
    bool again;
    do {
        bool progress = false;
        again = false;
        do {
            ev_ssize_t limit = -1;
            if (mode == BEV_NORMAL && u->wm_write.high)
                limit = ev_ssize_t(u->wm_write.high - evbuffer_get_length(u->output));
            res = f->process_out(b->output, u->output, limit, mode, f->context);
            if (res == BEV_OK) progress = *processed = true;
        } while (more_to_do());
        if (progress) {
            trigger_nolock(b, EV_WRITE, 0);
            again = more_to_do();
        }
    } while (again);
    evbuffer_cb_set_flags(b->output, f->outbuf_cb, EVBUFFER_CB_ENABLED);
    if (*processed) reset_generic_write_timeout(b);
    return res;
}

// Pulls what the underlying bufferevent has read through the input filter. Lock and a
// reference held.
void read_from_underlying(Filtered* f) {
    if (f->priv.dying) return;
    bufferevent* b = bev_of(f);
    bool processed = false;
    process_input(f, BEV_NORMAL, &processed);
    if (!processed) return;
    trigger_nolock(b, EV_READ, 0);
    // Bytes left underneath because our input is full: watch our input, and pull them
    // through once it is drained below the mark.
    if (evbuffer_get_length(f->underlying->input) && input_full(f, BEV_NORMAL))
        evbuffer_cb_set_flags(b->input, f->inbuf_cb, EVBUFFER_CB_ENABLED);
}

void input_cb(evbuffer*, const evbuffer_cb_info*, void* arg) {
    Filtered* f = static_cast<Filtered*>(arg);
    bufferevent* b = bev_of(f);
    incref_and_lock(b);
    if (!input_full(f, BEV_NORMAL)) {
        evbuffer_cb_clear_flags(b->input, f->inbuf_cb, EVBUFFER_CB_ENABLED);
        if (evbuffer_get_length(f->underlying->input)) read_from_underlying(f);
    }
    decref_and_unlock(b);
}

void output_cb(evbuffer*, const evbuffer_cb_info* info, void* arg) {
    Filtered* f = static_cast<Filtered*>(arg);
    if (!info->n_added) return;
    bufferevent* b = bev_of(f);
    incref_and_lock(b);
    bool processed = false;
    if (!f->priv.dying) process_output(f, BEV_NORMAL, &processed);
    decref_and_unlock(b);
}

// ---- the underlying bufferevent's callbacks

void underlying_readcb(bufferevent*, void* arg) {
    Filtered* f = static_cast<Filtered*>(arg);
    bufferevent* b = bev_of(f);
    incref_and_lock(b);
    read_from_underlying(f);
    decref_and_unlock(b);
}

// The underlying output drained: there may be room for more.
void underlying_writecb(bufferevent*, void* arg) {
    Filtered* f = static_cast<Filtered*>(arg);
    bufferevent* b = bev_of(f);
    incref_and_lock(b);
    bool processed = false;
    if (!f->priv.dying) process_output(f, BEV_NORMAL, &processed);
    decref_and_unlock(b);
}

void underlying_eventcb(bufferevent*, short what, void* arg) {
    Filtered* f = static_cast<Filtered*>(arg);
    bufferevent* b = bev_of(f);
    incref_and_lock(b);
    if (!f->priv.dying) run_eventcb(b, what, 0);
    decref_and_unlock(b);
}

// ---- operations

int filter_enable(bufferevent* b, short what) {
    Filtered* f = filt_of(b);
    if (what & EV_WRITE) reset_generic_write_timeout(b);
    if (what & EV_READ) {
        reset_generic_read_timeout(b);
        unsuspend_read(f->underlying, kSuspendFiltRead);
    }
    return 0;
}

int filter_disable(bufferevent* b, short what) {
    Filtered* f = filt_of(b);
    if (what & EV_WRITE) event_del(&b->ev_write);
    if (what & EV_READ) {
        event_del(&b->ev_read);
        suspend_read(f->underlying, kSuspendFiltRead);
    }
    return 0;
}

void filter_unlink(bufferevent* b) {
    Filtered* f = filt_of(b);
    bufferevent* u = f->underlying;
    if (f->priv.options & BEV_OPT_CLOSE_ON_FREE) {
        // Drops the reference the application had; ours goes after destruction.
        if (upcast(u)->refcnt < 2) {
            vigil_warn("bufferevent_free: BEV_OPT_CLOSE_ON_FREE on a filter whose underlying bufferevent "
                       "has too few references; not freeing it");
            if (u->errorcb == underlying_eventcb) bufferevent_setcb(u, nullptr, nullptr, nullptr, nullptr);
        } else {
            bufferevent_free(u);
        }
    } else {
        // Hand the underlying bufferevent back as the application left it.
        if (u->errorcb == underlying_eventcb) bufferevent_setcb(u, nullptr, nullptr, nullptr, nullptr);
        unsuspend_read(u, kSuspendFiltRead);
    }
}

void filter_destruct(bufferevent* b) {
    Filtered* f = filt_of(b);
    if (f->free_context) f->free_context(f->context);
    f->free_context = nullptr;
}

int filter_flush(bufferevent* b, short iotype, bufferevent_flush_mode mode) {
    Filtered* f = filt_of(b);
    bool processed = false;
    incref_and_lock(b);
    if (iotype & EV_READ) process_input(f, mode, &processed);
    if (iotype & EV_WRITE) process_output(f, mode, &processed);
    bufferevent_flush(f->underlying, iotype, mode);
    decref_and_unlock(b);
    return processed ? 1 : 0;
}

// The descriptor is the underlying bufferevent's.
int filter_ctrl(bufferevent* b, Ctrl op, CtrlData* data) {
    Filtered* f = filt_of(b);
    switch (op) {
        case Ctrl::kGetUnderlying:
            data->ptr = f->underlying;
            return 0;
        case Ctrl::kGetFd:
            data->fd = bufferevent_getfd(f->underlying);
            return data->fd < 0 ? -1 : 0;
        case Ctrl::kSetFd:
            return bufferevent_setfd(f->underlying, data->fd);
    }
    return -1;
}

const bufferevent_ops kFilterOps = {
    "filter",
    filter_enable,
    filter_disable,
    filter_unlink,
    filter_destruct,
    generic_adj_timeouts,
    filter_flush,
    filter_ctrl,
};

}  // namespace
}  // namespace vigil::bev

using namespace vigil::bev;

extern "C" {

struct bufferevent* bufferevent_filter_new(struct bufferevent* underlying, bufferevent_filter_cb input_filter,
                                           bufferevent_filter_cb output_filter, int options,
                                           void (*free_context)(void*), void* ctx) {
    if (!underlying) return nullptr;
    void* mem = vigil::mm_calloc(1, sizeof(Filtered));
    if (!mem) return nullptr;
    Filtered* f = new (mem) Filtered();
    bufferevent* b = bev_of(f);
    // The events live where the underlying bufferevent's do (a 1.x bufferevent_new one
    // has no ev_base yet, only events on the current base).
    event_base* base = underlying->ev_base ? underlying->ev_base : base_of(underlying);
    if (init_common(&f->priv, base, &kFilterOps, options & ~BEV_OPT_THREADSAFE) < 0 ||
        !(f->inbuf_cb = evbuffer_add_cb(b->input, input_cb, f)) ||
        !(f->outbuf_cb = vigil::buf::add_cb_for_additions(b->output, output_cb, f))) {
        free_unfinished(&f->priv);
        return nullptr;
    }
    evbuffer_cb_clear_flags(b->input, f->inbuf_cb, EVBUFFER_CB_ENABLED);
    // As in libevent, a filter that cannot get a lock (no thread support) still works,
    // unlocked.
    if (options & BEV_OPT_THREADSAFE) enable_locking(b, upcast(underlying)->lock);
    f->underlying = underlying;
    f->process_in = input_filter ? input_filter : pass_through;
    f->process_out = output_filter ? output_filter : pass_through;
    f->free_context = free_context;
    f->context = ctx;
    init_generic_timeouts(b);

    bufferevent_setcb(underlying, underlying_readcb, underlying_writecb, underlying_eventcb, f);
    incref(underlying);
    // The underlying bufferevent runs both ways, but reads only while we do.
    bufferevent_enable(underlying, EV_READ | EV_WRITE);
    suspend_read(underlying, kSuspendFiltRead);
    return b;
}

}  // extern "C"
