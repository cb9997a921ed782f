// Descriptor-leak checks shared by the suites' fixtures: a fixture records open_fds()
// in SetUp and compares in TearDown, printing describe_fds() of both lists so a leak
// names what leaked. Reads /proc/self/fd (Linux); plain POSIX otherwise, so it builds
// against vigil and against the system libevent for the oracle runs alike.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace vigil_test {

// The descriptors open in this process right now, sorted. The directory stream's own
// descriptor is left out: it exists only while we look.
inline std::vector<int> open_fds() {
  std::vector<int> v;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return v;
  const int self = dirfd(d);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const int fd = atoi(e->d_name);
    if (fd != self) v.push_back(fd);
  }
  closedir(d);
  std::sort(v.begin(), v.end());
  return v;
}

// " fd->target" for each descriptor (socket:[inode], pipe:[inode], anon_inode:[eventpoll],
// a path), for failure messages.
inline std::string describe_fds(const std::vector<int>& fds) {
  std::string s;
  for (int fd : fds) {
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    s += " " + std::to_string(fd) + "->" + target;
  }
  return s;
}

inline bool fd_is_open(int fd) { return fd >= 0 && fcntl(fd, F_GETFD) != -1; }

}  // namespace vigil_test
