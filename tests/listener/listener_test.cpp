// evconnlistener: accepting, options, enable/disable, callbacks, freeing, bad input.
#include "listener_support.h"

#include <netinet/tcp.h>
#include <poll.h>
#include <sys/un.h>

#include <set>

using namespace lt;

namespace {

void never_called(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void*) {
  ADD_FAILURE() << "unexpected connection callback";
  close(fd);
}

// Waits up to ms for fd to become readable; true if it did.
bool readable_within(int fd, int ms) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

sockaddr_in6 ipv6_addr(const in6_addr& addr, unsigned port = 0) {
  sockaddr_in6 sin6;
  memset(&sin6, 0, sizeof sin6);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = addr;
  sin6.sin6_port = htons(static_cast<uint16_t>(port));
  return sin6;
}

// Why the IPv6 tests cannot run here (no IPv6 sockets, or [::] or ::1 cannot be
// bound), or "" when they can.
std::string ipv6_unusable() {
  const struct {
    const in6_addr* addr;
    const char* name;
  } probes[] = {{&in6addr_any, "[::]"}, {&in6addr_loopback, "::1"}};
  for (const auto& p : probes) {
    Fd s(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd < 0) return std::string("no IPv6 sockets here: ") + strerror(errno);
    sockaddr_in6 sin6 = ipv6_addr(*p.addr);
    if (bind(s.fd, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) != 0)
      return std::string("cannot bind ") + p.name + ": " + strerror(errno);
  }
  return {};
}

// A blocking connect to [::1]:port (see connect_to).
Fd connect6_to(unsigned port) {
  Fd c(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_GE(c.fd, 0);
  sockaddr_in6 to = ipv6_addr(in6addr_loopback, port);
  EXPECT_EQ(connect(c.fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << strerror(errno);
  return c;
}

}  // namespace

// One suite per area, each over every backend.
class Listener : public ListenerTest {};
class ListenerOptions : public ListenerTest {};
class ListenerEnable : public ListenerTest {};
class ListenerFree : public ListenerTest {};
class ListenerAccessors : public ListenerTest {};
class ListenerNew : public ListenerTest {};
class ListenerCallbacks : public ListenerTest {};
class ListenerBadInput : public ListenerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, Listener, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerOptions, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerEnable, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerFree, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerAccessors, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerNew, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerCallbacks, ::testing::ValuesIn(backends()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ListenerBadInput, ::testing::ValuesIn(backends()), backend_name);

TEST_P(Listener, AcceptsOnEphemeralPortWithPeerAddress) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  unsigned port = port_of(lev);
  ASSERT_NE(port, 0u);

  Fd client = connect_to(port);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_EQ(acc.last_listener, lev);
  ASSERT_EQ(acc.lens[0], int(sizeof(sockaddr_in)));

  // The address given to the callback is the client's own address.
  sockaddr_in mine;
  socklen_t mine_len = sizeof mine;
  ASSERT_EQ(getsockname(client.fd, reinterpret_cast<sockaddr*>(&mine), &mine_len), 0);
  auto* got = reinterpret_cast<sockaddr_in*>(&acc.addrs[0]);
  EXPECT_EQ(got->sin_family, AF_INET);
  EXPECT_EQ(got->sin_port, mine.sin_port);
  EXPECT_EQ(got->sin_addr.s_addr, mine.sin_addr.s_addr);

  // The socket handed over is the server side of that very connection.
  ASSERT_EQ(write(client.fd, "ping", 4), 4);
  char buf[8] = {};
  ASSERT_TRUE(readable_within(acc.fds[0], 2000));
  EXPECT_EQ(read(acc.fds[0], buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "ping");
  evconnlistener_free(lev);
}

TEST_P(Listener, BurstOfConnectionsAllAcceptedExactlyOnce) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE, 128);
  ASSERT_NE(lev, nullptr);
  unsigned port = port_of(lev);
  constexpr int kClients = 64;
  std::vector<Fd> clients;
  std::set<unsigned> client_ports;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(connect_to(port));
    client_ports.insert(port_of_fd(clients.back().fd));
  }
  ASSERT_TRUE(run_until(base, [&] { return acc.calls >= kClients; }));
  run_for(base, 50);  // nothing more arrives
  EXPECT_EQ(acc.calls, kClients);
  std::set<int> fds(acc.fds.begin(), acc.fds.end());
  EXPECT_EQ(fds.size(), size_t(kClients));
  std::set<unsigned> seen;
  for (auto& ss : acc.addrs) seen.insert(ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port));
  EXPECT_EQ(seen, client_ports);
  evconnlistener_free(lev);
}

TEST_P(Listener, DrainsEveryPendingConnectionInOneWakeup) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  std::vector<Fd> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(connect_to(port_of(lev)));
  ASSERT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
  EXPECT_EQ(acc.calls, 5);
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, AcceptedSocketsNonblockingByDefault) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  Fd c = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_NE(fcntl(acc.fds[0], F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(fcntl(acc.fds[0], F_GETFD) & FD_CLOEXEC, 0);
  // The socket new_bind made: nonblocking, keepalive on, not close-on-exec.
  int lfd = evconnlistener_get_fd(lev);
  EXPECT_NE(fcntl(lfd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(fcntl(lfd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(sockopt(lfd, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(sockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN), 1);
  EXPECT_EQ(sockopt(lfd, SOL_SOCKET, SO_REUSEADDR), 0);
  EXPECT_EQ(sockopt(lfd, SOL_SOCKET, SO_REUSEPORT), 0);
  EXPECT_EQ(sockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, LeaveSocketsBlocking) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_LEAVE_SOCKETS_BLOCKING);
  ASSERT_NE(lev, nullptr);
  Fd c = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_EQ(fcntl(acc.fds[0], F_GETFL) & O_NONBLOCK, 0);
  // The listening socket itself is still nonblocking.
  EXPECT_NE(fcntl(evconnlistener_get_fd(lev), F_GETFL) & O_NONBLOCK, 0);
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, CloseOnExecForAcceptedAndBoundSockets) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC);
  ASSERT_NE(lev, nullptr);
  EXPECT_NE(fcntl(evconnlistener_get_fd(lev), F_GETFD) & FD_CLOEXEC, 0);
  Fd c = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_NE(fcntl(acc.fds[0], F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(acc.fds[0], F_GETFL) & O_NONBLOCK, 0);
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, CloseOnExecDoesNotTouchAGivenSocket) {
  // evconnlistener_new applies LEV_OPT_CLOSE_ON_EXEC to accepted sockets only.
  Accepted acc;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(s, 0);
  sockaddr_in sin = loopback4();
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  evconnlistener* lev = evconnlistener_new(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, s);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(fcntl(s, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_KEEPALIVE), 0);
  Fd c = connect_to(port_of_fd(s));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_NE(fcntl(acc.fds[0], F_GETFD) & FD_CLOEXEC, 0);
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, ReuseableAndReuseablePortAndDeferredAccept) {
  evconnlistener* a = bind_loopback(base, never_called, nullptr,
                                    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
                                        LEV_OPT_DEFERRED_ACCEPT);
  ASSERT_NE(a, nullptr);
  int fd = evconnlistener_get_fd(a);
  EXPECT_EQ(sockopt(fd, SOL_SOCKET, SO_REUSEADDR), 1);
  EXPECT_EQ(sockopt(fd, SOL_SOCKET, SO_REUSEPORT), 1);
  EXPECT_GT(sockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
  // A second socket with SO_REUSEPORT may bind the same port.
  sockaddr_in sin = loopback4(port_of(a));
  evconnlistener* b = evconnlistener_new_bind(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT,
                                              -1, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  EXPECT_NE(b, nullptr);
  evconnlistener_free(b);
  evconnlistener_free(a);
}

TEST_P(ListenerOptions, BindIpv6OnlyOnTheWildcard) {
  // Only the wildcard shows the option: Linux makes a socket bound to a specific IPv6
  // address such as ::1 IPv6-only whatever the caller asked for.
  const std::string why = ipv6_unusable();
  if (!why.empty()) GTEST_SKIP() << why;
  Accepted acc;
  sockaddr_in6 any = ipv6_addr(in6addr_any);
  evconnlistener* lev = evconnlistener_new_bind(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY,
                                                -1, reinterpret_cast<sockaddr*>(&any), sizeof any);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(sockopt(evconnlistener_get_fd(lev), IPPROTO_IPV6, IPV6_V6ONLY), 1);
  const unsigned port = port_of(lev);
  ASSERT_NE(port, 0u);

  // An IPv4 client must not reach this listener. Its connect is refused, or answered by
  // another process's IPv4 socket: an IPv6-only bind leaves the IPv4 port free, so
  // neither outcome is checked, only that this listener never sees the connection.
  Fd v4(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(v4.fd, 0);
  timeval limit = {2, 0};  // a blocking connect that someone else's full backlog cannot hang
  setsockopt(v4.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sockaddr_in sin = loopback4(port);
  (void)connect(v4.fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  // A ::1 client does. Both connects return only once the kernel has queued the
  // connection, and one wakeup accepts everything queued, so a wrongly accepted IPv4
  // client would be counted by the time the IPv6 one is.
  Fd v6 = connect6_to(port);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls >= 1; }));
  event_base_loop(base, EVLOOP_NONBLOCK);
  EXPECT_EQ(acc.calls, 1);
  ASSERT_EQ(acc.lens[0], int(sizeof(sockaddr_in6)));
  const auto* peer = reinterpret_cast<const sockaddr_in6*>(&acc.addrs[0]);
  EXPECT_EQ(peer->sin6_family, AF_INET6);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&peer->sin6_addr));
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, WildcardWithoutIpv6OnlyAcceptsIpv4Too) {
  const std::string why = ipv6_unusable();
  if (!why.empty()) GTEST_SKIP() << why;
  {
    // Without the option the socket keeps the system default, which is what the
    // expectations below assume.
    Fd probe(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (sockopt(probe.fd, IPPROTO_IPV6, IPV6_V6ONLY) != 0)
      GTEST_SKIP() << "net.ipv6.bindv6only is set: IPv6 sockets start IPv6-only here";
  }
  Accepted acc;
  sockaddr_in6 any = ipv6_addr(in6addr_any);
  evconnlistener* lev = evconnlistener_new_bind(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE, -1,
                                                reinterpret_cast<sockaddr*>(&any), sizeof any);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(sockopt(evconnlistener_get_fd(lev), IPPROTO_IPV6, IPV6_V6ONLY), 0);

  // A dual-stack wildcard owns the IPv4 port as well: an IPv4 client arrives, as an
  // IPv4-mapped IPv6 peer.
  Fd v4 = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  ASSERT_EQ(acc.lens[0], int(sizeof(sockaddr_in6)));
  const auto* peer = reinterpret_cast<const sockaddr_in6*>(&acc.addrs[0]);
  EXPECT_EQ(peer->sin6_family, AF_INET6);
  EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&peer->sin6_addr));
  uint32_t v4addr;
  memcpy(&v4addr, &peer->sin6_addr.s6_addr[12], sizeof v4addr);
  EXPECT_EQ(v4addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(ntohs(peer->sin6_port), port_of_fd(v4.fd));
  evconnlistener_free(lev);
}

TEST_P(ListenerOptions, UnixDomainSocket) {
  Accepted acc;
  sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  // An abstract name: nothing on the file system to clean up.
  int n = snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "vigil-listener-test-%d", int(getpid()));
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + n);
  evconnlistener* lev = evconnlistener_new_bind(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE, -1,
                                                reinterpret_cast<sockaddr*>(&sun), int(len));
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_KEEPALIVE), 1);  // set for every family
  Fd c(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_EQ(connect(c.fd, reinterpret_cast<sockaddr*>(&sun), len), 0);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_EQ(acc.addrs[0].ss_family, AF_UNIX);
  EXPECT_EQ(acc.lens[0], int(sizeof(sa_family_t)));  // an unnamed peer
  evconnlistener_free(lev);
}

TEST_P(ListenerEnable, DisableStopsAcceptingAndEnableResumes) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(evconnlistener_disable(lev), 0);
  EXPECT_EQ(evconnlistener_disable(lev), 0);  // twice is fine
  Fd c = connect_to(port_of(lev));
  run_for(base, 100);
  EXPECT_EQ(acc.calls, 0);
  EXPECT_EQ(evconnlistener_enable(lev), 0);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  EXPECT_EQ(evconnlistener_enable(lev), 0);  // already enabled
  Fd c2 = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 2; }));
  evconnlistener_free(lev);
}

TEST_P(ListenerEnable, CreatedDisabled) {
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED);
  ASSERT_NE(lev, nullptr);
  // The socket listens already; the connection waits in the backlog.
  EXPECT_EQ(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_ACCEPTCONN), 1);
  Fd c = connect_to(port_of(lev));
  run_for(base, 100);
  EXPECT_EQ(acc.calls, 0);
  // Nothing keeps the loop alive: the listener's event is not added.
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(evconnlistener_enable(lev), 0);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  evconnlistener_free(lev);
}

TEST_P(ListenerEnable, DisableFromCallbackStopsTheAcceptLoop) {
  Accepted acc;
  acc.hook = [](evconnlistener* lev, int) { evconnlistener_disable(lev); };
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_to(port_of(lev)));
  run_for(base, 100);
  EXPECT_EQ(acc.calls, 1);
  acc.hook = nullptr;
  EXPECT_EQ(evconnlistener_enable(lev), 0);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 3; }));
  evconnlistener_free(lev);
}

TEST_P(ListenerFree, CloseOnFreeClosesTheSocket) {
  evconnlistener* lev = bind_loopback(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  int fd = evconnlistener_get_fd(lev);
  ASSERT_TRUE(fd_is_open(fd));
  evconnlistener_free(lev);
  errno = 0;
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_P(ListenerFree, WithoutCloseOnFreeTheSocketStaysOpen) {
  evconnlistener* lev = bind_loopback(base, never_called, nullptr, 0);
  ASSERT_NE(lev, nullptr);
  int fd = evconnlistener_get_fd(lev);
  unsigned port = port_of(lev);
  evconnlistener_free(lev);
  ASSERT_TRUE(fd_is_open(fd));
  EXPECT_EQ(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
  // Still listening, and nobody watches it any more.
  Fd c = connect_to(port);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  Fd server(accept(fd, nullptr, nullptr));
  EXPECT_GE(server.fd, 0);
  close(fd);
}

TEST_P(ListenerFree, FreeFromInsideTheCallback) {
  Accepted acc;
  acc.hook = [](evconnlistener* lev, int) { evconnlistener_free(lev); };
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  int fd = evconnlistener_get_fd(lev);
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_to(port_of(lev)));
  run_for(base, 100);
  EXPECT_EQ(acc.calls, 1);  // the loop over pending connections stops with the listener
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);  // nothing left on the base
}

TEST_P(ListenerFree, FreeAnotherListenerFromACallback) {
  // A listener freed from an unrelated callback in the same loop iteration.
  Accepted acc;
  evconnlistener* victim = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(victim, nullptr);
  Accepted killer_acc;
  killer_acc.hook = [&](evconnlistener*, int) {
    if (victim) evconnlistener_free(victim);
    victim = nullptr;
  };
  evconnlistener* killer = bind_loopback(base, Accepted::cb, &killer_acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(killer, nullptr);
  Fd c1 = connect_to(port_of(killer));
  Fd c2 = connect_to(port_of(victim));
  ASSERT_TRUE(run_until(base, [&] { return killer_acc.calls == 1; }));
  run_for(base, 50);
  EXPECT_EQ(victim, nullptr);
  EXPECT_LE(acc.calls, 1);  // depends on which fired first in that iteration
  evconnlistener_free(killer);
}

TEST_P(ListenerAccessors, GetBaseAndGetFd) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(s, 0);
  sockaddr_in sin = loopback4();
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  evconnlistener* lev = evconnlistener_new(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE, 16, s);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(evconnlistener_get_base(lev), base);
  EXPECT_EQ(evconnlistener_get_fd(lev), s);
  EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_ACCEPTCONN), 1);
  evconnlistener_free(lev);
}

TEST_P(ListenerNew, BacklogZeroMeansAlreadyListening) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(s, 0);
  sockaddr_in sin = loopback4();
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  // No listen() call: an unlistened socket stays so.
  evconnlistener* lev = evconnlistener_new(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE, 0, s);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_ACCEPTCONN), 0);
  evconnlistener_free(lev);

  // A socket the caller set listening works with backlog 0.
  s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_EQ(listen(s, 8), 0);
  Accepted acc;
  lev = evconnlistener_new(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE, 0, s);
  ASSERT_NE(lev, nullptr);
  Fd c = connect_to(port_of_fd(s));
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  evconnlistener_free(lev);
}

TEST_P(ListenerNew, NegativeBacklogListensWithADefault) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(s, 0);
  sockaddr_in sin = loopback4();
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  evconnlistener* lev = evconnlistener_new(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE, -5, s);
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_ACCEPTCONN), 1);
  evconnlistener_free(lev);
}

TEST_P(ListenerCallbacks, SetCbSwitchesCallbackAndArgument) {
  Accepted first, second;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &first, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  Fd c1 = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return first.calls == 1; }));
  evconnlistener_set_cb(lev, Accepted::cb, &second);
  Fd c2 = connect_to(port_of(lev));
  ASSERT_TRUE(run_until(base, [&] { return second.calls == 1; }));
  EXPECT_EQ(first.calls, 1);
  evconnlistener_free(lev);
}

TEST_P(ListenerCallbacks, NoCallbackMeansWaitingUntilOneIsSet) {
  evconnlistener* lev = bind_loopback(base, nullptr, nullptr, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  Fd c = connect_to(port_of(lev));
  // Not watched: the loop has nothing to wait for, and the connection stays queued.
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(evconnlistener_enable(lev), 0);
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  Accepted acc;
  evconnlistener_set_cb(lev, Accepted::cb, &acc);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  // It is the very connection made before: the client sees our bytes.
  ASSERT_EQ(write(acc.fds[0], "x", 1), 1);
  char ch = 0;
  ASSERT_TRUE(readable_within(c.fd, 2000));
  EXPECT_EQ(read(c.fd, &ch, 1), 1);
  evconnlistener_free(lev);
}

TEST_P(ListenerCallbacks, SetCbOnDisabledListenerDoesNotEnableIt) {
  evconnlistener* lev = bind_loopback(base, nullptr, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED);
  ASSERT_NE(lev, nullptr);
  Accepted acc;
  evconnlistener_set_cb(lev, Accepted::cb, &acc);
  Fd c = connect_to(port_of(lev));
  EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(acc.calls, 0);
  EXPECT_EQ(evconnlistener_enable(lev), 0);
  ASSERT_TRUE(run_until(base, [&] { return acc.calls == 1; }));
  evconnlistener_free(lev);
}

TEST_P(ListenerCallbacks, ClearingTheCallbackOfAnEnabledListenerClosesNewConnections) {
  // libevent keeps watching the socket; each connection is accepted and closed.
  Accepted acc;
  evconnlistener* lev = bind_loopback(base, Accepted::cb, &acc, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(lev, nullptr);
  evconnlistener_set_cb(lev, nullptr, nullptr);
  Fd c = connect_to(port_of(lev));
  bool eof = false;
  ASSERT_TRUE(run_until(base, [&] {
    if (!readable_within(c.fd, 0)) return false;
    char ch;
    eof = read(c.fd, &ch, 1) == 0;
    return true;
  }));
  EXPECT_TRUE(eof);
  EXPECT_EQ(acc.calls, 0);
  evconnlistener_free(lev);
}

TEST_P(ListenerBadInput, BadDescriptors) {
  LogCapture log;
  EXPECT_EQ(evconnlistener_new(base, never_called, nullptr, 0, -1, -1), nullptr);
  EXPECT_EQ(evconnlistener_new(base, never_called, nullptr, 0, 16, -1), nullptr);
  // A descriptor number that is not open.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  close(s);
  errno = 0;
  EXPECT_EQ(evconnlistener_new(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE, -1, s), nullptr);
  EXPECT_EQ(errno, EBADF);
  // With backlog 0 nothing checks the descriptor up front: the listener is made, and
  // only watching it fails (logged by event_add; evconnlistener_enable reports -1).
  // Plain epoll refuses the descriptor at once; epoll's changelist, poll and select
  // only see it when they next wait.
  if (strcmp(event_base_get_method(base), "epoll") == 0) {
    const size_t logged = log.size();
    evconnlistener* lev = evconnlistener_new(base, never_called, nullptr, 0, 0, s);
    ASSERT_NE(lev, nullptr);
    EXPECT_GT(log.size(), logged);
    EXPECT_EQ(evconnlistener_enable(lev), -1);
    evconnlistener_free(lev);
  }
  // Not a socket: listen() fails, and the descriptor is left open.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  errno = 0;
  EXPECT_EQ(evconnlistener_new(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE, -1, p[0]), nullptr);
  EXPECT_EQ(errno, ENOTSOCK);
  EXPECT_TRUE(fd_is_open(p[0]));
  close(p[0]);
  close(p[1]);
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_TRUE(log.has("listen")) << log.dump();
  // libevent returns a listener for fd -1 with backlog 0 and never polls it.
  EXPECT_EQ(evconnlistener_new(base, never_called, nullptr, 0, 0, -1), nullptr);
  EXPECT_TRUE(log.has("invalid socket")) << log.dump();
#endif
}

TEST_P(ListenerBadInput, AddressInUse) {
  evconnlistener* a = bind_loopback(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(a, nullptr);
  LogCapture log;
  sockaddr_in sin = loopback4(port_of(a));
  errno = 0;
  evconnlistener* b = evconnlistener_new_bind(base, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                                              reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(errno, EADDRINUSE);
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_TRUE(log.has("bind")) << log.dump();
#endif
  evconnlistener_free(a);
}

TEST_P(ListenerBadInput, NewBindRefusals) {
  LogCapture log;
  sockaddr_in sin = loopback4();
  // backlog 0 ("already listening") makes no sense for a socket made here.
  EXPECT_EQ(evconnlistener_new_bind(base, never_called, nullptr, 0, 0, reinterpret_cast<sockaddr*>(&sin), sizeof sin),
            nullptr);
  // No address: socket(AF_UNSPEC) fails.
  EXPECT_EQ(evconnlistener_new_bind(base, never_called, nullptr, 0, -1, nullptr, 0), nullptr);
  // A truncated address.
  EXPECT_EQ(evconnlistener_new_bind(base, never_called, nullptr, 0, -1, reinterpret_cast<sockaddr*>(&sin), 4), nullptr);
#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_TRUE(log.has("backlog")) << log.dump();
  EXPECT_TRUE(log.has("socket")) << log.dump();
#endif
}

TEST(ListenerWithoutBase, NewBindWithoutABase) {
  // No base, so no backend to vary; the descriptors are still checked.
  const FdSnapshot fds;
  LogCapture log;
  sockaddr_in sin = loopback4();
  evconnlistener* lev = evconnlistener_new_bind(nullptr, never_called, nullptr, LEV_OPT_CLOSE_ON_FREE, -1,
                                                reinterpret_cast<sockaddr*>(&sin), sizeof sin);
#ifdef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  // libevent makes a listener whose event has no base; event_add complains.
  ASSERT_NE(lev, nullptr);
  EXPECT_EQ(evconnlistener_get_base(lev), nullptr);
  EXPECT_TRUE(log.has("no event_base")) << log.dump();
  evconnlistener_free(lev);
#else
  EXPECT_EQ(lev, nullptr);
  EXPECT_TRUE(log.has("no event_base")) << log.dump();
  // NULL listeners are refused rather than dereferenced.
  EXPECT_EQ(evconnlistener_enable(nullptr), -1);
  EXPECT_EQ(evconnlistener_disable(nullptr), -1);
  EXPECT_EQ(evconnlistener_get_base(nullptr), nullptr);
  EXPECT_EQ(evconnlistener_get_fd(nullptr), -1);
  evconnlistener_set_cb(nullptr, never_called, nullptr);
  evconnlistener_set_error_cb(nullptr, nullptr);
  evconnlistener_free(nullptr);
#endif
  fds.expect_unchanged();
}
