// libFuzzer target: event tagging (event2/tag.h), every answer checked against a model.
//
// The input is: a byte choosing how the rest is cut into chunks, a byte giving the tag
// the unmarshal calls ask for (0xff: the tag the bytes start with, so that long tags
// match too), a byte giving the length evtag_unmarshal_fixed asks for, then the bytes a
// peer sent. Every decoding call of tag.h runs on its own fresh buffer
// holding those bytes, and its return value, what it stored, and the bytes it left are
// compared with a model: the std::string the buffer holds, read the way libevent 2.1.12
// reads it (the tag and length are taken first, a number may run past its payload, a
// timeval record always goes whole; see tests/rpc/tag_test.cpp for each case).
// Checked as well: whatever decodes re-encodes to bytes that decode to the same value,
// and nothing crashes, reads out of bounds or leaks (ASan, UBSan).
//
// Built against /usr/include and linked with the system's -levent_extra -levent_core
// instead of vigil (see README.md), the same program checks the model against libevent.
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/tag.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

extern "C" {
int evtag_encode_tag(struct evbuffer* evbuf, ev_uint32_t tag);
int evtag_decode_tag(ev_uint32_t* ptag, struct evbuffer* evbuf);
int evtag_decode_int(ev_uint32_t* pnumber, struct evbuffer* evbuf);
int evtag_decode_int64(ev_uint64_t* pnumber, struct evbuffer* evbuf);
}

namespace {

[[noreturn]] void finding(const char* what, long got, long want) {
  fprintf(stderr, "fuzz: FINDING: %s: got %ld, model says %ld\n", what, got, want);
  abort();
}
void check(const char* what, long got, long want) {
  if (got != want) finding(what, got, want);
}

// ---- the model: what libevent 2.1.12 reads from a string of bytes ----

struct Decoded {
  size_t bytes;
  uint64_t value;
};

std::optional<Decoded> model_tag(const std::string& s, size_t off) {
  uint64_t v = 0;
  for (size_t i = 0; i < 5 && off + i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[off + i]);
    if (i == 4 && (c & 0x7f) > 15) return std::nullopt;
    v |= uint64_t(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) return Decoded{i + 1, v};
  }
  return std::nullopt;
}

std::optional<Decoded> model_number(const std::string& s, size_t off, int max_digits) {
  if (off >= s.size()) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[off + i]); };
  const int digits = (byte(0) >> 4) + 1;
  const size_t bytes = size_t(digits) / 2 + 1;
  if (digits > max_digits || off + bytes > s.size()) return std::nullopt;
  uint64_t v = 0;
  for (int d = digits - 1; d >= 0; --d) {  // digit d sits at nibble position d + 1
    const int pos = d + 1;
    v = (v << 4) | ((pos & 1) ? (byte(size_t(pos) / 2) & 0xf) : (byte(size_t(pos) / 2) >> 4));
  }
  return Decoded{bytes, v};
}

// A record header as unmarshal_header takes it: how far it got, what it read.
struct Header {
  size_t taken = 0;  // bytes removed
  std::optional<uint32_t> tag;
  int result = -1;   // payload length, or -1
};
Header model_header(const std::string& s) {
  Header h;
  auto t = model_tag(s, 0);
  if (!t) return h;
  h.taken = t->bytes;
  h.tag = uint32_t(t->value);
  auto n = model_number(s, h.taken, 8);
  if (!n) return h;
  h.taken += n->bytes;
  if (n->value <= uint64_t(INT_MAX) && n->value <= s.size() - h.taken) h.result = int(n->value);
  return h;
}

// ---- the library under test ----

struct Input {
  unsigned char cut;  // chunking
  uint32_t need_tag;
  size_t fixed_len;
  std::string bytes;
};

// A fresh buffer holding in.bytes, cut into chunks as in.cut says.
evbuffer* make_buffer(const Input& in) {
  evbuffer* b = evbuffer_new();
  size_t step = (in.cut & 7) + 1;
  for (size_t off = 0; off < in.bytes.size();) {
    const size_t n = std::min(step, in.bytes.size() - off);
    evbuffer* piece = evbuffer_new();
    evbuffer_add(piece, in.bytes.data() + off, n);
    evbuffer_add_buffer(b, piece);
    evbuffer_free(piece);
    off += n;
    if (in.cut & 0x80) step = (step * 5 + 3) % 11 + 1;
  }
  return b;
}

std::string contents(evbuffer* b) {
  std::string s(evbuffer_get_length(b), '\0');
  if (!s.empty()) evbuffer_copyout(b, s.data(), s.size());
  return s;
}

void check_left(const char* what, evbuffer* b, const std::string& want) {
  const std::string got = contents(b);
  if (got != want) finding(what, long(got.size()), long(want.size()));
}

void check_tags(const Input& in) {
  const auto m = model_tag(in.bytes, 0);
  evbuffer* b = make_buffer(in);
  ev_uint32_t tag = 0xfeedu;
  check("evtag_peek", evtag_peek(b, &tag), m ? long(m->bytes) : -1);
  check("evtag_peek tag", tag, m ? long(m->value) : 0xfeed);
  check_left("evtag_peek left", b, in.bytes);
  tag = 0xfeedu;
  check("evtag_decode_tag", evtag_decode_tag(&tag, b), m ? long(m->bytes) : -1);
  check("evtag_decode_tag tag", tag, m ? long(m->value) : 0xfeed);
  check_left("evtag_decode_tag left", b, m ? in.bytes.substr(m->bytes) : in.bytes);
  if (m) {  // the shortest form of the same tag decodes to it
    evbuffer* e = evbuffer_new();
    const int n = evtag_encode_tag(e, uint32_t(m->value));
    check("evtag_encode_tag size", n, long(evbuffer_get_length(e)));
    if (size_t(n) > m->bytes) finding("re-encoded tag is longer", n, long(m->bytes));
    ev_uint32_t again = 0;
    check("re-decoded tag", evtag_decode_tag(&again, e), n);
    check("re-decoded tag value", again, long(m->value));
    evbuffer_free(e);
  }
  evbuffer_free(b);
}

void check_numbers(const Input& in) {
  for (int wide = 0; wide < 2; ++wide) {
    const auto m = model_number(in.bytes, 0, wide ? 16 : 8);
    evbuffer* b = make_buffer(in);
    uint64_t v = 0xfeed;
    int r;
    if (wide) {
      ev_uint64_t v64 = 0xfeed;
      r = evtag_decode_int64(&v64, b);
      v = v64;
    } else {
      ev_uint32_t v32 = 0xfeed;
      r = evtag_decode_int(&v32, b);
      v = v32;
    }
    check(wide ? "evtag_decode_int64" : "evtag_decode_int", r, m ? 0 : -1);
    if ((m ? m->value : 0xfeed) != v) finding("decoded number", long(v), long(m ? m->value : 0xfeed));
    check_left("evtag_decode_int left", b, m ? in.bytes.substr(m->bytes) : in.bytes);
    if (m) {
      evbuffer* e = evbuffer_new();
      evtag_encode_int64(e, m->value);
      ev_uint64_t again = 0;
      check("re-decoded number", evtag_decode_int64(&again, e), 0);
      if (again != m->value) finding("re-decoded number value", long(again), long(m->value));
      check("re-decoded number left", long(evbuffer_get_length(e)), 0);
      evbuffer_free(e);
    }
    evbuffer_free(b);
  }
}

void check_headers(const Input& in) {
  const Header h = model_header(in.bytes);
  const std::string after = in.bytes.substr(h.taken);
  {
    evbuffer* b = make_buffer(in);
    ev_uint32_t tag = 0xfeedu;
    check("evtag_unmarshal_header", evtag_unmarshal_header(b, &tag), h.result);
    check("evtag_unmarshal_header tag", tag, h.tag ? long(*h.tag) : 0xfeed);
    check_left("evtag_unmarshal_header left", b, after);
    evbuffer_free(b);
  }
  {
    // The length functions take nothing and need no payload.
    evbuffer* b = make_buffer(in);
    auto t = model_tag(in.bytes, 0);
    auto n = t ? model_number(in.bytes, t->bytes, 8) : std::nullopt;
    ev_uint32_t len = 0xfeedu;
    check("evtag_payload_length", evtag_payload_length(b, &len), n ? 0 : -1);
    check("evtag_payload_length value", len, n ? long(uint32_t(n->value)) : 0xfeed);
    len = 0xfeedu;
    check("evtag_peek_length", evtag_peek_length(b, &len), n ? 0 : -1);
    check("evtag_peek_length value", len, n ? long(uint32_t(n->value + t->bytes + n->bytes)) : 0xfeed);
    check_left("evtag_peek_length left", b, in.bytes);
    evbuffer_free(b);
  }
  {
    evbuffer* b = make_buffer(in);
    check("evtag_consume", evtag_consume(b), h.result < 0 ? -1 : 0);
    check_left("evtag_consume left", b, h.result < 0 ? after : after.substr(size_t(h.result)));
    evbuffer_free(b);
  }
  {
    evbuffer* b = make_buffer(in);
    evbuffer* dst = evbuffer_new();
    evbuffer_add(dst, "<", 1);
    ev_uint32_t tag = 0;
    check("evtag_unmarshal", evtag_unmarshal(b, &tag, dst), h.result);
    check_left("evtag_unmarshal dst", dst, "<" + (h.result < 0 ? std::string() : after.substr(0, size_t(h.result))));
    check_left("evtag_unmarshal left", b, h.result < 0 ? after : after.substr(size_t(h.result)));
    evbuffer_free(dst);
    evbuffer_free(b);
  }
}

// unmarshal_fixed and unmarshal_string: the header, then the tag and length checks.
void check_payload_records(const Input& in) {
  const Header h = model_header(in.bytes);
  const std::string after = in.bytes.substr(h.taken);
  const bool tag_ok = h.result >= 0 && *h.tag == in.need_tag;
  {
    evbuffer* b = make_buffer(in);
    std::string out(in.fixed_len + 1, '\x5a');
    const bool ok = tag_ok && size_t(h.result) == in.fixed_len;
    check("evtag_unmarshal_fixed", evtag_unmarshal_fixed(b, in.need_tag, out.data(), in.fixed_len), ok ? 0 : -1);
    if (ok && out.compare(0, in.fixed_len, after, 0, in.fixed_len) != 0) finding("fixed payload", 0, 1);
    check("evtag_unmarshal_fixed guard", out[in.fixed_len], 0x5a);
    check_left("evtag_unmarshal_fixed left", b, ok ? after.substr(in.fixed_len) : after);
    evbuffer_free(b);
  }
  {
    evbuffer* b = make_buffer(in);
    char* s = nullptr;
    check("evtag_unmarshal_string", evtag_unmarshal_string(b, in.need_tag, &s), tag_ok ? 0 : -1);
    if (tag_ok) {
      if (!s || memcmp(s, after.data(), size_t(h.result)) != 0 || s[h.result] != '\0')
        finding("string payload", 0, 1);
    } else if (s) {
      finding("string stored on failure", 1, 0);
    }
    free(s);
    check_left("evtag_unmarshal_string left", b, tag_ok ? after.substr(size_t(h.result)) : after);
    evbuffer_free(b);
  }
}

// unmarshal_int / int64 take the tag (and stop if it differs), then the length; the
// number is read from what follows and stored even if it runs past the payload.
template <class T>
void check_integer_record(const Input& in, int (*fn)(evbuffer*, ev_uint32_t, T*), int digits, const char* name) {
  evbuffer* b = make_buffer(in);
  T v = T(0xfeed);
  const int r = fn(b, in.need_tag, &v);
  std::string left = in.bytes;
  long want = -1;
  uint64_t want_v = 0xfeed;
  if (auto t = model_tag(in.bytes, 0)) {
    left = in.bytes.substr(t->bytes);
    if (t->value == in.need_tag) {
      if (auto n = model_number(left, 0, 8)) {
        left = left.substr(n->bytes);
        if (n->value <= left.size()) {
          const size_t len = size_t(n->value);
          if (auto x = model_number(left, 0, digits)) {
            want_v = T(x->value);
            if (x->bytes <= len) want = long(x->bytes);
          }
          left = left.substr(len);
        }
      }
    }
  }
  check(name, r, want);
  if (uint64_t(v) != want_v) finding("integer record value", long(v), long(want_v));
  check_left(name, b, left);
  evbuffer_free(b);
}

void check_timeval(const Input& in) {
  const Header h = model_header(in.bytes);
  std::string left = in.bytes.substr(h.taken);
  evbuffer* b = make_buffer(in);
  timeval tv{-7, -7};
  const int r = evtag_unmarshal_timeval(b, in.need_tag, &tv);
  long want = -1;
  long sec = -7, usec = -7;
  if (h.result >= 0) {
    if (*h.tag == in.need_tag) {
      if (auto s = model_number(left, 0, 8)) {
        sec = long(s->value);
        if (auto u = model_number(left, s->bytes, 8)) {
          usec = long(u->value);
          if (s->bytes + u->bytes <= size_t(h.result)) want = 0;
        }
      }
    }
    left = left.substr(size_t(h.result));
  }
  check("evtag_unmarshal_timeval", r, want);
  check("evtag_unmarshal_timeval sec", long(tv.tv_sec), sec);
  check("evtag_unmarshal_timeval usec", long(tv.tv_usec), usec);
  check_left("evtag_unmarshal_timeval left", b, left);
  evbuffer_free(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  Input in;
  in.cut = data[0];
  in.fixed_len = data[2] % 16;
  in.bytes.assign(reinterpret_cast<const char*>(data + 3), size - 3);
  in.need_tag = data[1];
  if (data[1] == 0xff)
    if (auto t = model_tag(in.bytes, 0)) in.need_tag = uint32_t(t->value);
  check_tags(in);
  check_numbers(in);
  check_headers(in);
  check_payload_records(in);
  check_integer_record<ev_uint32_t>(in, evtag_unmarshal_int, 8, "evtag_unmarshal_int");
  check_integer_record<ev_uint64_t>(in, evtag_unmarshal_int64, 16, "evtag_unmarshal_int64");
  check_timeval(in);
  return 0;
}
