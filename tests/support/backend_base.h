// Building a base on exactly one backend, for the suites that run each test on every
// backend. Public API only, so it builds against vigil and against the system
// libevent for the oracle runs alike.
#pragma once

#include <event2/event.h>

#include <gtest/gtest.h>

namespace vigil_test {

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
