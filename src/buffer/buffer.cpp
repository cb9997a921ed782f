// evbuffer: event2/buffer.h and event2/buffer_compat.h.
//
// A buffer is a singly linked list of chunks (buffer.hpp). Data runs from `first`
// through `last_data`; chunks after `last_data` are empty writable space left by
// evbuffer_expand / evbuffer_reserve_space. Whole chunks move between buffers without
// copying; caller memory (add_reference), file segments and shared views
// (add_buffer_reference) are read-only chunks. Every size is checked before anything
// is changed, so a refused call leaves the buffer exactly as it was.

#include "buffer/buffer.hpp"
#include "thread/thread.hpp"

#include <event2/event.h>

#include <sys/ioctl.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>

using vigil::buf::CbEntry;
using vigil::buf::Chunk;

// A reference-counted piece of a file. Buffers that drain to a descriptor send it with
// sendfile(2), so its bytes need never pass through the process: it is mapped (or, with
// EVBUF_FS_DISABLE_MMAP, read) into memory only when something needs them (seg_load),
// or at once if made with EVBUF_FS_DISABLE_SENDFILE.
struct evbuffer_file_segment {
    int fd = -1;
    unsigned flags = 0;
    ev_off_t offset = 0;  // where in the file contents[0] is
    ev_off_t length = 0;
    unsigned char* contents = nullptr;  // the segment's bytes, once loaded
    void* map = nullptr;                // mmap base (contents may start inside it)
    size_t map_len = 0;
    uint32_t refs = 1;
    void* lock = nullptr;
    evbuffer_file_segment_cleanup_cb cleanup = nullptr;
    void* cleanup_arg = nullptr;
};

namespace {

// No single chunk is larger than libevent's limit for one chain.
constexpr size_t kChunkMax = size_t(EV_SSIZE_MAX);
constexpr size_t kMinAlloc = 1024;
// Chunks sized by growth stop at kGrowMax: bigger ones were measured to cost more than
// they save. A drained buffer keeps its last chunk, cut down to kKeepMax (the bufferevent
// read size) if bigger, as space for its next data (see chunk_shrink).
constexpr size_t kGrowMax = 8192;
constexpr size_t kKeepMax = 4096;
constexpr size_t kCopySmall = 512;    // evbuffer_add_buffer copies up to this much
constexpr size_t kMaxRead = 4096;     // evbuffer_read's per-call limit, as libevent 2.1
constexpr int kMaxWriteIov = 128;
constexpr int kMaxReadIov = 4;

// ---- locking

bool locked_mode(const evbuffer* b) { return b->lock && vigil::threads_enabled(); }

// A buffer with no lock that does not drain to a descriptor (so holds no file chunks
// waiting to be loaded, load_file_chunks): its bytes can be read in place without the
// guard, so the common case of the calls that only look (copyout, copyout_from) runs
// without a stack frame.
inline bool unguarded(const evbuffer* b) {
    return b && !b->lock && !(b->flags & EVBUFFER_FLAG_DRAINS_TO_FD);
}

// An unguarded buffer with no callbacks: the calls that change it need no callback
// bookkeeping either, and get the same frame-free common case.
inline bool plain(const evbuffer* b) { return unguarded(b) && !b->cbs; }

// Copies the first and the last sizeof(Word) bytes of n (sizeof(Word) <= n <= twice
// that), which together cover all n; both loads come before the stores.
template <typename Word>
inline void copy_ends(unsigned char* d, const unsigned char* s, size_t n) {
    Word head, tail;
    memcpy(&head, s, sizeof head);
    memcpy(&tail, s + n - sizeof tail, sizeof tail);
    memcpy(d, &head, sizeof head);
    memcpy(d + n - sizeof tail, &tail, sizeof tail);
}

struct Bytes16 {
    unsigned char b[16];
};

// Copies n bytes, with pieces of up to 32 bytes (typical messages and headers) done
// inline instead of by a call into memcpy's size dispatch.
inline void copy_bytes(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (n > 32) {
        memcpy(d, s, n);
    } else if (n >= 16) {
        copy_ends<Bytes16>(d, s, n);
    } else if (n >= 8) {
        copy_ends<uint64_t>(d, s, n);
    } else if (n >= 4) {
        copy_ends<uint32_t>(d, s, n);
    } else if (n) {
        unsigned char first = s[0], mid = s[n / 2], last = s[n - 1];
        d[0] = first;
        d[n / 2] = mid;
        d[n - 1] = last;
    }
}

struct Guard {
    evbuffer* b;
    explicit Guard(evbuffer* buf) : b(buf) {
        if (locked_mode(b)) vigil::lock_acquire(b->lock);
    }
    ~Guard() {
        if (locked_mode(b)) vigil::lock_release(b->lock);
    }
};

// Two buffers, locked in address order; a shared lock is taken once.
struct Guard2 {
    void* l1 = nullptr;
    void* l2 = nullptr;
    Guard2(evbuffer* a, evbuffer* b) {
        void* la = locked_mode(a) ? a->lock : nullptr;
        void* lb = locked_mode(b) ? b->lock : nullptr;
        if (la == lb) lb = nullptr;
        if (la && lb && lb < la) {
            void* t = la;
            la = lb;
            lb = t;
        }
        l1 = la;
        l2 = lb;
        if (l1) vigil::lock_acquire(l1);
        if (l2) vigil::lock_acquire(l2);
    }
    ~Guard2() {
        if (l2) vigil::lock_release(l2);
        if (l1) vigil::lock_release(l1);
    }
};

// ---- chunks

Chunk* chunk_new(size_t cap) {
    if (cap > kChunkMax - sizeof(Chunk) - kMinAlloc) return nullptr;
    size_t alloc = sizeof(Chunk) + cap;
    if (alloc < kMinAlloc) alloc = kMinAlloc;
    void* p = vigil::mm_malloc(alloc);
    if (!p) return nullptr;
    Chunk* c = new (p) Chunk();
    c->base = static_cast<unsigned char*>(p) + sizeof(Chunk);
    c->cap = alloc - sizeof(Chunk);
    return c;
}

// The capacity for a new chunk that must take `need` more bytes: as much as the buffer
// already holds, up to kGrowMax, so a buffer filled by small adds or reservations grows
// in few allocations while a buffer holding little stays small.
size_t grown_size(const evbuffer* b, size_t need) {
    size_t grow = b->total < kGrowMax ? b->total : kGrowMax;
    return need > grow ? need : grow;
}

// A chunk header without storage (references, file segments, views).
Chunk* chunk_header(vigil::buf::ChunkKind kind) {
    Chunk* c = vigil::mm_new<Chunk>();
    if (c) c->kind = kind;
    return c;
}

void seg_release(evbuffer_file_segment* seg);

void chunk_release(Chunk* c) {
    if (--c->refs) return;
    Chunk* owner = nullptr;
    switch (c->kind) {
        case vigil::buf::kUserRef:
            if (c->cleanup) c->cleanup(c->base, c->cap, c->cleanup_arg);
            break;
        case vigil::buf::kFileSeg:
            seg_release(c->seg);
            break;
        case vigil::buf::kView:
            owner = c->owner;
            break;
        case vigil::buf::kOwned:
            break;
    }
    c->~Chunk();
    vigil::mm_free(c);
    if (owner) chunk_release(owner);
}

// Cuts an owned, empty chunk down to `cap` bytes of storage; on failure frees it and
// returns null. Shrinking rather than freeing a big chunk when its buffer empties keeps
// glibc from trimming the heap: the chunk filled last usually borders the top of the
// heap, and while a small part of it stays, the space freed below it (the buffer's
// other chunks) is reused by the next fill instead of being returned to the kernel and
// faulted in again page by page.
Chunk* chunk_shrink(Chunk* c, size_t cap) {
    void* p = vigil::mm_realloc(c, sizeof(Chunk) + cap);
    if (!p) {
        chunk_release(c);
        return nullptr;
    }
    c = static_cast<Chunk*>(p);
    c->base = static_cast<unsigned char*>(p) + sizeof(Chunk);
    c->cap = cap;
    return c;
}

// Frees the empty chunks after last_data.
void free_trailing(evbuffer* b) {
    Chunk* c = b->last_data ? b->last_data->next : b->first;
    while (c) {
        Chunk* n = c->next;
        chunk_release(c);
        c = n;
    }
    if (b->last_data)
        b->last_data->next = nullptr;
    else
        b->first = nullptr;
    b->last = b->last_data;
}

void drop_all(evbuffer* b) {
    Chunk* c = b->first;
    while (c) {
        Chunk* n = c->next;
        chunk_release(c);
        c = n;
    }
    b->first = b->last = b->last_data = nullptr;
    b->total = 0;
}

// Appends a list of data-holding chunks [head..tail] after last_data.
void link_data(evbuffer* b, Chunk* head, Chunk* tail, size_t bytes) {
    free_trailing(b);
    if (b->last_data)
        b->last_data->next = head;
    else
        b->first = head;
    tail->next = nullptr;
    b->last_data = b->last = tail;
    b->total += bytes;
}

// Stops appends into last_data's free tail (used when the next writes must go to a
// later chunk, so reservations stay in one place).
void seal(Chunk* c) {
    if (c && c->kind == vigil::buf::kOwned) c->cap = c->misalign + c->off;
}

// A chunk with at least n contiguous free bytes where the next append goes.
Chunk* ensure_contig(evbuffer* b, size_t n) {
    if (n > kChunkMax) return nullptr;
    Chunk* ld = b->last_data;
    if (ld && ld->writable()) {
        if (ld->space() >= n) return ld;
        // Little data in a big chunk: move it to the front instead of allocating.
        if (ld->off <= 2048 && ld->off < ld->cap / 2 && ld->cap - ld->off >= n) {
            memmove(ld->base, ld->data(), ld->off);
            ld->misalign = 0;
            return ld;
        }
    }
    Chunk* t = ld ? ld->next : b->first;
    if (t && t->cap >= n) {
        Chunk* rest = t->next;
        while (rest) {
            Chunk* nx = rest->next;
            chunk_release(rest);
            rest = nx;
        }
        t->next = nullptr;
        b->last = t;
        if (ld && ld->writable()) seal(ld);
        return t;
    }
    Chunk* c = chunk_new(n);
    if (!c) return nullptr;
    free_trailing(b);
    if (ld && ld->writable()) seal(ld);
    if (ld)
        ld->next = c;
    else
        b->first = c;
    b->last = c;
    return c;
}

// The first chunk whose free tail is part of the writable end of the buffer.
Chunk* first_extent(evbuffer* b) {
    Chunk* ld = b->last_data;
    if (ld && ld->writable() && ld->space() > 0) return ld;
    return ld ? ld->next : b->first;
}

// After space in [from..] was filled, some chunks may have received nothing while a
// later one did: unlink those empty chunks so data stays contiguous in the list.
void settle(evbuffer* b, Chunk* new_ld) {
    if (!new_ld) return;
    Chunk** link = b->last_data ? &b->last_data->next : &b->first;
    if (b->last_data == new_ld) return;
    while (*link != new_ld) {
        Chunk* c = *link;
        if (c->off == 0) {
            *link = c->next;
            chunk_release(c);
        } else {
            link = &c->next;
        }
    }
    b->last_data = new_ld;
    if (!new_ld->next) b->last = new_ld;
}

// ---- callbacks

void purge_dead(evbuffer* b) {
    CbEntry** link = &b->cbs;
    while (*link) {
        CbEntry* e = *link;
        if (e->dead) {
            *link = e->next;
            vigil::mm_free(e);
        } else {
            link = &e->next;
        }
    }
    b->cb_dead = false;
}

void run_callbacks_slow(evbuffer* b, bool from_deferred) {
    if (b->deferred && !from_deferred) {
        if (b->defer_ev) event_active(b->defer_ev, EV_TIMEOUT, 1);
        return;
    }
    if (b->n_add == 0 && b->n_del == 0) return;
    evbuffer_cb_info info;
    size_t now = b->total;
    info.orig_size = now + b->n_del - b->n_add;
    info.n_added = b->n_add;
    info.n_deleted = b->n_del;
    b->n_add = b->n_del = 0;
    ++b->cb_depth;
    for (CbEntry* e = b->cbs; e; e = e->next) {
        if (e->dead || !(e->flags & EVBUFFER_CB_ENABLED) || (e->adds_only && !info.n_added)) continue;
        if (e->is_obsolete)
            e->cb.obsolete(b, info.orig_size, now, e->arg);
        else
            e->cb.func(b, &info, e->arg);
    }
    if (--b->cb_depth == 0 && b->cb_dead) purge_dead(b);
}

// Tells the callbacks about the changes counted in n_add / n_del. Most buffers have
// none, and then this is one test; a bufferevent's output has only callbacks that
// ignore removals, and then a removal is two.
inline void run_callbacks(evbuffer* b, bool from_deferred) {
    if (VIGIL_LIKELY(!b->cbs) || (!b->n_add && !b->n_general_cbs)) {
        b->n_add = b->n_del = 0;
        return;
    }
    run_callbacks_slow(b, from_deferred);
}

void deferred_cb(evutil_socket_t, short, void* arg) {
    evbuffer* b = static_cast<evbuffer*>(arg);
    Guard g(b);
    run_callbacks(b, true);
}

void unlink_cb(evbuffer* b, CbEntry* e) {
    if (!e->adds_only) --b->n_general_cbs;
    if (b->cb_depth > 0) {
        e->dead = true;
        b->cb_dead = true;
        return;
    }
    for (CbEntry** link = &b->cbs; *link; link = &(*link)->next) {
        if (*link == e) {
            *link = e->next;
            vigil::mm_free(e);
            return;
        }
    }
}

CbEntry* new_cb(evbuffer* b, bool adds_only) {
    CbEntry* e = static_cast<CbEntry*>(vigil::mm_calloc(1, sizeof(CbEntry)));
    if (!e) return nullptr;
    e->flags = EVBUFFER_CB_ENABLED;
    e->adds_only = adds_only;
    if (!adds_only) ++b->n_general_cbs;
    e->next = b->cbs;
    b->cbs = e;
    return e;
}

evbuffer_cb_entry* add_func_cb(evbuffer* b, evbuffer_cb_func cb, void* arg, bool adds_only) {
    Guard g(b);
    CbEntry* e = new_cb(b, adds_only);
    if (!e) return nullptr;
    e->cb.func = cb;
    e->arg = arg;
    return reinterpret_cast<evbuffer_cb_entry*>(e);
}

// ---- data movement

// Empties a buffer made of one small owned chunk, which stays as empty space: a buffer
// that is filled and emptied in turn then does not allocate every time.
inline bool empty_in_place(evbuffer* b) {
    Chunk* only = b->first;
    if (!only || only != b->last || !only->writable() || only->cap > kKeepMax) return false;
    only->misalign = only->off = 0;
    b->last_data = nullptr;
    b->total = 0;
    return true;
}

void drain_internal(evbuffer* b, size_t len) {
    if (len >= b->total) {
        if (empty_in_place(b)) return;
        // Otherwise the last data chunk, if writable, is kept (cut down to kKeepMax if bigger).
        Chunk* keep = b->last_data;
        if (keep && !keep->writable()) keep = nullptr;
        if (keep) {
            Chunk** link = &b->first;
            while (*link != keep) link = &(*link)->next;
            *link = keep->next;
            keep->next = nullptr;
        }
        drop_all(b);
        if (keep && keep->cap > kKeepMax) keep = chunk_shrink(keep, kKeepMax);
        if (keep) {
            keep->misalign = keep->off = 0;
            b->first = b->last = keep;
        }
        return;
    }
    b->total -= len;
    while (len) {
        Chunk* c = b->first;
        if (c->off <= len) {
            len -= c->off;
            b->first = c->next;
            chunk_release(c);
        } else {
            c->misalign += len;
            c->off -= len;
            len = 0;
        }
    }
}

void copy_from(const Chunk* c, size_t i, unsigned char* out, size_t n) {
    while (n) {
        size_t take = c->off - i;
        if (take > n) take = n;
        memcpy(out, c->data() + i, take);
        out += take;
        n -= take;
        c = c->next;
        i = 0;
    }
}

// The in-place steps of add, remove and prepend, shared by the exported functions'
// frame-free paths and the *_internal ones; each returns false when the general case is
// needed. n - 1 wraps for 0, which is never done in place.

// The bytes fit behind the last data, or into the empty first chunk a drained buffer keeps.
inline bool add_in_place(evbuffer* b, const void* data, size_t n) {
    Chunk* ld = b->last_data ? b->last_data : b->first;
    if (!ld || n - 1 >= ld->space() || !ld->writable()) return false;
    unsigned char* to = ld->data() + ld->off;
    ld->off += n;
    b->last_data = ld;
    b->total += n;
    copy_bytes(to, data, n);
    return true;
}

// The bytes all sit in the first chunk and some stay, so no chunk is freed.
inline bool remove_in_place(evbuffer* b, void* out, size_t n) {
    Chunk* c = b->first;
    if (!c || n >= c->off) return false;
    const unsigned char* from = c->data();
    c->misalign += n;
    c->off -= n;
    b->total -= n;
    copy_bytes(out, from, n);
    return true;
}

// Room in front of the first chunk's data.
inline bool prepend_in_place(evbuffer* b, const void* data, size_t n) {
    Chunk* c = b->first;
    if (!c || n - 1 >= c->misalign || !c->off || !c->writable()) return false;
    c->misalign -= n;
    c->off += n;
    b->total += n;
    copy_bytes(c->data(), data, n);
    return true;
}

int add_general(evbuffer* b, const void* data, size_t len);

int add_internal(evbuffer* b, const void* data, size_t len) {
    if (b->freeze_end) return -1;
    if (len > SIZE_MAX - b->total) return -1;
    if (len == 0) return 0;
    // The common case, kept free of the general case's register saves.
    if (add_in_place(b, data, len)) {
        b->n_add += len;
        run_callbacks(b, false);
        return 0;
    }
    return add_general(b, data, len);
}

// Appends across chunks, allocating one if the free space is short; the caller has
// checked the arguments and reports the change to the callbacks.
int append(evbuffer* b, const void* data, size_t len) {
    Chunk* ld = b->last_data;
    size_t avail = (ld && ld->writable()) ? ld->space() : 0;
    for (Chunk* t = ld ? ld->next : b->first; t && avail < len; t = t->next) avail += t->cap;
    Chunk* extra = nullptr;
    if (avail < len) {
        extra = chunk_new(grown_size(b, len - avail));
        if (!extra) return -1;
    }
    const unsigned char* src = static_cast<const unsigned char*>(data);
    size_t left = len;
    Chunk* new_ld = ld;
    if (ld && ld->writable() && ld->space()) {
        size_t take = ld->space() < left ? ld->space() : left;
        memcpy(ld->data() + ld->off, src, take);
        ld->off += take;
        src += take;
        left -= take;
    }
    for (Chunk* t = ld ? ld->next : b->first; t && left; t = t->next) {
        size_t take = t->cap < left ? t->cap : left;
        memcpy(t->base, src, take);
        t->off = take;
        src += take;
        left -= take;
        new_ld = t;
    }
    if (extra) {
        memcpy(extra->base, src, left);
        extra->off = left;
        if (b->last)
            b->last->next = extra;
        else
            b->first = extra;
        b->last = extra;
        new_ld = extra;
    }
    b->last_data = new_ld;
    b->total += len;
    return 0;
}

__attribute__((noinline)) int add_general(evbuffer* b, const void* data, size_t len) {
    if (append(b, data, len) < 0) return -1;
    b->n_add += len;
    run_callbacks(b, false);
    return 0;
}

// Describes up to max extents of writable space covering `want` bytes (all of each
// extent when exact is false). Returns the number of extents, or -1.
int make_space(evbuffer* b, size_t want, evbuffer_iovec* vec, int max, bool exact) {
    if (want > kChunkMax) return -1;
    size_t have = 0;
    int n = 0;
    for (Chunk* c = first_extent(b); c && n < max; c = c->next) {
        have += c->space();
        ++n;
        if (have >= want) break;
    }
    if (have < want || n == 0) {
        Chunk* ld = b->last_data;
        size_t tail = (ld && ld->writable()) ? ld->space() : 0;
        size_t need = (tail && max >= 2) ? want - tail : want;
        Chunk* c = chunk_new(grown_size(b, need));
        if (!c) return -1;
        free_trailing(b);
        if (tail && max < 2) seal(ld);
        if (ld)
            ld->next = c;
        else
            b->first = c;
        b->last = c;
    }
    n = 0;
    size_t left = want;
    for (Chunk* c = first_extent(b); c && n < max; c = c->next) {
        size_t len = c->space();
        if (exact && len > left) len = left;
        vec[n].iov_base = c->data() + c->off;
        vec[n].iov_len = len;
        ++n;
        if (len >= left) break;
        left -= len;
    }
    return n;
}

// Accepts `bytes` written into the extents starting at first_extent.
void commit_bytes(evbuffer* b, size_t bytes) {
    Chunk* new_ld = nullptr;
    size_t left = bytes;
    for (Chunk* c = first_extent(b); c && left; c = c->next) {
        size_t take = c->space() < left ? c->space() : left;
        c->off += take;
        left -= take;
        if (take) new_ld = c;
    }
    settle(b, new_ld);
    b->total += bytes;
    b->n_add += bytes;
}

// ---- positions

evbuffer_ptr not_found() {
    evbuffer_ptr p;
    p.pos = -1;
    p.internal_.chain = nullptr;
    p.internal_.pos_in_chain = 0;
    return p;
}

// Sets p to absolute position `at` (<= total); a chunk boundary belongs to the next chunk.
void locate(const evbuffer* b, size_t at, evbuffer_ptr* p) {
    p->pos = ev_ssize_t(at);
    Chunk* c = b->first;
    while (c && c->off && at >= c->off) {
        at -= c->off;
        c = c->next;
    }
    if (c && c->off == 0) c = nullptr;
    p->internal_.chain = c;
    p->internal_.pos_in_chain = c ? at : 0;
}

bool match_at(const Chunk* c, size_t i, const unsigned char* what, size_t len) {
    while (len) {
        if (!c || c->off == 0) return false;
        size_t take = c->off - i;
        if (take > len) take = len;
        if (memcmp(c->data() + i, what, take) != 0) return false;
        what += take;
        len -= take;
        c = c->next;
        i = 0;
    }
    return true;
}

// First position >= start holding a byte from `set` (one or two bytes).
bool find_chars(const evbuffer* b, evbuffer_ptr* it, const char* set) {
    if (it->pos < 0) return false;
    Chunk* c = static_cast<Chunk*>(it->internal_.chain);
    size_t i = it->internal_.pos_in_chain;
    ev_ssize_t pos = it->pos;
    for (; c && c->off; c = c->next, i = 0) {
        const unsigned char* d = c->data();
        // memchr per wanted byte; with two, the nearer hit wins.
        const void* hit = memchr(d + i, set[0], c->off - i);
        if (set[1]) {
            size_t limit = hit ? size_t(static_cast<const unsigned char*>(hit) - d) : c->off;
            if (const void* h2 = memchr(d + i, set[1], limit - i)) hit = h2;
        }
        if (hit) {
            size_t k = size_t(static_cast<const unsigned char*>(hit) - d);
            it->pos = pos + ev_ssize_t(k - i);
            it->internal_.chain = c;
            it->internal_.pos_in_chain = k;
            return true;
        }
        pos += ev_ssize_t(c->off - i);
    }
    (void)b;
    return false;
}

int byte_at(const evbuffer* b, size_t at) {
    if (at >= b->total) return -1;
    evbuffer_ptr p;
    locate(b, at, &p);
    const Chunk* c = static_cast<const Chunk*>(p.internal_.chain);
    return c->data()[p.internal_.pos_in_chain];
}

// The first k in [from, n - len] where d[k..k+len) equals w, or n. Candidates are the
// positions where the pattern's first and last bytes both match, found 16 at a time;
// only those get a full compare (memchr on the first byte alone stops at every '\r'
// of CRLF text when looking for "\r\n\r\n").
size_t find_in_chunk(const unsigned char* d, size_t from, size_t n, const unsigned char* w, size_t len) {
    if (n - from < len) return n;
    if (len == 1) {
        const void* hit = memchr(d + from, w[0], n - from);
        return hit ? size_t(static_cast<const unsigned char*>(hit) - d) : n;
    }
    size_t k = from;
#ifdef __SSE2__
    const __m128i first = _mm_set1_epi8(char(w[0]));
    const __m128i last = _mm_set1_epi8(char(w[len - 1]));
    for (; k + len - 1 + 16 <= n; k += 16) {
        __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + k));
        __m128i z = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + k + len - 1));
        unsigned mask = unsigned(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(z, last))));
        while (mask) {
            unsigned bit = unsigned(__builtin_ctz(mask));
            if (memcmp(d + k + bit + 1, w + 1, len - 2) == 0) return k + bit;
            mask &= mask - 1;
        }
    }
#endif
    for (; k + len <= n; ++k)
        if (d[k] == w[0] && d[k + len - 1] == w[len - 1] && memcmp(d + k, w, len) == 0) return k;
    return n;
}

evbuffer_ptr search_range(evbuffer* b, const char* what, size_t len, const evbuffer_ptr* start,
                          const evbuffer_ptr* end) {
    evbuffer_ptr p;
    if (start) {
        p = *start;
        if (p.pos < 0) return not_found();
    } else {
        p.pos = 0;
        p.internal_.chain = b->first;
        p.internal_.pos_in_chain = 0;
        if (b->first && b->first->off == 0) p.internal_.chain = nullptr;
    }
    if (len == 0 || len > size_t(EV_SSIZE_MAX)) return p;
    if (!what) return not_found();
    const unsigned char* w = reinterpret_cast<const unsigned char*>(what);
    Chunk* c = static_cast<Chunk*>(p.internal_.chain);
    size_t i = p.internal_.pos_in_chain;
    ev_ssize_t pos = p.pos;
    while (c && c->off) {
        if (end && end->pos >= 0 && pos > end->pos) break;
        const unsigned char* d = c->data();
        // A match wholly inside this chunk, else one that starts in its last len-1 bytes
        // and runs on into the next chunks.
        size_t k = find_in_chunk(d, i, c->off, w, len);
        if (k == c->off) {
            for (k = c->off >= i + len ? c->off - len + 1 : i; k < c->off; ++k)
                if (d[k] == w[0] && match_at(c, k, w, len)) break;
        }
        if (k < c->off) {
            pos += ev_ssize_t(k - i);
            if (end && pos + ev_ssize_t(len) > end->pos) break;
            p.pos = pos;
            p.internal_.chain = c;
            p.internal_.pos_in_chain = k;
            return p;
        }
        pos += ev_ssize_t(c->off - i);
        c = c->next;
        i = 0;
    }
    return not_found();
}

// The style as the caller passed it: a C caller may pass any int, and reading that as
// the C++ enum would be undefined.
static_assert(sizeof(evbuffer_eol_style) == sizeof(int));
int style_value(const evbuffer_eol_style& style) {
    int v;
    memcpy(&v, &style, sizeof v);
    return v;
}

evbuffer_ptr search_eol(evbuffer* b, evbuffer_ptr* start, size_t* eol_len, int style) {
    evbuffer_ptr it;
    size_t extra = 0;
    bool ok = false;
    if (start) {
        it = *start;
    } else {
        locate(b, 0, &it);
    }
    if (it.pos >= 0) {
        switch (style) {
            case EVBUFFER_EOL_ANY:
                if (find_chars(b, &it, "\r\n")) {
                    size_t at = size_t(it.pos);
                    while (true) {
                        int ch = byte_at(b, at + extra);
                        if (ch != '\r' && ch != '\n') break;
                        ++extra;
                    }
                    ok = true;
                }
                break;
            case EVBUFFER_EOL_CRLF_STRICT: {
                evbuffer_ptr r = search_range(b, "\r\n", 2, &it, nullptr);
                if (r.pos >= 0) {
                    it = r;
                    extra = 2;
                    ok = true;
                }
                break;
            }
            case EVBUFFER_EOL_CRLF: {
                ev_ssize_t from = it.pos;
                if (find_chars(b, &it, "\n\0")) {
                    extra = 1;
                    ok = true;
                    // The byte before the '\n' is usually in the same chunk.
                    const Chunk* c = static_cast<const Chunk*>(it.internal_.chain);
                    size_t k = it.internal_.pos_in_chain;
                    if (it.pos != from && (k ? c->data()[k - 1] : byte_at(b, size_t(it.pos) - 1)) == '\r') {
                        locate(b, size_t(it.pos) - 1, &it);
                        extra = 2;
                    }
                }
                break;
            }
            case EVBUFFER_EOL_LF:
                if (find_chars(b, &it, "\n\0")) {
                    extra = 1;
                    ok = true;
                }
                break;
            case EVBUFFER_EOL_NUL: {
                // find_chars treats a NUL second byte as "no second byte".
                static const char nul[2] = {0, 0};
                if (find_chars(b, &it, nul)) {
                    extra = 1;
                    ok = true;
                }
                break;
            }
            default:
                break;
        }
    }
    if (!ok) {
        it = not_found();
        extra = 0;
    }
    if (eol_len) *eol_len = extra;
    return it;
}

ev_ssize_t copyout_from(evbuffer* b, const evbuffer_ptr* pos, void* out, size_t datlen) {
    const Chunk* c;
    size_t i;
    if (pos) {
        if (pos->pos < 0 || size_t(pos->pos) > b->total) return -1;
        if (datlen > size_t(EV_SSIZE_MAX - pos->pos)) return -1;
        c = static_cast<const Chunk*>(pos->internal_.chain);
        i = pos->internal_.pos_in_chain;
        if (datlen + size_t(pos->pos) > b->total) datlen = b->total - size_t(pos->pos);
    } else {
        c = b->first;
        i = 0;
        if (datlen > b->total) datlen = b->total;
    }
    if (datlen == 0) return 0;
    if (b->freeze_start) return -1;
    if (!out) return -1;
    copy_from(c, i, static_cast<unsigned char*>(out), datlen);
    return ev_ssize_t(datlen);
}

int remove_general(evbuffer* b, void* out, size_t datlen);

int remove_internal(evbuffer* b, void* out, size_t datlen) {
    if (!b->freeze_start && out && remove_in_place(b, out, datlen)) {
        b->n_del += datlen;
        run_callbacks(b, false);
        return int(datlen);
    }
    return remove_general(b, out, datlen);
}

__attribute__((noinline)) int remove_general(evbuffer* b, void* out, size_t datlen) {
    ev_ssize_t n = copyout_from(b, nullptr, out, datlen);
    if (n > 0) {
        if (b->freeze_start) return -1;
        drain_internal(b, size_t(n));
        b->n_del += size_t(n);
        run_callbacks(b, false);
    }
    return int(n);
}

int drain(evbuffer* b, size_t len) {
    if (b->total == 0) return 0;
    if (b->freeze_start) return -1;
    if (len > b->total) len = b->total;
    drain_internal(b, len);
    b->n_del += len;
    run_callbacks(b, false);
    return 0;
}

// Moves all data chunks of src to the end of dst (no callbacks, no checks).
void move_all(evbuffer* dst, evbuffer* src) {
    size_t n = src->total;
    free_trailing(src);
    Chunk* head = src->first;
    Chunk* tail = src->last_data;
    src->first = src->last = src->last_data = nullptr;
    src->total = 0;
    link_data(dst, head, tail, n);
}

int add_buffer(evbuffer* out, evbuffer* in) {
    size_t n = in->total;
    if (n == 0 || out == in) return 0;
    if (out->freeze_end || in->freeze_start) return -1;
    // A few bytes in one owned chunk are copied rather than relinked: in keeps its chunk
    // for its next add, and out fills its chunks instead of collecting small ones (a
    // message assembled in one buffer and queued on another, many times a second).
    Chunk* src = in->first;
    if (n <= kCopySmall && src == in->last_data && src->kind == vigil::buf::kOwned) {
        if (!add_in_place(out, src->data(), n) && append(out, src->data(), n) < 0) return -1;
        drain_internal(in, n);
    } else {
        move_all(out, in);
    }
    in->n_del += n;
    out->n_add += n;
    run_callbacks(in, false);
    run_callbacks(out, false);
    return 0;
}

// ---- file segments

void seg_release(evbuffer_file_segment* seg) {
    bool last;
    if (seg->lock) vigil::lock_acquire(seg->lock);
    last = --seg->refs == 0;
    if (seg->lock) vigil::lock_release(seg->lock);
    if (!last) return;
    if (seg->cleanup) seg->cleanup(seg, int(seg->flags), seg->cleanup_arg);
    if (seg->map)
        munmap(seg->map, seg->map_len);
    else
        vigil::mm_free(seg->contents);
    if (seg->flags & EVBUF_FS_CLOSE_ON_FREE) close(seg->fd);
    vigil::lock_free(seg->lock);
    vigil::mm_delete(seg);
}

// Maps the segment's bytes (unless EVBUF_FS_DISABLE_MMAP) or reads them into memory,
// once; -1 if neither works.
int seg_load(evbuffer_file_segment* seg) {
    if (seg->length == 0) return 0;
    // Buffers in several threads may share the segment.
    if (seg->lock) vigil::lock_acquire(seg->lock);
    const int fd = seg->fd;
    const ev_off_t offset = seg->offset, length = seg->length;
    if (!seg->contents && !(seg->flags & EVBUF_FS_DISABLE_MMAP)) {
        long page = sysconf(_SC_PAGESIZE);
        ev_off_t aligned = page > 0 ? offset - offset % page : offset;
        size_t lead = size_t(offset - aligned);
        void* m = mmap(nullptr, size_t(length) + lead, PROT_READ, MAP_PRIVATE, fd, aligned);
        if (m != MAP_FAILED) {
            seg->map = m;
            seg->map_len = size_t(length) + lead;
            seg->contents = static_cast<unsigned char*>(m) + lead;
        }
    }
    if (!seg->contents) {
        // Not mapped (refused, or not allowed): read it.
        auto* mem = static_cast<unsigned char*>(vigil::mm_malloc(size_t(length)));
        size_t got = 0;
        while (mem && got < size_t(length)) {
            ssize_t r = pread(fd, mem + got, size_t(length) - got, offset + ev_off_t(got));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += size_t(r);
        }
        if (mem && got == size_t(length))
            seg->contents = mem;
        else
            vigil::mm_free(mem);
    }
    const bool ok = seg->contents != nullptr;
    if (seg->lock) vigil::lock_release(seg->lock);
    if (!ok) vigil::log_errno("evbuffer: cannot map or read file segment (fd %d)", fd);
    return ok ? 0 : -1;
}

// Gives every file chunk of b whose segment is not in memory yet (see Chunk::seg) its
// bytes. Called before anything reads b's data or moves its chunks to another buffer.
__attribute__((noinline)) int load_file_chunks_slow(evbuffer* b) {
    for (Chunk* c = b->first; c; c = c->next) {
        if (c->kind != vigil::buf::kFileSeg || c->base) continue;
        if (seg_load(c->seg) < 0) return -1;
        c->base = c->seg->contents + c->seg_off;
    }
    return 0;
}
inline int load_file_chunks(evbuffer* b) {
    if (VIGIL_LIKELY(!(b->flags & EVBUFFER_FLAG_DRAINS_TO_FD))) return 0;
    return load_file_chunks_slow(b);
}

// Whether writing c, at the start of b, goes by sendfile (see evbuffer_file_segment).
bool goes_by_sendfile(const evbuffer* b, const Chunk* c) {
    return (b->flags & EVBUFFER_FLAG_DRAINS_TO_FD) && c->kind == vigil::buf::kFileSeg &&
           !(c->seg->flags & EVBUF_FS_DISABLE_SENDFILE);
}

void seg_ref(evbuffer_file_segment* seg) {
    if (seg->lock) vigil::lock_acquire(seg->lock);
    ++seg->refs;
    if (seg->lock) vigil::lock_release(seg->lock);
}

}  // namespace

evbuffer_cb_entry* vigil::buf::add_cb_for_additions(evbuffer* b, evbuffer_cb_func cb, void* arg) {
    return add_func_cb(b, cb, arg, true);
}

int vigil::buf::read_socket(evbuffer* b, evutil_socket_t fd, size_t max, size_t direct) {
    Guard g(b);
    if (b->freeze_end || max > SIZE_MAX - b->total) {
        errno = EINVAL;
        return -1;
    }
    constexpr size_t kReadStack = 16384;
    if (direct > max || max - direct > kReadStack) direct = max;
    evbuffer_iovec vec[3];
    int cnt = 1;
    Chunk* c = first_extent(b);
    const bool one_extent = c && c->space() >= direct;
    if (one_extent) {
        // The usual case: the chunk at the end has room for the direct part.
        vec[0].iov_base = c->data() + c->off;
        vec[0].iov_len = direct;
    } else {
        cnt = make_space(b, direct, vec, 2, true);
    }
    if (cnt < 0) {
        errno = ENOMEM;
        return -1;
    }
    unsigned char spill[kReadStack];
    if (direct < max) {
        vec[cnt].iov_base = spill;
        vec[cnt].iov_len = max - direct;
        ++cnt;
    }
    ssize_t r = readv(fd, vec, cnt);
    if (r <= 0) return int(r);
    if (one_extent && size_t(r) <= direct) {
        // All of it went into c, the first extent: it becomes the last data chunk.
        c->off += size_t(r);
        b->last_data = c;
        b->total += size_t(r);
        b->n_add += size_t(r);
        run_callbacks(b, false);
    } else if (size_t(r) <= direct) {
        commit_bytes(b, size_t(r));
        run_callbacks(b, false);
    } else {
        commit_bytes(b, direct);
        add_internal(b, spill, size_t(r) - direct);  // runs the callbacks for both parts
    }
    return int(r);
}

int vigil::buf::write_socket(evbuffer* b, evutil_socket_t fd, size_t most) {
    Guard g(b);
    Chunk* c = b->first;
    if (most > b->total) most = b->total;
    if (c->off < most || goes_by_sendfile(b, c)) return evbuffer_write_atmost(b, fd, ev_ssize_t(most));
    ssize_t r = write(fd, c->data(), most);
    if (r > 0) {
        drain_internal(b, size_t(r));
        b->n_del += size_t(r);
        run_callbacks(b, false);
    }
    return int(r);
}

extern "C" {

// ---- life cycle

struct evbuffer* evbuffer_new(void) { return vigil::mm_new<evbuffer>(); }

void evbuffer_free(struct evbuffer* b) {
    if (!b) return;
    if (locked_mode(b)) vigil::lock_acquire(b->lock);
    if (b->defer_ev) {
        event_free(b->defer_ev);
        b->defer_ev = nullptr;
    }
    drop_all(b);
    CbEntry* e = b->cbs;
    while (e) {
        CbEntry* n = e->next;
        vigil::mm_free(e);
        e = n;
    }
    b->cbs = nullptr;
    if (locked_mode(b)) vigil::lock_release(b->lock);
    if (b->own_lock) vigil::lock_free(b->lock);
    vigil::mm_delete(b);
}

int evbuffer_enable_locking(struct evbuffer* b, void* lock) {
    if (!b || b->lock) return -1;
    if (!lock) {
        lock = vigil::lock_new();
        if (!lock) return -1;
        b->own_lock = true;
    }
    b->lock = lock;
    return 0;
}

void evbuffer_lock(struct evbuffer* b) {
    if (b && locked_mode(b)) vigil::lock_acquire(b->lock);
}

void evbuffer_unlock(struct evbuffer* b) {
    if (b && locked_mode(b)) vigil::lock_release(b->lock);
}

int evbuffer_set_flags(struct evbuffer* b, ev_uint64_t flags) {
    if (!b) return -1;
    Guard g(b);
    b->flags |= flags;
    return 0;
}

int evbuffer_clear_flags(struct evbuffer* b, ev_uint64_t flags) {
    if (!b) return -1;
    Guard g(b);
    if ((flags & EVBUFFER_FLAG_DRAINS_TO_FD) && load_file_chunks(b) < 0) return -1;
    b->flags &= ~flags;
    return 0;
}

// ---- sizes and space

namespace {
__attribute__((noinline)) size_t length_slow(const evbuffer* cb) {
    if (!cb) return 0;
    evbuffer* b = const_cast<evbuffer*>(cb);
    Guard g(b);
    return b->total;
}
}  // namespace

size_t evbuffer_get_length(const struct evbuffer* cb) {
    if (VIGIL_LIKELY(cb && !cb->lock)) return cb->total;
    return length_slow(cb);
}

size_t evbuffer_get_contiguous_space(const struct evbuffer* cb) {
    if (!cb) return 0;
    evbuffer* b = const_cast<evbuffer*>(cb);
    Guard g(b);
    return b->first ? b->first->off : 0;
}

int evbuffer_expand(struct evbuffer* b, size_t datlen) {
    if (!b) return -1;
    Guard g(b);
    return ensure_contig(b, datlen) ? 0 : -1;
}

int evbuffer_reserve_space(struct evbuffer* b, ev_ssize_t size, struct evbuffer_iovec* vec, int n_vec) {
    if (!b || size < 0 || n_vec < 1 || !vec) return -1;
    Guard g(b);
    if (b->freeze_end) return -1;
    if (n_vec == 1) {
        // Asking for 0 bytes still describes some free space, as in libevent.
        Chunk* c = ensure_contig(b, size ? size_t(size) : 1);
        if (!c) return -1;
        vec[0].iov_base = c->data() + c->off;
        vec[0].iov_len = c->space();
        return 1;
    }
    // With several extents, libevent 2.1.12 describes exactly the extents needed: none for 0.
    if (size == 0) return 0;
    return make_space(b, size_t(size), vec, n_vec, false);
}

int evbuffer_commit_space(struct evbuffer* b, struct evbuffer_iovec* vec, int n_vecs) {
    if (!b || n_vecs < 0) return -1;
    Guard g(b);
    if (b->freeze_end) return -1;
    if (n_vecs == 0) return 0;
    if (!vec) return -1;
    // One extent may also name the very last chunk, wherever the reservation began.
    Chunk* start = first_extent(b);
    // (Writability first: a file chunk bound for sendfile has no bytes to point into.)
    if (n_vecs == 1 && b->last && (b->last == b->last_data ? b->last->writable() : true) &&
        vec[0].iov_base == b->last->data() + b->last->off && start != b->last) {
        if (vec[0].iov_len > b->last->space()) return -1;
        size_t n = vec[0].iov_len;
        if (n) {
            b->last->off += n;
            settle(b, b->last);
            b->total += n;
            b->n_add += n;
        }
        run_callbacks(b, false);
        return 0;
    }
    Chunk* c = start;
    size_t added = 0;
    for (int i = 0; i < n_vecs; ++i, c = c->next) {
        if (!c || vec[i].iov_base != c->data() + c->off || vec[i].iov_len > c->space()) return -1;
        added += vec[i].iov_len;
    }
    Chunk* new_ld = nullptr;
    c = start;
    for (int i = 0; i < n_vecs; ++i, c = c->next) {
        c->off += vec[i].iov_len;
        if (vec[i].iov_len) new_ld = c;
    }
    settle(b, new_ld);
    b->total += added;
    b->n_add += added;
    run_callbacks(b, false);
    return 0;
}

// ---- adding and removing

// The exported calls a message parser makes for every message handle their common case
// in place, frame-free, and leave everything else (bad arguments, locks, callbacks where
// they matter, file chunks not yet loaded, several chunks, new chunks) to these
// out-of-line halves.
namespace {
__attribute__((noinline)) int add_slow(evbuffer* b, const void* data, size_t datlen) {
    if (!b || (!data && datlen)) return -1;
    Guard g(b);
    return add_internal(b, data, datlen);
}

__attribute__((noinline)) int remove_slow(evbuffer* b, void* data, size_t datlen) {
    if (!b) return -1;
    Guard g(b);
    if (load_file_chunks(b) < 0) return -1;
    return remove_internal(b, data, datlen);
}

__attribute__((noinline)) ev_ssize_t copyout_slow(evbuffer* b, const evbuffer_ptr* pos, void* out,
                                                  size_t datlen) {
    if (!b) return -1;
    Guard g(b);
    if (load_file_chunks(b) < 0) return -1;
    return copyout_from(b, pos, out, datlen);
}

// Whether c is a chunk and datlen > 0 bytes from its index i lie in it.
inline bool within_chunk(const Chunk* c, size_t i, size_t datlen) {
    return c && i < c->off && datlen - 1 < c->off - i;
}
}  // namespace

int evbuffer_add(struct evbuffer* b, const void* data, size_t datlen) {
    // (Appending never reads the buffer's bytes, so file chunks not yet loaded do not matter.)
    if (VIGIL_LIKELY(b && !b->lock && data && !b->freeze_end && datlen <= SIZE_MAX - b->total)) {
        if (!b->cbs) {
            // What reporting to no callbacks leaves; stored before the copy, so that
            // nothing is live across a call into memcpy and the path needs no frame.
            b->n_add = b->n_del = 0;
            if (add_in_place(b, data, datlen)) return 0;
        } else if (add_in_place(b, data, datlen)) {
            // (A bufferevent's output, say: its callback schedules the write.)
            b->n_add += datlen;
            run_callbacks(b, false);
            return 0;
        }
    }
    return add_slow(b, data, datlen);
}

int evbuffer_remove(struct evbuffer* b, void* data, size_t datlen) {
    if (VIGIL_LIKELY(plain(b) && data && !b->freeze_start)) {
        b->n_add = b->n_del = 0;
        if (remove_in_place(b, data, datlen)) return int(datlen);
    }
    return remove_slow(b, data, datlen);
}

// A message header or a length field read ahead of the data: bytes in one chunk.
ev_ssize_t evbuffer_copyout(struct evbuffer* b, void* data_out, size_t datlen) {
    if (VIGIL_LIKELY(unguarded(b) && data_out && !b->freeze_start && within_chunk(b->first, 0, datlen))) {
        copy_bytes(data_out, b->first->data(), datlen);
        return ev_ssize_t(datlen);
    }
    return copyout_slow(b, nullptr, data_out, datlen);
}

ev_ssize_t evbuffer_copyout_from(struct evbuffer* b, const struct evbuffer_ptr* pos, void* data_out,
                                 size_t datlen) {
    // (The position's own checks as in copyout_from: in the buffer, and no ev_ssize_t overflow.)
    if (VIGIL_LIKELY(unguarded(b) && pos && data_out && !b->freeze_start && pos->pos >= 0 &&
                     size_t(pos->pos) <= b->total && datlen <= size_t(EV_SSIZE_MAX - pos->pos))) {
        const Chunk* c = static_cast<const Chunk*>(pos->internal_.chain);
        size_t i = pos->internal_.pos_in_chain;
        if (within_chunk(c, i, datlen)) {
            copy_bytes(data_out, c->data() + i, datlen);
            return ev_ssize_t(datlen);
        }
    }
    return copyout_slow(b, pos, data_out, datlen);
}

int evbuffer_remove_buffer(struct evbuffer* src, struct evbuffer* dst, size_t datlen) {
    if (!src || !dst) return -1;
    Guard2 g(src, dst);
    if (load_file_chunks(src) < 0) return -1;
    if (datlen == 0 || src == dst) return 0;
    if (dst->freeze_end || src->freeze_start) return -1;
    if (datlen >= src->total) {
        size_t n = src->total;
        if (add_buffer(dst, src) < 0) return -1;
        return int(n);
    }
    // Whole chunks move; the rest of the last one is copied.
    size_t whole = 0;
    Chunk* tail = nullptr;
    for (Chunk* c = src->first; c && whole + c->off <= datlen; c = c->next) {
        whole += c->off;
        tail = c;
    }
    size_t part = datlen - whole;
    if (whole == 0) {
        if (add_internal(dst, src->first->data(), part) < 0) return -1;
        src->first->misalign += part;
        src->first->off -= part;
        src->total -= part;
        src->n_del += part;
        run_callbacks(src, false);
        return int(datlen);
    }
    Chunk* pc = nullptr;
    if (part) {
        pc = chunk_new(part);
        if (!pc) return -1;
    }
    Chunk* head = src->first;
    src->first = tail->next;
    src->total -= whole;
    link_data(dst, head, tail, whole);
    if (pc) {
        Chunk* s = src->first;
        memcpy(pc->base, s->data(), part);
        pc->off = part;
        s->misalign += part;
        s->off -= part;
        src->total -= part;
        link_data(dst, pc, pc, part);
    }
    dst->n_add += datlen;
    src->n_del += datlen;
    run_callbacks(dst, false);
    run_callbacks(src, false);
    return int(datlen);
}

char* evbuffer_readln(struct evbuffer* b, size_t* n_read_out, enum evbuffer_eol_style style) {
    if (n_read_out) *n_read_out = 0;
    if (!b) return nullptr;
    Guard g(b);
    if (load_file_chunks(b) < 0) return nullptr;
    if (b->freeze_start) return nullptr;
    const int st = style_value(style);
    size_t n = 0, extra = 0;
    Chunk* c = b->first;
    // The usual case for the styles that end at one byte: the end is in the first chunk.
    const void* hit = nullptr;
    if (c && (st == EVBUFFER_EOL_LF || st == EVBUFFER_EOL_CRLF || st == EVBUFFER_EOL_NUL))
        hit = memchr(c->data(), st == EVBUFFER_EOL_NUL ? 0 : '\n', c->off);
    if (hit) {
        n = size_t(static_cast<const unsigned char*>(hit) - c->data());
        extra = 1;
        if (st == EVBUFFER_EOL_CRLF && n && c->data()[n - 1] == '\r') {
            --n;
            extra = 2;
        }
    } else {
        evbuffer_ptr it = search_eol(b, nullptr, &extra, st);
        if (it.pos < 0) return nullptr;
        n = size_t(it.pos);
    }
    char* line = static_cast<char*>(vigil::mm_malloc(n + 1));
    if (!line) {
        vigil_warn("%s: out of memory", __func__);
        return nullptr;
    }
    if (n + extra < c->off && !b->cbs) {
        // Line and end both inside the first chunk, which keeps more, and no callbacks
        // to tell: one copy and one step forward.
        memcpy(line, c->data(), n);
        c->misalign += n + extra;
        c->off -= n + extra;
        b->total -= n + extra;
    } else {
        remove_internal(b, line, n);
        drain(b, extra);
    }
    line[n] = '\0';
    if (n_read_out) *n_read_out = n;
    return line;
}

char* evbuffer_readline(struct evbuffer* b) { return evbuffer_readln(b, nullptr, EVBUFFER_EOL_ANY); }

int evbuffer_add_buffer(struct evbuffer* outbuf, struct evbuffer* inbuf) {
    if (!outbuf || !inbuf) return -1;
    Guard2 g(outbuf, inbuf);
    if (load_file_chunks(inbuf) < 0) return -1;
    return add_buffer(outbuf, inbuf);
}

int evbuffer_add_buffer_reference(struct evbuffer* out, struct evbuffer* in) {
    if (!out || !in) return -1;
    Guard2 g(out, in);
    size_t n = in->total;
    if (n == 0) return 0;
    if (out->freeze_end || out == in) return -1;
    // As libevent: no references to file segments or to other buffers' references.
    for (Chunk* c = in->first; c && c->off; c = c->next)
        if (c->kind == vigil::buf::kFileSeg || c->kind == vigil::buf::kView) return -1;
    Chunk* head = nullptr;
    Chunk* tail = nullptr;
    for (Chunk* c = in->first; c && c->off; c = c->next) {
        Chunk* v = chunk_header(vigil::buf::kView);
        if (!v) {
            while (head) {
                Chunk* nx = head->next;
                chunk_release(head);
                head = nx;
            }
            return -1;
        }
        ++c->refs;
        v->owner = c;
        v->base = c->base;
        v->misalign = c->misalign;
        v->off = c->off;
        v->cap = c->misalign + c->off;
        if (tail)
            tail->next = v;
        else
            head = v;
        tail = v;
    }
    link_data(out, head, tail, n);
    out->n_add += n;
    run_callbacks(out, false);
    return 0;
}

int evbuffer_add_reference(struct evbuffer* out, const void* data, size_t datlen,
                           evbuffer_ref_cleanup_cb cleanupfn, void* cleanupfn_arg) {
    if (!out || (!data && datlen)) return -1;
    Guard g(out);
    if (out->freeze_end) return -1;
    if (datlen > SIZE_MAX - out->total || datlen > kChunkMax) return -1;
    Chunk* c = chunk_header(vigil::buf::kUserRef);
    if (!c) return -1;
    c->base = static_cast<unsigned char*>(const_cast<void*>(data));
    c->cap = c->off = datlen;
    c->cleanup = cleanupfn;
    c->cleanup_arg = cleanupfn_arg;
    if (datlen == 0) {
        // Nothing to hold on to: the memory is released at once.
        chunk_release(c);
        return 0;
    }
    link_data(out, c, c, datlen);
    out->n_add += datlen;
    run_callbacks(out, false);
    return 0;
}

// ---- files

struct evbuffer_file_segment* evbuffer_file_segment_new(int fd, ev_off_t offset, ev_off_t length,
                                                        unsigned flags) {
    if (fd < 0 || offset < 0 || length < -1) return nullptr;
    struct stat st;
    if (fstat(fd, &st) < 0) return nullptr;
    if (length == -1) {
        if (st.st_size < offset) return nullptr;
        length = st.st_size - offset;
    }
    if (uint64_t(length) > kChunkMax || uint64_t(offset) > kChunkMax - uint64_t(length)) return nullptr;
    // Mapping past the end of a regular file would fault on access: refuse the range.
    if (S_ISREG(st.st_mode) && offset + length > st.st_size) return nullptr;
    evbuffer_file_segment* seg = vigil::mm_new<evbuffer_file_segment>();
    if (!seg) return nullptr;
    seg->fd = fd;
    seg->flags = flags;
    seg->offset = offset;
    seg->length = length;
    // A segment that may go out by sendfile is brought into memory only when a buffer
    // that does not drain to a descriptor takes it, or something reads its bytes.
    if ((flags & EVBUF_FS_DISABLE_SENDFILE) && seg_load(seg) < 0) {
        vigil::mm_delete(seg);
        return nullptr;
    }
    if (!(flags & EVBUF_FS_DISABLE_LOCKING)) seg->lock = vigil::lock_new();
    return seg;
}

void evbuffer_file_segment_free(struct evbuffer_file_segment* seg) {
    if (seg) seg_release(seg);
}

void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment* seg,
                                          evbuffer_file_segment_cleanup_cb cb, void* arg) {
    if (!seg) return;
    seg->cleanup = cb;
    seg->cleanup_arg = arg;
}

int evbuffer_add_file_segment(struct evbuffer* b, struct evbuffer_file_segment* seg, ev_off_t offset,
                              ev_off_t length) {
    if (!b || !seg || offset < 0 || length < -1) return -1;
    Guard g(b);
    if (length == -1) {
        if (offset > seg->length) return -1;
        length = seg->length - offset;
    }
    if (offset > seg->length || length > seg->length - offset) return -1;
    if (b->freeze_end) return -1;
    if (size_t(length) > SIZE_MAX - b->total) return -1;
    if (length == 0) return 0;
    const bool by_sendfile = (b->flags & EVBUFFER_FLAG_DRAINS_TO_FD) && !(seg->flags & EVBUF_FS_DISABLE_SENDFILE);
    if (!by_sendfile && seg_load(seg) < 0) return -1;
    Chunk* c = chunk_header(vigil::buf::kFileSeg);
    if (!c) return -1;
    seg_ref(seg);
    c->seg = seg;
    c->seg_off = size_t(offset);
    // A chunk bound for sendfile starts without bytes even if the segment has them
    // (contents may only be read under the segment's lock: load_file_chunks does).
    c->base = by_sendfile ? nullptr : seg->contents + offset;
    c->cap = c->off = size_t(length);
    link_data(b, c, c, size_t(length));
    b->n_add += size_t(length);
    run_callbacks(b, false);
    return 0;
}

int evbuffer_add_file(struct evbuffer* b, int fd, ev_off_t offset, ev_off_t length) {
    if (!b) return -1;
    evbuffer_file_segment* seg = evbuffer_file_segment_new(fd, offset, length, EVBUF_FS_CLOSE_ON_FREE);
    if (!seg) return -1;
    int r = evbuffer_add_file_segment(b, seg, 0, -1);
    // On failure the caller keeps its descriptor.
    if (r < 0) seg->flags &= ~unsigned(EVBUF_FS_CLOSE_ON_FREE);
    evbuffer_file_segment_free(seg);
    return r;
}

// ---- printf

int evbuffer_add_vprintf(struct evbuffer* b, const char* fmt, va_list ap) {
    if (!b || !fmt) return -1;
    Guard g(b);
    if (b->freeze_end) return -1;
    size_t want = 64;
    for (int round = 0; round < 2; ++round) {
        Chunk* c = ensure_contig(b, want);
        if (!c) return -1;
        size_t space = c->space();
        va_list aq;
        va_copy(aq, ap);
        int n = vsnprintf(reinterpret_cast<char*>(c->data() + c->off), space, fmt, aq);
        va_end(aq);
        if (n < 0) return -1;
        if (size_t(n) < space) {
            if (size_t(n) > SIZE_MAX - b->total) return -1;
            c->off += size_t(n);
            if (n > 0) settle(b, c);
            b->total += size_t(n);
            b->n_add += size_t(n);
            run_callbacks(b, false);
            return n;
        }
        want = size_t(n) + 1;
    }
    return -1;
}

int evbuffer_add_printf(struct evbuffer* b, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = evbuffer_add_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

namespace {
__attribute__((noinline)) int drain_slow(evbuffer* b, size_t len) {
    if (!b) return -1;
    Guard g(b);
    return drain(b, len);
}
}  // namespace

int evbuffer_drain(struct evbuffer* b, size_t len) {
    // Part of the first chunk, or all of a buffer that keeps its only chunk: no chunk is freed.
    if (VIGIL_LIKELY(plain(b) && !b->freeze_start && b->first)) {
        Chunk* c = b->first;
        if (len < c->off) {
            c->misalign += len;
            c->off -= len;
            b->total -= len;
            b->n_add = b->n_del = 0;
            return 0;
        }
        if (len >= b->total && empty_in_place(b)) {
            b->n_add = b->n_del = 0;
            return 0;
        }
    }
    return drain_slow(b, len);
}

// ---- I/O

}  // extern "C"

namespace {
// When b drains to a descriptor and starts with a file segment that allows it, sends
// (part of) that segment with sendfile: returns true with the result in *n (-1 and
// errno as for writev). Returns false where sendfile cannot serve (the caller writes
// the mapped or read copy instead), also when the kernel refuses this pair of files.
bool sendfile_first(evbuffer* b, evutil_socket_t fd, size_t most, int* n) {
    Chunk* c = b->first;
    if (!goes_by_sendfile(b, c)) return false;
    size_t len = c->off < most ? c->off : most;
    off_t at = off_t(c->seg->offset) + off_t(c->seg_off + c->misalign);
    ssize_t r = sendfile(fd, c->seg->fd, &at, len);
    // The kernel cannot send from this file to this descriptor: write its bytes instead.
    if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
        if (load_file_chunks(b) == 0) return false;
        *n = -1;
        return true;
    }
    *n = int(r);
    return true;
}
}  // namespace

extern "C" {

int evbuffer_write_atmost(struct evbuffer* b, evutil_socket_t fd, ev_ssize_t howmuch) {
    if (!b) return -1;
    Guard g(b);
    if (b->freeze_start) return -1;
    if (howmuch < 0 || size_t(howmuch) > b->total) howmuch = ev_ssize_t(b->total);
    int n = -1;
    if (howmuch > 0 && sendfile_first(b, fd, size_t(howmuch), &n)) {
        if (n > 0) drain(b, size_t(n));
    } else if (howmuch > 0) {
        iovec iov[kMaxWriteIov];
        int cnt = 0;
        size_t left = size_t(howmuch);
        for (Chunk* c = b->first; c && c->off && left && cnt < kMaxWriteIov; c = c->next) {
            if (cnt && goes_by_sendfile(b, c)) break;  // the next call sends it
            size_t take = c->off < left ? c->off : left;
            iov[cnt].iov_base = c->data();
            iov[cnt].iov_len = take;
            ++cnt;
            left -= take;
        }
        ssize_t r = writev(fd, iov, cnt);
        n = int(r);
        if (r > 0) drain(b, size_t(r));
    }
    return n;
}

int evbuffer_write(struct evbuffer* b, evutil_socket_t fd) { return evbuffer_write_atmost(b, fd, -1); }

int evbuffer_read(struct evbuffer* b, evutil_socket_t fd, int howmuch) {
    if (!b) return -1;
    Guard g(b);
    if (b->freeze_end) return -1;
    int avail = 0;
    if (ioctl(fd, FIONREAD, &avail) < 0) avail = 0;
    size_t n = (avail <= 0 || size_t(avail) > kMaxRead) ? kMaxRead : size_t(avail);
    if (howmuch >= 0 && size_t(howmuch) < n) n = size_t(howmuch);
    if (n > SIZE_MAX - b->total) return -1;
    evbuffer_iovec vec[kMaxReadIov];
    int cnt = n ? make_space(b, n, vec, kMaxReadIov, true) : 0;
    if (cnt < 0) return -1;
    ssize_t r = readv(fd, vec, cnt);
    if (r < 0) return -1;
    if (r == 0) return 0;
    commit_bytes(b, size_t(r));
    run_callbacks(b, false);
    return int(r);
}

// ---- search and positions

struct evbuffer_ptr evbuffer_search(struct evbuffer* b, const char* what, size_t len,
                                    const struct evbuffer_ptr* start) {
    if (!b) return not_found();
    Guard g(b);
    if (load_file_chunks(b) < 0) return not_found();
    return search_range(b, what, len, start, nullptr);
}

struct evbuffer_ptr evbuffer_search_range(struct evbuffer* b, const char* what, size_t len,
                                          const struct evbuffer_ptr* start,
                                          const struct evbuffer_ptr* end) {
    if (!b) return not_found();
    Guard g(b);
    if (load_file_chunks(b) < 0) return not_found();
    return search_range(b, what, len, start, end);
}

namespace {
__attribute__((noinline)) int ptr_set_slow(evbuffer* b, evbuffer_ptr* ptr, size_t position,
                                           evbuffer_ptr_how how) {
    if (!b || !ptr) return -1;
    Guard g(b);
    size_t target;
    if (how == EVBUFFER_PTR_SET) {
        target = position;
    } else if (how == EVBUFFER_PTR_ADD) {
        if (ptr->pos < 0 || SIZE_MAX - position < size_t(ptr->pos)) return -1;
        target = size_t(ptr->pos) + position;
    } else {
        return -1;
    }
    if (target > b->total) {
        *ptr = not_found();
        return -1;
    }
    locate(b, target, ptr);
    return 0;
}
}  // namespace

int evbuffer_ptr_set(struct evbuffer* b, struct evbuffer_ptr* ptr, size_t position,
                     enum evbuffer_ptr_how how) {
    // A position in the first chunk (a boundary belongs to the next chunk, as in locate).
    if (VIGIL_LIKELY(b && ptr && !b->lock && how == EVBUFFER_PTR_SET && b->first && position < b->first->off)) {
        ptr->pos = ev_ssize_t(position);
        ptr->internal_.chain = b->first;
        ptr->internal_.pos_in_chain = position;
        return 0;
    }
    return ptr_set_slow(b, ptr, position, how);
}

struct evbuffer_ptr evbuffer_search_eol(struct evbuffer* b, struct evbuffer_ptr* start, size_t* eol_len_out,
                                        enum evbuffer_eol_style eol_style) {
    if (!b) {
        if (eol_len_out) *eol_len_out = 0;
        return not_found();
    }
    Guard g(b);
    if (load_file_chunks(b) < 0) return not_found();
    return search_eol(b, start, eol_len_out, style_value(eol_style));
}

int evbuffer_peek(struct evbuffer* b, ev_ssize_t len, struct evbuffer_ptr* start_at, struct evbuffer_iovec* vec,
                  int n_vec) {
    if (!b || n_vec < 0 || (n_vec > 0 && !vec)) return -1;
    Guard g(b);
    if (load_file_chunks(b) < 0) return -1;
    Chunk* c;
    size_t so_far = 0;
    int idx = 0;
    if (start_at) {
        c = static_cast<Chunk*>(start_at->internal_.chain);
        if (start_at->pos < 0 || !c) return 0;
        so_far = c->off - start_at->internal_.pos_in_chain;
        if (n_vec > 0) {
            vec[0].iov_base = c->data() + start_at->internal_.pos_in_chain;
            vec[0].iov_len = so_far;
        }
        idx = 1;
        c = c->next;
    } else {
        c = b->first;
    }
    if (n_vec == 0 && len < 0) {
        len = ev_ssize_t(b->total);
        if (start_at) len -= start_at->pos;
    }
    for (; c && c->off; c = c->next) {
        if (len >= 0 && so_far >= size_t(len)) break;
        if (idx < n_vec) {
            vec[idx].iov_base = c->data();
            vec[idx].iov_len = c->off;
        } else if (len < 0) {
            break;
        }
        ++idx;
        so_far += c->off;
    }
    return idx;
}

// ---- callbacks

struct evbuffer_cb_entry* evbuffer_add_cb(struct evbuffer* b, evbuffer_cb_func cb, void* cbarg) {
    return b ? add_func_cb(b, cb, cbarg, false) : nullptr;
}

int evbuffer_remove_cb_entry(struct evbuffer* b, struct evbuffer_cb_entry* ent) {
    if (!b || !ent) return -1;
    Guard g(b);
    CbEntry* e = reinterpret_cast<CbEntry*>(ent);
    for (CbEntry* x = b->cbs; x; x = x->next) {
        if (x == e && !x->dead) {
            unlink_cb(b, e);
            return 0;
        }
    }
    return -1;
}

int evbuffer_remove_cb(struct evbuffer* b, evbuffer_cb_func cb, void* cbarg) {
    if (!b) return -1;
    Guard g(b);
    for (CbEntry* e = b->cbs; e; e = e->next) {
        if (!e->dead && !e->is_obsolete && e->cb.func == cb && e->arg == cbarg) {
            unlink_cb(b, e);
            return 0;
        }
    }
    return -1;
}

int evbuffer_cb_set_flags(struct evbuffer* b, struct evbuffer_cb_entry* ent, ev_uint32_t flags) {
    if (!b || !ent) return -1;
    Guard g(b);
    reinterpret_cast<CbEntry*>(ent)->flags |= (flags & EVBUFFER_CB_ENABLED);
    return 0;
}

int evbuffer_cb_clear_flags(struct evbuffer* b, struct evbuffer_cb_entry* ent, ev_uint32_t flags) {
    if (!b || !ent) return -1;
    Guard g(b);
    reinterpret_cast<CbEntry*>(ent)->flags &= ~(flags & EVBUFFER_CB_ENABLED);
    return 0;
}

int evbuffer_setcb(struct evbuffer* b, evbuffer_cb cb, void* cbarg) {
    if (!b) return -1;
    Guard g(b);
    for (CbEntry* e = b->cbs; e; e = e->next) e->dead = true;
    b->cb_dead = true;
    b->n_general_cbs = 0;
    if (b->cb_depth == 0) purge_dead(b);
    if (!cb) return 0;
    CbEntry* e = new_cb(b, false);
    if (!e) return -1;
    e->cb.obsolete = cb;
    e->is_obsolete = true;
    e->arg = cbarg;
    return 0;
}

// ---- rearranging

unsigned char* evbuffer_pullup(struct evbuffer* b, ev_ssize_t size) {
    if (!b) return nullptr;
    Guard g(b);
    if (load_file_chunks(b) < 0) return nullptr;
    if (size < 0) size = ev_ssize_t(b->total);
    if (size == 0 || size_t(size) > b->total) return nullptr;
    size_t want = size_t(size);
    Chunk* c = b->first;
    if (c->off >= want) return c->data();
    Chunk* dst;
    Chunk* from;
    size_t have;
    if (c->writable() && c->cap >= want) {
        if (c->cap - c->misalign < want) {
            memmove(c->base, c->data(), c->off);
            c->misalign = 0;
        }
        dst = c;
        from = c->next;
        have = c->off;
    } else {
        dst = chunk_new(want);
        if (!dst) return nullptr;
        from = c;
        have = 0;
    }
    bool took_ld = false, took_last = false;
    while (have < want) {
        Chunk* s = from;
        size_t take = s->off < want - have ? s->off : want - have;
        memcpy(dst->data() + dst->off, s->data(), take);
        dst->off += take;
        have += take;
        if (take == s->off) {
            from = s->next;
            if (s == b->last_data) took_ld = true;
            if (s == b->last) took_last = true;
            chunk_release(s);
        } else {
            s->misalign += take;
            s->off -= take;
        }
    }
    dst->next = from;
    b->first = dst;
    if (took_ld) b->last_data = dst;
    if (took_last) b->last = dst;
    return dst->data();
}

namespace {
int prepend_general(evbuffer* b, const void* data, size_t size);

int prepend_internal(evbuffer* b, const void* data, size_t size) {
    if (size == 0) return 0;  // even when frozen, as in libevent
    if (b->freeze_start) return -1;
    if (size > SIZE_MAX - b->total) return -1;
    if (prepend_in_place(b, data, size)) {
        b->n_add += size;
        run_callbacks(b, false);
        return 0;
    }
    return prepend_general(b, data, size);
}

__attribute__((noinline)) int prepend_general(evbuffer* b, const void* data, size_t size) {
    Chunk* c = b->first;
    size_t fit = 0;
    bool empty_first = c && c->off == 0;
    if (c && c->writable()) fit = empty_first ? c->cap : c->misalign;
    if (fit > size) fit = size;
    Chunk* n = nullptr;
    if (fit < size) {
        n = chunk_new(size - fit);
        if (!n) return -1;
    }
    const unsigned char* src = static_cast<const unsigned char*>(data);
    if (fit) {
        if (empty_first) c->misalign = c->cap;
        c->misalign -= fit;
        c->off += fit;
        memcpy(c->data(), src + size - fit, fit);
        if (empty_first) {
            // c was empty space at the end: it is now the only data chunk.
            Chunk* rest = c->next;
            c->next = nullptr;
            while (rest) {
                Chunk* nx = rest->next;
                chunk_release(rest);
                rest = nx;
            }
            b->last_data = b->last = c;
        }
    }
    if (n) {
        size_t k = size - fit;
        n->misalign = n->cap - k;
        n->off = k;
        memcpy(n->data(), src, k);
        if (!b->last_data) {
            free_trailing(b);
            b->first = b->last = b->last_data = n;
        } else {
            n->next = b->first;
            b->first = n;
        }
    }
    b->total += size;
    b->n_add += size;
    run_callbacks(b, false);
    return 0;
}
}  // namespace

namespace {
__attribute__((noinline)) int prepend_slow(evbuffer* b, const void* data, size_t size) {
    if (!b || (!data && size)) return -1;
    Guard g(b);
    return prepend_internal(b, data, size);
}
}  // namespace

int evbuffer_prepend(struct evbuffer* b, const void* data, size_t size) {
    if (VIGIL_LIKELY(plain(b) && data && !b->freeze_start)) {
        b->n_add = b->n_del = 0;
        if (prepend_in_place(b, data, size)) return 0;
    }
    return prepend_slow(b, data, size);
}

int evbuffer_prepend_buffer(struct evbuffer* dst, struct evbuffer* src) {
    if (!dst || !src) return -1;
    Guard2 g(dst, src);
    if (load_file_chunks(src) < 0) return -1;
    size_t n = src->total;
    if (n == 0 || dst == src) return 0;
    if (dst->freeze_start || src->freeze_start) return -1;
    free_trailing(src);
    Chunk* head = src->first;
    Chunk* tail = src->last_data;
    src->first = src->last = src->last_data = nullptr;
    src->total = 0;
    if (!dst->last_data) {
        free_trailing(dst);
        dst->first = head;
        dst->last_data = dst->last = tail;
    } else {
        tail->next = dst->first;
        dst->first = head;
    }
    dst->total += n;
    src->n_del += n;
    dst->n_add += n;
    run_callbacks(src, false);
    run_callbacks(dst, false);
    return 0;
}

int evbuffer_freeze(struct evbuffer* b, int at_front) {
    if (!b) return -1;
    Guard g(b);
    if (at_front)
        b->freeze_start = true;
    else
        b->freeze_end = true;
    return 0;
}

int evbuffer_unfreeze(struct evbuffer* b, int at_front) {
    if (!b) return -1;
    Guard g(b);
    if (at_front)
        b->freeze_start = false;
    else
        b->freeze_end = false;
    return 0;
}

int evbuffer_defer_callbacks(struct evbuffer* b, struct event_base* base) {
    if (!b || !base) return -1;
    Guard g(b);
    event* ev = event_new(base, -1, 0, deferred_cb, b);
    if (!ev) return -1;
    if (b->defer_ev) event_free(b->defer_ev);
    b->defer_ev = ev;
    b->deferred = true;
    return 0;
}

size_t evbuffer_add_iovec(struct evbuffer* b, struct evbuffer_iovec* vec, int n_vec) {
    if (!b || n_vec < 0 || (n_vec > 0 && !vec)) return 0;
    Guard g(b);
    size_t total = 0;
    for (int i = 0; i < n_vec; ++i) {
        if (vec[i].iov_len > SIZE_MAX - total) return 0;
        total += vec[i].iov_len;
    }
    if (b->freeze_end || total > SIZE_MAX - b->total) return 0;
    if (total && !ensure_contig(b, 0)) return 0;
    size_t done = 0;
    for (int i = 0; i < n_vec; ++i) {
        if (add_internal(b, vec[i].iov_base, vec[i].iov_len) < 0) break;
        done += vec[i].iov_len;
    }
    return done;
}

unsigned char* evbuffer_find(struct evbuffer* b, const unsigned char* what, size_t len) {
    if (!b) return nullptr;
    Guard g(b);
    if (load_file_chunks(b) < 0) return nullptr;
    evbuffer_ptr p = search_range(b, reinterpret_cast<const char*>(what), len, nullptr, nullptr);
    if (p.pos < 0) return nullptr;
    unsigned char* d = evbuffer_pullup(b, p.pos + ev_ssize_t(len));
    return d ? d + p.pos : nullptr;
}

}  // extern "C"
