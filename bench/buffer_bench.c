/*
 * buffer_bench: evbuffer micro-benchmarks through the libevent 2.1 public
 * API (event2/buffer.h only), so the same source is built against vigil
 * and against the system libevent.
 *
 * Cases (select with -x, default all).  "op" is the unit each reports:
 *   small        op = evbuffer_add() of 16 B + evbuffer_remove() of 16 B.
 *                4096 pieces (64 KiB) are added, then removed 16 B at a time.
 *   large        op = evbuffer_add() of 64 KiB + evbuffer_remove() of 64 KiB,
 *                16 pieces (1 MiB) in flight.
 *   move         op = evbuffer_add_buffer() of a 64 KiB multi-chunk buffer;
 *                the contents are moved back and forth between two buffers.
 *   addbuf       op = evbuffer_add() of a 256 B message to a staging buffer
 *                + evbuffer_add_buffer() of it onto an output buffer (what a
 *                writer does); the output buffer is emptied with one
 *                evbuffer_remove() per 64 KiB (included, amortised).
 *   search       op = evbuffer_search() for "\r\n\r\n" through a 1 MiB buffer
 *                of header-like CRLF lines (a near miss every ~50 bytes),
 *                built from 4 KiB adds, with the match at the very end.
 *   readln_crlf  op = one evbuffer_readln(EVBUFFER_EOL_CRLF) of a short line
 *                (8..56 bytes + CRLF) + free(); 1 MiB of lines per refill.
 *   readln_lf    the same with LF terminators and EVBUFFER_EOL_LF.
 *   prepend      op = evbuffer_prepend() of 16 B; 4096 of them, then one
 *                evbuffer_remove() of the 64 KiB (included, amortised).
 *   reserve      op = evbuffer_reserve_space(4096, 2 vectors) + 4096 bytes
 *                copied in (as read() would) + evbuffer_commit_space(); the
 *                buffer is drained every 256 KiB (included, amortised).
 *
 * Only the library work is timed: buffers are refilled and results are
 * checked outside the timed sections, which are the functions named
 * timed_<case>* (so callgrind --toggle-collect='timed_*' counts the same
 * thing, and callgrind_annotate --inclusive=yes splits it by case).
 * Every case checks what it got back (contents, lengths, positions, line
 * counts) and exits non-zero on a mismatch.
 *
 * Per case: a warm-up round, then -r timed rounds; the median round is
 * reported as ns/op and MB/s (bytes per op / ns per op; for search, the
 * bytes scanned).  -s scales every case's operation count (default 1.0:
 * roughly 20-100 ms per round).
 *
 * -F (naive) runs the large and reserve cases without the library: the same bytes
 * through plain malloc, memcpy and free, one allocation per piece, as a chunked buffer
 * that frees every emptied chunk would. On large pieces that includes glibc trimming
 * the heap at the end of each batch and the kernel faulting the pages back in on the
 * next one; a buffer that keeps its last chunk (vigil) avoids that and beats this
 * figure, so it is a reference point, not a floor.
 *
 * Usage: buffer_bench [-F] [-x cases] [-s scale] [-r rounds] [-u warmup]
 * Prints one "RESULT buffer_<case> ..." line per case.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h> /* event_get_version(), for the identity line only */
#include <event2/util.h>

#include "bench_common.h"

static double scale = 1.0;
static int floor_mode; /* -F */
static int rounds = 5;
static int warmup = 1;
static const char *cases =
    "small,large,move,addbuf,search,readln_crlf,readln_lf,prepend,reserve";

/* operations the last round() really ran (readln runs whole refills) */
static long ops_done;

static void fail(const char *what)
{
	fprintf(stderr, "buffer_bench: %s\n", what);
	exit(1);
}

static struct evbuffer *new_buffer(void)
{
	struct evbuffer *b = evbuffer_new();
	if (!b)
		fail("evbuffer_new failed");
	return b;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		fail("out of memory");
	return p;
}

/* n bytes of deterministic, non-repeating-looking data */
static unsigned char *random_block(size_t n)
{
	unsigned char *p = xmalloc(n);
	size_t i;
	for (i = 0; i < n; i += 8) {
		uint64_t r = bench_rand64();
		size_t k = n - i < 8 ? n - i : 8;
		memcpy(p + i, &r, k);
	}
	return p;
}

/* ops per round for a case's base count, at the current scale (>= 1 batch) */
static long scaled(long base, long batch)
{
	long n = (long)((double)base * scale + 0.5);
	n = (n + batch - 1) / batch * batch;
	return n < batch ? batch : n;
}

/*
 * A case: prepare() allocates its state once; round() runs `ops` operations
 * (or, for readln, at least that many: it sets ops_done) and returns the
 * seconds spent in the timed sections; cleanup() frees.
 */
struct bcase {
	const char *name;
	long base_ops;        /* operations per round at scale 1 */
	long batch;           /* ops are a multiple of this */
	double bytes_per_op;  /* for MB/s */
	void (*prepare)(void);
	double (*round)(long ops);
	void (*cleanup)(void);
};

/* ---- small: 16 B adds, 16 B removes ------------------------------------- */

#define SMALL_PIECE 16
#define SMALL_BATCH 4096

static struct evbuffer *sm_buf;
static unsigned char *sm_src, *sm_dst;

static void small_prepare(void)
{
	sm_buf = new_buffer();
	sm_src = random_block(SMALL_PIECE * SMALL_BATCH);
	sm_dst = xmalloc(SMALL_PIECE * SMALL_BATCH);
}

static BENCH_NOINLINE void timed_small(void)
{
	int i;
	for (i = 0; i < SMALL_BATCH; i++)
		if (evbuffer_add(sm_buf, sm_src + i * SMALL_PIECE, SMALL_PIECE) != 0)
			fail("small: evbuffer_add failed");
	for (i = 0; i < SMALL_BATCH; i++)
		if (evbuffer_remove(sm_buf, sm_dst + i * SMALL_PIECE, SMALL_PIECE) != SMALL_PIECE)
			fail("small: evbuffer_remove returned a short count");
}

static double small_round(long ops)
{
	double t = 0;
	long b;
	for (b = 0; b < ops / SMALL_BATCH; b++) {
		double t0 = bench_now_wall();
		timed_small();
		t += bench_now_wall() - t0;
		if (evbuffer_get_length(sm_buf) != 0 ||
		    memcmp(sm_src, sm_dst, SMALL_PIECE * SMALL_BATCH) != 0)
			fail("small: data came back wrong");
		memset(sm_dst, 0, SMALL_PIECE * SMALL_BATCH);
	}
	return t;
}

static void small_cleanup(void)
{
	evbuffer_free(sm_buf);
	free(sm_src);
	free(sm_dst);
}

/* ---- large: 64 KiB adds, 64 KiB removes ----------------------------------- */

#define LARGE_PIECE 65536
#define LARGE_BATCH 16

static struct evbuffer *lg_buf;
static unsigned char *lg_src, *lg_dst;

static void large_prepare(void)
{
	lg_buf = new_buffer();
	lg_src = random_block((size_t)LARGE_PIECE * LARGE_BATCH);
	lg_dst = xmalloc((size_t)LARGE_PIECE * LARGE_BATCH);
	memset(lg_dst, 0, (size_t)LARGE_PIECE * LARGE_BATCH);
}

static BENCH_NOINLINE void timed_large_floor(void)
{
	unsigned char *piece[LARGE_BATCH];
	int i;
	for (i = 0; i < LARGE_BATCH; i++) {
		piece[i] = xmalloc(LARGE_PIECE);
		memcpy(piece[i], lg_src + (size_t)i * LARGE_PIECE, LARGE_PIECE);
	}
	for (i = 0; i < LARGE_BATCH; i++) {
		memcpy(lg_dst + (size_t)i * LARGE_PIECE, piece[i], LARGE_PIECE);
		free(piece[i]);
	}
}

static BENCH_NOINLINE void timed_large(void)
{
	int i;
	if (floor_mode) {
		timed_large_floor();
		return;
	}
	for (i = 0; i < LARGE_BATCH; i++)
		if (evbuffer_add(lg_buf, lg_src + (size_t)i * LARGE_PIECE, LARGE_PIECE) != 0)
			fail("large: evbuffer_add failed");
	for (i = 0; i < LARGE_BATCH; i++)
		if (evbuffer_remove(lg_buf, lg_dst + (size_t)i * LARGE_PIECE, LARGE_PIECE) != LARGE_PIECE)
			fail("large: evbuffer_remove returned a short count");
}

static double large_round(long ops)
{
	double t = 0;
	long b;
	for (b = 0; b < ops / LARGE_BATCH; b++) {
		double t0 = bench_now_wall();
		timed_large();
		t += bench_now_wall() - t0;
		/* spot checks: every piece's first and last 64 bytes */
		if (evbuffer_get_length(lg_buf) != 0)
			fail("large: buffer not empty after the removes");
		if (b == 0) {
			if (memcmp(lg_src, lg_dst, (size_t)LARGE_PIECE * LARGE_BATCH) != 0)
				fail("large: data came back wrong");
		} else {
			int i;
			for (i = 0; i < LARGE_BATCH; i++) {
				size_t off = (size_t)i * LARGE_PIECE;
				if (memcmp(lg_src + off, lg_dst + off, 64) != 0 ||
				    memcmp(lg_src + off + LARGE_PIECE - 64,
					lg_dst + off + LARGE_PIECE - 64, 64) != 0)
					fail("large: data came back wrong");
			}
		}
	}
	return t;
}

static void large_cleanup(void)
{
	evbuffer_free(lg_buf);
	free(lg_src);
	free(lg_dst);
}

/* ---- move: evbuffer_add_buffer ping-pong ------------------------------------ */

#define MOVE_BYTES 65536
#define MOVE_PIECE 4096
#define MOVE_BATCH 1024

static struct evbuffer *mv_a, *mv_b;
static unsigned char *mv_src, *mv_dst;

static void move_prepare(void)
{
	int i;
	mv_a = new_buffer();
	mv_b = new_buffer();
	mv_src = random_block(MOVE_BYTES);
	mv_dst = xmalloc(MOVE_BYTES);
	/* each 4 KiB piece comes from a buffer of its own, so the contents are
	   several chunks whatever the library's allocation policy */
	for (i = 0; i < MOVE_BYTES / MOVE_PIECE; i++) {
		struct evbuffer *tmp = new_buffer();
		if (evbuffer_add(tmp, mv_src + i * MOVE_PIECE, MOVE_PIECE) != 0 ||
		    evbuffer_add_buffer(mv_a, tmp) != 0)
			fail("move: set-up failed");
		evbuffer_free(tmp);
	}
}

/* MOVE_BATCH moves (an even number: the data ends where it started) */
static BENCH_NOINLINE void timed_move(void)
{
	int i;
	for (i = 0; i < MOVE_BATCH; i += 2) {
		if (evbuffer_add_buffer(mv_b, mv_a) != 0 || evbuffer_add_buffer(mv_a, mv_b) != 0)
			fail("move: evbuffer_add_buffer failed");
	}
}

static double move_round(long ops)
{
	double t = 0;
	long b;
	for (b = 0; b < ops / MOVE_BATCH; b++) {
		double t0 = bench_now_wall();
		timed_move();
		t += bench_now_wall() - t0;
		if (evbuffer_get_length(mv_a) != MOVE_BYTES || evbuffer_get_length(mv_b) != 0)
			fail("move: lengths wrong after the moves");
	}
	if (evbuffer_copyout(mv_a, mv_dst, MOVE_BYTES) != MOVE_BYTES ||
	    memcmp(mv_src, mv_dst, MOVE_BYTES) != 0)
		fail("move: data wrong after the moves");
	return t;
}

static void move_cleanup(void)
{
	evbuffer_free(mv_a);
	evbuffer_free(mv_b);
	free(mv_src);
	free(mv_dst);
}

/* ---- addbuf: add a message to a staging buffer, append it to the output ---- */

#define ADDBUF_MSG 256
#define ADDBUF_BATCH 256 /* 64 KiB per emptying of the output buffer */

static struct evbuffer *ab_stage, *ab_out;
static unsigned char *ab_src, *ab_dst;

static void addbuf_prepare(void)
{
	ab_stage = new_buffer();
	ab_out = new_buffer();
	ab_src = random_block(ADDBUF_MSG * ADDBUF_BATCH);
	ab_dst = xmalloc(ADDBUF_MSG * ADDBUF_BATCH);
}

static BENCH_NOINLINE void timed_addbuf(void)
{
	int i;
	for (i = 0; i < ADDBUF_BATCH; i++) {
		if (evbuffer_add(ab_stage, ab_src + i * ADDBUF_MSG, ADDBUF_MSG) != 0 ||
		    evbuffer_add_buffer(ab_out, ab_stage) != 0)
			fail("addbuf: add failed");
	}
	if (evbuffer_remove(ab_out, ab_dst, ADDBUF_MSG * ADDBUF_BATCH) != ADDBUF_MSG * ADDBUF_BATCH)
		fail("addbuf: evbuffer_remove returned a short count");
}

static double addbuf_round(long ops)
{
	double t = 0;
	long b;
	for (b = 0; b < ops / ADDBUF_BATCH; b++) {
		double t0 = bench_now_wall();
		timed_addbuf();
		t += bench_now_wall() - t0;
		if (evbuffer_get_length(ab_out) != 0 || evbuffer_get_length(ab_stage) != 0 ||
		    memcmp(ab_src, ab_dst, ADDBUF_MSG * ADDBUF_BATCH) != 0)
			fail("addbuf: data came back wrong");
		memset(ab_dst, 0, ADDBUF_MSG * ADDBUF_BATCH);
	}
	return t;
}

static void addbuf_cleanup(void)
{
	evbuffer_free(ab_stage);
	evbuffer_free(ab_out);
	free(ab_src);
	free(ab_dst);
}

/* ---- text: header-like lines for search and readln -------------------------- */

#define TEXT_BYTES (1 << 20)
#define TEXT_ADD 4096

/*
 * Fills out[0..len) with lines of 8..56 printable characters, each ended by
 * eol ("\r\n" or "\n"); the text ends exactly at len with a complete line.
 * Returns the number of lines; *first_sum (if not NULL) gets the sum of
 * every line's first character.
 */
static long make_lines(char *out, size_t len, const char *eol, unsigned *first_sum)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-: ;=/";
	size_t pos = 0, eol_len = strlen(eol);
	long lines = 0;
	while (pos < len) {
		size_t left = len - pos, body = 8 + bench_rand_below(49), i;
		if (left < body + eol_len + 8 + eol_len)
			body = left - eol_len; /* the last line takes the rest */
		for (i = 0; i < body; i++)
			out[pos + i] = alphabet[bench_rand_below(sizeof(alphabet) - 1)];
		memcpy(out + pos + body, eol, eol_len);
		if (first_sum)
			*first_sum += (unsigned char)out[pos];
		pos += body + eol_len;
		lines++;
	}
	return lines;
}

/* adds text to buf in TEXT_ADD pieces (lines straddle the pieces) */
static void add_in_pieces(struct evbuffer *buf, const char *text, size_t len)
{
	size_t off;
	for (off = 0; off < len; off += TEXT_ADD) {
		size_t n = len - off < TEXT_ADD ? len - off : TEXT_ADD;
		if (evbuffer_add(buf, text + off, n) != 0)
			fail("evbuffer_add failed while filling");
	}
}

/* ---- search ------------------------------------------------------------------ */

#define SEARCH_BATCH 4

static struct evbuffer *se_buf;
static size_t se_expect;
static ev_ssize_t se_found[SEARCH_BATCH];

static void search_prepare(void)
{
	char *text = xmalloc(TEXT_BYTES);
	size_t i;
	se_buf = new_buffer();
	make_lines(text, TEXT_BYTES - 2, "\r\n", NULL);
	/* the header block ends with an empty line: the only "\r\n\r\n" */
	text[TEXT_BYTES - 2] = '\r';
	text[TEXT_BYTES - 1] = '\n';
	se_expect = TEXT_BYTES - 4;
	for (i = 0; i + 4 <= TEXT_BYTES; i++)
		if (memcmp(text + i, "\r\n\r\n", 4) == 0 && i != se_expect)
			fail("search: the text has a stray match");
	add_in_pieces(se_buf, text, TEXT_BYTES);
	free(text);
}

static BENCH_NOINLINE void timed_search(void)
{
	int i;
	for (i = 0; i < SEARCH_BATCH; i++) {
		struct evbuffer_ptr p = evbuffer_search(se_buf, "\r\n\r\n", 4, NULL);
		se_found[i] = p.pos;
	}
}

static double search_round(long ops)
{
	double t = 0;
	long b;
	int i;
	for (b = 0; b < ops / SEARCH_BATCH; b++) {
		double t0 = bench_now_wall();
		timed_search();
		t += bench_now_wall() - t0;
		for (i = 0; i < SEARCH_BATCH; i++)
			if (se_found[i] != (ev_ssize_t)se_expect)
				fail("search: found the pattern at the wrong place");
	}
	if (evbuffer_get_length(se_buf) != TEXT_BYTES)
		fail("search: the buffer changed");
	return t;
}

static void search_cleanup(void)
{
	evbuffer_free(se_buf);
}

/* ---- readln ----------------------------------------------------------------- */

static struct evbuffer *rl_buf;
static char *rl_text;
static long rl_lines;       /* lines per refill */
static size_t rl_payload;   /* bytes of line bodies per refill */
static long rl_got_lines;
static size_t rl_got_bytes;
static unsigned rl_sum;     /* first characters, a cheap content check */
static unsigned rl_expect_sum;

static void readln_prepare_eol(const char *eol)
{
	rl_buf = new_buffer();
	rl_text = xmalloc(TEXT_BYTES);
	rl_expect_sum = 0;
	rl_lines = make_lines(rl_text, TEXT_BYTES, eol, &rl_expect_sum);
	rl_payload = TEXT_BYTES - (size_t)rl_lines * strlen(eol);
}

static void readln_crlf_prepare(void) { readln_prepare_eol("\r\n"); }
static void readln_lf_prepare(void) { readln_prepare_eol("\n"); }

/* reads every line in the buffer */
static void readln_all(enum evbuffer_eol_style style)
{
	char *line;
	size_t n;
	while ((line = evbuffer_readln(rl_buf, &n, style)) != NULL) {
		rl_got_lines++;
		rl_got_bytes += n;
		rl_sum += (unsigned char)line[0];
		free(line);
	}
}

/* one timed function per style, so callgrind tells them apart */
static BENCH_NOINLINE void timed_readln_crlf(void) { readln_all(EVBUFFER_EOL_CRLF); }
static BENCH_NOINLINE void timed_readln_lf(void) { readln_all(EVBUFFER_EOL_LF); }

static double readln_round_style(long ops, enum evbuffer_eol_style style)
{
	double t = 0;
	long done = 0;
	while (done < ops) {
		double t0;
		rl_got_lines = 0;
		rl_got_bytes = 0;
		rl_sum = 0;
		add_in_pieces(rl_buf, rl_text, TEXT_BYTES);
		t0 = bench_now_wall();
		if (style == EVBUFFER_EOL_CRLF)
			timed_readln_crlf();
		else
			timed_readln_lf();
		t += bench_now_wall() - t0;
		if (rl_got_lines != rl_lines || rl_got_bytes != rl_payload ||
		    rl_sum != rl_expect_sum || evbuffer_get_length(rl_buf) != 0)
			fail("readln: wrong lines read back");
		done += rl_lines;
	}
	ops_done = done; /* whole refills: may exceed ops */
	return t;
}

static double readln_crlf_round(long ops) { return readln_round_style(ops, EVBUFFER_EOL_CRLF); }
static double readln_lf_round(long ops) { return readln_round_style(ops, EVBUFFER_EOL_LF); }

static void readln_cleanup(void)
{
	evbuffer_free(rl_buf);
	free(rl_text);
}

/* ---- prepend ----------------------------------------------------------------- */

#define PREPEND_PIECE 16
#define PREPEND_BATCH 4096

static struct evbuffer *pp_buf;
static unsigned char *pp_src, *pp_dst;

static void prepend_prepare(void)
{
	pp_buf = new_buffer();
	pp_src = random_block(PREPEND_PIECE * PREPEND_BATCH);
	pp_dst = xmalloc(PREPEND_PIECE * PREPEND_BATCH);
}

/* prepends the pieces last to first, so the buffer ends up in source order */
static BENCH_NOINLINE void timed_prepend(void)
{
	int i;
	for (i = PREPEND_BATCH - 1; i >= 0; i--)
		if (evbuffer_prepend(pp_buf, pp_src + i * PREPEND_PIECE, PREPEND_PIECE) != 0)
			fail("prepend: evbuffer_prepend failed");
	if (evbuffer_remove(pp_buf, pp_dst, PREPEND_PIECE * PREPEND_BATCH) !=
	    PREPEND_PIECE * PREPEND_BATCH)
		fail("prepend: evbuffer_remove returned a short count");
}

static double prepend_round(long ops)
{
	double t = 0;
	long b;
	for (b = 0; b < ops / PREPEND_BATCH; b++) {
		double t0 = bench_now_wall();
		timed_prepend();
		t += bench_now_wall() - t0;
		if (evbuffer_get_length(pp_buf) != 0 ||
		    memcmp(pp_src, pp_dst, PREPEND_PIECE * PREPEND_BATCH) != 0)
			fail("prepend: data came back wrong");
		memset(pp_dst, 0, PREPEND_PIECE * PREPEND_BATCH);
	}
	return t;
}

static void prepend_cleanup(void)
{
	evbuffer_free(pp_buf);
	free(pp_src);
	free(pp_dst);
}

/* ---- reserve/commit ---------------------------------------------------------- */

#define RESERVE_SIZE 4096
#define RESERVE_BATCH 64 /* 256 KiB, then drained */

static struct evbuffer *rs_buf;
static unsigned char *rs_src, *rs_dst;

static void reserve_prepare(void)
{
	rs_buf = new_buffer();
	rs_src = random_block(RESERVE_SIZE * RESERVE_BATCH);
	rs_dst = xmalloc(RESERVE_SIZE * RESERVE_BATCH);
}

static unsigned char *rs_floor[RESERVE_BATCH];

static BENCH_NOINLINE void timed_reserve_floor(void)
{
	int i;
	for (i = 0; i < RESERVE_BATCH; i++) {
		rs_floor[i] = xmalloc(RESERVE_SIZE);
		memcpy(rs_floor[i], rs_src + i * RESERVE_SIZE, RESERVE_SIZE);
	}
}

static BENCH_NOINLINE void timed_reserve(void)
{
	int i;
	if (floor_mode) {
		timed_reserve_floor();
		return;
	}
	for (i = 0; i < RESERVE_BATCH; i++) {
		struct evbuffer_iovec v[2];
		const unsigned char *from = rs_src + i * RESERVE_SIZE;
		size_t left = RESERVE_SIZE;
		int n = evbuffer_reserve_space(rs_buf, RESERVE_SIZE, v, 2), j;
		if (n < 1 || n > 2)
			fail("reserve: evbuffer_reserve_space failed");
		for (j = 0; j < n && left; j++) {
			size_t k = v[j].iov_len < left ? v[j].iov_len : left;
			memcpy(v[j].iov_base, from, k);
			v[j].iov_len = k;
			from += k;
			left -= k;
		}
		if (left != 0 || evbuffer_commit_space(rs_buf, v, j) != 0)
			fail("reserve: evbuffer_commit_space failed");
	}
}

static BENCH_NOINLINE void timed_reserve_drain(void)
{
	if (floor_mode) {
		int i;
		for (i = 0; i < RESERVE_BATCH; i++)
			free(rs_floor[i]);
		return;
	}
	if (evbuffer_drain(rs_buf, RESERVE_SIZE * RESERVE_BATCH) != 0)
		fail("reserve: evbuffer_drain failed");
}

static double reserve_round(long ops)
{
	double t = 0, t0;
	long b;
	for (b = 0; b < ops / RESERVE_BATCH; b++) {
		t0 = bench_now_wall();
		timed_reserve();
		t += bench_now_wall() - t0;
		if (floor_mode) {
			int i;
			for (i = 0; i < RESERVE_BATCH; i++)
				memcpy(rs_dst + i * RESERVE_SIZE, rs_floor[i], RESERVE_SIZE);
		} else if (evbuffer_get_length(rs_buf) != RESERVE_SIZE * RESERVE_BATCH ||
		    evbuffer_copyout(rs_buf, rs_dst, RESERVE_SIZE * RESERVE_BATCH) !=
		    RESERVE_SIZE * RESERVE_BATCH)
			fail("reserve: committed length wrong");
		if (memcmp(rs_src, rs_dst, RESERVE_SIZE * RESERVE_BATCH) != 0)
			fail("reserve: committed data wrong");
		t0 = bench_now_wall();
		timed_reserve_drain();
		t += bench_now_wall() - t0;
	}
	return t;
}

static void reserve_cleanup(void)
{
	evbuffer_free(rs_buf);
	free(rs_src);
	free(rs_dst);
}

/* ---- driver ------------------------------------------------------------------ */

static const struct bcase all_cases[] = {
	{ "small", 2000000, SMALL_BATCH, SMALL_PIECE, small_prepare, small_round, small_cleanup },
	{ "large", 4096, LARGE_BATCH, LARGE_PIECE, large_prepare, large_round, large_cleanup },
	{ "move", 1000000, MOVE_BATCH, MOVE_BYTES, move_prepare, move_round, move_cleanup },
	{ "addbuf", 500000, ADDBUF_BATCH, ADDBUF_MSG, addbuf_prepare, addbuf_round, addbuf_cleanup },
	{ "search", 160, SEARCH_BATCH, TEXT_BYTES, search_prepare, search_round, search_cleanup },
	{ "readln_crlf", 500000, 1, 0, readln_crlf_prepare, readln_crlf_round, readln_cleanup },
	{ "readln_lf", 500000, 1, 0, readln_lf_prepare, readln_lf_round, readln_cleanup },
	{ "prepend", 1000000, PREPEND_BATCH, PREPEND_PIECE, prepend_prepare, prepend_round, prepend_cleanup },
	{ "reserve", 100000, RESERVE_BATCH, RESERVE_SIZE, reserve_prepare, reserve_round, reserve_cleanup },
};
#define NUM_CASES (sizeof(all_cases) / sizeof(all_cases[0]))

static void run_case(const struct bcase *c)
{
	long ops = scaled(c->base_ops, c->batch), done = 0;
	double *ns = calloc((size_t)rounds, sizeof(double));
	double med, best, bytes_per_op;
	int r;

	if (!ns)
		fail("out of memory");
	c->prepare();
	for (r = 0; r < warmup; r++) {
		ops_done = ops;
		c->round(ops);
	}
	for (r = 0; r < rounds; r++) {
		double t;
		ops_done = ops;
		t = c->round(ops);
		done = ops_done;
		ns[r] = t * 1e9 / (double)done;
	}
	/* readln: the bytes of one line (body + terminator), on average */
	bytes_per_op = c->bytes_per_op > 0 ? c->bytes_per_op : (double)TEXT_BYTES / (double)rl_lines;
	best = ns[0];
	for (r = 1; r < rounds; r++)
		if (ns[r] < best)
			best = ns[r];
	med = bench_median(ns, rounds);
	printf("RESULT buffer_%s ops=%ld rounds=%d bytes_per_op=%.1f ns_op=%.2f us_op=%.3f "
	    "best_ns_op=%.2f mb_s=%.1f\n",
	    c->name, done, rounds, bytes_per_op, med, med / 1e3, best,
	    med > 0 ? bytes_per_op * 1e3 / med : 0.0);
	fflush(stdout);
	c->cleanup();
	free(ns);
}

static void usage(void)
{
	size_t i;
	fprintf(stderr, "usage: buffer_bench [-F] [-x cases] [-s scale] [-r rounds] [-u warmup]\ncases:");
	for (i = 0; i < NUM_CASES; i++)
		fprintf(stderr, "%s%s", i ? "," : " ", all_cases[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char path[512];
	int opt, ran = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "Fx:s:r:u:h")) != -1) {
		switch (opt) {
		case 'F': floor_mode = 1; break;
		case 'x': cases = optarg; break;
		case 's': scale = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'u': warmup = atoi(optarg); break;
		default: usage();
		}
	}
	if (scale <= 0 || rounds < 1 || warmup < 0)
		usage();
	bench_srand(11);

	bench_mapped_object("/libevent", path, sizeof(path));
	printf("# buffer_bench library: version=%s method=- file=%s\n", event_get_version(), path);
	fflush(stdout);

	for (i = 0; i < NUM_CASES; i++) {
		if (!bench_list_has(cases, all_cases[i].name))
			continue;
		if (floor_mode && strcmp(all_cases[i].name, "large") != 0 &&
		    strcmp(all_cases[i].name, "reserve") != 0)
			continue; /* no floor */
		run_case(&all_cases[i]);
		ran++;
	}
	if (!ran)
		usage();
	return 0;
}
