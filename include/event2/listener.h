/*
 * vigil - event2/listener.h
 *
 * Connection listeners: an evconnlistener watches a listening TCP (or local)
 * socket on an event_base, accepts every pending connection each time the
 * socket becomes readable, and hands each new socket to a callback.
 *
 * Typical use:
 *   1. evconnlistener_new_bind() with an address (or evconnlistener_new()
 *      with a socket that is already bound)
 *   2. event_base_dispatch(); the callback owns each accepted socket
 *   3. evconnlistener_free()
 *
 * Unless stated otherwise, functions returning int give 0 on success and -1
 * on failure.
 */
#ifndef VIGIL_EVENT2_LISTENER_H_
#define VIGIL_EVENT2_LISTENER_H_
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_
#endif

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event.h>

struct sockaddr;
struct evconnlistener;

/*
 * Called once per accepted connection.  fd is the new socket, which now
 * belongs to the callback (close it or hand it on); addr/socklen give the
 * peer's address; the last argument is the pointer given with the callback.
 */
typedef void (*evconnlistener_cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int socklen, void *);

/*
 * Called when accept() fails for a reason other than "try again" (for
 * example EMFILE when the process has no free descriptor); errno
 * (EVUTIL_SOCKET_ERROR()) holds the reason.  The last argument is the
 * pointer given with the connection callback.
 */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *, void *);

/* Accepted sockets stay blocking (by default they are made nonblocking). */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING	(1u<<0)
/* evconnlistener_free() closes the listening socket. */
#define LEV_OPT_CLOSE_ON_FREE		(1u<<1)
/* Accepted sockets (and a socket made by evconnlistener_new_bind) are
   close-on-exec. */
#define LEV_OPT_CLOSE_ON_EXEC		(1u<<2)
/* The port may be bound again at once after the socket closes (SO_REUSEADDR). */
#define LEV_OPT_REUSEABLE		(1u<<3)
/* The listener takes a lock, so it may be used from several threads; needs
   thread support enabled (event2/thread.h) before the listener is made. */
#define LEV_OPT_THREADSAFE		(1u<<4)
/* The listener starts disabled; evconnlistener_enable() starts it. */
#define LEV_OPT_DISABLED		(1u<<5)
/* Report a connection only once the client has sent data (TCP_DEFER_ACCEPT).
   Only evconnlistener_new_bind() applies it.  Do not use it for protocols
   where the server speaks first. */
#define LEV_OPT_DEFERRED_ACCEPT		(1u<<6)
/* Several sockets that all set it may bind the same address (SO_REUSEPORT). */
#define LEV_OPT_REUSEABLE_PORT		(1u<<7)
/* An IPv6 socket accepts IPv6 connections only, not IPv4-mapped ones
   (IPV6_V6ONLY). */
#define LEV_OPT_BIND_IPV6ONLY		(1u<<8)

/*
 * Makes a listener on fd, a socket that is already bound (and should be
 * nonblocking).  backlog > 0 calls listen(fd, backlog); backlog < 0 calls
 * listen() with a default backlog (128); backlog == 0 means the socket is
 * listening already.  flags are LEV_OPT_* bits.  With cb NULL the listener
 * accepts nothing until evconnlistener_set_cb() gives it a callback.  ptr is
 * passed to both callbacks.
 *
 * Returns NULL if listen() fails (the socket is then left open) or memory
 * runs out.  vigil also returns NULL, with a logged reason, for a negative
 * fd or when there is no event_base (base NULL and no current base from
 * event_init()).
 */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    evutil_socket_t fd);

/*
 * Makes a nonblocking stream socket of sa's family, applies the options in
 * flags (LEV_OPT_REUSEABLE, LEV_OPT_REUSEABLE_PORT, LEV_OPT_DEFERRED_ACCEPT,
 * LEV_OPT_BIND_IPV6ONLY, LEV_OPT_CLOSE_ON_EXEC), turns SO_KEEPALIVE on, binds
 * it to sa (socklen bytes) and listens on it as evconnlistener_new() does.
 * backlog < 0 picks the default.  The socket belongs to the listener and is
 * closed by evconnlistener_free() only with LEV_OPT_CLOSE_ON_FREE.
 *
 * Returns NULL (closing the socket it made) if backlog is 0, sa is NULL, or
 * socket(), an option, bind() or listen() fails -- e.g. when the address is
 * in use; vigil logs the reason.
 */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new_bind(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    const struct sockaddr *sa, int socklen);

/*
 * Stops the listener and releases it; closes the socket only with
 * LEV_OPT_CLOSE_ON_FREE.  Safe from inside the listener's own callbacks.
 * NULL does nothing (vigil).
 */
EVENT2_EXPORT_SYMBOL
void evconnlistener_free(struct evconnlistener *lev);

/*
 * Starts (or resumes) accepting connections.  Without a callback the
 * listener is only marked enabled and starts once one is set.  Returns 0, or
 * -1 if the socket cannot be watched (or, in vigil, lev is NULL).
 */
EVENT2_EXPORT_SYMBOL
int evconnlistener_enable(struct evconnlistener *lev);

/*
 * Stops accepting connections; pending ones wait in the kernel's backlog.
 * Returns 0, or -1 on failure (in vigil also for a NULL lev).
 */
EVENT2_EXPORT_SYMBOL
int evconnlistener_disable(struct evconnlistener *lev);

/* The listener's event_base (NULL for a NULL lev in vigil). */
EVENT2_EXPORT_SYMBOL
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/* The listening socket (-1 for a NULL lev in vigil). */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/*
 * Replaces the connection callback and its pointer.  Setting a callback on
 * an enabled listener that had none starts it.  Setting NULL does not stop
 * an enabled listener: connections that arrive are accepted and closed at
 * once.  NULL lev does nothing (vigil).
 */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_cb(struct evconnlistener *lev,
    evconnlistener_cb cb, void *arg);

/*
 * Sets (or with NULL removes) the error callback.  Without one, accept()
 * errors are logged.  NULL lev does nothing (vigil).
 */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_error_cb(struct evconnlistener *lev,
    evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_LISTENER_H_ */
