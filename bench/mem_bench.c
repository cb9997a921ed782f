/*
 * mem_bench: user-space memory the library needs per pending timer and per
 * watched descriptor, through the libevent 2.1 public API.
 *
 * Memory is the growth of VmRSS (and RssAnon) in /proc/self/status across
 * the measured step, divided by the number of objects.  The kernel's own
 * cost of sockets and of epoll registrations is not part of a process's
 * RSS, so the figure is what the library itself allocates and touches.
 *
 * Tests (-x, default all; each runs in a child process of its own, so
 * memory one test freed cannot hide the next test's growth):
 *   timer_add   K events are event_assign()ed into memory the benchmark
 *               owns and has already touched; then all are event_add()ed
 *               with random 1-100 s timeouts: the library's bookkeeping.
 *   timer_new   event_new() + event_add() of K timers: adds the event
 *               allocation itself (and malloc's overhead).
 *   ctimer_add  as timer_add, with 4 common timeouts.
 *   fd_add      P socketpairs (2P descriptors) are opened first and their
 *               events assigned; then every descriptor gets an EV_READ|
 *               EV_PERSIST event_add() and one non-blocking loop pass runs
 *               (so a library that defers registration applies it).
 *   fd_new      as fd_add, with event_new() inside the measured step.
 *
 * A warm-up add/del on a spare object runs before each measurement so the
 * first call's code page faults are not counted.
 *
 * Usage: mem_bench [-x tests] [-k timers] [-p pairs]
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <event2/event.h>
#include <event2/util.h>

#define BENCH_USES_LIBEVENT 1
#include "bench_common.h"

static long timer_count = 200000;
static long pair_count = 8000;
static const char *tests = "timer_add,timer_new,ctimer_add,fd_add,fd_new";

static void die(const char *what)
{
	fprintf(stderr, "mem_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

struct snapshot {
	long rss_kb;
	long anon_kb;
};

static void snap(struct snapshot *s)
{
	s->rss_kb = bench_status_kb("VmRSS");
	s->anon_kb = bench_status_kb("RssAnon");
}

static void report(const char *test, long count, const struct snapshot *before,
    const struct snapshot *after)
{
	printf("RESULT mem test=%s count=%ld rss_before_kb=%ld rss_after_kb=%ld "
	    "bytes_per=%.2f anon_bytes_per=%.2f\n",
	    test, count, before->rss_kb, after->rss_kb,
	    (double)(after->rss_kb - before->rss_kb) * 1024.0 / (double)count,
	    (double)(after->anon_kb - before->anon_kb) * 1024.0 / (double)count);
	fflush(stdout);
}

static void random_far_timeout(struct timeval *tv)
{
	uint32_t us = bench_rand_below(99000000u);
	tv->tv_sec = 1 + (time_t)(us / 1000000u);
	tv->tv_usec = (suseconds_t)(us % 1000000u);
}

/* mode: 0 = assign into own memory, 1 = event_new, 2 = common timeouts */
static void test_timers(const char *name, int mode)
{
	struct event_base *base = event_base_new();
	size_t evsize = event_get_struct_event_size();
	struct event **evs = calloc((size_t)timer_count, sizeof(*evs));
	const struct timeval *common[4];
	struct event *spare;
	struct snapshot before, after;
	struct timeval tv;
	long i;

	if (!base || !evs)
		die("setup");
	bench_print_library("mem_bench", base);
	for (i = 0; i < 4; i++) {
		struct timeval d;
		d.tv_sec = 10 + 15 * i;
		d.tv_usec = 0;
		common[i] = event_base_init_common_timeout(base, &d);
		if (!common[i])
			die("event_base_init_common_timeout");
	}
	if (mode != 1) {
		for (i = 0; i < timer_count; i++) {
			evs[i] = calloc(1, evsize);
			if (!evs[i] || event_assign(evs[i], base, -1, 0, on_event, NULL) != 0)
				die("event_assign");
		}
	}
	/* warm-up on a spare event */
	spare = event_new(base, -1, 0, on_event, NULL);
	random_far_timeout(&tv);
	event_add(spare, mode == 2 ? common[0] : &tv);
	event_del(spare);

	snap(&before);
	for (i = 0; i < timer_count; i++) {
		if (mode == 1) {
			evs[i] = event_new(base, -1, 0, on_event, NULL);
			if (!evs[i])
				die("event_new");
		}
		if (mode == 2) {
			event_add(evs[i], common[i & 3]);
		} else {
			random_far_timeout(&tv);
			event_add(evs[i], &tv);
		}
	}
	snap(&after);
	report(name, timer_count, &before, &after);

	for (i = 0; i < timer_count; i++) {
		if (mode == 1) {
			event_free(evs[i]);
		} else {
			event_del(evs[i]);
			free(evs[i]);
		}
	}
	event_free(spare);
	free(evs);
	event_base_free(base);
}

static void test_fds(const char *name, int use_new)
{
	struct event_base *base = event_base_new();
	size_t evsize = event_get_struct_event_size();
	long nofile = bench_raise_nofile();
	long pairs = pair_count, nfd, i;
	evutil_socket_t (*sp)[2];
	evutil_socket_t spare_pair[2];
	struct event **evs;
	struct event *spare;
	struct snapshot before, after;

	if (!base)
		die("event_base_new");
	bench_print_library("mem_bench", base);
	if (2 * pairs + 64 > nofile)
		pairs = (nofile - 64) / 2;
	if (pairs < 16) {
		fprintf(stderr, "mem_bench: descriptor limit %ld is too low\n", nofile);
		exit(1);
	}
	nfd = 2 * pairs;
	sp = calloc((size_t)pairs, sizeof(*sp));
	evs = calloc((size_t)nfd, sizeof(*evs));
	if (!sp || !evs)
		die("calloc");

	if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, spare_pair) != 0)
		die("evutil_socketpair");
	for (i = 0; i < pairs; i++) {
		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]) != 0)
			die("evutil_socketpair");
		evutil_make_socket_nonblocking(sp[i][0]);
		evutil_make_socket_nonblocking(sp[i][1]);
	}
	if (!use_new) {
		for (i = 0; i < nfd; i++) {
			evs[i] = calloc(1, evsize);
			if (!evs[i] || event_assign(evs[i], base, sp[i / 2][i & 1],
				EV_READ | EV_PERSIST, on_event, NULL) != 0)
				die("event_assign");
		}
	}
	/* warm-up on the spare pair (lowest descriptors) */
	spare = event_new(base, spare_pair[0], EV_READ | EV_PERSIST, on_event, NULL);
	event_add(spare, NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_del(spare);
	event_base_loop(base, EVLOOP_NONBLOCK);

	snap(&before);
	for (i = 0; i < nfd; i++) {
		if (use_new) {
			evs[i] = event_new(base, sp[i / 2][i & 1], EV_READ | EV_PERSIST,
			    on_event, NULL);
			if (!evs[i])
				die("event_new");
		}
		if (event_add(evs[i], NULL) != 0)
			die("event_add");
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	snap(&after);
	report(name, nfd, &before, &after);

	for (i = 0; i < nfd; i++) {
		if (use_new) {
			event_free(evs[i]);
		} else {
			event_del(evs[i]);
			free(evs[i]);
		}
	}
	for (i = 0; i < pairs; i++) {
		evutil_closesocket(sp[i][0]);
		evutil_closesocket(sp[i][1]);
	}
	event_free(spare);
	evutil_closesocket(spare_pair[0]);
	evutil_closesocket(spare_pair[1]);
	free(sp);
	free(evs);
	event_base_free(base);
}

static int want(const char *name)
{
	return bench_list_has(tests, name);
}

static void usage(void)
{
	fprintf(stderr, "usage: mem_bench [-x timer_add,timer_new,ctimer_add,fd_add,fd_new]"
	    " [-k timers] [-p pairs]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const names[5] = {
		"timer_add", "timer_new", "ctimer_add", "fd_add", "fd_new"
	};
	int opt, i, ran = 0, failed = 0;

	while ((opt = getopt(argc, argv, "x:k:p:h")) != -1) {
		switch (opt) {
		case 'x': tests = optarg; break;
		case 'k': timer_count = atol(optarg); break;
		case 'p': pair_count = atol(optarg); break;
		default: usage();
		}
	}
	if (timer_count < 1 || pair_count < 1)
		usage();
	bench_srand(7);

	fflush(stdout);
	for (i = 0; i < 5; i++) {
		pid_t pid;
		int status;
		if (!want(names[i]))
			continue;
		ran++;
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (i < 3)
				test_timers(names[i], i);
			else
				test_fds(names[i], i == 4);
			fflush(stdout);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	if (!ran)
		usage();
	return failed ? 1 : 0;
}
