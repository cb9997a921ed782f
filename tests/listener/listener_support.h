// Shared helpers for the listener tests (event2/listener.h).
//
// The sources compile against vigil's include/ (the CMake build) or against the
// system libevent (run_against_system_libevent.sh defines
// VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT). Expectations that hold only for vigil sit under
// #ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT; everything else is libevent 2.1.12's
// behaviour and must pass on both. Clients connect to loopback addresses only (one
// test binds the IPv6 wildcard, since IPV6_V6ONLY only matters there), and every wait
// is bounded.
//
// Conventions for tests built on ListenerTest:
//  * every test is parameterised over the backends in lt::backends();
//  * listeners, sockets and Accepted records are locals of the test body (never
//    fixture members), so they are gone before TearDown() frees the base and checks
//    that every descriptor the test opened was closed.
#pragma once

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#if !defined(VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT) && !defined(VIGIL_EVENT2_LISTENER_H_)
#error "event2/listener.h did not come from vigil's include/ (is /usr/include/event2 shadowing it?)"
#endif

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "../support/backend_base.h"
#include "../support/fds.h"
#include "../support/log_capture.h"
#include "../support/sockets.h"

namespace lt {

using vigil_test::LogCapture;

// Fd (owns a descriptor) and loopback4 (127.0.0.1:port) come from ../support/sockets.h.
using vigil_test::Fd;
using vigil_test::loopback4;

// open_fds(), describe_fds() and fd_is_open() come from ../support/fds.h.
using vigil_test::describe_fds;
using vigil_test::fd_is_open;
using vigil_test::open_fds;

// ------------------------------------------------------------ backends ----

// The listener's accept event is an ordinary read event, so it runs on every backend:
// BackendSpec, backends() and backend_name() come from ../support/backend_base.h.
using vigil_test::BackendSpec;
using vigil_test::backend_name;
using vigil_test::backends;

// make_base(spec, extra_flags) and open_base(base, spec) build a base on exactly that
// backend, the environment ignored (../support/backend_base.h).
using vigil_test::make_base;
using vigil_test::open_base;

// Records the open descriptors when made; expect_unchanged() checks that the same set
// is open again, naming what leaked (or what was closed that should not have been).
class FdSnapshot {
 public:
  void expect_unchanged() const {
    const std::vector<int> after = open_fds();
    EXPECT_EQ(after, before_) << "open before:" << describe_fds(before_) << "\nopen after:" << describe_fds(after);
  }

 private:
  std::vector<int> before_ = open_fds();
};

// The per-backend fixture: `base` runs on GetParam()'s backend, and every descriptor
// the test opens (listening and accepted sockets, clients, the backend's own) must be
// closed by the time the base is freed.
class ListenerTest : public ::testing::TestWithParam<BackendSpec> {
 protected:
  void SetUp() override {
    // A hung loop must not stall the whole run: SIGALRM's default action ends the
    // process, which the runner reports as a failure.
    alarm(30);
    open_base(base, GetParam());
  }
  void TearDown() override {
    if (base) event_base_free(base);
    base = nullptr;
    event_set_log_callback(nullptr);
    fds_.expect_unchanged();
    alarm(0);
  }

  event_base* base = nullptr;

 private:
  FdSnapshot fds_;  // taken as the fixture is made, just before SetUp()
};

// ------------------------------------------------------------ the loop ----

inline long long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Runs nonblocking loop iterations until pred() holds or ms milliseconds pass.
inline bool run_until(event_base* base, const std::function<bool()>& pred, int ms = 3000) {
  const long long end = now_ms() + ms;
  while (!pred()) {
    if (now_ms() > end) return false;
    event_base_loop(base, EVLOOP_NONBLOCK);
    if (pred()) break;
    usleep(1000);
  }
  return true;
}

// Runs the loop for about ms milliseconds, whatever happens.
inline void run_for(event_base* base, int ms) {
  timeval tv = {ms / 1000, (ms % 1000) * 1000};
  event_base_loopexit(base, &tv);
  event_base_dispatch(base);
}

// A listener bound to 127.0.0.1 on an ephemeral port.
inline evconnlistener* bind_loopback(event_base* base, evconnlistener_cb cb, void* arg, unsigned flags,
                                     int backlog = -1) {
  sockaddr_in sin = loopback4();
  return evconnlistener_new_bind(base, cb, arg, flags, backlog, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

inline unsigned port_of_fd(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

inline unsigned port_of(evconnlistener* lev) { return port_of_fd(evconnlistener_get_fd(lev)); }

// A blocking connect to 127.0.0.1:port; on loopback it completes once the kernel has
// queued the connection, before anyone accepts it.
inline Fd connect_to(unsigned port) {
  Fd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_GE(c.fd, 0);
  sockaddr_in sin = loopback4(port);
  EXPECT_EQ(connect(c.fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << strerror(errno);
  return c;
}

inline int sockopt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0) return -1;
  return v;
}

// Records what the connection callback saw; optionally runs a hook per connection.
struct Accepted {
  int calls = 0;
  std::vector<int> fds;
  std::vector<sockaddr_storage> addrs;
  std::vector<int> lens;
  evconnlistener* last_listener = nullptr;
  std::function<void(evconnlistener*, int)> hook;

  ~Accepted() {
    for (int f : fds) close(f);
  }
  static void cb(evconnlistener* lev, evutil_socket_t fd, sockaddr* sa, int len, void* arg) {
    auto* self = static_cast<Accepted*>(arg);
    ++self->calls;
    self->fds.push_back(fd);
    sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (len > 0 && size_t(len) <= sizeof ss) memcpy(&ss, sa, size_t(len));
    self->addrs.push_back(ss);
    self->lens.push_back(len);
    self->last_listener = lev;
    if (self->hook) self->hook(lev, fd);
  }
};

}  // namespace lt
