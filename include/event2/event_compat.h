/*
 * vigil - event2/event_compat.h
 *
 * The libevent 1.x style interface, kept so that old programs still build.
 * Most of these functions act on a hidden process-wide "current" event_base
 * (the one made by event_init()), which makes them unsafe with threads and
 * awkward with more than one base.  New code should use the event_base_*
 * functions of <event2/event.h> instead.  Include <event2/event.h> first.
 */
#ifndef VIGIL_EVENT2_EVENT_COMPAT_H_
#define VIGIL_EVENT2_EVENT_COMPAT_H_
#ifndef EVENT2_EVENT_COMPAT_H_INCLUDED_
#define EVENT2_EVENT_COMPAT_H_INCLUDED_
#endif

#include <event2/visibility.h>
#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif

/* evutil_socket_t */
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event;
struct event_base;
struct timeval;

/**
 * Deprecated: use event_base_new().  Creates an event_base and makes it
 * the current base used by the other functions here.  Returns NULL on
 * failure.
 */
EVENT2_EXPORT_SYMBOL
struct event_base *event_init(void);

/**
 * Deprecated: use event_base_dispatch().  Runs the current base's loop.
 * Returns 0 on a normal exit, 1 if nothing was pending, -1 on error or when
 * there is no current base.
 */
EVENT2_EXPORT_SYMBOL
int event_dispatch(void);

/**
 * Deprecated: use event_base_loop().  Runs the current base's loop with the
 * given EVLOOP_* flags; returns as event_base_loop() does.
 */
EVENT2_EXPORT_SYMBOL
int event_loop(int);

/**
 * Deprecated: use event_base_loopexit().  Stops the current base's loop
 * after the given time (NULL: after this pass).  Returns 0 on success, -1
 * on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_loopexit(const struct timeval *);

/**
 * Deprecated: use event_base_loopbreak().  Stops the current base's loop
 * after the running callback.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_loopbreak(void);

/**
 * Deprecated: use event_base_once().  Schedules a one-shot callback on the
 * current base.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_once(evutil_socket_t, short,
    void (*)(evutil_socket_t, short, void *), void *, const struct timeval *);

/**
 * Deprecated: use event_base_get_method().  Returns the backend name of the
 * current base.
 */
EVENT2_EXPORT_SYMBOL
const char *event_get_method(void);

/**
 * Deprecated: use event_base_priority_init().  Sets the number of priority
 * levels of the current base.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_priority_init(int);

/**
 * Deprecated: use event_assign().  Sets up an event on the current base
 * (or, if there is none yet, unattached; see event_base_set()).  It cannot
 * report errors.
 */
EVENT2_EXPORT_SYMBOL
void event_set(struct event *, evutil_socket_t, short,
    void (*)(evutil_socket_t, short, void *), void *);

/* Old names for setting up timer and signal events with event_set(). */
#define evtimer_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define evsignal_set(ev, x, cb, arg) \
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))

/* libevent 1.x timer names. */
#define timeout_add(ev, tv) event_add((ev), (tv))
#define timeout_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define timeout_del(ev) event_del(ev)
#define timeout_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define timeout_initialized(ev) event_initialized(ev)

/* libevent 1.x signal names. */
#define signal_add(ev, tv) event_add((ev), (tv))
#define signal_set(ev, x, cb, arg) \
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define signal_del(ev) event_del(ev)
#define signal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define signal_initialized(ev) event_initialized(ev)

/* libevent 1.x accessors. */
#define EVENT_FD(ev) ((int)event_get_fd(ev))
#define EVENT_SIGNAL(ev) event_get_signal(ev)

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_EVENT_COMPAT_H_ */
