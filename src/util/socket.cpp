// evutil's socket helpers (util.h) that the event core and its users need first.
#include "core/runtime.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

extern "C" {

VIGIL_EXPORT int evutil_socketpair(int family, int type, int protocol, evutil_socket_t fd[2]) {
    return socketpair(family, type, protocol, fd);
}

VIGIL_EXPORT int evutil_make_socket_nonblocking(evutil_socket_t fd) {
    int flags = fcntl(fd, F_GETFL, nullptr);
    if (flags < 0) {
        vigil::log_errno("fcntl(%d, F_GETFL)", fd);
        return -1;
    }
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
        vigil::log_errno("fcntl(%d, F_SETFL)", fd);
        return -1;
    }
    return 0;
}

VIGIL_EXPORT int evutil_make_socket_closeonexec(evutil_socket_t fd) {
    int flags = fcntl(fd, F_GETFD, nullptr);
    if (flags < 0) {
        vigil::log_errno("fcntl(%d, F_GETFD)", fd);
        return -1;
    }
    if (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
        vigil::log_errno("fcntl(%d, F_SETFD)", fd);
        return -1;
    }
    return 0;
}

VIGIL_EXPORT int evutil_closesocket(evutil_socket_t fd) { return close(fd); }

VIGIL_EXPORT int evutil_make_listen_socket_reuseable(evutil_socket_t fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(sizeof one));
}

VIGIL_EXPORT int evutil_make_listen_socket_reuseable_port(evutil_socket_t fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(sizeof one));
}

VIGIL_EXPORT int evutil_make_listen_socket_ipv6only(evutil_socket_t fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, socklen_t(sizeof one));
}

VIGIL_EXPORT int evutil_make_tcp_listen_socket_deferred(evutil_socket_t fd) {
    // Wake the listener only once data arrives. As in libevent, setsockopt's result is
    // returned as it is: a socket that is not TCP fails with -1 (EOPNOTSUPP/ENOTSOCK...).
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, socklen_t(sizeof one));
}

}  // extern "C"
