/*
 * thread_bench: cross-thread event_active through the libevent 2.1 API, built
 * against vigil and against the system libevent (with its libevent_pthreads).
 *
 * One thread runs the loop; a producer thread activates an event and waits until
 * its callback has run, R times (a ping-pong, so every activation wakes the loop
 * through its notification channel). Reports the median round trip in ns.
 * Then the same with the producer firing B activations back to back and waiting
 * for the loop to catch up (activations of an already-active event merge), which
 * measures the locking cost when the loop is busy rather than asleep.
 *
 * Usage: thread_bench [-n round_trips] [-b burst] [-r rounds]
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#define BENCH_USES_LIBEVENT 1
#include "bench_common.h"

static struct event_base *base;
static struct event *ev;
static atomic_long seen;

static void on_active(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	atomic_fetch_add_explicit(&seen, 1, memory_order_release);
}

static void *run_loop(void *arg)
{
	(void)arg;
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Activates and waits for the callback, n times; seconds per round trip. */
static double ping_pong(long n)
{
	long i, target = atomic_load(&seen);
	double t0 = bench_now_wall();
	for (i = 0; i < n; i++) {
		target++;
		event_active(ev, EV_READ, 1);
		while (atomic_load_explicit(&seen, memory_order_acquire) < target)
			sched_yield();
	}
	return (bench_now_wall() - t0) / (double)n;
}

/* Fires n activations without waiting; seconds per activation call. */
static double burst(long n)
{
	long i;
	double t0 = bench_now_wall();
	for (i = 0; i < n; i++)
		event_active(ev, EV_READ, 1);
	return (bench_now_wall() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	long n = 20000, b = 200000;
	int rounds = 5, opt, i;
	double *pp, *bb;
	pthread_t loop;

	while ((opt = getopt(argc, argv, "n:b:r:")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'b': b = atol(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: thread_bench [-n round_trips] [-b burst] [-r rounds]\n");
			return 2;
		}
	}
	if (n < 1 || b < 1 || rounds < 1)
		return 2;
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "thread_bench: evthread_use_pthreads failed\n");
		return 1;
	}
	base = event_base_new();
	if (!base)
		return 1;
	bench_print_library("thread_bench", base);
	ev = event_new(base, -1, EV_PERSIST, on_active, NULL);
	pp = calloc((size_t)rounds, sizeof(double));
	bb = calloc((size_t)rounds, sizeof(double));
	if (!ev || !pp || !bb)
		return 1;
	if (pthread_create(&loop, NULL, run_loop, NULL) != 0)
		return 1;
	ping_pong(n / 10 + 1); /* warm-up: the loop is running and asleep */
	for (i = 0; i < rounds; i++) {
		pp[i] = ping_pong(n);
		bb[i] = burst(b);
	}
	event_base_loopbreak(base);
	pthread_join(loop, NULL);
	printf("RESULT thread round_trips=%ld burst=%ld rounds=%d pingpong_ns=%.1f active_call_ns=%.1f\n",
	    n, b, rounds, bench_median(pp, rounds) * 1e9, bench_median(bb, rounds) * 1e9);
	event_free(ev);
	event_base_free(base);
	free(pp);
	free(bb);
	return 0;
}
