/* A minimal libevent consumer, built against an installed vigil by install_test.sh.
 * Creates a base, runs one 10 ms timer to completion and prints the library version.
 * Uses only libevent's public API, so it would build against Debian's libevent too. */
#define _GNU_SOURCE 1 /* CLOCK_MONOTONIC_COARSE */
#include <event2/event.h>

#include <stdio.h>
#include <time.h>

/* Microseconds on the clock the base times its events with (no PRECISE_TIMER): read
 * before the timer is armed and after it fired, the two are a whole timeout apart. */
static long coarse_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long)ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

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
    long before = coarse_us();
    if (!timer || evtimer_add(timer, &delay) != 0) {
        fprintf(stderr, "consumer: could not add the timer\n");
        return 1;
    }
    int rc = event_base_dispatch(base);
    long waited_us = coarse_us() - before;
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
    if (waited_us < 10000 - 1) { /* times are kept in whole microseconds */
        fprintf(stderr, "consumer: dispatch returned after %ld us, before the 10 ms timer\n", waited_us);
        return 1;
    }
    printf("timer fired after %ld us\n", waited_us);
    printf("version %s\n", event_get_version());
    return 0;
}
