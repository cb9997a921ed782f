/*
 * pipe_bench: the classic "many socketpairs, a few bytes in flight" event
 * loop benchmark, written against the libevent 2.1 public API only, so the
 * same source is built against vigil and against the system libevent.
 *
 * Set-up: N AF_UNIX stream socketpairs, non-blocking.  Pair i has one
 * persistent read event on its read end.  A round:
 *   1. every event is (re)initialised: event_del() if it was set up by a
 *      previous round, event_assign(), event_add();
 *   2. A bytes are sent, to A pairs spread evenly over the N;
 *   3. the loop is run with EVLOOP_ONCE|EVLOOP_NONBLOCK until every byte
 *      sent has been received.  Each read callback receives one byte and,
 *      while the write budget W is not spent, sends one byte into the
 *      write end of the next pair (i+1 mod N).
 * So a round runs exactly W callbacks (the A primed bytes count as writes).
 * The round time covers steps 1-3; the median over the timed rounds is
 * reported, as a whole and per callback.
 *
 * Usage: pipe_bench [-n pipes] [-a active] [-w writes] [-r rounds] [-u warmup] [-T]
 * -T enables thread support (evthread_use_pthreads) first: the cost of locking.
 * Prints one machine-readable "RESULT" line at the end.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/util.h>

#define BENCH_USES_LIBEVENT 1
#include "bench_common.h"

static int num_pipes = 100;
static int num_active = 1;
static long num_writes = 100000;
static int num_rounds = 10;
static int num_warmup = 1;

static evutil_socket_t (*pairs)[2];
static struct event **events;   /* storage of event_get_struct_event_size() each */
static unsigned char *assigned; /* 1 once events[i] has been event_assign()ed */
static struct event_base *base;

static long writes_left;  /* write budget left in this round */
static long bytes_sent;   /* bytes sent in this round */
static long bytes_read;   /* bytes received (= callbacks that got data) */
static long spurious;     /* callbacks that found nothing to read */
static long total_callbacks;

static void die(const char *what)
{
	fprintf(stderr, "pipe_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void send_one(int idx)
{
	char ch = 'v';
	if (send(pairs[idx][1], &ch, 1, 0) != 1)
		die("send");
	bytes_sent++;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	int idx = (int)(intptr_t)arg;
	char ch;
	(void)what;
	total_callbacks++;
	if (recv(fd, &ch, 1, 0) != 1) {
		spurious++;
		return;
	}
	bytes_read++;
	if (writes_left > 0) {
		writes_left--;
		send_one(idx + 1 == num_pipes ? 0 : idx + 1);
	}
}

/* One round; returns its wall time in seconds. */
static double run_round(void)
{
	int i, spacing;
	double t0, t1;

	t0 = bench_now_wall();
	for (i = 0; i < num_pipes; i++) {
		if (assigned[i])
			event_del(events[i]);
		if (event_assign(events[i], base, pairs[i][0], EV_READ | EV_PERSIST,
			on_readable, (void *)(intptr_t)i) != 0) {
			fprintf(stderr, "pipe_bench: event_assign failed\n");
			exit(1);
		}
		assigned[i] = 1;
		if (event_add(events[i], NULL) != 0) {
			fprintf(stderr, "pipe_bench: event_add failed\n");
			exit(1);
		}
	}

	bytes_sent = bytes_read = 0;
	writes_left = num_writes;
	spacing = num_pipes / num_active;
	for (i = 0; i < num_active; i++) {
		writes_left--;
		send_one(i * spacing);
	}

	while (bytes_read < bytes_sent) {
		if (event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK) < 0) {
			fprintf(stderr, "pipe_bench: event_base_loop failed\n");
			exit(1);
		}
	}
	t1 = bench_now_wall();

	if (bytes_read != num_writes) {
		fprintf(stderr, "pipe_bench: round moved %ld bytes, expected %ld\n",
		    bytes_read, num_writes);
		exit(1);
	}
	return t1 - t0;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: pipe_bench [-n pipes] [-a active] [-w writes] [-r rounds] [-u warmup]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt, i;
	size_t evsize;
	double *times, med, best;
	long nofile;

	while ((opt = getopt(argc, argv, "n:a:w:r:u:Th")) != -1) {
		switch (opt) {
		case 'n': num_pipes = atoi(optarg); break;
		case 'a': num_active = atoi(optarg); break;
		case 'w': num_writes = atol(optarg); break;
		case 'r': num_rounds = atoi(optarg); break;
		case 'u': num_warmup = atoi(optarg); break;
		case 'T': bench_enable_threads(); break;
		default: usage();
		}
	}
	if (num_pipes < 1 || num_active < 1 || num_active > num_pipes ||
	    num_writes < num_active || num_rounds < 1 || num_warmup < 0)
		usage();

	nofile = bench_raise_nofile();
	if (2L * num_pipes + 32 > nofile) {
		fprintf(stderr, "pipe_bench: %d pipes need more than %ld descriptors\n",
		    num_pipes, nofile);
		return 1;
	}

	base = event_base_new();
	if (!base) {
		fprintf(stderr, "pipe_bench: event_base_new failed\n");
		return 1;
	}
	bench_print_library("pipe_bench", base);

	pairs = calloc((size_t)num_pipes, sizeof(*pairs));
	events = calloc((size_t)num_pipes, sizeof(*events));
	assigned = calloc((size_t)num_pipes, 1);
	times = calloc((size_t)num_rounds, sizeof(double));
	evsize = event_get_struct_event_size();
	if (!pairs || !events || !assigned || !times)
		die("calloc");
	for (i = 0; i < num_pipes; i++) {
		/* Separate allocations, as a real program's events would be. */
		events[i] = calloc(1, evsize);
		if (!events[i])
			die("calloc");
		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) != 0)
			die("evutil_socketpair");
		if (evutil_make_socket_nonblocking(pairs[i][0]) != 0 ||
		    evutil_make_socket_nonblocking(pairs[i][1]) != 0)
			die("evutil_make_socket_nonblocking");
	}

	for (i = 0; i < num_warmup; i++)
		run_round();
	for (i = 0; i < num_rounds; i++)
		times[i] = run_round();

	best = times[0];
	for (i = 1; i < num_rounds; i++)
		if (times[i] < best)
			best = times[i];
	med = bench_median(times, num_rounds);

	printf("RESULT pipe n=%d a=%d w=%ld rounds=%d round_us=%.3f cb_ns=%.2f "
	    "best_cb_ns=%.2f callbacks=%ld spurious=%ld\n",
	    num_pipes, num_active, num_writes, num_rounds, med * 1e6,
	    med * 1e9 / (double)num_writes, best * 1e9 / (double)num_writes,
	    total_callbacks, spurious);
	fflush(stdout);

	for (i = 0; i < num_pipes; i++) {
		if (assigned[i])
			event_del(events[i]);
		free(events[i]);
		evutil_closesocket(pairs[i][0]);
		evutil_closesocket(pairs[i][1]);
	}
	event_base_free(base);
	free(pairs);
	free(events);
	free(assigned);
	free(times);
	return 0;
}
