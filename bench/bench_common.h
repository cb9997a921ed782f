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

#if defined(__GNUC__)
#define BENCH_UNUSED __attribute__((unused))
#else
#define BENCH_UNUSED
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
