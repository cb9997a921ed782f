// Rate limiting for bufferevents (the rate-limit part of event2/bufferevent.h): token
// buckets per bufferevent and per group, and the hooks the kinds call around each read
// and write (bufferevent.hpp).
//
// A bucket holds how many bytes may still move this tick; it may go negative when a
// transfer overshoots, and gains `rate` per elapsed tick up to `burst`. As in libevent,
// tick n is the n-th tick_len since the epoch, read from the base's cached time
// (event_base_gettimeofday_cached), so buckets sharing a tick length refill together.
// A bufferevent whose own bucket is empty is suspended for kSuspendBw until its refill
// timer fires one tick later. A group shares one bucket among its members: each member
// may take the bucket divided by the member count, but never less than min_share; when
// the bucket runs dry every member is suspended for kSuspendBwGroup until the group's
// timer (pending while the group exists, as in libevent) finds at least min_share in
// it again.
//
// Locks: a bufferevent's lock is taken before its group's. The group timer and the
// group-wide suspend/resume hold the group lock and so may only try-lock members; a
// member it cannot lock finds out by itself (read_max/write_max see the group
// suspended), or is resumed by a retry a millisecond later (libevent waits a tick).
//
// Differences from libevent 2.1.12, on purpose:
//  - the group timer fires in the middle of each tick instead of every tick_len from
//    the group's creation, so timer jitter near a tick boundary cannot make one
//    firing find no new tick and the next two (which the burst may cut down);
//  - when the clock goes back a bucket counts ticks from there (libevent stops
//    refilling until the clock is back where it was);
//  - a tick shorter than a millisecond (libevent divides by zero later), a NULL
//    configuration or group and a NULL bufferevent are refused with a warning;
//  - a bucket raised above its burst by a negative decrement keeps its surplus but
//    does not grow further (libevent keeps adding to it);
//  - changing a configuration's tick length restarts the tick count instead of
//    comparing tick numbers of different lengths;
//  - freeing a group that still has members takes them out first (libevent aborts).
#include "bufferevent/bufferevent.hpp"

#include <limits.h>
#include <sched.h>

#include "core/base.hpp"
#include "thread/thread.hpp"

struct ev_token_bucket_cfg {
    size_t read_rate;
    size_t read_maximum;
    size_t write_rate;
    size_t write_maximum;
    timeval tick_timeout;
    unsigned msec_per_tick;
};

namespace vigil::bev {

// What may still be read and written this tick, and the tick it was last refilled at:
// tick n is the n-th period of tick_msec milliseconds since the epoch.
struct Bucket {
    ev_ssize_t read_limit = 0;
    ev_ssize_t write_limit = 0;
    uint64_t last_tick = 0;
    unsigned tick_msec = 0;
};

struct RateLimit {
    Private* owner = nullptr;
    // The bufferevent's own limit; null when only a group limits it. The caller keeps
    // the configuration alive while it is in use (libevent's contract).
    const ev_token_bucket_cfg* cfg = nullptr;
    Bucket bucket;
    bufferevent_rate_limit_group* group = nullptr;
    RateLimit* prev_in_group = nullptr;
    RateLimit* next_in_group = nullptr;
    bool refill_assigned = false;
    event refill{};  // fires at the next tick while a direction waits for bandwidth
};

}  // namespace vigil::bev

struct bufferevent_rate_limit_group {
    void* lock = nullptr;
    event_base* base = nullptr;
    ev_token_bucket_cfg cfg{};  // a copy: the caller may free its own
    vigil::bev::Bucket bucket;
    vigil::bev::RateLimit* members = nullptr;
    int n_members = 0;
    bool read_suspended = false;
    bool write_suspended = false;
    // Members that could not be locked when the group resumed.
    bool pending_unsuspend_read = false;
    bool pending_unsuspend_write = false;
    size_t configured_min_share = 0;
    ev_ssize_t min_share = 0;
    uint64_t total_read = 0;
    uint64_t total_written = 0;
    unsigned next_start = 0;  // where the next resume starts, for fairness
    event refill{};           // pending while the group exists: fires every tick
    event retry{};            // resumes members that were busy when the group resumed
};

namespace vigil::bev {

namespace {

using Group = bufferevent_rate_limit_group;

constexpr size_t kDefaultMinShare = 64;
constexpr Micros kRetryDelay = 1000;  // members that were busy when the group resumed

// ---- time and buckets

// The time ticks are counted in, as event_base_gettimeofday_cached gives it: the
// loop's cached time while it runs, the clock otherwise. Read under the base's lock,
// without waking the loop.
Micros now_of(event_base* base) {
    if (!base) return wall_now();
    if (base->th_lock) lock_acquire(base->th_lock);
    Micros t = base->running_loop && !(base->flags & EVENT_BASE_FLAG_NO_CACHE_TIME)
                   ? base->wall_from_mono(base->now())
                   : wall_now();
    if (base->th_lock) lock_release(base->th_lock);
    return t;
}

timeval tick_length(const ev_token_bucket_cfg& cfg) { return us_to_tv(Micros(cfg.msec_per_tick) * 1000); }

uint64_t tick_at(Micros now, unsigned msec) { return now > 0 ? uint64_t(now / 1000) / msec : 0; }

ev_ssize_t refilled(ev_ssize_t limit, size_t rate, size_t burst, uint64_t n_ticks) {
    if (limit >= ev_ssize_t(burst)) return limit;
    // burst and rate are at most EV_SSIZE_MAX: 127 bits hold any product.
    using Wide = unsigned __int128;
    Wide room = Wide(__int128(burst) - limit);
    Wide gain = Wide(rate) * n_ticks;
    return gain >= room ? ev_ssize_t(burst) : ev_ssize_t(limit + ev_ssize_t(gain));
}

void bucket_start(Bucket& b, const ev_token_bucket_cfg& cfg, Micros now) {
    b.read_limit = ev_ssize_t(cfg.read_rate);
    b.write_limit = ev_ssize_t(cfg.write_rate);
    b.tick_msec = cfg.msec_per_tick;
    b.last_tick = tick_at(now, cfg.msec_per_tick);
}

// A new configuration for a bucket in use: what was spent this tick stays spent, so
// the bucket is only clipped to the new bursts.
void bucket_reconfigure(Bucket& b, const ev_token_bucket_cfg& cfg, Micros now) {
    if (b.read_limit > ev_ssize_t(cfg.read_maximum)) b.read_limit = ev_ssize_t(cfg.read_maximum);
    if (b.write_limit > ev_ssize_t(cfg.write_maximum)) b.write_limit = ev_ssize_t(cfg.write_maximum);
    if (b.tick_msec != cfg.msec_per_tick) {
        b.tick_msec = cfg.msec_per_tick;
        b.last_tick = tick_at(now, cfg.msec_per_tick);
    }
}

void bucket_update(Bucket& b, const ev_token_bucket_cfg& cfg, Micros now) {
    uint64_t tick = tick_at(now, cfg.msec_per_tick);
    if (tick < b.last_tick) b.last_tick = tick;  // the clock went back: count from here
    if (tick <= b.last_tick) return;
    uint64_t n = tick - b.last_tick;
    b.read_limit = refilled(b.read_limit, cfg.read_rate, cfg.read_maximum, n);
    b.write_limit = refilled(b.write_limit, cfg.write_rate, cfg.write_maximum, n);
    b.last_tick = tick;
}

// ---- locks

void group_lock(Group* g) {
    if (g->lock) lock_acquire(g->lock);
}
void group_unlock(Group* g) {
    if (g->lock) lock_release(g->lock);
}

// Members are locked only with a try from under the group lock (see the top).
bool try_lock_member(Private* p) {
    if (!p->lock || !threads_enabled()) return true;
    return g_threads.lock.lock(EVTHREAD_TRY, p->lock) == 0;
}
void unlock_member(Private* p) {
    if (p->lock && threads_enabled()) lock_release(p->lock);
}

// ---- suspension, only when the reason changes

void suspend_dir(Private* p, bool write, uint16_t why) {
    uint16_t now = write ? p->write_suspended : p->read_suspended;
    if (now & why) return;
    if (write)
        suspend_write(downcast(p), why);
    else
        suspend_read(downcast(p), why);
}

void unsuspend_dir(Private* p, bool write, uint16_t why) {
    uint16_t now = write ? p->write_suspended : p->read_suspended;
    if (!(now & why)) return;
    if (write)
        unsuspend_write(downcast(p), why);
    else
        unsuspend_read(downcast(p), why);
}

ev_ssize_t& limit_of(Bucket& b, bool write) { return write ? b.write_limit : b.read_limit; }

// ---- one bufferevent's bucket

event_base* refill_base(RateLimit* r) { return r->refill_assigned ? r->refill.ev_base : nullptr; }

void update_own(RateLimit* r) {
    if (r->cfg) bucket_update(r->bucket, *r->cfg, now_of(refill_base(r)));
}

void arm_refill(RateLimit* r) {
    if (!r->refill_assigned || !r->cfg) return;
    timeval tv = tick_length(*r->cfg);
    if (event_add(&r->refill, &tv) < 0) vigil_warn("bufferevent rate limit: cannot schedule the refill timer");
}

void disarm_refill(RateLimit* r) {
    if (r->refill_assigned) event_del(&r->refill);
}

// The refill timer of one bufferevent: its bucket gained a tick.
void refill_cb(evutil_socket_t, short, void* arg) {
    Private* p = static_cast<Private*>(arg);
    bufferevent* b = downcast(p);
    lock(b);
    RateLimit* r = p->rate;
    if (p->dying || !r || !r->cfg) {
        unlock(b);
        return;
    }
    update_own(r);
    bool again = false;
    for (bool write : {false, true}) {
        uint16_t susp = write ? p->write_suspended : p->read_suspended;
        if (!(susp & kSuspendBw)) continue;
        if (limit_of(r->bucket, write) > 0)
            unsuspend_dir(p, write, kSuspendBw);
        else
            again = true;  // it went far below zero: wait for more ticks
    }
    if (again) arm_refill(r);
    unlock(b);
}

// The refill timer always belongs to the bufferevent's current base.
bool assign_refill(RateLimit* r) {
    event_base* base = base_of(downcast(r->owner));
    if (!base) base = event_global_current_base_;
    if (!base) {
        vigil_warn("bufferevent rate limit: the bufferevent has no event_base");
        return false;
    }
    if (r->refill_assigned && r->refill.ev_base == base) return true;
    if (r->refill_assigned) event_del(&r->refill);
    if (event_assign(&r->refill, base, -1, EV_FINALIZE, refill_cb, r->owner) < 0) {
        r->refill_assigned = false;
        return false;
    }
    r->refill_assigned = true;
    return true;
}

RateLimit* rate_of(Private* p) {
    if (p->rate) return p->rate;
    auto* r = static_cast<RateLimit*>(mm_calloc(1, sizeof(RateLimit)));
    if (!r) {
        vigil_warn("bufferevent rate limit: out of memory");
        return nullptr;
    }
    new (r) RateLimit();
    r->owner = p;
    if (!assign_refill(r)) {
        mm_free(r);
        return nullptr;
    }
    p->rate = r;
    return r;
}

// After a manual change of the own bucket from old_limit.
void own_limit_changed(Private* p, bool write, ev_ssize_t old_limit) {
    RateLimit* r = p->rate;
    ev_ssize_t now = limit_of(r->bucket, write);
    if (old_limit > 0 && now <= 0) {
        suspend_dir(p, write, kSuspendBw);
        arm_refill(r);
    } else if (old_limit <= 0 && now > 0) {
        uint16_t other = write ? p->read_suspended : p->write_suspended;
        if (!(other & kSuspendBw)) disarm_refill(r);
        unsuspend_dir(p, write, kSuspendBw);
    }
}

// ---- groups

void group_suspend(Group* g, bool write) {
    (write ? g->write_suspended : g->read_suspended) = true;
    (write ? g->pending_unsuspend_write : g->pending_unsuspend_read) = false;
    for (RateLimit* m = g->members; m; m = m->next_in_group) {
        Private* p = m->owner;
        if (!try_lock_member(p)) continue;  // it will see the group suspended itself
        if (!p->dying) suspend_dir(p, write, kSuspendBwGroup);
        unlock_member(p);
    }
}

// Resumes the members, starting at a different one each time so that none is always
// first to take what the bucket holds. Returns whether a member could not be locked.
bool group_unsuspend(Group* g, bool write) {
    (write ? g->write_suspended : g->read_suspended) = false;
    bool missed = false;
    if (g->n_members > 0) {
        unsigned start = g->next_start++ % unsigned(g->n_members);
        RateLimit* first = g->members;
        for (unsigned i = 0; i < start && first; ++i) first = first->next_in_group;
        auto visit = [&](RateLimit* m) {
            Private* p = m->owner;
            if (!try_lock_member(p)) {
                missed = true;
                return;
            }
            if (!p->dying) unsuspend_dir(p, write, kSuspendBwGroup);
            unlock_member(p);
        };
        for (RateLimit* m = first; m; m = m->next_in_group) visit(m);
        for (RateLimit* m = g->members; m && m != first; m = m->next_in_group) visit(m);
    }
    (write ? g->pending_unsuspend_write : g->pending_unsuspend_read) = missed;
    return missed;
}

// The group's timer fires in the middle of each tick, so that however late it runs
// (up to half a tick) it finds exactly one more tick.
void group_arm(Group* g, Micros now) {
    const Micros tick_us = Micros(g->cfg.msec_per_tick) * 1000;
    const Micros next = Micros(tick_at(now, g->cfg.msec_per_tick) + 1) * tick_us + tick_us / 2;
    timeval tv = us_to_tv(next - now);
    if (event_add(&g->refill, &tv) < 0) vigil_warn("bufferevent rate limit group: cannot schedule the refill timer");
}

void group_retry_soon(Group* g) {
    timeval tv = us_to_tv(kRetryDelay);
    event_add(&g->retry, &tv);
}

// The group's timer, every tick: refill the shared bucket and resume the members once
// it holds at least min_share again.
void group_refill_cb(evutil_socket_t, short, void* arg) {
    Group* g = static_cast<Group*>(arg);
    group_lock(g);
    const Micros now = now_of(g->base);
    bucket_update(g->bucket, g->cfg, now);
    group_arm(g, now);
    bool missed = false;
    if (g->pending_unsuspend_read || (g->read_suspended && g->bucket.read_limit >= g->min_share))
        missed |= group_unsuspend(g, false);
    if (g->pending_unsuspend_write || (g->write_suspended && g->bucket.write_limit >= g->min_share))
        missed |= group_unsuspend(g, true);
    if (missed) group_retry_soon(g);
    group_unlock(g);
}

// Members that were busy when the group resumed get another chance.
void group_retry_cb(evutil_socket_t, short, void* arg) {
    Group* g = static_cast<Group*>(arg);
    group_lock(g);
    bool missed = false;
    if (g->pending_unsuspend_read) missed |= group_unsuspend(g, false);
    if (g->pending_unsuspend_write) missed |= group_unsuspend(g, true);
    if (missed) group_retry_soon(g);
    group_unlock(g);
}

void group_apply_min_share(Group* g) {
    size_t share = g->configured_min_share;
    // At least one member must be able to move data each tick.
    if (share > g->cfg.read_rate) share = g->cfg.read_rate;
    if (share > g->cfg.write_rate) share = g->cfg.write_rate;
    g->min_share = ev_ssize_t(share);
}

void group_link(Group* g, RateLimit* r) {
    r->group = g;
    r->prev_in_group = nullptr;
    r->next_in_group = g->members;
    if (g->members) g->members->prev_in_group = r;
    g->members = r;
    ++g->n_members;
}

void group_unlink(Group* g, RateLimit* r) {
    if (r->prev_in_group)
        r->prev_in_group->next_in_group = r->next_in_group;
    else
        g->members = r->next_in_group;
    if (r->next_in_group) r->next_in_group->prev_in_group = r->prev_in_group;
    r->prev_in_group = r->next_in_group = nullptr;
    r->group = nullptr;
    --g->n_members;
}

// Takes the bufferevent (locked) out of its group.
void leave_group(Private* p, bool unsuspend) {
    RateLimit* r = p->rate;
    if (r && r->group) {
        Group* g = r->group;
        group_lock(g);
        group_unlink(g, r);
        group_unlock(g);
    }
    if (unsuspend) {
        unsuspend_dir(p, false, kSuspendBwGroup);
        unsuspend_dir(p, true, kSuspendBwGroup);
    }
}

}  // namespace

// ---- the hooks (their fast halves are inline in bufferevent.hpp)

ev_ssize_t rlim_max(Private* p, bool write) {
    ev_ssize_t most = write ? p->max_single_write : p->max_single_read;
    RateLimit* r = p->rate;
    // As in libevent, the bufferevent's own bucket replaces max_single_read/write.
    if (r->cfg) {
        update_own(r);
        most = limit_of(r->bucket, write);
    }
    if (Group* g = r->group) {
        ev_ssize_t share;
        group_lock(g);
        if (write ? g->write_suspended : g->read_suspended) {
            // The group suspended itself while this bufferevent was locked elsewhere.
            suspend_dir(p, write, kSuspendBwGroup);
            share = 0;
        } else {
            share = limit_of(g->bucket, write) / g->n_members;
            if (share < g->min_share) share = g->min_share;
        }
        group_unlock(g);
        if (most > share) most = share;
    }
    return most < 0 ? 0 : most;
}

void decrement_buckets(Private* p, ev_ssize_t n, bool write) {
    RateLimit* r = p->rate;
    if (r->cfg) {
        ev_ssize_t& lim = limit_of(r->bucket, write);
        lim -= n;
        if (lim <= 0) {
            suspend_dir(p, write, kSuspendBw);
            arm_refill(r);
        } else if ((write ? p->write_suspended : p->read_suspended) & kSuspendBw) {
            uint16_t other = write ? p->read_suspended : p->write_suspended;
            if (!(other & kSuspendBw)) disarm_refill(r);
            unsuspend_dir(p, write, kSuspendBw);
        }
    }
    if (Group* g = r->group) {
        group_lock(g);
        ev_ssize_t& lim = limit_of(g->bucket, write);
        lim -= n;
        (write ? g->total_written : g->total_read) += uint64_t(n);
        if (lim <= 0)
            group_suspend(g, write);
        else if ((write ? g->write_suspended : g->read_suspended) && group_unsuspend(g, write))
            group_retry_soon(g);
        group_unlock(g);
    }
}

namespace {

bool check_bev(const bufferevent* b, const char* func) {
    if (b) return true;
    vigil_warn("%s: NULL bufferevent", func);
    return false;
}

bool check_group(const Group* g, const char* func) {
    if (g) return true;
    vigil_warn("%s: NULL rate-limit group", func);
    return false;
}

int decrement_limit(bufferevent* bev, ev_ssize_t decr, bool write, const char* func) {
    if (!check_bev(bev, func)) return -1;
    Private* p = upcast(bev);
    lock(bev);
    RateLimit* r = p->rate;
    if (!r || !r->cfg) {
        unlock(bev);
        vigil_warn("%s: the bufferevent has no rate limit of its own", func);
        return -1;
    }
    ev_ssize_t& lim = limit_of(r->bucket, write);
    ev_ssize_t old = lim;
    lim -= decr;
    own_limit_changed(p, write, old);
    unlock(bev);
    return 0;
}

int group_decrement(Group* g, ev_ssize_t decr, bool write, const char* func) {
    if (!check_group(g, func)) return -1;
    group_lock(g);
    ev_ssize_t& lim = limit_of(g->bucket, write);
    ev_ssize_t old = lim;
    lim -= decr;
    if (old > 0 && lim <= 0)
        group_suspend(g, write);
    else if (old <= 0 && lim > 0 && group_unsuspend(g, write))
        group_retry_soon(g);
    group_unlock(g);
    return 0;
}

}  // namespace

void ratelim_release(Private* p) {
    RateLimit* r = p->rate;
    if (!r) return;
    leave_group(p, false);
    if (r->refill_assigned) {
        event_del(&r->refill);
        event_debug_unassign(&r->refill);
    }
    p->rate = nullptr;
    r->~RateLimit();
    mm_free(r);
}

}  // namespace vigil::bev

using namespace vigil::bev;
using vigil::Micros;

extern "C" {

struct ev_token_bucket_cfg* ev_token_bucket_cfg_new(size_t read_rate, size_t read_burst, size_t write_rate,
                                                    size_t write_burst, const struct timeval* tick_len) {
    timeval one_second{1, 0};
    if (!tick_len) tick_len = &one_second;
    if (read_rate > read_burst || write_rate > write_burst || read_rate < 1 || write_rate < 1) return nullptr;
    if (read_rate > size_t(EV_RATE_LIMIT_MAX) || write_rate > size_t(EV_RATE_LIMIT_MAX) ||
        read_burst > size_t(EV_RATE_LIMIT_MAX) || write_burst > size_t(EV_RATE_LIMIT_MAX))
        return nullptr;
    // Only whole milliseconds count; the low 20 bits of tv_usec are the microseconds
    // (the rest may mark a common timeout, which libevent accepts here).
    uint64_t usec = uint64_t(tick_len->tv_usec) & 0xfffff;
    if (tick_len->tv_sec < 0 || uint64_t(tick_len->tv_sec) > UINT_MAX / 1000 - 1000) {
        vigil_warn("ev_token_bucket_cfg_new: tick length out of range");
        return nullptr;
    }
    uint64_t msec = uint64_t(tick_len->tv_sec) * 1000 + usec / 1000;
    if (msec == 0) {
        vigil_warn("ev_token_bucket_cfg_new: a tick must last at least one millisecond");
        return nullptr;
    }
    auto* cfg = static_cast<ev_token_bucket_cfg*>(vigil::mm_calloc(1, sizeof(ev_token_bucket_cfg)));
    if (!cfg) return nullptr;
    cfg->read_rate = read_rate;
    cfg->read_maximum = read_burst;
    cfg->write_rate = write_rate;
    cfg->write_maximum = write_burst;
    cfg->tick_timeout = *tick_len;
    cfg->msec_per_tick = unsigned(msec);
    return cfg;
}

void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg* cfg) { vigil::mm_free(cfg); }

int bufferevent_set_rate_limit(struct bufferevent* bev, struct ev_token_bucket_cfg* cfg) {
    if (!check_bev(bev, "bufferevent_set_rate_limit")) return -1;
    Private* p = upcast(bev);
    lock(bev);
    int result = 0;
    if (!cfg) {
        if (RateLimit* r = p->rate) {
            r->cfg = nullptr;
            disarm_refill(r);
            unsuspend_dir(p, false, kSuspendBw);
            unsuspend_dir(p, true, kSuspendBw);
        }
    } else if (!p->rate || p->rate->cfg != cfg) {
        RateLimit* r = rate_of(p);
        if (!r || !assign_refill(r)) {
            result = -1;
        } else {
            Micros now = now_of(refill_base(r));
            const bool reconfigure = r->cfg != nullptr;
            r->cfg = cfg;
            if (reconfigure) {
                bucket_reconfigure(r->bucket, *cfg, now);
                disarm_refill(r);
            } else {
                bucket_start(r->bucket, *cfg, now);
            }
            bool dry = false;
            for (bool write : {false, true}) {
                if (limit_of(r->bucket, write) > 0) {
                    unsuspend_dir(p, write, kSuspendBw);
                } else {
                    suspend_dir(p, write, kSuspendBw);
                    dry = true;
                }
            }
            if (dry) arm_refill(r);
        }
    }
    unlock(bev);
    return result;
}

const struct ev_token_bucket_cfg* bufferevent_get_token_bucket_cfg(const struct bufferevent* bev) {
    if (!check_bev(bev, "bufferevent_get_token_bucket_cfg")) return nullptr;
    auto* b = const_cast<bufferevent*>(bev);
    lock(b);
    RateLimit* r = upcast(b)->rate;
    const ev_token_bucket_cfg* cfg = r ? r->cfg : nullptr;
    unlock(b);
    return cfg;
}

ev_ssize_t bufferevent_get_read_limit(struct bufferevent* bev) {
    if (!check_bev(bev, "bufferevent_get_read_limit")) return -1;
    lock(bev);
    RateLimit* r = upcast(bev)->rate;
    ev_ssize_t v = EV_SSIZE_MAX;
    if (r && r->cfg) {
        update_own(r);
        v = r->bucket.read_limit;
    }
    unlock(bev);
    return v;
}

ev_ssize_t bufferevent_get_write_limit(struct bufferevent* bev) {
    if (!check_bev(bev, "bufferevent_get_write_limit")) return -1;
    lock(bev);
    RateLimit* r = upcast(bev)->rate;
    ev_ssize_t v = EV_SSIZE_MAX;
    if (r && r->cfg) {
        update_own(r);
        v = r->bucket.write_limit;
    }
    unlock(bev);
    return v;
}

ev_ssize_t bufferevent_get_max_to_read(struct bufferevent* bev) {
    if (!check_bev(bev, "bufferevent_get_max_to_read")) return -1;
    lock(bev);
    ev_ssize_t v = read_max(upcast(bev));
    unlock(bev);
    return v;
}

ev_ssize_t bufferevent_get_max_to_write(struct bufferevent* bev) {
    if (!check_bev(bev, "bufferevent_get_max_to_write")) return -1;
    lock(bev);
    ev_ssize_t v = write_max(upcast(bev));
    unlock(bev);
    return v;
}


int bufferevent_decrement_read_limit(struct bufferevent* bev, ev_ssize_t decr) {
    return decrement_limit(bev, decr, false, "bufferevent_decrement_read_limit");
}

int bufferevent_decrement_write_limit(struct bufferevent* bev, ev_ssize_t decr) {
    return decrement_limit(bev, decr, true, "bufferevent_decrement_write_limit");
}

struct bufferevent_rate_limit_group* bufferevent_rate_limit_group_new(struct event_base* base,
                                                                      const struct ev_token_bucket_cfg* cfg) {
    if (!base) base = event_global_current_base_;
    if (!base) {
        vigil_warn("bufferevent_rate_limit_group_new: no event_base (NULL base and no current base)");
        return nullptr;
    }
    if (!cfg) {
        vigil_warn("bufferevent_rate_limit_group_new: NULL configuration");
        return nullptr;
    }
    auto* g = static_cast<Group*>(vigil::mm_calloc(1, sizeof(Group)));
    if (!g) return nullptr;
    new (g) Group();
    g->base = base;
    g->cfg = *cfg;
    const Micros now = now_of(base);
    bucket_start(g->bucket, g->cfg, now);
    g->configured_min_share = kDefaultMinShare;
    group_apply_min_share(g);
    g->lock = vigil::lock_new();
    if (vigil::threads_enabled() && !g->lock) {
        vigil::mm_free(g);
        return nullptr;
    }
    event_assign(&g->refill, base, -1, 0, group_refill_cb, g);
    event_assign(&g->retry, base, -1, 0, group_retry_cb, g);
    group_arm(g, now);
    return g;
}

int bufferevent_rate_limit_group_set_cfg(struct bufferevent_rate_limit_group* g,
                                         const struct ev_token_bucket_cfg* cfg) {
    if (!check_group(g, "bufferevent_rate_limit_group_set_cfg")) return -1;
    if (!cfg) {
        vigil_warn("bufferevent_rate_limit_group_set_cfg: NULL configuration");
        return -1;
    }
    group_lock(g);
    const bool new_tick = g->cfg.msec_per_tick != cfg->msec_per_tick;
    g->cfg = *cfg;
    const Micros now = now_of(g->base);
    bucket_reconfigure(g->bucket, g->cfg, now);
    if (new_tick) group_arm(g, now);
    group_apply_min_share(g);
    group_unlock(g);
    return 0;
}

int bufferevent_rate_limit_group_set_min_share(struct bufferevent_rate_limit_group* g, size_t share) {
    if (!check_group(g, "bufferevent_rate_limit_group_set_min_share")) return -1;
    if (share > size_t(EV_SSIZE_MAX)) return -1;
    group_lock(g);
    g->configured_min_share = share;
    group_apply_min_share(g);
    group_unlock(g);
    return 0;
}

void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group* g) {
    if (!g) return;
    // Before the group lock: this waits for a refill callback running in another thread.
    event_del(&g->refill);
    // Members still here are taken out; those already freed (waiting for their
    // finalizer) are no mistake. Members are locked before the group: try, and let a
    // busy one finish meanwhile.
    bool live = false;
    for (;;) {
        bool busy = false;
        group_lock(g);
        for (RateLimit* m = g->members; m;) {
            RateLimit* next = m->next_in_group;
            Private* p = m->owner;
            if (try_lock_member(p)) {
                group_unlink(g, m);
                if (!p->dying) {
                    live = true;
                    unsuspend_dir(p, false, kSuspendBwGroup);
                    unsuspend_dir(p, true, kSuspendBwGroup);
                }
                unlock_member(p);
            } else {
                busy = true;
            }
            m = next;
        }
        group_unlock(g);
        if (!busy) break;
        sched_yield();
    }
    if (live) vigil_warn("bufferevent_rate_limit_group_free: the group still had members; they were removed");
    // No member can reach the group now; only a running retry could still add itself.
    event_del(&g->retry);
    event_debug_unassign(&g->refill);
    event_debug_unassign(&g->retry);
    vigil::lock_free(g->lock);
    g->~Group();
    vigil::mm_free(g);
}

int bufferevent_add_to_rate_limit_group(struct bufferevent* bev, struct bufferevent_rate_limit_group* g) {
    if (!check_bev(bev, "bufferevent_add_to_rate_limit_group")) return -1;
    if (!g) return bufferevent_remove_from_rate_limit_group(bev);
    Private* p = upcast(bev);
    lock(bev);
    RateLimit* r = rate_of(p);
    if (!r) {
        unlock(bev);
        return -1;
    }
    if (r->group == g) {
        unlock(bev);
        return 0;
    }
    if (r->group) leave_group(p, true);
    group_lock(g);
    group_link(g, r);
    const bool rsusp = g->read_suspended;
    const bool wsusp = g->write_suspended;
    group_unlock(g);
    if (rsusp) suspend_dir(p, false, kSuspendBwGroup);
    if (wsusp) suspend_dir(p, true, kSuspendBwGroup);
    unlock(bev);
    return 0;
}

int bufferevent_remove_from_rate_limit_group(struct bufferevent* bev) {
    if (!check_bev(bev, "bufferevent_remove_from_rate_limit_group")) return -1;
    lock(bev);
    leave_group(upcast(bev), true);
    unlock(bev);
    return 0;
}

ev_ssize_t bufferevent_rate_limit_group_get_read_limit(struct bufferevent_rate_limit_group* g) {
    if (!check_group(g, "bufferevent_rate_limit_group_get_read_limit")) return -1;
    group_lock(g);
    ev_ssize_t v = g->bucket.read_limit;
    group_unlock(g);
    return v;
}

ev_ssize_t bufferevent_rate_limit_group_get_write_limit(struct bufferevent_rate_limit_group* g) {
    if (!check_group(g, "bufferevent_rate_limit_group_get_write_limit")) return -1;
    group_lock(g);
    ev_ssize_t v = g->bucket.write_limit;
    group_unlock(g);
    return v;
}


int bufferevent_rate_limit_group_decrement_read(struct bufferevent_rate_limit_group* g, ev_ssize_t decr) {
    return group_decrement(g, decr, false, "bufferevent_rate_limit_group_decrement_read");
}

int bufferevent_rate_limit_group_decrement_write(struct bufferevent_rate_limit_group* g, ev_ssize_t decr) {
    return group_decrement(g, decr, true, "bufferevent_rate_limit_group_decrement_write");
}

void bufferevent_rate_limit_group_get_totals(struct bufferevent_rate_limit_group* g, ev_uint64_t* total_read_out,
                                             ev_uint64_t* total_written_out) {
    if (!check_group(g, "bufferevent_rate_limit_group_get_totals")) return;
    group_lock(g);
    if (total_read_out) *total_read_out = g->total_read;
    if (total_written_out) *total_written_out = g->total_written;
    group_unlock(g);
}

void bufferevent_rate_limit_group_reset_totals(struct bufferevent_rate_limit_group* g) {
    if (!check_group(g, "bufferevent_rate_limit_group_reset_totals")) return;
    group_lock(g);
    g->total_read = g->total_written = 0;
    group_unlock(g);
}

}  // extern "C"
