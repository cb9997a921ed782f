// Event tagging (event2/tag.h), pinned against libevent 2.1.12: the exact bytes of every
// encoding, and for every way a record can be malformed, what the call returns, which
// outputs it has written and how much of the buffer it has already removed.
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>
#include <gtest/gtest.h>

#include <stdlib.h>
#include <string.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "../support/loaded_from.h"
#include "../support/log_capture.h"

// Exported by libevent_extra (and vigil's) without a declaration in tag.h.
extern "C" {
int evtag_encode_tag(struct evbuffer* evbuf, ev_uint32_t tag);
int evtag_decode_tag(ev_uint32_t* ptag, struct evbuffer* evbuf);
int evtag_decode_int(ev_uint32_t* pnumber, struct evbuffer* evbuf);
int evtag_decode_int64(ev_uint64_t* pnumber, struct evbuffer* evbuf);
// libevent_core's allocator and log under its internal names, for the extra library.
void* event_mm_malloc_(size_t n);
void event_mm_free_(void* p);
char* event_mm_strdup_(const char* s);
void event_warnx(const char* fmt, ...);
void event_debugx_(const char* fmt, ...);
}

namespace {

using Bytes = std::vector<unsigned char>;

// Owns an evbuffer.
struct Buf {
  evbuffer* b = evbuffer_new();
  Buf() = default;
  explicit Buf(const Bytes& bytes) { add(bytes); }
  ~Buf() { evbuffer_free(b); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  operator evbuffer*() const { return b; }
  void add(const Bytes& bytes) { evbuffer_add(b, bytes.data(), bytes.size()); }
  size_t size() const { return evbuffer_get_length(b); }
  Bytes bytes() const {
    Bytes out(size());
    if (!out.empty()) evbuffer_copyout(b, out.data(), out.size());
    return out;
  }
  // Empties the buffer and returns what it held.
  Bytes take() {
    Bytes out = bytes();
    evbuffer_drain(b, out.size());
    return out;
  }
};

// The same bytes spread one per chunk, so every read crosses chunk edges.
void add_one_chunk_per_byte(evbuffer* b, const Bytes& bytes) {
  for (unsigned char c : bytes) {
    evbuffer* piece = evbuffer_new();
    evbuffer_add(piece, &c, 1);
    evbuffer_add_buffer(b, piece);
    evbuffer_free(piece);
  }
}

// ------------------------------------------------------------- encodings ----

TEST(TagEncode, IntegersUseTheNibbleEncoding) {
  const struct {
    uint32_t v;
    Bytes bytes;
  } cases[] = {
      {0, {0x00}},
      {1, {0x01}},
      {0xf, {0x0f}},
      {0x10, {0x10, 0x10}},
      {0x123, {0x23, 0x21}},
      {0x12345678, {0x78, 0x76, 0x54, 0x32, 0x10}},
      {0xffffffff, {0x7f, 0xff, 0xff, 0xff, 0xf0}},
  };
  Buf b;
  for (const auto& c : cases) {
    evtag_encode_int(b, c.v);
    EXPECT_EQ(b.take(), c.bytes) << std::hex << c.v;
    encode_int(b.b, c.v);  // the tag_compat.h name
    EXPECT_EQ(b.take(), c.bytes) << std::hex << c.v;
  }
}

TEST(TagEncode, Integers64UseUpToNineBytes) {
  const struct {
    uint64_t v;
    Bytes bytes;
  } cases[] = {
      {0, {0x00}},
      {0x100000000ULL, {0x80, 0x00, 0x00, 0x00, 0x01}},
      {0x123456789abcdef0ULL, {0xf0, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}},
      {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0}},
  };
  Buf b;
  for (const auto& c : cases) {
    evtag_encode_int64(b, c.v);
    EXPECT_EQ(b.take(), c.bytes) << std::hex << c.v;
    encode_int64(b.b, c.v);
    EXPECT_EQ(b.take(), c.bytes) << std::hex << c.v;
  }
}

TEST(TagEncode, TagsUseSevenBitsPerByte) {
  const struct {
    uint32_t tag;
    Bytes bytes;
  } cases[] = {
      {0, {0x00}},
      {1, {0x01}},
      {127, {0x7f}},
      {128, {0x80, 0x01}},
      {300, {0xac, 0x02}},
      {0xffffffff, {0xff, 0xff, 0xff, 0xff, 0x0f}},
  };
  Buf b;
  for (const auto& c : cases) {
    EXPECT_EQ(evtag_encode_tag(b, c.tag), int(c.bytes.size()));
    EXPECT_EQ(b.take(), c.bytes) << c.tag;
    // Without a buffer it only measures.
    EXPECT_EQ(evtag_encode_tag(nullptr, c.tag), int(c.bytes.size()));
  }
}

TEST(TagEncode, RecordsAreTagLengthPayload) {
  Buf b;
  evtag_marshal(b, 5, "hello", 5);
  EXPECT_EQ(b.take(), (Bytes{0x05, 0x05, 'h', 'e', 'l', 'l', 'o'}));
  evtag_marshal(b, 5, nullptr, 0);
  EXPECT_EQ(b.take(), (Bytes{0x05, 0x00}));
  evtag_marshal_int(b, 7, 0x12345678);
  EXPECT_EQ(b.take(), (Bytes{0x07, 0x05, 0x78, 0x76, 0x54, 0x32, 0x10}));
  evtag_marshal_int64(b, 7, 0x123456789ULL);
  EXPECT_EQ(b.take(), (Bytes{0x07, 0x05, 0x89, 0x87, 0x65, 0x43, 0x21}));
  evtag_marshal_string(b, 200, "str");
  EXPECT_EQ(b.take(), (Bytes{0xc8, 0x01, 0x03, 's', 't', 'r'}));
  // tv_sec is cut to 32 bits; each half is a 32-bit number.
  timeval tv{};
  tv.tv_sec = 0x112233445566LL;
  tv.tv_usec = 999999;
  evtag_marshal_timeval(b, 3, &tv);
  EXPECT_EQ(b.take(), (Bytes{0x03, 0x08, 0x76, 0x65, 0x54, 0x43, 0x30, 0x4f, 0x32, 0x4f}));
  timeval neg{};
  neg.tv_sec = -1;
  neg.tv_usec = -1;
  evtag_marshal_timeval(b, 3, &neg);
  EXPECT_EQ(b.take(), (Bytes{0x03, 0x0a, 0x7f, 0xff, 0xff, 0xff, 0xf0, 0x7f, 0xff, 0xff, 0xff, 0xf0}));
}

TEST(TagEncode, MarshalBufferMovesTheWholeSource) {
  Buf b, data(Bytes{0xaa, 0xbb, 0xcc});
  evtag_marshal_buffer(b, 9, data);
  EXPECT_EQ(b.take(), (Bytes{0x09, 0x03, 0xaa, 0xbb, 0xcc}));
  EXPECT_EQ(data.size(), 0u);
}

TEST(TagEncode, LongPayloadsFollowTheirHeader) {
  std::string big(100000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
  Buf b;
  evtag_marshal(b, 1000, big.data(), ev_uint32_t(big.size()));
  ev_uint32_t tag = 0;
  Buf out;
  EXPECT_EQ(evtag_unmarshal(b, &tag, out), int(big.size()));
  EXPECT_EQ(tag, 1000u);
  Bytes got = out.bytes();
  EXPECT_EQ(std::string(got.begin(), got.end()), big);
  EXPECT_EQ(b.size(), 0u);
}

// ------------------------------------------------------------ tag decoding ----

struct TagCase {
  Bytes in;
  int result;       // of evtag_decode_tag and evtag_peek
  uint32_t tag;     // when result > 0
};
const TagCase kTagCases[] = {
    {{}, -1, 0},
    {{0x80}, -1, 0},
    {{0x80, 0x80}, -1, 0},
    {{0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 0xffffffff},
    {{0xff, 0xff, 0xff, 0xff, 0x10}, -1, 0},        // bit 32 set
    {{0xff, 0xff, 0xff, 0xff, 0x8f, 0x01}, -1, 0},  // a sixth byte
    {{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, -1, 0},
    {{0x80, 0x00, 0xaa}, 2, 0},                     // not the shortest form: accepted
    {{0x00, 0x11}, 1, 0},
    {{0xac, 0x02, 0x00}, 2, 300},
};

TEST(TagDecode, DecodeTagRemovesTheTagOnlyOnSuccess) {
  for (const auto& c : kTagCases) {
    Buf b(c.in);
    ev_uint32_t tag = 0xdead;
    EXPECT_EQ(evtag_decode_tag(&tag, b), c.result) << ::testing::PrintToString(c.in);
    EXPECT_EQ(tag, c.result > 0 ? c.tag : 0xdeadu);
    EXPECT_EQ(b.size(), c.in.size() - size_t(c.result > 0 ? c.result : 0));
  }
}

TEST(TagDecode, PeekRemovesNothing) {
  for (const auto& c : kTagCases) {
    Buf b(c.in);
    ev_uint32_t tag = 0xdead;
    EXPECT_EQ(evtag_peek(b, &tag), c.result) << ::testing::PrintToString(c.in);
    EXPECT_EQ(tag, c.result > 0 ? c.tag : 0xdeadu);
    EXPECT_EQ(b.bytes(), c.in);
    EXPECT_EQ(evtag_peek(b, nullptr), c.result);
  }
}

TEST(TagDecode, TagsSpreadOverChunksDecodeTheSame) {
  for (const auto& c : kTagCases) {
    Buf b;
    add_one_chunk_per_byte(b, c.in);
    ev_uint32_t tag = 0xdead;
    EXPECT_EQ(evtag_decode_tag(&tag, b), c.result) << ::testing::PrintToString(c.in);
    EXPECT_EQ(tag, c.result > 0 ? c.tag : 0xdeadu);
  }
}

// -------------------------------------------------------- number decoding ----

struct IntCase {
  Bytes in;
  int result32;  // evtag_decode_int: 0 or -1
  uint32_t v32;
  int result64;
  uint64_t v64;
  size_t used;  // bytes removed on success
};
const IntCase kIntCases[] = {
    {{}, -1, 0, -1, 0, 0},
    {{0x10}, -1, 0, -1, 0, 0},  // two nibbles need two bytes
    {{0x10, 0x10}, 0, 0x10, 0, 0x10, 2},
    {{0x7f, 0xff, 0xff, 0xff, 0xf0}, 0, 0xffffffff, 0, 0xffffffff, 5},
    {{0x7f, 0xff, 0xff, 0xff}, -1, 0, -1, 0, 0},
    // Nine nibbles: too many for 32 bits; 64 bits reads five bytes and leaves one.
    {{0x80, 0x00, 0x00, 0x00, 0x00, 0x01}, -1, 0, 0, 0, 5},
    {{0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10}, -1, 0, 0, 0x1ffffffffffffff0ULL, 9},
    {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, -1, 0, 0, UINT64_MAX, 9},
    {{0x00, 0xaa}, 0, 0, 0, 0, 1},
    {{0x01}, 0, 1, 0, 1, 1},
    {{0x20, 0x00}, 0, 0, 0, 0, 2},  // leading zero digits: accepted
};

TEST(TagDecode, DecodeIntRemovesTheNumberOnlyOnSuccess) {
  for (const auto& c : kIntCases) {
    Buf b(c.in);
    ev_uint32_t v = 0xdead;
    EXPECT_EQ(evtag_decode_int(&v, b), c.result32) << ::testing::PrintToString(c.in);
    EXPECT_EQ(v, c.result32 == 0 ? c.v32 : 0xdeadu);
    EXPECT_EQ(b.size(), c.in.size() - (c.result32 == 0 ? c.used : 0));
  }
}

TEST(TagDecode, DecodeInt64RemovesTheNumberOnlyOnSuccess) {
  for (const auto& c : kIntCases) {
    Buf b(c.in);
    ev_uint64_t v = 0xdead;
    EXPECT_EQ(evtag_decode_int64(&v, b), c.result64) << ::testing::PrintToString(c.in);
    EXPECT_EQ(v, c.result64 == 0 ? c.v64 : 0xdeadu);
    EXPECT_EQ(b.size(), c.in.size() - (c.result64 == 0 ? c.used : 0));
  }
}

TEST(TagDecode, NumbersRoundTrip) {
  std::mt19937_64 rng(12345);
  std::vector<uint64_t> values = {0, 1, 15, 16, 255, 256, 0xffff, 0x10000, UINT32_MAX, 1ULL << 32, UINT64_MAX};
  for (int i = 0; i < 2000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) {
    Buf b;
    evtag_encode_int64(b, v);
    evtag_encode_int(b, uint32_t(v));
    add_one_chunk_per_byte(b, Bytes{0x5a});  // something after, in its own chunk
    ev_uint64_t got64 = 0;
    ev_uint32_t got32 = 0;
    ASSERT_EQ(evtag_decode_int64(&got64, b), 0) << v;
    ASSERT_EQ(evtag_decode_int(&got32, b), 0) << v;
    EXPECT_EQ(got64, v);
    EXPECT_EQ(got32, uint32_t(v));
    EXPECT_EQ(b.bytes(), Bytes{0x5a});
  }
}

// ---------------------------------------------------------------- headers ----

TEST(TagHeader, UnmarshalHeaderLeavesThePayload) {
  Buf b(Bytes{0x07, 0x05, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff});
  ev_uint32_t tag = 0;
  EXPECT_EQ(evtag_unmarshal_header(b, &tag), 5);
  EXPECT_EQ(tag, 7u);
  EXPECT_EQ(b.size(), 6u);
  Buf c(Bytes{0x07, 0x01, 0xaa});
  EXPECT_EQ(evtag_unmarshal_header(c, nullptr), 1);
}

TEST(TagHeader, AShortPayloadFailsAfterTheHeaderIsTaken) {
  Buf b(Bytes{0x07, 0x05, 0xaa, 0xbb});
  ev_uint32_t tag = 0;
  EXPECT_EQ(evtag_unmarshal_header(b, &tag), -1);
  EXPECT_EQ(tag, 7u);
  EXPECT_EQ(b.size(), 2u);
}

TEST(TagHeader, ABadLengthFailsAfterTheTagIsTaken) {
  Buf b(Bytes{0x07, 0x90});  // ten nibbles
  ev_uint32_t tag = 0;
  EXPECT_EQ(evtag_unmarshal_header(b, &tag), -1);
  EXPECT_EQ(tag, 7u);
  EXPECT_EQ(b.size(), 1u);
}

// A length above INT_MAX fails even with the payload there. The payload is a reference
// to a small array: a reader may look at the first few payload bytes, never further.
TEST(TagHeader, LengthsAboveIntMaxFail) {
  static char payload_start[64];
  for (uint32_t len : {0x80000000u, 0xffffffffu}) {
    Buf b;
    evtag_encode_tag(b, 7);
    evtag_encode_int(b, len);
    ASSERT_EQ(evbuffer_add_reference(b, payload_start, len, nullptr, nullptr), 0);
    EXPECT_EQ(evtag_unmarshal_header(b, nullptr), -1) << len;
    EXPECT_EQ(b.size(), size_t(len));
  }
}

TEST(TagHeader, PeekLengthAndPayloadLengthRemoveNothing) {
  Buf b(Bytes{0x07, 0x05, 0xaa, 0xbb});  // the payload need not be there
  ev_uint32_t len = 0;
  EXPECT_EQ(evtag_peek_length(b, &len), 0);
  EXPECT_EQ(len, 7u);
  len = 0;
  EXPECT_EQ(evtag_payload_length(b, &len), 0);
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(b.size(), 4u);

  Buf two(Bytes{0x87, 0x01, 0x10, 0x10});  // two-byte tag, two-byte length 16
  EXPECT_EQ(evtag_peek_length(two, &len), 0);
  EXPECT_EQ(len, 20u);

  Buf cut(Bytes{0x87});
  len = 0xdead;
  EXPECT_EQ(evtag_peek_length(cut, &len), -1);
  EXPECT_EQ(evtag_payload_length(cut, &len), -1);
  EXPECT_EQ(len, 0xdeadu);
  Buf no_length(Bytes{0x07});
  EXPECT_EQ(evtag_payload_length(no_length, &len), -1);
  EXPECT_EQ(no_length.size(), 1u);
}

TEST(TagHeader, ConsumeRemovesOneWholeRecord) {
  Buf b(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  EXPECT_EQ(evtag_consume(b), 0);
  EXPECT_EQ(b.bytes(), Bytes{0xcc});
  Buf cut(Bytes{0x07, 0x05, 0xaa, 0xbb});
  EXPECT_EQ(evtag_consume(cut), -1);
  EXPECT_EQ(cut.size(), 2u);
}

// ---------------------------------------------------------- unmarshalling ----

TEST(TagUnmarshal, UnmarshalAppendsThePayload) {
  Buf b(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  Buf dst(Bytes{0x01});
  ev_uint32_t tag = 0;
  EXPECT_EQ(evtag_unmarshal(b, &tag, dst), 2);
  EXPECT_EQ(tag, 7u);
  EXPECT_EQ(dst.bytes(), (Bytes{0x01, 0xaa, 0xbb}));
  EXPECT_EQ(b.bytes(), Bytes{0xcc});

  Buf cut(Bytes{0x07, 0x05, 0xaa, 0xbb, 0xcc});
  Buf dst2;
  EXPECT_EQ(evtag_unmarshal(cut, &tag, dst2), -1);
  EXPECT_EQ(cut.size(), 3u);
  EXPECT_EQ(dst2.size(), 0u);
}

TEST(TagUnmarshal, IntReturnsTheBytesTheNumberTook) {
  Buf b;
  evtag_marshal_int(b, 7, 0x12345678);
  ev_uint32_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 7, &v), 5);
  EXPECT_EQ(v, 0x12345678u);
  EXPECT_EQ(b.size(), 0u);

  evtag_marshal_int64(b, 7, 0x123456789ULL);
  ev_uint64_t v64 = 0;
  EXPECT_EQ(evtag_unmarshal_int64(b, 7, &v64), 5);
  EXPECT_EQ(v64, 0x123456789ULL);
  EXPECT_EQ(b.size(), 0u);
}

TEST(TagUnmarshal, IntWithAnotherTagTakesOnlyTheTag) {
  Buf b;
  evtag_marshal_int(b, 7, 0x12345678);
  ev_uint32_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 8, &v), -1);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(b.bytes(), (Bytes{0x05, 0x78, 0x76, 0x54, 0x32, 0x10}));
}

TEST(TagUnmarshal, IntTooWideForThirtyTwoBitsTakesTheRecord) {
  Buf b;
  evtag_marshal_int64(b, 7, 0x123456789ULL);
  ev_uint32_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 7, &v), -1);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(b.size(), 0u);
}

TEST(TagUnmarshal, IntPayloadLongerThanTheNumberIsTakenWhole) {
  Buf b;
  evtag_marshal(b, 7, "\x23\x21\x99", 3);
  ev_uint32_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 7, &v), 2);
  EXPECT_EQ(v, 0x123u);
  EXPECT_EQ(b.size(), 0u);
}

// The number is read from what follows the header, past a payload too short for it:
// libevent stores it, then fails and removes only the payload.
TEST(TagUnmarshal, IntRunningPastItsPayloadIsStoredButFails) {
  Buf b(Bytes{0x07, 0x01, 0x23, 0x21, 0x55});
  ev_uint32_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 7, &v), -1);
  EXPECT_EQ(v, 0x123u);
  EXPECT_EQ(b.bytes(), (Bytes{0x21, 0x55}));

  Buf empty(Bytes{0x07, 0x00});
  v = 0xdead;
  EXPECT_EQ(evtag_unmarshal_int(empty, 7, &v), -1);
  EXPECT_EQ(v, 0xdeadu);
  EXPECT_EQ(empty.size(), 0u);

  Buf cut(Bytes{0x07, 0x05, 0x23, 0x21});
  v = 0;
  EXPECT_EQ(evtag_unmarshal_int(cut, 7, &v), -1);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(cut.size(), 2u);
}

TEST(TagUnmarshal, FixedNeedsTheExactLength) {
  Buf b(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  unsigned char out[4] = {0, 0, 0, 0};
  EXPECT_EQ(evtag_unmarshal_fixed(b, 7, out, 2), 0);
  EXPECT_EQ(out[0], 0xaa);
  EXPECT_EQ(out[1], 0xbb);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(b.bytes(), Bytes{0xcc});

  // A wrong length or tag fails with the header taken and the payload left.
  Buf wrong_len(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  EXPECT_EQ(evtag_unmarshal_fixed(wrong_len, 7, out, 3), -1);
  EXPECT_EQ(wrong_len.size(), 3u);
  Buf wrong_tag(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  EXPECT_EQ(evtag_unmarshal_fixed(wrong_tag, 8, out, 2), -1);
  EXPECT_EQ(wrong_tag.size(), 3u);
}

TEST(TagUnmarshal, StringIsNulTerminatedAndMayHoldNul) {
  Buf b(Bytes{0x07, 0x03, 'a', 0x00, 'b', 0xcc});
  char* s = nullptr;
  ASSERT_EQ(evtag_unmarshal_string(b, 7, &s), 0);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(memcmp(s, "a\0b\0", 4), 0);
  free(s);
  EXPECT_EQ(b.bytes(), Bytes{0xcc});

  Buf wrong(Bytes{0x07, 0x03, 'a', 0x00, 'b', 0xcc});
  char* untouched = nullptr;
  EXPECT_EQ(evtag_unmarshal_string(wrong, 8, &untouched), -1);
  EXPECT_EQ(untouched, nullptr);
  EXPECT_EQ(wrong.size(), 4u);

  Buf empty;
  evtag_marshal_string(empty, 1, "");
  s = nullptr;
  ASSERT_EQ(evtag_unmarshal_string(empty, 1, &s), 0);
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s, "");
  free(s);
}

TEST(TagUnmarshal, TimevalRoundTripsThirtyTwoBitHalves) {
  Buf b;
  timeval tv{};
  tv.tv_sec = 0x112233445566LL;
  tv.tv_usec = 999999;
  evtag_marshal_timeval(b, 3, &tv);
  timeval out{};
  EXPECT_EQ(evtag_unmarshal_timeval(b, 3, &out), 0);
  EXPECT_EQ(out.tv_sec, 0x33445566);
  EXPECT_EQ(out.tv_usec, 999999);
  EXPECT_EQ(b.size(), 0u);

  timeval neg{};
  neg.tv_sec = -1;
  neg.tv_usec = -1;
  evtag_marshal_timeval(b, 3, &neg);
  EXPECT_EQ(evtag_unmarshal_timeval(b, 3, &out), 0);
  EXPECT_EQ(out.tv_sec, time_t(0xffffffffLL));
  EXPECT_EQ(out.tv_usec, suseconds_t(0xffffffffLL));
}

// Unlike the other unmarshal functions, a timeval record goes whole whatever fails.
TEST(TagUnmarshal, TimevalFailuresTakeTheWholeRecord) {
  timeval tv{};
  tv.tv_sec = 5;
  Buf b;
  evtag_marshal_timeval(b, 3, &tv);
  timeval out{};
  EXPECT_EQ(evtag_unmarshal_timeval(b, 4, &out), -1);
  EXPECT_EQ(out.tv_sec, 0);
  EXPECT_EQ(b.size(), 0u);

  // The second number is malformed: tv_sec is already stored.
  Buf bad_usec(Bytes{0x03, 0x02, 0x10, 0x10, 0xaa});
  timeval o1{7, 7};
  EXPECT_EQ(evtag_unmarshal_timeval(bad_usec, 3, &o1), -1);
  EXPECT_EQ(o1.tv_sec, 16);
  EXPECT_EQ(o1.tv_usec, 7);
  EXPECT_EQ(bad_usec.size(), 1u);

  // A payload longer than the two numbers is fine.
  Buf longer(Bytes{0x03, 0x03, 0x01, 0x02, 0x03, 0xaa});
  timeval o2{7, 7};
  EXPECT_EQ(evtag_unmarshal_timeval(longer, 3, &o2), 0);
  EXPECT_EQ(o2.tv_sec, 1);
  EXPECT_EQ(o2.tv_usec, 2);
  EXPECT_EQ(longer.size(), 1u);

  // Numbers running past the payload are stored, then the call fails.
  Buf over(Bytes{0x03, 0x01, 0x01, 0x02, 0xaa});
  timeval o3{7, 7};
  EXPECT_EQ(evtag_unmarshal_timeval(over, 3, &o3), -1);
  EXPECT_EQ(o3.tv_sec, 1);
  EXPECT_EQ(o3.tv_usec, 2);
  EXPECT_EQ(over.size(), 2u);

  Buf cut(Bytes{0x03, 0x01, 0x01});
  timeval o4{7, 7};
  EXPECT_EQ(evtag_unmarshal_timeval(cut, 3, &o4), -1);
  EXPECT_EQ(o4.tv_sec, 1);
  EXPECT_EQ(o4.tv_usec, 7);
  EXPECT_EQ(cut.size(), 0u);
}

// A message made of several records, spread one byte per chunk, reads back in order.
TEST(TagUnmarshal, ARecordSequenceReadsBackAcrossChunks) {
  Buf src;
  evtag_marshal_int(src, 1, 42);
  evtag_marshal_string(src, 2, "name");
  evtag_marshal_int64(src, 3, 1ULL << 40);
  timeval tv{1234, 5678};
  evtag_marshal_timeval(src, 4, &tv);
  evtag_marshal(src, 100000, "\x01\x02", 2);
  Buf b;
  add_one_chunk_per_byte(b, src.bytes());

  ev_uint32_t tag = 0;
  EXPECT_EQ(evtag_peek(b, &tag), 1);
  EXPECT_EQ(tag, 1u);
  ev_uint32_t i = 0;
  EXPECT_EQ(evtag_unmarshal_int(b, 1, &i), 2);  // 0x2a: two digit nibbles
  EXPECT_EQ(i, 42u);
  char* s = nullptr;
  ASSERT_EQ(evtag_unmarshal_string(b, 2, &s), 0);
  EXPECT_STREQ(s, "name");
  free(s);
  ev_uint64_t i64 = 0;
  EXPECT_GT(evtag_unmarshal_int64(b, 3, &i64), 0);
  EXPECT_EQ(i64, 1ULL << 40);
  timeval out{};
  EXPECT_EQ(evtag_unmarshal_timeval(b, 4, &out), 0);
  EXPECT_EQ(out.tv_sec, 1234);
  EXPECT_EQ(out.tv_usec, 5678);
  ev_uint32_t len = 0;
  EXPECT_EQ(evtag_peek_length(b, &len), 0);
  EXPECT_EQ(len, 6u);  // three tag bytes, one length byte, two payload bytes
  unsigned char two[2];
  EXPECT_EQ(evtag_unmarshal_fixed(b, 100000, two, 2), 0);
  EXPECT_EQ(two[0], 1);
  EXPECT_EQ(two[1], 2);
  EXPECT_EQ(b.size(), 0u);
  evtag_init();  // a no-op kept for old programs
}

// The longest headers: a 5-byte tag and a 5-byte length (a payload of 2^28 bytes or more,
// mostly a reference to memory no reader may touch), then an int64 of 9 bytes or a
// timeval of two 5-byte numbers, all of which a reader must see.
TEST(TagUnmarshal, RecordsWithTheLongestHeaders) {
  static char never_read[64];
  const uint32_t kLen = 1u << 28;
  {
    Buf b;
    evtag_encode_tag(b, 0xffffffffu);
    evtag_encode_int(b, kLen);
    Buf number;
    evtag_encode_int64(number, UINT64_MAX - 1);
    ASSERT_EQ(number.size(), 9u);
    b.add(number.bytes());
    ASSERT_EQ(evbuffer_add_reference(b, never_read, kLen - 9, nullptr, nullptr), 0);
    ASSERT_EQ(b.size(), 10u + kLen);
    ev_uint64_t v = 0;
    EXPECT_EQ(evtag_unmarshal_int64(b, 0xffffffffu, &v), 9);
    EXPECT_EQ(v, UINT64_MAX - 1);
    EXPECT_EQ(b.size(), 0u);
  }
  {
    Buf b;
    evtag_encode_tag(b, 0xfffffffeu);
    evtag_encode_int(b, kLen);
    evtag_encode_int(b, 0xfedcba98u);
    evtag_encode_int(b, 0x89abcdefu);
    ASSERT_EQ(evbuffer_add_reference(b, never_read, kLen - 10, nullptr, nullptr), 0);
    timeval tv{};
    EXPECT_EQ(evtag_unmarshal_timeval(b, 0xfffffffeu, &tv), 0);
    EXPECT_EQ(tv.tv_sec, time_t(0xfedcba98u));
    EXPECT_EQ(tv.tv_usec, suseconds_t(0x89abcdefu));
    EXPECT_EQ(b.size(), 0u);
  }
}

// evtag_peek_length adds header and payload lengths in 32 bits.
TEST(TagHeader, PeekLengthWrapsAtThirtyTwoBits) {
  Buf b;
  evtag_encode_tag(b, 1);
  evtag_encode_int(b, 0xffffffffu);
  ev_uint32_t len = 0;
  EXPECT_EQ(evtag_peek_length(b, &len), 0);
  EXPECT_EQ(len, 5u);  // 0xffffffff + 6, cut to 32 bits
  EXPECT_EQ(evtag_payload_length(b, &len), 0);
  EXPECT_EQ(len, 0xffffffffu);
}

TEST(TagUnmarshal, Int64FailuresMatchTheThirtyTwoBitOnes) {
  Buf wrong_tag;
  evtag_marshal_int64(wrong_tag, 7, 1ULL << 40);
  ev_uint64_t v = 0;
  EXPECT_EQ(evtag_unmarshal_int64(wrong_tag, 8, &v), -1);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(wrong_tag.size(), 7u);  // only the tag went
  Buf past(Bytes{0x07, 0x01, 0x80, 0x00, 0x00, 0x00, 0x01, 0xee});
  EXPECT_EQ(evtag_unmarshal_int64(past, 7, &v), -1);
  EXPECT_EQ(v, 1ULL << 32);  // stored, though it runs past the 1-byte payload
  EXPECT_EQ(past.bytes(), (Bytes{0x00, 0x00, 0x00, 0x01, 0xee}));
}

// A NULL output that is never written to is harmless in libevent: the call fails the
// same way and takes the same bytes with and without it.
TEST(TagUnmarshal, NullOutputsOfRecordsThatFailEarlyChangeNothing) {
  const Bytes rec{0x07, 0x02, 0xaa, 0xbb, 0xcc};
  {
    Buf b(rec);
    EXPECT_EQ(evtag_unmarshal_int(b, 8, nullptr), -1);
    EXPECT_EQ(b.bytes(), (Bytes{0x02, 0xaa, 0xbb, 0xcc}));
    Buf c(rec);
    EXPECT_EQ(evtag_unmarshal_int64(c, 8, nullptr), -1);
    EXPECT_EQ(c.size(), 4u);
  }
  {
    Buf b(Bytes{0x07, 0x02, 0x90, 0xbb, 0xcc});  // ten digits: no number
    EXPECT_EQ(evtag_unmarshal_int(b, 7, nullptr), -1);
    EXPECT_EQ(b.bytes(), Bytes{0xcc});
  }
  {
    Buf b(rec);
    EXPECT_EQ(evtag_unmarshal_string(b, 8, nullptr), -1);
    EXPECT_EQ(b.size(), 3u);
    Buf c(rec);
    EXPECT_EQ(evtag_unmarshal_timeval(c, 8, nullptr), -1);
    EXPECT_EQ(c.bytes(), Bytes{0xcc});
    Buf d(rec);
    EXPECT_EQ(evtag_unmarshal_fixed(d, 8, nullptr, 2), -1);
    EXPECT_EQ(d.size(), 3u);
    Buf e(Bytes{0x07, 0x05, 0xaa, 0xbb, 0xcc});
    EXPECT_EQ(evtag_unmarshal(e, nullptr, nullptr), -1);
    EXPECT_EQ(e.size(), 3u);
    Buf f(Bytes{0x87});
    EXPECT_EQ(evtag_peek_length(f, nullptr), -1);
    EXPECT_EQ(evtag_payload_length(f, nullptr), -1);
    EXPECT_EQ(evtag_decode_int(nullptr, f), -1);
    EXPECT_EQ(f.size(), 1u);
  }
}

// A buffer whose start is frozen (a bufferevent pair's output, say) can still be read.
TEST(TagHeader, FrozenStartCanBePeekedAt) {
  Buf b(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  ASSERT_EQ(evbuffer_freeze(b, 1), 0);
  ev_uint32_t tag = 0, len = 0;
  EXPECT_EQ(evtag_peek(b, &tag), 1);
  EXPECT_EQ(tag, 7u);
  EXPECT_EQ(evtag_peek_length(b, &len), 0);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(evtag_payload_length(b, &len), 0);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(b.size(), 5u);
}

int g_fail_size = -1;
void* malloc_failing_one_size(size_t n) { return int(n) == g_fail_size ? nullptr : malloc(n); }

TEST(TagMemory, AFailedStringAllocationStoresNull) {
  event_set_mem_functions(malloc_failing_one_size, realloc, free);
  g_fail_size = 6;
  Buf b;
  evtag_marshal_string(b, 1, "abcde");
  char* s = reinterpret_cast<char*>(&g_fail_size);
  EXPECT_EQ(evtag_unmarshal_string(b, 1, &s), -1);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(b.size(), 5u);  // the header went, the payload stays
  g_fail_size = -1;
  event_set_mem_functions(malloc, realloc, free);
}

// libevent adds the NUL's byte in an int, so a string of INT_MAX bytes always fails as if
// memory had run out (the payload is a reference to memory no reader may touch).
TEST(TagMemory, AStringOfIntMaxBytesFails) {
  static char never_read[64];
  Buf b;
  evtag_encode_tag(b, 1);
  evtag_encode_int(b, uint32_t(INT_MAX));
  ASSERT_EQ(evbuffer_add_reference(b, never_read, size_t(INT_MAX), nullptr, nullptr), 0);
  char* s = reinterpret_cast<char*>(&g_fail_size);
  EXPECT_EQ(evtag_unmarshal_string(b, 1, &s), -1);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(b.size(), size_t(INT_MAX));
}

TEST(TagMemory, DebugMessagesNeedDebugLogging) {
  vigil_test::LogCapture log;
  event_debugx_("quiet %d", 1);
  EXPECT_EQ(log.size(), 0u) << log.dump();
  event_enable_debug_logging(EVENT_DBG_ALL);
  event_debugx_("loud %d", 2);
  event_enable_debug_logging(EVENT_DBG_NONE);
  EXPECT_TRUE(log.has("loud 2", EVENT_LOG_DEBUG)) << log.dump();
}

// -------------------------------------------------- core's internal exports ----

int g_mallocs = 0;
void* counting_malloc(size_t n) {
  ++g_mallocs;
  return malloc(n);
}

// Strings come from the allocator given to event_set_mem_functions, through
// libevent_core's event_mm_malloc_.
TEST(TagMemory, StringsUseTheReplaceableAllocator) {
  event_set_mem_functions(counting_malloc, realloc, free);
  Buf b;
  evtag_marshal_string(b, 1, "abc");
  g_mallocs = 0;
  char* s = nullptr;
  ASSERT_EQ(evtag_unmarshal_string(b, 1, &s), 0);
  EXPECT_GE(g_mallocs, 1);
  event_mm_free_(s);
  g_mallocs = 0;
  void* p = event_mm_malloc_(10);
  EXPECT_EQ(g_mallocs, 1);
  event_mm_free_(p);
  char* d = event_mm_strdup_("dup");
  EXPECT_STREQ(d, "dup");
  event_mm_free_(d);
  event_set_mem_functions(malloc, realloc, free);
}

TEST(TagMemory, EventWarnxReachesTheLogCallback) {
  vigil_test::LogCapture log;
  event_warnx("hello %d", 42);
  EXPECT_TRUE(log.has("hello 42", EVENT_LOG_WARN)) << log.dump();
}

// --------------------------------------------------------- vigil only ----

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
// libevent crashes on a NULL buffer; vigil says so and fails, touching nothing.
TEST(TagBadInput, NullBuffersFailWithAMessage) {
  vigil_test::LogCapture log;
  Buf b(Bytes{0x07, 0x01, 0x01});
  ev_uint32_t u = 0;
  ev_uint64_t u64 = 0;
  char* s = nullptr;
  timeval tv{};
  unsigned char out[1];
  EXPECT_EQ(evtag_unmarshal_header(nullptr, &u), -1);
  EXPECT_EQ(evtag_unmarshal(nullptr, &u, b), -1);
  EXPECT_EQ(evtag_peek(nullptr, &u), -1);
  EXPECT_EQ(evtag_peek_length(nullptr, &u), -1);
  EXPECT_EQ(evtag_payload_length(nullptr, &u), -1);
  EXPECT_EQ(evtag_consume(nullptr), -1);
  EXPECT_EQ(evtag_unmarshal_int(nullptr, 7, &u), -1);
  EXPECT_EQ(evtag_unmarshal_int64(nullptr, 7, &u64), -1);
  EXPECT_EQ(evtag_unmarshal_fixed(nullptr, 7, out, 1), -1);
  EXPECT_EQ(evtag_unmarshal_string(nullptr, 7, &s), -1);
  EXPECT_EQ(evtag_unmarshal_timeval(nullptr, 7, &tv), -1);
  EXPECT_EQ(evtag_decode_int(&u, nullptr), -1);
  EXPECT_EQ(evtag_decode_int64(&u64, nullptr), -1);
  EXPECT_EQ(evtag_decode_tag(&u, nullptr), -1);
  evtag_marshal(nullptr, 1, "x", 1);
  evtag_marshal(b, 1, nullptr, 1);
  evtag_marshal_string(b, 1, nullptr);
  evtag_marshal_timeval(b, 1, nullptr);
  evtag_marshal_buffer(b, 1, nullptr);
  evtag_encode_int(nullptr, 1);
  evtag_encode_int64(nullptr, 1);
  evtag_marshal_int(nullptr, 1, 1);
  evtag_marshal_int64(nullptr, 1, 1);
  EXPECT_EQ(b.bytes(), (Bytes{0x07, 0x01, 0x01}));
  EXPECT_TRUE(log.has("evtag_marshal_string: string is NULL", EVENT_LOG_WARN)) << log.dump();
  EXPECT_TRUE(log.has("evtag_encode_int: evbuf is NULL", EVENT_LOG_WARN)) << log.dump();
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 23u);  // one per call above
}

// Where libevent would write through a NULL output (and crash), vigil fails with a
// message instead, having taken what libevent had taken by then.
TEST(TagBadInput, NullOutputsFailWhereLibeventWouldWriteThem) {
  vigil_test::LogCapture log;
  const Bytes rec{0x07, 0x01, 0x01, 0xee};
  Buf b1(rec);
  EXPECT_EQ(evtag_unmarshal_int(b1, 7, nullptr), -1);
  EXPECT_EQ(b1.bytes(), (Bytes{0x01, 0xee}));
  Buf b2(rec);
  EXPECT_EQ(evtag_unmarshal_string(b2, 7, nullptr), -1);
  EXPECT_EQ(b2.bytes(), (Bytes{0x01, 0xee}));
  Buf b3(rec);
  EXPECT_EQ(evtag_unmarshal_fixed(b3, 7, nullptr, 1), -1);
  EXPECT_EQ(b3.bytes(), (Bytes{0x01, 0xee}));
  Buf b4(rec);
  EXPECT_EQ(evtag_unmarshal(b4, nullptr, nullptr), -1);
  EXPECT_EQ(b4.bytes(), (Bytes{0x01, 0xee}));
  Buf b5(rec);
  EXPECT_EQ(evtag_unmarshal_timeval(b5, 7, nullptr), -1);
  EXPECT_EQ(b5.bytes(), Bytes{0xee});  // a timeval record always goes whole
  Buf b6(rec);
  EXPECT_EQ(evtag_peek_length(b6, nullptr), -1);
  EXPECT_EQ(evtag_payload_length(b6, nullptr), -1);
  EXPECT_EQ(evtag_decode_int64(nullptr, b6), -1);
  EXPECT_EQ(b6.bytes(), rec);
  for (const char* what : {"evtag_unmarshal_int: pinteger is NULL", "evtag_unmarshal_string: pstring is NULL",
                           "evtag_unmarshal_fixed: data is NULL", "evtag_unmarshal: dst is NULL",
                           "evtag_unmarshal_timeval: ptv is NULL", "evtag_peek_length: plength is NULL",
                           "evtag_payload_length: plength is NULL", "evtag_decode_int64: pnumber is NULL"})
    EXPECT_TRUE(log.has(what, EVENT_LOG_WARN)) << what << "\n" << log.dump();
}

// libevent reads these and then misbehaves; vigil refuses with a message.
TEST(TagBadInput, AliasedAndFrozenBuffersAreRefused) {
  vigil_test::LogCapture log;
  Buf b(Bytes{'x', 'y', 'z'});
  evtag_marshal_buffer(b, 9, b);  // libevent: a length counting the header itself
  EXPECT_EQ(b.bytes(), (Bytes{'x', 'y', 'z'}));
  Buf r(Bytes{0x07, 0x02, 0xaa, 0xbb, 0xcc});
  EXPECT_EQ(evtag_unmarshal(r, nullptr, r), -1);  // libevent: the payload moves to the end
  EXPECT_EQ(r.size(), 5u);
  // A start that is frozen keeps what was read: libevent reads the tag again as the length.
  ASSERT_EQ(evbuffer_freeze(r, 1), 0);
  ev_uint32_t tag = 0;
  EXPECT_EQ(evtag_unmarshal_header(r, &tag), -1);
  EXPECT_EQ(evtag_decode_tag(&tag, r), -1);
  EXPECT_EQ(evtag_consume(r), -1);
  EXPECT_EQ(r.size(), 5u);
  EXPECT_TRUE(log.has("data is the destination buffer itself", EVENT_LOG_WARN)) << log.dump();
  EXPECT_TRUE(log.has("src and dst are the same buffer", EVENT_LOG_WARN)) << log.dump();
  EXPECT_TRUE(log.has("evtag_decode_tag: cannot remove from a buffer whose start is frozen", EVENT_LOG_WARN))
      << log.dump();
}

// libevent writes the length cut to 32 bits in front of the whole payload; vigil
// refuses such a record and leaves both buffers alone.
TEST(TagBadInput, MarshalBufferRefusesMoreThanFourGigabytes) {
  vigil_test::LogCapture log;
  static char never_read;
  Buf b, data;
  ASSERT_EQ(evbuffer_add_reference(data, &never_read, size_t(UINT32_MAX), nullptr, nullptr), 0);
  ASSERT_EQ(evbuffer_add_reference(data, &never_read, 1, nullptr, nullptr), 0);
  evtag_marshal_buffer(b, 1, data);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(data.size(), size_t(UINT32_MAX) + 1);
  EXPECT_TRUE(log.has("do not fit a record", EVENT_LOG_WARN)) << log.dump();
}

// The tests load vigil's libevent_extra, not the system's.
TEST(TagLibrary, ComesFromTheVigilBuildTree) {
  const std::string lib = vigil_test::library_of(reinterpret_cast<void*>(&evtag_marshal));
  EXPECT_TRUE(vigil_test::is_under(lib, VIGIL_TEST_LIBDIR)) << lib;
  EXPECT_NE(lib.find("libevent_extra-2.1.so"), std::string::npos) << lib;
}
#endif

}  // namespace
