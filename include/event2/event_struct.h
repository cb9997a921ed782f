/*
 * vigil - event2/event_struct.h
 *
 * The full definition of struct event.  Most programs should treat events as
 * opaque and use event_new()/event_free(); this header exists for code that
 * embeds a struct event in its own structures (and then uses event_assign()).
 * Doing so ties the program to this exact layout, which is why it is kept
 * identical, field by field, to libevent 2.1 on x86-64.
 */
#ifndef VIGIL_EVENT2_EVENT_STRUCT_H_
#define VIGIL_EVENT2_EVENT_STRUCT_H_
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif

/* evutil_socket_t and the ev_uintN_t names. */
#include <event2/util.h>

/* Kept for compatibility: programs expect struct evkeyvalq from here too. */
#include <event2/keyvalq_struct.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of event_callback.evcb_flags: which internal lists the event is on. */
#define EVLIST_TIMEOUT      0x01 /* has a pending timeout */
#define EVLIST_INSERTED     0x02 /* added to the base (I/O or signal) */
#define EVLIST_SIGNAL       0x04 /* on a signal list */
#define EVLIST_ACTIVE       0x08 /* queued to run */
#define EVLIST_INTERNAL     0x10 /* used by the library itself */
#define EVLIST_ACTIVE_LATER 0x20 /* queued to run on the next loop pass */
#define EVLIST_FINALIZING   0x40 /* being torn down by a finalizer */
#define EVLIST_INIT         0x80 /* has been assigned */
#define EVLIST_ALL          0xff /* mask of all the above */

/*
 * BSD-queue style declarators, supplied only when the program has not
 * defined them itself and removed again at the end of this header.
 */
#ifndef TAILQ_ENTRY
#define VIGIL_EVS_OWNS_TAILQ_ENTRY_
#define TAILQ_ENTRY(type)                                                     \
	struct {                                                              \
		struct type *tqe_next;  /* following element, or NULL */      \
		struct type **tqe_prev; /* link field that points at us */    \
	}
#endif

#ifndef TAILQ_HEAD
#define VIGIL_EVS_OWNS_TAILQ_HEAD_
#define TAILQ_HEAD(name, type)                                                \
	struct name {                                                         \
		struct type *tqh_first; /* first element, or NULL */          \
		struct type **tqh_last; /* link field of the last element */  \
	}
#endif

#ifndef LIST_ENTRY
#define VIGIL_EVS_OWNS_LIST_ENTRY_
#define LIST_ENTRY(type)                                                      \
	struct {                                                              \
		struct type *le_next;   /* following element, or NULL */      \
		struct type **le_prev;  /* link field that points at us */    \
	}
#endif

#ifndef LIST_HEAD
#define VIGIL_EVS_OWNS_LIST_HEAD_
#define LIST_HEAD(name, type)                                                 \
	struct name {                                                         \
		struct type *lh_first;  /* first element, or NULL */          \
	}
#endif

struct event;
struct event_base;

/*
 * The part of an event that the loop schedules: queue link, state flags,
 * priority, how to invoke it (evcb_closure selects the member of the union)
 * and the user argument.
 */
struct event_callback {
	TAILQ_ENTRY(event_callback) evcb_active_next;
	short evcb_flags;          /* EVLIST_* bits */
	ev_uint8_t evcb_pri;       /* priority; lower runs first */
	ev_uint8_t evcb_closure;   /* kind of callback stored below */
	union {
		void (*evcb_callback)(evutil_socket_t, short, void *);
		void (*evcb_selfcb)(struct event_callback *, void *);
		void (*evcb_evfinalize)(struct event *, void *);
		void (*evcb_cbfinalize)(struct event_callback *, void *);
	} evcb_cb_union;
	void *evcb_arg;
};

/* A watched file descriptor, signal or timer.  128 bytes on x86-64. */
struct event {
	struct event_callback ev_evcallback;

	/* Where the timeout lives: a common-timeout queue or the min-heap. */
	union {
		TAILQ_ENTRY(event) ev_next_with_common_timeout;
		int min_heap_idx;
	} ev_timeout_pos;
	evutil_socket_t ev_fd;     /* descriptor, or signal number */

	struct event_base *ev_base;

	union {
		/* I/O events: per-descriptor list link and relative timeout. */
		struct {
			LIST_ENTRY(event) ev_io_next;
			struct timeval ev_timeout;
		} ev_io;

		/* Signal events: per-signal list link and pending-call count. */
		struct {
			LIST_ENTRY(event) ev_signal_next;
			short ev_ncalls;
			short *ev_pncalls; /* lets a callback cancel remaining calls */
		} ev_signal;
	} ev_;

	short ev_events;           /* EV_* flags asked for */
	short ev_res;              /* EV_* flags passed to the callback */
	struct timeval ev_timeout; /* absolute expiry time */
};

/* Queue and list heads of events: struct event_list, struct event_dlist. */
TAILQ_HEAD(event_list, event);
LIST_HEAD(event_dlist, event);

#ifdef VIGIL_EVS_OWNS_TAILQ_ENTRY_
#undef TAILQ_ENTRY
#undef VIGIL_EVS_OWNS_TAILQ_ENTRY_
#endif
#ifdef VIGIL_EVS_OWNS_TAILQ_HEAD_
#undef TAILQ_HEAD
#undef VIGIL_EVS_OWNS_TAILQ_HEAD_
#endif
#ifdef VIGIL_EVS_OWNS_LIST_ENTRY_
#undef LIST_ENTRY
#undef VIGIL_EVS_OWNS_LIST_ENTRY_
#endif
#ifdef VIGIL_EVS_OWNS_LIST_HEAD_
#undef LIST_HEAD
#undef VIGIL_EVS_OWNS_LIST_HEAD_
#endif

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_EVENT_STRUCT_H_ */
