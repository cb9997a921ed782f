// The lock, condition and thread-id callbacks installed through event2/thread.h, and
// thin wrappers the core uses. Until callbacks are installed every wrapper is a no-op
// and bases are made without locks, so single-threaded programs pay nothing.
#pragma once

#include <event2/thread.h>

#include "core/runtime.hpp"

namespace vigil {

struct ThreadCallbacks {
    evthread_lock_callbacks lock{};
    evthread_condition_callbacks cond{};
    unsigned long (*id)(void) = nullptr;
};
extern ThreadCallbacks g_threads;

inline bool threads_enabled() { return g_threads.lock.alloc != nullptr; }
inline unsigned long current_thread_id() { return g_threads.id ? g_threads.id() : 0; }

inline void* lock_new() {
    return threads_enabled() ? g_threads.lock.alloc(EVTHREAD_LOCKTYPE_RECURSIVE) : nullptr;
}
inline void lock_free(void* l) {
    if (l) g_threads.lock.free(l, EVTHREAD_LOCKTYPE_RECURSIVE);
}
inline void lock_acquire(void* l) { g_threads.lock.lock(0, l); }
inline void lock_release(void* l) { g_threads.lock.unlock(0, l); }

inline void* cond_new() {
    return g_threads.cond.alloc_condition ? g_threads.cond.alloc_condition(0) : nullptr;
}
inline void cond_free(void* c) {
    if (c) g_threads.cond.free_condition(c);
}
inline void cond_broadcast(void* c) { g_threads.cond.signal_condition(c, 1); }
// Waits on c, releasing lock l meanwhile (which must be held).
int cond_wait(void* c, void* l);

}  // namespace vigil
