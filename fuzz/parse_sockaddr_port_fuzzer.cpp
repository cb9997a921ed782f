// libFuzzer target: evutil_parse_sockaddr_port on hostile text (the CVE-2016-10196
// class of bugs).
//
// Input: byte 0 picks the *outlen passed in (including negative, too small and
// larger-than-needed sizes), the rest is the text (up to its first NUL).
// Checked on every input:
//  * nothing is written past the *outlen bytes given (a guard region after them must
//    stay intact; ASan also watches the text, which sits in an allocation of its exact
//    size);
//  * on failure: -1, *outlen and the whole output untouched;
//  * on success: 0, *outlen is sizeof(sockaddr_in) or sizeof(sockaddr_in6) and no more
//    than given, the rest of the given bytes zeroed, a sane family and zeroed padding;
//  * the parsed address, formatted again with evutil_inet_ntop (plus port and zone),
//    parses back to the same bytes;
//  * with the system libevent loaded: the same return value, *outlen and output bytes.
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_oracle.h"

namespace {

constexpr int kOutlens[] = {-1, 0, 1, 15, 16, 17, 27, 28, 29, 32, 64, int(sizeof(sockaddr_storage))};
constexpr size_t kGuard = 64;
constexpr unsigned char kFill = 0xa5;

void round_trip(const char* input, const sockaddr* sa, int len) {
  char text[128];
  char again[200];
  if (sa->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
    FUZZ_CHECK(evutil_inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) != nullptr, input);
    const unsigned port = ntohs(sin->sin_port);
    if (port)
      snprintf(again, sizeof again, "%s:%u", text, port);
    else
      snprintf(again, sizeof again, "%s", text);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    FUZZ_CHECK(evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text) != nullptr, input);
    const unsigned port = ntohs(sin6->sin6_port);
    std::string host = text;
    // A zone given by number comes back as that number (interface names would too,
    // but a number is what is stored).
    if (sin6->sin6_scope_id) host += "%" + std::to_string(sin6->sin6_scope_id);
    if (port)
      snprintf(again, sizeof again, "[%s]:%u", host.c_str(), port);
    else
      snprintf(again, sizeof again, "[%s]", host.c_str());
  }
  sockaddr_storage ss;
  int ss_len = int(sizeof ss);
  FUZZ_CHECK(evutil_parse_sockaddr_port(again, reinterpret_cast<sockaddr*>(&ss), &ss_len) == 0, again);
  FUZZ_CHECK(ss_len == len, again);
  FUZZ_CHECK(memcmp(&ss, sa, size_t(len)) == 0, again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int outlen_in = kOutlens[data[0] % (sizeof kOutlens / sizeof kOutlens[0])];
  const size_t text_len = strnlen(reinterpret_cast<const char*>(data + 1), size - 1);
  std::unique_ptr<char[]> text(new char[text_len + 1]);
  memcpy(text.get(), data + 1, text_len);
  text[text_len] = '\0';
  const char* in = text.get();

  const size_t given = outlen_in > 0 ? size_t(outlen_in) : 0;
  std::unique_ptr<unsigned char[]> out(new unsigned char[given + kGuard]);
  memset(out.get(), kFill, given + kGuard);
  int outlen = outlen_in;
  const int r = evutil_parse_sockaddr_port(in, reinterpret_cast<sockaddr*>(out.get()), &outlen);

  for (size_t i = given; i < given + kGuard; ++i) FUZZ_CHECK(out[i] == kFill, in);
  if (r != 0) {
    FUZZ_CHECK(r == -1, in);
    FUZZ_CHECK(outlen == outlen_in, in);
    for (size_t i = 0; i < given; ++i) FUZZ_CHECK(out[i] == kFill, in);
  } else {
    FUZZ_CHECK(outlen == int(sizeof(sockaddr_in)) || outlen == int(sizeof(sockaddr_in6)), in);
    FUZZ_CHECK(outlen <= outlen_in, in);
    for (size_t i = size_t(outlen); i < given; ++i) FUZZ_CHECK(out[i] == 0, in);
    sockaddr_storage ss;
    memcpy(&ss, out.get(), size_t(outlen));
    const auto* sa = reinterpret_cast<const sockaddr*>(&ss);
    if (outlen == int(sizeof(sockaddr_in))) {
      FUZZ_CHECK(sa->sa_family == AF_INET, in);
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
      for (unsigned char z : sin->sin_zero) FUZZ_CHECK(z == 0, in);
    } else {
      FUZZ_CHECK(sa->sa_family == AF_INET6, in);
      FUZZ_CHECK(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_flowinfo == 0, in);
    }
    round_trip(in, sa, outlen);
  }

  const fuzz::Oracle& o = fuzz::oracle();
  if (o.loaded) {
    std::unique_ptr<unsigned char[]> ref(new unsigned char[given + kGuard]);
    memset(ref.get(), kFill, given + kGuard);
    int ref_len = outlen_in;
    const int ref_r = o.parse_sockaddr_port(in, reinterpret_cast<sockaddr*>(ref.get()), &ref_len);
    FUZZ_CHECK(r == ref_r, in);
    FUZZ_CHECK(outlen == ref_len, in);
    FUZZ_CHECK(memcmp(out.get(), ref.get(), given + kGuard) == 0, in);
  }
  return 0;
}
