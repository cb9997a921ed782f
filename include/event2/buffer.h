/*
 * vigil - event2/buffer.h
 *
 * evbuffer: a growable byte queue for network I/O.
 *
 * Bytes are appended at the end and consumed from the front.  Internally a
 * buffer is a list of memory chunks, so moving data between buffers, adding
 * caller-owned memory (evbuffer_add_reference) or file contents
 * (evbuffer_add_file) usually costs no copy.  Functions that need the bytes
 * in one piece (evbuffer_pullup) rearrange the chunks on demand.
 *
 * Unless stated otherwise, functions returning int give 0 on success and -1
 * on failure, and a failed call leaves the buffer as it was.  Sizes that
 * could not be represented (a total length that would overflow size_t, a
 * single allocation above EV_SSIZE_MAX) are failures, never truncations.
 */
#ifndef VIGIL_EVENT2_BUFFER_H_
#define VIGIL_EVENT2_BUFFER_H_
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_
#endif

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <stdarg.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_UIO_H
#include <sys/uio.h>
#endif
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: a byte queue. */
struct evbuffer;

/**
 * A position inside an evbuffer, from its first byte up to one past its
 * last.  Set it only with evbuffer_ptr_set() or a search function; any
 * change to the buffer's contents may invalidate it.  A failed search or
 * positioning leaves pos at -1.  The internal_ members are private.
 */
struct evbuffer_ptr {
	ev_ssize_t pos;

	struct {
		void *chain;
		size_t pos_in_chain;
	} internal_;
};

/*
 * One extent of memory inside a buffer, for evbuffer_peek(),
 * evbuffer_reserve_space() and evbuffer_commit_space().  Where the system
 * has struct iovec, it is that very struct.
 */
#ifdef EVENT__HAVE_SYS_UIO_H
#define evbuffer_iovec iovec
#define EVBUFFER_IOVEC_IS_NATIVE_
#else
struct evbuffer_iovec {
	void *iov_base;  /* start of the extent */
	size_t iov_len;  /* its length in bytes */
};
#endif

/* ------------------------------------------------------------------ */
/* Life cycle and locking                                              */

/**
 * Creates an empty buffer.  Returns NULL if memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evbuffer_new(void);

/**
 * Releases @p buf with all its data: reference cleanup functions and file
 * segment references are released here.  Callbacks are not run.
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_free(struct evbuffer *buf);

/**
 * Makes every operation on @p buf take a lock, so several threads may use
 * it.  @p lock is a recursive lock from the installed thread callbacks, or
 * NULL to have one allocated (owned and freed with the buffer).  Returns -1
 * if @p buf already has a lock, or if @p lock is NULL and no thread
 * callbacks are installed.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_enable_locking(struct evbuffer *buf, void *lock);

/**
 * Takes the lock of @p buf, so a sequence of calls runs as one.  Does
 * nothing if locking is not enabled.
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_lock(struct evbuffer *buf);

/**
 * Releases the lock taken with evbuffer_lock().
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_unlock(struct evbuffer *buf);

/**
 * Flag for evbuffer_set_flags(): the buffer's contents will only be written
 * to a file descriptor or drained, never read by the program, which allows
 * some zero-copy shortcuts.
 */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/**
 * Sets the EVBUFFER_FLAG_* bits given in @p flags on @p buf.  Returns 0,
 * or -1 if @p buf is NULL.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);

/**
 * Clears the EVBUFFER_FLAG_* bits given in @p flags on @p buf.  Returns 0,
 * or -1 if @p buf is NULL.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

/* ------------------------------------------------------------------ */
/* Sizes and raw space                                                 */

/**
 * Returns the number of bytes stored in @p buf.
 */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_length(const struct evbuffer *buf);

/**
 * Returns how many bytes at the front of @p buf are stored contiguously,
 * i.e. what evbuffer_pullup() could return without rearranging anything.
 */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);

/**
 * Makes sure @p datlen bytes can be appended to @p buf without another
 * allocation.  Returns -1 if the memory cannot be obtained or the size is
 * too large.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/**
 * Reserves at least @p size bytes of writable space at the end of @p buf
 * in at most @p n_vec extents, described in @p vec.  The extents may be
 * longer than asked.  Write into them, then call evbuffer_commit_space();
 * any other change to the buffer in between cancels the reservation.
 * Returns the number of extents used (1 when @p n_vec is 1), or -1 if
 * @p size is negative or too large, @p n_vec is below 1, the end of the
 * buffer is frozen or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
    struct evbuffer_iovec *vec, int n_vec);

/**
 * Appends the bytes written into space reserved by evbuffer_reserve_space():
 * @p vec holds the first @p n_vecs extents returned, each iov_len reduced
 * to the number of bytes actually written.  Returns 0 (also for @p n_vecs
 * 0), or -1 if the extents do not match the reservation, a length exceeds
 * its extent, or the end of the buffer is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_commit_space(struct evbuffer *buf,
    struct evbuffer_iovec *vec, int n_vecs);

/* ------------------------------------------------------------------ */
/* Adding and removing data                                            */

/**
 * Appends a copy of @p datlen bytes at @p data to @p buf.  Returns -1 if
 * the end is frozen, the length would overflow, or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);

/**
 * Moves up to @p datlen bytes from the front of @p buf into @p data.
 * Returns the number of bytes moved, or -1 if the front of @p buf is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);

/**
 * Copies up to @p datlen bytes from the front of @p buf into @p data_out
 * without removing them; a @p datlen above the buffer's length copies the
 * whole buffer.  Returns the number of bytes copied, or -1 if the front is
 * frozen.
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen);

/**
 * Like evbuffer_copyout(), starting at @p pos (the front if NULL).
 * Returns -1 if @p pos is invalid or @p datlen plus the position would
 * overflow ev_ssize_t, or the front is frozen.
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf,
    const struct evbuffer_ptr *pos, void *data_out, size_t datlen);

/**
 * Moves up to @p datlen bytes from the front of @p src to the end of
 * @p dst, without copying whole chunks.  Returns the number of bytes moved
 * (0 if @p src and @p dst are the same), or -1 if the front of @p src or
 * the end of @p dst is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
    size_t datlen);

/** How evbuffer_readln() and evbuffer_search_eol() recognise a line end. */
enum evbuffer_eol_style {
	/** Any run of CR and LF characters, in any order and number. */
	EVBUFFER_EOL_ANY,
	/** An LF, optionally preceded by one CR. */
	EVBUFFER_EOL_CRLF,
	/** Exactly CR followed by LF. */
	EVBUFFER_EOL_CRLF_STRICT,
	/** A single LF. */
	EVBUFFER_EOL_LF,
	/** A single NUL byte. */
	EVBUFFER_EOL_NUL
};

/**
 * Removes one line from the front of @p buffer and returns it as a
 * NUL-terminated string allocated with the event_set_mem_functions()
 * allocator (free it with that allocator's free, plain free() by default);
 * the line end is removed but not returned.  Stores the line's length in
 * @p n_read_out if not NULL (0 on failure).  Returns NULL if no complete
 * line is buffered, the front is frozen, or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
    enum evbuffer_eol_style eol_style);

/**
 * Moves all data of @p inbuf to the end of @p outbuf, usually without
 * copying.  Returns 0 (also when @p inbuf is empty or the same buffer), or
 * -1 if the end of @p outbuf or the front of @p inbuf is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);

/**
 * Appends to @p outbuf a read-only view of the data in @p inbuf, sharing
 * the memory; @p inbuf is left unchanged and later changes to either buffer
 * do not affect the other.  Returns 0 (also for an empty @p inbuf), or -1
 * if the buffers are the same, the end of @p outbuf is frozen, or @p inbuf
 * holds file segments.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer_reference(struct evbuffer *outbuf,
    struct evbuffer *inbuf);

/**
 * Called once the memory given to evbuffer_add_reference() is no longer
 * used, with the original pointer, length and argument.
 */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data,
    size_t datalen, void *extra);

/**
 * Appends @p datlen bytes at @p data to @p outbuf without copying them.
 * The memory must stay valid and unchanged until @p cleanupfn (if not
 * NULL) is called with @p cleanupfn_arg, exactly once, when the last byte
 * is drained or the buffer is freed (at once for @p datlen 0).  Returns
 * -1, and never calls @p cleanupfn, if the end is frozen, the length would
 * overflow, or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_reference(struct evbuffer *outbuf,
    const void *data, size_t datlen,
    evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);

/**
 * Appends @p length bytes of file @p fd starting at @p offset (the rest of
 * the file if @p length is -1).  The buffer takes @p fd over and closes it
 * when done with it.  Returns -1 on a bad descriptor, range or frozen end
 * (then @p fd stays open).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
    ev_off_t length);

/* Opaque: a reference-counted piece of a file that buffers can share. */
struct evbuffer_file_segment;

/** Segment flag: close the file descriptor when the segment is freed. */
#define EVBUF_FS_CLOSE_ON_FREE    0x01
/** Segment flag: read the file into memory instead of mapping it. */
#define EVBUF_FS_DISABLE_MMAP     0x02
/** Segment flag: never send the segment with sendfile(). */
#define EVBUF_FS_DISABLE_SENDFILE 0x04
/** Segment flag: the segment will be used from one thread only. */
#define EVBUF_FS_DISABLE_LOCKING  0x08

/**
 * Called when a file segment is released, with the segment, its
 * EVBUF_FS_* flags and the argument given to
 * evbuffer_file_segment_add_cleanup_cb().
 */
typedef void (*evbuffer_file_segment_cleanup_cb)(
    struct evbuffer_file_segment const *seg, int flags, void *arg);

/**
 * Makes a segment for @p length bytes of @p fd from @p offset (up to the
 * end of the file if @p length is -1), mapping or reading the file now.
 * Returns NULL if @p fd cannot be examined or read, the range is negative
 * or too large, or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_file_segment *evbuffer_file_segment_new(
    int fd, ev_off_t offset, ev_off_t length, unsigned flags);

/**
 * Drops the caller's reference to @p seg.  The segment (and, with
 * EVBUF_FS_CLOSE_ON_FREE, its descriptor) goes away once no buffer uses
 * it any more.  NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_free(struct evbuffer_file_segment *seg);

/**
 * Sets the function called (once) when @p seg is finally released.
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg,
    evbuffer_file_segment_cleanup_cb cb, void *arg);

/**
 * Appends @p length bytes of @p seg from @p offset within the segment (the
 * rest of the segment if @p length is -1).  Returns -1 if the range lies
 * outside the segment, the end is frozen, or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file_segment(struct evbuffer *buf,
    struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length);

/**
 * Appends text formatted as by printf(3).  Returns the number of bytes
 * added, or -1 on a formatting error, output longer than INT_MAX bytes, a
 * frozen end, or lack of memory.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
;

/**
 * Like evbuffer_add_printf() with a va_list.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 0)))
#endif
;

/**
 * Discards up to @p len bytes from the front of @p buf (all of it if @p len
 * is larger).  Returns 0, or -1 if the front of a non-empty buffer is
 * frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_drain(struct evbuffer *buf, size_t len);

/**
 * Writes as much of @p buffer as the socket @p fd accepts, and removes what
 * was written.  Returns the number of bytes written, or -1 on error (errno
 * set), with an empty buffer, or if the front is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);

/**
 * Like evbuffer_write(), writing at most @p howmuch bytes (everything if
 * @p howmuch is negative).  As in libevent 2.1.12, asking for 0 bytes (or
 * writing an empty buffer) returns -1 and writes nothing.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
    ev_ssize_t howmuch);

/**
 * Reads from @p fd and appends what was read: at most @p howmuch bytes
 * (any amount if negative), and never more than 4096 bytes or than the
 * descriptor reports as available (FIONREAD) in one call.  Returns the
 * number of bytes read, 0 at end of file, or -1 on error (errno set) or if
 * the end is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/* ------------------------------------------------------------------ */
/* Searching and positions                                             */

/**
 * Finds the first occurrence of the @p len bytes at @p what at or after
 * @p start (the front if NULL).  Returns its position, or a pointer with
 * pos -1 if there is none.  An empty pattern matches at @p start.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer,
    const char *what, size_t len, const struct evbuffer_ptr *start);

/**
 * Like evbuffer_search(), but a match must end at or before @p end (no
 * limit if NULL).
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer,
    const char *what, size_t len, const struct evbuffer_ptr *start,
    const struct evbuffer_ptr *end);

/** How evbuffer_ptr_set() interprets its position. */
enum evbuffer_ptr_how {
	/** Set the pointer to the given absolute position. */
	EVBUFFER_PTR_SET,
	/** Move the pointer forward by the given amount. */
	EVBUFFER_PTR_ADD
};

/**
 * Points @p ptr at @p position (EVBUFFER_PTR_SET) or advances it by
 * @p position (EVBUFFER_PTR_ADD).  The end of the buffer is a valid
 * position.  Returns -1, and sets ptr->pos to -1, if the result lies past
 * the end or would overflow; the buffer itself is never changed.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
    size_t position, enum evbuffer_ptr_how how);

/**
 * Finds the next line end of style @p eol_style at or after @p start (the
 * front if NULL).  Returns its position and stores its length in
 * @p eol_len_out if not NULL; if there is none returns pos -1 and stores 0.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer,
    struct evbuffer_ptr *start, size_t *eol_len_out,
    enum evbuffer_eol_style eol_style);

/**
 * Describes, without copying, where the data of @p buffer lies: fills up
 * to @p n_vec extents covering @p len bytes from @p start_at (the front if
 * NULL; all the data if @p len is negative).  Returns how many extents
 * that takes, which may exceed @p n_vec; the memory may be read, not
 * written, until the buffer changes.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
    struct evbuffer_ptr *start_at,
    struct evbuffer_iovec *vec_out, int n_vec);

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */

/** What changed in a buffer since its callbacks last ran. */
struct evbuffer_cb_info {
	/** The length before the changes. */
	size_t orig_size;
	/** Bytes added since. */
	size_t n_added;
	/** Bytes removed since. */
	size_t n_deleted;
};

/**
 * Called after data is added to or removed from a buffer (right away, or
 * from the event loop after evbuffer_defer_callbacks()).
 */
typedef void (*evbuffer_cb_func)(struct evbuffer *buffer,
    const struct evbuffer_cb_info *info, void *arg);

/* Opaque: one registered callback. */
struct evbuffer_cb_entry;

/**
 * Registers @p cb, enabled, to run with @p cbarg whenever @p buffer's
 * length changes; the newest callback runs first.  Returns a handle for the
 * other callback functions, or NULL if memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer,
    evbuffer_cb_func cb, void *cbarg);

/**
 * Unregisters the callback @p ent of @p buffer (a callback may remove
 * itself while it runs).  Returns 0, or -1 if @p ent is not registered.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb_entry(struct evbuffer *buffer,
    struct evbuffer_cb_entry *ent);

/**
 * Unregisters the newest callback of @p buffer with function @p cb and
 * argument @p cbarg.  Returns 0, or -1 if there is none.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb,
    void *cbarg);

/** Callback flag: the callback runs (set by default). */
#define EVBUFFER_CB_ENABLED 1

/**
 * Sets the EVBUFFER_CB_* bits in @p flags on callback @p cb.  Returns 0.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_set_flags(struct evbuffer *buffer,
    struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/**
 * Clears the EVBUFFER_CB_* bits in @p flags on callback @p cb.  Returns 0.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_clear_flags(struct evbuffer *buffer,
    struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/* ------------------------------------------------------------------ */
/* Rearranging, prepending, freezing                                   */

/**
 * Makes the first @p size bytes of @p buf contiguous (all of it if @p size
 * is negative) and returns a pointer to them.  Returns NULL if @p size is 0
 * or exceeds the buffer's length, or memory runs out.
 */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/**
 * Inserts a copy of @p size bytes at @p data before the front of @p buf.
 * Returns -1 if the front is frozen, the length would overflow, or memory
 * runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);

/**
 * Moves all data of @p src before the front of @p dst.  Returns 0 (also
 * for an empty @p src or the same buffer), or -1 if the front of either
 * buffer is frozen.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer* src);

/**
 * Forbids changes at the front (@p at_front non-zero: draining, removing,
 * prepending) or at the end (adding) of @p buf until evbuffer_unfreeze().
 * Returns 0.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_freeze(struct evbuffer *buf, int at_front);

/**
 * Allows changes again at the front or end of @p buf.  Returns 0.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

struct event_base;

/**
 * From now on runs the callbacks of @p buffer from @p base's event loop
 * instead of inside the call that changed the buffer; changes made in
 * between are reported together.  Returns 0, or -1 on NULL arguments or if
 * memory runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/**
 * Appends copies of the @p n_vec extents in @p vec.  Returns the number of
 * bytes added (0 if the end is frozen, the total would overflow, or memory
 * runs out).
 */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_add_iovec(struct evbuffer * buffer,
    struct evbuffer_iovec * vec, int n_vec);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_BUFFER_H_ */
