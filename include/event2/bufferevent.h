/*
 * vigil - event2/bufferevent.h
 *
 * Bufferevents: buffered I/O on top of the event loop.
 *
 * A bufferevent pairs two evbuffers with a data source/sink.  Incoming data
 * lands in the input buffer and the read callback runs; the program queues
 * outgoing data in the output buffer and the bufferevent sends it, running
 * the write callback once the buffer has drained.  Errors, end of stream,
 * timeouts and completed connects go to the event callback.
 *
 * Kinds of bufferevent:
 *   - socket:  reads and writes a socket (bufferevent_socket_new)
 *   - pair:    two bufferevents wired to each other in memory
 *              (bufferevent_pair_new)
 *   - filter:  transforms data on its way to and from another bufferevent
 *              (bufferevent_filter_new)
 *
 * Typical use:
 *   1. bufferevent_socket_new(), then bufferevent_setcb()
 *   2. bufferevent_socket_connect() for an outgoing connection
 *   3. bufferevent_enable(bev, EV_READ | EV_WRITE)
 *   4. bufferevent_write() / bufferevent_read() (or work on the evbuffers)
 *   5. bufferevent_free()
 *
 * Unless stated otherwise, functions returning int give 0 on success and -1
 * on failure.
 */
#ifndef VIGIL_EVENT2_BUFFEREVENT_H_
#define VIGIL_EVENT2_BUFFEREVENT_H_
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_
#endif

#include <event2/visibility.h>

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

/* evutil_socket_t, ev_ssize_t, ev_uint64_t. */
#include <event2/util.h>

/* Bits of the 'what' argument of an event callback.  READING or WRITING
   says which direction the condition concerns; one of the others says
   what happened. */
#define BEV_EVENT_READING	0x01	/* while reading */
#define BEV_EVENT_WRITING	0x02	/* while writing */
#define BEV_EVENT_EOF		0x10	/* the peer closed the stream */
#define BEV_EVENT_ERROR		0x20	/* an error; see EVUTIL_SOCKET_ERROR() */
#define BEV_EVENT_TIMEOUT	0x40	/* a timeout set with bufferevent_set_timeouts() */
#define BEV_EVENT_CONNECTED	0x80	/* a connect finished successfully */

/* A buffered I/O object; opaque unless <event2/bufferevent_struct.h> is
   included. */
struct bufferevent;

struct event_base;
struct evbuffer;
struct sockaddr;

/*
 * Read or write callback.  The read callback runs when the input buffer has
 * gained data and holds at least the read low watermark (0 by default); the
 * write callback runs when the output buffer has drained down to the write
 * low watermark (0 by default).  ctx is the pointer given to
 * bufferevent_setcb().
 */
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);

/*
 * Event callback: what is a combination of BEV_EVENT_* bits.  With deferred
 * callbacks, several conditions that happened since the last call may be
 * ORed together.  ctx is the pointer given to bufferevent_setcb().
 */
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);

/* Options for the bufferevent constructors (ORed together). */
enum bufferevent_options {
	/* Freeing the bufferevent also closes its socket (or frees the
	   bufferevent underneath a filter). */
	BEV_OPT_CLOSE_ON_FREE = (1<<0),
	/* Give the bufferevent a lock so several threads may use it; needs
	   thread support enabled first (event2/thread.h). */
	BEV_OPT_THREADSAFE = (1<<1),
	/* Run the callbacks from the event loop instead of from inside the
	   operation that triggered them. */
	BEV_OPT_DEFER_CALLBACKS = (1<<2),
	/* With BEV_OPT_DEFER_CALLBACKS and BEV_OPT_THREADSAFE: do not hold the
	   bufferevent's lock while its callbacks run. */
	BEV_OPT_UNLOCK_CALLBACKS = (1<<3)
};

/* ------------------------------------------------------------------ */
/* Socket bufferevents                                                 */

/**
 * Makes a bufferevent on base for the socket fd (which should be
 * nonblocking; pipes are not supported).  fd may be -1, to be set later by
 * bufferevent_setfd() or bufferevent_socket_connect().  options are
 * BEV_OPT_* bits.  Writing starts enabled, reading does not.  Returns NULL
 * on failure.
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options);

/**
 * Starts connecting bufev to addr (socklen bytes).  Without a socket yet,
 * a nonblocking one of addr's family is made for it.  With addr NULL the
 * socket is taken to be connecting already.  Success is reported to the
 * event callback as BEV_EVENT_CONNECTED, a failure as BEV_EVENT_ERROR.
 * Returns 0 if the attempt is under way, -1 if it could not be started.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect(struct bufferevent *bufev, const struct sockaddr *addr, int socklen);

/* Opaque: an asynchronous DNS resolver (event2/dns.h). */
struct evdns_base;

/**
 * Resolves hostname and connects bufev to the result on port, as
 * bufferevent_socket_connect() does.  hostname may be a name, an IPv4
 * address, or an IPv6 address with or without brackets.  family is
 * AF_INET, AF_INET6 or AF_UNSPEC (no preference).  With dns_base NULL the
 * lookup blocks the calling thread; otherwise it runs asynchronously on
 * dns_base.  A failed lookup reaches the event callback as BEV_EVENT_ERROR;
 * bufferevent_socket_get_dns_error() then tells why.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect_hostname(struct bufferevent *bufev,
    struct evdns_base *dns_base, int family, const char *hostname, int port);

/**
 * The error of bufev's last failed lookup in
 * bufferevent_socket_connect_hostname(): an EVUTIL_EAI_* code (see
 * evutil_gai_strerror()), or 0.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/* ------------------------------------------------------------------ */
/* Common operations                                                   */

/**
 * Moves bufev to another event_base.  Only socket bufferevents support it.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_base_set(struct event_base *base, struct bufferevent *bufev);

/* The event_base bev runs on. */
EVENT2_EXPORT_SYMBOL
struct event_base *bufferevent_get_base(struct bufferevent *bev);

/**
 * Sets the priority of bufev's I/O events (see event_priority_set()).
 * Only socket bufferevents support it.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_priority_set(struct bufferevent *bufev, int pri);

/* The priority of bufev's I/O events (socket bufferevents only). */
EVENT2_EXPORT_SYMBOL
int bufferevent_get_priority(const struct bufferevent *bufev);

/**
 * Releases bufev: its callbacks stop at once, and the object goes away
 * when nothing inside the library uses it any more.  Data still in the
 * output buffer may never be sent.  With BEV_OPT_CLOSE_ON_FREE the socket
 * (or the underlying bufferevent) is released too.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_free(struct bufferevent *bufev);

/**
 * Replaces bufev's callbacks; NULL turns one off.  cbarg is passed to all
 * three.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_setcb(struct bufferevent *bufev,
    bufferevent_data_cb readcb, bufferevent_data_cb writecb,
    bufferevent_event_cb eventcb, void *cbarg);

/**
 * Reports bufev's current callbacks and their argument through whichever
 * of the pointers are not NULL.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_getcb(struct bufferevent *bufev,
    bufferevent_data_cb *readcb_ptr,
    bufferevent_data_cb *writecb_ptr,
    bufferevent_event_cb *eventcb_ptr,
    void **cbarg_ptr);

/**
 * Makes bufev use the socket fd from now on.  Not every kind of
 * bufferevent supports it.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd);

/* bufev's socket, or -1 if it has none. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t bufferevent_getfd(struct bufferevent *bufev);

/* The bufferevent that bufev is layered on (e.g. a filter's), or NULL. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_get_underlying(struct bufferevent *bufev);

/**
 * Appends a copy of the size bytes at data to bufev's output buffer; they
 * are sent while writing is enabled.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_write(struct bufferevent *bufev,
    const void *data, size_t size);

/* Moves everything in buf to the end of bufev's output buffer. */
EVENT2_EXPORT_SYMBOL
int bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/**
 * Removes up to size bytes from the front of bufev's input buffer into
 * data.  Returns how many bytes were copied.
 */
EVENT2_EXPORT_SYMBOL
size_t bufferevent_read(struct bufferevent *bufev, void *data, size_t size);

/* Moves everything in bufev's input buffer to the end of buf. */
EVENT2_EXPORT_SYMBOL
int bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/**
 * bufev's input buffer.  It belongs to bufev: drain it freely, but do not
 * free it or set callbacks on it.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_input(struct bufferevent *bufev);

/**
 * bufev's output buffer.  It belongs to bufev: add to it freely, but do
 * not free it or set callbacks on it.  After writing to a filter's output
 * buffer directly, bufferevent_flush() may be needed to push the data on.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_output(struct bufferevent *bufev);

/* Starts reading and/or writing: event is EV_READ, EV_WRITE or both. */
EVENT2_EXPORT_SYMBOL
int bufferevent_enable(struct bufferevent *bufev, short event);

/* Stops reading and/or writing: event is EV_READ, EV_WRITE or both. */
EVENT2_EXPORT_SYMBOL
int bufferevent_disable(struct bufferevent *bufev, short event);

/* Which of EV_READ and EV_WRITE are enabled on bufev. */
EVENT2_EXPORT_SYMBOL
short bufferevent_get_enabled(struct bufferevent *bufev);

/**
 * Sets how long bufev may wait for a read or a write to make progress
 * (NULL or a zero time: no limit).  A timeout only runs while that
 * direction is enabled and actually waiting, and restarts after each
 * successful read or write and on bufferevent_enable().  When it expires
 * the direction is disabled and the event callback receives
 * BEV_EVENT_TIMEOUT with BEV_EVENT_READING or BEV_EVENT_WRITING.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_timeouts(struct bufferevent *bufev,
    const struct timeval *timeout_read, const struct timeval *timeout_write);

/**
 * Sets watermarks for EV_READ and/or EV_WRITE (events).
 *   read low:   the read callback waits until the input buffer holds at
 *               least this much
 *   read high:  reading pauses while the input buffer holds this much or
 *               more (0: no limit); some kinds may overshoot it a little
 *   write low:  the write callback runs once the output buffer has drained
 *               to this much or less
 *   write high: a filter writing into bufev tries to stay below it
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_setwatermark(struct bufferevent *bufev, short events,
    size_t lowmark, size_t highmark);

/**
 * Reports the watermarks of one direction (events is exactly EV_READ or
 * EV_WRITE) through the non-NULL pointers.  Returns -1 for any other
 * events value.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_getwatermark(struct bufferevent *bufev, short events,
    size_t *lowmark, size_t *highmark);

/**
 * Takes bufev's lock (it may be taken again by the same thread).  Does
 * nothing unless bufev was made with BEV_OPT_THREADSAFE.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_lock(struct bufferevent *bufev);

/* Releases the lock taken by bufferevent_lock(). */
EVENT2_EXPORT_SYMBOL
void bufferevent_unlock(struct bufferevent *bufev);

/* Keeps bufev alive until a matching bufferevent_decref(). */
EVENT2_EXPORT_SYMBOL
void bufferevent_incref(struct bufferevent *bufev);

/**
 * Drops a reference taken with bufferevent_incref().  Returns 1 if that
 * was the last one and bufev is gone, 0 otherwise.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_decref(struct bufferevent *bufev);

/* How hard bufferevent_flush() and filters should push data. */
enum bufferevent_flush_mode {
	/* Process as much as is convenient. */
	BEV_NORMAL = 0,
	/* Process everything that can be processed now. */
	BEV_FLUSH = 1,
	/* Process everything, and mark the end of the stream. */
	BEV_FINISHED = 2
};

/**
 * Pushes pending data through bufev in direction iotype (EV_READ, EV_WRITE
 * or both), as hard as mode says.  Returns 1 if data moved, 0 if none did
 * (or the kind of bufferevent has nothing to flush), -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_flush(struct bufferevent *bufev,
    short iotype,
    enum bufferevent_flush_mode mode);

/* Options for bufferevent_trigger() and bufferevent_trigger_event(). */
enum bufferevent_trigger_options {
	/* Run the data callbacks whatever the watermarks say. */
	BEV_TRIG_IGNORE_WATERMARKS = (1<<16),
	/* Run the callbacks from the event loop, later. */
	BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS
};

/**
 * Runs bufev's read and/or write callback (iotype EV_READ, EV_WRITE or
 * both) as if data had arrived or drained.  The watermarks still apply
 * unless options has BEV_TRIG_IGNORE_WATERMARKS; BEV_TRIG_DEFER_CALLBACKS
 * defers the calls.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger(struct bufferevent *bufev, short iotype,
    int options);

/**
 * Runs bufev's event callback with what (BEV_EVENT_* bits);
 * BEV_TRIG_DEFER_CALLBACKS in options defers the call.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger_event(struct bufferevent *bufev, short what,
    int options);

/* ------------------------------------------------------------------ */
/* Filters                                                             */

/* What a filter callback reports. */
enum bufferevent_filter_result {
	/* Some output was produced. */
	BEV_OK = 0,
	/* No output can be produced until more input arrives. */
	BEV_NEED_MORE = 1,
	/* The data cannot be processed; the stream has failed. */
	BEV_ERROR = 2
};

/**
 * A filter: consumes data from src and appends the result to dst.
 * dst_limit is how many bytes dst should take to stay under its high
 * watermark (-1: no limit); exceeding it is allowed but overfills dst.
 * mode says whether to work as convenient (BEV_NORMAL), to process all it
 * can (BEV_FLUSH), or to finish the stream (BEV_FINISHED).  ctx is the
 * pointer given to bufferevent_filter_new().
 */
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(
    struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
    enum bufferevent_flush_mode mode, void *ctx);

/**
 * Makes a bufferevent that filters data on top of underlying:
 * input_filter turns what underlying reads into this bufferevent's input,
 * output_filter turns this bufferevent's output into what underlying
 * writes.  A NULL filter passes data through unchanged.  options are
 * BEV_OPT_* bits (BEV_OPT_CLOSE_ON_FREE frees underlying along with the
 * filter).  free_context, if not NULL, is called with ctx when the filter
 * is freed.  Returns NULL on failure.
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_filter_new(struct bufferevent *underlying,
		       bufferevent_filter_cb input_filter,
		       bufferevent_filter_cb output_filter,
		       int options,
		       void (*free_context)(void *),
		       void *ctx);

/* ------------------------------------------------------------------ */
/* Pairs                                                               */

/**
 * Makes two bufferevents on base, stored in pair[0] and pair[1], that are
 * connected to each other in memory: what one writes, the other reads, as
 * with the two ends of a socketpair but without any socket.  options are
 * BEV_OPT_* bits.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_pair_new(struct event_base *base, int options,
    struct bufferevent *pair[2]);

/* The other end of a pair made by bufferevent_pair_new(), or NULL once it
   has been freed. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

/* ------------------------------------------------------------------ */
/* Rate limiting                                                       */

/* Opaque: a token-bucket configuration (rates, bursts, tick length). */
struct ev_token_bucket_cfg;

/* Opaque: bufferevents sharing one combined rate limit. */
struct bufferevent_rate_limit_group;

/* The largest rate or burst a token bucket accepts. */
#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX

/**
 * Makes a token-bucket configuration: on average at most read_rate bytes
 * read and write_rate bytes written per tick, and never more than
 * read_burst / write_burst in one tick.  tick_len is the tick (NULL: one
 * second; only whole milliseconds count).  Limits are best effort.
 * Returns NULL for invalid values (e.g. a burst below its rate, or above
 * EV_RATE_LIMIT_MAX) or when memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct ev_token_bucket_cfg *ev_token_bucket_cfg_new(
	size_t read_rate, size_t read_burst,
	size_t write_rate, size_t write_burst,
	const struct timeval *tick_len);

/**
 * Frees cfg.  It is not reference-counted: free it only once no
 * bufferevent or group uses it.
 */
EVENT2_EXPORT_SYMBOL
void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg *cfg);

/**
 * Limits bev's own reading and writing by cfg, or removes its limit with
 * cfg NULL.  Socket bufferevents honour it; other kinds may not.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_rate_limit(struct bufferevent *bev,
    struct ev_token_bucket_cfg *cfg);

/**
 * Makes a rate-limit group: all its members together read and write no
 * more than cfg allows.  base runs the group's refill timer; members may
 * use other bases.  Returns NULL on failure.
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent_rate_limit_group *bufferevent_rate_limit_group_new(
	struct event_base *base,
	const struct ev_token_bucket_cfg *cfg);

/* Gives the group grp the limits of cfg. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_cfg(
	struct bufferevent_rate_limit_group *grp,
	const struct ev_token_bucket_cfg *cfg);

/**
 * Sets the smallest share (default 64 bytes) a member of grp is given to
 * read or write at once, so that a tight limit yields fewer, larger
 * transfers instead of many tiny ones.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_min_share(
	struct bufferevent_rate_limit_group *grp, size_t share);

/* Frees grp, which must have no members left. */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group *grp);

/**
 * Puts bev in group g, taking it out of its previous group if any (a
 * bufferevent is in at most one).  g NULL just removes it from its group.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_add_to_rate_limit_group(struct bufferevent *bev,
    struct bufferevent_rate_limit_group *g);

/* Takes bev out of its rate-limit group, if it is in one. */
EVENT2_EXPORT_SYMBOL
int bufferevent_remove_from_rate_limit_group(struct bufferevent *bev);

/* Caps how much bev reads in one operation (0: back to the default). */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);

/* Caps how much bev writes in one operation (0: back to the default). */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);

/* The current cap on one read by bev. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);

/* The current cap on one write by bev. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

/**
 * What is left in bev's own read bucket (group limits are not counted):
 * EV_SSIZE_MAX without a per-bufferevent limit, negative once bev has
 * overspent.
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_read_limit(struct bufferevent *bev);

/* Like bufferevent_get_read_limit(), for the write bucket. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_write_limit(struct bufferevent *bev);

/**
 * How many bytes bev may read right now, counting its own limit, its
 * group's and the single-read cap.
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_read(struct bufferevent *bev);

/**
 * How many bytes bev may write right now, counting its own limit, its
 * group's and the single-write cap.
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_write(struct bufferevent *bev);

/* The configuration limiting bev itself, or NULL. */
EVENT2_EXPORT_SYMBOL
const struct ev_token_bucket_cfg *bufferevent_get_token_bucket_cfg(const struct bufferevent * bev);

/* What is left in grp's read bucket; negative once the group overspent. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_read_limit(
	struct bufferevent_rate_limit_group *grp);

/* What is left in grp's write bucket; negative once the group overspent. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_write_limit(
	struct bufferevent_rate_limit_group *grp);

/**
 * Takes decr bytes out of bev's own read bucket (a negative decr adds
 * them).  Reading pauses or resumes if the bucket crosses zero.  The
 * group's bucket is not touched.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_read_limit(struct bufferevent *bev, ev_ssize_t decr);

/* Like bufferevent_decrement_read_limit(), for the write bucket. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_write_limit(struct bufferevent *bev, ev_ssize_t decr);

/**
 * Takes decr bytes out of grp's read bucket (a negative decr adds them);
 * the members pause or resume reading if the bucket crosses zero.
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_read(
	struct bufferevent_rate_limit_group *grp, ev_ssize_t decr);

/* Like bufferevent_rate_limit_group_decrement_read(), for writing. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_write(
	struct bufferevent_rate_limit_group *grp, ev_ssize_t decr);

/**
 * Reports the bytes read and written by grp's members since it was made
 * (or last reset), through whichever pointers are not NULL.
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_get_totals(
    struct bufferevent_rate_limit_group *grp,
    ev_uint64_t *total_read_out, ev_uint64_t *total_written_out);

/* Sets grp's read and written totals back to zero. */
EVENT2_EXPORT_SYMBOL
void
bufferevent_rate_limit_group_reset_totals(
	struct bufferevent_rate_limit_group *grp);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_BUFFEREVENT_H_ */
