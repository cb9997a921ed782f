// Process-wide behaviour: versions, method selection, event_config, the
// environment variables, logging, the 1.x API and evutil helpers.
#include "core_support.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

using namespace vt;

namespace {

// Fixture that leaves global state (log callback, env, alarm) as it found it.
class Global : public ::testing::Test {
 protected:
  void SetUp() override { alarm(15); }
  void TearDown() override {
    event_set_log_callback(nullptr);
    event_enable_debug_logging(EVENT_DBG_NONE);
    alarm(0);
  }
  CleanEventEnv env_;  // (so bases without a config time events on the coarse clock)
};

std::string method_with_config(event_config* cfg) {
  event_base* b = event_base_new_with_config(cfg);
  if (!b) return "<null>";
  std::string m = event_base_get_method(b);
  event_base_free(b);
  return m;
}

std::string method_of_new_base() {
  event_base* b = event_base_new();
  if (!b) return "<null>";
  std::string m = event_base_get_method(b);
  event_base_free(b);
  return m;
}

// Captures what is written to stderr (fd 2) while it is alive.
class StderrCapture {
 public:
  StderrCapture() {
    fflush(stderr);
    file_ = tmpfile();
    saved_ = dup(2);
    dup2(fileno(file_), 2);
  }
  std::string finish() {
    if (saved_ >= 0) {
      fflush(stderr);
      dup2(saved_, 2);
      close(saved_);
      saved_ = -1;
    }
    std::string out;
    rewind(file_);
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }
  ~StderrCapture() {
    finish();
    fclose(file_);
  }

 private:
  FILE* file_ = nullptr;
  int saved_ = -1;
};

}  // namespace

// ------------------------------------------------------------- version ----

TEST_F(Global, VersionString) {
  const char* v = event_get_version();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(std::string(v).rfind("2.1.12", 0), 0u) << v;
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_NE(std::string(v).find("vigil"), std::string::npos) << v;
#endif
  // The header's version string is where the library's starts (libevent: equal).
  EXPECT_EQ(std::string(v).rfind(LIBEVENT_VERSION, 0), 0u) << v << " vs header " << LIBEVENT_VERSION;
}

TEST_F(Global, VersionNumber) {
  EXPECT_EQ(event_get_version_number(), 0x02010c00u);
  EXPECT_EQ(static_cast<unsigned>(LIBEVENT_VERSION_NUMBER), 0x02010c00u);
}

TEST_F(Global, StructEventIs128Bytes) {
  EXPECT_EQ(sizeof(struct event), 128u);
  EXPECT_EQ(event_get_struct_event_size(), 128u);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST_F(Global, TheVigilLibraryAnswers) {
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&event_base_new), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  char real_lib[PATH_MAX], real_dir[PATH_MAX];
  ASSERT_NE(realpath(info.dli_fname, real_lib), nullptr) << info.dli_fname;
  ASSERT_NE(realpath(VIGIL_TEST_LIBDIR, real_dir), nullptr) << VIGIL_TEST_LIBDIR;
  std::string lib = real_lib, dir = std::string(real_dir) + "/";
  EXPECT_EQ(lib.rfind(dir, 0), 0u) << "event_base_new comes from " << lib << ", not from " << dir;
  EXPECT_EQ(lib.find("/usr/lib"), std::string::npos) << lib;
  EXPECT_NE(lib.find("libevent"), std::string::npos) << lib;
}
#endif

// ------------------------------------------------------------- methods ----

TEST_F(Global, SupportedMethodsListEpollPollSelect) {
  const char** m = event_get_supported_methods();
  ASSERT_NE(m, nullptr);
  std::vector<std::string> names;
  for (; *m; ++m) names.emplace_back(*m);
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], "epoll") << "epoll is the preferred method";
  std::set<std::string> set(names.begin(), names.end());
  EXPECT_TRUE(set.count("epoll"));
  EXPECT_TRUE(set.count("poll"));
  EXPECT_TRUE(set.count("select"));
  // Preference order: epoll before poll before select.
  auto pos = [&](const char* n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  EXPECT_LT(pos("epoll"), pos("poll"));
  EXPECT_LT(pos("poll"), pos("select"));
}

TEST_F(Global, DefaultBaseUsesEpoll) {
  event_base* b = event_base_new();
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(event_base_get_method(b), "epoll");
  EXPECT_EQ(event_base_get_features(b), EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE);
  event_base_free(b);
  // A NULL config means the defaults.
  b = event_base_new_with_config(nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(event_base_get_method(b), "epoll");
  event_base_free(b);
}

// -------------------------------------------------------------- config ----

TEST_F(Global, AvoidMethod) {
  event_config* cfg = event_config_new();
  ASSERT_NE(cfg, nullptr);
  EXPECT_EQ(method_with_config(cfg), "epoll");
  EXPECT_EQ(event_config_avoid_method(cfg, "epoll"), 0);
  EXPECT_EQ(method_with_config(cfg), "poll");
  EXPECT_EQ(event_config_avoid_method(cfg, "poll"), 0);
  EXPECT_EQ(method_with_config(cfg), "select");
  // Avoiding something unknown changes nothing.
  EXPECT_EQ(event_config_avoid_method(cfg, "kqueue"), 0);
  EXPECT_EQ(method_with_config(cfg), "select");
  LogCapture log;
  EXPECT_EQ(event_config_avoid_method(cfg, "select"), 0);
  EXPECT_EQ(event_base_new_with_config(cfg), nullptr);
  EXPECT_GE(log.count(EVENT_LOG_WARN), 1u) << log.dump();
  event_config_free(cfg);
}

TEST_F(Global, AvoidMethodNameMustMatchExactly) {
  event_config* cfg = event_config_new();
  event_config_avoid_method(cfg, "epol");
  event_config_avoid_method(cfg, "EPOLL");
  EXPECT_EQ(method_with_config(cfg), "epoll");
  event_config_free(cfg);
}

TEST_F(Global, RequireFeaturesSelectsABackend) {
  struct Case {
    int features;
    const char* avoid;
    const char* want;
  } cases[] = {
      {EV_FEATURE_O1, nullptr, "epoll"},
      {EV_FEATURE_ET, nullptr, "epoll"},
      {EV_FEATURE_EARLY_CLOSE, nullptr, "epoll"},
      {EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE, nullptr, "epoll"},
      {EV_FEATURE_FDS, nullptr, "poll"},
      {EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE, nullptr, "poll"},
      {EV_FEATURE_FDS, "poll", "select"},
      {EV_FEATURE_EARLY_CLOSE, "epoll", "poll"},
      {0, nullptr, "epoll"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "features " << c.features << " avoid " << (c.avoid ? c.avoid : "-"));
    event_config* cfg = event_config_new();
    EXPECT_EQ(event_config_require_features(cfg, c.features), 0);
    if (c.avoid) event_config_avoid_method(cfg, c.avoid);
    event_base* b = event_base_new_with_config(cfg);
    ASSERT_NE(b, nullptr);
    EXPECT_STREQ(event_base_get_method(b), c.want);
    EXPECT_EQ(event_base_get_features(b) & c.features, c.features);
    event_base_free(b);
    event_config_free(cfg);
  }
}

TEST_F(Global, UnsatisfiableFeaturesGiveNoBase) {
  struct Case {
    int features;
    const char* avoid;
  } cases[] = {
      {EV_FEATURE_ET, "epoll"},
      {EV_FEATURE_O1, "epoll"},
      {EV_FEATURE_FDS | EV_FEATURE_ET, nullptr},
      {EV_FEATURE_FDS | EV_FEATURE_O1, nullptr},
      {EV_FEATURE_EARLY_CLOSE | EV_FEATURE_FDS, "poll"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "features " << c.features);
    LogCapture log;
    event_config* cfg = event_config_new();
    event_config_require_features(cfg, c.features);
    if (c.avoid) event_config_avoid_method(cfg, c.avoid);
    EXPECT_EQ(event_base_new_with_config(cfg), nullptr);
    EXPECT_GE(log.count(EVENT_LOG_WARN), 1u) << log.dump();
    event_config_free(cfg);
  }
}

TEST_F(Global, ConfigSettersAcceptValues) {
  event_config* cfg = event_config_new();
  EXPECT_EQ(event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK), 0);
  EXPECT_EQ(event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME), 0);
  EXPECT_EQ(event_config_set_num_cpus_hint(cfg, 4), 0);
  timeval tv = tv_ms(5);
  EXPECT_EQ(event_config_set_max_dispatch_interval(cfg, &tv, 10, 1), 0);
  EXPECT_EQ(event_config_set_max_dispatch_interval(cfg, nullptr, -1, 0), 0);
  event_base* b = event_base_new_with_config(cfg);
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(event_base_get_method(b), "epoll");
  Hits h;
  event* t = evtimer_new(b, hit_cb, &h);
  timeval five = tv_ms(5);
  event_add(t, &five);
  EXPECT_EQ(event_base_dispatch(b), 1);
  EXPECT_EQ(h.n, 1);
  event_free(t);
  event_base_free(b);
  event_config_free(cfg);
}

TEST_F(Global, ChangelistAndPreciseFlags) {
  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  EXPECT_EQ(method_with_config(cfg), "epoll (with changelist)");
  event_config_free(cfg);
  cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  EXPECT_EQ(method_with_config(cfg), "epoll");
  event_config_free(cfg);
  // The changelist flag means nothing to other backends.
  cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  event_config_avoid_method(cfg, "epoll");
  EXPECT_EQ(method_with_config(cfg), "poll");
  event_config_free(cfg);
}

TEST_F(Global, ConfigCallsOnNullFail) {
  EXPECT_EQ(event_config_require_features(nullptr, EV_FEATURE_O1), -1);
  EXPECT_EQ(event_config_set_flag(nullptr, EVENT_BASE_FLAG_NOLOCK), -1);
  EXPECT_EQ(event_config_set_num_cpus_hint(nullptr, 2), -1);
  event_config* cfg = event_config_new();
  EXPECT_EQ(event_config_avoid_method(cfg, nullptr), -1);
  EXPECT_EQ(method_with_config(cfg), "epoll");
  event_config_free(cfg);
}

TEST_F(Global, FreeingANullBaseWarns) {
  LogCapture log;
  event_base_free(nullptr);
  event_base_free_nofinalize(nullptr);
  EXPECT_EQ(log.count(EVENT_LOG_WARN), 2u) << log.dump();
}

TEST_F(Global, CachedTimeWithNullBaseAndNoCurrentBase) {
  timeval tv{};
  double before = wall_ms();
  EXPECT_EQ(event_base_gettimeofday_cached(nullptr, &tv), 0);
  EXPECT_GE(tv_to_ms(tv), before - 1.0);
  EXPECT_LE(tv_to_ms(tv), wall_ms() + 1.0);
  EXPECT_EQ(event_base_update_cache_time(nullptr), -1);
}

TEST_F(Global, MonotonicTime) {
  event_base* b = event_base_new();
  ASSERT_NE(b, nullptr);
  timeval t1{}, t2{};
  ASSERT_EQ(event_gettime_monotonic(b, &t1), 0);
  // Same clock as CLOCK_MONOTONIC (the coarse variant may lag a little).
  EXPECT_NEAR(tv_to_ms(t1), now_ms(), 100.0);
  // 30 ms on the base's own clock, the coarse one: across a plain 30 ms sleep it can
  // advance less, lagging further behind at the end than at the start.
  const double c1 = coarse_now_ms();
  while (coarse_now_ms() < c1 + 30) usleep(1000);
  ASSERT_EQ(event_gettime_monotonic(b, &t2), 0);
  EXPECT_GE(tv_to_ms(t2) - tv_to_ms(t1), 30 - kMicrosecond);
  EXPECT_LT(tv_to_ms(t2) - tv_to_ms(t1), kLate);
  EXPECT_GE(t2.tv_usec, 0);
  EXPECT_LT(t2.tv_usec, 1000000);
  EXPECT_EQ(event_gettime_monotonic(nullptr, &t1), -1);
  EXPECT_EQ(event_gettime_monotonic(b, nullptr), -1);
  event_base_free(b);
}

TEST_F(Global, OverlongMicrosecondsCarryIntoSeconds) {
  // libevent 2.1.12 takes tv_usec >= 1000000 at face value: {0, 1100000} is 1.1 s.
  event_base* b = event_base_new();
  Hits h;
  h.precise_clock = false;
  event* t = evtimer_new(b, hit_cb, &h);
  timeval tv{0, 1100000};
  double t0 = coarse_now_ms();
  ASSERT_EQ(event_add(t, &tv), 0);
  EXPECT_EQ(event_base_dispatch(b), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_GE(h.last_ms - t0, 1100 - kMicrosecond);
  EXPECT_LT(h.last_ms - t0, 1100.0 + kLate);
  event_free(t);
  event_base_free(b);
}

// ----------------------------------------------------------------- env ----

TEST_F(Global, EnvNoEpoll) {
  EnvVar v("EVENT_NOEPOLL", "1");
  EXPECT_EQ(method_of_new_base(), "poll");
}

TEST_F(Global, EnvNoEpollNoPoll) {
  EnvVar a("EVENT_NOEPOLL", "1"), b("EVENT_NOPOLL", "yes");
  EXPECT_EQ(method_of_new_base(), "select");
}

TEST_F(Global, EnvNoEpollNoSelect) {
  EnvVar a("EVENT_NOEPOLL", "1"), b("EVENT_NOSELECT", "1");
  EXPECT_EQ(method_of_new_base(), "poll");
}

TEST_F(Global, EnvAnyValueCountsEvenEmpty) {
  EnvVar a("EVENT_NOEPOLL", "");
  EXPECT_EQ(method_of_new_base(), "poll");
}

TEST_F(Global, EnvNoMethodLeft) {
  LogCapture log;
  EnvVar a("EVENT_NOEPOLL", "1"), b("EVENT_NOPOLL", "1"), c("EVENT_NOSELECT", "1");
  EXPECT_EQ(event_base_new(), nullptr);
  EXPECT_GE(log.count(EVENT_LOG_WARN), 1u) << log.dump();
}

TEST_F(Global, IgnoreEnvFlag) {
  EnvVar a("EVENT_NOEPOLL", "1"), b("EVENT_NOPOLL", "1");
  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
  EXPECT_EQ(method_with_config(cfg), "epoll");
  event_config_free(cfg);
  cfg = event_config_new();
  EXPECT_EQ(method_with_config(cfg), "select");
  event_config_free(cfg);
}

TEST_F(Global, EnvShowMethodLogsTheBackend) {
  LogCapture log;
  {
    EnvVar v("EVENT_SHOW_METHOD", "1");
    event_base* b = event_base_new();
    ASSERT_NE(b, nullptr);
    event_base_free(b);
  }
  EXPECT_TRUE(log.has("epoll", EVENT_LOG_MSG)) << log.dump();
  log.clear();
  {
    EnvVar v("EVENT_SHOW_METHOD", "1"), w("EVENT_NOEPOLL", "1");
    event_base* b = event_base_new();
    event_base_free(b);
  }
  EXPECT_TRUE(log.has("poll", EVENT_LOG_MSG)) << log.dump();
  log.clear();
  // Silent without the variable.
  event_base_free(event_base_new());
  EXPECT_EQ(log.size(), 0u) << log.dump();
  // libevent 2.1.12 reads EVENT_SHOW_METHOD even under IGNORE_ENV.
  {
    EnvVar v("EVENT_SHOW_METHOD", "1");
    event_config* cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
    event_base_free(event_base_new_with_config(cfg));
    event_config_free(cfg);
  }
  EXPECT_TRUE(log.has("epoll", EVENT_LOG_MSG)) << log.dump();
}

TEST_F(Global, EnvEpollUseChangelist) {
  EnvVar v("EVENT_EPOLL_USE_CHANGELIST", "1");
  EXPECT_EQ(method_of_new_base(), "epoll (with changelist)");
  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
  EXPECT_EQ(method_with_config(cfg), "epoll");
  event_config_free(cfg);
}

TEST_F(Global, EnvPreciseTimer) {
  EnvVar v("EVENT_PRECISE_TIMER", "1");
  event_base* b = event_base_new();
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(event_base_get_method(b), "epoll");
  // With the precise clock a timer never fires before its deadline.
  for (int i = 0; i < 5; ++i) {
    Hits h;
    event* t = evtimer_new(b, hit_cb, &h);
    timeval tv = tv_ms(10);
    double t0 = now_ms();
    event_add(t, &tv);
    EXPECT_EQ(event_base_dispatch(b), 1);
    EXPECT_GE(h.last_ms - t0, 9.9);
    EXPECT_LT(h.last_ms - t0, kLate);
    event_free(t);
  }
  event_base_free(b);
}

// ------------------------------------------------------------- logging ----

TEST_F(Global, LogCallbackReceivesWarnings) {
  LogCapture log;
  event_base* b = event_base_new();
  EXPECT_EQ(event_new(b, SIGUSR1, EV_SIGNAL | EV_READ, noop_cb, nullptr), nullptr);
  ASSERT_EQ(log.size(), 1u) << log.dump();
  EXPECT_EQ(LogCapture::lines()[0].severity, EVENT_LOG_WARN);
  EXPECT_FALSE(LogCapture::lines()[0].msg.empty());
  EXPECT_EQ(LogCapture::lines()[0].msg.back() == '\n', false) << "messages carry no newline";
  event_base_free(b);
}

TEST_F(Global, DefaultLoggingGoesToStderr) {
  event_set_log_callback(nullptr);
  event_base* b = event_base_new();
  StderrCapture cap;
  EXPECT_EQ(event_new(b, SIGUSR1, EV_SIGNAL | EV_WRITE, noop_cb, nullptr), nullptr);
  std::string err = cap.finish();
  EXPECT_EQ(err.rfind("[warn] ", 0), 0u) << err;
  EXPECT_EQ(err.back(), '\n') << err;
  event_base_free(b);
}

TEST_F(Global, RemovingTheLogCallbackStopsDelivery) {
  event_base* b = event_base_new();
  {
    LogCapture log;
    event_set_log_callback(nullptr);
    StderrCapture cap;
    EXPECT_EQ(event_new(b, SIGUSR1, EV_SIGNAL | EV_WRITE, noop_cb, nullptr), nullptr);
    EXPECT_FALSE(cap.finish().empty());
    EXPECT_EQ(log.size(), 0u);
  }
  event_base_free(b);
}

TEST_F(Global, DebugLoggingCanBeSwitchedOnAndOff) {
  LogCapture log;
  event_base* b = event_base_new();
  event_enable_debug_logging(EVENT_DBG_ALL);
  event* t = evtimer_new(b, noop_cb, nullptr);
  timeval tv = tv_ms(1);
  event_add(t, &tv);
  event_base_dispatch(b);
  EXPECT_GE(log.count(EVENT_LOG_DEBUG), 1u) << "no debug messages with EVENT_DBG_ALL";
  event_enable_debug_logging(EVENT_DBG_NONE);
  log.clear();
  event_add(t, &tv);
  event_base_dispatch(b);
  EXPECT_EQ(log.count(EVENT_LOG_DEBUG), 0u) << log.dump();
  event_free(t);
  event_base_free(b);
}

TEST_F(Global, NoDebugMessagesByDefault) {
  LogCapture log;
  event_base* b = event_base_new();
  event* t = evtimer_new(b, noop_cb, nullptr);
  timeval tv = tv_ms(1);
  event_add(t, &tv);
  event_base_dispatch(b);
  event_free(t);
  event_base_free(b);
  EXPECT_EQ(log.size(), 0u) << log.dump();
}

// ------------------------------------------------------------ 1.x API -----

TEST_F(Global, CompatInitAndDispatch) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(event_get_method(), "epoll");
  EXPECT_STREQ(event_get_method(), event_base_get_method(b));
  EXPECT_EQ(event_dispatch(), 1) << "nothing to do";

  SocketPair sp;
  Hits h;
  struct event ev;
  event_set(&ev, sp.a(), EV_READ, hit_cb, &h);
  EXPECT_EQ(event_get_base(&ev), b) << "event_set uses the current base";
  ASSERT_EQ(event_add(&ev, nullptr), 0);
  ASSERT_EQ(put(sp.b(), "1"), 1);
  EXPECT_EQ(event_dispatch(), 1);
  EXPECT_EQ(h.n, 1);
  EXPECT_EQ(h.last_what, EV_READ);
  event_base_free(b);
  // Freeing the current base clears it.
  EXPECT_EQ(event_base_update_cache_time(nullptr), -1);
}

TEST_F(Global, CompatLoopAndLoopexit) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  Hits ticks;
  struct event tick;
  evtimer_set(&tick, hit_cb, &ticks);
  EXPECT_EQ(event_get_events(&tick), 0);
  EXPECT_EQ(event_get_fd(&tick), -1);
  timeval every = tv_ms(10);
  event_set(&tick, -1, EV_PERSIST, hit_cb, &ticks);
  ASSERT_EQ(event_add(&tick, &every), 0);
  timeval stop = tv_ms(60);
  double t0 = coarse_now_ms();
  ASSERT_EQ(event_loopexit(&stop), 0);
  EXPECT_EQ(event_loop(0), 0);
  EXPECT_GE(coarse_now_ms() - t0, 60 - kMicrosecond);
  EXPECT_GE(ticks.n, 1);
  EXPECT_TRUE(event_base_got_exit(b));
  EXPECT_EQ(event_loop(EVLOOP_NONBLOCK), 0);
  event_del(&tick);
  EXPECT_EQ(event_loop(EVLOOP_NONBLOCK), 1);
  event_base_free(b);
}

TEST_F(Global, CompatLoopbreak) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  struct event t;
  int n = 0;
  event_set(&t, -1, EV_PERSIST, [](evutil_socket_t, short, void* arg) {
    ++*static_cast<int*>(arg);
    event_loopbreak();
  }, &n);
  timeval tv = tv_ms(5);
  event_add(&t, &tv);
  EXPECT_EQ(event_dispatch(), 0);
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(event_base_got_break(b));
  event_del(&t);
  event_base_free(b);
}

TEST_F(Global, CompatOnceAndTimeoutMacros) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  Hits once_hits, timeout_hits;
  timeval tv = tv_ms(10);
  ASSERT_EQ(event_once(-1, EV_TIMEOUT, hit_cb, &once_hits, &tv), 0);
  struct event to;
  timeout_set(&to, hit_cb, &timeout_hits);
  timeval tv2 = tv_ms(20);
  ASSERT_EQ(timeout_add(&to, &tv2), 0);
  EXPECT_TRUE(timeout_pending(&to, nullptr));
  EXPECT_TRUE(timeout_initialized(&to));
  EXPECT_EQ(event_dispatch(), 1);
  EXPECT_EQ(once_hits.n, 1);
  EXPECT_EQ(timeout_hits.n, 1);
  ASSERT_EQ(timeout_add(&to, &tv2), 0);
  ASSERT_EQ(timeout_del(&to), 0);
  EXPECT_FALSE(timeout_pending(&to, nullptr));
  event_base_free(b);
}

TEST_F(Global, CompatSignalSet) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  struct sigaction old {};
  sigaction(SIGUSR1, nullptr, &old);
  struct S {
    struct event ev;
    int n = 0;
  } s;
  signal_set(&s.ev, SIGUSR1, [](evutil_socket_t sig, short what, void* arg) {
    auto* st = static_cast<S*>(arg);
    EXPECT_EQ(sig, SIGUSR1);
    EXPECT_EQ(what, EV_SIGNAL);
    if (++st->n == 2) signal_del(&st->ev);
  }, &s);
  EXPECT_EQ(event_get_events(&s.ev), EV_SIGNAL | EV_PERSIST);
  ASSERT_EQ(signal_add(&s.ev, nullptr), 0);
  EXPECT_TRUE(signal_pending(&s.ev, nullptr));
  raise(SIGUSR1);
  event_loop(EVLOOP_ONCE);
  raise(SIGUSR1);
  EXPECT_EQ(event_dispatch(), 1);
  EXPECT_EQ(s.n, 2);
  struct event s2;
  evsignal_set(&s2, SIGUSR2, noop_cb, nullptr);
  EXPECT_EQ(event_get_events(&s2), EV_SIGNAL | EV_PERSIST);
  event_base_free(b);
  sigaction(SIGUSR1, &old, nullptr);
}

TEST_F(Global, CompatPriorityInitAndBaseSet) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(event_priority_init(4), 0);
  struct event ev;
  event_set(&ev, -1, 0, noop_cb, nullptr);
  EXPECT_EQ(event_get_priority(&ev), 2);
  EXPECT_EQ(event_priority_init(0), -1);

  event_base* other = event_base_new();
  ASSERT_NE(other, nullptr);
  ASSERT_EQ(event_base_set(other, &ev), 0);
  EXPECT_EQ(event_get_base(&ev), other);
  EXPECT_EQ(event_get_priority(&ev), 0) << "priority follows the new base (one queue)";
  Hits h;
  event_set(&ev, -1, 0, hit_cb, &h);
  event_base_set(other, &ev);
  timeval tv = tv_ms(5);
  ASSERT_EQ(event_add(&ev, &tv), 0);
  EXPECT_EQ(event_dispatch(), 1) << "the current base has nothing";
  EXPECT_EQ(h.n, 0);
  EXPECT_EQ(event_base_dispatch(other), 1);
  EXPECT_EQ(h.n, 1);
  event_base_free(other);
  event_base_free(b);
}

TEST_F(Global, CompatCachedTimeUsesTheCurrentBase) {
  event_base* b = event_init();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(event_base_update_cache_time(nullptr), 0);
  timeval tv{};
  EXPECT_EQ(event_base_gettimeofday_cached(nullptr, &tv), 0);
  EXPECT_NEAR(tv_to_ms(tv), wall_ms(), 1000.0);
  event_base_free(nullptr);  // frees the current base
  EXPECT_EQ(event_base_update_cache_time(nullptr), -1);
}

// -------------------------------------------------------------- evutil ----

TEST_F(Global, EvutilSocketpairAndNonblocking) {
  evutil_socket_t sv[2] = {-1, -1};
  ASSERT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  EXPECT_EQ(evutil_make_socket_nonblocking(sv[0]), 0);
  EXPECT_TRUE(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  char c;
  errno = 0;
  EXPECT_EQ(recv(sv[0], &c, 1, 0), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  EXPECT_EQ(send(sv[1], "k", 1, 0), 1);
  EXPECT_EQ(recv(sv[0], &c, 1, 0), 1);
  EXPECT_EQ(c, 'k');
  EXPECT_EQ(evutil_closesocket(sv[0]), 0);
  EXPECT_EQ(evutil_closesocket(sv[1]), 0);
}

TEST_F(Global, EvutilTimevalMacros) {
  timeval a{1, 600000}, b{2, 500000}, r{};
  evutil_timeradd(&a, &b, &r);
  EXPECT_EQ(r.tv_sec, 4);
  EXPECT_EQ(r.tv_usec, 100000);
  evutil_timersub(&b, &a, &r);
  EXPECT_EQ(r.tv_sec, 0);
  EXPECT_EQ(r.tv_usec, 900000);
  EXPECT_TRUE(evutil_timercmp(&a, &b, <));
  EXPECT_FALSE(evutil_timercmp(&a, &b, >=));
  EXPECT_TRUE(evutil_timerisset(&a));
  evutil_timerclear(&a);
  EXPECT_FALSE(evutil_timerisset(&a));
  timeval now{};
  EXPECT_EQ(evutil_gettimeofday(&now, nullptr), 0);
  EXPECT_NEAR(tv_to_ms(now), wall_ms(), 1000.0);
}
