// The libevent 1.x API (event_compat.h): the same operations on an implicit current
// base that event_init() creates.
#include "core/base.hpp"

#include <event2/event_compat.h>

using namespace vigil;

extern "C" {

VIGIL_EXPORT struct event_base* event_init(void) {
    event_base* base = new_base(nullptr);
    event_global_current_base_ = base;
    return base;
}

VIGIL_EXPORT int event_dispatch(void) { return event_loop(0); }

VIGIL_EXPORT int event_loop(int flags) { return event_base_loop(event_global_current_base_, flags); }

VIGIL_EXPORT int event_loopexit(const struct timeval* tv) { return event_base_loopexit(event_global_current_base_, tv); }

VIGIL_EXPORT int event_loopbreak(void) { return event_base_loopbreak(event_global_current_base_); }

VIGIL_EXPORT int event_once(evutil_socket_t fd, short events, void (*cb)(evutil_socket_t, short, void*), void* arg,
                            const struct timeval* tv) {
    return event_base_once(event_global_current_base_, fd, events, cb, arg, tv);
}

VIGIL_EXPORT const char* event_get_method(void) {
    return event_global_current_base_ ? event_global_current_base_->method_name : nullptr;
}

VIGIL_EXPORT int event_priority_init(int npriorities) {
    return event_base_priority_init(event_global_current_base_, npriorities);
}

VIGIL_EXPORT void event_set(struct event* ev, evutil_socket_t fd, short events, void (*cb)(evutil_socket_t, short, void*),
                            void* arg) {
    // The 1.x call has no way to report failure; event_assign logs it.
    event_assign(ev, event_global_current_base_, fd, events, cb, arg);
}

}  // extern "C"
