/*
 * bufferevent_bench: socket bufferevents through the libevent 2.1 public
 * API, so the same source is built against vigil and against the system
 * libevent.
 *
 * -x echo (default): echo throughput.  C connections, each a client and a
 *   server end, both made with bufferevent_socket_new() (no callbacks of
 *   the library's own beyond read/event callbacks):
 *     -t unix   an AF_UNIX stream socketpair per connection;
 *     -t tcp    a loopback TCP connection per connection (plain
 *               listen/connect/accept; TCP_NODELAY on both ends).
 *   Each client keeps W messages of S bytes in flight (-w, default 1: a
 *   ping-pong).  The server's read callback echoes whatever arrived
 *   (bufferevent_write_buffer of its input); the client's read callback
 *   takes each complete message off its input, checks it and sends the
 *   next one, until the connection's share of the M messages (-m, split
 *   evenly) has come back.  Throughput = M * S bytes (one direction) over
 *   the wall time of the round; the median of -r rounds is reported, after
 *   -u warm-up rounds on the same connections.
 *   Checks: every message carries its (connection, sequence) tag in its
 *   first and last 8 bytes, and the client checks both on every message
 *   (-V: the whole message, byte for byte); at the end every connection
 *   must have got back exactly what it sent and the servers must have
 *   echoed exactly M * S bytes.  A stall (no progress for 10 s) fails too.
 *   Prints "RESULT bev_echo ... mb_s=... cpu_mb_s=... ns_msg=... msgs_total=...":
 *   cpu_mb_s is the same bytes over the process's CPU time (user + system,
 *   both ends), steadier than wall time on a busy machine; msgs_total
 *   counts the warm-up too (for syscall counting by difference:
 *   scripts/bench.sh runs two sizes of the same configuration under strace).
 *
 * -x mem: memory per idle socket bufferevent.  P socketpairs are opened
 *   first (-p, 2P descriptors), then a bufferevent is made on every
 *   descriptor with bufferevent_socket_new() and bufferevent_enable(EV_READ),
 *   and one non-blocking loop pass runs.  Reports the growth of VmRSS and
 *   RssAnon across that step per bufferevent: the sockets and the kernel's
 *   epoll entries exist before or are not in the process's RSS, so this is
 *   what the library allocates and touches.  A bufferevent made and freed
 *   on a spare pair first keeps first-call costs out.
 *
 * Usage: bufferevent_bench [-x echo|mem] [-t unix|tcp] [-c conns] [-s size]
 *                          [-m messages] [-w window] [-r rounds] [-u warmup]
 *                          [-V] [-p pairs]
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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>

#define BENCH_USES_LIBEVENT 1
#include "bench_common.h"

static const char *test = "echo";
static const char *transport = "unix";
static int num_conns = 1;
static size_t msg_size = 64;
static long num_msgs = 0;     /* 0: a default for the size */
static int window = 1;
static int num_rounds = 5;
static int num_warmup = 1;
static int full_check = 0;
static long mem_pairs = 5000;

static void die(const char *what)
{
	fprintf(stderr, "bufferevent_bench: %s\n", what);
	exit(1);
}

/* ---- echo ------------------------------------------------------------------- */

struct conn {
	struct bufferevent *client, *server;
	uint32_t id;
	long budget;    /* messages this round */
	long sent;      /* sent this round */
	long received;  /* echoed back this round */
};

static struct event_base *base;
static struct conn *conns;
static unsigned char *msg;        /* template; tags are written per message */
static unsigned char *check_buf;  /* -V: a received message */
static long conns_done;
static long progress;             /* messages received, ever */
static long msgs_total;           /* messages echoed, ever (warm-up included) */
static uint64_t echoed_bytes;     /* by the servers, this round */

static void send_one(struct conn *c)
{
	uint64_t tag = bench_echo_tag(c->id, c->sent);
	memcpy(msg, &tag, 8);
	memcpy(msg + msg_size - 8, &tag, 8);
	if (bufferevent_write(c->client, msg, msg_size) != 0)
		die("bufferevent_write failed");
	c->sent++;
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (evbuffer_get_length(in) >= msg_size) {
		uint64_t want = bench_echo_tag(c->id, c->received), head, tail;
		struct evbuffer_ptr p;

		if (c->received >= c->budget)
			die("a client got more back than it sent");
		if (full_check) {
			if (evbuffer_remove(in, check_buf, msg_size) != (int)msg_size)
				die("evbuffer_remove returned a short count");
			memcpy(&head, check_buf, 8);
			memcpy(&tail, check_buf + msg_size - 8, 8);
			if (memcmp(check_buf + 8, msg + 8, msg_size - 16) != 0)
				die("an echoed message's body differs from what was sent");
		} else {
			if (evbuffer_copyout(in, &head, 8) != 8 ||
			    evbuffer_ptr_set(in, &p, msg_size - 8, EVBUFFER_PTR_SET) != 0 ||
			    evbuffer_copyout_from(in, &p, &tail, 8) != 8)
				die("evbuffer_copyout failed");
			if (evbuffer_drain(in, msg_size) != 0)
				die("evbuffer_drain failed");
		}
		if (head != want || tail != want)
			die("an echoed message came back with the wrong tag (lost, reordered or torn)");
		c->received++;
		progress++;
		msgs_total++;
		if (c->sent < c->budget)
			send_one(c);
		if (c->received == c->budget && ++conns_done == num_conns)
			event_base_loopbreak(base);
	}
}

static void server_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	(void)arg;
	echoed_bytes += evbuffer_get_length(in);
	if (bufferevent_write_buffer(bev, in) != 0)
		die("bufferevent_write_buffer failed");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	fprintf(stderr, "bufferevent_bench: unexpected event 0x%x (%s%s%s) on a connection: %s\n",
	    what, (what & BEV_EVENT_EOF) ? "EOF " : "", (what & BEV_EVENT_ERROR) ? "ERROR " : "",
	    (what & BEV_EVENT_TIMEOUT) ? "TIMEOUT " : "",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	exit(1);
}

static long watchdog_seen = -1;
static int watchdog_idle;

static void watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (progress != watchdog_seen) {
		watchdog_seen = progress;
		watchdog_idle = 0;
	} else if (++watchdog_idle >= 5) {
		fprintf(stderr, "bufferevent_bench: stalled: no message came back for 10 s "
		    "(%ld of %ld connections done)\n", conns_done, (long)num_conns);
		exit(1);
	}
}

static struct bufferevent *make_bev(evutil_socket_t fd, bufferevent_data_cb readcb, void *arg)
{
	struct bufferevent *bev;
	if (evutil_make_socket_nonblocking(fd) != 0)
		die("evutil_make_socket_nonblocking failed");
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		die("bufferevent_socket_new failed");
	bufferevent_setcb(bev, readcb, NULL, on_event, arg);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		die("bufferevent_enable failed");
	return bev;
}

/* One round; returns its wall time in seconds (and the CPU time in *cpu). */
static double echo_round(long msgs, double *cpu)
{
	long per = msgs / num_conns, extra = msgs % num_conns;
	double t0, c0, t1;
	int i, k;

	conns_done = 0;
	echoed_bytes = 0;
	for (i = 0; i < num_conns; i++) {
		conns[i].budget = per + (i < extra ? 1 : 0);
		conns[i].sent = conns[i].received = 0;
		if (conns[i].budget == 0)
			conns_done++;
	}
	t0 = bench_now_wall();
	c0 = bench_now_cpu();
	for (i = 0; i < num_conns; i++)
		for (k = 0; k < window && conns[i].sent < conns[i].budget; k++)
			send_one(&conns[i]);
	if (conns_done < num_conns && event_base_loop(base, 0) < 0)
		die("event_base_loop failed");
	t1 = bench_now_wall();
	*cpu = bench_now_cpu() - c0;

	if (conns_done != num_conns)
		die("the loop returned before every connection was done");
	for (i = 0; i < num_conns; i++) {
		struct conn *c = &conns[i];
		if (c->sent != c->budget || c->received != c->budget ||
		    evbuffer_get_length(bufferevent_get_input(c->client)) != 0 ||
		    evbuffer_get_length(bufferevent_get_output(c->client)) != 0 ||
		    evbuffer_get_length(bufferevent_get_input(c->server)) != 0 ||
		    evbuffer_get_length(bufferevent_get_output(c->server)) != 0)
			die("a connection's byte counts do not match at the end of a round");
	}
	if (echoed_bytes != (uint64_t)msgs * msg_size) {
		fprintf(stderr, "bufferevent_bench: the servers echoed %llu bytes, expected %llu\n",
		    (unsigned long long)echoed_bytes, (unsigned long long)msgs * msg_size);
		exit(1);
	}
	return t1 - t0;
}

static void run_echo(void)
{
	int tcp, i;
	long nofile = bench_raise_nofile();
	struct event *wd;
	struct timeval two_s = { 2, 0 };
	size_t k;

	if (strcmp(transport, "unix") == 0)
		tcp = 0;
	else if (strcmp(transport, "tcp") == 0)
		tcp = 1;
	else
		die("-t must be unix or tcp");
	if (2L * num_conns + 32 > nofile)
		die("not enough descriptors for that many connections");
	if (num_msgs == 0)
		num_msgs = msg_size >= 16384 ? 20000 : 200000;
	if (num_msgs < num_conns)
		num_msgs = num_conns;

	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	bench_print_library("bufferevent_bench", base);

	msg = malloc(msg_size);
	check_buf = malloc(msg_size);
	conns = calloc((size_t)num_conns, sizeof(*conns));
	if (!msg || !check_buf || !conns)
		die("out of memory");
	for (k = 0; k < msg_size; k++)
		msg[k] = (unsigned char)bench_rand64();

	if (tcp)
		bench_tcp_listen();
	for (i = 0; i < num_conns; i++) {
		int fds[2];
		bench_pair(tcp, fds);
		conns[i].id = (uint32_t)i;
		conns[i].client = make_bev(fds[0], client_read, &conns[i]);
		conns[i].server = make_bev(fds[1], server_read, &conns[i]);
	}
	wd = event_new(base, -1, EV_PERSIST, watchdog, NULL);
	if (!wd || event_add(wd, &two_s) != 0)
		die("watchdog event failed");

	bench_echo_rounds(echo_round, transport, num_conns, msg_size, window, num_msgs,
	    num_warmup, num_rounds, &msgs_total);

	event_free(wd);
	for (i = 0; i < num_conns; i++) {
		bufferevent_free(conns[i].client);
		bufferevent_free(conns[i].server);
	}
	if (bench_listen_fd >= 0)
		evutil_closesocket(bench_listen_fd);
	event_base_free(base);
	free(msg);
	free(check_buf);
	free(conns);
}

/* ---- memory per idle bufferevent --------------------------------------------- */

static void idle_read(struct bufferevent *bev, void *arg)
{
	(void)bev; (void)arg;
	die("an idle bufferevent got data");
}

static void run_mem(void)
{
	long nofile = bench_raise_nofile();
	long pairs = mem_pairs, nbev, i;
	evutil_socket_t (*sp)[2], spare[2];
	struct bufferevent **bevs, *warm;
	long rss0, anon0, rss1, anon1;

	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	bench_print_library("bufferevent_bench", base);
	if (2 * pairs + 64 > nofile)
		pairs = (nofile - 64) / 2;
	if (pairs < 16)
		die("the descriptor limit is too low");
	nbev = 2 * pairs;
	sp = calloc((size_t)pairs, sizeof(*sp));
	bevs = calloc((size_t)nbev, sizeof(*bevs));
	if (!sp || !bevs)
		die("out of memory");

	/* warm-up: one bufferevent through its whole life on a spare pair */
	bench_pair(0, spare);
	evutil_make_socket_nonblocking(spare[0]);
	warm = bufferevent_socket_new(base, spare[0], 0);
	if (!warm)
		die("bufferevent_socket_new failed");
	bufferevent_setcb(warm, idle_read, NULL, on_event, NULL);
	bufferevent_enable(warm, EV_READ);
	event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_free(warm);
	event_base_loop(base, EVLOOP_NONBLOCK);

	for (i = 0; i < pairs; i++) {
		bench_pair(0, sp[i]);
		if (evutil_make_socket_nonblocking(sp[i][0]) != 0 ||
		    evutil_make_socket_nonblocking(sp[i][1]) != 0)
			die("evutil_make_socket_nonblocking failed");
	}

	rss0 = bench_status_kb("VmRSS");
	anon0 = bench_status_kb("RssAnon");
	for (i = 0; i < nbev; i++) {
		bevs[i] = bufferevent_socket_new(base, sp[i / 2][i & 1], 0);
		if (!bevs[i])
			die("bufferevent_socket_new failed");
		bufferevent_setcb(bevs[i], idle_read, NULL, on_event, NULL);
		if (bufferevent_enable(bevs[i], EV_READ) != 0)
			die("bufferevent_enable failed");
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	rss1 = bench_status_kb("VmRSS");
	anon1 = bench_status_kb("RssAnon");

	printf("RESULT bev_mem count=%ld rss_before_kb=%ld rss_after_kb=%ld "
	    "bytes_per=%.2f anon_bytes_per=%.2f\n", nbev, rss0, rss1,
	    (double)(rss1 - rss0) * 1024.0 / (double)nbev,
	    (double)(anon1 - anon0) * 1024.0 / (double)nbev);
	fflush(stdout);

	for (i = 0; i < nbev; i++)
		bufferevent_free(bevs[i]);
	for (i = 0; i < pairs; i++) {
		evutil_closesocket(sp[i][0]);
		evutil_closesocket(sp[i][1]);
	}
	evutil_closesocket(spare[0]);
	evutil_closesocket(spare[1]);
	event_base_free(base);
	free(sp);
	free(bevs);
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: bufferevent_bench [-x echo|mem] [-t unix|tcp] [-c conns] [-s size]\n"
	    "                         [-m messages] [-w window] [-r rounds] [-u warmup] [-V]\n"
	    "                         [-p pairs]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;
	long size = 64;

	while ((opt = getopt(argc, argv, "x:t:c:s:m:w:r:u:Vp:h")) != -1) {
		switch (opt) {
		case 'x': test = optarg; break;
		case 't': transport = optarg; break;
		case 'c': num_conns = atoi(optarg); break;
		case 's': size = atol(optarg); break;
		case 'm': num_msgs = atol(optarg); break;
		case 'w': window = atoi(optarg); break;
		case 'r': num_rounds = atoi(optarg); break;
		case 'u': num_warmup = atoi(optarg); break;
		case 'V': full_check = 1; break;
		case 'p': mem_pairs = atol(optarg); break;
		default: usage();
		}
	}
	if (num_conns < 1 || size < 16 || num_msgs < 0 || window < 1 || num_rounds < 1 ||
	    num_warmup < 0 || mem_pairs < 1)
		usage();
	msg_size = (size_t)size;
	bench_srand(5);

	if (strcmp(test, "echo") == 0)
		run_echo();
	else if (strcmp(test, "mem") == 0)
		run_mem();
	else
		usage();
	return 0;
}
