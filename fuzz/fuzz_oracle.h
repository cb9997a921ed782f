// Shared by the fuzz targets: Debian's libevent, loaded at run time, as the oracle
// that vigil's answers must equal byte for byte; and a crash helper.
//
// vigil's functions are compiled into the fuzzer under other names (vigil_names.h),
// so the system library's internal calls stay inside the system library.
// Set VIGIL_FUZZ_ORACLE=0 to run without the oracle (the other checks still run).
#pragma once

#include <dlfcn.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fuzz {

struct Oracle {
  int (*inet_pton)(int, const char*, void*) = nullptr;
  int (*inet_pton_scope)(int, const char*, void*, unsigned*) = nullptr;
  const char* (*inet_ntop)(int, const void*, char*, size_t) = nullptr;
  int (*parse_sockaddr_port)(const char*, struct sockaddr*, int*) = nullptr;
  bool loaded = false;
};

inline const Oracle& oracle() {
  static const Oracle o = [] {
    Oracle r;
    const char* want = getenv("VIGIL_FUZZ_ORACLE");
    if (want && strcmp(want, "0") == 0) return r;
    void* lib = dlopen("libevent_core-2.1.so.7", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      fprintf(stderr, "fuzz: no system libevent (%s); running without the oracle\n", dlerror());
      return r;
    }
    r.inet_pton = reinterpret_cast<decltype(r.inet_pton)>(dlsym(lib, "evutil_inet_pton"));
    r.inet_pton_scope = reinterpret_cast<decltype(r.inet_pton_scope)>(dlsym(lib, "evutil_inet_pton_scope"));
    r.inet_ntop = reinterpret_cast<decltype(r.inet_ntop)>(dlsym(lib, "evutil_inet_ntop"));
    r.parse_sockaddr_port =
        reinterpret_cast<decltype(r.parse_sockaddr_port)>(dlsym(lib, "evutil_parse_sockaddr_port"));
    r.loaded = r.inet_pton && r.inet_pton_scope && r.inet_ntop && r.parse_sockaddr_port;
    fprintf(stderr, "fuzz: oracle %s\n", r.loaded ? "is the system libevent" : "incomplete; not used");
    return r;
  }();
  return o;
}

// Reports a finding and crashes, so libFuzzer saves the input.
[[noreturn]] inline void fail(const char* what, const char* input) {
  fprintf(stderr, "fuzz: FINDING: %s\n  input: \"", what);
  for (const char* p = input; *p; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      fputc(c, stderr);
    else
      fprintf(stderr, "\\x%02x", c);
  }
  fprintf(stderr, "\"\n");
  abort();
}

#define FUZZ_CHECK(cond, input) \
  do {                          \
    if (!(cond)) ::fuzz::fail(#cond, (input)); \
  } while (0)

}  // namespace fuzz
