/* A TCP echo server on 127.0.0.1:PORT (default 9995) using only the event core:
   one persistent read event per connection. */
#include <event2/event.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_client(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    (void)what;
    if (n <= 0) {
        event_free(self);
        evutil_closesocket(fd);
        return;
    }
    /* A real server would buffer what send() does not take; bufferevents do that. */
    if (send(fd, buf, (size_t)n, 0) < 0)
        perror("send");
}

static void on_accept(evutil_socket_t listener, short what, void *arg)
{
    struct event_base *base = arg;
    evutil_socket_t fd = accept(listener, NULL, NULL);
    struct event *ev;
    (void)what;
    if (fd < 0)
        return;
    evutil_make_socket_nonblocking(fd);
    ev = event_new(base, fd, EV_READ | EV_PERSIST, on_client, event_self_cbarg());
    event_add(ev, NULL);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sin;
    struct event_base *base = event_base_new();
    evutil_socket_t listener = socket(AF_INET, SOCK_STREAM, 0);
    struct event *accept_ev;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    sin.sin_port = htons(argc > 1 ? (unsigned short)atoi(argv[1]) : 9995);
    evutil_make_listen_socket_reuseable(listener);
    if (!base || bind(listener, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(listener, 64) < 0) {
        perror("echo_server");
        return 1;
    }
    evutil_make_socket_nonblocking(listener);
    accept_ev = event_new(base, listener, EV_READ | EV_PERSIST, on_accept, base);
    event_add(accept_ev, NULL);
    event_base_dispatch(base);
    event_free(accept_ev);
    event_base_free(base);
    return 0;
}
