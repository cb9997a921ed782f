/*
 * raw_echo: bufferevent_bench's echo workload with no event library at all --
 * the floor that the bufferevent rows are measured against.
 *
 * The same connections (an AF_UNIX socketpair or loopback TCP with TCP_NODELAY
 * per connection, bench_pair()), the same tagged messages, one message in flight
 * per connection, every message's tags checked.  One thread runs a level-triggered
 * epoll loop over both ends of every connection with the fewest system calls an
 * echo can make: per message, one write and one read at each end (plus the shared
 * epoll_wait); a write the socket cannot take whole is finished on EPOLLOUT.
 *
 * Prints "RESULT bev_echo ..." with the fields bufferevent_bench prints, so
 * scripts/bench.sh reads both the same way.
 *
 * Usage: raw_echo [-t unix|tcp] [-c conns] [-s size] [-m messages] [-r rounds]
 *                 [-u warmup]
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

#include "bench_common.h"

#define MAX_EVENTS 1024
#define READ_CHUNK 65536

struct conn;

struct end {
	int fd;
	int is_client;
	int out_armed;          /* EPOLLOUT is being watched */
	unsigned char *pending; /* bytes a write could not take yet */
	size_t pending_len, pending_cap;
	struct conn *conn;
};

struct conn {
	struct end client, server;
	uint32_t id;
	long budget, sent, received;
	size_t have; /* bytes of the current echoed message */
	unsigned char *in;
};

static const char *transport = "unix";
static int num_conns = 1;
static size_t msg_size = 64;
static long num_msgs = 0;
static int num_rounds = 5;
static int num_warmup = 1;

static int epfd;
static struct conn *conns;
static unsigned char *msg, *scratch;
static long conns_done, msgs_total;
static uint64_t echoed_bytes;

static void die(const char *what)
{
	fprintf(stderr, "raw_echo: %s\n", what);
	exit(1);
}

static void watch(struct end *e, int op, uint32_t events)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = e;
	if (epoll_ctl(epfd, op, e->fd, &ev) != 0)
		bench_die_errno("epoll_ctl");
}

static void keep_pending(struct end *e, const unsigned char *p, size_t n)
{
	if (e->pending_len + n > e->pending_cap) {
		e->pending_cap = (e->pending_len + n) * 2;
		e->pending = realloc(e->pending, e->pending_cap);
		if (!e->pending)
			die("out of memory");
	}
	memcpy(e->pending + e->pending_len, p, n);
	e->pending_len += n;
	if (!e->out_armed) {
		watch(e, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
		e->out_armed = 1;
	}
}

/* Writes now what the socket takes, and keeps the rest for EPOLLOUT. */
static void send_bytes(struct end *e, const unsigned char *p, size_t n)
{
	ssize_t w = 0;
	if (e->pending_len == 0) {
		w = write(e->fd, p, n);
		if (w < 0) {
			if (errno != EAGAIN)
				bench_die_errno("write");
			w = 0;
		}
	}
	if ((size_t)w < n)
		keep_pending(e, p + w, n - (size_t)w);
}

static void on_writable(struct end *e)
{
	ssize_t w = write(e->fd, e->pending, e->pending_len);
	if (w < 0) {
		if (errno == EAGAIN)
			return;
		bench_die_errno("write");
	}
	memmove(e->pending, e->pending + w, e->pending_len - (size_t)w);
	e->pending_len -= (size_t)w;
	if (e->pending_len == 0) {
		watch(e, EPOLL_CTL_MOD, EPOLLIN);
		e->out_armed = 0;
	}
}

static void send_one(struct conn *c)
{
	uint64_t tag = bench_echo_tag(c->id, c->sent);
	memcpy(msg, &tag, 8);
	memcpy(msg + msg_size - 8, &tag, 8);
	send_bytes(&c->client, msg, msg_size);
	c->sent++;
}

static ssize_t read_some(int fd, unsigned char *buf, size_t n)
{
	ssize_t r = read(fd, buf, n);
	if (r == 0)
		die("unexpected end of file on a connection");
	if (r < 0 && errno != EAGAIN)
		bench_die_errno("read");
	return r;
}

static void on_readable(struct end *e)
{
	struct conn *c = e->conn;
	ssize_t r;
	if (!e->is_client) {
		r = read_some(e->fd, scratch, READ_CHUNK);
		if (r > 0) {
			echoed_bytes += (uint64_t)r;
			send_bytes(e, scratch, (size_t)r);
		}
		return;
	}
	/* One message is in flight, so the client never reads past its end. */
	r = read_some(e->fd, c->in + c->have, msg_size - c->have);
	if (r <= 0)
		return;
	c->have += (size_t)r;
	if (c->have == msg_size) {
		uint64_t want = bench_echo_tag(c->id, c->received), head, tail;
		memcpy(&head, c->in, 8);
		memcpy(&tail, c->in + msg_size - 8, 8);
		if (head != want || tail != want)
			die("an echoed message came back with the wrong tag");
		c->have = 0;
		c->received++;
		msgs_total++;
		if (c->sent < c->budget)
			send_one(c);
		else if (c->received == c->budget)
			conns_done++;
	}
}

static double echo_round(long msgs, double *cpu)
{
	static struct epoll_event ready[MAX_EVENTS];
	long per = msgs / num_conns, extra = msgs % num_conns;
	double t0, c0, t1;
	int i;

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
		if (conns[i].budget > 0)
			send_one(&conns[i]);
	while (conns_done < num_conns) {
		int n = epoll_wait(epfd, ready, MAX_EVENTS, 10000), k;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bench_die_errno("epoll_wait");
		}
		if (n == 0)
			die("stalled: nothing happened for 10 s");
		for (k = 0; k < n; k++) {
			struct end *e = ready[k].data.ptr;
			if (ready[k].events & EPOLLOUT)
				on_writable(e);
			if (ready[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(e);
		}
	}
	t1 = bench_now_wall();
	*cpu = bench_now_cpu() - c0;
	if (echoed_bytes != (uint64_t)msgs * msg_size)
		die("the servers echoed a different number of bytes than were sent");
	return t1 - t0;
}

static void setup_end(struct end *e, int fd, int is_client, struct conn *c)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		bench_die_errno("fcntl O_NONBLOCK");
	e->fd = fd;
	e->is_client = is_client;
	e->conn = c;
	watch(e, EPOLL_CTL_ADD, EPOLLIN);
}

int main(int argc, char **argv)
{
	int opt, tcp, i;
	size_t k;

	while ((opt = getopt(argc, argv, "t:c:s:m:r:u:h")) != -1) {
		switch (opt) {
		case 't': transport = optarg; break;
		case 'c': num_conns = atoi(optarg); break;
		case 's': msg_size = (size_t)atol(optarg); break;
		case 'm': num_msgs = atol(optarg); break;
		case 'r': num_rounds = atoi(optarg); break;
		case 'u': num_warmup = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: raw_echo [-t unix|tcp] [-c conns] [-s size] [-m messages] "
			    "[-r rounds] [-u warmup]\n");
			return 2;
		}
	}
	if (strcmp(transport, "unix") == 0)
		tcp = 0;
	else if (strcmp(transport, "tcp") == 0)
		tcp = 1;
	else
		die("-t must be unix or tcp");
	if (num_conns < 1 || msg_size < 16 || num_rounds < 1 || num_warmup < 0)
		die("bad arguments (at least 1 connection, messages of 16 bytes or more)");
	if (2L * num_conns + 32 > bench_raise_nofile())
		die("not enough descriptors for that many connections");
	if (num_msgs == 0)
		num_msgs = msg_size >= 16384 ? 20000 : 200000;
	if (num_msgs < num_conns)
		num_msgs = num_conns;
	printf("# raw_echo library: none (direct epoll_wait/read/write)\n");

	epfd = epoll_create1(EPOLL_CLOEXEC);
	msg = malloc(msg_size);
	scratch = malloc(READ_CHUNK);
	conns = calloc((size_t)num_conns, sizeof(*conns));
	if (epfd < 0 || !msg || !scratch || !conns)
		die("out of memory or no epoll");
	for (k = 0; k < msg_size; k++)
		msg[k] = (unsigned char)bench_rand64();
	if (tcp)
		bench_tcp_listen();
	for (i = 0; i < num_conns; i++) {
		int fds[2];
		struct conn *c = &conns[i];
		bench_pair(tcp, fds);
		c->id = (uint32_t)i;
		c->in = malloc(msg_size);
		if (!c->in)
			die("out of memory");
		setup_end(&c->client, fds[0], 1, c);
		setup_end(&c->server, fds[1], 0, c);
	}

	bench_echo_rounds(echo_round, transport, num_conns, msg_size, 1, num_msgs, num_warmup,
	    num_rounds, &msgs_total);

	for (i = 0; i < num_conns; i++) {
		close(conns[i].client.fd);
		close(conns[i].server.fd);
		free(conns[i].client.pending);
		free(conns[i].server.pending);
		free(conns[i].in);
	}
	if (bench_listen_fd >= 0)
		close(bench_listen_fd);
	close(epfd);
	free(msg);
	free(scratch);
	free(conns);
	return 0;
}
