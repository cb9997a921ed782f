/* A periodic timer that stops the loop after five ticks; SIGINT stops it early. */
#include <event2/event.h>

#include <signal.h>
#include <stdio.h>

static int ticks;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    (void)fd;
    (void)what;
    printf("tick %d\n", ++ticks);
    if (ticks == 5)
        event_base_loopbreak(base);
}

static void on_sigint(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    printf("interrupted\n");
    event_base_loopbreak(arg);
}

int main(void)
{
    struct event_base *base = event_base_new();
    struct timeval interval = {0, 100000};
    struct event *tick, *sigint;

    if (!base)
        return 1;
    tick = event_new(base, -1, EV_PERSIST, on_tick, base);
    sigint = evsignal_new(base, SIGINT, on_sigint, base);
    event_add(tick, &interval);
    event_add(sigint, NULL);
    printf("using %s (%s)\n", event_base_get_method(base), event_get_version());
    event_base_dispatch(base);
    event_free(tick);
    event_free(sigint);
    event_base_free(base);
    return 0;
}
