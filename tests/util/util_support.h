// Shared helpers for the evutil tests (event2/util.h).
//
// Every test source here compiles either against vigil's include/ (the CMake build)
// or against the system libevent (run_against_system_libevent.sh defines
// VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT). Expectations that only hold for vigil -- where
// vigil refuses input that libevent would crash on -- sit under
// #ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT; everything else is libevent 2.1.12's
// behaviour and must pass on both.
#pragma once

#include <event2/event.h>
#include <event2/util.h>

#if !defined(VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT) && !defined(VIGIL_EVENT2_UTIL_H_)
#error "event2/util.h did not come from vigil's include/ (is /usr/include/event2 shadowing it?)"
#endif

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "../support/log_capture.h"

namespace ut {

using vigil_test::LogCapture;

inline sockaddr_in make_sin(const char* addr, unsigned port) {
  sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(inet_pton(AF_INET, addr, &sin.sin_addr), 1) << addr;
  return sin;
}

inline sockaddr_in6 make_sin6(const char* addr, unsigned port, unsigned scope = 0) {
  sockaddr_in6 sin6;
  memset(&sin6, 0, sizeof sin6);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(static_cast<uint16_t>(port));
  sin6.sin6_scope_id = scope;
  EXPECT_EQ(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1) << addr;
  return sin6;
}

// The 4 or 16 address bytes of text parsed by libc's (strict) inet_pton.
inline std::string libc_bytes(int af, const char* text) {
  unsigned char buf[16];
  if (inet_pton(af, text, buf) != 1) {
    ADD_FAILURE() << "libc inet_pton rejects " << text;
    return {};
  }
  return std::string(reinterpret_cast<char*>(buf), af == AF_INET ? 4 : 16);
}

inline std::string bytes(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

}  // namespace ut
