/*
 * vigil - event2/event.h
 *
 * The core event loop interface.
 *
 * An event_base runs a loop that waits for things to happen and then calls
 * the callbacks registered for them.  A struct event describes one thing to
 * wait for: a file descriptor becoming readable/writable/closed, a signal
 * arriving, a timeout expiring, or an explicit activation by the program.
 *
 * Typical use:
 *   1. event_base_new() (or event_config_new() + event_base_new_with_config())
 *   2. event_new() / event_assign() for each event, then event_add()
 *   3. event_base_dispatch() or event_base_loop()
 *   4. event_free() / event_base_free() when done
 *
 * Unless stated otherwise, functions returning int give 0 on success and -1
 * on failure.
 */
#ifndef VIGIL_EVENT2_EVENT_H_
#define VIGIL_EVENT2_EVENT_H_
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_
#endif

#include <event2/visibility.h>
#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif
#include <stdio.h>

/* evutil_socket_t, ev_uint32_t and friends. */
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: an event loop with its backend, timers and queues. */
struct event_base;

/* An event; opaque unless <event2/event_struct.h> is included. */
struct event;

/* Opaque: options collected before creating an event_base. */
struct event_config;

/* ------------------------------------------------------------------ */
/* Debugging                                                           */

/**
 * Turns on extra checking of event usage (e.g. use of uninitialised or
 * freed events), at some cost in memory and speed.  Must be called before
 * any event or event_base exists; it cannot be switched off again.
 */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_mode(void);

/**
 * In debug mode, forgets a struct event that was set up with event_assign()
 * and is about to be released without event_free().  Does nothing outside
 * debug mode or for a NULL event.
 */
EVENT2_EXPORT_SYMBOL
void event_debug_unassign(struct event *);

/* ------------------------------------------------------------------ */
/* Event bases                                                         */

/**
 * Creates an event_base with the default settings.  Returns NULL if no
 * backend could be initialised or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new(void);

/**
 * Re-creates the kernel-side state of @p base after fork(); call it in the
 * child before using the base there.  Returns 0 on success, -1 if some
 * events could not be re-added.
 */
EVENT2_EXPORT_SYMBOL
int event_reinit(struct event_base *base);

/**
 * Runs the loop until no events are pending or the loop is told to stop;
 * the same as event_base_loop(base, 0).  Returns 0 on a normal exit, 1 if it
 * stopped because nothing was pending, -1 on error.
 */
EVENT2_EXPORT_SYMBOL
int event_base_dispatch(struct event_base *);

/**
 * Returns the name of the backend (e.g. "epoll") that the base uses.
 */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_method(const struct event_base *);

/**
 * Returns a NULL-terminated static array with the names of all backends
 * compiled into the library, preferred first.
 */
EVENT2_EXPORT_SYMBOL
const char **event_get_supported_methods(void);

/**
 * Reads the monotonic clock the base uses for timeouts into @p tp.  Returns
 * 0 on success, -1 if an argument is NULL or the clock fails.
 */
EVENT2_EXPORT_SYMBOL
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/* Selectors for event_base_get_num_events()/event_base_get_max_events(). */
#define EVENT_BASE_COUNT_ACTIVE 1U  /* events ready to run */
#define EVENT_BASE_COUNT_VIRTUAL 2U /* internal "virtual" events */
#define EVENT_BASE_COUNT_ADDED 4U   /* events added to the base */

/**
 * Counts the events of the kinds selected by the EVENT_BASE_COUNT_* bits.
 * An event matching several kinds is counted once per kind.  Returns the
 * count.
 */
EVENT2_EXPORT_SYMBOL
int event_base_get_num_events(struct event_base *, unsigned int);

/**
 * Like event_base_get_num_events() but returns the highest count seen since
 * the base was created or last reset; a non-zero last argument resets the
 * maxima after reading them.
 */
EVENT2_EXPORT_SYMBOL
int event_base_get_max_events(struct event_base *, unsigned int, int);

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/**
 * Creates an empty configuration.  Returns NULL if memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct event_config *event_config_new(void);

/**
 * Frees a configuration.  NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void event_config_free(struct event_config *cfg);

/**
 * Excludes the backend named @p method (e.g. "select").  Returns 0 on
 * success, -1 on failure (NULL argument, no memory).
 */
EVENT2_EXPORT_SYMBOL
int event_config_avoid_method(struct event_config *cfg, const char *method);

/* Capabilities a backend may have (for event_config_require_features()). */
enum event_method_feature {
	/* edge-triggered notification (EV_ET) */
	EV_FEATURE_ET = 0x01,
	/* adding/removing one event or waking one event costs O(1) */
	EV_FEATURE_O1 = 0x02,
	/* any file descriptor works, not only sockets */
	EV_FEATURE_FDS = 0x04,
	/* detects a closed connection without reading it (EV_CLOSED) */
	EV_FEATURE_EARLY_CLOSE = 0x08
};

/* Flags for event_config_set_flag(). */
enum event_base_config_flag {
	/* the base will be used from one thread only: no locking */
	EVENT_BASE_FLAG_NOLOCK = 0x01,
	/* ignore the EVENT_* environment variables */
	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
	/* Windows IOCP start-up (meaningless here) */
	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
	/* read the clock for every timeout check instead of once per pass */
	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,
	/* let the epoll backend batch its changes */
	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,
	/* prefer a precise (possibly slower) clock */
	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20
};

/**
 * Returns the EV_FEATURE_* bits of the backend used by @p base.
 */
EVENT2_EXPORT_SYMBOL
int event_base_get_features(const struct event_base *base);

/**
 * Requires backends to offer all the EV_FEATURE_* bits in @p feature.
 * Returns 0 on success, -1 for a NULL configuration.
 */
EVENT2_EXPORT_SYMBOL
int event_config_require_features(struct event_config *cfg, int feature);

/**
 * Adds the EVENT_BASE_FLAG_* bits in @p flag.  Returns 0 on success, -1 for
 * a NULL configuration.
 */
EVENT2_EXPORT_SYMBOL
int event_config_set_flag(struct event_config *cfg, int flag);

/**
 * Records how many CPUs the program expects to use; only a hint.  Returns 0
 * on success, -1 for a NULL configuration.
 */
EVENT2_EXPORT_SYMBOL
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);

/**
 * Bounds the time (@p max_interval, NULL for unbounded) or the number of
 * callbacks (@p max_callbacks, negative for unbounded) the loop spends before
 * checking for new events again.  Only callbacks of priority
 * @p min_priority or lower-ranked are affected.  Returns 0 on success, -1
 * for a NULL configuration.
 */
EVENT2_EXPORT_SYMBOL
int event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks, int min_priority);

/**
 * Creates an event_base honouring @p cfg (NULL means defaults).  Returns
 * NULL if no acceptable backend exists or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new_with_config(const struct event_config *);

/**
 * Frees an event_base, running pending finalizers.  Events still attached
 * are not freed and must not be used afterwards.  NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void event_base_free(struct event_base *);

/**
 * Like event_base_free() but does not run pending finalizer callbacks.
 * NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void event_base_free_nofinalize(struct event_base *);

/* ------------------------------------------------------------------ */
/* Logging                                                             */

/* Severities passed to an event_log_cb. */
#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG 1
#define EVENT_LOG_WARN 2
#define EVENT_LOG_ERR 3

/* Older names of the severities, still used by some programs. */
#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
#define _EVENT_LOG_MSG EVENT_LOG_MSG
#define _EVENT_LOG_WARN EVENT_LOG_WARN
#define _EVENT_LOG_ERR EVENT_LOG_ERR

/* Receives each log message with its EVENT_LOG_* severity. */
typedef void (*event_log_cb)(int severity, const char *msg);

/**
 * Sends log messages to @p cb instead of stderr; NULL restores the default.
 * The callback must not call back into the library.
 */
EVENT2_EXPORT_SYMBOL
void event_set_log_callback(event_log_cb cb);

/* Called on an unrecoverable internal error, with an error code. */
typedef void (*event_fatal_cb)(int err);

/**
 * Installs @p cb to be called on a fatal internal error instead of exiting
 * the process; the callback should not return.  NULL restores the default.
 */
EVENT2_EXPORT_SYMBOL
void event_set_fatal_callback(event_fatal_cb cb);

/* Arguments for event_enable_debug_logging(). */
#define EVENT_DBG_ALL 0xffffffffu
#define EVENT_DBG_NONE 0

/**
 * Enables (EVENT_DBG_ALL) or disables (EVENT_DBG_NONE) debug-level log
 * messages.
 */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_logging(ev_uint32_t which);

/* ------------------------------------------------------------------ */
/* Running the loop                                                    */

/**
 * Attaches an event that is not yet added to @p base.  Returns 0 on
 * success, -1 if the event is pending or an argument is NULL.
 */
EVENT2_EXPORT_SYMBOL
int event_base_set(struct event_base *, struct event *);

/* Flags for event_base_loop(). */
#define EVLOOP_ONCE 0x01             /* wait once, run what is ready, return */
#define EVLOOP_NONBLOCK 0x02         /* do not wait; run what is ready now */
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04 /* keep looping with nothing pending */

/**
 * Runs the loop as selected by the EVLOOP_* flags.  Returns 0 on a normal
 * exit, 1 if it stopped because no events were pending, -1 on error.
 */
EVENT2_EXPORT_SYMBOL
int event_base_loop(struct event_base *, int);

/**
 * Makes the loop return after @p tv has elapsed (NULL: after the current
 * pass), once the active callbacks have run.  Returns 0 on success, -1 on
 * failure.
 */
EVENT2_EXPORT_SYMBOL
int event_base_loopexit(struct event_base *, const struct timeval *);

/**
 * Makes the loop return right after the currently running callback.
 * Returns 0 on success, -1 for a NULL base.
 */
EVENT2_EXPORT_SYMBOL
int event_base_loopbreak(struct event_base *);

/**
 * Makes the loop rescan for new events right after the current callback,
 * without running the other active ones first.  Returns 0 on success, -1
 * for a NULL base.
 */
EVENT2_EXPORT_SYMBOL
int event_base_loopcontinue(struct event_base *);

/**
 * Returns non-zero if the last loop ended because of
 * event_base_loopexit(), 0 otherwise.
 */
EVENT2_EXPORT_SYMBOL
int event_base_got_exit(struct event_base *);

/**
 * Returns non-zero if the last loop ended because of
 * event_base_loopbreak(), 0 otherwise.
 */
EVENT2_EXPORT_SYMBOL
int event_base_got_break(struct event_base *);

/* ------------------------------------------------------------------ */
/* Events                                                              */

/* What an event waits for, and what its callback is told happened. */
#define EV_TIMEOUT 0x01  /* the timeout expired */
#define EV_READ 0x02     /* the descriptor is readable */
#define EV_WRITE 0x04    /* the descriptor is writable */
#define EV_SIGNAL 0x08   /* the signal arrived */
#define EV_PERSIST 0x10  /* stay pending after the callback runs */
#define EV_ET 0x20       /* edge-triggered, if the backend supports it */
#define EV_FINALIZE 0x40 /* may be released with a finalizer */
#define EV_CLOSED 0x80   /* the peer closed the connection */

/* Pure timers: no descriptor, no signal. */
#define evtimer_assign(ev, b, cb, arg) \
	event_assign((ev), (b), -1, 0, (cb), (arg))
#define evtimer_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv) event_add((ev), (tv))
#define evtimer_del(ev) event_del(ev)
#define evtimer_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev) event_initialized(ev)

/* Signal events; they are always persistent. */
#define evsignal_add(ev, tv) event_add((ev), (tv))
#define evsignal_assign(ev, b, x, cb, arg) \
	event_assign((ev), (b), (x), EV_SIGNAL|EV_PERSIST, cb, (arg))
#define evsignal_new(b, x, cb, arg) \
	event_new((b), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define evsignal_del(ev) event_del(ev)
#define evsignal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define evsignal_initialized(ev) event_initialized(ev)

/* User events: only ever triggered by the program itself. */
#define evuser_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evuser_del(ev) event_del(ev)
#define evuser_pending(ev, tv) event_pending((ev), 0, (tv))
#define evuser_initialized(ev) event_initialized(ev)
#define evuser_trigger(ev) event_active((ev), 0, 0)

/*
 * Event callback: receives the descriptor (or signal number), the EV_* bits
 * that fired and the user argument.
 */
typedef void (*event_callback_fn)(evutil_socket_t, short, void *);

/**
 * Returns a magic value that, passed as the callback argument to
 * event_new()/event_assign(), makes the callback receive its own event.
 */
EVENT2_EXPORT_SYMBOL
void *event_self_cbarg(void);

/**
 * Allocates and sets up an event for @p fd (-1 for none) watching the EV_*
 * bits in @p events.  Returns NULL on failure (no memory, bad flags such as
 * EV_SIGNAL combined with EV_READ/EV_WRITE, or a NULL base).
 */
EVENT2_EXPORT_SYMBOL
struct event *event_new(struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *);

/**
 * Sets up caller-provided storage as an event, like event_new() does.  The
 * event must not be pending.  Returns 0 on success, -1 on bad arguments.
 */
EVENT2_EXPORT_SYMBOL
int event_assign(struct event *, struct event_base *, evutil_socket_t,
    short, event_callback_fn, void *);

/**
 * Removes an event from its base if needed and releases it.  NULL is
 * ignored.
 */
EVENT2_EXPORT_SYMBOL
void event_free(struct event *);

/* Finalizer: runs once the event can no longer be used by the loop. */
typedef void (*event_finalize_callback_fn)(struct event *, void *);

/**
 * Stops @p ev and runs @p cb from the loop once no callback of @p ev can
 * still be running; the first argument is reserved (pass 0).  Returns 0 on
 * success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_finalize(unsigned, struct event *, event_finalize_callback_fn);

/**
 * Like event_finalize(), and frees the event after the finalizer returns.
 * Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_free_finalize(unsigned, struct event *, event_finalize_callback_fn);

/**
 * Schedules a one-shot callback for an fd/timeout without an event object;
 * the storage is released after the call.  EV_SIGNAL and EV_PERSIST are not
 * allowed.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_base_once(struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *, const struct timeval *);

/**
 * Makes @p ev pending.  If @p timeout is not NULL the callback also runs
 * (with EV_TIMEOUT) when it expires; adding a pending event again only
 * resets its timeout.  Returns 0 on success, -1 on failure (e.g. an event
 * that was never assigned).
 */
EVENT2_EXPORT_SYMBOL
int event_add(struct event *ev, const struct timeval *timeout);

/**
 * Cancels the timeout of a pending event, leaving its I/O or signal part
 * pending.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_remove_timer(struct event *ev);

/**
 * Makes @p ev non-pending and non-active.  Returns 0 on success (also when
 * it was not pending), -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_del(struct event *);

/**
 * Like event_del() but never waits for the callback to finish in another
 * thread.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_del_noblock(struct event *ev);

/**
 * Like event_del() but always waits for the callback to finish in another
 * thread, even for EV_FINALIZE events.  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_del_block(struct event *ev);

/**
 * Makes @p ev active as if the conditions in @p res had happened; it need
 * not be pending.  @p ncalls only matters for signal events.
 */
EVENT2_EXPORT_SYMBOL
void event_active(struct event *ev, int res, short ncalls);

/**
 * Tells which of the EV_* bits in @p events the event is pending or active
 * for; with @p tv not NULL and a pending timeout, stores its expiry time
 * there.  Returns those bits, 0 if none.
 */
EVENT2_EXPORT_SYMBOL
int event_pending(const struct event *ev, short events, struct timeval *tv);

/**
 * Returns the event whose callback the loop is currently running, or NULL
 * if none is running (or the caller is another thread).
 */
EVENT2_EXPORT_SYMBOL
struct event *event_base_get_running_event(struct event_base *base);

/**
 * Returns non-zero if @p ev has been set up by event_assign()/event_new(),
 * 0 for memory that is merely zeroed.
 */
EVENT2_EXPORT_SYMBOL
int event_initialized(const struct event *ev);

/* The signal number of a signal event. */
#define event_get_signal(ev) ((int)event_get_fd(ev))

/**
 * Returns the descriptor (or signal number) the event was set up with.
 */
EVENT2_EXPORT_SYMBOL
evutil_socket_t event_get_fd(const struct event *ev);

/**
 * Returns the base the event belongs to.
 */
EVENT2_EXPORT_SYMBOL
struct event_base *event_get_base(const struct event *ev);

/**
 * Returns the EV_* bits the event was set up with.
 */
EVENT2_EXPORT_SYMBOL
short event_get_events(const struct event *ev);

/**
 * Returns the callback the event was set up with.
 */
EVENT2_EXPORT_SYMBOL
event_callback_fn event_get_callback(const struct event *ev);

/**
 * Returns the callback argument the event was set up with.
 */
EVENT2_EXPORT_SYMBOL
void *event_get_callback_arg(const struct event *ev);

/**
 * Returns the priority of the event.
 */
EVENT2_EXPORT_SYMBOL
int event_get_priority(const struct event *ev);

/**
 * Copies the event's settings into each non-NULL output pointer.
 */
EVENT2_EXPORT_SYMBOL
void event_get_assignment(const struct event *event,
    struct event_base **base_out, evutil_socket_t *fd_out, short *events_out,
    event_callback_fn *callback_out, void **arg_out);

/**
 * Returns sizeof(struct event) as the library sees it, so programs can
 * check it against their compile-time value.
 */
EVENT2_EXPORT_SYMBOL
size_t event_get_struct_event_size(void);

/**
 * Returns the version string, "2.1.12-stable".
 */
EVENT2_EXPORT_SYMBOL
const char *event_get_version(void);

/**
 * Returns the version as 0xMMmmpp00 (major, minor, patch).
 */
EVENT2_EXPORT_SYMBOL
ev_uint32_t event_get_version_number(void);

/* Version of the headers, to compare with the run-time values above. */
#define LIBEVENT_VERSION EVENT__VERSION
#define LIBEVENT_VERSION_NUMBER EVENT__NUMERIC_VERSION

/* The largest number of priorities a base can have. */
#define EVENT_MAX_PRIORITIES 256

/* ------------------------------------------------------------------ */
/* Priorities and timeouts                                             */

/**
 * Gives @p base the stated number of priority levels (default: 1).  Must be
 * called before any event is active.  Returns 0 on success, -1 if the count
 * is out of range (1..EVENT_MAX_PRIORITIES) or events are active.
 */
EVENT2_EXPORT_SYMBOL
int event_base_priority_init(struct event_base *, int);

/**
 * Returns the number of priority levels of the base.
 */
EVENT2_EXPORT_SYMBOL
int event_base_get_npriorities(struct event_base *eb);

/**
 * Sets the priority of a non-active event; 0 is the most urgent.  Returns
 * 0 on success, -1 if the event is active or the priority is out of range.
 */
EVENT2_EXPORT_SYMBOL
int event_priority_set(struct event *, int);

/**
 * Returns a special timeval for @p duration; events added with it share one
 * queue instead of the timeout heap, which is cheaper when many events use
 * the same interval.  Returns NULL on failure.
 */
EVENT2_EXPORT_SYMBOL
const struct timeval *event_base_init_common_timeout(struct event_base *base,
    const struct timeval *duration);

#if !defined(EVENT__DISABLE_MM_REPLACEMENT)
/**
 * Replaces the allocator the library uses.  Must be called before any other
 * library function; all three functions must be given.
 */
EVENT2_EXPORT_SYMBOL
void event_set_mem_functions(
    void *(*malloc_fn)(size_t sz),
    void *(*realloc_fn)(void *ptr, size_t sz),
    void (*free_fn)(void *ptr));
/* Tells programs that event_set_mem_functions() is available. */
#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED
#endif

/* ------------------------------------------------------------------ */
/* Inspection                                                          */

/**
 * Writes a human-readable list of the base's inserted and active events to
 * the given stream, for debugging.
 */
EVENT2_EXPORT_SYMBOL
void event_base_dump_events(struct event_base *, FILE *);

/**
 * Activates every event on descriptor @p fd whose EV_* bits overlap
 * @p events, as if the backend had reported them.
 */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd,
    short events);

/**
 * Activates every event for signal @p sig, as if it had been delivered.
 */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_signal(struct event_base *base, int sig);

/*
 * Visitor for event_base_foreach_event(): return 0 to continue, any other
 * value to stop.  It must not add, delete or free events.
 */
typedef int (*event_base_foreach_event_cb)(const struct event_base *,
    const struct event *, void *);

/**
 * Calls @p fn for each inserted or active event of @p base.  Returns 0 when
 * all were visited, the callback's value if it stopped early, -1 for bad
 * arguments.
 */
EVENT2_EXPORT_SYMBOL
int event_base_foreach_event(struct event_base *base,
    event_base_foreach_event_cb fn, void *arg);

/**
 * Stores the time at which the current loop pass started (the cached
 * "now") in @p tv, or the current time if nothing is cached.  Returns 0 on
 * success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_base_gettimeofday_cached(struct event_base *base,
    struct timeval *tv);

/**
 * Refreshes the base's cached time if its loop is running (otherwise does
 * nothing).  A NULL base means the current base of event_init().  Returns 0,
 * or -1 if there is no base at all.
 */
EVENT2_EXPORT_SYMBOL
int event_base_update_cache_time(struct event_base *base);

/**
 * Releases all global library state (debug maps, locks, ...).  Call it
 * last; no library function may be used afterwards.  Calling it again does
 * nothing.
 */
EVENT2_EXPORT_SYMBOL
void libevent_global_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_EVENT_H_ */
