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

#include "../support/backend_base.h"
#include "../support/clock.h"
#include "../support/env_var.h"
#include "../support/log_capture.h"
#include "../support/sockets.h"

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

// now_ms() (CLOCK_MONOTONIC, the precise clock), tv_ms() and kLate (upper bound for
// "it happened, and not absurdly late" on a loaded machine) come from
// ../support/clock.h, as do base_clock_ms() (the clock a base times its events with,
// on which a timeout measured from before arming is never short) and kMicrosecond.
using vigil_test::base_clock_ms;
using vigil_test::coarse_now_ms;
using vigil_test::kLate;
using vigil_test::kMicrosecond;
using vigil_test::now_ms;
using vigil_test::tv_ms;

inline double tv_to_ms(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
}

inline double wall_ms() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return tv_to_ms(tv);
}

// ----------------------------------------------------------------- log ----

using vigil_test::LogCapture;
using vigil_test::LogLine;

// ------------------------------------------------------------- sockets ----

// SocketPair (AF_UNIX, both ends non-blocking and close-on-exec, closed on
// destruction), put (send without SIGPIPE), drain_fd (whatever is readable right now)
// and fill_until_full come from ../support/sockets.h.
using vigil_test::drain_fd;
using vigil_test::fill_until_full;
using vigil_test::put;
using vigil_test::SocketPair;

// ------------------------------------------------------------ recorder ----

// Counts callback invocations; pass a Hits* as the callback argument of hit_cb.
struct Hits {
  int n = 0;
  short last_what = 0;
  short all_what = 0;
  evutil_socket_t last_fd = -2;
  double last_ms = 0;         // on base_clock_ms(precise_clock)
  bool precise_clock = true;  // false for a timer on a base without PRECISE_TIMER
  std::vector<short> whats;
};

inline void hit_cb(evutil_socket_t fd, short what, void* arg) {
  auto* h = static_cast<Hits*>(arg);
  h->n++;
  h->last_what = what;
  h->all_what = static_cast<short>(h->all_what | what);
  h->last_fd = fd;
  h->last_ms = base_clock_ms(h->precise_clock);
  h->whats.push_back(what);
}

// Shared callback that does nothing.
inline void noop_cb(evutil_socket_t, short, void*) {}

// ------------------------------------------------------------ env vars ----

// Sets or unsets an environment variable for its lifetime (../support/env_var.h).
using vigil_test::EnvVar;

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

// make_base(spec, extra_flags): a base on exactly that backend, the environment
// ignored; open_base(base, spec): the same for a fixture's SetUp, checking the method
// (../support/backend_base.h).
using vigil_test::make_base;
using vigil_test::open_base;

class Core : public ::testing::TestWithParam<BackendSpec> {
 protected:
  void SetUp() override {
    // A hung loop must not stall the whole run: SIGALRM's default action ends
    // the process, which the runner reports as a failure.
    alarm(15);
    open_base(base, GetParam());
  }
  void TearDown() override {
    if (base) event_base_free(base);
    base = nullptr;
    event_set_log_callback(nullptr);
    alarm(0);
  }
  bool has(int feature) const { return (GetParam().features & feature) != 0; }
  bool is_epoll() const { return std::strncmp(GetParam().method, "epoll", 5) == 0; }
  bool precise_timer() const { return (GetParam().flags & EVENT_BASE_FLAG_PRECISE_TIMER) != 0; }

  event_base* base = nullptr;
};

}  // namespace vt
