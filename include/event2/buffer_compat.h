/*
 * vigil - event2/buffer_compat.h
 *
 * Older evbuffer calls kept for source compatibility.  Include
 * <event2/buffer.h> first.
 */
#ifndef VIGIL_EVENT2_BUFFER_COMPAT_H_
#define VIGIL_EVENT2_BUFFER_COMPAT_H_
#ifndef EVENT2_BUFFER_COMPAT_H_INCLUDED_
#define EVENT2_BUFFER_COMPAT_H_INCLUDED_
#endif

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Deprecated: evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY).
 */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readline(struct evbuffer *buffer);

/**
 * Old-style callback: the buffer, its length before and after the change,
 * and the registered argument.
 */
typedef void (*evbuffer_cb)(struct evbuffer *buffer, size_t old_len,
    size_t new_len, void *arg);

/**
 * Deprecated: removes every callback of @p buffer, then registers @p cb
 * with @p cbarg unless @p cb is NULL.  Returns 0, or -1 if memory runs out.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);

/**
 * Deprecated: finds the first occurrence of the @p len bytes at @p what,
 * makes the buffer contiguous up to its end and returns a pointer to it.
 * Returns NULL if there is none.
 */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_find(struct evbuffer *buffer,
    const unsigned char *what, size_t len);

/* libevent 1.x accessors. */
#define EVBUFFER_LENGTH(x) evbuffer_get_length(x)
#define EVBUFFER_DATA(x) evbuffer_pullup((x), -1)

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_BUFFER_COMPAT_H_ */
