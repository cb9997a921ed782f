// Which file a function was loaded from: tests check that vigil's build tree answers,
// never the system's libevent.
#pragma once

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <string>

namespace vigil_test {

// The resolved path of the shared object defining fn, or "" if the loader cannot tell.
inline std::string library_of(const void* fn) {
  Dl_info info{};
  if (!dladdr(fn, &info) || !info.dli_fname) return "";
  char real[PATH_MAX];
  return realpath(info.dli_fname, real) ? std::string(real) : std::string();
}

// Whether the resolved path lib lies under the directory dir (resolved too).
inline bool is_under(const std::string& lib, const char* dir) {
  char real[PATH_MAX];
  return realpath(dir, real) && lib.rfind(std::string(real) + "/", 0) == 0;
}

}  // namespace vigil_test
