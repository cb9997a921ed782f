// Bufferevent pairs: two bufferevents wired to each other in memory, each one's output
// feeding the other's input, as libevent 2.1.12 does it.
//
// - Data moves synchronously, inside the call that made it movable (a write, an enable,
//   a drain below the receiver's read high-water mark), whenever the sender has EV_WRITE
//   enabled and the receiver has EV_READ enabled and is not suspended. At most enough to
//   fill the receiver to its read high-water mark moves at a time.
// - Callbacks are always deferred (bufferevent_pair_new adds BEV_OPT_DEFER_CALLBACKS),
//   so user code never runs inside the transfer.
// - With BEV_OPT_THREADSAFE both ends share one lock, so taking either locks both.
// - The read and write timeouts are plain timers (the generic timeouts).
// - An end's input is frozen at its end and its output at its start: only the transfer
//   (which unfreezes them briefly) adds to the input or takes from the output.
#include "bufferevent/bufferevent.hpp"

#include <new>

#include "buffer/buffer.hpp"

namespace vigil::bev {
namespace {

struct PairEnd {
    Private priv;  // first: a PairEnd* is a Private* is a bufferevent*
    PairEnd* partner = nullptr;
    // The partner this end was linked to before one side's last reference went. Both
    // ends point at each other from then on, until the first of them is destroyed; it
    // hands over ownership of the shared lock (if it has it) so that whichever end is
    // destroyed last frees the lock, and clears the survivor's pointer back.
    PairEnd* former_partner = nullptr;
};

extern const bufferevent_ops kPairOps;

PairEnd* end_of(bufferevent* b) { return reinterpret_cast<PairEnd*>(upcast(b)); }
bufferevent* bev_of(PairEnd* e) { return downcast(&e->priv); }

// Takes a reference on and locks this end and its partner (one lock when shared).
void hold_both(bufferevent* b) {
    incref_and_lock(b);
    if (PairEnd* other = end_of(b)->partner) incref_and_lock(bev_of(other));
}

void release_both(bufferevent* b) {
    if (PairEnd* other = end_of(b)->partner) decref_and_unlock(bev_of(other));
    decref_and_unlock(b);
}

// Moves src's output into dst's input. Without ignore_wm, nothing moves into a receiver
// at or above its read high-water mark; below it, only enough to reach the mark moves.
// With ignore_wm (flushing) a full receiver takes everything.
void transfer(bufferevent* src, bufferevent* dst, bool ignore_wm) {
    evbuffer_unfreeze(src->output, 1);
    evbuffer_unfreeze(dst->input, 0);
    // libevent counts what it asked for, not what moved: a request below the mark counts
    // as progress (and restarts the receiver's timeouts) even from an empty sender.
    size_t n;
    const size_t high = dst->wm_read.high;
    const size_t queued = evbuffer_get_length(dst->input);
    if (high && queued < high) {
        n = high - queued;
        evbuffer_remove_buffer(src->output, dst->input, n);
    } else if (high && !ignore_wm) {
        evbuffer_freeze(src->output, 1);
        evbuffer_freeze(dst->input, 0);
        return;
    } else {
        n = evbuffer_get_length(src->output);
        evbuffer_add_buffer(dst->input, src->output);
    }
    if (n) {
        reset_generic_read_timeout(dst);
        if (evbuffer_get_length(dst->output))
            reset_generic_write_timeout(dst);
        else
            event_del(&dst->ev_write);
    }
    trigger_nolock(dst, EV_READ, 0);
    trigger_nolock(src, EV_WRITE, 0);
    evbuffer_freeze(src->output, 1);
    evbuffer_freeze(dst->input, 0);
}

// Whether data queued on src should go to dst right now.
bool wants_to_talk(PairEnd* src, PairEnd* dst) {
    bufferevent* s = bev_of(src);
    bufferevent* d = bev_of(dst);
    return (s->enabled & EV_WRITE) && (d->enabled & EV_READ) && !dst->priv.read_suspended &&
           evbuffer_get_length(s->output);
}

// Watches an end's output: data was added, hand it over if the partner is reading.
void output_cb(evbuffer*, const evbuffer_cb_info* info, void* arg) {
    PairEnd* self = static_cast<PairEnd*>(arg);
    bufferevent* b = bev_of(self);
    hold_both(b);
    if (info->n_added > info->n_deleted && self->partner && wants_to_talk(self, self->partner))
        transfer(b, bev_of(self->partner), false);
    release_both(b);
}

int pair_enable(bufferevent* b, short what) {
    PairEnd* self = end_of(b);
    hold_both(b);
    if (what & EV_READ) reset_generic_read_timeout(b);
    if ((what & EV_WRITE) && evbuffer_get_length(b->output)) reset_generic_write_timeout(b);
    // Starting to read: take what the partner has queued. Starting to write: give.
    if ((what & EV_READ) && self->partner && wants_to_talk(self->partner, self))
        transfer(bev_of(self->partner), b, false);
    if ((what & EV_WRITE) && self->partner && wants_to_talk(self, self->partner))
        transfer(b, bev_of(self->partner), false);
    release_both(b);
    return 0;
}

int pair_disable(bufferevent* b, short what) {
    if (what & EV_READ) event_del(&b->ev_read);
    if (what & EV_WRITE) event_del(&b->ev_write);
    return 0;
}

void pair_unlink(bufferevent* b) {
    PairEnd* self = end_of(b);
    if (PairEnd* other = self->partner) {
        other->partner = nullptr;
        self->partner = nullptr;
        self->former_partner = other;
        other->former_partner = self;
    }
}

// Runs with the shared lock held, from the finalizer.
void pair_destruct(bufferevent* b) {
    PairEnd* self = end_of(b);
    if (PairEnd* other = self->former_partner) {
        // The other end is still alive (it would have cleared our pointer otherwise) and
        // still uses the lock: it frees the lock instead of us.
        if (self->priv.own_lock && other->priv.lock == self->priv.lock) {
            other->priv.own_lock = true;
            self->priv.own_lock = false;
        }
        other->former_partner = nullptr;
        self->former_partner = nullptr;
    }
}

int pair_flush(bufferevent* b, short iotype, bufferevent_flush_mode mode) {
    PairEnd* self = end_of(b);
    if (!self->partner) return -1;
    if (mode == BEV_NORMAL) return 0;
    hold_both(b);
    bufferevent* other = bev_of(self->partner);
    if (iotype & EV_READ) transfer(other, b, true);
    if (iotype & EV_WRITE) transfer(b, other, true);
    if (mode == BEV_FINISHED) {
        // Our writing side is finished: the partner stops reading, and vice versa.
        short what = BEV_EVENT_EOF;
        if (iotype & EV_READ) what |= BEV_EVENT_WRITING;
        if (iotype & EV_WRITE) what |= BEV_EVENT_READING;
        run_eventcb(other, what, 0);
    }
    release_both(b);
    return 0;
}

// No descriptor, nothing underneath.
int pair_ctrl(bufferevent*, Ctrl, CtrlData*) { return -1; }

const bufferevent_ops kPairOps = {
    "pair_elt",
    pair_enable,
    pair_disable,
    pair_unlink,
    pair_destruct,
    generic_adj_timeouts,
    pair_flush,
    pair_ctrl,
};

// One end without its timers: init_generic_timeouts comes once both ends exist, so a
// failure before then can free an end without going through the loop.
PairEnd* new_end(event_base* base, int options) {
    void* mem = mm_calloc(1, sizeof(PairEnd));
    if (!mem) return nullptr;
    PairEnd* e = new (mem) PairEnd();
    if (init_common(&e->priv, base, &kPairOps, options) < 0 ||
        !vigil::buf::add_cb_for_additions(bev_of(e)->output, output_cb, e)) {
        free_unfinished(&e->priv);
        return nullptr;
    }
    return e;
}

}  // namespace
}  // namespace vigil::bev

using namespace vigil::bev;

extern "C" {

int bufferevent_pair_new(struct event_base* base, int options, struct bufferevent* pair[2]) {
    if (!base || !pair) {
        vigil_warn("bufferevent_pair_new: %s is NULL", base ? "pair" : "base");
        return -1;
    }
    // A pair always defers its callbacks; only the first end makes a lock, the second
    // shares it.
    options |= BEV_OPT_DEFER_CALLBACKS;
    PairEnd* e1 = new_end(base, options);
    if (!e1) return -1;
    PairEnd* e2 = new_end(base, options & ~BEV_OPT_THREADSAFE);
    if (!e2) {
        free_unfinished(&e1->priv);
        return -1;
    }
    if (e1->priv.lock && enable_locking(bev_of(e2), e1->priv.lock) < 0) {
        free_unfinished(&e2->priv);
        free_unfinished(&e1->priv);
        return -1;
    }
    init_generic_timeouts(bev_of(e1));
    init_generic_timeouts(bev_of(e2));
    e1->partner = e2;
    e2->partner = e1;
    for (PairEnd* e : {e1, e2}) {
        evbuffer_freeze(bev_of(e)->input, 0);
        evbuffer_freeze(bev_of(e)->output, 1);
    }
    pair[0] = bev_of(e1);
    pair[1] = bev_of(e2);
    return 0;
}

struct bufferevent* bufferevent_pair_get_partner(struct bufferevent* bev) {
    if (!bev || bev->be_ops != &kPairOps) return nullptr;
    lock(bev);
    PairEnd* other = end_of(bev)->partner;
    unlock(bev);
    return other ? bev_of(other) : nullptr;
}

}  // extern "C"
