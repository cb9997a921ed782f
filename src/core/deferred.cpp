#include "core/deferred.hpp"

#include "core/base.hpp"

#include <cstring>

namespace vigil {

void deferred_init(event_callback* cb, uint8_t priority, DeferredFn fn, void* arg) {
    std::memset(cb, 0, sizeof(*cb));
    cb->evcb_pri = priority;
    cb->evcb_closure = kClosureCbSelf;
    cb->evcb_cb_union.evcb_selfcb = fn;
    cb->evcb_arg = arg;
}

bool deferred_schedule(event_base* base, event_callback* cb) {
    BaseGuard g(base);
    if (cb->evcb_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) return false;
    if (cb->evcb_pri >= base->nactive) cb->evcb_pri = uint8_t(base->nactive - 1);
    cb->evcb_flags = short(cb->evcb_flags | EVLIST_ACTIVE_LATER);
    ++base->event_count;
    ++base->event_count_active;
    base->peaks_pending = true;
    base->active_later.push_back(cb);
    return true;
}

}  // namespace vigil

// Moves every deferred callback to the active queue of its priority (lock held).
void event_base::activate_later_callbacks() {
    while (event_callback* cb = active_later.first) {
        active_later.pop_front(cb);
        cb->evcb_flags = short((cb->evcb_flags & ~EVLIST_ACTIVE_LATER) | EVLIST_ACTIVE);
        active[cb->evcb_pri].push_back(cb);
    }
}
