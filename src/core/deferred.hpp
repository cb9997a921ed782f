// Deferred callbacks: work that must not run inside the call that caused it (bufferevent
// callbacks with BEV_OPT_DEFER_CALLBACKS, a pair handing data to its partner). A queued
// callback runs from the loop on its next iteration, after a non-blocking poll, as
// libevent's "active later" callbacks do; queueing one that is already queued is a no-op.
#pragma once

#include <event2/event_struct.h>

struct event_base;

namespace vigil {

using DeferredFn = void (*)(struct event_callback*, void*);

void deferred_init(event_callback* cb, uint8_t priority, DeferredFn fn, void* arg);
// Takes the base's lock; returns false if cb was already queued.
bool deferred_schedule(event_base* base, event_callback* cb);
// The priority cb runs at; clamped to the base's range when it is queued.
inline void deferred_set_priority(event_callback* cb, uint8_t priority) { cb->evcb_pri = priority; }

}  // namespace vigil
