// Event calls for the library's own components (socket bufferevents) on events they
// own: events only they add, delete or activate, always under their own lock, and
// assigned with EV_FINALIZE (so a delete never has to wait for a running callback).
// Each is one trip through the base's lock where the public API needs two calls.
#pragma once

#include <event2/event_struct.h>

namespace vigil {

// Makes ev active with `what` unless it is already added for `what` or active with it
// (event_pending(ev, what) then event_active(ev, what, 1)). Returns whether it did.
bool activate_unless_pending(event* ev, short what);
// event_pending(ev, what, nullptr) != 0.
bool pending_for(event* ev, short what);
// event_del, skipped when ev is neither added nor active (the common case for a write
// event that was run directly instead of being registered with the backend).
void del_if_pending(event* ev);

}  // namespace vigil
