// Shared helpers for the bufferevent behaviour tests (event2/bufferevent.h and friends).
//
// Every source in this directory compiles against either vigil's include/ (the CMake
// build) or the system libevent (run_against_system_libevent.sh defines
// VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT). Expectations that hold only for vigil sit under
// #ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT; everything else is libevent 2.1.12's
// behaviour and must pass on both. Only public headers are used, only loopback
// addresses, and every wait is bounded.
//
// Conventions for tests built on BevTest:
//  * every test is parameterised over the backends in bt::backends();
//  * sockets and bufferevents are locals of the test body (never fixture members), so
//    they are gone before TearDown() frees the base and checks for leaked descriptors;
//  * SIGPIPE is ignored (libevent writes with writev(), which raises it).
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#if !defined(VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT) && !defined(VIGIL_EVENT2_BUFFEREVENT_H_)
#error "event2/bufferevent.h did not come from vigil's include/ (is /usr/include/event2 shadowing it?)"
#endif

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "../support/backend_base.h"
#include "../support/clock.h"
#include "../support/env_var.h"
#include "../support/fds.h"
#include "../support/fd_leak_check.h"
#include "../support/log_capture.h"
#include "../support/sockets.h"

namespace bt {

using vigil_test::LogCapture;

// ---------------------------------------------------------------- time ----

// now_ms() (CLOCK_MONOTONIC), tv_ms() and kLate (upper slack for "it happened, and not
// absurdly late") come from ../support/clock.h, as do coarse_now_ms() (the clock the
// suites' bases, none with EVENT_BASE_FLAG_PRECISE_TIMER, time events with: a timeout
// measured on it from before arming is never short) and kMicrosecond.
using vigil_test::coarse_now_ms;
using vigil_test::kLate;
using vigil_test::kMicrosecond;
using vigil_test::now_ms;
using vigil_test::tv_ms;


// ------------------------------------------------------------ backends ----

// BackendSpec, backends() and backend_name() come from ../support/backend_base.h.
using vigil_test::BackendSpec;
using vigil_test::backend_name;
using vigil_test::backends;

// make_base(spec, extra_flags): a base on exactly that backend, the environment
// ignored; open_base(base, spec): the same for a fixture's SetUp, checking the method
// (../support/backend_base.h).
using vigil_test::make_base;
using vigil_test::open_base;

// Sets or unsets an environment variable for its lifetime (../support/env_var.h).
using vigil_test::EnvVar;

// ----------------------------------------------------------- fd checks ----

// open_fds() (sorted, for before/after comparison), describe_fds() (fd->target, for
// failure messages) and fd_is_open() come from ../support/fds.h.
using vigil_test::describe_fds;
using vigil_test::fd_is_open;
using vigil_test::open_fds;

// ------------------------------------------------------------- sockets ----

// SocketPair (AF_UNIX, non-blocking, close-on-exec), Fd (owns one descriptor), put (send
// without SIGPIPE), drain_fd (everything readable now), fill_until_full and loopback4
// come from ../support/sockets.h.
using vigil_test::drain_fd;
using vigil_test::Fd;
using vigil_test::fill_until_full;
using vigil_test::loopback4;
using vigil_test::put;
using vigil_test::SocketPair;

// Bytes the kernel holds for reading on fd (FIONREAD).
inline int kernel_readable(evutil_socket_t fd) {
  int n = -1;
  if (ioctl(fd, FIONREAD, &n) != 0) return -1;
  return n;
}

// True when a recv on the non-blocking fd reports end of file now.
inline bool peer_sees_eof(evutil_socket_t fd) {
  char c;
  return ::recv(fd, &c, 1, 0) == 0;
}

// Waits (poll) until fd is readable or ms pass.
inline bool wait_readable(evutil_socket_t fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

inline unsigned port_of_fd(int fd) {
  sockaddr_in sin;
  socklen_t len = sizeof sin;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) != 0) return 0;
  return ntohs(sin.sin_port);
}

// A TCP listener on 127.0.0.1 (ephemeral port), closed on destruction.
struct TcpServer {
  Fd lfd;
  unsigned port = 0;
  TcpServer() {
    lfd = Fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(lfd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sin = loopback4();
    if (bind(lfd.fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || listen(lfd.fd, 16) != 0)
      ADD_FAILURE() << "listen: " << std::strerror(errno);
    port = port_of_fd(lfd.fd);
  }
  sockaddr_in addr() const { return loopback4(port); }
  // Accepts one connection, waiting up to ms; the result is non-blocking.
  Fd accept_one(int ms = 3000) {
    const double end = now_ms() + ms;
    for (;;) {
      int c = accept4(lfd.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0) return Fd(c);
      if (now_ms() > end) return Fd();
      pollfd p{lfd.fd, POLLIN, 0};
      ::poll(&p, 1, 10);
    }
  }
};

// A loopback port nobody listens on (bound once, then released).
inline unsigned closed_port() {
  Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin = loopback4();
  if (bind(s.fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) return 0;
  return port_of_fd(s.fd);
}

// A blocking-free TCP connection pair over loopback: {client, server}, both non-blocking.
struct TcpPair {
  Fd client, server;
  explicit TcpPair(TcpServer& srv) {
    client = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sin = srv.addr();
    if (connect(client.fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0)
      ADD_FAILURE() << "connect: " << std::strerror(errno);
    evutil_make_socket_nonblocking(client.fd);
    server = srv.accept_one();
    EXPECT_GE(server.fd, 0);
  }
};

// Deterministic pseudo-random bytes (xorshift), so large transfers can be checked.
inline std::string pattern(size_t n, uint32_t seed = 0x9e3779b9u) {
  std::string s(n, '\0');
  uint32_t x = seed ? seed : 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x & 0xff);
  }
  return s;
}

inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

// ------------------------------------------------------------ the loop ----

inline void tick_cb(evutil_socket_t, short, void*) {}

struct UntilState {
  const std::function<bool()>* pred;
  double end;
  event_base* base;
  bool done;
};

inline void until_tick_cb(evutil_socket_t, short, void* arg) {
  auto* st = static_cast<UntilState*>(arg);
  if ((*st->pred)() || now_ms() >= st->end) {
    st->done = true;
    event_base_loopbreak(st->base);
  }
}

// Runs the loop until pred() holds or ms pass; returns pred(). A 2 ms ticker checks
// pred() and breaks the loop, so this also returns while callbacks keep themselves
// active (EVLOOP_ONCE/NONBLOCK would never return then: see the read high-water tests).
inline bool run_until(event_base* base, const std::function<bool()>& pred, int ms = 3000) {
  if (pred()) return true;
  UntilState st{&pred, now_ms() + ms, base, false};
  event* tick = event_new(base, -1, EV_PERSIST, until_tick_cb, &st);
  timeval tv = tv_ms(2);
  event_add(tick, &tv);
  while (!st.done) event_base_dispatch(base);
  event_free(tick);
  return pred();
}

// Runs the loop, reading the peer descriptor, until `want` bytes have arrived or ms
// pass; returns what arrived.
inline std::string receive(event_base* base, int peer, size_t want, int ms = 3000) {
  std::string got;
  run_until(base, [&] {
    got += drain_fd(peer);
    return got.size() >= want;
  }, ms);
  return got;
}

// Runs the loop for about ms milliseconds, whatever happens.
inline void run_for(event_base* base, int ms) {
  timeval tv = tv_ms(ms);
  event_base_loopexit(base, &tv);
  event_base_dispatch(base);
}

// One non-blocking pass (it keeps going while callbacks stay active, so never use it
// while a read high-water mark is reached and not drained).
inline void run_nonblock(event_base* base) { event_base_loop(base, EVLOOP_NONBLOCK); }

// A few non-blocking passes: enough to run everything already deferred (the same
// caveat as run_nonblock applies).
inline void spin(event_base* base, int n = 3) {
  for (int i = 0; i < n; ++i) event_base_loop(base, EVLOOP_NONBLOCK);
}

// -------------------------------------------------------- bufferevents ----

// Owns a bufferevent; frees it on destruction unless released.
struct Bev {
  bufferevent* p = nullptr;
  Bev() = default;
  explicit Bev(bufferevent* b) : p(b) {}
  ~Bev() { reset(); }
  Bev(const Bev&) = delete;
  Bev& operator=(const Bev&) = delete;
  void reset(bufferevent* b = nullptr) {
    if (p) bufferevent_free(p);
    p = b;
  }
  bufferevent* release() {
    bufferevent* b = p;
    p = nullptr;
    return b;
  }
  bufferevent* get() const { return p; }
  operator bufferevent*() const { return p; }
  bufferevent* operator->() const { return p; }
};

// Records what a bufferevent's callbacks saw. attach() installs it; by default the read
// callback moves the whole input into `got`. Hooks run after the bookkeeping, last, so
// a hook may free the bufferevent.
struct Rec {
  int reads = 0, writes = 0;
  std::vector<short> events;
  std::vector<int> errnos;         // errno seen on entry to each event callback
  std::string order;               // 'r', 'w', 'e' in call order
  std::string got;                 // data drained by the default read behaviour
  std::vector<size_t> in_len;      // input length on entry to each read callback
  std::vector<size_t> out_len;     // output length on entry to each write callback
  std::vector<double> event_ms;    // when each event callback ran, on coarse_now_ms()
  bool auto_drain = true;
  bool in_call = false;            // set by a test around an API call
  int called_inside = 0;           // callbacks that ran while in_call was set
  bufferevent* last_bev = nullptr;
  std::function<void(bufferevent*)> on_read, on_write;
  std::function<void(bufferevent*, short)> on_event;

  void attach(bufferevent* b) { bufferevent_setcb(b, read_cb, write_cb, event_cb, this); }

  short last_event() const { return events.empty() ? short(0) : events.back(); }

  static void read_cb(bufferevent* bev, void* arg) {
    auto* r = static_cast<Rec*>(arg);
    r->reads++;
    r->order += 'r';
    r->last_bev = bev;
    if (r->in_call) r->called_inside++;
    evbuffer* in = bufferevent_get_input(bev);
    r->in_len.push_back(evbuffer_get_length(in));
    if (r->on_read) {
      r->on_read(bev);
      return;
    }
    if (r->auto_drain) {
      size_t n = evbuffer_get_length(in);
      std::string chunk(n, '\0');
      if (n) evbuffer_remove(in, chunk.data(), n);
      r->got += chunk;
    }
  }
  static void write_cb(bufferevent* bev, void* arg) {
    auto* r = static_cast<Rec*>(arg);
    r->writes++;
    r->order += 'w';
    r->last_bev = bev;
    if (r->in_call) r->called_inside++;
    r->out_len.push_back(evbuffer_get_length(bufferevent_get_output(bev)));
    if (r->on_write) r->on_write(bev);
  }
  static void event_cb(bufferevent* bev, short what, void* arg) {
    const int err = EVUTIL_SOCKET_ERROR();
    auto* r = static_cast<Rec*>(arg);
    r->events.push_back(what);
    r->errnos.push_back(err);
    r->event_ms.push_back(coarse_now_ms());
    r->order += 'e';
    r->last_bev = bev;
    if (r->in_call) r->called_inside++;
    if (r->on_event) r->on_event(bev, what);
  }
};

inline std::string flags_str(short what) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(what) & 0xffff);
  return buf;
}

inline std::string input_str(bufferevent* bev) {
  evbuffer* in = bufferevent_get_input(bev);
  size_t n = evbuffer_get_length(in);
  std::string s(n, '\0');
  if (n) evbuffer_copyout(in, s.data(), n);
  return s;
}

// Everything in b, by peeking rather than copying out: evbuffer_copyout refuses a
// buffer whose start is frozen, as a bufferevent's output is.
inline std::string contents(evbuffer* b) {
  std::string s;
  int n = evbuffer_peek(b, -1, nullptr, nullptr, 0);
  if (n <= 0) return s;
  std::vector<evbuffer_iovec> v(static_cast<size_t>(n));
  n = evbuffer_peek(b, -1, nullptr, v.data(), n);
  for (int i = 0; i < n; ++i) s.append(static_cast<const char*>(v[i].iov_base), v[i].iov_len);
  return s;
}

// contents(b), drained from b.
inline std::string take(evbuffer* b) {
  std::string s = contents(b);
  evbuffer_drain(b, s.size());
  return s;
}

inline size_t inlen(bufferevent* b) { return evbuffer_get_length(bufferevent_get_input(b)); }
inline size_t outlen(bufferevent* b) { return evbuffer_get_length(bufferevent_get_output(b)); }

inline int write_str(bufferevent* b, const std::string& s) { return bufferevent_write(b, s.data(), s.size()); }

// Records what a bufferevent's callbacks saw, for tests that install them with
// watch(). Unlike Rec it drains nothing by default, and `log` may be shared
// between recorders so cross-bufferevent ordering can be checked ("name:read",
// "name:write", "name:event").
struct NamedRec {
  explicit NamedRec(std::string n, std::vector<std::string>* l = nullptr) : name(std::move(n)), log(l) {}
  std::string name;
  std::vector<std::string>* log = nullptr;
  int reads = 0;
  int writes = 0;
  std::vector<short> events;
  std::string data;            // drained by rec_read when drain is set
  bool drain = false;          // rec_read drains the input
  size_t drain_max = 0;        // 0: everything; else at most this much per call
  std::vector<size_t> seen;    // input length at each read callback
  std::function<void(bufferevent*)> on_read_hook;  // runs last in rec_read

  void note(const std::string& what) {
    if (log) log->push_back(name + ":" + what);
  }
};

inline void rec_read(bufferevent* bev, void* arg) {
  auto* r = static_cast<NamedRec*>(arg);
  r->reads++;
  r->seen.push_back(inlen(bev));
  r->note("read");
  if (r->drain) {
    evbuffer* in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (r->drain_max && n > r->drain_max) n = r->drain_max;
    std::string s(n, '\0');
    if (n) evbuffer_remove(in, s.data(), n);
    r->data += s;
  }
  if (r->on_read_hook) r->on_read_hook(bev);
}

inline void rec_write(bufferevent*, void* arg) {
  auto* r = static_cast<NamedRec*>(arg);
  r->writes++;
  r->note("write");
}

inline void rec_event(bufferevent*, short what, void* arg) {
  auto* r = static_cast<NamedRec*>(arg);
  r->events.push_back(what);
  r->note("event");
}

inline void watch(bufferevent* b, NamedRec* r) { bufferevent_setcb(b, rec_read, rec_write, rec_event, r); }

// ------------------------------------------------------------- fixture ----

class BevTest : public ::testing::TestWithParam<BackendSpec> {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    // A hung loop must not stall the whole run: SIGALRM's default action ends the
    // process, which the runner reports as a failure.
    alarm(30);
    fds_before_ = open_fds();
    open_base(base, GetParam());
  }
  void TearDown() override {
    if (base) event_base_free(base);
    base = nullptr;
    event_set_log_callback(nullptr);
    // Every descriptor a test opened (sockets, bufferevent-created sockets, backend
    // descriptors) is closed by its end.
    const std::vector<int> after = open_fds();
    EXPECT_EQ(after, fds_before_) << "open before:" << describe_fds(fds_before_)
                                  << "\nopen after:" << describe_fds(after);
    alarm(0);
  }

  event_base* base = nullptr;

 private:
  std::vector<int> fds_before_;
};

}  // namespace bt
