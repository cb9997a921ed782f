// Building a base on exactly one backend, for the suites that run each test on every
// backend. Public API only, so it builds against vigil and against the system
// libevent for the oracle runs alike.
#pragma once

#include <event2/event.h>

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace vigil_test {

// One backend as the I/O suites (bufferevents, listeners) run it.
struct BackendSpec {
  const char* name;        // test-name suffix
  const char* method;      // what event_base_get_method() must say
  int flags;               // extra EVENT_BASE_FLAG_* bits
  const char* avoid[2];    // methods to avoid via event_config_avoid_method
  const char* env_off[2];  // EVENT_NO* variables that select this backend for event_init()
  bool env_changelist;     // EVENT_EPOLL_USE_CHANGELIST for event_init()
};

inline void PrintTo(const BackendSpec& s, std::ostream* os) { *os << s.name; }

// Every way an fd's readiness reaches a callback: epoll, epoll with its changelist
// (which defers epoll_ctl to the next dispatch), poll and select.
inline const std::vector<BackendSpec>& backends() {
  static const std::vector<BackendSpec> v = {
      {"epoll", "epoll", 0, {"poll", "select"}, {"EVENT_NOPOLL", "EVENT_NOSELECT"}, false},
      {"epoll_changelist", "epoll (with changelist)", EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST,
       {"poll", "select"}, {"EVENT_NOPOLL", "EVENT_NOSELECT"}, true},
      {"poll", "poll", 0, {"epoll", "select"}, {"EVENT_NOEPOLL", "EVENT_NOSELECT"}, false},
      {"select", "select", 0, {"epoll", "poll"}, {"EVENT_NOEPOLL", "EVENT_NOPOLL"}, false},
  };
  return v;
}

inline std::string backend_name(const ::testing::TestParamInfo<BackendSpec>& info) { return info.param.name; }

// Builds a base on exactly the backend `spec` describes: every method in spec.avoid
// (null entries skipped) is avoided and spec.flags | extra_flags are set. The
// environment is ignored so a stray EVENT_NO* variable cannot change which backend
// is under test. Spec is the suite's own backend table entry.
template <class Spec>
event_base* make_base(const Spec& spec, int extra_flags = 0) {
  event_config* cfg = event_config_new();
  if (!cfg) return nullptr;
  for (const char* m : spec.avoid)
    if (m) event_config_avoid_method(cfg, m);
  event_config_set_flag(cfg, spec.flags | extra_flags | EVENT_BASE_FLAG_IGNORE_ENV);
  event_base* b = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return b;
}

// For a per-backend fixture's SetUp: base = make_base(spec), which must exist and run
// on spec.method. A failure here is fatal, so gtest skips the test body.
template <class Spec>
void open_base(event_base*& base, const Spec& spec) {
  base = make_base(spec);
  ASSERT_NE(base, nullptr) << "could not create a " << spec.name << " base";
  ASSERT_STREQ(event_base_get_method(base), spec.method);
}

}  // namespace vigil_test
