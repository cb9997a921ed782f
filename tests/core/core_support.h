// Shared helpers for the event-core behaviour tests.
//
// Every test source in this directory compiles against either vigil's include/
// (the normal CMake build) or the system libevent (the scratch oracle run, see
// run_against_system_libevent.sh, which defines VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT).
// Nothing here may depend on which one it is.
#pragma once

#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#if !defined(VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT) && !defined(VIGIL_EVENT2_EVENT_H_)
#error "event2/event.h did not come from vigil's include/ (is /usr/include/event2 shadowing it?)"
#endif

#include <gtest/gtest.h>

#include "../support/log_capture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

namespace vt {

// ---------------------------------------------------------------- time ----

// Milliseconds on CLOCK_MONOTONIC (the precise clock, never the coarse one).
inline double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

inline timeval tv_ms(long ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

inline double tv_to_ms(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
}

inline double wall_ms() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return tv_to_ms(tv);
}

// Upper bound used for "it happened, and not absurdly late" on a loaded machine.
constexpr double kLate = 2000.0;

// ----------------------------------------------------------------- log ----

using vigil_test::LogCapture;
using vigil_test::LogLine;

// ------------------------------------------------------------- sockets ----

// An AF_UNIX stream socketpair, both ends non-blocking, closed on destruction.
struct SocketPair {
  evutil_socket_t fd[2] = {-1, -1};
  SocketPair() {
    if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fd) != 0) {
      ADD_FAILURE() << "socketpair: " << std::strerror(errno);
      return;
    }
    evutil_make_socket_nonblocking(fd[0]);
    evutil_make_socket_nonblocking(fd[1]);
  }
  ~SocketPair() {
    close_end(0);
    close_end(1);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) {
      evutil_closesocket(fd[i]);
      fd[i] = -1;
    }
  }
  evutil_socket_t a() const { return fd[0]; }
  evutil_socket_t b() const { return fd[1]; }
};

inline ssize_t put(evutil_socket_t fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
}

// Reads whatever is available right now (non-blocking fd).
inline std::string drain(evutil_socket_t fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Writes into fd until the kernel buffer is full; returns bytes written.
inline size_t fill_until_full(evutil_socket_t fd) {
  static char junk[65536];
  size_t total = 0;
  for (;;) {
    ssize_t n = ::send(fd, junk, sizeof junk, MSG_NOSIGNAL);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

// ------------------------------------------------------------ recorder ----

// Counts callback invocations; pass a Hits* as the callback argument of hit_cb.
struct Hits {
  int n = 0;
  short last_what = 0;
  short all_what = 0;
  evutil_socket_t last_fd = -2;
  double last_ms = 0;
  std::vector<short> whats;
};

inline void hit_cb(evutil_socket_t fd, short what, void* arg) {
  auto* h = static_cast<Hits*>(arg);
  h->n++;
  h->last_what = what;
  h->all_what = static_cast<short>(h->all_what | what);
  h->last_fd = fd;
  h->last_ms = now_ms();
  h->whats.push_back(what);
}

// Shared callback that does nothing.
inline void noop_cb(evutil_socket_t, short, void*) {}

// ------------------------------------------------------------ env vars ----

// Sets or unsets an environment variable for its lifetime, restoring it after.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    const char* old = getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvVar() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  std::string name_;
  std::string old_;
  bool had_ = false;
};

// Clears every variable libevent consults, for tests that rely on defaults.
struct CleanEventEnv {
  EnvVar a{"EVENT_NOEPOLL", nullptr};
  EnvVar b{"EVENT_NOPOLL", nullptr};
  EnvVar c{"EVENT_NOSELECT", nullptr};
  EnvVar d{"EVENT_SHOW_METHOD", nullptr};
  EnvVar e{"EVENT_EPOLL_USE_CHANGELIST", nullptr};
  EnvVar f{"EVENT_PRECISE_TIMER", nullptr};
  EnvVar g{"EVENT_NOEVPORT", nullptr};
  EnvVar h{"EVENT_NOKQUEUE", nullptr};
  EnvVar i{"EVENT_NODEVPOLL", nullptr};
};

// ------------------------------------------------------------ backends ----

struct BackendSpec {
  const char* name;    // test-name suffix
  const char* method;  // what event_base_get_method() must say
  int flags;           // extra EVENT_BASE_FLAG_* bits
  const char* avoid[2];
  int features;        // what event_base_get_features() must say
};

inline void PrintTo(const BackendSpec& s, std::ostream* os) { *os << s.name; }

inline const std::vector<BackendSpec>& all_backends() {
  static const std::vector<BackendSpec> v = {
      {"epoll", "epoll", 0, {"poll", "select"}, EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE},
      {"epoll_changelist", "epoll (with changelist)", EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST,
       {"poll", "select"}, EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE},
      {"epoll_precise", "epoll", EVENT_BASE_FLAG_PRECISE_TIMER, {"poll", "select"},
       EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE},
      {"poll", "poll", 0, {"epoll", "select"}, EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE},
      {"select", "select", 0, {"epoll", "poll"}, EV_FEATURE_FDS},
  };
  return v;
}

// Builds a base on exactly the given backend. The environment is ignored so a
// stray EVENT_NO* variable cannot change which backend is under test.
inline event_base* make_base(const BackendSpec& s, int extra_flags = 0) {
  event_config* cfg = event_config_new();
  if (!cfg) return nullptr;
  for (const char* m : s.avoid)
    if (m) event_config_avoid_method(cfg, m);
  event_config_set_flag(cfg, s.flags | extra_flags | EVENT_BASE_FLAG_IGNORE_ENV);
  event_base* b = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return b;
}

class Core : public ::testing::TestWithParam<BackendSpec> {
 protected:
  void SetUp() override {
    // A hung loop must not stall the whole run: SIGALRM's default action ends
    // the process, which the runner reports as a failure.
    alarm(15);
    base = make_base(GetParam());
    ASSERT_NE(base, nullptr) << "could not create a " << GetParam().name << " base";
    ASSERT_STREQ(event_base_get_method(base), GetParam().method);
  }
  void TearDown() override {
    if (base) event_base_free(base);
    base = nullptr;
    event_set_log_callback(nullptr);
    alarm(0);
  }
  bool has(int feature) const { return (GetParam().features & feature) != 0; }
  bool is_epoll() const { return std::strncmp(GetParam().method, "epoll", 5) == 0; }

  event_base* base = nullptr;
};

}  // namespace vt
