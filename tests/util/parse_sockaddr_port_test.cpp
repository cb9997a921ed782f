// evutil_parse_sockaddr_port: the accepted forms, libevent 2.1.12's exact acceptance
// rules (including its looser corners), *outlen handling, and hostile input
// (CVE-2016-10196 class): nothing is ever written past *outlen bytes, nothing at all on
// failure, and no log message.
#include "util_support.h"

#include <net/if.h>

#include <climits>
#include <memory>

using namespace ut;

namespace {

constexpr unsigned char kFill = 0xa5;

struct Parsed {
  int ret = 0;
  int outlen = 0;
  sockaddr_storage ss{};
  const sockaddr_in& sin() const { return *reinterpret_cast<const sockaddr_in*>(&ss); }
  const sockaddr_in6& sin6() const { return *reinterpret_cast<const sockaddr_in6*>(&ss); }
};

// Parses with a full-size buffer (*outlen = sizeof(sockaddr_storage)).
Parsed parse(const std::string& text) {
  Parsed p;
  memset(&p.ss, kFill, sizeof p.ss);
  p.outlen = static_cast<int>(sizeof p.ss);
  p.ret = evutil_parse_sockaddr_port(text.c_str(), reinterpret_cast<sockaddr*>(&p.ss), &p.outlen);
  return p;
}

::testing::AssertionResult is_v4(const Parsed& p, const char* addr, unsigned port) {
  if (p.ret != 0) return ::testing::AssertionFailure() << "returned " << p.ret;
  if (p.outlen != int(sizeof(sockaddr_in))) return ::testing::AssertionFailure() << "outlen " << p.outlen;
  sockaddr_in want = make_sin(addr, port);
  if (memcmp(&want, &p.sin(), sizeof want) != 0) {
    char got[64];
    inet_ntop(AF_INET, &p.sin().sin_addr, got, sizeof got);
    return ::testing::AssertionFailure() << "got " << got << " port " << ntohs(p.sin().sin_port)
                                         << " family " << p.sin().sin_family;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_v6(const Parsed& p, const char* addr, unsigned port, unsigned scope = 0) {
  if (p.ret != 0) return ::testing::AssertionFailure() << "returned " << p.ret;
  if (p.outlen != int(sizeof(sockaddr_in6))) return ::testing::AssertionFailure() << "outlen " << p.outlen;
  sockaddr_in6 want = make_sin6(addr, port, scope);
  if (memcmp(&want, &p.sin6(), sizeof want) != 0) {
    char got[64];
    inet_ntop(AF_INET6, &p.sin6().sin6_addr, got, sizeof got);
    return ::testing::AssertionFailure() << "got " << got << " port " << ntohs(p.sin6().sin6_port) << " scope "
                                         << p.sin6().sin6_scope_id;
  }
  return ::testing::AssertionSuccess();
}

// Refused, with *outlen and every byte of the output untouched, and nothing logged.
::testing::AssertionResult refused(const std::string& text) {
  LogCapture log;
  Parsed p = parse(text);
  if (p.ret != -1) return ::testing::AssertionFailure() << "returned " << p.ret;
  if (p.outlen != int(sizeof p.ss)) return ::testing::AssertionFailure() << "outlen changed to " << p.outlen;
  const auto* b = reinterpret_cast<const unsigned char*>(&p.ss);
  for (size_t i = 0; i < sizeof p.ss; ++i)
    if (b[i] != kFill) return ::testing::AssertionFailure() << "output byte " << i << " written";
  if (log.size()) return ::testing::AssertionFailure() << "logged: " << log.dump();
  return ::testing::AssertionSuccess();
}

}  // namespace

TEST(ParseSockaddrPort, Ipv4WithAndWithoutPort) {
  EXPECT_TRUE(is_v4(parse("1.2.3.4:80"), "1.2.3.4", 80));
  EXPECT_TRUE(is_v4(parse("1.2.3.4"), "1.2.3.4", 0));
  EXPECT_TRUE(is_v4(parse("0.0.0.0:1"), "0.0.0.0", 1));
  EXPECT_TRUE(is_v4(parse("255.255.255.255:65535"), "255.255.255.255", 65535));
  EXPECT_TRUE(is_v4(parse("127.0.0.1:8080"), "127.0.0.1", 8080));
}

TEST(ParseSockaddrPort, Ipv6Forms) {
  EXPECT_TRUE(is_v6(parse("[::1]:8080"), "::1", 8080));
  EXPECT_TRUE(is_v6(parse("[::1]"), "::1", 0));
  EXPECT_TRUE(is_v6(parse("::1"), "::1", 0));
  EXPECT_TRUE(is_v6(parse("[ffff::1]:65535"), "ffff::1", 65535));
  EXPECT_TRUE(is_v6(parse("[2001:db8::a:b]:1"), "2001:db8::a:b", 1));
  EXPECT_TRUE(is_v6(parse("[::ffff:1.2.3.4]:80"), "::ffff:1.2.3.4", 80));
  EXPECT_TRUE(is_v6(parse("::ffff:1.2.3.4"), "::ffff:1.2.3.4", 0));
  EXPECT_TRUE(is_v6(parse("[::]:443"), "::", 443));
  EXPECT_TRUE(is_v6(parse("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8", 0));
}

TEST(ParseSockaddrPort, BareIpv6NeverHasAPort) {
  // Two colons or more without brackets: the whole text is the address.
  EXPECT_TRUE(is_v6(parse("1::2:80"), "1::2:80", 0));
  EXPECT_TRUE(is_v6(parse("::80"), "::80", 0));
  EXPECT_TRUE(refused("1::2:65536"));  // 65536 is no IPv6 group
}

TEST(ParseSockaddrPort, Ipv6Zone) {
  EXPECT_TRUE(is_v6(parse("[fe80::1%1]:80"), "fe80::1", 80, 1));
  EXPECT_TRUE(is_v6(parse("fe80::1%7"), "fe80::1", 0, 7));
  EXPECT_TRUE(is_v6(parse("[fe80::1%]:80"), "fe80::1", 80, 0));  // an empty zone is zone 0
  EXPECT_TRUE(is_v6(parse("[::1%]]"), "::1", 0, 0));
  const unsigned lo = if_nametoindex("lo");
  if (lo != 0) {
    EXPECT_TRUE(is_v6(parse("[fe80::1%lo]:80"), "fe80::1", 80, lo));
  }
  EXPECT_TRUE(refused("[fe80::1%no-such-interface-x]:80"));
  EXPECT_TRUE(refused("[fe80::1%5x]:80"));
  EXPECT_TRUE(refused("1.2.3.4%1:80"));  // no zones on IPv4
}

TEST(ParseSockaddrPort, PortIsReadWithAtoi) {
  // libevent reads the port with atoi(): leading white space and a sign are taken,
  // anything after the digits is ignored, and the long result is cut to int.
  EXPECT_TRUE(is_v4(parse("1.2.3.4:80x"), "1.2.3.4", 80));
  EXPECT_TRUE(is_v4(parse("1.2.3.4: 80"), "1.2.3.4", 80));
  EXPECT_TRUE(is_v4(parse("1.2.3.4:+80"), "1.2.3.4", 80));
  EXPECT_TRUE(is_v4(parse("1.2.3.4:0080"), "1.2.3.4", 80));
  EXPECT_TRUE(is_v4(parse("1.2.3.4:4294967376"), "1.2.3.4", 80));  // 2^32 + 80
  EXPECT_TRUE(is_v6(parse("[::1]:80:90"), "::1", 80));
  EXPECT_TRUE(is_v6(parse("[::1]:443]"), "::1", 443));
}

TEST(ParseSockaddrPort, PortsOutOfRangeAreRefused) {
  for (const char* t : {"1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:", "1.2.3.4:abc", "1.2.3.4:-80",
                        "1.2.3.4:99999999999999999999", "1.2.3.4:4294967296", "[::1]:", "[::1]:0", "[::1]:65536",
                        "[::1]:-1", "[::1]:x"})
    EXPECT_TRUE(refused(t)) << t;
}

TEST(ParseSockaddrPort, TextAfterTheBracketIsIgnored) {
  // Only "]:" introduces a port; anything else after "]" is dropped.
  EXPECT_TRUE(is_v6(parse("[::1]junk"), "::1", 0));
  EXPECT_TRUE(is_v6(parse("[::1] :80"), "::1", 0));
  EXPECT_TRUE(is_v6(parse("[::1]]"), "::1", 0));
}

TEST(ParseSockaddrPort, Ipv4UsesLibeventsLooseNumbers) {
  // The IPv4 part is read like sscanf("%u.%u.%u.%u"): leading zeros (decimal, not
  // octal), white space and signs before each number.
  EXPECT_TRUE(is_v4(parse("001.002.003.010:80"), "1.2.3.10", 80));
  EXPECT_TRUE(is_v4(parse(" 1.2.3.4:80"), "1.2.3.4", 80));
  EXPECT_TRUE(is_v4(parse("1. 2.+3.4"), "1.2.3.4", 0));
  EXPECT_TRUE(refused("1.2.3.4 :80"));
  EXPECT_TRUE(refused("127.1:80"));
  EXPECT_TRUE(refused("0x7f.0.0.1:80"));
}

TEST(ParseSockaddrPort, GarbageIsRefused) {
  for (const char* t : {"", ":", "[", "]", "[]", "[]:80", "[:]", "[::1", "[::1:80", "x", "localhost",
                        "localhost:80", "1.2.3", "1.2.3:80", "1.2.3.4.5", "1.2.3.4.5:80", "256.1.1.1",
                        "1.2.3.256:80", "[1.2.3.4]:80", "[1.2.3.4]", "1.2.3.4:80:90", ":80",
                        "::g", "1:::2", "1::2::3", "[[::1]]:80", "\x01\x02", "\xff\xfe:1"})
    EXPECT_TRUE(refused(t)) << t;
  // "::" alone is the unspecified IPv6 address.
  EXPECT_TRUE(is_v6(parse("::"), "::", 0));
}

TEST(ParseSockaddrPort, LengthLimitOfTheCopiedPart) {
  // libevent copies the text inside "[...]" and the IPv4 text before ":port" into a
  // 128-byte buffer and refuses longer ones -- even when they are valid addresses.
  // (Long valid spellings exist: the IPv4 numbers may have any number of leading zeros.)
  auto v6_of_len = [](size_t n) { return "::1." + std::string(n - 9, '0') + "2.3.4"; };
  ASSERT_EQ(v6_of_len(127).size(), 127u);
  EXPECT_TRUE(is_v6(parse("[" + v6_of_len(127) + "]:80"), "::1.2.3.4", 80));
  EXPECT_TRUE(refused("[" + v6_of_len(128) + "]:80"));
  EXPECT_TRUE(is_v6(parse(v6_of_len(5000)), "::1.2.3.4", 0));  // bare: no copy, no limit

  auto v4_of_len = [](size_t n) { return "1.2.3." + std::string(n - 7, '0') + "4"; };
  ASSERT_EQ(v4_of_len(127).size(), 127u);
  EXPECT_TRUE(is_v4(parse(v4_of_len(127) + ":80"), "1.2.3.4", 80));
  EXPECT_TRUE(refused(v4_of_len(128) + ":80"));
  EXPECT_TRUE(is_v4(parse(v4_of_len(5000)), "1.2.3.4", 0));
}

TEST(ParseSockaddrPort, HostileLongInputs) {
  const size_t big = 1 << 20;
  EXPECT_TRUE(refused("[" + std::string(big, 'a') + "]:80"));
  EXPECT_TRUE(refused("[" + std::string(big, ':')));
  EXPECT_TRUE(refused("[" + std::string(big, '1')));
  EXPECT_TRUE(refused(std::string(big, '1') + ":80"));
  EXPECT_TRUE(refused(std::string(big, ':')));
  EXPECT_TRUE(refused(std::string(big, '[')));
  EXPECT_TRUE(refused("[::1]:" + std::string(big, '9')));
  EXPECT_TRUE(refused(std::string(big, '1')));
  EXPECT_TRUE(refused("1.2.3.4:" + std::string(big, '-')));
}

TEST(ParseSockaddrPort, OutlenInAndOut) {
  // In: the size of the output. Too small (or negative): -1, nothing written.
  // Enough: the whole given size is zeroed, the address copied, *outlen set to its size.
  for (int given : {-1, 0, 1, 15}) {
    unsigned char buf[64];
    memset(buf, kFill, sizeof buf);
    int len = given;
    EXPECT_EQ(evutil_parse_sockaddr_port("1.2.3.4:80", reinterpret_cast<sockaddr*>(buf), &len), -1) << given;
    EXPECT_EQ(len, given);
    for (unsigned char b : buf) EXPECT_EQ(b, kFill);
  }
  for (int given : {-1, 0, 16, 27}) {
    unsigned char buf[64];
    memset(buf, kFill, sizeof buf);
    int len = given;
    EXPECT_EQ(evutil_parse_sockaddr_port("[::1]:80", reinterpret_cast<sockaddr*>(buf), &len), -1) << given;
    EXPECT_EQ(len, given);
    for (unsigned char b : buf) EXPECT_EQ(b, kFill);
  }
  for (int given : {16, 17, 40}) {
    unsigned char buf[64];
    memset(buf, kFill, sizeof buf);
    int len = given;
    ASSERT_EQ(evutil_parse_sockaddr_port("1.2.3.4:80", reinterpret_cast<sockaddr*>(buf), &len), 0) << given;
    EXPECT_EQ(len, 16);
    sockaddr_in want = make_sin("1.2.3.4", 80);
    EXPECT_EQ(memcmp(buf, &want, sizeof want), 0);
    for (int i = 16; i < given; ++i) EXPECT_EQ(buf[i], 0) << i;
    for (int i = given; i < 64; ++i) EXPECT_EQ(buf[i], kFill) << i;
  }
  for (int given : {28, 29, 64}) {
    unsigned char buf[64];
    memset(buf, kFill, sizeof buf);
    int len = given;
    ASSERT_EQ(evutil_parse_sockaddr_port("[::1]:80", reinterpret_cast<sockaddr*>(buf), &len), 0) << given;
    EXPECT_EQ(len, 28);
    sockaddr_in6 want = make_sin6("::1", 80);
    EXPECT_EQ(memcmp(buf, &want, sizeof want), 0);
    for (int i = 28; i < given; ++i) EXPECT_EQ(buf[i], 0) << i;
    for (int i = given; i < 64; ++i) EXPECT_EQ(buf[i], kFill) << i;
  }
}

TEST(ParseSockaddrPort, ExactSizeHeapBuffers) {
  // Output and text in allocations of exactly the given size, so a sanitizer build
  // catches any access past them.
  const char* inputs[] = {"1.2.3.4:80", "[::1]:80", "[fe80::1%1]", "::ffff:1.2.3.4", "[::1", "1.2.3.4:99999"};
  for (const char* in : inputs) {
    for (int size : {1, 15, 16, 27, 28}) {
      std::unique_ptr<unsigned char[]> out(new unsigned char[size_t(size)]);
      std::unique_ptr<char[]> text(new char[strlen(in) + 1]);
      memcpy(text.get(), in, strlen(in) + 1);
      int len = size;
      evutil_parse_sockaddr_port(text.get(), reinterpret_cast<sockaddr*>(out.get()), &len);
      EXPECT_LE(len, size);
    }
  }
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(ParseSockaddrPort, NullArgumentsAreRefused) {
  // libevent dereferences these; vigil refuses them.
  sockaddr_storage ss;
  int len = sizeof ss;
  EXPECT_EQ(evutil_parse_sockaddr_port(nullptr, reinterpret_cast<sockaddr*>(&ss), &len), -1);
  EXPECT_EQ(evutil_parse_sockaddr_port("1.2.3.4", nullptr, &len), -1);
  EXPECT_EQ(evutil_parse_sockaddr_port("1.2.3.4", reinterpret_cast<sockaddr*>(&ss), nullptr), -1);
  EXPECT_EQ(len, int(sizeof ss));
}
#endif
