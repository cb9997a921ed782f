// accept() failing with EMFILE: the error callback, errno, logging, and (vigil) no
// busy loop while the process has no descriptor to spare.
//
// Each test lowers RLIMIT_NOFILE's soft limit and fills the descriptor table with
// dup()s after the client has connected, so the pending connection cannot be accepted;
// the limit and the table are restored before the test ends.
#include "listener_support.h"

#include <sys/resource.h>

using namespace lt;

namespace {

// Fills the descriptor table (under a lowered soft limit) while alive.
class FdTableFull {
 public:
  FdTableFull() {
    getrlimit(RLIMIT_NOFILE, &old_);
    int src = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (src < 0) return;
    fillers_.push_back(src);
    int highest = 0;
    for (int fd = 0; fd < 1024; ++fd)
      if (fcntl(fd, F_GETFD) != -1) highest = fd;
    rlimit low = old_;
    low.rlim_cur = rlim_t(highest + 16);
    ok_ = setrlimit(RLIMIT_NOFILE, &low) == 0;
    while (ok_) {
      int fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        ok_ = errno == EMFILE;
        break;
      }
      fillers_.push_back(fd);
      if (fillers_.size() > 4096) {  // the limit did not take; give up
        ok_ = false;
        break;
      }
    }
  }
  ~FdTableFull() { restore(); }
  FdTableFull(const FdTableFull&) = delete;
  FdTableFull& operator=(const FdTableFull&) = delete;

  bool ok() const { return ok_; }
  void restore() {
    for (int fd : fillers_) close(fd);
    fillers_.clear();
    setrlimit(RLIMIT_NOFILE, &old_);
  }

 private:
  rlimit old_{};
  bool ok_ = false;
  std::vector<int> fillers_;
};

struct Errors {
  int calls = 0;
  int last_errno = 0;
  evconnlistener* last_listener = nullptr;
  void* last_arg = nullptr;
  bool break_loop = false;
  bool disable = false;
  bool free_it = false;
  event_base* base = nullptr;
};
Errors* g_errors = nullptr;

void on_error(evconnlistener* lev, void* arg) {
  int e = EVUTIL_SOCKET_ERROR();
  Errors* er = g_errors;
  ++er->calls;
  er->last_errno = e;
  er->last_listener = lev;
  er->last_arg = arg;
  if (er->disable) evconnlistener_disable(lev);
  if (er->break_loop) event_base_loopbreak(er->base);
  if (er->free_it) evconnlistener_free(lev);
}

// ListenerTest's base and descriptor check, plus a listener with a client already
// queued on it.
class ListenerEmfile : public ListenerTest {
 protected:
  void SetUp() override {
    ListenerTest::SetUp();
    if (HasFatalFailure()) return;
    errors.base = base;
    g_errors = &errors;
    lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
    ASSERT_NE(lev, nullptr);
    evconnlistener_set_error_cb(lev, on_error);
    client = connect_to(port_of(lev));
  }
  void TearDown() override {
    if (lev) evconnlistener_free(lev);
    lev = nullptr;
    g_errors = nullptr;
    // These outlive the test body, so they go before the descriptor check.
    client.reset();
    for (int f : acc.fds) close(f);
    acc.fds.clear();
    ListenerTest::TearDown();
  }
  // A safety net: the loop ends within ms whatever the listener does.
  void dispatch_at_most(int ms) {
    timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
  }

  Accepted acc;
  Errors errors;
  evconnlistener* lev = nullptr;
  Fd client;
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, ListenerEmfile, ::testing::ValuesIn(backends()), backend_name);

TEST_P(ListenerEmfile, ErrorCallbackSeesEmfileAndCanStopTheLoop) {
  FdTableFull full;
  if (!full.ok()) GTEST_SKIP() << "could not fill the descriptor table";
  errors.break_loop = true;
  long long t0 = now_ms();
  dispatch_at_most(5000);
  EXPECT_LT(now_ms() - t0, 4000);  // ended by the error callback, not the safety net
  EXPECT_EQ(errors.calls, 1);
  EXPECT_EQ(errors.last_errno, EMFILE);
  EXPECT_EQ(errors.last_listener, lev);
  EXPECT_EQ(errors.last_arg, &acc);  // the connection callback's argument
  EXPECT_EQ(acc.calls, 0);
  // With descriptors back, the connection still waiting is accepted.
  full.restore();
  errors.break_loop = false;
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
}

TEST_P(ListenerEmfile, ErrorCallbackMayDisableTheListener) {
  FdTableFull full;
  if (!full.ok()) GTEST_SKIP() << "could not fill the descriptor table";
  errors.disable = true;
  dispatch_at_most(300);
  EXPECT_EQ(errors.calls, 1);
  full.restore();
  run_for(base, 50);
  EXPECT_EQ(acc.calls, 0);
  errors.disable = false;
  EXPECT_EQ(evconnlistener_enable(lev), 0);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
}

TEST_P(ListenerEmfile, ErrorCallbackMayFreeTheListener) {
  FdTableFull full;
  if (!full.ok()) GTEST_SKIP() << "could not fill the descriptor table";
  errors.free_it = true;
  int fd = evconnlistener_get_fd(lev);
  dispatch_at_most(300);
  lev = nullptr;
  EXPECT_EQ(errors.calls, 1);
  full.restore();
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);  // nothing left on the base
}

TEST_P(ListenerEmfile, PersistentEmfileDoesNotSpin) {
  FdTableFull full;
  if (!full.ok()) GTEST_SKIP() << "could not fill the descriptor table";
  dispatch_at_most(500);  // the error callback does nothing about the problem
  RecordProperty("error_callbacks", errors.calls);
  EXPECT_GE(errors.calls, 1);
  EXPECT_EQ(errors.last_errno, EMFILE);
#ifdef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  // libevent 2.1.12 retries on every loop iteration: the loop spins at full speed.
  EXPECT_GT(errors.calls, 50);
#else
  // vigil retries at once, then backs off 100 ms between attempts.
  EXPECT_LE(errors.calls, 10);
#endif
  // Once descriptors are free again, accepting resumes by itself.
  full.restore();
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }, 2000));
}

TEST_P(ListenerEmfile, WithoutErrorCallbackTheErrorIsLogged) {
  evconnlistener_set_error_cb(lev, nullptr);
  LogCapture log;
  {
    FdTableFull full;
    if (!full.ok()) GTEST_SKIP() << "could not fill the descriptor table";
    dispatch_at_most(300);
  }
  EXPECT_EQ(errors.calls, 0);
  EXPECT_TRUE(log.has("Error from accept() call")) << log.dump();
  EXPECT_TRUE(log.has(strerror(EMFILE))) << log.dump();
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_LE(log.size(), 10u);
#endif
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }, 2000));
}
