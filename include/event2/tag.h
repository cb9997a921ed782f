/*
 * vigil - event2/tag.h
 *
 * Event tagging: a compact, byte-order independent encoding of typed records in an
 * evbuffer, the wire format evrpc messages are made of.
 *
 * A record is a tag, a payload length, then the payload:
 *   - the tag is written 7 bits per byte, least significant group first, with the high
 *     bit of each byte saying that another byte follows (at most 5 bytes);
 *   - the length and every integer payload use the nibble encoding: the high nibble of
 *     the first byte holds the number of significant nibbles minus one, and the nibbles
 *     follow, least significant first, starting in the low nibble of the first byte.
 *
 * The unmarshal functions read from the front of the buffer and remove what they read.
 * Unless stated otherwise, functions returning int give 0 (or a length) on success and
 * -1 on failure; on failure some of the record may already have been removed, as in
 * libevent.
 */
#ifndef VIGIL_EVENT2_TAG_H_
#define VIGIL_EVENT2_TAG_H_
#ifndef EVENT2_TAG_H_INCLUDED_
#define EVENT2_TAG_H_INCLUDED_
#endif

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>

struct evbuffer;

/* Kept for libevent 1.x programs; there is nothing to set up. */
EVENT2_EXPORT_SYMBOL
void evtag_init(void);

/*
 * Removes a record's tag and length from the front of evbuf and stores the tag in
 * *ptag (if ptag is not NULL). Returns the payload length, which is left at the front
 * of the buffer, or -1 if the header is malformed or the payload is not all there yet.
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_header(struct evbuffer *evbuf, ev_uint32_t *ptag);

/* Appends a record with the len bytes at data as its payload. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal(struct evbuffer *evbuf, ev_uint32_t tag, const void *data,
    ev_uint32_t len);

/* Appends a record whose payload is everything in data, which is left empty. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_buffer(struct evbuffer *evbuf, ev_uint32_t tag,
    struct evbuffer *data);

/* Appends number in the nibble encoding (1 to 5 bytes), without a tag. */
EVENT2_EXPORT_SYMBOL
void evtag_encode_int(struct evbuffer *evbuf, ev_uint32_t number);

/* Appends a 64-bit number in the nibble encoding (1 to 9 bytes), without a tag. */
EVENT2_EXPORT_SYMBOL
void evtag_encode_int64(struct evbuffer *evbuf, ev_uint64_t number);

/* Appends a record whose payload is the nibble encoding of integer. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_int(struct evbuffer *evbuf, ev_uint32_t tag,
    ev_uint32_t integer);

/* Appends a record whose payload is the nibble encoding of a 64-bit integer. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_int64(struct evbuffer *evbuf, ev_uint32_t tag,
    ev_uint64_t integer);

/* Appends a record whose payload is the string, without its terminating NUL. */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_string(struct evbuffer *buf, ev_uint32_t tag,
    const char *string);

/*
 * Appends a record whose payload is tv_sec then tv_usec, each as a 32-bit number in
 * the nibble encoding (tv_sec is cut to its low 32 bits).
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_timeval(struct evbuffer *evbuf, ev_uint32_t tag,
    struct timeval *tv);

/*
 * Removes one whole record from src: its tag goes to *ptag (if not NULL), its payload
 * is appended to dst. Returns the payload length, or -1.
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal(struct evbuffer *src, ev_uint32_t *ptag,
    struct evbuffer *dst);

/*
 * Reads the tag at the front of evbuf into *ptag without removing anything. Returns
 * the number of bytes the tag takes, or -1.
 */
EVENT2_EXPORT_SYMBOL
int evtag_peek(struct evbuffer *evbuf, ev_uint32_t *ptag);

/*
 * Stores in *plength the size of the whole record at the front of evbuf (tag, length
 * and payload) without removing anything. The payload need not be there yet.
 */
EVENT2_EXPORT_SYMBOL
int evtag_peek_length(struct evbuffer *evbuf, ev_uint32_t *plength);

/*
 * Stores in *plength the payload length of the record at the front of evbuf without
 * removing anything. The payload need not be there yet.
 */
EVENT2_EXPORT_SYMBOL
int evtag_payload_length(struct evbuffer *evbuf, ev_uint32_t *plength);

/* Removes the record at the front of evbuf, whatever it holds. */
EVENT2_EXPORT_SYMBOL
int evtag_consume(struct evbuffer *evbuf);

/*
 * Removes a record tagged need_tag whose payload is a 32-bit integer and stores the
 * integer in *pinteger. Returns -1 if the tag differs or the payload is malformed.
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_int(struct evbuffer *evbuf, ev_uint32_t need_tag,
    ev_uint32_t *pinteger);

/* As evtag_unmarshal_int, for a 64-bit integer. */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_int64(struct evbuffer *evbuf, ev_uint32_t need_tag,
    ev_uint64_t *pinteger);

/*
 * Removes a record tagged need_tag whose payload is exactly len bytes and copies the
 * payload to data.
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_fixed(struct evbuffer *src, ev_uint32_t need_tag,
    void *data, size_t len);

/*
 * Removes a record tagged need_tag and stores its payload in *pstring as a new
 * NUL-terminated string, allocated with the library's allocator (free it with free(),
 * or with the function given to event_set_mem_functions).
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_string(struct evbuffer *evbuf, ev_uint32_t need_tag,
    char **pstring);

/* Removes a record tagged need_tag written by evtag_marshal_timeval into *ptv. */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_timeval(struct evbuffer *evbuf, ev_uint32_t need_tag,
    struct timeval *ptv);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_TAG_H_ */
