/*
 * tcp_churn_helper.c - the libutcp side of tcp_churn.sh
 *
 * Many short connections, and applications that die with connections
 * open. The kernel's side is tcp_churn_peer.py; both speak the same
 * per-connection exchange:
 *
 *   The client sends one line, "<MODE><index>:<filler>\n" (a few dozen
 *   bytes); the server echoes it byte for byte, and then, by MODE:
 *     C  the client closes first: it shuts its side down once the echo
 *        is complete; the server reads EOF and closes; the client reads
 *        EOF and closes.
 *     S  the server closes first (right after the echo); the client
 *        reads EOF and closes.
 *     R  the server resets: once the echo is complete the client sends
 *        one more byte, which the server closes without reading, so its
 *        TCP sends RST; the client's read fails with ECONNRESET.
 *   Connection i uses mode "CSR"[i % 3]. Anything else (a short or
 *   wrong echo, an early EOF, a reset where none belongs) fails.
 *
 * Commands:
 *   tcp_churn_helper [-S PATH] echo-server PORT COUNT
 *       Listens on PORT, serves COUNT connections as above (all open
 *       ones in one poll loop), prints "listening" first and at the end
 *       "served COUNT connections (C c, S s, R r), at most N at once".
 *   tcp_churn_helper [-S PATH] clients HOST PORT COUNT PARALLEL
 *       COUNT client connections as above to HOST:PORT, PARALLEL at a
 *       time (non-blocking connects over one control connection);
 *       prints "COUNT connections (C c, S s, R r)".
 *   tcp_churn_helper [-S PATH] hold HOST PORT COUNT
 *       Connects COUNT times, one after the other (blocking, each with
 *       a timeout of 60 s), waits (at most 20 s) until data has arrived
 *       on every even-numbered connection (0, 2, ...), prints "ready"
 *       and sleeps until killed, reading nothing.
 *   tcp_churn_helper [-S PATH] grow HOST PORT COUNT BYTES
 *       Connects COUNT times, one after the other (blocking, as hold);
 *       on each in turn reads BYTES as fast as they come (so that its
 *       receive buffer grows: auto-tuning), then reads it no more and
 *       goes on to the next. Prints "ready" once all have read theirs,
 *       and sleeps until killed, reading nothing.
 *   tcp_churn_helper [-S PATH] hold-listen PORT ACCEPT
 *       Listens on PORT (backlog 64), prints "listening", accepts ACCEPT
 *       connections, waits (at most 20 s) until data has arrived on the
 *       even-numbered ones, prints "ready" and sleeps until killed,
 *       accepting and reading nothing more.
 *   tcp_churn_helper [-S PATH] hold-connecting HOST PORT COUNT
 *       Starts COUNT non-blocking connects, prints "ready" and sleeps
 *       until killed.
 *   tcp_churn_helper [-S PATH] flood HOST PORT COUNT [SNDBUF]
 *       Connects COUNT times (blocking, send buffer SNDBUF bytes, by
 *       default 64 MiB, so that only the daemon's shared chunk pool
 *       limits what each one queues), then writes to all of them round
 *       robin, to each FLOOD_PIECE bytes at a time without blocking until
 *       it refuses; once every one has refused a write (its socketpair
 *       is full) it prints "ready", and goes on writing whatever they
 *       take until killed.
 *
 * Every failure is a message on stderr and exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HELPER_NAME "tcp_churn_helper"
#include "helper_common.h"

#define LINE_MAX_BYTES 256
#define HOLD_WAIT_MS   20000

static const char modes_csr[] = "CSR";

/* The line connection i sends: "<MODE><i>:<filler>\n"; returns its
 * length. The filler's length varies with i (0 .. 96 bytes). */
static size_t make_line(unsigned long i, char *buf)
{
	int n = snprintf(buf, LINE_MAX_BYTES, "%c%lu:", modes_csr[i % 3], i);
	size_t len = (size_t)n, fill = (i * 13) % 97;

	for (size_t k = 0; k < fill; k++)
		buf[len++] = (char)('a' + (i + k) % 26);
	buf[len++] = '\n';
	return len;
}

/* The index of a mode in modes_csr, or -1. */
static int mode_index(char mode)
{
	const char *p = mode ? strchr(modes_csr, mode) : NULL;

	return p ? (int)(p - modes_csr) : -1;
}

/* Sleeps until killed. */
__attribute__((noreturn)) static void sleep_forever(void)
{
	for (;;)
		pause();
}

/* Waits until every even-numbered descriptor of fds[0..n) is readable. */
static void wait_even_readable(const int *fds, unsigned long n)
{
	for (unsigned long i = 0; i < n; i += 2) {
		struct pollfd pfd = {.fd = fds[i], .events = POLLIN};

		if (poll(&pfd, 1, HOLD_WAIT_MS) != 1)
			die("connection %lu: no data within %d ms", i,
			    HOLD_WAIT_MS);
	}
}

/* ---- echo-server ---------------------------------------------------- */

enum conn_phase {
	PH_LINE,  /* reading the line, echoing what came */
	PH_AFTER, /* echo sent: C waits for EOF, R for the extra byte */
	PH_DONE,
};

struct server_conn {
	int fd;
	unsigned long n; /* accept order, for messages */
	enum conn_phase phase;
	char mode; /* from the line's first byte */
	char buf[LINE_MAX_BYTES];
	size_t have, sent; /* bytes of the line read, echoed */
};

static void server_finish(struct server_conn *k)
{
	close(k->fd); /* R: with the extra byte unread, so RST */
	k->fd = -1;
	k->phase = PH_DONE;
}

/* One step of a served connection after poll said revents. */
static void server_step(struct server_conn *k, short revents)
{
	ssize_t n;

	if (k->phase == PH_LINE) {
		if (k->sent < k->have && (revents & (POLLOUT | POLLERR))) {
			n = utcp_tcp_send(k->fd, k->buf + k->sent,
					  k->have - k->sent);
			if (n < 0 && n != -EAGAIN)
				die("served connection %lu: send: %s", k->n,
				    utcp_strerror((int)n));
			if (n > 0)
				k->sent += (size_t)n;
		}
		if (k->have == 0 || k->buf[k->have - 1] != '\n') {
			if (!(revents & (POLLIN | POLLPRI | POLLHUP | POLLERR)))
				return;
			if (k->have == sizeof(k->buf))
				die("served connection %lu: line too long",
				    k->n);
			n = utcp_tcp_recv(k->fd, k->buf + k->have,
					  sizeof(k->buf) - k->have,
					  UTCP_NONBLOCK);
			if (n == -EAGAIN)
				return;
			if (n < 0)
				die("served connection %lu: receive: %s", k->n,
				    utcp_strerror((int)n));
			if (n == 0)
				die("served connection %lu: EOF after %zu "
				    "bytes, before the line's end",
				    k->n, k->have);
			if (k->have == 0 && mode_index(k->buf[0]) < 0)
				die("served connection %lu: bad mode %c", k->n,
				    k->buf[0]);
			k->mode = k->buf[0];
			k->have += (size_t)n;
			if (memchr(k->buf, '\n', k->have) &&
			    k->buf[k->have - 1] != '\n')
				die("served connection %lu: data after the "
				    "line",
				    k->n);
			/* Echo at once what fits. */
			n = utcp_tcp_send(k->fd, k->buf + k->sent,
					  k->have - k->sent);
			if (n < 0 && n != -EAGAIN)
				die("served connection %lu: send: %s", k->n,
				    utcp_strerror((int)n));
			if (n > 0)
				k->sent += (size_t)n;
		}
		if (k->have && k->buf[k->have - 1] == '\n' &&
		    k->sent == k->have) {
			if (k->mode == 'S')
				server_finish(k);
			else
				k->phase = PH_AFTER;
		}
		return;
	}
	if (k->phase != PH_AFTER ||
	    !(revents & (POLLIN | POLLPRI | POLLHUP | POLLERR)))
		return;
	if (k->mode == 'R') {
		/* The client's extra byte (or anything) arrived: close
		 * without reading it. */
		server_finish(k);
		return;
	}
	/* C: the client's FIN, and nothing before it. */
	n = utcp_tcp_recv(k->fd, k->buf, sizeof(k->buf), UTCP_NONBLOCK);
	if (n == -EAGAIN)
		return;
	if (n < 0)
		die("served connection %lu (C): receive: %s", k->n,
		    utcp_strerror((int)n));
	if (n > 0)
		die("served connection %lu (C): %zd bytes after the line", k->n,
		    n);
	server_finish(k);
}

static int cmd_echo_server(int argc, char **argv)
{
	unsigned long count, accepted = 0, done = 0, peak = 0, i;
	unsigned long modes[3] = {0};
	struct server_conn *c = NULL; /* the open connections */
	struct pollfd *pfd = NULL;
	size_t nopen = 0, cap = 0;
	struct utcp *u;
	int lfd;

	if (argc != 2)
		die("usage: echo-server PORT COUNT");
	count = parse_num(argv[1], 1000000000);
	u = open_daemon();
	lfd = utcp_tcp_listen(u, (struct in_addr){.s_addr = INADDR_ANY},
			      (uint16_t)parse_num(argv[0], 65535), 256, NULL,
			      UTCP_NONBLOCK, NULL);
	if (lfd < 0)
		die("listen: %s", utcp_strerror(lfd));
	printf("listening\n");
	fflush(stdout);
	while (done < count) {
		pfd = realloc(pfd, (nopen + 1) * sizeof(*pfd));
		if (!pfd)
			die("out of memory");
		pfd[0].fd = accepted < count ? lfd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < nopen; i++) {
			struct server_conn *k = &c[i];
			short ev = 0;

			if (k->phase == PH_LINE && k->sent < k->have)
				ev |= POLLOUT;
			if (k->phase == PH_AFTER || k->have == 0 ||
			    k->buf[k->have - 1] != '\n')
				ev |= POLLIN | POLLPRI;
			pfd[i + 1].fd = k->fd;
			pfd[i + 1].events = ev;
		}
		if (poll(pfd, nopen + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		/* Backwards, so that a finished connection can take the
		 * last one's place. */
		for (i = nopen; i-- > 0;) {
			struct server_conn *k = &c[i];

			if (!pfd[i + 1].revents)
				continue;
			server_step(k, pfd[i + 1].revents);
			if (k->phase == PH_DONE) {
				modes[mode_index(k->mode)]++;
				done++;
				*k = c[--nopen];
			}
		}
		while (pfd[0].revents && accepted < count) {
			int fd =
			    utcp_tcp_accept(lfd, NULL, NULL, UTCP_NONBLOCK);

			if (fd == -EAGAIN)
				break;
			if (fd < 0)
				die("accept: %s", utcp_strerror(fd));
			if (nopen == cap) {
				cap = cap ? 2 * cap : 64;
				c = realloc(c, cap * sizeof(*c));
				if (!c)
					die("out of memory");
			}
			memset(&c[nopen], 0, sizeof(c[nopen]));
			c[nopen].fd = fd;
			c[nopen].n = accepted++;
			if (++nopen > peak)
				peak = nopen;
		}
	}
	printf("served %lu connections (C %lu, S %lu, R %lu), at most %lu "
	       "at once\n",
	       done, modes[0], modes[1], modes[2], peak);
	close(lfd);
	utcp_close(u);
	free(c);
	free(pfd);
	return 0;
}

/* ---- clients -------------------------------------------------------- */

struct client_conn {
	int fd; /* -1: free slot */
	unsigned long n;
	char mode;
	char line[LINE_MAX_BYTES], got[LINE_MAX_BYTES];
	size_t len, sent, rcvd;
	bool after; /* echo complete: C shut down / R extra byte sent */
};

static void client_start(struct utcp *u, struct client_conn *k,
			 struct in_addr host, uint16_t port, unsigned long n)
{
	memset(k, 0, sizeof(*k));
	k->n = n;
	k->len = make_line(n, k->line);
	k->mode = k->line[0];
	k->fd =
	    utcp_tcp_connect(u, host, port, 20000, NULL, UTCP_NONBLOCK, NULL);
	if (k->fd < 0)
		die("connection %lu: connect: %s", n, utcp_strerror(k->fd));
}

/* One step of a client connection; returns true when it ended. */
static bool client_step(struct client_conn *k, short revents)
{
	ssize_t n;

	if (k->sent < k->len && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		n = utcp_tcp_send(k->fd, k->line + k->sent, k->len - k->sent);
		if (n < 0 && n != -EAGAIN)
			die("connection %lu: send: %s", k->n,
			    utcp_strerror((int)n));
		if (n > 0)
			k->sent += (size_t)n;
	}
	if (!(revents & (POLLIN | POLLPRI | POLLHUP | POLLERR)))
		return false;
	n = utcp_tcp_recv(k->fd, k->got + k->rcvd, sizeof(k->got) - k->rcvd,
			  UTCP_NONBLOCK);
	if (n == -EAGAIN)
		return false;
	if (n < 0) {
		if (k->mode == 'R' && k->after && n == -ECONNRESET) {
			close(k->fd);
			return true;
		}
		die("connection %lu (%c): receive: %s after %zu of %zu "
		    "bytes",
		    k->n, k->mode, utcp_strerror((int)n), k->rcvd, k->len);
	}
	if (n == 0) {
		if (k->rcvd < k->len || k->mode == 'R')
			die("connection %lu (%c): EOF after %zu of %zu bytes "
			    "of echo%s",
			    k->n, k->mode, k->rcvd, k->len,
			    k->mode == 'R' ? " (a reset was due)" : "");
		close(k->fd);
		return true;
	}
	if (k->rcvd + (size_t)n > k->len ||
	    memcmp(k->line + k->rcvd, k->got + k->rcvd, (size_t)n) != 0)
		die("connection %lu: echo differs at byte %zu", k->n, k->rcvd);
	k->rcvd += (size_t)n;
	if (k->rcvd == k->len && !k->after) {
		k->after = true;
		if (k->mode == 'C' && shutdown(k->fd, SHUT_WR) < 0)
			die("connection %lu: shutdown: %s", k->n,
			    strerror(errno));
		if (k->mode == 'R') {
			n = utcp_tcp_send(k->fd, "x", 1);
			if (n != 1)
				die("connection %lu: sending the extra byte: "
				    "%s",
				    k->n, utcp_strerror((int)n));
		}
	}
	return false;
}

static int cmd_clients(int argc, char **argv)
{
	unsigned long count, parallel, started = 0, done = 0, i;
	unsigned long modes[3] = {0};
	struct client_conn *c;
	struct pollfd *pfd;
	struct in_addr host;
	struct utcp *u;
	uint16_t port;

	if (argc != 4)
		die("usage: clients HOST PORT COUNT PARALLEL");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	count = parse_num(argv[2], 1000000000);
	parallel = parse_num(argv[3], 1024);
	if (parallel == 0)
		die("PARALLEL must be at least 1");
	c = calloc(parallel, sizeof(*c));
	pfd = calloc(parallel, sizeof(*pfd));
	if (!c || !pfd)
		die("out of memory");
	u = open_daemon();
	for (i = 0; i < parallel; i++)
		c[i].fd = -1;
	while (done < count) {
		for (i = 0; i < parallel; i++) {
			if (c[i].fd < 0 && started < count)
				client_start(u, &c[i], host, port, started++);
			pfd[i].fd = c[i].fd;
			pfd[i].events =
			    (short)(POLLIN | POLLPRI |
				    (c[i].sent < c[i].len ? POLLOUT : 0));
		}
		if (poll(pfd, parallel, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (i = 0; i < parallel; i++) {
			if (c[i].fd < 0 || !pfd[i].revents)
				continue;
			if (client_step(&c[i], pfd[i].revents)) {
				modes[mode_index(c[i].mode)]++;
				c[i].fd = -1;
				done++;
			}
		}
	}
	printf("%lu connections (C %lu, S %lu, R %lu)\n", done, modes[0],
	       modes[1], modes[2]);
	utcp_close(u);
	free(c);
	free(pfd);
	return 0;
}

/* ---- hold, hold-listen, hold-connecting ----------------------------- */

static int cmd_hold(int argc, char **argv)
{
	unsigned long count, i;
	struct in_addr host;
	struct utcp *u;
	uint16_t port;
	int *fds;

	if (argc != 3)
		die("usage: hold HOST PORT COUNT");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	count = parse_num(argv[2], 4096);
	fds = calloc(count, sizeof(*fds));
	if (!fds)
		die("out of memory");
	u = open_daemon();
	for (i = 0; i < count; i++) {
		fds[i] = utcp_tcp_connect(u, host, port, 60000, NULL, 0, NULL);
		if (fds[i] < 0)
			die("connection %lu: connect: %s", i,
			    utcp_strerror(fds[i]));
	}
	wait_even_readable(fds, count);
	printf("ready\n");
	fflush(stdout);
	sleep_forever();
}

static int cmd_grow(int argc, char **argv)
{
	static char buf[64 << 10];
	unsigned long count, i, bytes, got;
	struct in_addr host;
	struct utcp *u;
	uint16_t port;
	int *fds;

	if (argc != 4)
		die("usage: grow HOST PORT COUNT BYTES");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	count = parse_num(argv[2], 4096);
	bytes = parse_num(argv[3], 1ul << 30);
	fds = calloc(count, sizeof(*fds));
	if (!fds)
		die("out of memory");
	u = open_daemon();
	for (i = 0; i < count; i++) {
		fds[i] = utcp_tcp_connect(u, host, port, 60000, NULL, 0, NULL);
		if (fds[i] < 0)
			die("connection %lu: connect: %s", i,
			    utcp_strerror(fds[i]));
		for (got = 0; got < bytes;) {
			size_t want = bytes - got < sizeof(buf) ? bytes - got
								: sizeof(buf);
			ssize_t n = read(fds[i], buf, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("connection %lu: read after %lu bytes: %s",
				    i, got, n < 0 ? strerror(errno) : "EOF");
			got += (unsigned long)n;
		}
	}
	printf("ready\n");
	fflush(stdout);
	sleep_forever();
}

static int cmd_hold_listen(int argc, char **argv)
{
	unsigned long count, i;
	struct utcp *u;
	int lfd, *fds;

	if (argc != 2)
		die("usage: hold-listen PORT ACCEPT");
	count = parse_num(argv[1], 4096);
	fds = calloc(count + 1, sizeof(*fds));
	if (!fds)
		die("out of memory");
	u = open_daemon();
	lfd = utcp_tcp_listen(u, (struct in_addr){.s_addr = INADDR_ANY},
			      (uint16_t)parse_num(argv[0], 65535), 64, NULL, 0,
			      NULL);
	if (lfd < 0)
		die("listen: %s", utcp_strerror(lfd));
	printf("listening\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		fds[i] = utcp_tcp_accept(lfd, NULL, NULL, 0);
		if (fds[i] < 0)
			die("accept %lu: %s", i, utcp_strerror(fds[i]));
	}
	wait_even_readable(fds, count);
	printf("ready\n");
	fflush(stdout);
	sleep_forever();
}

static int cmd_hold_connecting(int argc, char **argv)
{
	unsigned long count, i;
	struct in_addr host;
	struct utcp *u;
	uint16_t port;

	if (argc != 3)
		die("usage: hold-connecting HOST PORT COUNT");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	count = parse_num(argv[2], 4096);
	u = open_daemon();
	for (i = 0; i < count; i++) {
		int fd = utcp_tcp_connect(u, host, port, 60000, NULL,
					  UTCP_NONBLOCK, NULL);

		if (fd < 0)
			die("connection %lu: connect: %s", i,
			    utcp_strerror(fd));
	}
	printf("ready\n");
	fflush(stdout);
	sleep_forever();
}

/* ---- flood ---------------------------------------------------------- */

#define FLOOD_PIECE 4096

static int cmd_flood(int argc, char **argv)
{
	static char junk[FLOOD_PIECE];
	struct utcp_tcp_opts opts = {.set = UTCP_TCP_OPT_SNDBUF,
				     .sndbuf = 64u << 20};
	unsigned long count, i, full = 0;
	struct in_addr host;
	struct pollfd *pfds;
	bool *refused;
	struct utcp *u;
	uint16_t port;

	if (argc != 3 && argc != 4)
		die("usage: flood HOST PORT COUNT [SNDBUF]");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	count = parse_num(argv[2], 4096);
	if (argc == 4)
		opts.sndbuf = (uint32_t)parse_num(argv[3], 64u << 20);
	pfds = calloc(count, sizeof(*pfds));
	refused = calloc(count, sizeof(*refused));
	if (!pfds || !refused)
		die("out of memory");
	memset(junk, 'f', sizeof(junk));
	u = open_daemon();
	for (i = 0; i < count; i++) {
		pfds[i].fd =
		    utcp_tcp_connect(u, host, port, 60000, &opts, 0, NULL);
		if (pfds[i].fd < 0)
			die("connection %lu: connect: %s", i,
			    utcp_strerror(pfds[i].fd));
		pfds[i].events = POLLOUT;
	}
	for (;;) {
		for (i = 0; i < count; i++) {
			ssize_t n;

			/* Until refused: a socketpair stops polling writable
			 * at a quarter full, long before it refuses. */
			do
				n = send(pfds[i].fd, junk, sizeof(junk),
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			while (n > 0);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				die("connection %lu: send: %s", i,
				    strerror(errno));
			if (n < 0 && !refused[i]) {
				refused[i] = true;
				if (++full == count) {
					printf("ready\n");
					fflush(stdout);
				}
			}
		}
		if (poll(pfds, (nfds_t)count, 1000) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	static const struct helper_cmd cmds[] = {
	    {"echo-server", cmd_echo_server},
	    {"clients", cmd_clients},
	    {"hold", cmd_hold},
	    {"grow", cmd_grow},
	    {"hold-listen", cmd_hold_listen},
	    {"hold-connecting", cmd_hold_connecting},
	    {"flood", cmd_flood},
	};

	return helper_main(argc, argv, cmds, sizeof(cmds) / sizeof(cmds[0]));
}
