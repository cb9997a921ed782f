// evutil_getaddrinfo, evutil_freeaddrinfo and evutil_gai_strerror.
//
// On Linux libevent 2.1.12 answers with the system getaddrinfo() (a zeroed hints
// structure standing in for NULL, its private 0x80000000 flag cleared), so the system
// getaddrinfo() is the reference here: every answer must equal it field by field.
// No network is needed: the hosts are numeric, NULL or "localhost" (from /etc/hosts).
#include "util_support.h"

#include <netdb.h>

#include <memory>
#include <sstream>

using namespace ut;

namespace {

// A readable dump of a list, for comparisons and failure messages.
std::string describe(const addrinfo* ai) {
  std::ostringstream o;
  for (; ai; ai = ai->ai_next) {
    o << "{flags=" << std::hex << ai->ai_flags << std::dec << " family=" << ai->ai_family
      << " socktype=" << ai->ai_socktype << " protocol=" << ai->ai_protocol << " addrlen=" << ai->ai_addrlen
      << " canon=" << (ai->ai_canonname ? ai->ai_canonname : "(null)") << " addr=";
    if (ai->ai_addr) {
      const auto* b = reinterpret_cast<const unsigned char*>(ai->ai_addr);
      char hex[3];
      for (socklen_t i = 0; i < ai->ai_addrlen; ++i) {
        snprintf(hex, sizeof hex, "%02x", b[i]);
        o << hex;
      }
    } else {
      o << "(null)";
    }
    o << "}\n";
  }
  return o.str();
}

struct Lookup {
  int err;
  std::string list;  // describe() of the result
};

Lookup via_evutil(const char* node, const char* serv, const addrinfo* hints) {
  addrinfo* res = reinterpret_cast<addrinfo*>(0x1);  // must stay untouched on failure
  Lookup l;
  l.err = evutil_getaddrinfo(node, serv, hints, &res);
  if (l.err == 0) {
    l.list = describe(res);
    evutil_freeaddrinfo(res);
  } else {
    EXPECT_EQ(res, reinterpret_cast<addrinfo*>(0x1)) << "*res changed on failure";
  }
  return l;
}

Lookup via_system(const char* node, const char* serv, const addrinfo* hints) {
  addrinfo zero;
  memset(&zero, 0, sizeof zero);
  addrinfo h = hints ? *hints : zero;
  h.ai_flags &= ~int(0x80000000u);
  addrinfo* res = nullptr;
  Lookup l;
  l.err = getaddrinfo(node, serv, &h, &res);
  if (l.err == 0) {
    l.list = describe(res);
    freeaddrinfo(res);
  }
  return l;
}

addrinfo hints_of(int family, int socktype, int protocol, int flags) {
  addrinfo h;
  memset(&h, 0, sizeof h);
  h.ai_family = family;
  h.ai_socktype = socktype;
  h.ai_protocol = protocol;
  h.ai_flags = flags;
  return h;
}

void expect_same_as_system(const char* node, const char* serv, const addrinfo* hints) {
  Lookup a = via_evutil(node, serv, hints);
  Lookup b = via_system(node, serv, hints);
  std::string what = std::string("node=") + (node ? node : "NULL") + " serv=" + (serv ? serv : "NULL");
  if (hints)
    what += " family=" + std::to_string(hints->ai_family) + " socktype=" + std::to_string(hints->ai_socktype) +
            " protocol=" + std::to_string(hints->ai_protocol) + " flags=" + std::to_string(hints->ai_flags);
  EXPECT_EQ(a.err, b.err) << what;
  EXPECT_EQ(a.list, b.list) << what;
}

}  // namespace

TEST(Getaddrinfo, NumericIpv4WithoutHints) {
  addrinfo* res = nullptr;
  ASSERT_EQ(evutil_getaddrinfo("127.0.0.1", "80", nullptr, &res), 0);
  // glibc lists one entry per socket type: stream/TCP, datagram/UDP, raw.
  const int want[3][2] = {{SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}, {SOCK_RAW, 0}};
  const addrinfo* ai = res;
  for (const auto& w : want) {
    ASSERT_NE(ai, nullptr);
    EXPECT_EQ(ai->ai_flags, 0);
    EXPECT_EQ(ai->ai_family, AF_INET);
    EXPECT_EQ(ai->ai_socktype, w[0]);
    EXPECT_EQ(ai->ai_protocol, w[1]);
    ASSERT_EQ(ai->ai_addrlen, sizeof(sockaddr_in));
    sockaddr_in expect = make_sin("127.0.0.1", 80);
    EXPECT_EQ(memcmp(ai->ai_addr, &expect, sizeof expect), 0);
    EXPECT_EQ(ai->ai_canonname, nullptr);
    ai = ai->ai_next;
  }
  EXPECT_EQ(ai, nullptr);
  evutil_freeaddrinfo(res);
}

TEST(Getaddrinfo, NumericIpv6Stream) {
  addrinfo h = hints_of(AF_UNSPEC, SOCK_STREAM, 0, 0);
  addrinfo* res = nullptr;
  ASSERT_EQ(evutil_getaddrinfo("::1", "8080", &h, &res), 0);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->ai_next, nullptr);
  EXPECT_EQ(res->ai_family, AF_INET6);
  EXPECT_EQ(res->ai_socktype, SOCK_STREAM);
  EXPECT_EQ(res->ai_protocol, IPPROTO_TCP);
  ASSERT_EQ(res->ai_addrlen, sizeof(sockaddr_in6));
  sockaddr_in6 expect = make_sin6("::1", 8080);
  EXPECT_EQ(memcmp(res->ai_addr, &expect, sizeof expect), 0);
  evutil_freeaddrinfo(res);
}

TEST(Getaddrinfo, NullHostWithPassiveAndWithout) {
  addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0, EVUTIL_AI_PASSIVE);
  addrinfo* res = nullptr;
  ASSERT_EQ(evutil_getaddrinfo(nullptr, "80", &h, &res), 0);
  sockaddr_in any = make_sin("0.0.0.0", 80);
  EXPECT_EQ(memcmp(res->ai_addr, &any, sizeof any), 0);
  EXPECT_EQ(res->ai_flags, EVUTIL_AI_PASSIVE);
  evutil_freeaddrinfo(res);

  h = hints_of(AF_INET6, SOCK_DGRAM, 0, 0);
  ASSERT_EQ(evutil_getaddrinfo(nullptr, "53", &h, &res), 0);
  sockaddr_in6 lo = make_sin6("::1", 53);
  EXPECT_EQ(memcmp(res->ai_addr, &lo, sizeof lo), 0);
  EXPECT_EQ(res->ai_next, nullptr);
  evutil_freeaddrinfo(res);
}

TEST(Getaddrinfo, LocalhostIsLoopback) {
  addrinfo h = hints_of(AF_UNSPEC, SOCK_STREAM, 0, 0);
  addrinfo* res = nullptr;
  ASSERT_EQ(evutil_getaddrinfo("localhost", "80", &h, &res), 0);
  int n = 0;
  for (const addrinfo* ai = res; ai; ai = ai->ai_next, ++n) {
    EXPECT_EQ(ai->ai_socktype, SOCK_STREAM);
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      EXPECT_EQ(ntohl(sin->sin_addr.s_addr) >> 24, 127u);
      EXPECT_EQ(ntohs(sin->sin_port), 80);
    } else {
      ASSERT_EQ(ai->ai_family, AF_INET6);
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
      EXPECT_EQ(ntohs(sin6->sin6_port), 80);
    }
  }
  EXPECT_GE(n, 1);
  evutil_freeaddrinfo(res);
}

TEST(Getaddrinfo, Errors) {
  addrinfo h = hints_of(AF_UNSPEC, 0, 0, 0);
  EXPECT_EQ(via_evutil(nullptr, nullptr, nullptr).err, EVUTIL_EAI_NONAME);
  EXPECT_EQ(via_evutil(nullptr, nullptr, &h).err, EVUTIL_EAI_NONAME);
  h.ai_flags = EVUTIL_AI_CANONNAME;
  EXPECT_EQ(via_evutil(nullptr, "80", &h).err, EVUTIL_EAI_BADFLAGS);
  h = hints_of(AF_UNSPEC, 0, 0, EVUTIL_AI_NUMERICHOST);
  EXPECT_EQ(via_evutil("localhost", "80", &h).err, EVUTIL_EAI_NONAME);
  EXPECT_EQ(via_evutil("no.such.host.invalid", nullptr, &h).err, EVUTIL_EAI_NONAME);
  h = hints_of(AF_UNSPEC, 0, 0, EVUTIL_AI_NUMERICSERV);
  EXPECT_EQ(via_evutil("127.0.0.1", "http", &h).err, EVUTIL_EAI_NONAME);
  h = hints_of(12345, 0, 0, 0);
  EXPECT_EQ(via_evutil("127.0.0.1", "80", &h).err, EVUTIL_EAI_FAMILY);
  h = hints_of(AF_UNSPEC, 12345, 0, 0);
  EXPECT_EQ(via_evutil("127.0.0.1", "80", &h).err, EVUTIL_EAI_SOCKTYPE);
  h = hints_of(AF_INET6, SOCK_STREAM, 0, 0);
  EXPECT_EQ(via_evutil("127.0.0.1", "80", &h).err, EVUTIL_EAI_ADDRFAMILY);
  h = hints_of(AF_UNSPEC, 0, 0, 0x40000000);
  EXPECT_EQ(via_evutil("127.0.0.1", "80", &h).err, EVUTIL_EAI_BADFLAGS);
}

TEST(Getaddrinfo, LibeventsPrivateFlagIsIgnored) {
  // libevent clears its EVUTIL_AI_LIBEVENT_ALLOCATED bit (0x80000000) before asking
  // the system, so it neither fails nor shows up in the results.
  addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0, int(0x80000000u));
  addrinfo* res = nullptr;
  ASSERT_EQ(evutil_getaddrinfo("10.1.2.3", "99", &h, &res), 0);
  EXPECT_EQ(res->ai_flags, 0);
  evutil_freeaddrinfo(res);
}

TEST(Getaddrinfo, SameAsSystemForNumericHosts) {
  const char* nodes[] = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.1", "::1", "::", "2001:db8::7",
                         "::ffff:1.2.3.4", "0:0::1", "FE80::1", "127.1", "010.0.0.1", "0x7f.1", "::1%1",
                         "fe80::1%lo", "*", nullptr};
  const char* servs[] = {nullptr, "0", "80", "65535", "00080", "65536", "99999", " 80", "-1", "", "http", "*", "x"};
  const int families[] = {AF_UNSPEC, AF_INET, AF_INET6};
  const int kinds[][2] = {{0, 0}, {SOCK_STREAM, 0}, {SOCK_DGRAM, 0}, {SOCK_STREAM, IPPROTO_TCP},
                          {SOCK_DGRAM, IPPROTO_UDP}, {0, IPPROTO_TCP}, {SOCK_RAW, 0}, {SOCK_STREAM, IPPROTO_UDP}};
  const int flags[] = {0,
                       EVUTIL_AI_PASSIVE,
                       EVUTIL_AI_CANONNAME,
                       EVUTIL_AI_NUMERICHOST,
                       EVUTIL_AI_NUMERICSERV,
                       EVUTIL_AI_PASSIVE | EVUTIL_AI_CANONNAME | EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV,
                       EVUTIL_AI_V4MAPPED,
                       EVUTIL_AI_V4MAPPED | EVUTIL_AI_ALL,
                       EVUTIL_AI_ADDRCONFIG,
                       int(0x80000000u)};
  for (const char* node : nodes)
    for (const char* serv : servs) {
      if (!node && !serv) continue;
      expect_same_as_system(node, serv, nullptr);
      for (int family : families)
        for (const auto& kind : kinds)
          for (int fl : flags) {
            addrinfo h = hints_of(family, kind[0], kind[1], fl);
            expect_same_as_system(node, serv, &h);
          }
    }
}

TEST(Getaddrinfo, SameAsSystemForNamesWithNumericHost) {
  // AI_NUMERICHOST: names are refused without any lookup.
  for (const char* node : {"localhost", "1.2.3.4.5", "", "no.such.host.invalid", "127.0.0.1 ", "[::1]"})
    for (int family : {AF_UNSPEC, AF_INET, AF_INET6})
      for (int fl : {EVUTIL_AI_NUMERICHOST, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_CANONNAME}) {
        addrinfo h = hints_of(family, SOCK_STREAM, 0, fl);
        expect_same_as_system(node, "80", &h);
        EXPECT_EQ(via_evutil(node, "80", &h).err, EVUTIL_EAI_NONAME) << node;
      }
}

TEST(Getaddrinfo, SameAsSystemForLocalhost) {
  // Only families the machine's /etc/hosts answers for certain, so that no query
  // leaves the machine.
  for (int family : {AF_UNSPEC, AF_INET})
    for (int socktype : {0, int(SOCK_STREAM)})
      for (int fl : {0, EVUTIL_AI_CANONNAME, EVUTIL_AI_PASSIVE, EVUTIL_AI_ADDRCONFIG}) {
        addrinfo h = hints_of(family, socktype, 0, fl);
        expect_same_as_system("localhost", "80", &h);
        expect_same_as_system("localhost", nullptr, &h);
      }
}

TEST(Getaddrinfo, ResultsCanBeFreedWithLibcFreeaddrinfo) {
  // With libevent on Linux the lists come from getaddrinfo(3), and some programs free
  // them with freeaddrinfo(3). That keeps working (with the default allocator).
  addrinfo* res = nullptr;
  ASSERT_EQ(evutil_getaddrinfo("127.0.0.1", "80", nullptr, &res), 0);
  freeaddrinfo(res);
  addrinfo h = hints_of(AF_UNSPEC, SOCK_STREAM, 0, EVUTIL_AI_CANONNAME);
  ASSERT_EQ(evutil_getaddrinfo("localhost", "80", &h, &res), 0);
  freeaddrinfo(res);
  ASSERT_EQ(evutil_getaddrinfo("::1", "80", &h, &res), 0);
  EXPECT_STREQ(res->ai_canonname, "::1");
  freeaddrinfo(res);
}

TEST(Getaddrinfo, NoLogMessages) {
  LogCapture log;
  addrinfo h = hints_of(12345, 0, 0, 0);
  addrinfo* res = nullptr;
  evutil_getaddrinfo("127.0.0.1", "80", &h, &res);
  evutil_getaddrinfo(nullptr, nullptr, nullptr, &res);
  h = hints_of(AF_UNSPEC, 0, 0, EVUTIL_AI_NUMERICHOST);
  evutil_getaddrinfo("bad host name", "80", &h, &res);
  EXPECT_EQ(log.size(), 0u) << log.dump();
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(Getaddrinfo, NullResultPointerAndNullList) {
  // libevent would write through a NULL res and dereference a NULL list.
  errno = 0;
  EXPECT_EQ(evutil_getaddrinfo("127.0.0.1", "80", nullptr, nullptr), EVUTIL_EAI_SYSTEM);
  EXPECT_EQ(errno, EINVAL);
  evutil_freeaddrinfo(nullptr);
}
#endif

TEST(GaiStrerror, LibeventMessages) {
  EXPECT_STREQ(evutil_gai_strerror(0), "No error");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_CANCEL), "Request canceled");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_ADDRFAMILY), "address family for nodename not supported");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_AGAIN), "temporary failure in name resolution");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_BADFLAGS), "invalid value for ai_flags");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_FAIL), "non-recoverable failure in name resolution");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_FAMILY), "ai_family not supported");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_MEMORY), "memory allocation failure");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_NODATA), "no address associated with nodename");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_NONAME), "nodename nor servname provided, or not known");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_SERVICE), "servname not supported for ai_socktype");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_SOCKTYPE), "ai_socktype not supported");
  EXPECT_STREQ(evutil_gai_strerror(EVUTIL_EAI_SYSTEM), "system error");
}

TEST(GaiStrerror, OtherCodesGetTheSystemText) {
  for (int code : {-12, -100, -101, -102, -103, -104, -105, 5, 12345, -90002, -90003})
    EXPECT_STREQ(evutil_gai_strerror(code), gai_strerror(code)) << code;
}
