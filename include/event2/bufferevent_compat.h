/*
 * vigil - event2/bufferevent_compat.h
 *
 * libevent 1.x names for bufferevent types, flags and calls, kept for
 * source compatibility.  Include <event2/bufferevent.h> first.
 */
#ifndef VIGIL_EVENT2_BUFFEREVENT_COMPAT_H_
#define VIGIL_EVENT2_BUFFEREVENT_COMPAT_H_
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#endif

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Old names of the callback types. */
#define evbuffercb bufferevent_data_cb
#define everrorcb bufferevent_event_cb

/**
 * Deprecated: makes a socket bufferevent for fd on the current base (the
 * one event_init() made; call bufferevent_base_set() when more than one
 * base exists) and sets its callbacks.  Writing starts enabled, reading
 * does not.  Returns NULL on failure.  Use bufferevent_socket_new() and
 * bufferevent_setcb() instead.
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_new(evutil_socket_t fd,
    evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg);

/**
 * Deprecated: sets bufev's read and write timeouts in whole seconds
 * (0: none).  Use bufferevent_set_timeouts() instead.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_settimeout(struct bufferevent *bufev,
    int timeout_read, int timeout_write);

/* Old names of the BEV_EVENT_* bits. */
#define EVBUFFER_READ		BEV_EVENT_READING
#define EVBUFFER_WRITE		BEV_EVENT_WRITING
#define EVBUFFER_EOF		BEV_EVENT_EOF
#define EVBUFFER_ERROR		BEV_EVENT_ERROR
#define EVBUFFER_TIMEOUT	BEV_EVENT_TIMEOUT

/* libevent 1.x accessors for a bufferevent's input and output buffers. */
#define EVBUFFER_INPUT(x)	bufferevent_get_input(x)
#define EVBUFFER_OUTPUT(x)	bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_BUFFEREVENT_COMPAT_H_ */
