// Internal layout of struct evbuffer: a singly linked list of chunks. Bufferevents use
// these internals later; the public API lives in buffer.cpp.
#pragma once

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#include "core/runtime.hpp"

namespace vigil::buf {

enum ChunkKind : uint8_t {
    kOwned = 0,    // storage follows the header, allocated with it
    kUserRef = 1,  // caller memory from evbuffer_add_reference
    kFileSeg = 2,  // bytes of a file segment
    kView = 3,     // read-only view of another chunk's storage (add_buffer_reference)
};

// One piece of a buffer: bytes [base + misalign, base + misalign + off) are data,
// [base + misalign + off, base + cap) is free space (usable only if writable()).
struct Chunk {
    Chunk* next = nullptr;
    unsigned char* base = nullptr;
    size_t cap = 0;
    size_t misalign = 0;
    size_t off = 0;
    // 1 while a buffer holds the chunk, plus one per view sharing its storage.
    uint32_t refs = 1;
    ChunkKind kind = kOwned;
    Chunk* owner = nullptr;  // kView: the chunk whose storage is shared (holds a ref)
    evbuffer_ref_cleanup_cb cleanup = nullptr;  // kUserRef
    union {
        void* cleanup_arg = nullptr;  // kUserRef
        size_t seg_off;               // kFileSeg: where in the segment the chunk starts
    };
    // kFileSeg. Base is null while the segment is not in memory (not yet mapped or
    // read): only a buffer that drains to a descriptor holds such a chunk, and sends it
    // with sendfile; anything that reads it brings the segment in first (load_file_chunks).
    evbuffer_file_segment* seg = nullptr;

    unsigned char* data() const { return base + misalign; }
    size_t space() const { return cap - misalign - off; }
    bool writable() const { return kind == kOwned && refs == 1; }
};

struct CbEntry {
    CbEntry* next;
    union {
        evbuffer_cb_func func;
        evbuffer_cb obsolete;
    } cb;
    void* arg;
    uint32_t flags;
    bool is_obsolete;
    bool dead;       // removed while callbacks were running; freed afterwards
    bool adds_only;  // from add_cb_for_additions
};

// Reads at most max bytes from fd into b with one readv and no FIONREAD probe (the
// bufferevent read path). Only `direct` bytes go straight into the buffer's space; the
// rest of the read (at most 16 KiB) passes through a stack buffer and is copied in, so
// that a small message does not make the buffer allocate a big chunk (fresh pages cost
// the kernel more than the copy). Returns the count, 0 at end of file, -1 with errno set.
int read_socket(evbuffer* b, evutil_socket_t fd, size_t max, size_t direct);

// evbuffer_write_atmost for the bufferevent write path, on a buffer that holds data and
// whose start is not frozen: when the bytes to write sit in the first chunk (the usual
// case), one write() without the public call's checks and iovec.
int write_socket(evbuffer* b, evutil_socket_t fd, size_t most);

// evbuffer_add_cb for a callback with nothing to do when data only left the buffer (a
// bufferevent's output watch): it is not called for passes that report only removals,
// and a buffer whose callbacks are all of this kind skips such passes altogether, so
// draining a bufferevent's output costs no callback pass.
evbuffer_cb_entry* add_cb_for_additions(evbuffer* b, evbuffer_cb_func cb, void* arg);

}  // namespace vigil::buf

struct evbuffer {
    vigil::buf::Chunk* first = nullptr;
    vigil::buf::Chunk* last = nullptr;
    // The last chunk holding data (nullptr if none). Chunks before it all hold data;
    // chunks after it are empty writable space from expand/reserve.
    vigil::buf::Chunk* last_data = nullptr;
    size_t total = 0;
    size_t n_add = 0, n_del = 0;  // changes not yet reported to callbacks
    void* lock = nullptr;
    bool own_lock = false;
    bool freeze_start = false, freeze_end = false;
    ev_uint64_t flags = 0;
    vigil::buf::CbEntry* cbs = nullptr;  // newest first
    uint32_t n_general_cbs = 0;          // live entries that are not adds_only
    int cb_depth = 0;                    // nesting of running callback lists
    bool cb_dead = false;                // some entries are marked dead
    bool deferred = false;               // callbacks run from defer_ev
    struct event* defer_ev = nullptr;
};
