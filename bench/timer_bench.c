/*
 * timer_bench: cost of timers through the libevent 2.1 public API.
 *
 * Four tests (select with -x, default all):
 *   adddel   K timer events are pending with random timeouts of 1-100 s;
 *            each operation picks a random one, event_del()s it and
 *            event_add()s it again with a new random timeout.  Reports ns
 *            per del+add pair (median over rounds).
 *   fire     F timer events are added with random timeouts in [0, T) ms,
 *            then the loop runs (EVLOOP_ONCE) until all have fired.
 *            Reports process CPU ns per timer for the add phase and for the
 *            loop phase (waiting costs no CPU, so only real work counts).
 *   cadddel  as adddel, but every timeout is one of C common timeouts made
 *            by event_base_init_common_timeout() (durations 10..60 s).
 *   cfire    as fire, with C common timeouts spread over (0, T] ms.
 *
 * All random choices come from a fixed-seed generator through a table built
 * before any timing, so both libraries get the identical sequence and the
 * per-operation overhead of the benchmark itself is one table load.
 *
 * -s (settle) sleeps until every fire-test timer is due before the loop
 * runs, so the loop fires them all in one pass: deterministic, for
 * instruction counting.
 *
 * Usage: timer_bench [-x tests] [-k pending] [-o ops] [-f timers] [-t ms]
 *                    [-c common] [-r rounds] [-S seed] [-s] [-T]
 * -T enables thread support (evthread_use_pthreads) first: the cost of locking.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/util.h>

#define BENCH_USES_LIBEVENT 1
#include "bench_common.h"

#if defined(__GNUC__)
#define BENCH_NOINLINE __attribute__((noinline))
#else
#define BENCH_NOINLINE
#endif

#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)
#define TABLE_MASK (TABLE_SIZE - 1)
#define MAX_COMMON 16

struct op {
	uint32_t idx;   /* which event (adddel) */
	uint32_t usec;  /* timeout in microseconds, or common timeout index */
};

static int pending_count = 10000;
static long op_count = 1000000;
static long fire_count = 200000;
static int fire_max_ms = 50;
static int common_count = 4;
static int rounds = 3;
static int settle = 0;
static uint64_t seed = 20240601;
static const char *tests = "adddel,fire,cadddel,cfire";

static struct event_base *base;
static struct op *table;
static const struct timeval *common_tv[MAX_COMMON];
static long fired;

static void die(const char *what)
{
	fprintf(stderr, "timer_bench: %s\n", what);
	exit(1);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	fired++;
}

static struct event **make_events(long n)
{
	size_t evsize = event_get_struct_event_size();
	struct event **evs = calloc((size_t)n, sizeof(*evs));
	long i;
	if (!evs)
		die("out of memory");
	for (i = 0; i < n; i++) {
		evs[i] = calloc(1, evsize);
		if (!evs[i])
			die("out of memory");
		if (event_assign(evs[i], base, -1, 0, on_timer, NULL) != 0)
			die("event_assign failed");
	}
	return evs;
}

static void free_events(struct event **evs, long n)
{
	long i;
	for (i = 0; i < n; i++) {
		event_del(evs[i]);
		free(evs[i]);
	}
	free(evs);
}

/* Table of (index below idx_bound, timeout below usec_bound). */
static void fill_table(uint32_t idx_bound, uint32_t usec_bound)
{
	uint32_t i;
	for (i = 0; i < TABLE_SIZE; i++) {
		table[i].idx = bench_rand_below(idx_bound);
		table[i].usec = bench_rand_below(usec_bound);
	}
}

static void usec_to_tv(uint32_t usec, struct timeval *tv)
{
	tv->tv_sec = (time_t)(usec / 1000000u);
	tv->tv_usec = (suseconds_t)(usec % 1000000u);
}

static void make_common(int n, long first_usec, long step_usec)
{
	int i;
	for (i = 0; i < n; i++) {
		struct timeval d;
		long us = first_usec + step_usec * i;
		d.tv_sec = us / 1000000;
		d.tv_usec = us % 1000000;
		common_tv[i] = event_base_init_common_timeout(base, &d);
		if (!common_tv[i])
			die("event_base_init_common_timeout failed");
	}
}

static BENCH_NOINLINE void adddel_ops(struct event **evs, long ops, int use_common)
{
	long j;
	struct timeval tv;
	for (j = 0; j < ops; j++) {
		const struct op *o = &table[(uint32_t)j & TABLE_MASK];
		struct event *ev = evs[o->idx];
		event_del(ev);
		if (use_common) {
			event_add(ev, common_tv[o->usec]);
		} else {
			usec_to_tv(o->usec, &tv);
			tv.tv_sec += 1;
			event_add(ev, &tv);
		}
	}
}

static void test_adddel(int use_common)
{
	struct event **evs = make_events(pending_count);
	double *t = calloc((size_t)rounds, sizeof(double));
	struct timeval tv;
	int r;
	long i;

	if (!t)
		die("out of memory");
	if (use_common) {
		make_common(common_count, 10000000L, 50000000L / (common_count > 1 ? common_count - 1 : 1));
		fill_table((uint32_t)pending_count, (uint32_t)common_count);
	} else {
		fill_table((uint32_t)pending_count, 99000000u); /* 1 s + [0, 99 s) */
	}
	for (i = 0; i < pending_count; i++) {
		if (use_common) {
			event_add(evs[i], common_tv[i % common_count]);
		} else {
			usec_to_tv(table[(uint32_t)i & TABLE_MASK].usec, &tv);
			tv.tv_sec += 1;
			event_add(evs[i], &tv);
		}
	}
	for (r = 0; r < rounds; r++) {
		double t0 = bench_now_wall();
		adddel_ops(evs, op_count, use_common);
		t[r] = bench_now_wall() - t0;
	}
	printf("RESULT %s pending=%d ops=%ld rounds=%d ns_per_pair=%.2f\n",
	    use_common ? "cadddel" : "adddel", pending_count, op_count, rounds,
	    bench_median(t, rounds) * 1e9 / (double)op_count);
	free_events(evs, pending_count);
	free(t);
}

static BENCH_NOINLINE void fire_add_phase(struct event **evs, long n, int use_common)
{
	long j;
	struct timeval tv;
	for (j = 0; j < n; j++) {
		const struct op *o = &table[(uint32_t)j & TABLE_MASK];
		if (use_common) {
			event_add(evs[j], common_tv[o->usec]);
		} else {
			usec_to_tv(o->usec, &tv);
			event_add(evs[j], &tv);
		}
	}
}

static BENCH_NOINLINE void fire_loop_phase(long n)
{
	while (fired < n) {
		int rv = event_base_loop(base, EVLOOP_ONCE);
		if (rv < 0)
			die("event_base_loop failed");
		if (rv == 1 && fired < n)
			die("event_base_loop says nothing is pending, yet timers have not fired");
	}
}

static void test_fire(int use_common)
{
	struct event **evs = make_events(fire_count);
	double *ta = calloc((size_t)rounds, sizeof(double));
	double *tl = calloc((size_t)rounds, sizeof(double));
	long max_us = (long)fire_max_ms * 1000L;
	int r;

	if (!ta || !tl)
		die("out of memory");
	if (use_common) {
		/* C durations evenly spread over (0, T]. */
		long step = max_us / common_count;
		make_common(common_count, step, step);
		fill_table(1, (uint32_t)common_count);
	} else {
		fill_table(1, (uint32_t)(max_us > 0 ? max_us : 1));
	}
	for (r = 0; r < rounds; r++) {
		double t0, t1, t2, t3;
		fired = 0;
		t0 = bench_now_cpu();
		fire_add_phase(evs, fire_count, use_common);
		t1 = bench_now_cpu();
		if (settle)
			usleep((useconds_t)(max_us + 2000));
		t2 = bench_now_cpu();
		fire_loop_phase(fire_count);
		t3 = bench_now_cpu();
		ta[r] = t1 - t0;
		tl[r] = t3 - t2;
		if (fired != fire_count)
			die("wrong number of timers fired");
	}
	printf("RESULT %s timers=%ld max_ms=%d rounds=%d add_ns=%.2f fire_ns=%.2f\n",
	    use_common ? "cfire" : "fire", fire_count, fire_max_ms, rounds,
	    bench_median(ta, rounds) * 1e9 / (double)fire_count,
	    bench_median(tl, rounds) * 1e9 / (double)fire_count);
	free_events(evs, fire_count);
	free(ta);
	free(tl);
}

static int want(const char *name)
{
	return bench_list_has(tests, name);
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: timer_bench [-x adddel,fire,cadddel,cfire] [-k pending] [-o ops]\n"
	    "                   [-f timers] [-t max_ms] [-c common] [-r rounds] [-S seed] [-s]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "x:k:o:f:t:c:r:S:sTh")) != -1) {
		switch (opt) {
		case 'x': tests = optarg; break;
		case 'k': pending_count = atoi(optarg); break;
		case 'o': op_count = atol(optarg); break;
		case 'f': fire_count = atol(optarg); break;
		case 't': fire_max_ms = atoi(optarg); break;
		case 'c': common_count = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'S': seed = strtoull(optarg, NULL, 10); break;
		case 's': settle = 1; break;
		case 'T': bench_enable_threads(); break;
		default: usage();
		}
	}
	if (pending_count < 1 || op_count < 1 || fire_count < 1 || fire_max_ms < 1 ||
	    common_count < 1 || common_count > MAX_COMMON || rounds < 1)
		usage();

	table = calloc(TABLE_SIZE, sizeof(*table));
	if (!table)
		die("out of memory");

	/* A fresh base per test, so one test's leftovers cannot slow another. */
#define RUN(name, fn, arg)                                           \
	if (want(name)) {                                            \
		bench_srand(seed);                                   \
		base = event_base_new();                             \
		if (!base)                                           \
			die("event_base_new failed");                \
		if (!printed) {                                      \
			bench_print_library("timer_bench", base);    \
			printed = 1;                                 \
		}                                                    \
		fn(arg);                                             \
		fflush(stdout);                                      \
		event_base_free(base);                               \
		base = NULL;                                         \
	}
	{
		int printed = 0;
		RUN("adddel", test_adddel, 0)
		RUN("fire", test_fire, 0)
		RUN("cadddel", test_adddel, 1)
		RUN("cfire", test_fire, 1)
		if (!printed)
			usage();
	}
	free(table);
	return 0;
}
