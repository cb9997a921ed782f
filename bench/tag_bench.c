/*
 * tag_bench: event tagging (event2/tag.h) through the public API, so the same source is
 * built against vigil and against the system libevent.
 *
 * A "message" is four records, as an evrpc message would hold: a 32-bit integer, a
 * 64-bit integer, a 16-byte string and a timeval, with tags below 128 except the
 * string's (300, two bytes).
 * Cases (select with -x, default all).  "op" is one message:
 *   marshal    op = the four evtag_marshal_* calls appending a message to a buffer;
 *              the buffer is emptied every 4096 messages (included, amortised).
 *   unmarshal  op = the four evtag_unmarshal_* calls reading a message back, from a
 *              buffer refilled (outside the timed section) with 4096 messages.
 *   skim       op = evtag_peek + evtag_peek_length + evtag_consume for each of the
 *              four records (what a reader skipping unknown fields does).
 *
 * Only the library work is timed (functions named timed_*, so callgrind
 * --toggle-collect='timed_*' counts the same thing). Every case checks what it read back
 * and exits non-zero on a mismatch. Per case: -u warm-up rounds (default 1), then -r
 * timed rounds; the median round is reported as ns/op. -s scales the operation counts.
 *
 * Usage: tag_bench [-x cases] [-s scale] [-r rounds] [-u warmup]
 * Prints one "RESULT tag_<case> ns_op=..." line per case.
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h> /* event_get_version(), for the identity line only */
#include <event2/tag.h>

#include "bench_common.h"

enum { BATCH = 4096, MAX_ROUNDS = 64 };
static const char kName[] = "sixteen-byte-str";

static double scale = 1.0;
static int rounds = 5;
static int warmup = 1;
static const char *cases = "marshal,unmarshal,skim";

static void fail(const char *what)
{
	fprintf(stderr, "tag_bench: %s\n", what);
	exit(1);
}

static void put_message(struct evbuffer *b, uint32_t i)
{
	struct timeval tv;
	tv.tv_sec = 1700000000 + (long)i;
	tv.tv_usec = (long)(i % 1000000);
	evtag_marshal_int(b, 1, i);
	evtag_marshal_int64(b, 2, ((uint64_t)i << 32) | i);
	evtag_marshal_string(b, 300, kName);
	evtag_marshal_timeval(b, 4, &tv);
}

static BENCH_NOINLINE void timed_marshal(struct evbuffer *b, long ops)
{
	long i;
	for (i = 0; i < ops; i++) {
		put_message(b, (uint32_t)i);
		if ((i + 1) % BATCH == 0)
			evbuffer_drain(b, evbuffer_get_length(b));
	}
}

/* Returns how many messages read back as written. */
static BENCH_NOINLINE long timed_unmarshal(struct evbuffer *b, long n)
{
	long i, good = 0;
	for (i = 0; i < n; i++) {
		ev_uint32_t v = 0;
		ev_uint64_t v64 = 0;
		char *s = NULL;
		struct timeval tv;
		int ok = evtag_unmarshal_int(b, 1, &v) > 0 && evtag_unmarshal_int64(b, 2, &v64) > 0 &&
		    evtag_unmarshal_string(b, 300, &s) == 0 && evtag_unmarshal_timeval(b, 4, &tv) == 0;
		if (ok && v == (uint32_t)i && v64 == (((uint64_t)i << 32) | (uint64_t)i) && s &&
		    strcmp(s, kName) == 0 && tv.tv_usec == (long)(i % 1000000))
			good++;
		free(s);
	}
	return good;
}

/* Returns the bytes the records said they took. */
static BENCH_NOINLINE long timed_skim(struct evbuffer *b, long n)
{
	long i, bytes = 0;
	int k;
	for (i = 0; i < n; i++) {
		for (k = 0; k < 4; k++) {
			ev_uint32_t tag = 0, len = 0;
			if (evtag_peek(b, &tag) < 0 || evtag_peek_length(b, &len) < 0 || evtag_consume(b) < 0)
				return -1;
			bytes += (long)len;
		}
	}
	return bytes;
}

static void fill(struct evbuffer *b, long n)
{
	long i;
	evbuffer_drain(b, evbuffer_get_length(b));
	for (i = 0; i < n; i++)
		put_message(b, (uint32_t)i);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One round of a case: ns per message. */
static double round_ns(const char *name, long ops, struct evbuffer *b)
{
	double t0, t = 0;
	long done = 0;
	if (strcmp(name, "marshal") == 0) {
		evbuffer_drain(b, evbuffer_get_length(b));
		t0 = bench_now_wall();
		timed_marshal(b, ops);
		t = bench_now_wall() - t0;
		done = ops;
	} else {
		while (done < ops) {
			long n = ops - done < BATCH ? ops - done : BATCH;
			size_t size;
			fill(b, n);
			size = evbuffer_get_length(b);
			t0 = bench_now_wall();
			if (strcmp(name, "unmarshal") == 0) {
				if (timed_unmarshal(b, n) != n)
					fail("unmarshal: a message did not read back as written");
			} else if (timed_skim(b, n) != (long)size) {
				fail("skim: record lengths do not add up to the buffer");
			}
			t += bench_now_wall() - t0;
			if (evbuffer_get_length(b) != 0)
				fail("bytes left over after reading every message");
			done += n;
		}
	}
	return t * 1e9 / (double)done;
}

static void run_case(const char *name)
{
	struct evbuffer *b = evbuffer_new();
	double ns[MAX_ROUNDS];
	long ops = (long)(200000 * scale);
	int r;
	if (ops < 1)
		ops = 1;
	for (r = 0; r < warmup; r++)
		round_ns(name, ops, b);
	for (r = 0; r < rounds; r++)
		ns[r] = round_ns(name, ops, b);
	qsort(ns, (size_t)rounds, sizeof ns[0], cmp_double);
	printf("RESULT tag_%s ns_op=%.1f ops=%ld rounds=%d\n", name, ns[rounds / 2], ops, rounds);
	fflush(stdout);
	evbuffer_free(b);
}

static void usage(void)
{
	fprintf(stderr, "usage: tag_bench [-x marshal,unmarshal,skim] [-s scale] [-r rounds (1-%d)] [-u warmup]\n",
	    MAX_ROUNDS);
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *all[] = {"marshal", "unmarshal", "skim"};
	char path[512];
	int opt, ran = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "x:s:r:u:h")) != -1) {
		switch (opt) {
		case 'x': cases = optarg; break;
		case 's': scale = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'u': warmup = atoi(optarg); break;
		default: usage();
		}
	}
	if (scale <= 0 || rounds < 1 || rounds > MAX_ROUNDS || warmup < 0)
		usage();
	bench_mapped_object("/libevent_extra", path, sizeof(path));
	printf("# tag_bench library: version=%s method=- file=%s\n", event_get_version(), path);
	fflush(stdout);
	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (!bench_list_has(cases, all[i]))
			continue;
		run_case(all[i]);
		ran++;
	}
	if (!ran)
		usage();
	return 0;
}
