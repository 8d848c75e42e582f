/*
 * sock_helper.c - libutcp programs for the socket-semantics tests
 *
 * Each command prints what a kernel socket's user would look at, one
 * line, for the script to compare with what Linux gives:
 *
 *   sock_helper [-S PATH] udp-connect HOST PORT
 *       Opens a UDP socket connected to HOST:PORT and prints "ok" or the
 *       errno's name (ENETUNREACH ...).
 *   sock_helper [-S PATH] udp-error HOST PORT connected|unconnected
 *       Sends one datagram to HOST:PORT, waits (at most 20 s) until the
 *       socket has something to read (an error packet), then sends a
 *       second and prints its outcome: "sent" or the errno's name.
 *   sock_helper [-S PATH] fill HOST PORT [SNDBUF]
 *       Connects (with a send buffer of SNDBUF bytes when given) to a
 *       peer that does not read and writes without blocking until the
 *       descriptor has stayed unwritable for 1 s; prints the bytes
 *       write() accepted.
 *   sock_helper [-S PATH] opts HOST PORT TOS TTL MAXSEG LINGER
 *       Connects with IP_TOS, IP_TTL and TCP_MAXSEG set (and SO_LINGER
 *       with a time of 0 when LINGER is 1), prints the options read
 *       back ("tos T ttl T maxseg M linger L"), sends 3000 bytes and
 *       closes the descriptor.
 *   sock_helper [-S PATH] udp-opts HOST PORT TOS TTL
 *       Opens a UDP socket connected to HOST:PORT, sets its IP_TOS and
 *       IP_TTL and sends one datagram; prints "sent".
 *   sock_helper [-S PATH] listen-any
 *       Listens without a port, prints "port N", accepts one
 *       connection, prints "accepted" and whether the connection's
 *       descriptor is O_NONBLOCK ("nonblock 0") when the listener is,
 *       then echoes it until EOF.
 *   sock_helper [-S PATH] request-read HOST PORT
 *       Connects, writes one byte with write() and reads with read()
 *       until it returns 0 or fails; prints "eof" or the errno's name.
 *   sock_helper [-S PATH] peercred HOST PORT N
 *       Makes N connections with a blocking descriptor, then N with a
 *       non-blocking one (UTCP_NONBLOCK), all open at once, and prints
 *       for each the uid SO_PEERCRED reports on the application's end
 *       (the process that made the pair), one a line: "uid U".
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
#include <unistd.h>

#define HELPER_NAME "sock_helper"
#include "helper_common.h"

/* Prints an outcome: "ok" for 0 and up, else the errno's name. */
static void print_outcome(long ret, const char *ok)
{
	const char *name;

	if (ret >= 0) {
		printf("%s\n", ok);
		return;
	}
	name = strerrorname_np((int)-ret);
	printf("%s\n", name ? name : "unknown");
}

static int cmd_udp_connect(int argc, char **argv)
{
	struct utcp *u;
	int fd;

	if (argc != 2)
		die("usage: udp-connect HOST PORT");
	u = open_daemon();
	fd = utcp_udp_connect(u, parse_host(argv[0]),
			      (uint16_t)parse_num(argv[1], 65535), 0);
	print_outcome(fd, "ok");
	if (fd >= 0)
		close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_udp_error(int argc, char **argv)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)}, host;
	struct pollfd pfd = {.events = POLLIN};
	struct utcp *u;
	uint16_t port;
	bool connected;
	ssize_t n;
	int fd;

	if (argc != 3)
		die("usage: udp-error HOST PORT connected|unconnected");
	host = parse_host(argv[0]);
	port = (uint16_t)parse_num(argv[1], 65535);
	connected = strcmp(argv[2], "connected") == 0;
	u = open_daemon();
	fd = connected ? utcp_udp_connect(u, host, port, 0)
		       : utcp_udp_bind(u, any, 0, 0);
	if (fd < 0)
		die("udp socket: %s", utcp_strerror(fd));
	n = connected ? utcp_send(fd, "one", 3)
		      : utcp_sendto(fd, "one", 3, host, port);
	if (n != 3)
		die("first send: %s", utcp_strerror((int)n));
	pfd.fd = fd;
	if (poll(&pfd, 1, 20000) != 1)
		die("no error within 20 s");
	n = connected ? utcp_send(fd, "two", 3)
		      : utcp_sendto(fd, "two", 3, host, port);
	print_outcome(n, "sent");
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_fill(int argc, char **argv)
{
	static char chunk[4096];
	struct utcp_tcp_opts opts = {0};
	struct pollfd pfd = {.events = POLLOUT};
	unsigned long long total = 0;
	struct utcp *u;
	int fd;

	if (argc != 2 && argc != 3)
		die("usage: fill HOST PORT [SNDBUF]");
	if (argc == 3) {
		opts.set = UTCP_TCP_OPT_SNDBUF;
		opts.sndbuf = (uint32_t)parse_num(argv[2], 64u << 20);
	}
	u = open_daemon();
	fd = utcp_tcp_connect(u, parse_host(argv[0]),
			      (uint16_t)parse_num(argv[1], 65535), 10000, &opts,
			      UTCP_NONBLOCK, NULL);
	if (fd < 0)
		die("connect: %s", utcp_strerror(fd));
	memset(chunk, 'x', sizeof(chunk));
	pfd.fd = fd;
	for (;;) {
		ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);

		if (n > 0) {
			total += (unsigned long long)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			die("send: %s", strerror(errno));
		/* Full: done once it stays full (the daemon has taken
		 * all the stack's send buffer will hold). */
		if (poll(&pfd, 1, 1000) == 0)
			break;
	}
	printf("%llu\n", total);
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_request_read(int argc, char **argv)
{
	char buf[256];
	struct utcp *u;
	ssize_t n;
	int fd;

	if (argc != 2)
		die("usage: request-read HOST PORT");
	u = open_daemon();
	fd = connect_args(u, argv, NULL, NULL);
	if (write(fd, "?", 1) != 1)
		die("write: %s", strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		;
	puts(n == 0 ? "eof" : strerrorname_np(errno));
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_peercred(int argc, char **argv)
{
	struct ucred cred;
	socklen_t len;
	struct utcp *u;
	unsigned long n;
	int fds[64];

	if (argc != 3)
		die("usage: peercred HOST PORT N");
	n = parse_num(argv[2], 32);
	u = open_daemon();
	for (unsigned long i = 0; i < 2 * n; i++) {
		fds[i] = utcp_tcp_connect(
		    u, parse_host(argv[0]), (uint16_t)parse_num(argv[1], 65535),
		    10000, NULL, i < n ? 0 : UTCP_NONBLOCK, NULL);
		if (fds[i] < 0)
			die("connect %lu: %s", i, utcp_strerror(fds[i]));
		len = sizeof(cred);
		if (getsockopt(fds[i], SOL_SOCKET, SO_PEERCRED, &cred, &len) <
		    0)
			die("SO_PEERCRED: %s", strerror(errno));
		printf("uid %u\n", (unsigned)cred.uid);
	}
	for (unsigned long i = 0; i < 2 * n; i++)
		close(fds[i]);
	utcp_close(u);
	return 0;
}

static int cmd_opts(int argc, char **argv)
{
	static char data[3000];
	struct utcp_tcp_opts o = {0}, got;
	struct utcp_tcp_info info;
	struct utcp *u;
	int fd, err;

	if (argc != 6)
		die("usage: opts HOST PORT TOS TTL MAXSEG LINGER");
	o.set = UTCP_TCP_OPT_TOS | UTCP_TCP_OPT_TTL | UTCP_TCP_OPT_MAXSEG |
		UTCP_TCP_OPT_LINGER;
	o.tos = (uint8_t)parse_num(argv[2], 255);
	o.ttl = (uint8_t)parse_num(argv[3], 255);
	o.maxseg = (uint32_t)parse_num(argv[4], 65535);
	o.linger = parse_num(argv[5], 1) == 1;
	o.linger_s = 0;
	u = open_daemon();
	fd = connect_args(u, argv, &o, &info);
	err = utcp_tcp_getopt(u, info.id, &got);
	if (err)
		die("getopt: %s", utcp_strerror(err));
	printf("tos %u ttl %u maxseg %u linger %d\n", got.tos, got.ttl,
	       got.maxseg, got.linger);
	fflush(stdout);
	memset(data, 'o', sizeof(data));
	if (utcp_tcp_send(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		die("send failed");
	/* Wait until the peer has acknowledged it all (sent, and nothing
	 * queued: a status may come before the daemon took the bytes from
	 * the socketpair), so that a linger-0 close resets an idle
	 * connection, not one with data queued or an ACK in flight. */
	for (int i = 0; i < 200; i++) {
		struct utcp_status *st;
		bool idle = false;

		if (utcp_status(u, &st) != 0)
			die("status failed");
		for (size_t k = 0; k < st->n_tcp; k++)
			if (!st->tcp[k].listener && st->tcp[k].id == info.id)
				idle = st->tcp[k].bytes_sent >= sizeof(data) &&
				       st->tcp[k].send_queue == 0;
		utcp_status_free(st);
		if (idle)
			break;
		poll(NULL, 0, 50);
	}
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_udp_opts(int argc, char **argv)
{
	struct utcp_udp_opts o = {.set = UTCP_UDP_OPT_TOS | UTCP_UDP_OPT_TTL};
	struct utcp_udp_info info;
	struct utcp *u;
	int fd, err;

	if (argc != 4)
		die("usage: udp-opts HOST PORT TOS TTL");
	o.tos = (uint8_t)parse_num(argv[2], 255);
	o.ttl = (uint8_t)parse_num(argv[3], 255);
	u = open_daemon();
	fd = utcp_udp_open(u, (struct in_addr){htonl(INADDR_ANY)}, 0,
			   parse_host(argv[0]),
			   (uint16_t)parse_num(argv[1], 65535), 0, &info);
	if (fd < 0)
		die("udp open: %s", utcp_strerror(fd));
	err = utcp_udp_setopt(u, info.id, &o);
	if (err)
		die("udp setopt: %s", utcp_strerror(err));
	print_outcome(utcp_send(fd, "marked", 6), "sent");
	close(fd);
	utcp_close(u);
	return 0;
}

static int cmd_listen_any(int argc, char **argv)
{
	struct utcp_tcp_info info;
	struct pollfd pfd = {.events = POLLIN};
	char buf[4096];
	struct utcp *u;
	int lfd, fd;
	ssize_t n;

	if (argc != 0)
		die("usage: listen-any");
	u = open_daemon();
	lfd = utcp_tcp_listen(u, (struct in_addr){htonl(INADDR_ANY)}, 0, 4,
			      NULL, UTCP_NONBLOCK, &info);
	if (lfd < 0)
		die("listen: %s", utcp_strerror(lfd));
	printf("port %u\n", info.local_port);
	fflush(stdout);
	pfd.fd = lfd;
	if (poll(&pfd, 1, 20000) != 1)
		die("no connection within 20 s");
	fd = utcp_tcp_accept4(lfd, &info, 0);
	if (fd < 0)
		die("accept: %s", utcp_strerror(fd));
	printf("accepted\nnonblock %d\n",
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	fflush(stdout);
	while ((n = utcp_tcp_recv(fd, buf, sizeof(buf), 0)) > 0)
		if (utcp_tcp_send(fd, buf, (size_t)n) != n)
			die("echo failed");
	close(fd);
	close(lfd);
	utcp_close(u);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct helper_cmd cmds[] = {
	    {"udp-connect", cmd_udp_connect},
	    {"udp-error", cmd_udp_error},
	    {"fill", cmd_fill},
	    {"opts", cmd_opts},
	    {"listen-any", cmd_listen_any},
	    {"udp-opts", cmd_udp_opts},
	    {"request-read", cmd_request_read},
	    {"peercred", cmd_peercred},
	};

	return helper_main(argc, argv, cmds, sizeof(cmds) / sizeof(cmds[0]));
}
