/*
 * tcp_helper.c - libutcp programs for the TCP integration tests
 *
 *   tcp_helper [-S PATH] get HOST PORT URLPATH
 *       HTTP/1.0 GET from HOST:PORT through utcpd; the body goes to
 *       stdout. Fails unless the status is 200 and the body has exactly
 *       the Content-Length announced (when one is).
 *   tcp_helper [-S PATH] http-server PORT FILE COUNT
 *       Serves FILE to COUNT GET requests, one after the other, on PORT.
 *   tcp_helper [-S PATH] echo-server PORT COUNT
 *       Accepts COUNT connections and echoes each (all at once, one
 *       poll loop) until its peer's FIN; exits 0 once all COUNT ended
 *       cleanly, printing how many were open at once at most.
 *   tcp_helper [-S PATH] echo-clients HOST PORT COUNT BYTES
 *       Opens COUNT connections to an echo server at once (non-blocking
 *       connects over one control connection), sends each BYTES + 7 * i
 *       bytes of its own pseudo-random content and checks the echo byte
 *       for byte. Only once every echo is complete does it half-close
 *       them all and wait for each server's FIN, so the COUNT are open
 *       at the same time.
 *   tcp_helper [-S PATH] sink PORT OUT [RCVBUF]
 *       Accepts one connection (with a receive buffer of RCVBUF bytes
 *       when given), prints "accepted ID" and reads nothing until
 *       SIGUSR1; then copies the connection to OUT until the peer's
 *       FIN and prints the byte count.
 *   tcp_helper [-S PATH] unread HOST PORT
 *       Connects, waits (at most 20 s) until data has arrived, prints
 *       "data pending" and exits without reading it.
 *   tcp_helper [-S PATH] connect HOST PORT
 *       Connects (blocking) and prints the outcome: "connected" or the
 *       errno's name (ECONNREFUSED ...); exits 0 either way, 1 when the
 *       daemon cannot be reached.
 *   tcp_helper [-S PATH] nb-connect HOST PORT TIMEOUT_MS
 *       Connects with UTCP_NONBLOCK; prints "pending" or "ready" (was the
 *       descriptor writable at once?), waits (at most 30 s) for it to
 *       become writable and prints utcp_tcp_error()'s outcome as
 *       "connected" or the errno's name.
 *   tcp_helper [-S PATH] shut-rd HOST PORT
 *       Connects, reads the 6-byte greeting, shutdown(SHUT_RD)s, sends
 *       "ready\n", waits until the daemon's status shows 1000 bytes
 *       queued for the connection (what the peer sent after it), checks
 *       that reads give 0, sends "after\n" and prints "ok".
 *   tcp_helper [-S PATH] after-fin HOST PORT
 *       Connects, reads to EOF, sends "x", waits until the daemon has
 *       let go of the connection (the peer's RST; the end hangs up) and
 *       prints what a receive and then a send return: "recv 0 send
 *       EPIPE" on Linux.
 *   tcp_helper [-S PATH] wrong-kind HOST PORT
 *       utcp_send() on a TCP descriptor connected to HOST:PORT, then a
 *       plain write() on an unconnected UDP socket followed by
 *       utcp_recvfrom(): prints both errors' names.
 *
 * Every failure is a message on stderr and exit status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HELPER_NAME "tcp_helper"
#include "helper_common.h"

#define CHUNK (64 * 1024)

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Blocking send of the whole buffer over a connection. */
static void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = utcp_tcp_send(fd, p, len);

		if (n == -EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			poll(&pfd, 1, 1000);
			continue;
		}
		if (n < 0)
			die("send: %s", utcp_strerror((int)n));
		p += n;
		len -= (size_t)n;
	}
}

/* ---- get ------------------------------------------------------------ */

static int cmd_get(int argc, char **argv)
{
	static char buf[CHUNK + 8192 + 1];
	char req[1024];
	size_t have = 0, body = 0;
	long long clen = -1;
	bool in_body = false;
	struct utcp *u;
	int fd, code;
	char *end, *p;

	if (argc != 3)
		die("usage: get HOST PORT URLPATH");
	u = open_daemon();
	fd = utcp_tcp_connect(u, parse_host(argv[0]),
			      (uint16_t)parse_num(argv[1], 65535), 10000, NULL,
			      0, NULL);
	if (fd < 0)
		die("connect %s:%s: %s", argv[0], argv[1], utcp_strerror(fd));
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: tcp_helper\r\n"
		 "\r\n",
		 argv[2], argv[0], argv[1]);
	send_all(fd, req, strlen(req));
	for (;;) {
		/* Before the body: append to what holds the header so far
		 * (at most 8 KiB of it); then: one chunk at a time. */
		size_t off = in_body ? 0 : have;
		ssize_t n = utcp_tcp_recv(fd, buf + off, CHUNK, 0);

		if (n < 0)
			die("receive: %s (after %zu body bytes)",
			    utcp_strerror((int)n), body);
		if (n == 0)
			break;
		if (in_body) {
			write_all(STDOUT_FILENO, buf, (size_t)n);
			body += (size_t)n;
			continue;
		}
		have += (size_t)n;
		buf[have] = '\0';
		end = memmem(buf, have, "\r\n\r\n", 4);
		if (!end) {
			if (have > 8192)
				die("response header longer than 8 KiB");
			continue;
		}
		*end = '\0';
		if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1 || code != 200)
			die("bad response: %.200s", buf);
		p = strcasestr(buf, "\r\nContent-Length:");
		if (p)
			clen = strtoll(p + 17, NULL, 10);
		fprintf(stderr, "tcp_helper: %.*s, Content-Length %lld\n",
			(int)strcspn(buf, "\r"), buf, clen);
		in_body = true;
		end += 4;
		body = have - (size_t)(end - buf);
		write_all(STDOUT_FILENO, end, body);
	}
	close(fd);
	utcp_close(u);
	if (!in_body)
		die("connection closed before the end of the header");
	if (clen >= 0 && (long long)body != clen)
		die("body of %zu bytes, Content-Length %lld", body, clen);
	return 0;
}

/* ---- http-server ---------------------------------------------------- */

static int cmd_http_server(int argc, char **argv)
{
	static char buf[CHUNK];
	char req[8192], hdr[256];
	unsigned long count, i;
	struct utcp *u;
	struct stat stb;
	int lfd, fd, file;

	if (argc != 3)
		die("usage: http-server PORT FILE COUNT");
	count = parse_num(argv[2], 100000);
	file = open(argv[1], O_RDONLY);
	if (file < 0 || fstat(file, &stb) < 0)
		die("%s: %s", argv[1], strerror(errno));
	u = open_daemon();
	lfd = utcp_tcp_listen(u, (struct in_addr){.s_addr = INADDR_ANY},
			      (uint16_t)parse_num(argv[0], 65535), 16, NULL, 0,
			      NULL);
	if (lfd < 0)
		die("listen: %s", utcp_strerror(lfd));
	printf("listening\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		size_t rlen = 0;

		fd = utcp_tcp_accept(lfd, NULL, NULL, 0);
		if (fd < 0)
			die("accept: %s", utcp_strerror(fd));
		while (!memmem(req, rlen, "\r\n\r\n", 4)) {
			ssize_t n;

			if (rlen == sizeof(req))
				die("request header too long");
			n = utcp_tcp_recv(fd, req + rlen, sizeof(req) - rlen,
					  0);
			if (n <= 0)
				die("request: %s",
				    n ? utcp_strerror((int)n) : "early EOF");
			rlen += (size_t)n;
		}
		if (rlen < 4 || memcmp(req, "GET ", 4) != 0)
			die("not a GET: %.40s", req);
		snprintf(hdr, sizeof(hdr),
			 "HTTP/1.0 200 OK\r\nContent-Type: "
			 "application/octet-stream\r\nContent-Length: "
			 "%lld\r\nConnection: close\r\n\r\n",
			 (long long)stb.st_size);
		send_all(fd, hdr, strlen(hdr));
		if (lseek(file, 0, SEEK_SET) < 0)
			die("lseek: %s", strerror(errno));
		for (;;) {
			ssize_t n = read(file, buf, sizeof(buf));

			if (n < 0)
				die("read %s: %s", argv[1], strerror(errno));
			if (n == 0)
				break;
			send_all(fd, buf, (size_t)n);
		}
		if (shutdown(fd, SHUT_WR) < 0)
			die("shutdown: %s", strerror(errno));
		/* Until the client's FIN (it may send nothing more). */
		for (;;) {
			ssize_t n = utcp_tcp_recv(fd, buf, sizeof(buf), 0);

			if (n == 0)
				break;
			if (n < 0)
				die("after the response: %s",
				    utcp_strerror((int)n));
		}
		close(fd);
	}
	close(lfd);
	utcp_close(u);
	return 0;
}

/* ---- echo-server ---------------------------------------------------- */

struct echo_conn {
	int fd;
	size_t off, len; /* bytes of buf still to echo */
	bool eof;
	char *buf;
	unsigned long long bytes;
};

static int cmd_echo_server(int argc, char **argv)
{
	unsigned long count, accepted = 0, done = 0, open = 0, peak = 0, i;
	struct echo_conn *c;
	struct pollfd *pfd;
	struct utcp *u;
	int lfd;

	if (argc != 2)
		die("usage: echo-server PORT COUNT");
	count = parse_num(argv[1], 10000);
	c = calloc(count, sizeof(*c));
	pfd = calloc(count + 1, sizeof(*pfd));
	if (!c || !pfd)
		die("out of memory");
	u = open_daemon();
	lfd = utcp_tcp_listen(u, (struct in_addr){.s_addr = INADDR_ANY},
			      (uint16_t)parse_num(argv[0], 65535), 1024, NULL,
			      UTCP_NONBLOCK, NULL);
	if (lfd < 0)
		die("listen: %s", utcp_strerror(lfd));
	printf("listening\n");
	fflush(stdout);
	while (done < count) {
		pfd[0].fd = accepted < count ? lfd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < accepted; i++) {
			pfd[i + 1].fd = c[i].fd;
			pfd[i + 1].events =
			    (short)(c[i].len
					? POLLOUT
					: (c[i].eof ? 0 : POLLIN | POLLPRI));
		}
		if (poll(pfd, accepted + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[0].revents) {
			int fd =
			    utcp_tcp_accept(lfd, NULL, NULL, UTCP_NONBLOCK);

			if (fd >= 0) {
				c[accepted].fd = fd;
				c[accepted].buf = malloc(CHUNK);
				if (!c[accepted].buf)
					die("out of memory");
				accepted++;
				if (++open > peak)
					peak = open;
			} else if (fd != -EAGAIN) {
				die("accept: %s", utcp_strerror(fd));
			}
		}
		for (i = 0; i < accepted; i++) {
			struct echo_conn *e = &c[i];
			short re = pfd[i + 1].revents;
			ssize_t n;

			if (e->fd < 0 || !re)
				continue;
			if (e->len) {
				n = utcp_tcp_send(e->fd, e->buf + e->off,
						  e->len);
				if (n < 0 && n != -EAGAIN)
					die("connection %lu: send: %s", i,
					    utcp_strerror((int)n));
				if (n > 0) {
					e->off += (size_t)n;
					e->len -= (size_t)n;
				}
			} else if (!e->eof) {
				n = utcp_tcp_recv(e->fd, e->buf, CHUNK,
						  UTCP_NONBLOCK);
				if (n < 0 && n != -EAGAIN)
					die("connection %lu: receive: %s", i,
					    utcp_strerror((int)n));
				if (n == 0)
					e->eof = true;
				if (n > 0) {
					e->off = 0;
					e->len = (size_t)n;
					e->bytes += (unsigned long long)n;
				}
			}
			if (e->eof && !e->len) {
				if (shutdown(e->fd, SHUT_WR) < 0)
					die("connection %lu: shutdown: %s", i,
					    strerror(errno));
				close(e->fd);
				e->fd = -1;
				free(e->buf);
				done++;
				open--;
			}
		}
	}
	printf("echoed %lu connections, at most %lu open at once\n", done,
	       peak);
	close(lfd);
	utcp_close(u);
	free(c);
	free(pfd);
	return 0;
}

/* ---- echo-clients --------------------------------------------------- */

/* The content of connection i: xorshift64 seeded by i. */
static void fill(unsigned char *p, size_t len, unsigned long i)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (i + 1) ^ 0xdeadbeefcafef00dull;

	for (size_t k = 0; k < len; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[k] = (unsigned char)(x >> 24);
	}
}

struct client {
	int fd;
	unsigned char *data;
	size_t len, sent, rcvd;
	bool shut, done;
};

static int cmd_echo_clients(int argc, char **argv)
{
	static unsigned char buf[CHUNK];
	unsigned long count, bytes, i, done = 0, echoed = 0;
	bool shut = false;
	struct in_addr host;
	struct client *c;
	struct pollfd *pfd;
	struct utcp *u;
	uint16_t port;

	if (argc != 4)
		die("usage: echo-clients HOST PORT COUNT BYTES");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	count = parse_num(argv[2], 10000);
	bytes = parse_num(argv[3], 64ul << 20);
	c = calloc(count, sizeof(*c));
	pfd = calloc(count, sizeof(*pfd));
	if (!c || !pfd)
		die("out of memory");
	u = open_daemon();
	for (i = 0; i < count; i++) {
		c[i].len = bytes + 7 * i;
		c[i].data = malloc(c[i].len ? c[i].len : 1);
		if (!c[i].data)
			die("out of memory");
		fill(c[i].data, c[i].len, i);
		c[i].fd = utcp_tcp_connect(u, host, port, 20000, NULL,
					   UTCP_NONBLOCK, NULL);
		if (c[i].fd < 0)
			die("connection %lu: connect: %s", i,
			    utcp_strerror(c[i].fd));
	}
	while (done < count) {
		for (i = 0; i < count; i++) {
			pfd[i].fd = c[i].done ? -1 : c[i].fd;
			pfd[i].events =
			    (short)(POLLIN | POLLPRI |
				    (c[i].sent < c[i].len ? POLLOUT : 0));
		}
		if (poll(pfd, count, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (i = 0; i < count; i++) {
			struct client *k = &c[i];
			ssize_t n;

			if (k->done || !pfd[i].revents)
				continue;
			if (k->sent < k->len &&
			    (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
				n = utcp_tcp_send(k->fd, k->data + k->sent,
						  k->len - k->sent);
				if (n < 0 && n != -EAGAIN)
					die("connection %lu: send: %s", i,
					    utcp_strerror((int)n));
				if (n > 0)
					k->sent += (size_t)n;
			}
			if (!(pfd[i].revents &
			      (POLLIN | POLLPRI | POLLHUP | POLLERR)))
				continue;
			n = utcp_tcp_recv(k->fd, buf, sizeof(buf),
					  UTCP_NONBLOCK);
			if (n == -EAGAIN)
				continue;
			if (n < 0)
				die("connection %lu: receive: %s (after %zu "
				    "of %zu bytes)",
				    i, utcp_strerror((int)n), k->rcvd, k->len);
			if (n == 0) {
				if (!k->shut)
					die("connection %lu: EOF after %zu of "
					    "%zu bytes, before our FIN",
					    i, k->rcvd, k->len);
				close(k->fd);
				k->done = true;
				done++;
				continue;
			}
			if (k->rcvd + (size_t)n > k->len ||
			    memcmp(k->data + k->rcvd, buf, (size_t)n) != 0)
				die("connection %lu: echo differs at byte %zu",
				    i, k->rcvd);
			k->rcvd += (size_t)n;
			if (k->rcvd == k->len)
				echoed++;
		}
		/* Every echo complete: now half-close them all. */
		if (echoed == count && !shut) {
			for (i = 0; i < count; i++) {
				if (shutdown(c[i].fd, SHUT_WR) < 0)
					die("connection %lu: shutdown: %s", i,
					    strerror(errno));
				c[i].shut = true;
			}
			shut = true;
		}
	}
	printf("%lu connections echoed intact\n", done);
	utcp_close(u);
	for (i = 0; i < count; i++)
		free(c[i].data);
	free(c);
	free(pfd);
	return 0;
}

/* ---- sink ----------------------------------------------------------- */

static int cmd_sink(int argc, char **argv)
{
	static char buf[CHUNK];
	unsigned long long total = 0;
	struct utcp_tcp_opts opts = {0};
	struct utcp_tcp_info info;
	struct utcp *u;
	sigset_t set;
	int lfd, fd, out, sig;

	if (argc != 2 && argc != 3)
		die("usage: sink PORT OUT [RCVBUF]");
	if (argc == 3) {
		opts.set = UTCP_TCP_OPT_RCVBUF;
		opts.rcvbuf = (uint32_t)parse_num(argv[2], 64ul << 20);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die("%s: %s", argv[1], strerror(errno));
	u = open_daemon();
	lfd = utcp_tcp_listen(u, (struct in_addr){.s_addr = INADDR_ANY},
			      (uint16_t)parse_num(argv[0], 65535), 1, &opts, 0,
			      NULL);
	if (lfd < 0)
		die("listen: %s", utcp_strerror(lfd));
	printf("listening\n");
	fflush(stdout);
	fd = utcp_tcp_accept4(lfd, &info, 0);
	if (fd < 0)
		die("accept: %s", utcp_strerror(fd));
	close(lfd);
	printf("accepted %d\n", info.id);
	fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		die("sigwait");
	printf("reading\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = utcp_tcp_recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			die("receive: %s after %llu bytes",
			    utcp_strerror((int)n), total);
		if (n == 0)
			break;
		write_all(out, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	close(fd);
	close(out);
	utcp_close(u);
	printf("received %llu bytes\n", total);
	return 0;
}

/* ---- unread --------------------------------------------------------- */

static int cmd_unread(int argc, char **argv)
{
	struct pollfd pfd;
	struct utcp *u;
	int fd, r;

	if (argc != 2)
		die("usage: unread HOST PORT");
	u = open_daemon();
	fd = connect_args(u, argv, NULL, NULL);
	pfd.fd = fd;
	pfd.events = POLLIN;
	r = poll(&pfd, 1, 20000);
	if (r != 1)
		die("no data within 20 s");
	printf("data pending\n");
	fflush(stdout);
	utcp_close(u); /* the connection's descriptor stays open */
	return 0;      /* exit: it closes with the data unread */
}

/* ---- connect -------------------------------------------------------- */

static int cmd_connect(int argc, char **argv)
{
	struct utcp *u;
	int fd;

	if (argc != 2)
		die("usage: connect HOST PORT");
	u = open_daemon();
	fd = utcp_tcp_connect(u, parse_host(argv[0]),
			      (uint16_t)parse_num(argv[1], 65535), 10000, NULL,
			      0, NULL);
	if (fd >= 0) {
		printf("connected\n");
		close(fd);
	} else {
		const char *name = strerrorname_np(-fd);

		printf("%s\n", name ? name : "unknown");
	}
	utcp_close(u);
	return 0;
}

/* ---- socket semantics ----------------------------------------------- */

static const char *err_name(long err)
{
	const char *name = err < 0 ? strerrorname_np((int)-err) : NULL;

	return name ? name : err == 0 ? "0" : "unknown";
}

static int cmd_nb_connect(int argc, char **argv)
{
	struct pollfd pfd = {.events = POLLOUT};
	struct utcp *u;
	int fd, err;

	if (argc != 3)
		die("usage: nb-connect HOST PORT TIMEOUT_MS");
	u = open_daemon();
	fd = utcp_tcp_connect(
	    u, parse_host(argv[0]), (uint16_t)parse_num(argv[1], 65535),
	    (int)parse_num(argv[2], 600000), NULL, UTCP_NONBLOCK, NULL);
	if (fd < 0)
		die("connect: %s", utcp_strerror(fd));
	pfd.fd = fd;
	printf("%s ", poll(&pfd, 1, 0) == 1 ? "ready" : "pending");
	if (poll(&pfd, 1, 30000) != 1)
		die("not writable within 30 s");
	err = utcp_tcp_error(fd);
	printf("%s\n", err ? err_name(err) : "connected");
	close(fd);
	utcp_close(u);
	return 0;
}

/* Connection `id` as the daemon's status shows it, in *conn; false
 * when it is gone. */
static bool conn_in_daemon(struct utcp *u, int id, struct utcp_tcp_socket *conn)
{
	struct utcp_status *st;
	bool found = false;

	if (utcp_status(u, &st) != 0)
		die("status");
	for (size_t i = 0; i < st->n_tcp; i++)
		if (!st->tcp[i].listener && st->tcp[i].id == id) {
			*conn = st->tcp[i];
			found = true;
		}
	utcp_status_free(st);
	return found;
}

/* The daemon's receive queue of connection `id`, or -1 when gone. */
static long queued_in_daemon(struct utcp *u, int id)
{
	struct utcp_tcp_socket conn;

	return conn_in_daemon(u, id, &conn) ? (long)conn.recv_queue : -1;
}

/* Connection `id` is ESTABLISHED in the daemon. */
static bool established_in_daemon(struct utcp *u, int id)
{
	struct utcp_tcp_socket conn;

	return conn_in_daemon(u, id, &conn) &&
	       conn.state == UTCP_TCP_ESTABLISHED;
}

static int cmd_shut_rd(int argc, char **argv)
{
	struct utcp_tcp_info info;
	struct utcp *u;
	char buf[16];
	size_t got = 0;
	int fd, ms;

	if (argc != 2)
		die("usage: shut-rd HOST PORT");
	u = open_daemon();
	fd = connect_args(u, argv, NULL, &info);
	while (got < 6) {
		ssize_t n = utcp_tcp_recv(fd, buf + got, 6 - got, 0);

		if (n <= 0)
			die("greeting: %s", n ? utcp_strerror((int)n) : "EOF");
		got += (size_t)n;
	}
	if (shutdown(fd, SHUT_RD) < 0)
		die("shutdown: %s", strerror(errno));
	send_all(fd, "ready\n", 6);
	for (ms = 0; ms < 20000 && queued_in_daemon(u, info.id) != 1000; ms++)
		usleep(1000);
	if (queued_in_daemon(u, info.id) != 1000)
		die("the daemon does not hold the 1000 bytes: %ld",
		    queued_in_daemon(u, info.id));
	if (utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK) != 0)
		die("a read after SHUT_RD did not give 0");
	send_all(fd, "after\n", 6);
	printf("ok\n");
	fflush(stdout);
	/* wait for the peer to close first (its FIN: CLOSE-WAIT): closing
	 * with the 1000 bytes unread would be a RST (as on Linux). The
	 * descriptor shows no sign of it: after SHUT_RD its read side is
	 * shut already, and POLLHUP needs both. */
	for (ms = 0; ms < 20000 && established_in_daemon(u, info.id); ms++)
		usleep(1000);
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_after_fin(int argc, char **argv)
{
	struct pollfd pfd = {.events = 0};
	struct utcp *u;
	char buf[64];
	ssize_t n, r;
	int fd;

	if (argc != 2)
		die("usage: after-fin HOST PORT");
	u = open_daemon();
	fd = connect_args(u, argv, NULL, NULL);
	while ((n = utcp_tcp_recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n != 0)
		die("before EOF: %s", utcp_strerror((int)n));
	if (utcp_tcp_send(fd, "x", 1) != 1)
		die("send after EOF failed");
	pfd.fd = fd;
	if (poll(&pfd, 1, 20000) != 1 || !(pfd.revents & POLLHUP))
		die("the connection did not end within 20 s");
	r = utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK);
	n = utcp_tcp_send(fd, "y", 1);
	printf("recv %s send %s\n", r == 0 ? "0" : err_name(r), err_name(n));
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_wrong_kind(int argc, char **argv)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
	struct utcp *u;
	char buf[16];
	ssize_t a, b;
	int fd, ufd;

	if (argc != 2)
		die("usage: wrong-kind HOST PORT");
	u = open_daemon();
	fd = connect_args(u, argv, NULL, NULL);
	a = utcp_send(fd, "abc", 3);
	ufd = utcp_udp_bind(u, any, 0, 0);
	if (ufd < 0)
		die("udp: %s", utcp_strerror(ufd));
	if (write(ufd, "abc", 3) != 3)
		die("write");
	b = utcp_recvfrom(ufd, buf, sizeof(buf), NULL, NULL);
	printf("%s %s\n", err_name(a), err_name(b));
	close(ufd);
	close(fd);
	utcp_close(u);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct helper_cmd cmds[] = {
	    {"get", cmd_get},
	    {"http-server", cmd_http_server},
	    {"echo-server", cmd_echo_server},
	    {"echo-clients", cmd_echo_clients},
	    {"sink", cmd_sink},
	    {"unread", cmd_unread},
	    {"connect", cmd_connect},
	    {"nb-connect", cmd_nb_connect},
	    {"shut-rd", cmd_shut_rd},
	    {"after-fin", cmd_after_fin},
	    {"wrong-kind", cmd_wrong_kind},
	};

	return helper_main(argc, argv, cmds, sizeof(cmds) / sizeof(cmds[0]));
}
