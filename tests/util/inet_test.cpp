// evutil_inet_pton, evutil_inet_pton_scope, evutil_inet_ntop and evutil_sockaddr_cmp,
// pinned to libevent 2.1.12, which uses its own parsers and formatter rather than the
// C library's (so several answers differ from inet_pton(3) / inet_ntop(3)).
#include "util_support.h"

#include <net/if.h>
#include <sys/un.h>

#include <climits>

using namespace ut;

namespace {

constexpr unsigned char kFill = 0xa5;

// evutil_inet_pton's answer and the bytes it wrote (empty when it wrote nothing).
struct Pton {
  int ret;
  std::string out;
};

Pton pton(int af, const std::string& text) {
  unsigned char buf[16 + 8];
  memset(buf, kFill, sizeof buf);
  Pton p;
  p.ret = evutil_inet_pton(af, text.c_str(), buf);
  const size_t size = af == AF_INET ? 4 : 16;
  for (size_t i = size; i < sizeof buf; ++i) EXPECT_EQ(buf[i], kFill) << "byte " << i << " written for " << text;
  bool untouched = true;
  for (size_t i = 0; i < size; ++i) untouched = untouched && buf[i] == kFill;
  if (!untouched) p.out = bytes(buf, size);
  return p;
}

void expect_v4(const std::string& text, const char* means) {
  Pton p = pton(AF_INET, text);
  EXPECT_EQ(p.ret, 1) << '"' << text << '"';
  EXPECT_EQ(p.out, libc_bytes(AF_INET, means)) << '"' << text << '"';
}

void expect_v6(const std::string& text, const char* means) {
  Pton p = pton(AF_INET6, text);
  EXPECT_EQ(p.ret, 1) << '"' << text << '"';
  EXPECT_EQ(p.out, libc_bytes(AF_INET6, means)) << '"' << text << '"';
}

void expect_rejected(int af, const std::string& text) {
  Pton p = pton(af, text);
  EXPECT_EQ(p.ret, 0) << '"' << text << '"';
  EXPECT_TRUE(p.out.empty()) << "output written for \"" << text << '"';
}

std::string ntop4(const char* addr) {
  unsigned char a[4];
  inet_pton(AF_INET, addr, a);
  char buf[64];
  const char* r = evutil_inet_ntop(AF_INET, a, buf, sizeof buf);
  return r ? std::string(r) : std::string("<null>");
}

std::string ntop6(const char* addr) {
  unsigned char a[16];
  EXPECT_EQ(inet_pton(AF_INET6, addr, a), 1) << addr;
  char buf[64];
  const char* r = evutil_inet_ntop(AF_INET6, a, buf, sizeof buf);
  return r ? std::string(r) : std::string("<null>");
}

}  // namespace

// ------------------------------------------------------------------ pton IPv4 ----

TEST(InetPton, Ipv4Plain) {
  expect_v4("1.2.3.4", "1.2.3.4");
  expect_v4("0.0.0.0", "0.0.0.0");
  expect_v4("255.255.255.255", "255.255.255.255");
  expect_v4("192.168.100.1", "192.168.100.1");
}

TEST(InetPton, Ipv4IsReadLikeScanfU) {
  // Four sscanf "%u" numbers: leading zeros are decimal, white space and a sign may
  // precede each number, and the value is strtoul's cut to 32 bits.
  expect_v4("01.2.3.4", "1.2.3.4");
  expect_v4("1.2.3.010", "1.2.3.10");
  expect_v4("000000000001.2.3.4", "1.2.3.4");
  expect_v4(" 1.2.3.4", "1.2.3.4");
  expect_v4("\t1.\n2. 3.  4", "1.2.3.4");
  expect_v4("+1.2.3.4", "1.2.3.4");
  expect_v4("-0.1.2.3", "0.1.2.3");
  expect_v4("4294967296.1.2.3", "0.1.2.3");    // 2^32 wraps to 0
  expect_v4("-4294967295.0.0.0", "1.0.0.0");   // -(2^32 - 1) is 1 modulo 2^32
  expect_v4("4294967551.0.0.0", "255.0.0.0");  // 2^32 + 255
}

TEST(InetPton, Ipv4Rejected) {
  for (const char* t : {"", "1", "1.2", "1.2.3", "127.1", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4", "1..2.3",
                        "1.2.3.4 ", "1.2.3.4x", "1.2.3.4\n", "256.0.0.0", "1.2.3.256", "-1.0.0.0", "0x1.2.3.4",
                        "1.2.3.0x4", "a.b.c.d", "1 .2.3.4", "1.2.3.+", "1.2.3.-", "::1", "1.2.3.4:80",
                        "18446744073709551616.0.0.0", "99999999999999999999999.0.0.0", "4294967552.0.0.0",
                        "\xc2\xa0" "1.2.3.4"})
    expect_rejected(AF_INET, t);
}

// ------------------------------------------------------------------ pton IPv6 ----

TEST(InetPton, Ipv6Plain) {
  expect_v6("::", "::");
  expect_v6("::1", "::1");
  expect_v6("1::", "1::");
  expect_v6("1::2", "1::2");
  expect_v6("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
  expect_v6("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
  expect_v6("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8");
  expect_v6("2001:DB8::Ab:cD", "2001:db8::ab:cd");
  expect_v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  expect_v6("0000:0000:0000:0000:0000:0000:0000:0001", "::1");
  expect_v6("::ffff:1.2.3.4", "::ffff:1.2.3.4");
  expect_v6("::1.2.3.4", "::1.2.3.4");
  expect_v6("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
  expect_v6("1::1.2.3.4", "1::102:304");
}

TEST(InetPton, Ipv6LibeventQuirks) {
  // Groups are read by strtol(..., 16), so a "0x" prefix is taken (it counts towards
  // the 4 characters of a group).
  expect_v6("0x12::", "12::");
  expect_v6("0X1f::1", "1f::1");
  expect_rejected(AF_INET6, "0x123::");
  expect_rejected(AF_INET6, "0x::1");
  // A single ':' after the last group is tolerated.
  expect_v6("1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7:8");
  expect_v6("1::2:", "1::2");
  expect_v6("::1:", "::1");
  // The IPv4 tail is read like an IPv4 address (leading zeros, white space, signs).
  expect_v6("::ffff:01.02.03.004", "::ffff:1.2.3.4");
  expect_v6("::1. 2.3.4", "::1.2.3.4");
  expect_v6("::1.+2.3.4", "::1.2.3.4");
}

TEST(InetPton, Ipv6Rejected) {
  for (const char* t : {"", ":", ":::", "1:::2", "1::2::3", "::1::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
                        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "00000::", "::g", ":1::", ":1:2:3:4:5:6:7:8",
                        "1:2", "1:", "1.2.3.4", "::1.2.3", "::1.2.3.4.5", "::256.0.0.0", "::1.2.3.4:5",
                        "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4 ", " ::1", "::1 ", "fe80::1%1", "[::1]", "::ffff:1a.2.3.4",
                        ".::1", "::.1.2.3.4", "1:2:3:4:5:6:7:8:1.2.3.4", "::a1.2.3.4", "::1.2.3.0x4", "::-1"})
    expect_rejected(AF_INET6, t);
}

TEST(InetPton, UnknownFamily) {
  unsigned char buf[16];
  memset(buf, kFill, sizeof buf);
  EXPECT_EQ(evutil_inet_pton(AF_UNIX, "1.2.3.4", buf), -1);
  EXPECT_EQ(evutil_inet_pton(12345, "::1", buf), -1);
  EXPECT_EQ(evutil_inet_pton(-1, "", buf), -1);
  for (unsigned char b : buf) EXPECT_EQ(b, kFill);
}

TEST(InetPton, AcceptsEverythingLibcAccepts) {
  // Where libc's strict inet_pton says yes, libevent's says the same.
  for (const char* t : {"0.0.0.0", "10.20.30.40", "255.0.255.0"}) expect_v4(t, t);
  for (const char* t : {"::", "::1", "1::", "a:b:c:d:e:f:0:1", "::ffff:0.0.0.0", "64:ff9b::1.2.3.4", "fe80::",
                        "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:0:0:0:0:0:0:8"})
    expect_v6(t, t);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(InetPton, NullArguments) {
  unsigned char buf[16];
  EXPECT_EQ(evutil_inet_pton(AF_INET, nullptr, buf), -1);
  EXPECT_EQ(evutil_inet_pton(AF_INET6, "::1", nullptr), -1);
  unsigned idx = 7;
  EXPECT_EQ(evutil_inet_pton_scope(AF_INET6, nullptr, buf, &idx), -1);
  EXPECT_EQ(idx, 0u);
  EXPECT_EQ(evutil_inet_pton_scope(AF_INET6, "::1%3", buf, nullptr), 1);  // the index is optional
}
#endif

// ------------------------------------------------------------------ pton_scope ----

namespace {
struct Scoped {
  int ret;
  unsigned index;
  std::string out;
};
Scoped pton_scope(int af, const char* text) {
  unsigned char buf[16];
  memset(buf, kFill, sizeof buf);
  Scoped s;
  s.index = 77;
  s.ret = evutil_inet_pton_scope(af, text, buf, &s.index);
  bool untouched = true;
  for (unsigned char b : buf) untouched = untouched && b == kFill;
  if (!untouched) s.out = bytes(buf, af == AF_INET ? 4 : 16);
  return s;
}
}  // namespace

TEST(InetPtonScope, NumericAndNamedZones) {
  Scoped s = pton_scope(AF_INET6, "fe80::1%3");
  EXPECT_EQ(s.ret, 1);
  EXPECT_EQ(s.index, 3u);
  EXPECT_EQ(s.out, libc_bytes(AF_INET6, "fe80::1"));

  const unsigned lo = if_nametoindex("lo");
  if (lo != 0) {
    s = pton_scope(AF_INET6, "fe80::1%lo");
    EXPECT_EQ(s.ret, 1);
    EXPECT_EQ(s.index, lo);
  }
  s = pton_scope(AF_INET6, "::1");
  EXPECT_EQ(s.ret, 1);
  EXPECT_EQ(s.index, 0u);  // reset when there is no zone
}

TEST(InetPtonScope, ZoneNumbersAreReadWithStrtoul) {
  // An empty zone is zone 0; white space and signs are taken; the unsigned long
  // result is cut to unsigned.
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1%").index, 0u);
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1%").ret, 1);
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1% 5").index, 5u);
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1%+5").index, 5u);
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1%-1").index, UINT_MAX);
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1%99999999999").index, unsigned(99999999999ULL));
  EXPECT_EQ(pton_scope(AF_INET6, "fe80::1%99999999999").ret, 1);
}

TEST(InetPtonScope, BadZonesAndAddresses) {
  for (const char* t : {"fe80::1%5x", "fe80::1%5%6", "fe80::1%no-such-interface-x", "fe80::1%5 "}) {
    Scoped s = pton_scope(AF_INET6, t);
    EXPECT_EQ(s.ret, 0) << t;
    EXPECT_EQ(s.index, 0u) << t;  // reset, and not set from a zone it did not understand
    EXPECT_TRUE(s.out.empty()) << t;
  }
  // A good zone is stored even when the address before it is bad.
  Scoped s = pton_scope(AF_INET6, "zz%5");
  EXPECT_EQ(s.ret, 0);
  EXPECT_EQ(s.index, 5u);
  EXPECT_TRUE(s.out.empty());
  s = pton_scope(AF_INET6, "%1");
  EXPECT_EQ(s.ret, 0);
  EXPECT_EQ(s.index, 1u);
}

TEST(InetPtonScope, OtherFamiliesIgnoreZones) {
  Scoped s = pton_scope(AF_INET, "1.2.3.4");
  EXPECT_EQ(s.ret, 1);
  EXPECT_EQ(s.index, 0u);
  EXPECT_EQ(s.out, libc_bytes(AF_INET, "1.2.3.4"));
  s = pton_scope(AF_INET, "1.2.3.4%5");
  EXPECT_EQ(s.ret, 0);
  EXPECT_EQ(s.index, 0u);
  s = pton_scope(12345, "fe80::1%5");
  EXPECT_EQ(s.ret, -1);
  EXPECT_EQ(s.index, 0u);
}

// ------------------------------------------------------------------------ ntop ----

TEST(InetNtop, Ipv4) {
  EXPECT_EQ(ntop4("1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(ntop4("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(ntop4("255.255.255.255"), "255.255.255.255");
  EXPECT_EQ(ntop4("10.0.200.7"), "10.0.200.7");
}

TEST(InetNtop, Ipv4BufferSizes) {
  unsigned char a[4] = {1, 2, 3, 4};
  char buf[32];
  // Exactly enough room.
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET, a, buf, 8), buf);
  EXPECT_STREQ(buf, "1.2.3.4");
  // One byte short: NULL, but the truncated text has been written (libevent formats
  // straight into the buffer).
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET, a, buf, 7), nullptr);
  EXPECT_STREQ(buf, "1.2.3.");
  EXPECT_EQ(buf[7], 'x');
  // No room: NULL and nothing written.
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET, a, buf, 0), nullptr);
  EXPECT_EQ(buf[0], 'x');
  // A larger buffer also gets its last byte cleared (evutil_snprintf does that).
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET, a, buf, 20), buf);
  EXPECT_STREQ(buf, "1.2.3.4");
  EXPECT_EQ(buf[8], 'x');
  EXPECT_EQ(buf[19], '\0');
  EXPECT_EQ(buf[20], 'x');
}

TEST(InetNtop, Ipv6Compression) {
  EXPECT_EQ(ntop6("::"), "::");
  EXPECT_EQ(ntop6("::1"), "::1");
  EXPECT_EQ(ntop6("1::"), "1::");
  EXPECT_EQ(ntop6("1::2"), "1::2");
  EXPECT_EQ(ntop6("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(ntop6("2001:DB8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");  // the first of equal runs
  EXPECT_EQ(ntop6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");              // the longest run
  EXPECT_EQ(ntop6("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");         // a single 0 stays
  EXPECT_EQ(ntop6("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(ntop6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(ntop6("0:0:0:0:0:1:0:0"), "::1:0:0");
  EXPECT_EQ(ntop6("fe80::abcd:ef01"), "fe80::abcd:ef01");
}

TEST(InetNtop, Ipv6EmbeddedIpv4) {
  // IPv4-mapped and IPv4-compatible forms get a dotted tail -- the latter only when
  // both of its halves are non-zero (so "::1" and "::1.2.0.0" are not written so).
  EXPECT_EQ(ntop6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
  EXPECT_EQ(ntop6("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
  EXPECT_EQ(ntop6("::1.2.3.4"), "::1.2.3.4");
  EXPECT_EQ(ntop6("::1.2.0.0"), "::102:0");  // libc writes ::1.2.0.0
  EXPECT_EQ(ntop6("::0.0.1.2"), "::102");
  EXPECT_EQ(ntop6("::ffff"), "::ffff");
  EXPECT_EQ(ntop6("64:ff9b::1.2.3.4"), "64:ff9b::102:304");
  EXPECT_EQ(ntop6("1::ffff:1.2.3.4"), "1::ffff:102:304");
}

TEST(InetNtop, Ipv6BufferSizes) {
  unsigned char a[16] = {0};
  a[15] = 1;  // ::1
  char buf[16];
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET6, a, buf, 4), buf);
  EXPECT_STREQ(buf, "::1");
  // A buffer exactly as long as the text (no room for the NUL) is accepted, and the
  // text cut by one character: libevent only refuses buffers shorter than the text.
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET6, a, buf, 3), buf);
  EXPECT_STREQ(buf, "::");
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_INET6, a, buf, 2), nullptr);
  EXPECT_EQ(buf[0], 'x');
  EXPECT_EQ(evutil_inet_ntop(AF_INET6, a, buf, 0), nullptr);
  EXPECT_EQ(buf[0], 'x');
}

TEST(InetNtop, UnknownFamily) {
  unsigned char a[16] = {1, 2, 3, 4};
  char buf[64];
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_inet_ntop(AF_UNIX, a, buf, sizeof buf), nullptr);
  EXPECT_EQ(evutil_inet_ntop(-1, a, buf, sizeof buf), nullptr);
  EXPECT_EQ(buf[0], 'x');
}

TEST(InetNtop, RoundTripsThroughPton) {
  const char* v6[] = {"::", "::1", "1::", "2001:db8::1", "::ffff:1.2.3.4", "::1.2.3.4", "1:0:0:2:0:0:0:3",
                      "fe80::1:2:3:4", "::1.2.0.0", "1:2:3:4:5:6:7:8"};
  for (const char* t : v6) {
    unsigned char a[16], b[16];
    inet_pton(AF_INET6, t, a);
    char text[64];
    ASSERT_NE(evutil_inet_ntop(AF_INET6, a, text, sizeof text), nullptr);
    ASSERT_EQ(evutil_inet_pton(AF_INET6, text, b), 1) << text;
    EXPECT_EQ(memcmp(a, b, 16), 0) << t;
  }
}

// ------------------------------------------------------------------ sockaddr_cmp ----

TEST(SockaddrCmp, FamiliesCompareByNumber) {
  sockaddr_in a = make_sin("1.2.3.4", 80);
  sockaddr_in6 b = make_sin6("::1", 80);
  const auto* sa = reinterpret_cast<const sockaddr*>(&a);
  const auto* sb = reinterpret_cast<const sockaddr*>(&b);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), AF_INET - AF_INET6);
  EXPECT_EQ(evutil_sockaddr_cmp(sb, sa, 0), AF_INET6 - AF_INET);
}

TEST(SockaddrCmp, Ipv4) {
  sockaddr_in a = make_sin("10.0.0.1", 80);
  sockaddr_in b = make_sin("10.0.0.1", 80);
  const auto* sa = reinterpret_cast<const sockaddr*>(&a);
  const auto* sb = reinterpret_cast<const sockaddr*>(&b);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), 0);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sa, 1), 0);

  // Ports: ignored unless asked for; then the difference of the network-order values.
  b.sin_port = htons(81);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 0), 0);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), int(htons(80)) - int(htons(81)));
  EXPECT_EQ(evutil_sockaddr_cmp(sb, sa, 1), int(htons(81)) - int(htons(80)));

  // Addresses: -1 or 1, comparing the network-order 32-bit words as numbers, so on a
  // little-endian machine the last byte weighs most.
  sockaddr_in c = make_sin("1.0.0.2", 0);
  sockaddr_in d = make_sin("2.0.0.1", 0);
  const auto* sc = reinterpret_cast<const sockaddr*>(&c);
  const auto* sd = reinterpret_cast<const sockaddr*>(&d);
  const int expected = c.sin_addr.s_addr < d.sin_addr.s_addr ? -1 : 1;
  EXPECT_EQ(evutil_sockaddr_cmp(sc, sd, 0), expected);
  EXPECT_EQ(evutil_sockaddr_cmp(sd, sc, 1), -expected);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  EXPECT_EQ(expected, 1);
#endif
  // sin_zero is not looked at.
  a.sin_zero[3] = 9;
  b.sin_port = htons(80);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), 0);
}

TEST(SockaddrCmp, Ipv6) {
  sockaddr_in6 a = make_sin6("::1", 80);
  sockaddr_in6 b = make_sin6("::1", 80);
  const auto* sa = reinterpret_cast<const sockaddr*>(&a);
  const auto* sb = reinterpret_cast<const sockaddr*>(&b);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), 0);
  // Scope and flow label are not compared.
  b.sin6_scope_id = 3;
  b.sin6_flowinfo = 5;
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), 0);
  b.sin6_port = htons(90);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 0), 0);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sb, 1), int(htons(80)) - int(htons(90)));
  // Addresses compare bytewise (memcmp order); the result is the difference of the
  // first differing bytes, as glibc's memcmp gives it to libevent.
  sockaddr_in6 c = make_sin6("::5", 80);
  sockaddr_in6 d = make_sin6("1::", 80);
  const auto* sc = reinterpret_cast<const sockaddr*>(&c);
  const auto* sd = reinterpret_cast<const sockaddr*>(&d);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, sc, 0), 1 - 5);
  EXPECT_EQ(evutil_sockaddr_cmp(sc, sa, 0), 5 - 1);
  sockaddr_in6 e = make_sin6("ff00::", 80);
  EXPECT_EQ(evutil_sockaddr_cmp(sa, reinterpret_cast<const sockaddr*>(&e), 1), 0 - 0xff);
  EXPECT_LT(evutil_sockaddr_cmp(sc, sd, 1), 0);
  EXPECT_GT(evutil_sockaddr_cmp(sd, sa, 1), 0);
}

TEST(SockaddrCmp, OtherFamiliesNeverEqual) {
  sockaddr_un u;
  memset(&u, 0, sizeof u);
  u.sun_family = AF_UNIX;
  const auto* su = reinterpret_cast<const sockaddr*>(&u);
  EXPECT_EQ(evutil_sockaddr_cmp(su, su, 0), 1);
  EXPECT_EQ(evutil_sockaddr_cmp(su, su, 1), 1);
}
