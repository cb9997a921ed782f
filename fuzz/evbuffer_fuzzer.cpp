// libFuzzer target: evbuffer (event2/buffer.h), every answer checked against a model.
//
// The input is a little program: a sequence of operations on three buffers, each
// operation an opcode byte followed by its arguments (see run_op). Each buffer has a
// model, the std::string its contents must equal, plus its frozen ends and, per byte,
// whether the byte sits in a chunk made by evbuffer_add_buffer_reference.
// Checked:
//  * every return value (counts, -1, NULL, positions, eol lengths, vector counts) is
//    the one libevent 2.1.12 gives for the model's contents;
//  * after every operation evbuffer_get_length equals the model's length for all three
//    buffers, and so does the length reported to a callback (evbuffer_add_cb): each
//    report starts from the length the previous one ended with;
//  * every 8 operations and at the end the whole contents, read with evbuffer_peek
//    (bytes in place) and evbuffer_copyout;
//  * bytes handed out (remove, copyout, copyout_from, readln, pullup, peek, reserved
//    space) equal the model's, and nothing is written past what was asked for;
//  * lengths no allocation can satisfy (SIZE_MAX, values near it, around EV_SSIZE_MAX,
//    past the end) fail or are clamped as libevent's are, and a refusal leaves the
//    buffer exactly as it was;
//  * evbuffer_add_reference: the cleanup callback runs exactly once per accepted
//    reference (by the time every buffer is freed), never for a refused one, with the
//    original pointer and length. The referenced memory is freed by the callback, so
//    ASan reports any later read of it;
//  * once the buffers are freed, every block the library allocated (through
//    event_set_mem_functions hooks, which also refuse requests over 1 GiB) is freed.
// Buffers use no locking and no deferred callbacks.
//
// Built with -DEVBUFFER_FUZZ_SYSTEM_LIBEVENT and linked with the system's -levent
// instead of vigil (see README.md), the same program checks the model itself against
// libevent 2.1.12. Left out there is what libevent itself gets wrong: the oversized
// evbuffer_prepend and evbuffer_add_reference calls (not refused safely), prepending
// to an empty buffer (a later multi-extent reservation fails an assertion), and the
// leak checks (libevent leaks a buffer holding references to its own chunks; run it
// with ASAN_OPTIONS=detect_leaks=0).
//
// Four differences this fuzzer found are fixed and pinned here: add_buffer_reference
// from a buffer holding references (refused), a reservation of 0 bytes (describes free
// space that commits), prepending 0 bytes at a frozen front (0), and an eol style
// outside the enum (no line end, not undefined behaviour).
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int kBuffers = 3;
constexpr size_t kSsizeMax = size_t(EV_SSIZE_MAX);
constexpr int kMaxVec = 8;
constexpr size_t kGuard = 16;
constexpr unsigned char kFill = 0xa5;
constexpr int kFullCheckEvery = 8;
constexpr size_t kMaxReferenced = 256 * 1024;

// Per byte of a model: is it in a chunk made by evbuffer_add_buffer_reference?
constexpr char kOwn = 'o';    // no
constexpr char kView = 'v';   // yes
constexpr char kMaybe = 'm';  // perhaps: a copy of it may have been made (pullup, a
                              // partial remove_buffer), depending on chunk layout

const char* g_op = "start";

[[noreturn]] void fail(const char* what, int line) {
  fprintf(stderr, "fuzz: FINDING: evbuffer: check failed: %s (line %d, in %s)\n", what, line, g_op);
  abort();
}

#define CHECK(cond)                       \
  do {                                    \
    if (!(cond)) fail(#cond, __LINE__);   \
  } while (0)

// VIGIL_FUZZ_TRACE=1: print each operation (to read what an input does).
bool trace() {
  static const bool on = [] {
    const char* e = getenv("VIGIL_FUZZ_TRACE");
    return e && strcmp(e, "1") == 0;
  }();
  return on;
}

// Reads the input front to back; past its end every read gives zeros.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool done() const { return n_ == 0; }
  uint8_t u8() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  uint16_t u16() {
    uint16_t lo = u8();
    return uint16_t(lo | (u8() << 8));
  }
  // Up to `want` bytes of the input itself.
  std::string bytes(size_t want) {
    size_t k = want < n_ ? want : n_;
    std::string s(reinterpret_cast<const char*>(p_), k);
    p_ += k;
    n_ -= k;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

struct Model {
  std::string data;  // expected contents
  std::string tags;  // one of kOwn, kView, kMaybe per byte of data
  bool freeze_start = false;
  bool freeze_end = false;

  size_t size() const { return data.size(); }
  void append(const std::string& d, char tag) {
    data += d;
    tags.append(d.size(), tag);
  }
  void append_tagged(const std::string& d, const std::string& t) {
    data += d;
    tags += t;
  }
  void prepend_tagged(const std::string& d, const std::string& t) {
    data.insert(0, d);
    tags.insert(0, t);
  }
  void drop_front(size_t n) {
    data.erase(0, n);
    tags.erase(0, n);
  }
  void clear() {
    data.clear();
    tags.clear();
  }
  bool has(char tag) const { return tags.find(tag) != std::string::npos; }
  // Bytes [0, n) may have been copied out of their chunks.
  void blur_front(size_t n) {
    for (size_t i = 0; i < n && i < tags.size(); ++i)
      if (tags[i] == kView) tags[i] = kMaybe;
  }
};

// The callback's view of a buffer's length: each report must start where the previous
// one ended and end at the buffer's current length.
struct Watch {
  evbuffer* buf = nullptr;
  size_t len = 0;
};

void watch_cb(evbuffer* b, const evbuffer_cb_info* info, void* arg) {
  Watch* w = static_cast<Watch*>(arg);
  CHECK(b == w->buf);
  CHECK(info->orig_size == w->len);
  CHECK(info->n_deleted <= info->orig_size + info->n_added);
  w->len = info->orig_size + info->n_added - info->n_deleted;
  CHECK(w->len == evbuffer_get_length(b));
}

// The library allocates through these (event_set_mem_functions): a request no real
// allocation could satisfy gets NULL, as from an allocator out of memory (without
// reaching ASan's allocator, which would stop the run), and the blocks still live are
// counted, so that a leak shows after every input.
constexpr size_t kAllocLimit = size_t(1) << 30;
long g_live_blocks = 0;

void* fuzz_malloc(size_t n) {
  if (n > kAllocLimit) return nullptr;
  void* p = malloc(n);
  if (p) ++g_live_blocks;
  return p;
}

void* fuzz_realloc(void* p, size_t n) {
  if (!p) return fuzz_malloc(n);
  if (n > kAllocLimit) return nullptr;
  return realloc(p, n ? n : 1);
}

void fuzz_free(void* p) {
  if (!p) return;
  --g_live_blocks;
  free(p);
}

// Memory given to evbuffer_add_reference.
struct Ref {
  unsigned char* mem = nullptr;
  size_t len = 0;
  bool with_cleanup = true;
  bool added = false;  // accepted by the buffer (set before the call)
  int calls = 0;
};

void ref_cleanup(const void* data, size_t len, void* arg) {
  Ref* r = static_cast<Ref*>(arg);
  CHECK(r->added);
  CHECK(r->calls == 0);
  CHECK(data == r->mem);
  CHECK(len == r->len);
  ++r->calls;
  free(r->mem);
  r->mem = nullptr;
}

struct State {
  evbuffer* buf[kBuffers] = {};
  Model model[kBuffers];
  Watch watch[kBuffers];
  std::vector<std::unique_ptr<Ref>> refs;
};

// ---- model answers

struct Eol {
  ev_ssize_t pos = -1;
  size_t len = 0;
};

Eol model_eol(const std::string& d, ev_ssize_t from, int style) {
  Eol r;
  if (from < 0) return r;
  size_t f = std::string::npos;
  size_t len = 0;
  switch (style) {
    case EVBUFFER_EOL_ANY:
      f = d.find_first_of("\r\n", size_t(from));
      if (f != std::string::npos) {
        size_t e = d.find_first_not_of("\r\n", f);
        len = (e == std::string::npos ? d.size() : e) - f;
      }
      break;
    case EVBUFFER_EOL_CRLF_STRICT:
      f = d.find("\r\n", size_t(from));
      len = 2;
      break;
    case EVBUFFER_EOL_CRLF:
      f = d.find('\n', size_t(from));
      len = 1;
      // A CR right before the LF belongs to the end of line, unless the LF is where
      // the search started.
      if (f != std::string::npos && f > size_t(from) && d[f - 1] == '\r') {
        --f;
        len = 2;
      }
      break;
    case EVBUFFER_EOL_LF:
      f = d.find('\n', size_t(from));
      len = 1;
      break;
    case EVBUFFER_EOL_NUL:
      f = d.find('\0', size_t(from));
      len = 1;
      break;
    default:  // not a style: never found
      break;
  }
  if (f == std::string::npos) return r;
  r.pos = ev_ssize_t(f);
  r.len = len;
  return r;
}

// Text with few distinct bytes (line ends, NULs) in a handful of shapes.
std::string pattern(size_t len, uint8_t seed) {
  static const char kAlphabet[8] = {'a', 'b', '\r', '\n', '\0', 'x', '\r', '\n'};
  std::string s(len, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < len; ++i) {
    switch (seed % 4) {
      case 0: s[i] = kAlphabet[(seed / 4) % 8]; break;
      case 1: s[i] = char('a' + (i + seed) % 26); break;
      case 2: s[i] = kAlphabet[(i * 7 + seed / 4) % 8]; break;
      default:
        x = x * 1103515245u + 12345u;
        s[i] = char(x >> 24);
        break;
    }
  }
  return s;
}

// ---- argument helpers

// A pattern of up to max - 1 bytes, its length and shape read from the input.
std::string read_pattern(Reader& in, size_t max) {
  size_t len = in.u16() % max;
  return pattern(len, in.u8());
}

// A length for calls that clamp it to the buffer (remove, drain, copyout).
size_t clamped_len(Reader& in, size_t total) {
  uint8_t sel = in.u8();
  uint8_t k = in.u8();
  switch (sel % 8) {
    case 0:
    case 1:
    case 2: return k;
    case 3: return total > k ? total - k : 0;
    case 4: return total + k;
    case 5: return SIZE_MAX - k;
    case 6: return kSsizeMax + k;
    default: return (size_t(k) << 8) | in.u8();
  }
}

// A length no allocation can satisfy (or that overflows the buffer's length); when
// above_ssize_max, one that is also larger than EV_SSIZE_MAX or overflows the length
// (evbuffer_add_reference allocates nothing, so only those are refused).
size_t huge_len(Reader& in, size_t total, bool above_ssize_max) {
  uint8_t sel = in.u8();
  uint8_t k = in.u8();
  switch (sel % (above_ssize_max ? 5 : 7)) {
    case 0: return SIZE_MAX - k;
    case 1: return SIZE_MAX - total - k;
    case 2: return total ? SIZE_MAX - total + 1 + (k % total) : SIZE_MAX;  // overflows total
    case 3: return kSsizeMax + 1 + k;
    case 4: return SIZE_MAX - (size_t(k) << 40);
    case 5: return kSsizeMax - k;
    default:
      // Only the allocator can refuse this one.
      return (size_t(1) << (40 + k % 23)) + k;
  }
}

// Sets *p with evbuffer_ptr_set to a position read from the input and checks the
// answer. Returns the position, or -1 when the position was past the end (p is then
// "not found"); with valid_only, always a position within the buffer.
ev_ssize_t make_ptr(State& s, int i, Reader& in, evbuffer_ptr* p, bool valid_only) {
  evbuffer* b = s.buf[i];
  const size_t total = s.model[i].size();
  uint8_t how = in.u8();
  size_t pos = in.u16() % (total + 2);
  if (valid_only && pos > total) pos = total;
  memset(p, 0x5a, sizeof *p);
  switch (how % 6) {
    case 0: {  // in two steps, EVBUFFER_PTR_SET then EVBUFFER_PTR_ADD
      if (pos > total) break;
      size_t first = in.u8() % (pos + 1);
      CHECK(evbuffer_ptr_set(b, p, first, EVBUFFER_PTR_SET) == 0);
      CHECK(p->pos == ev_ssize_t(first));
      CHECK(evbuffer_ptr_set(b, p, pos - first, EVBUFFER_PTR_ADD) == 0);
      CHECK(p->pos == ev_ssize_t(pos));
      return ev_ssize_t(pos);
    }
    case 1: {  // far past the end
      if (valid_only) break;
      CHECK(evbuffer_ptr_set(b, p, SIZE_MAX - in.u8(), EVBUFFER_PTR_SET) == -1);
      CHECK(p->pos == -1);
      return -1;
    }
    case 2: {  // advanced past the end
      if (valid_only || pos > total) break;
      CHECK(evbuffer_ptr_set(b, p, pos, EVBUFFER_PTR_SET) == 0);
      CHECK(evbuffer_ptr_set(b, p, total - pos + 1 + in.u8(), EVBUFFER_PTR_ADD) == -1);
      CHECK(p->pos == -1);
      return -1;
    }
    default:
      break;
  }
  int r = evbuffer_ptr_set(b, p, pos, EVBUFFER_PTR_SET);
  if (pos <= total) {
    CHECK(r == 0);
    CHECK(p->pos == ev_ssize_t(pos));
    return ev_ssize_t(pos);
  }
  CHECK(r == -1);
  CHECK(p->pos == -1);
  return -1;
}

// ---- checks

void check_lengths(const State& s) {
  for (int i = 0; i < kBuffers; ++i) {
    CHECK(evbuffer_get_length(s.buf[i]) == s.model[i].size());
    CHECK(s.watch[i].len == s.model[i].size());
  }
}

void check_contents(const State& s, int i) {
  evbuffer* b = s.buf[i];
  const std::string& want = s.model[i].data;
  int n = evbuffer_peek(b, -1, nullptr, nullptr, 0);
  CHECK(n >= 0);
  CHECK((n == 0) == want.empty());
  std::vector<evbuffer_iovec> v(size_t(n) + 1);
  CHECK(evbuffer_peek(b, -1, nullptr, v.data(), n) == n);
  size_t at = 0;
  for (int k = 0; k < n; ++k) {
    CHECK(v[k].iov_len <= want.size() - at);
    if (v[k].iov_len) CHECK(memcmp(v[k].iov_base, want.data() + at, v[k].iov_len) == 0);
    at += v[k].iov_len;
  }
  CHECK(at == want.size());
  if (!s.model[i].freeze_start) {
    std::string out(want.size() + kGuard, char(kFill));
    CHECK(evbuffer_copyout(b, out.data(), want.size()) == ev_ssize_t(want.size()));
    CHECK(out.compare(0, want.size(), want) == 0);
    for (size_t k = want.size(); k < out.size(); ++k) CHECK(out[k] == char(kFill));
  }
}

void check_all(const State& s) {
  check_lengths(s);
  for (int i = 0; i < kBuffers; ++i) check_contents(s, i);
}

// An output area of n bytes followed by a guard.
struct OutBuf {
  std::vector<unsigned char> mem;
  explicit OutBuf(size_t n) : mem(n + kGuard, kFill) {}
  unsigned char* data() { return mem.data(); }
  // Bytes [0, written) equal `want`, and nothing after them changed.
  void check(const char* want, size_t written) const {
    if (written) CHECK(memcmp(mem.data(), want, written) == 0);
    for (size_t k = written; k < mem.size(); ++k) CHECK(mem[k] == kFill);
  }
};

// ---- operations

void op_add(State& s, Reader& in, int i, bool fill) {
  g_op = fill ? "evbuffer_add (pattern)" : "evbuffer_add";
  Model& m = s.model[i];
  std::string d = fill ? read_pattern(in, 6000) : in.bytes(in.u8());
  // ASan sees any read past the data: it has an allocation of its exact size.
  std::unique_ptr<char[]> copy(new char[d.size() ? d.size() : 1]);
  memcpy(copy.get(), d.data(), d.size());
  int r = evbuffer_add(s.buf[i], copy.get(), d.size());
  if (m.freeze_end) {
    CHECK(r == -1);
    return;
  }
  CHECK(r == 0);
  m.append(d, kOwn);
}

void op_add_iovec(State& s, Reader& in, int i) {
  g_op = "evbuffer_add_iovec";
  Model& m = s.model[i];
  const int n = in.u8() % 5;
  std::string part[4];
  std::unique_ptr<char[]> mem[4];
  evbuffer_iovec vec[4];
  std::string all;
  for (int k = 0; k < n; ++k) {
    uint8_t sel = in.u8();
    part[k] = (sel & 1) ? read_pattern(in, 3000) : in.bytes(sel >> 1);
    mem[k].reset(new char[part[k].size() ? part[k].size() : 1]);
    memcpy(mem[k].get(), part[k].data(), part[k].size());
    vec[k].iov_base = mem[k].get();
    vec[k].iov_len = part[k].size();
    all += part[k];
  }
  size_t r = evbuffer_add_iovec(s.buf[i], n ? vec : nullptr, n);
  if (m.freeze_end) {
    CHECK(r == 0);
    return;
  }
  CHECK(r == all.size());
  m.append(all, kOwn);
}

void op_add_printf(State& s, Reader& in, int i) {
  g_op = "evbuffer_add_printf";
  Model& m = s.model[i];
  uint8_t sel = in.u8();
  // Text up to its first NUL, as %s reads it.
  std::string text = (sel & 1) ? read_pattern(in, 3000) : in.bytes(sel >> 2);
  text = text.c_str();
  const int prec = in.u8();
  int r;
  std::string want;
  char num[32];
  switch ((sel >> 1) % 3) {
    case 0:
      r = evbuffer_add_printf(s.buf[i], "%s", text.c_str());
      want = text;
      break;
    case 1:
      r = evbuffer_add_printf(s.buf[i], "[%s|%s]%d", text.c_str(), text.c_str(), prec);
      snprintf(num, sizeof num, "%d", prec);
      want = "[" + text + "|" + text + "]" + num;
      break;
    default:
      r = evbuffer_add_printf(s.buf[i], "%.*s", prec, text.c_str());
      want = text.substr(0, size_t(prec));
      break;
  }
  if (m.freeze_end) {
    CHECK(r == -1);
    return;
  }
  CHECK(r == int(want.size()));
  m.append(want, kOwn);
}

void op_prepend(State& s, Reader& in, int i) {
  g_op = "evbuffer_prepend";
  Model& m = s.model[i];
  uint8_t sel = in.u8();
  std::string d = (sel & 1) ? read_pattern(in, 5000) : in.bytes(sel >> 1);
#ifdef EVBUFFER_FUZZ_SYSTEM_LIBEVENT
  // libevent 2.1.12 fails an assertion in a later multi-extent evbuffer_reserve_space
  // on a buffer whose only chunk was made by a prepend.
  if (m.size() == 0) return;
#endif
  std::unique_ptr<char[]> copy(new char[d.size() ? d.size() : 1]);
  memcpy(copy.get(), d.data(), d.size());
  int r = evbuffer_prepend(s.buf[i], copy.get(), d.size());
  if (d.empty()) {
    // libevent: 0 for nothing to prepend, frozen or not.
    CHECK(r == 0);
    return;
  }
  if (m.freeze_start) {
    CHECK(r == -1);
    return;
  }
  CHECK(r == 0);
  m.prepend_tagged(d, std::string(d.size(), kOwn));
}

void op_add_buffer(State& s, int out, int src) {
  g_op = "evbuffer_add_buffer";
  Model& mo = s.model[out];
  Model& mi = s.model[src];
  int r = evbuffer_add_buffer(s.buf[out], s.buf[src]);
  if (mi.size() == 0 || out == src) {
    CHECK(r == 0);
    return;
  }
  if (mo.freeze_end || mi.freeze_start) {
    CHECK(r == -1);
    return;
  }
  CHECK(r == 0);
  mo.append_tagged(mi.data, mi.tags);
  mi.clear();
}

void op_prepend_buffer(State& s, int dst, int src) {
  g_op = "evbuffer_prepend_buffer";
  Model& md = s.model[dst];
  Model& ms = s.model[src];
  int r = evbuffer_prepend_buffer(s.buf[dst], s.buf[src]);
  if (ms.size() == 0 || dst == src) {
    CHECK(r == 0);
    return;
  }
  if (md.freeze_start || ms.freeze_start) {
    CHECK(r == -1);
    return;
  }
  CHECK(r == 0);
  md.prepend_tagged(ms.data, ms.tags);
  ms.clear();
}

void op_remove_buffer(State& s, Reader& in, int src, int dst) {
  g_op = "evbuffer_remove_buffer";
  Model& ms = s.model[src];
  Model& md = s.model[dst];
  size_t len = clamped_len(in, ms.size());
  int r = evbuffer_remove_buffer(s.buf[src], s.buf[dst], len);
  if (len == 0 || src == dst) {
    CHECK(r == 0);
    return;
  }
  if (md.freeze_end || ms.freeze_start) {
    CHECK(r == -1);
    return;
  }
  size_t n = len < ms.size() ? len : ms.size();
  CHECK(r == int(n));
  std::string tags = ms.tags.substr(0, n);
  // Moving part of the data copies the piece of the last chunk it reaches into.
  if (n < ms.size())
    for (char& t : tags)
      if (t == kView) t = kMaybe;
  md.append_tagged(ms.data.substr(0, n), tags);
  ms.drop_front(n);
}

void op_remove(State& s, Reader& in, int i) {
  g_op = "evbuffer_remove";
  Model& m = s.model[i];
  size_t len = clamped_len(in, m.size());
  size_t n = len < m.size() ? len : m.size();
  OutBuf out(n);
  int r = evbuffer_remove(s.buf[i], out.data(), len);
  if (n == 0) {
    CHECK(r == 0);
    out.check(nullptr, 0);
    return;
  }
  if (m.freeze_start) {
    CHECK(r == -1);
    out.check(nullptr, 0);
    return;
  }
  CHECK(r == int(n));
  out.check(m.data.data(), n);
  m.drop_front(n);
}

void op_drain(State& s, Reader& in, int i) {
  g_op = "evbuffer_drain";
  Model& m = s.model[i];
  size_t len = clamped_len(in, m.size());
  int r = evbuffer_drain(s.buf[i], len);
  if (m.size() == 0) {
    CHECK(r == 0);
    return;
  }
  if (m.freeze_start) {
    CHECK(r == -1);
    return;
  }
  CHECK(r == 0);
  m.drop_front(len < m.size() ? len : m.size());
}

void op_copyout(State& s, Reader& in, int i) {
  g_op = "evbuffer_copyout";
  Model& m = s.model[i];
  size_t len = clamped_len(in, m.size());
  size_t n = len < m.size() ? len : m.size();
  OutBuf out(n);
  ev_ssize_t r = evbuffer_copyout(s.buf[i], out.data(), len);
  if (n == 0) {
    CHECK(r == 0);
    out.check(nullptr, 0);
  } else if (m.freeze_start) {
    CHECK(r == -1);
    out.check(nullptr, 0);
  } else {
    CHECK(r == ev_ssize_t(n));
    out.check(m.data.data(), n);
  }
}

void op_copyout_from(State& s, Reader& in, int i) {
  g_op = "evbuffer_copyout_from";
  Model& m = s.model[i];
  evbuffer_ptr p;
  const ev_ssize_t pos = make_ptr(s, i, in, &p, true);
  const size_t left = m.size() - size_t(pos);
  size_t len = clamped_len(in, left);
  if (in.u8() % 4 == 0) len = kSsizeMax - size_t(pos) + 1 + in.u8();  // too far: -1
  const bool too_far = len > kSsizeMax - size_t(pos);
  size_t n = too_far ? 0 : (len < left ? len : left);
  OutBuf out(n);
  ev_ssize_t r = evbuffer_copyout_from(s.buf[i], &p, out.data(), len);
  if (too_far) {
    CHECK(r == -1);
    out.check(nullptr, 0);
  } else if (n == 0) {
    CHECK(r == 0);
    out.check(nullptr, 0);
  } else if (m.freeze_start) {
    CHECK(r == -1);
    out.check(nullptr, 0);
  } else {
    CHECK(r == ev_ssize_t(n));
    out.check(m.data.data() + pos, n);
  }
}

void op_pullup(State& s, Reader& in, int i) {
  g_op = "evbuffer_pullup";
  Model& m = s.model[i];
  const size_t total = m.size();
  uint8_t sel = in.u8();
  uint8_t k = in.u8();
  ev_ssize_t size;
  switch (sel % 8) {
    case 0: size = -1; break;
    case 1: size = -2 - k; break;  // any negative size means everything
    case 2: size = 0; break;
    case 3: size = ev_ssize_t(total > k ? total - k : 0); break;
    case 4: size = ev_ssize_t(total); break;
    case 5: size = ev_ssize_t(total + 1 + k); break;  // past the end: NULL
    case 6: size = EV_SSIZE_MAX - k; break;
    default: size = ev_ssize_t((size_t(k) << 8) | in.u8()); break;
  }
  const size_t want = size < 0 ? total : size_t(size);
  unsigned char* r = evbuffer_pullup(s.buf[i], size);
  if (want == 0 || want > total) {
    CHECK(r == nullptr);
    return;
  }
  CHECK(r != nullptr);
  CHECK(memcmp(r, m.data.data(), want) == 0);
  CHECK(evbuffer_get_contiguous_space(s.buf[i]) >= want);
  m.blur_front(want);
}

void op_search(State& s, Reader& in, int i) {
  Model& m = s.model[i];
  evbuffer* b = s.buf[i];
  uint8_t sel = in.u8();
  size_t wl = in.u8() % 9;
  std::string what;
  if ((sel & 1) && !m.data.empty()) {
    size_t off = in.u16() % m.size();  // often present
    what = m.data.substr(off, wl);
  } else {
    what = in.bytes(wl);
  }
  std::unique_ptr<char[]> w(new char[what.size() ? what.size() : 1]);
  memcpy(w.get(), what.data(), what.size());
  size_t len = what.size();
  if ((sel >> 4) % 8 == 7) len = in.u8() % 2 ? SIZE_MAX - in.u8() : kSsizeMax + 1 + in.u8();  // not read
  evbuffer_ptr start, end;
  const bool use_start = sel & 4;
  const bool use_end = sel & 8;
  ev_ssize_t spos = use_start ? make_ptr(s, i, in, &start, false) : 0;
  ev_ssize_t epos = use_end ? make_ptr(s, i, in, &end, false) : 0;

  ev_ssize_t expect;
  if (len == 0 || len > kSsizeMax) {
    expect = spos;  // the start itself
  } else if (spos < 0) {
    expect = -1;
  } else {
    size_t f = m.data.find(what, size_t(spos));
    if (f == std::string::npos)
      expect = -1;
    else if (use_end && ev_ssize_t(f + len) > epos)
      expect = -1;
    else
      expect = ev_ssize_t(f);
  }
  evbuffer_ptr r;
  if (use_end) {
    g_op = "evbuffer_search_range";
    r = evbuffer_search_range(b, w.get(), len, use_start ? &start : nullptr, &end);
  } else {
    g_op = "evbuffer_search";
    r = evbuffer_search(b, w.get(), len, use_start ? &start : nullptr);
  }
  CHECK(r.pos == expect);
  // The position found is usable: copy the match out from it.
  if (expect >= 0 && len && len <= what.size() && !m.freeze_start) {
    OutBuf out(len);
    CHECK(evbuffer_copyout_from(b, &r, out.data(), len) == ev_ssize_t(len));
    out.check(what.data(), len);
  }
}

void op_search_eol(State& s, Reader& in, int i) {
  g_op = "evbuffer_search_eol";
  Model& m = s.model[i];
  evbuffer* b = s.buf[i];
  uint8_t sel = in.u8();
  int style = sel % 8;  // 5..7 are not styles (values of the enum's range, though)
  if (sel & 0x20) style += 8;  // not a style at all
  evbuffer_ptr start;
  ev_ssize_t spos = (sel & 8) ? make_ptr(s, i, in, &start, false) : 0;
  Eol want = model_eol(m.data, spos, style);
  size_t eol_len = 12345;
  evbuffer_ptr r = evbuffer_search_eol(b, (sel & 8) ? &start : nullptr, (sel & 16) ? nullptr : &eol_len,
                                       evbuffer_eol_style(style));
  CHECK(r.pos == want.pos);
  if (!(sel & 16)) CHECK(eol_len == want.len);
  if (want.pos >= 0 && !m.freeze_start) {
    OutBuf out(want.len);
    CHECK(evbuffer_copyout_from(b, &r, out.data(), want.len) == ev_ssize_t(want.len));
    out.check(m.data.data() + want.pos, want.len);
  }
}

void op_readln(State& s, Reader& in, int i) {
  g_op = "evbuffer_readln";
  Model& m = s.model[i];
  uint8_t sel = in.u8();
  int style = sel % 8;
  if (sel & 0x20) style += 8;  // not a style at all
  size_t n = 12345;
  char* line = evbuffer_readln(s.buf[i], (sel & 8) ? nullptr : &n, evbuffer_eol_style(style));
  Eol want = m.freeze_start ? Eol() : model_eol(m.data, 0, style);
  if (want.pos < 0) {
    CHECK(line == nullptr);
    if (!(sel & 8)) CHECK(n == 0);
    return;
  }
  CHECK(line != nullptr);
  if (!(sel & 8)) CHECK(n == size_t(want.pos));
  CHECK(memcmp(line, m.data.data(), size_t(want.pos)) == 0);
  CHECK(line[want.pos] == '\0');
  fuzz_free(line);
  m.drop_front(size_t(want.pos) + want.len);
}

void op_add_reference(State& s, Reader& in, int i) {
  g_op = "evbuffer_add_reference";
  Model& m = s.model[i];
  uint8_t sel = in.u8();
  std::string d = (sel & 1) ? read_pattern(in, 5000) : in.bytes(sel >> 2);
  auto ref = std::make_unique<Ref>();
  Ref* r = ref.get();
  r->len = d.size();
  r->mem = static_cast<unsigned char*>(malloc(d.size() ? d.size() : 1));
  memcpy(r->mem, d.data(), d.size());
  r->with_cleanup = !(sel & 2);
  r->added = true;  // the callback may run inside the call (an empty reference)
  s.refs.push_back(std::move(ref));
  int rc = evbuffer_add_reference(s.buf[i], r->mem, r->len, r->with_cleanup ? ref_cleanup : nullptr, r);
  if (m.freeze_end) {
    CHECK(rc == -1);
    r->added = false;
    CHECK(r->calls == 0);
    return;
  }
  CHECK(rc == 0);
  m.append(d, kOwn);
}

void op_add_buffer_reference(State& s, int out, int src) {
  g_op = "evbuffer_add_buffer_reference";
  Model& mo = s.model[out];
  Model& mi = s.model[src];
  // Repeated references double the data: keep the buffers small enough to check.
  if (mo.size() + mi.size() > kMaxReferenced) return;
  const std::string data = mi.data;
  int r = evbuffer_add_buffer_reference(s.buf[out], s.buf[src]);
  if (mi.size() == 0) {
    CHECK(r == 0);
    return;
  }
  if (out == src || mo.freeze_end) {
    CHECK(r == -1);
    return;
  }
  // libevent refuses a source holding references to another buffer.
  const bool views = mi.has(kView);
  if (views) {
    CHECK(r == -1);
    return;
  }
  if (views || mi.has(kMaybe)) {
    CHECK(r == 0 || r == -1);
    if (r == -1) return;
  }
  CHECK(r == 0);
  mo.append(data, kView);
}

void op_reserve_commit(State& s, Reader& in, int i) {
  g_op = "evbuffer_reserve_space";
  Model& m = s.model[i];
  evbuffer* b = s.buf[i];
  uint8_t sel = in.u8();
  ev_ssize_t size = (sel & 0x80) ? in.u16() % 9000 : in.u8();
  int nvec = 1 + (sel & 3);
  evbuffer_iovec vec[kMaxVec + 1];
  memset(vec, 0x5a, sizeof vec);
  int r = evbuffer_reserve_space(b, size, vec, nvec);
  if (m.freeze_end) {
    CHECK(r == -1);
    return;
  }
  if (size == 0 && nvec > 1) {
    CHECK(r == 0);
    return;
  }
  CHECK(r >= 1 && r <= nvec);
  size_t room = 0;
  for (int k = 0; k < r; ++k) room += vec[k].iov_len;
  CHECK(room >= size_t(size));
  // Nothing described past the vectors given.
  for (int k = nvec; k <= kMaxVec; ++k) {
    unsigned char* raw = reinterpret_cast<unsigned char*>(&vec[k]);
    for (size_t j = 0; j < sizeof vec[k]; ++j) CHECK(raw[j] == 0x5a);
  }
  // Write into the space: in order (the usual way), or any amount into each extent.
  size_t len[kMaxVec];
  uint8_t how = in.u8();
  if (how & 1) {
    for (int k = 0; k < r; ++k) len[k] = in.u16() % (vec[k].iov_len + 1);
  } else {
    size_t w = (how & 2) ? size_t(size) : in.u16() % (room + 1);
    for (int k = 0; k < r; ++k) {
      len[k] = w < vec[k].iov_len ? w : vec[k].iov_len;
      w -= len[k];
    }
  }
  std::string added;
  const uint8_t seed = in.u8();
  for (int k = 0; k < r; ++k) {
    std::string d = pattern(len[k], uint8_t(seed + k));
    if (len[k]) memcpy(vec[k].iov_base, d.data(), len[k]);
  }
  const size_t before = m.size();
  g_op = "evbuffer_commit_space";
  // A commit that claims more than an extent holds is refused and changes nothing.
  if (how & 4) {
    int bad = in.u8() % r;
    size_t keep = vec[bad].iov_len;
    vec[bad].iov_len = keep + 1 + in.u8();
    CHECK(evbuffer_commit_space(b, vec, r) == -1);
    vec[bad].iov_len = keep;
    CHECK(evbuffer_get_length(b) == before);
  }
  // Commit all extents, or only the first few (the rest is given up).
  int ncommit = (how & 8) ? in.u8() % (r + 1) : r;
  for (int k = 0; k < ncommit; ++k) {
    vec[k].iov_len = len[k];
    added += pattern(len[k], uint8_t(seed + k));
  }
  if (trace()) {
    fprintf(stderr, "fuzz:   reserve(%zd, %d) = %d; commit %d:", size, nvec, r, ncommit);
    for (int k = 0; k < r; ++k) fprintf(stderr, " [%p %zu/%zu]", vec[k].iov_base, len[k], vec[k].iov_len);
    fprintf(stderr, "\n");
  }
  int rc = evbuffer_commit_space(b, vec, ncommit);
  CHECK(rc == 0);
  m.append(added, kOwn);
}

void op_expand(State& s, Reader& in, int i) {
  g_op = "evbuffer_expand";
  size_t n = in.u16() % 20000;
  CHECK(evbuffer_expand(s.buf[i], n) == 0);
  // Space made for n bytes: one extent of at least n bytes.
  if (!s.model[i].freeze_end && (in.u8() & 1)) {
    evbuffer_iovec v;
    CHECK(evbuffer_reserve_space(s.buf[i], ev_ssize_t(n), &v, 1) == 1);
    CHECK(v.iov_len >= n);
  }
}

void op_peek(State& s, Reader& in, int i) {
  g_op = "evbuffer_peek";
  Model& m = s.model[i];
  evbuffer* b = s.buf[i];
  uint8_t sel = in.u8();
  uint8_t k = in.u8();
  const int nvec = sel % (kMaxVec + 1);
  evbuffer_ptr start;
  const bool use_start = sel & 0x10;
  ev_ssize_t spos = use_start ? make_ptr(s, i, in, &start, false) : 0;
  const size_t left = spos >= 0 ? m.size() - size_t(spos) : 0;
  ev_ssize_t len;
  switch ((sel >> 5) % 8) {
    case 0: len = -1; break;
    case 1: len = 0; break;
    case 2: len = ev_ssize_t(left); break;
    case 3: len = ev_ssize_t(left > k ? left - k : 0); break;
    case 4: len = ev_ssize_t(left + 1 + k); break;
    case 5: len = EV_SSIZE_MAX - k; break;
    case 6: len = -2 - k; break;
    default: len = k; break;
  }
  evbuffer_iovec vec[kMaxVec + 1];
  memset(vec, 0x5a, sizeof vec);
  int r = evbuffer_peek(b, len, use_start ? &start : nullptr, nvec ? vec : nullptr, nvec);
  CHECK(r >= 0);
  // Never written past the vectors given.
  for (int j = nvec; j <= kMaxVec; ++j) {
    unsigned char* raw = reinterpret_cast<unsigned char*>(&vec[j]);
    for (size_t x = 0; x < sizeof vec[j]; ++x) CHECK(raw[x] == 0x5a);
  }
  if (use_start && spos < 0) {
    CHECK(r == 0);
    return;
  }
  // The vectors filled describe the bytes from the start, in order.
  const int filled = r < nvec ? r : nvec;
  size_t at = 0;
  for (int j = 0; j < filled; ++j) {
    CHECK(vec[j].iov_len <= left - at);
    if (vec[j].iov_len) CHECK(memcmp(vec[j].iov_base, m.data.data() + spos + at, vec[j].iov_len) == 0);
    at += vec[j].iov_len;
  }
  const bool everything = len < 0;
  const size_t asked = everything ? left : (size_t(len) < left ? size_t(len) : left);
  // A start pointer at the end points at no chunk: nothing to describe.
  if (use_start && spos == ev_ssize_t(m.size())) CHECK(r == 0);
  if (r == 0) {
    // Only a request for nothing needs no vector (a start pointer counts as one).
    CHECK(asked == 0);
    CHECK(!use_start || spos == ev_ssize_t(m.size()));
    return;
  }
  if (r <= nvec) {
    if (!everything || r < nvec) CHECK(at >= asked);
    // No more vectors than needed: all but the last fell short of the length asked.
    if (!everything && r > 1) CHECK(at - vec[r - 1].iov_len < size_t(len));
  } else if (nvec > 0) {
    // More were needed than given: the ones given fell short.
    CHECK(!everything);
    CHECK(at < size_t(len));
  }
}

void op_contiguous(State& s, int i) {
  g_op = "evbuffer_get_contiguous_space";
  Model& m = s.model[i];
  size_t c = evbuffer_get_contiguous_space(s.buf[i]);
  CHECK(c <= m.size());
  if (m.size() == 0) CHECK(c == 0);
  evbuffer_iovec v;
  if (evbuffer_peek(s.buf[i], -1, nullptr, &v, 1) == 1) {
    CHECK(v.iov_len == c);
    if (c) CHECK(memcmp(v.iov_base, m.data.data(), c) == 0);
  }
}

void op_freeze(State& s, Reader& in, int i) {
  g_op = "evbuffer_freeze";
  Model& m = s.model[i];
  uint8_t sel = in.u8();
  const bool front = sel & 1;
  if (sel & 2) {
    CHECK(evbuffer_unfreeze(s.buf[i], front) == 0);
    (front ? m.freeze_start : m.freeze_end) = false;
  } else {
    CHECK(evbuffer_freeze(s.buf[i], front) == 0);
    (front ? m.freeze_start : m.freeze_end) = true;
  }
}

// Calls with lengths that cannot be honoured: each is refused (or, where libevent
// clamps, clamped) and the buffer stays as it was.
void op_oversized(State& s, Reader& in, int i) {
  Model& m = s.model[i];
  evbuffer* b = s.buf[i];
  const size_t total = m.size();
  static const unsigned char small[8] = {'s', 'm', 'a', 'l', 'l', '\r', '\n', 0};
  uint8_t which = in.u8();
  switch (which % 8) {
    case 0:
      g_op = "evbuffer_add (oversized)";
      CHECK(evbuffer_add(b, small, huge_len(in, total, false)) == -1);
      break;
#ifndef EVBUFFER_FUZZ_SYSTEM_LIBEVENT
    // libevent 2.1.12 copies part of an oversized prepend before failing (reading
    // before the data) and accepts any length for a reference (its length wraps).
    case 1:
      g_op = "evbuffer_prepend (oversized)";
      CHECK(evbuffer_prepend(b, small, huge_len(in, total, false)) == -1);
      break;
    case 2: {
      g_op = "evbuffer_add_reference (oversized)";
      // Refused: the caller keeps the memory and the cleanup never runs.
      auto ref = std::make_unique<Ref>();
      ref->mem = static_cast<unsigned char*>(malloc(sizeof small));
      memcpy(ref->mem, small, sizeof small);
      ref->len = huge_len(in, total, true);
      CHECK(evbuffer_add_reference(b, ref->mem, ref->len, ref_cleanup, ref.get()) == -1);
      CHECK(ref->calls == 0);
      free(ref->mem);
      break;
    }
#endif
    case 3:
      g_op = "evbuffer_expand (oversized)";
      CHECK(evbuffer_expand(b, huge_len(in, total, false)) == -1);
      break;
    case 4: {
      g_op = "evbuffer_reserve_space (oversized)";
      uint8_t k = in.u8();
      ev_ssize_t size;
      switch (in.u8() % 4) {
        case 0: size = EV_SSIZE_MAX - k; break;
        case 1: size = -1 - k; break;
        case 2: size = EV_SSIZE_MIN + k; break;
        default: size = ev_ssize_t((size_t(1) << (40 + k % 23)) + k); break;
      }
      evbuffer_iovec vec[kMaxVec];
      CHECK(evbuffer_reserve_space(b, size, vec, 1 + k % kMaxVec) == -1);
      break;
    }
    case 5: {
      g_op = "evbuffer_pullup (oversized)";
      uint8_t k = in.u8();
      ev_ssize_t size = (k & 1) ? EV_SSIZE_MAX - k : ev_ssize_t(total + 1 + k);
      CHECK(evbuffer_pullup(b, size) == nullptr);
      break;
    }
    case 6: {
      g_op = "evbuffer_copyout_from (oversized)";
      evbuffer_ptr p;
      ev_ssize_t pos = make_ptr(s, i, in, &p, true);
      unsigned char out[kGuard];
      memset(out, kFill, sizeof out);
      size_t len = (in.u8() & 1) ? SIZE_MAX - in.u8() : kSsizeMax - size_t(pos) + 1 + in.u8();
      CHECK(evbuffer_copyout_from(b, &p, out, len) == -1);
      for (unsigned char c : out) CHECK(c == kFill);
      break;
    }
    default: {
      g_op = "evbuffer_commit_space (oversized)";
      if (m.freeze_end) break;
      evbuffer_iovec v;
      CHECK(evbuffer_reserve_space(b, in.u8(), &v, 1) == 1);
      v.iov_len = huge_len(in, total, false);
      CHECK(evbuffer_commit_space(b, &v, 1) == -1);
      break;
    }
  }
  CHECK(evbuffer_get_length(b) == total);
  check_contents(s, i);
}

// Runs one operation; returns false once the input is used up.
bool run_op(State& s, Reader& in) {
  if (in.done()) return false;
  const uint8_t op = in.u8();
  const uint8_t pick = in.u8();
  const int i = pick % kBuffers;
  const int j = (pick / kBuffers) % kBuffers;
  switch (op % 26) {
    case 0: op_add(s, in, i, false); break;
    case 1: op_add(s, in, i, true); break;
    case 2: op_prepend(s, in, i); break;
    case 3: op_add_buffer(s, i, j); break;
    case 4: op_remove(s, in, i); break;
    case 5: op_drain(s, in, i); break;
    case 6: op_copyout(s, in, i); break;
    case 7: op_copyout_from(s, in, i); break;
    case 8: op_pullup(s, in, i); break;
    case 9: op_search(s, in, i); break;
    case 10: op_search_eol(s, in, i); break;
    case 11: op_readln(s, in, i); break;
    case 12: op_add_reference(s, in, i); break;
    case 13: op_add_buffer_reference(s, i, j); break;
    case 14: op_reserve_commit(s, in, i); break;
    case 15: op_expand(s, in, i); break;
    case 16: op_peek(s, in, i); break;
    case 17: op_contiguous(s, i); break;
    case 18: op_oversized(s, in, i); break;
    case 19: op_freeze(s, in, i); break;
    case 20: op_remove_buffer(s, in, i, j); break;
    case 21: op_prepend_buffer(s, i, j); break;
    case 22: op_readln(s, in, i); break;  // lines are the common case
    case 24: op_add_iovec(s, in, i); break;
    case 25: op_add_printf(s, in, i); break;
    case 23:
      g_op = "full check";
      check_all(s);
      break;
  }
  if (trace())
    fprintf(stderr, "fuzz: %-36s buffers %d,%d -> lengths %zu %zu %zu\n", g_op, i, j, s.model[0].size(),
            s.model[1].size(), s.model[2].size());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  event_set_mem_functions(fuzz_malloc, fuzz_realloc, fuzz_free);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const long live_before = g_live_blocks;
  State s;
  for (int i = 0; i < kBuffers; ++i) {
    s.buf[i] = evbuffer_new();
    CHECK(s.buf[i] != nullptr);
    s.watch[i].buf = s.buf[i];
    CHECK(evbuffer_add_cb(s.buf[i], watch_cb, &s.watch[i]) != nullptr);
  }
  Reader in(data, size);
  const uint8_t free_order = in.u8();
  for (int n = 1; run_op(s, in); ++n) {
    check_lengths(s);
    if (n % kFullCheckEvery == 0) {
      g_op = "periodic full check";
      check_all(s);
    }
  }
  g_op = "final full check";
  check_all(s);

  // Free the buffers in an order the input picks; then every accepted reference has
  // been released exactly once.
  static const int kOrders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  g_op = "evbuffer_free";
  for (int k : kOrders[free_order % 6]) evbuffer_free(s.buf[k]);
#ifndef EVBUFFER_FUZZ_SYSTEM_LIBEVENT
  // Everything the buffers allocated is released.
  CHECK(g_live_blocks == live_before);
#else
  (void)live_before;
#endif
  for (const auto& r : s.refs) {
    if (r->with_cleanup) {
#ifdef EVBUFFER_FUZZ_SYSTEM_LIBEVENT
      // libevent leaks a buffer that holds references to its own chunks (a buffer
      // reference moved back into its source), and the memory those chunks refer to.
      if (r->added && r->calls == 0) continue;
#endif
      CHECK(r->calls == (r->added ? 1 : 0));
      if (!r->added) free(r->mem);
    } else {
      CHECK(r->calls == 0);
      free(r->mem);
    }
  }
  return 0;
}
