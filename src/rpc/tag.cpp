// Event tagging (event2/tag.h): typed records in an evbuffer, the wire format of evrpc.
//
// The codecs are pure functions over a few bytes copied from the front of the buffer (a
// tag takes at most 5 bytes, a number at most 9), so reading a record never makes the
// buffer contiguous and never reads past what the buffer holds.
//
// What a failed call has already removed, and which outputs it has already written,
// follow libevent 2.1.12 exactly (tests/rpc/tag_test.cpp pins each case against it):
// the unmarshal functions take the tag and the length off first and check afterwards.
// vigil differs where libevent would crash or corrupt data, and says why in the log: a
// NULL buffer is refused at once; a NULL output at the point libevent would write
// through it (so a call that fails earlier fails exactly as libevent's does); a buffer
// passed as both source and destination; and a buffer whose start is frozen, from which
// libevent silently fails to remove what it read and then misreads what follows.
#include <event2/buffer.h>
#include <event2/tag.h>

#include <climits>
#include <cstdint>
#include <cstring>

#include "core/core_exports.h"

namespace {

constexpr size_t kMaxTagBytes = 5;     // 32 bits, 7 per byte
constexpr size_t kMaxNumberBytes = 9;  // a count nibble and up to 16 digit nibbles
constexpr int kNibbles32 = 8;
constexpr int kNibbles64 = 16;

// The first bytes of a buffer, copied out once per call: enough for a record's tag (5),
// its length (5) and then a 64-bit number (9) or a timeval's two numbers (10), so every
// decode sees exactly what the whole buffer would show it.
struct Front {
    unsigned char bytes[24];
    size_t size = 0;
    explicit Front(evbuffer* b, size_t want = sizeof bytes) {
        if (want > sizeof bytes) want = sizeof bytes;
        const ev_ssize_t n = evbuffer_copyout(b, bytes, want);
        if (n >= 0) {
            size = size_t(n);
            return;
        }
        // evbuffer_copyout refuses a buffer whose start is frozen; libevent's pullup, and
        // evbuffer_peek, read it all the same.
        evbuffer_iovec v[sizeof bytes];  // an extent holds at least one byte
        const int extents = evbuffer_peek(b, ev_ssize_t(want), nullptr, v, int(sizeof bytes));
        for (int i = 0; i < extents && i < int(sizeof bytes) && size < want; ++i) {
            const size_t k = v[i].iov_len < want - size ? v[i].iov_len : want - size;
            memcpy(bytes + size, v[i].iov_base, k);
            size += k;
        }
    }
};

// 7 bits per byte, least significant first; a set high bit means another byte follows.
size_t encode_tag(uint32_t tag, unsigned char* out) {
    size_t n = 0;
    do {
        const unsigned char group = tag & 0x7f;
        tag >>= 7;
        out[n++] = tag ? (group | 0x80) : group;
    } while (tag);
    return n;
}

// Returns the bytes the tag took, or -1 if it is cut short or does not fit 32 bits.
int decode_tag(const unsigned char* p, size_t avail, uint32_t* tag) {
    uint32_t value = 0;
    for (size_t i = 0; i < avail && i < kMaxTagBytes; ++i) {
        const unsigned group = p[i] & 0x7f;
        if (i == kMaxTagBytes - 1 && group > 0xf) return -1;  // bits above 32
        value |= uint32_t(group) << (7 * i);
        if (!(p[i] & 0x80)) {
            *tag = value;
            return int(i + 1);
        }
    }
    return -1;
}

// The nibble stream: position 0 (the high nibble of the first byte) holds the number of
// digit nibbles minus one, positions 1.. the digits, least significant first; even
// positions are high nibbles.
size_t encode_number(uint64_t v, unsigned char* out) {
    int count = 1;
    while (count < kNibbles64 && (v >> (4 * count))) ++count;
    const size_t n = size_t(count) / 2 + 1;
    memset(out, 0, n);
    out[0] = static_cast<unsigned char>((count - 1) << 4);
    for (int k = 0; k < count; ++k) {
        const unsigned digit = (v >> (4 * k)) & 0xf;
        const int pos = k + 1;
        out[pos / 2] |= static_cast<unsigned char>((pos & 1) ? digit : digit << 4);
    }
    return n;
}

// Returns the bytes the number took, or -1 if it is cut short or has more than
// max_nibbles digits.
int decode_number(const unsigned char* p, size_t avail, int max_nibbles, uint64_t* out) {
    if (avail == 0) return -1;
    const int count = (p[0] >> 4) + 1;
    const size_t n = size_t(count) / 2 + 1;
    if (count > max_nibbles || n > avail) return -1;
    uint64_t v = 0;
    for (int pos = count; pos >= 1; --pos) v = (v << 4) | ((pos & 1) ? (p[pos / 2] & 0xf) : (p[pos / 2] >> 4));
    *out = v;
    return int(n);
}

bool refuse(const char* func, const char* what) {
    event_warnx("%s: %s", func, what);
    return true;
}
// Refuses a NULL argument: true (and a log message) if p is NULL.
#define VIGIL_REFUSE_NULL(p) (!(p) && refuse(__func__, #p " is NULL"))

// Removes n bytes from the front of b. Fails, with a log message, if the buffer's start
// is frozen: libevent ignores that failure and goes on reading the same bytes again.
bool take(evbuffer* b, size_t n, const char* func) {
    if (evbuffer_drain(b, n) == 0) return true;
    refuse(func, "cannot remove from a buffer whose start is frozen");
    return false;
}

// Appends one record; a small payload goes in the same evbuffer_add as its header.
void add_record(evbuffer* b, uint32_t tag, const void* data, uint32_t len) {
    constexpr uint32_t kSmall = 32;
    unsigned char rec[kMaxTagBytes + kMaxNumberBytes + kSmall];
    size_t n = encode_tag(tag, rec);
    n += encode_number(len, rec + n);
    if (len <= kSmall) {
        if (len) memcpy(rec + n, data, len);
        evbuffer_add(b, rec, n + len);
        return;
    }
    evbuffer_add(b, rec, n);
    evbuffer_add(b, data, len);
}

void add_number(evbuffer* b, uint64_t v) {
    unsigned char bytes[kMaxNumberBytes];
    evbuffer_add(b, bytes, encode_number(v, bytes));
}

void add_integer_record(evbuffer* b, uint32_t tag, uint64_t v) {
    unsigned char payload[kMaxNumberBytes];
    add_record(b, tag, payload, uint32_t(encode_number(v, payload)));
}

// A record's tag and length as they appear at the front of a buffer; a byte count of
// -1 means that part is missing or malformed.
struct Header {
    int tag_bytes = -1;
    int len_bytes = -1;
    uint32_t tag = 0;
    uint64_t len = 0;
    size_t size() const { return size_t(tag_bytes + len_bytes); }
};

Header parse_header(const Front& f) {
    Header h;
    h.tag_bytes = decode_tag(f.bytes, f.size, &h.tag);
    if (h.tag_bytes > 0)
        h.len_bytes = decode_number(f.bytes + h.tag_bytes, f.size - size_t(h.tag_bytes), kNibbles32, &h.len);
    return h;
}

// Removes a record's header from b and returns its payload length, or -1 when the header
// is malformed (a readable tag is removed all the same) or the payload is not all there
// (the header is removed).
int take_header(evbuffer* b, const Header& h, uint32_t* ptag, const char* func) {
    if (h.tag_bytes < 0) return -1;
    if (ptag) *ptag = h.tag;
    if (h.len_bytes < 0) {
        take(b, size_t(h.tag_bytes), func);
        return -1;
    }
    const size_t after = evbuffer_get_length(b) - h.size();
    if (!take(b, h.size(), func)) return -1;
    // The length is returned as an int; libevent refuses longer payloads too.
    if (h.len > uint64_t(INT_MAX) || after < h.len) return -1;
    return int(h.len);
}

int take_header(evbuffer* b, uint32_t* ptag, const char* func) {
    return take_header(b, parse_header(Front(b)), ptag, func);
}

// A record holding one integer: unlike the other records, a tag that differs fails
// before the length is read. The integer is read from what follows the header and
// stored even when it runs past the payload, which then fails the call.
template <class T>
int take_integer_record(evbuffer* b, uint32_t need_tag, T* out, const char* func) {
    const Front f(b);
    const Header h = parse_header(f);
    if (h.tag_bytes < 0) return -1;
    if (h.tag != need_tag || h.len_bytes < 0) {
        take(b, size_t(h.tag_bytes), func);
        return -1;
    }
    const size_t after = evbuffer_get_length(b) - h.size();
    if (after < h.len) {
        take(b, h.size(), func);
        return -1;
    }
    uint64_t v;
    const int n = decode_number(f.bytes + h.size(), f.size - h.size(), int(2 * sizeof(T)), &v);
    if (n > 0) {
        if (!out) {
            take(b, h.size(), func);
            refuse(func, "pinteger is NULL");
            return -1;
        }
        *out = T(v);
    }
    if (!take(b, h.size() + size_t(h.len), func)) return -1;
    return (n < 0 || uint64_t(n) > h.len) ? -1 : n;
}

// A number with no tag or length around it, removed from the front of b once stored.
template <class T>
int take_bare_number(evbuffer* b, T* out, const char* func) {
    const Front f(b, kMaxNumberBytes);
    uint64_t v;
    const int n = decode_number(f.bytes, f.size, int(2 * sizeof(T)), &v);
    if (n < 0 || (!out && refuse(func, "pnumber is NULL")) || !take(b, size_t(n), func)) return -1;
    *out = T(v);
    return 0;
}

// The two numbers of a timeval payload of len bytes, from the front bytes after the
// header. tv_sec is stored even if tv_usec then fails.
int read_timeval(const Front& f, size_t at, size_t len, timeval* tv, const char* func) {
    uint64_t v;
    const int n1 = decode_number(f.bytes + at, f.size - at, kNibbles32, &v);
    if (n1 < 0) return -1;
    if (!tv) {
        refuse(func, "ptv is NULL");
        return -1;
    }
    tv->tv_sec = time_t(uint32_t(v));
    const int n2 = decode_number(f.bytes + at + size_t(n1), f.size - at - size_t(n1), kNibbles32, &v);
    if (n2 < 0) return -1;
    tv->tv_usec = suseconds_t(uint32_t(v));
    return size_t(n1 + n2) > len ? -1 : 0;
}

}  // namespace

extern "C" {

// Not in tag.h, but exported by libevent (code generated for evrpc calls them).
EVENT2_EXPORT_SYMBOL int evtag_encode_tag(struct evbuffer* evbuf, ev_uint32_t tag);
EVENT2_EXPORT_SYMBOL int evtag_decode_tag(ev_uint32_t* ptag, struct evbuffer* evbuf);
EVENT2_EXPORT_SYMBOL int evtag_decode_int(ev_uint32_t* pnumber, struct evbuffer* evbuf);
EVENT2_EXPORT_SYMBOL int evtag_decode_int64(ev_uint64_t* pnumber, struct evbuffer* evbuf);

void evtag_init(void) {}

// evbuf may be NULL: the call then only tells how many bytes the tag takes.
int evtag_encode_tag(struct evbuffer* evbuf, ev_uint32_t tag) {
    unsigned char bytes[kMaxTagBytes];
    const size_t n = encode_tag(tag, bytes);
    if (evbuf) evbuffer_add(evbuf, bytes, n);
    return int(n);
}

int evtag_decode_tag(ev_uint32_t* ptag, struct evbuffer* evbuf) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    uint32_t tag;
    const Front f(evbuf, kMaxTagBytes);
    const int n = decode_tag(f.bytes, f.size, &tag);
    if (n < 0 || !take(evbuf, size_t(n), __func__)) return -1;
    if (ptag) *ptag = tag;
    return n;
}

int evtag_peek(struct evbuffer* evbuf, ev_uint32_t* ptag) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    const Front f(evbuf, kMaxTagBytes);
    uint32_t tag;
    const int n = decode_tag(f.bytes, f.size, &tag);
    if (n > 0 && ptag) *ptag = tag;
    return n;
}

void evtag_encode_int(struct evbuffer* evbuf, ev_uint32_t number) {
    if (VIGIL_REFUSE_NULL(evbuf)) return;
    add_number(evbuf, number);
}

void evtag_encode_int64(struct evbuffer* evbuf, ev_uint64_t number) {
    if (VIGIL_REFUSE_NULL(evbuf)) return;
    add_number(evbuf, number);
}

int evtag_decode_int(ev_uint32_t* pnumber, struct evbuffer* evbuf) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    return take_bare_number(evbuf, pnumber, __func__);
}

int evtag_decode_int64(ev_uint64_t* pnumber, struct evbuffer* evbuf) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    return take_bare_number(evbuf, pnumber, __func__);
}

void evtag_marshal(struct evbuffer* evbuf, ev_uint32_t tag, const void* data, ev_uint32_t len) {
    if (VIGIL_REFUSE_NULL(evbuf) || (len && VIGIL_REFUSE_NULL(data))) return;
    add_record(evbuf, tag, data, len);
}

void evtag_marshal_buffer(struct evbuffer* evbuf, ev_uint32_t tag, struct evbuffer* data) {
    if (VIGIL_REFUSE_NULL(evbuf) || VIGIL_REFUSE_NULL(data)) return;
    // libevent writes a length that counts the record's own header, then cannot move the
    // payload into itself.
    if (data == evbuf && refuse(__func__, "data is the destination buffer itself")) return;
    const size_t len = evbuffer_get_length(data);
    if (len > UINT32_MAX) {
        // libevent writes the length cut to 32 bits and the whole payload: a corrupt record.
        event_warnx("%s: %zu bytes do not fit a record (at most %u)", __func__, len, unsigned(UINT32_MAX));
        return;
    }
    unsigned char header[kMaxTagBytes + kMaxNumberBytes];
    size_t n = encode_tag(tag, header);
    n += encode_number(len, header + n);
    evbuffer_add(evbuf, header, n);
    evbuffer_add_buffer(evbuf, data);
}

void evtag_marshal_int(struct evbuffer* evbuf, ev_uint32_t tag, ev_uint32_t integer) {
    if (VIGIL_REFUSE_NULL(evbuf)) return;
    add_integer_record(evbuf, tag, integer);
}

void evtag_marshal_int64(struct evbuffer* evbuf, ev_uint32_t tag, ev_uint64_t integer) {
    if (VIGIL_REFUSE_NULL(evbuf)) return;
    add_integer_record(evbuf, tag, integer);
}

void evtag_marshal_string(struct evbuffer* buf, ev_uint32_t tag, const char* string) {
    if (VIGIL_REFUSE_NULL(buf) || VIGIL_REFUSE_NULL(string)) return;
    add_record(buf, tag, string, uint32_t(strlen(string)));
}

void evtag_marshal_timeval(struct evbuffer* evbuf, ev_uint32_t tag, struct timeval* tv) {
    if (VIGIL_REFUSE_NULL(evbuf) || VIGIL_REFUSE_NULL(tv)) return;
    unsigned char payload[2 * kMaxNumberBytes];
    size_t n = encode_number(uint32_t(tv->tv_sec), payload);
    n += encode_number(uint32_t(tv->tv_usec), payload + n);
    add_record(evbuf, tag, payload, uint32_t(n));
}

int evtag_unmarshal_header(struct evbuffer* evbuf, ev_uint32_t* ptag) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    return take_header(evbuf, ptag, __func__);
}

int evtag_unmarshal(struct evbuffer* src, ev_uint32_t* ptag, struct evbuffer* dst) {
    if (VIGIL_REFUSE_NULL(src)) return -1;
    // libevent appends the payload to the same buffer, then removes it from the front.
    if (src == dst && refuse(__func__, "src and dst are the same buffer")) return -1;
    const int len = take_header(src, ptag, __func__);
    if (len < 0 || VIGIL_REFUSE_NULL(dst)) return -1;
    return evbuffer_remove_buffer(src, dst, size_t(len)) == len ? len : -1;
}

// The record's whole size (tag, length and payload), without removing anything.
int evtag_peek_length(struct evbuffer* evbuf, ev_uint32_t* plength) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    const Header h = parse_header(Front(evbuf));
    if (h.len_bytes < 0 || VIGIL_REFUSE_NULL(plength)) return -1;
    *plength = uint32_t(h.len + h.size());  // wraps as libevent's does
    return 0;
}

int evtag_payload_length(struct evbuffer* evbuf, ev_uint32_t* plength) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    const Header h = parse_header(Front(evbuf));
    if (h.len_bytes < 0 || VIGIL_REFUSE_NULL(plength)) return -1;
    *plength = uint32_t(h.len);
    return 0;
}

int evtag_consume(struct evbuffer* evbuf) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    const int len = take_header(evbuf, nullptr, __func__);
    if (len < 0 || !take(evbuf, size_t(len), __func__)) return -1;
    return 0;
}

int evtag_unmarshal_int(struct evbuffer* evbuf, ev_uint32_t need_tag, ev_uint32_t* pinteger) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    return take_integer_record(evbuf, need_tag, pinteger, __func__);
}

int evtag_unmarshal_int64(struct evbuffer* evbuf, ev_uint32_t need_tag, ev_uint64_t* pinteger) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    return take_integer_record(evbuf, need_tag, pinteger, __func__);
}

int evtag_unmarshal_fixed(struct evbuffer* src, ev_uint32_t need_tag, void* data, size_t len) {
    if (VIGIL_REFUSE_NULL(src)) return -1;
    uint32_t tag;
    const int got = take_header(src, &tag, __func__);
    if (got < 0 || tag != need_tag || size_t(got) != len || (len && VIGIL_REFUSE_NULL(data))) return -1;
    evbuffer_remove(src, data, len);
    return 0;
}

int evtag_unmarshal_string(struct evbuffer* evbuf, ev_uint32_t need_tag, char** pstring) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    uint32_t tag;
    const int len = take_header(evbuf, &tag, __func__);
    if (len < 0 || tag != need_tag || VIGIL_REFUSE_NULL(pstring)) return -1;
    // libevent adds the NUL's byte in an int, so a payload of INT_MAX bytes always fails
    // as if memory had run out; so does vigil's.
    char* s = len < INT_MAX ? static_cast<char*>(event_mm_malloc_(size_t(len) + 1)) : nullptr;
    *pstring = s;
    if (!s) {
        event_warn("%s: cannot allocate %zu bytes", __func__, size_t(len) + 1);
        return -1;
    }
    evbuffer_remove(evbuf, s, size_t(len));
    s[len] = '\0';
    return 0;
}

// The whole record goes, whether the tag matches or not.
int evtag_unmarshal_timeval(struct evbuffer* evbuf, ev_uint32_t need_tag, struct timeval* ptv) {
    if (VIGIL_REFUSE_NULL(evbuf)) return -1;
    const Front f(evbuf);
    const Header h = parse_header(f);
    uint32_t tag;
    const int len = take_header(evbuf, h, &tag, __func__);
    if (len < 0) return -1;
    const int result = tag == need_tag ? read_timeval(f, h.size(), size_t(len), ptv, __func__) : -1;
    if (!take(evbuf, size_t(len), __func__)) return -1;
    return result;
}

}  // extern "C"
