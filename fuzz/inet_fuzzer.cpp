// libFuzzer target: evutil_inet_pton / evutil_inet_pton_scope / evutil_inet_ntop.
//
// Input byte 0 chooses the direction; the rest is text (for pton) or address bytes
// plus a buffer length (for ntop).
// Checked:
//  * pton, both families: the result is 1 or 0; the output is untouched on 0 and
//    nothing is written outside the 4 or 16 bytes; an accepted address formatted with
//    evutil_inet_ntop parses back to the same bytes (pton(ntop(x)) == x).
//  * libc's inet_pton as an oracle where libevent's rules match it: every text libc
//    accepts is accepted with the same bytes (libevent's rules only add spellings:
//    leading zeros, white space and signs in IPv4 numbers, 0x groups, a trailing ':').
//  * pton_scope: agrees with pton on text without '%'.
//  * ntop: for every buffer length, the result and all bytes written; a full-size
//    buffer always succeeds and round-trips; libc's inet_ntop text for the same address
//    parses to the same bytes.
//  * with the system libevent loaded: every result and byte equal to its own.
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "fuzz_oracle.h"

namespace {

constexpr unsigned char kFill = 0xa5;

void check_pton(int af, const char* in) {
  const size_t size = af == AF_INET ? 4 : 16;
  unsigned char out[16 + 32];
  memset(out, kFill, sizeof out);
  const int r = evutil_inet_pton(af, in, out);
  FUZZ_CHECK(r == 0 || r == 1, in);
  for (size_t i = size; i < sizeof out; ++i) FUZZ_CHECK(out[i] == kFill, in);
  if (r == 0)
    for (size_t i = 0; i < size; ++i) FUZZ_CHECK(out[i] == kFill, in);

  if (r == 1) {
    char text[64];
    FUZZ_CHECK(evutil_inet_ntop(af, out, text, sizeof text) == text, in);
    unsigned char again[16];
    FUZZ_CHECK(evutil_inet_pton(af, text, again) == 1, text);
    FUZZ_CHECK(memcmp(again, out, size) == 0, text);
  }

  // libc accepts a subset of what libevent accepts, with the same meaning.
  unsigned char libc_out[16];
  if (inet_pton(af, in, libc_out) == 1) {
    FUZZ_CHECK(r == 1, in);
    FUZZ_CHECK(memcmp(libc_out, out, size) == 0, in);
  }

  if (af == AF_INET6) {
    unsigned char scoped[16];
    memset(scoped, kFill, sizeof scoped);
    unsigned index = 12345;
    const int rs = evutil_inet_pton_scope(AF_INET6, in, scoped, &index);
    if (!strchr(in, '%')) {
      FUZZ_CHECK(rs == r, in);
      FUZZ_CHECK(index == 0, in);
      if (r == 1) FUZZ_CHECK(memcmp(scoped, out, 16) == 0, in);
    }
    const fuzz::Oracle& o = fuzz::oracle();
    if (o.loaded) {
      unsigned char ref[16];
      memset(ref, kFill, sizeof ref);
      unsigned ref_index = 12345;
      FUZZ_CHECK(o.inet_pton_scope(AF_INET6, in, ref, &ref_index) == rs, in);
      FUZZ_CHECK(ref_index == index, in);
      FUZZ_CHECK(memcmp(ref, scoped, sizeof ref) == 0, in);
    }
  }

  const fuzz::Oracle& o = fuzz::oracle();
  if (o.loaded) {
    unsigned char ref[16 + 32];
    memset(ref, kFill, sizeof ref);
    FUZZ_CHECK(o.inet_pton(af, in, ref) == r, in);
    FUZZ_CHECK(memcmp(ref, out, sizeof ref) == 0, in);
  }
}

void check_ntop(int af, const unsigned char* addr, size_t len) {
  // The text of the input address, for reports.
  char hex[40];
  const size_t size = af == AF_INET ? 4 : 16;
  for (size_t i = 0; i < size; ++i) snprintf(hex + 2 * i, 3, "%02x", addr[i]);

  char dst[64 + 32];
  memset(dst, kFill, sizeof dst);
  const char* r = evutil_inet_ntop(af, addr, dst, len);
  FUZZ_CHECK(r == nullptr || r == dst, hex);
  for (size_t i = len; i < sizeof dst; ++i) FUZZ_CHECK(static_cast<unsigned char>(dst[i]) == kFill, hex);
  if (r) FUZZ_CHECK(strlen(dst) < len, hex);

  const fuzz::Oracle& o = fuzz::oracle();
  if (o.loaded) {
    char ref[64 + 32];
    memset(ref, kFill, sizeof ref);
    const char* ref_r = o.inet_ntop(af, addr, ref, len);
    FUZZ_CHECK((ref_r == nullptr) == (r == nullptr), hex);
    FUZZ_CHECK(memcmp(ref, dst, sizeof dst) == 0, hex);
  }

  // With room to spare it always succeeds, and the text means the same address.
  char full[64];
  FUZZ_CHECK(evutil_inet_ntop(af, addr, full, sizeof full) == full, hex);
  unsigned char back[16];
  FUZZ_CHECK(evutil_inet_pton(af, full, back) == 1, full);
  FUZZ_CHECK(memcmp(back, addr, size) == 0, full);
  char libc_text[INET6_ADDRSTRLEN];
  FUZZ_CHECK(inet_ntop(af, addr, libc_text, sizeof libc_text) != nullptr, hex);
  FUZZ_CHECK(evutil_inet_pton(af, libc_text, back) == 1, libc_text);
  FUZZ_CHECK(memcmp(back, addr, size) == 0, libc_text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;
  if (mode & 1) {
    // Address bytes, then one byte choosing the buffer length (0..64).
    const size_t need = (mode & 2) ? 16 : 4;
    if (size < need) return 0;
    const size_t len = size > need ? data[need] % 65 : 64;
    check_ntop((mode & 2) ? AF_INET6 : AF_INET, data, len);
    return 0;
  }
  const size_t text_len = strnlen(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<char[]> text(new char[text_len + 1]);
  memcpy(text.get(), data, text_len);
  text[text_len] = '\0';
  check_pton(AF_INET, text.get());
  check_pton(AF_INET6, text.get());
  return 0;
}
