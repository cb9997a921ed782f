// evthread_set_lock_callbacks and friends, and lock debugging: a layer between the
// core and the user's lock callbacks that checks every lock and unlock.
#include "thread/thread.hpp"

#include <cstring>

namespace vigil {

ThreadCallbacks g_threads;

namespace {

// Lock debugging wraps each real lock in a record of who holds it how many times.
struct DebugLock {
    unsigned type;
    unsigned long holder;
    int count;
    void* real;
};
bool g_lock_debugging = false;
evthread_lock_callbacks g_real_lock;  // the user's callbacks behind the debug layer

void* debug_alloc(unsigned type) {
    auto* d = static_cast<DebugLock*>(mm_malloc(sizeof(DebugLock)));
    if (!d) return nullptr;
    d->type = type;
    d->holder = 0;
    d->count = 0;
    // The real lock is always recursive: the debug layer itself decides what is misuse.
    d->real = g_real_lock.alloc ? g_real_lock.alloc(type | EVTHREAD_LOCKTYPE_RECURSIVE) : nullptr;
    if (g_real_lock.alloc && !d->real) {
        mm_free(d);
        return nullptr;
    }
    return d;
}

void debug_free(void* l, unsigned type) {
    auto* d = static_cast<DebugLock*>(l);
    if (d->count) fatal("lock debugging: freeing a lock that is still held %d time(s)", d->count);
    if (d->type != type) fatal("lock debugging: lock freed as type %u but made as type %u", type, d->type);
    if (d->real) g_real_lock.free(d->real, type | EVTHREAD_LOCKTYPE_RECURSIVE);
    mm_free(d);
}

void note_locked(DebugLock* d) {
    ++d->count;
    if (!(d->type & EVTHREAD_LOCKTYPE_RECURSIVE) && d->count > 1)
        fatal("lock debugging: a non-recursive lock was taken twice by the same thread");
    d->holder = current_thread_id();
}

void note_unlocking(DebugLock* d) {
    if (d->count <= 0) fatal("lock debugging: unlocking a lock that is not held");
    if (g_threads.id && d->holder != current_thread_id())
        fatal("lock debugging: unlocking a lock held by another thread");
    if (--d->count == 0) d->holder = 0;
}

int debug_lock(unsigned mode, void* l) {
    auto* d = static_cast<DebugLock*>(l);
    int r = d->real ? g_real_lock.lock(mode, d->real) : 0;
    if (r == 0) note_locked(d);
    return r;
}

int debug_unlock(unsigned mode, void* l) {
    auto* d = static_cast<DebugLock*>(l);
    note_unlocking(d);
    return d->real ? g_real_lock.unlock(mode, d->real) : 0;
}

}  // namespace

int cond_wait(void* c, void* l) {
    if (!g_lock_debugging) return g_threads.cond.wait_condition(c, l, nullptr);
    // The condition must see the real lock; the debug record shows it released meanwhile.
    auto* d = static_cast<DebugLock*>(l);
    note_unlocking(d);
    int r = g_threads.cond.wait_condition(c, d->real, nullptr);
    note_locked(d);
    return r;
}

}  // namespace vigil

using namespace vigil;

extern "C" {

VIGIL_EXPORT int evthread_set_lock_callbacks(const struct evthread_lock_callbacks* cbs) {
    evthread_lock_callbacks* target = g_lock_debugging ? &g_real_lock : &g_threads.lock;
    if (!cbs) {
        if (target->alloc) vigil_warn("evthread_set_lock_callbacks: cannot remove lock callbacks once set");
        return target->alloc ? -1 : 0;
    }
    if (!cbs->alloc || !cbs->free || !cbs->lock || !cbs->unlock) {
        vigil_warn("evthread_set_lock_callbacks: incomplete callbacks");
        return -1;
    }
    if (target->alloc) {
        // Setting the same functions twice is harmless; different ones would strand
        // locks made by the first.
        if (target->lock_api_version == cbs->lock_api_version &&
            target->supported_locktypes == cbs->supported_locktypes && target->alloc == cbs->alloc &&
            target->free == cbs->free && target->lock == cbs->lock && target->unlock == cbs->unlock)
            return 0;
        vigil_warn("evthread_set_lock_callbacks: lock callbacks are already set to other functions");
        return -1;
    }
    *target = *cbs;
    return 0;
}

VIGIL_EXPORT int evthread_set_condition_callbacks(const struct evthread_condition_callbacks* cbs) {
    evthread_condition_callbacks& target = g_threads.cond;
    if (!cbs) {
        if (target.alloc_condition) vigil_warn("evthread_set_condition_callbacks: cannot remove them once set");
        return target.alloc_condition ? -1 : 0;
    }
    if (!cbs->alloc_condition || !cbs->free_condition || !cbs->signal_condition || !cbs->wait_condition) {
        vigil_warn("evthread_set_condition_callbacks: incomplete callbacks");
        return -1;
    }
    if (target.alloc_condition) {
        if (memcmp(&target, cbs, sizeof target) == 0) return 0;
        vigil_warn("evthread_set_condition_callbacks: condition callbacks are already set to other functions");
        return -1;
    }
    target = *cbs;
    return 0;
}

VIGIL_EXPORT void evthread_set_id_callback(unsigned long (*id_fn)(void)) { g_threads.id = id_fn; }

VIGIL_EXPORT void evthread_enable_lock_debugging(void) {
    if (g_lock_debugging) return;
    if (g_any_base_or_event_created)
        vigil_warn("evthread_enable_lock_debugging: locks made before this call are not checked");
    g_real_lock = g_threads.lock;
    g_threads.lock.lock_api_version = EVTHREAD_LOCK_API_VERSION;
    g_threads.lock.supported_locktypes = EVTHREAD_LOCKTYPE_RECURSIVE;
    g_threads.lock.alloc = debug_alloc;
    g_threads.lock.free = debug_free;
    g_threads.lock.lock = debug_lock;
    g_threads.lock.unlock = debug_unlock;
    g_lock_debugging = true;
}

VIGIL_EXPORT void evthread_enable_lock_debuging(void) { evthread_enable_lock_debugging(); }

}  // extern "C"
