/* A minimal libevent consumer, built against an installed vigil by install_test.sh.
 * Creates a base, runs one 10 ms timer to completion and prints the library version.
 * Uses only libevent's public API, so it would build against Debian's libevent too. */
#include <event2/event.h>

#include <stdio.h>
#include <sys/time.h>

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    int *fired = arg;
    (void)fd;
    if (what & EV_TIMEOUT)
        ++*fired;
}

int main(void)
{
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "consumer: event_base_new failed\n");
        return 1;
    }
    int fired = 0;
    struct event *timer = evtimer_new(base, on_timer, &fired);
    struct timeval delay = {0, 10 * 1000};
    struct timeval before, after;
    gettimeofday(&before, NULL);
    if (!timer || evtimer_add(timer, &delay) != 0) {
        fprintf(stderr, "consumer: could not add the timer\n");
        return 1;
    }
    int rc = event_base_dispatch(base);
    gettimeofday(&after, NULL);
    long waited_us = (after.tv_sec - before.tv_sec) * 1000000L + (after.tv_usec - before.tv_usec);
    event_free(timer);
    event_base_free(base);

    if (rc != 1 && rc != 0) {
        fprintf(stderr, "consumer: event_base_dispatch returned %d\n", rc);
        return 1;
    }
    if (fired != 1) {
        fprintf(stderr, "consumer: the timer fired %d times, expected once\n", fired);
        return 1;
    }
    if (waited_us < 9000) {
        fprintf(stderr, "consumer: dispatch returned after %ld us, before the 10 ms timer\n", waited_us);
        return 1;
    }
    printf("timer fired after %ld us\n", waited_us);
    printf("version %s\n", event_get_version());
    return 0;
}
