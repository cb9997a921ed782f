/*
 * raw_epoll: pipe_bench's workload with no event library at all -- the
 * floor that any epoll-based library is measured against.
 *
 * Same socketpairs, same byte pattern and the same system calls per round
 * as pipe_bench over libevent's epoll backend:
 *   set-up:   epoll_ctl(DEL) (from the second round on) + epoll_ctl(ADD)
 *             for each read end, level-triggered EPOLLIN;
 *   priming:  A sends;
 *   loop:     epoll_wait(timeout 0) until every byte sent has been read;
 *             each ready fd gets one recv() of one byte and, while the write
 *             budget lasts, one send() of one byte to the next pair.
 *
 * Usage: raw_epoll [-n pipes] [-a active] [-w writes] [-r rounds] [-u warmup]
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "bench_common.h"

#define MAX_EVENTS 4096

static int num_pipes = 100;
static int num_active = 1;
static long num_writes = 100000;
static int num_rounds = 10;
static int num_warmup = 1;

static int (*pairs)[2];
static int epfd;
static int registered;
static struct epoll_event ready[MAX_EVENTS];

static long writes_left, bytes_sent, bytes_read, spurious, total_callbacks;

static void die(const char *what)
{
	fprintf(stderr, "raw_epoll: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void send_one(int idx)
{
	char ch = 'v';
	if (send(pairs[idx][1], &ch, 1, 0) != 1)
		die("send");
	bytes_sent++;
}

static void on_readable(int idx)
{
	char ch;
	total_callbacks++;
	if (recv(pairs[idx][0], &ch, 1, 0) != 1) {
		spurious++;
		return;
	}
	bytes_read++;
	if (writes_left > 0) {
		writes_left--;
		send_one(idx + 1 == num_pipes ? 0 : idx + 1);
	}
}

static double run_round(void)
{
	int i, spacing, nready;
	double t0, t1;
	struct epoll_event ev;

	t0 = bench_now_wall();
	for (i = 0; i < num_pipes; i++) {
		if (registered &&
		    epoll_ctl(epfd, EPOLL_CTL_DEL, pairs[i][0], NULL) != 0)
			die("epoll_ctl(DEL)");
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, pairs[i][0], &ev) != 0)
			die("epoll_ctl(ADD)");
	}
	registered = 1;

	bytes_sent = bytes_read = 0;
	writes_left = num_writes;
	spacing = num_pipes / num_active;
	for (i = 0; i < num_active; i++) {
		writes_left--;
		send_one(i * spacing);
	}

	while (bytes_read < bytes_sent) {
		nready = epoll_wait(epfd, ready, MAX_EVENTS, 0);
		if (nready < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < nready; i++)
			on_readable((int)ready[i].data.u32);
	}
	t1 = bench_now_wall();

	if (bytes_read != num_writes) {
		fprintf(stderr, "raw_epoll: round moved %ld bytes, expected %ld\n",
		    bytes_read, num_writes);
		exit(1);
	}
	return t1 - t0;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: raw_epoll [-n pipes] [-a active] [-w writes] [-r rounds] [-u warmup]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt, i;
	double *times, med, best;
	long nofile;

	while ((opt = getopt(argc, argv, "n:a:w:r:u:h")) != -1) {
		switch (opt) {
		case 'n': num_pipes = atoi(optarg); break;
		case 'a': num_active = atoi(optarg); break;
		case 'w': num_writes = atol(optarg); break;
		case 'r': num_rounds = atoi(optarg); break;
		case 'u': num_warmup = atoi(optarg); break;
		default: usage();
		}
	}
	if (num_pipes < 1 || num_active < 1 || num_active > num_pipes ||
	    num_writes < num_active || num_rounds < 1 || num_warmup < 0)
		usage();

	nofile = bench_raise_nofile();
	if (2L * num_pipes + 32 > nofile) {
		fprintf(stderr, "raw_epoll: %d pipes need more than %ld descriptors\n",
		    num_pipes, nofile);
		return 1;
	}
	printf("# raw_epoll library: none (direct epoll_wait/recv/send)\n");

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	pairs = calloc((size_t)num_pipes, sizeof(*pairs));
	times = calloc((size_t)num_rounds, sizeof(double));
	if (!pairs || !times)
		die("calloc");
	for (i = 0; i < num_pipes; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) != 0)
			die("socketpair");
		if (fcntl(pairs[i][0], F_SETFL, fcntl(pairs[i][0], F_GETFL) | O_NONBLOCK) != 0 ||
		    fcntl(pairs[i][1], F_SETFL, fcntl(pairs[i][1], F_GETFL) | O_NONBLOCK) != 0)
			die("fcntl");
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
		close(pairs[i][0]);
		close(pairs[i][1]);
	}
	close(epfd);
	free(pairs);
	free(times);
	return 0;
}
