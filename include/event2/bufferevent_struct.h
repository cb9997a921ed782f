/*
 * vigil - event2/bufferevent_struct.h
 *
 * The full definition of struct bufferevent, for old programs that read
 * its members directly (bev->input, bev->output, ...).  New code should use
 * the accessors of <event2/bufferevent.h>.  The layout is kept identical,
 * member by member, to libevent 2.1 on x86-64.  Include
 * <event2/bufferevent.h> first.
 */
#ifndef VIGIL_EVENT2_BUFFEREVENT_STRUCT_H_
#define VIGIL_EVENT2_BUFFEREVENT_STRUCT_H_
#ifndef EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#endif

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif

/* evutil_socket_t and the ev_* integer types. */
#include <event2/util.h>

/* struct event, embedded below. */
#include <event2/event_struct.h>

/* A low/high watermark pair (see bufferevent_setwatermark()). */
struct event_watermark {
	size_t low;
	size_t high;
};

/* Opaque: the operations that implement one kind of bufferevent. */
struct bufferevent_ops;

/*
 * A bufferevent.  Treat every member as read-only: change a bufferevent
 * through the functions of <event2/bufferevent.h> only.
 */
struct bufferevent {
	/* The event_base the bufferevent runs on. */
	struct event_base *ev_base;
	/* The implementation of its kind (socket, pair, filter). */
	const struct bufferevent_ops *be_ops;

	/* Read and write events, used by some kinds only. */
	struct event ev_read;
	struct event ev_write;

	/* Received data: the program may drain it. */
	struct evbuffer *input;
	/* Data to send: the program may add to it. */
	struct evbuffer *output;

	/* Read and write watermarks. */
	struct event_watermark wm_read;
	struct event_watermark wm_write;

	/* The callbacks and their argument, as given to bufferevent_setcb();
	   errorcb holds the event callback. */
	bufferevent_data_cb readcb;
	bufferevent_data_cb writecb;
	bufferevent_event_cb errorcb;
	void *cbarg;

	/* Read and write timeouts. */
	struct timeval timeout_read;
	struct timeval timeout_write;

	/* Enabled directions: EV_READ and/or EV_WRITE. */
	short enabled;
};

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_BUFFEREVENT_STRUCT_H_ */
