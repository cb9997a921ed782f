/*
 * Small helpers shared by the vigil benchmarks.
 *
 * Everything here is plain C99 + POSIX so that every benchmark builds
 * unchanged against vigil's headers and against the system libevent's.
 * The helpers are static so each benchmark stays a single translation unit.
 */
#ifndef VIGIL_BENCH_COMMON_H
#define VIGIL_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>

#if defined(__GNUC__)
#define BENCH_UNUSED __attribute__((unused))
/* The timed_* functions stay whole, so callgrind --toggle-collect='timed_*' sees them. */
#define BENCH_NOINLINE __attribute__((noinline))
#else
#define BENCH_UNUSED
#define BENCH_NOINLINE
#endif

/* ---- clocks ------------------------------------------------------------ */

static BENCH_UNUSED double bench_now_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process (user + system); sleeping costs nothing. */
static BENCH_UNUSED double bench_now_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- options ------------------------------------------------------------- */

/* Whether the comma-separated list names item exactly (the -x test selection). */
static BENCH_UNUSED int bench_list_has(const char *list, const char *item)
{
	size_t len = strlen(item);
	while (*list) {
		size_t seg = strcspn(list, ",");
		if (seg == len && strncmp(list, item, len) == 0)
			return 1;
		list += seg;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* ---- statistics ---------------------------------------------------------- */

static BENCH_UNUSED int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n-1]; sorts v in place. */
static BENCH_UNUSED double bench_median(double *v, int n)
{
	if (n <= 0)
		return 0.0;
	qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
	if (n & 1)
		return v[n / 2];
	return 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- deterministic pseudo-random numbers ----------------------------------
 * splitmix64: tiny, fast and fully specified, so both libraries see exactly
 * the same sequence of timeouts and indices for the same seed. */

static uint64_t bench_rng_state = 0x5eed5eed12345678ULL;

static BENCH_UNUSED void bench_srand(uint64_t seed)
{
	bench_rng_state = seed;
}

static BENCH_UNUSED uint64_t bench_rand64(void)
{
	uint64_t z = (bench_rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound) (bound > 0); the modulo bias is irrelevant here. */
static BENCH_UNUSED uint32_t bench_rand_below(uint32_t bound)
{
	return (uint32_t)(bench_rand64() % bound);
}

/* ---- memory -------------------------------------------------------------- */

/* Reads one "Key:   N kB" line of /proc/self/status; returns kB or -1. */
static BENCH_UNUSED long bench_status_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* Raises the soft descriptor limit to the hard one; returns the new soft limit. */
static BENCH_UNUSED long bench_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 30)
		return 1L << 30;
	return (long)rl.rlim_cur;
}

/* ---- connections (the echo benchmarks) ------------------------------------------ */

static BENCH_UNUSED void bench_die_errno(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A loopback TCP listener on an ephemeral port, for bench_pair(1, ...). */
static int bench_listen_fd = -1;
static struct sockaddr_in bench_listen_addr;

static BENCH_UNUSED void bench_tcp_listen(void)
{
	socklen_t len = sizeof(bench_listen_addr);
	int one = 1;
	bench_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (bench_listen_fd < 0)
		bench_die_errno("socket");
	setsockopt(bench_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&bench_listen_addr, 0, sizeof(bench_listen_addr));
	bench_listen_addr.sin_family = AF_INET;
	bench_listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(bench_listen_fd, (struct sockaddr *)&bench_listen_addr, sizeof(bench_listen_addr)) != 0)
		bench_die_errno("bind 127.0.0.1:0");
	if (listen(bench_listen_fd, 128) != 0)
		bench_die_errno("listen");
	if (getsockname(bench_listen_fd, (struct sockaddr *)&bench_listen_addr, &len) != 0)
		bench_die_errno("getsockname");
}

/* One connection, blocking: fds[0] = client, fds[1] = server. tcp = 0: an AF_UNIX
 * stream socketpair; 1: loopback TCP through bench_tcp_listen()'s listener, with
 * TCP_NODELAY on both ends. */
static BENCH_UNUSED void bench_pair(int tcp, int fds[2])
{
	int one = 1;
	if (!tcp) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
			bench_die_errno("socketpair");
		return;
	}
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0)
		bench_die_errno("socket");
	if (connect(fds[0], (struct sockaddr *)&bench_listen_addr, sizeof(bench_listen_addr)) != 0)
		bench_die_errno("connect to the loopback listener");
	fds[1] = accept(bench_listen_fd, NULL, NULL);
	if (fds[1] < 0)
		bench_die_errno("accept");
	if (setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		bench_die_errno("setsockopt TCP_NODELAY");
}

/* The tag an echo benchmark writes into the first and last 8 bytes of a message. */
static BENCH_UNUSED uint64_t bench_echo_tag(uint32_t id, long seq)
{
	return ((uint64_t)id << 40) ^ (uint64_t)seq ^ 0x5a5a000000000000ULL;
}

/* Runs warm-up rounds, then `rounds` timed ones (round(msgs, &cpu) returns a round's
 * wall time and stores its CPU time), and prints the "RESULT bev_echo ..." line. */
static BENCH_UNUSED void bench_echo_rounds(double (*round)(long, double *), const char *transport,
    int conns, size_t size, int window, long msgs, int warmup, int rounds, const long *msgs_total)
{
	double *wall = calloc((size_t)rounds, sizeof(double));
	double *cpus = calloc((size_t)rounds, sizeof(double));
	double med, cpu_med, best, unused_cpu, bytes = (double)msgs * (double)size;
	int i;
	if (!wall || !cpus) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	for (i = 0; i < warmup; i++)
		round(msgs, &unused_cpu);
	for (i = 0; i < rounds; i++)
		wall[i] = round(msgs, &cpus[i]);
	best = wall[0];
	for (i = 1; i < rounds; i++)
		if (wall[i] < best)
			best = wall[i];
	med = bench_median(wall, rounds);
	cpu_med = bench_median(cpus, rounds);
	printf("RESULT bev_echo transport=%s conns=%d size=%zu window=%d msgs=%ld rounds=%d "
	    "round_ms=%.3f mb_s=%.2f best_mb_s=%.2f cpu_mb_s=%.2f ns_msg=%.1f cpu_ns_msg=%.1f "
	    "msgs_total=%ld\n",
	    transport, conns, size, window, msgs, rounds, med * 1e3, bytes / med / 1e6,
	    bytes / best / 1e6, bytes / cpu_med / 1e6, med * 1e9 / (double)msgs,
	    cpu_med * 1e9 / (double)msgs, *msgs_total);
	fflush(stdout);
	free(wall);
	free(cpus);
}

/* ---- identification -------------------------------------------------------- */

/* Path of the first mapped object whose name contains `needle`, so the
 * output shows which libevent_core the dynamic linker really picked. */
static BENCH_UNUSED void bench_mapped_object(const char *needle, char *out, size_t outlen)
{
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	snprintf(out, outlen, "(not mapped)");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		if (path && strstr(path, needle)) {
			size_t len = strcspn(path, "\n");
			if (len >= outlen)
				len = outlen - 1;
			memcpy(out, path, len);
			out[len] = '\0';
			break;
		}
	}
	fclose(f);
}

#ifdef BENCH_USES_LIBEVENT
/* Prints the loaded library's version, backend and file, e.g.
 *   # library: version=2.1.12-stable method=epoll file=/usr/lib/...  */
#include <event2/thread.h>
/* -T: bases made afterwards lock (the benchmarks link libevent_pthreads). */
static BENCH_UNUSED void bench_enable_threads(void)
{
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "evthread_use_pthreads failed\n");
		exit(1);
	}
}

static BENCH_UNUSED void bench_print_library(const char *prog, struct event_base *base)
{
	char path[512];
	bench_mapped_object("/libevent", path, sizeof(path));
	printf("# %s library: version=%s method=%s file=%s\n", prog,
	    event_get_version(), base ? event_base_get_method(base) : "?", path);
	fflush(stdout);
}
#endif

#endif /* VIGIL_BENCH_COMMON_H */
