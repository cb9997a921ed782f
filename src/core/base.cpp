// event_base life cycle, event_config, method selection and the base-wide getters.
#include "backend/backend.hpp"
#include "core/base.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace vigil;

event_base* event_global_current_base_ = nullptr;

namespace {

// The live bases, so event_assign can tell a real "already added" event from garbage
// memory that happens to look like one.
std::mutex g_bases_lock;
Vec<const event_base*>& live_bases() {
    static Vec<const event_base*>* v = new Vec<const event_base*>;
    return *v;
}

// Like libevent, a variable counts when it is set at all, even to "".
bool env_set(const event_config* cfg, const char* name) {
    if (cfg && (cfg->flags & EVENT_BASE_FLAG_IGNORE_ENV)) return false;
    return getenv(name) != nullptr;
}

bool method_avoided(const event_config* cfg, const char* name) {
    if (cfg)
        for (const char* s : cfg->avoided)
            if (strcmp(s, name) == 0) return true;
    // EVENT_NOEPOLL, EVENT_NOPOLL, EVENT_NOSELECT
    char var[64] = "EVENT_NO";
    size_t n = strlen(var);
    for (const char* p = name; *p && n + 1 < sizeof var; ++p) var[n++] = char(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    var[n] = 0;
    return env_set(cfg, var);
}

}  // namespace

namespace vigil {

bool base_is_live(const event_base* base) {
    std::lock_guard<std::mutex> g(g_bases_lock);
    for (const event_base* b : live_bases())
        if (b == base) return true;
    return false;
}

event_base* new_base(const event_config* cfg) {
    g_any_base_or_event_created.store(true, std::memory_order_relaxed);
    event_base* base = mm_new<event_base>();
    if (!base) {
        log_errno("event_base_new: malloc");
        return nullptr;
    }
    if (cfg) base->flags = cfg->flags & ~EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST;
    if (env_set(cfg, "EVENT_PRECISE_TIMER")) base->flags |= EVENT_BASE_FLAG_PRECISE_TIMER;
    // Like libevent, the coarse clock (a few ms resolution, a quarter of the cost to
    // read) unless the base asks for precise timers.
    base->clock_id = (base->flags & EVENT_BASE_FLAG_PRECISE_TIMER) ? CLOCK_MONOTONIC : CLOCK_MONOTONIC_COARSE;
    // The changelist is always on in vigil (interest changes are reconciled once per
    // iteration); the flag and variable are remembered for event_base_get_method.
    bool changelist = (cfg && (cfg->flags & EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST)) ||
                      env_set(cfg, "EVENT_EPOLL_USE_CHANGELIST");
    if (cfg) {
        if (cfg->max_dispatch_interval.tv_sec >= 0) base->max_dispatch_time = tv_to_us(cfg->max_dispatch_interval);
        base->max_dispatch_callbacks = cfg->max_dispatch_callbacks;
        base->limit_callbacks_after_prio = cfg->limit_callbacks_after_prio;
    }

    for (int i = 0; i < kNumBackends && !base->backend; ++i) {
        const BackendInfo& b = kBackends[i];
        if (method_avoided(cfg, b.name)) continue;
        if (cfg && (cfg->require_features & ~b.features)) continue;
        base->backend = b.create(base->flags);
        if (base->backend) {
            base->method_name = b.name;
            if (changelist && strcmp(b.name, "epoll") == 0) {
                base->flags |= EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST;
                base->method_name = "epoll (with changelist)";
            }
        }
    }
    if (!base->backend) {
        vigil_warn("event_base_new_with_config: no event mechanism available");
        mm_delete(base);
        return nullptr;
    }
    // libevent 2.1.12 honours EVENT_SHOW_METHOD even with EVENT_BASE_FLAG_IGNORE_ENV.
    if (getenv("EVENT_SHOW_METHOD")) log_message(EVENT_LOG_MSG, "libevent using: %s", base->method_name);
    if (base->priority_init(1) < 0) {
        mm_delete(base);
        return nullptr;
    }
    // With thread callbacks installed, the base gets a lock, a condition for event_del
    // to wait on, and a wake-up channel, unless it asked for no locking.
    if (threads_enabled() && !(base->flags & EVENT_BASE_FLAG_NOLOCK)) {
        base->th_lock = lock_new();
        base->th_cond = cond_new();
        if (!base->th_lock || base->make_notifiable() < 0) {
            vigil_warn("event_base_new_with_config: could not set up locking");
            mm_delete(base);
            return nullptr;
        }
    }
    std::lock_guard<std::mutex> g(g_bases_lock);
    live_bases().push_back(base);
    return base;
}

void free_base(event_base* base, bool run_finalizers) {
    if (!base && event_global_current_base_) base = event_global_current_base_;
    if (!base) {
        vigil_warn("event_base_free: no base to free");
        return;
    }
    if (base->running_loop) {
        // Freeing a base from its own callback would pull the loop out from under itself.
        vigil_warn("event_base_free: the base is running its loop; not freed");
        return;
    }
    base->cancel_all_callbacks(run_finalizers);
    {
        std::lock_guard<std::mutex> g(g_bases_lock);
        auto& v = live_bases();
        for (size_t i = 0; i < v.size(); ++i)
            if (v[i] == base) {
                v[i] = v.back();
                v.pop_back();
                break;
            }
    }
    if (base == event_global_current_base_) event_global_current_base_ = nullptr;
    mm_delete(base);
}

}  // namespace vigil

int event_base::priority_init(int n) {
    if (n_active_callbacks() || n < 1 || n >= EVENT_MAX_PRIORITIES) return -1;
    if (n == nactive) return 0;
    auto* queues = static_cast<CallbackQueue*>(mm_malloc(sizeof(CallbackQueue) * size_t(n)));
    if (!queues) return -1;
    for (int i = 0; i < n; ++i) new (&queues[i]) CallbackQueue;
    mm_free(active);  // all empty: nothing points into them
    active = queues;
    nactive = n;
    return 0;
}

// Remove every remaining event: the user owns them, we only forget them.
void event_base::cancel_all_callbacks(bool run_finalizers) {
    // Finalizers already scheduled run now, as the loop would have run them.
    for (bool again = true; again;) {
        again = false;
        for (int p = 0; p < nactive; ++p) {
            for (event_callback* cb = active[p].first; cb;) {
                event_callback* next = cb->evcb_active_next.tqe_next;
                bool finalizing = cb->evcb_closure == kClosureEventFinalize ||
                                  cb->evcb_closure == kClosureEventFinalizeFree ||
                                  cb->evcb_closure == kClosureCbFinalize;
                if (finalizing && run_finalizers) {
                    remove_active(cb);
                    event* ev = as_event(cb);
                    switch (cb->evcb_closure) {
                        case kClosureEventFinalize:
                        case kClosureEventFinalizeFree: {
                            bool free_it = cb->evcb_closure == kClosureEventFinalizeFree;
                                        cb->evcb_cb_union.evcb_evfinalize(ev, cb->evcb_arg);
                            debug_note_teardown(ev);
                            if (free_it) mm_free(ev);
                            break;
                        }
                        default:
                            cb->evcb_cb_union.evcb_cbfinalize(cb, cb->evcb_arg);
                    }
                    again = true;
                    break;
                }
                cb = next;
            }
        }
    }

    for (size_t fd = 0; fd < fds.size(); ++fd)
        while (fds[fd].head) del_event(fds[fd].head, true);
    for (int s = 0; s < NSIG; ++s)
        while (sig_heads[s]) del_event(sig_heads[s], true);
    for (CommonTimeout* ct : common_timeouts) {
        while (ct->events.tqh_first) del_event(ct->events.tqh_first, true);
        del_event(&ct->timer, true);
    }
    while (!timers.empty()) del_event(timers.top(), true);
    activate_later_callbacks();
    for (int p = 0; p < nactive; ++p)
        while (active[p].first) {
            event_callback* cb = active[p].first;
            if (cb->evcb_closure <= kClosurePersist || cb->evcb_closure >= kClosureEventFinalize)
                del_event(as_event(cb), true);
            else
                remove_active(cb);
        }
    while (once_events) {
        OnceEvent* o = once_events;
        once_events = o->next;
        debug_note_teardown(&o->ev);
        mm_free(o);
    }
}

event_base::~event_base() {
    signal_free();
    if (notify_fd >= 0) {
        debug_note_teardown(&notify_ev);
        close(notify_fd);
    }
    cond_free(th_cond);
    lock_free(th_lock);
    for (CommonTimeout* ct : common_timeouts) {
        debug_note_teardown(&ct->timer);
        mm_free(ct);
    }
    mm_delete(backend);
    for (int i = 0; i < nactive; ++i) active[i].~CallbackQueue();
    mm_free(active);
}

namespace {
void drain_notify(evutil_socket_t fd, short, void* arg) {
    event_base* base = static_cast<event_base*>(arg);
    base->lock();
    base->notify_pending = false;
    base->unlock();
    uint64_t count;
    while (read(fd, &count, sizeof count) < 0 && errno == EINTR) {
    }
}
}  // namespace

int event_base::make_notifiable() {
    if (notify_fd >= 0) return 0;
    notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (notify_fd < 0) {
        log_errno("eventfd");
        return -1;
    }
    event_assign(&notify_ev, this, notify_fd, EV_READ | EV_PERSIST, drain_notify, this);
    notify_ev.ev_flags |= EVLIST_INTERNAL;
    notify_ev.ev_pri = 0;
    return add_event(&notify_ev, nullptr, false);
}

void event_base::notify() {
    notify_pending = true;
    uint64_t one = 1;
    while (write(notify_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

// Wall-clock time for a monotonic instant; the offset is re-measured every 5 seconds
// so a stepped wall clock shows up in cached times soon.
Micros event_base::wall_from_mono(Micros mono) {
    Micros m = mono_now(clock_id);
    if (clock_synced_at < 0 || m - clock_synced_at > 5 * 1000000) {
        clock_diff = wall_now() - m;
        clock_synced_at = m;
    }
    return mono + clock_diff;
}

extern "C" {

VIGIL_EXPORT struct event_config* event_config_new(void) { return mm_new<event_config>(); }

VIGIL_EXPORT void event_config_free(struct event_config* cfg) { mm_delete(cfg); }

VIGIL_EXPORT int event_config_avoid_method(struct event_config* cfg, const char* method) {
    if (!cfg || !method) {
        vigil_warn("event_config_avoid_method: NULL %s", cfg ? "method" : "config");
        return -1;
    }
    char* copy = mm_strdup(method);
    if (!copy) return -1;
    cfg->avoided.push_back(copy);
    return 0;
}

VIGIL_EXPORT int event_config_require_features(struct event_config* cfg, int features) {
    if (!cfg) return -1;
    cfg->require_features = features;
    return 0;
}

VIGIL_EXPORT int event_config_set_flag(struct event_config* cfg, int flag) {
    if (!cfg) return -1;
    cfg->flags |= flag;
    return 0;
}

VIGIL_EXPORT int event_config_set_num_cpus_hint(struct event_config* cfg, int cpus) {
    if (!cfg) return -1;
    cfg->n_cpus_hint = cpus;
    return 0;
}

VIGIL_EXPORT int event_config_set_max_dispatch_interval(struct event_config* cfg, const struct timeval* max_interval,
                                                        int max_callbacks, int min_priority) {
    if (!cfg) return -1;
    if (max_interval)
        cfg->max_dispatch_interval = *max_interval;
    else
        cfg->max_dispatch_interval.tv_sec = -1;
    cfg->max_dispatch_callbacks = max_callbacks >= 0 ? max_callbacks : INT_MAX;
    cfg->limit_callbacks_after_prio = min_priority <= 0 ? 1 : min_priority;
    return 0;
}

VIGIL_EXPORT struct event_base* event_base_new_with_config(const struct event_config* cfg) { return new_base(cfg); }

VIGIL_EXPORT struct event_base* event_base_new(void) { return new_base(nullptr); }

VIGIL_EXPORT void event_base_free(struct event_base* base) { free_base(base, true); }

VIGIL_EXPORT void event_base_free_nofinalize(struct event_base* base) { free_base(base, false); }

VIGIL_EXPORT const char* event_base_get_method(const struct event_base* base) {
    return base ? base->method_name : nullptr;
}

VIGIL_EXPORT int event_base_get_features(const struct event_base* base) {
    if (!base) return 0;
    for (int i = 0; i < kNumBackends; ++i)
        if (strncmp(base->method_name, kBackends[i].name, strlen(kBackends[i].name)) == 0)
            return kBackends[i].features;
    return 0;
}

VIGIL_EXPORT const char** event_get_supported_methods(void) {
    static const char* names[] = {"epoll", "poll", "select", nullptr};
    return names;
}

VIGIL_EXPORT int event_base_priority_init(struct event_base* base, int npriorities) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    BaseGuard g(base);
    return base->priority_init(npriorities);
}

VIGIL_EXPORT int event_base_get_npriorities(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    return base ? base->nactive : 0;
}

VIGIL_EXPORT int event_base_get_num_events(struct event_base* base, unsigned int type) {
    if (!base) return -1;
    BaseGuard g(base);
    int r = 0;
    if (type & EVENT_BASE_COUNT_ACTIVE) r += base->event_count_active;
    if (type & EVENT_BASE_COUNT_VIRTUAL) r += base->virtual_event_count;
    if (type & EVENT_BASE_COUNT_ADDED) r += base->event_count;
    return r;
}

VIGIL_EXPORT int event_base_get_max_events(struct event_base* base, unsigned int type, int clear) {
    if (!base) return -1;
    BaseGuard g(base);
    int r = 0;
    if (type & EVENT_BASE_COUNT_ACTIVE) {
        r += base->event_count_active_max;
        if (clear) base->event_count_active_max = 0;
    }
    if (type & EVENT_BASE_COUNT_VIRTUAL) {
        r += base->virtual_event_count_max;
        if (clear) base->virtual_event_count_max = 0;
    }
    if (type & EVENT_BASE_COUNT_ADDED) {
        r += base->event_count_max;
        if (clear) base->event_count_max = 0;
    }
    return r;
}

VIGIL_EXPORT int event_base_gettimeofday_cached(struct event_base* base, struct timeval* tv) {
    if (!tv) return -1;
    if (!base) base = event_global_current_base_;
    if (!base) return gettimeofday(tv, nullptr);
    BaseGuard g(base);
    if (!base->running_loop || (base->flags & EVENT_BASE_FLAG_NO_CACHE_TIME)) return gettimeofday(tv, nullptr);
    *tv = us_to_tv(base->wall_from_mono(base->now()));
    return 0;
}

VIGIL_EXPORT int event_base_update_cache_time(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    BaseGuard g(base);
    if (base->running_loop) {
        base->clear_time_cache();
        base->now();
    }
    return 0;
}

VIGIL_EXPORT int event_gettime_monotonic(struct event_base* base, struct timeval* tp) {
    if (!base || !tp) return -1;
    *tp = us_to_tv(mono_now(base->clock_id));
    return 0;
}

VIGIL_EXPORT int event_reinit(struct event_base* base) {
    if (!base) base = event_global_current_base_;
    if (!base) return -1;
    // After fork() the child shares the parent's epoll set and signal pipe: make new
    // ones and register every fd again.
    Backend* fresh = nullptr;
    for (int i = 0; i < kNumBackends; ++i)
        if (strncmp(base->method_name, kBackends[i].name, strlen(kBackends[i].name)) == 0)
            fresh = kBackends[i].create(base->flags);
    if (!fresh) {
        vigil_warn("event_reinit: could not recreate the %s backend", base->method_name);
        return -1;
    }
    mm_delete(base->backend);
    base->backend = fresh;
    int res = 0;
    if (base->signal_reinit() < 0) res = -1;
    if (base->notify_fd >= 0) {
        // The child must not share its wake-up channel with the parent.
        base->del_event(&base->notify_ev);
        close(base->notify_fd);
        base->notify_fd = -1;
        if (base->make_notifiable() < 0) res = -1;
    }
    for (size_t fd = 0; fd < base->fds.size(); ++fd) {
        FdSlot& s = base->fds[fd];
        s.kernel = 0;
        short want = s.wanted();
        if (!want) continue;
        if (fresh->update(int(fd), 0, want) == 0)
            s.kernel = uint8_t(want);
        else
            res = -1;
    }
    return res;
}

VIGIL_EXPORT int evthread_make_base_notifiable(struct event_base* base) {
    if (!base) return -1;
    if (!base->th_lock) {
        // libevent adds the wake-up channel anyway; vigil refuses, since nothing may
        // touch an unlocked base from another thread (see docs/ARCHITECTURE.md).
        vigil_warn("evthread_make_base_notifiable: the base has no lock (EVENT_BASE_FLAG_NOLOCK, or no "
                   "thread support when it was made), so other threads cannot use it");
        return -1;
    }
    BaseGuard g(base);
    return base->make_notifiable();
}

VIGIL_EXPORT const char* event_get_version(void) { return "2.1.12-stable (vigil " VIGIL_VERSION_STRING ")"; }

VIGIL_EXPORT ev_uint32_t event_get_version_number(void) { return 0x02010c00; }

VIGIL_EXPORT size_t event_get_struct_event_size(void) { return sizeof(struct event); }

VIGIL_EXPORT void libevent_global_shutdown(void) {
    // Nothing global outlives the bases except the debug registry, which is kept for
    // events that may still be freed afterwards.
}

}  // extern "C"
