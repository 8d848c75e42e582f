/*
 * control_limits_helper.c - a client of control_limits.sh that takes
 * all it may of the control socket
 *
 * Commands (the socket is the first argument):
 *   control_limits_helper SOCK hello COUNT
 *       Opens COUNT control connections with libutcp (each says HELLO
 *       and then sits idle), prints "held H refused R: ERROR" (R those
 *       refused, ERROR utcp_strerror of the first refusal) and sleeps
 *       until killed, holding them.
 *   control_limits_helper SOCK idle COUNT
 *       Connects COUNT times without saying anything, then waits (at
 *       most 30 s) until the daemon has closed every one that it did
 *       not refuse at once, and prints "idle COUNT closed C".
 *   control_limits_helper SOCK udp COUNT
 *       Over one control connection, binds COUNT UDP sockets to
 *       ephemeral ports, prints "opened N" and, when one was refused,
 *       ": ERROR", then sleeps until killed, holding them.
 *   control_limits_helper SOCK bind PORT
 *       Binds one UDP socket to PORT; prints "bound PORT" or
 *       "refused PORT: ERROR".
 *   control_limits_helper SOCK listen PORT
 *       Listens on TCP port PORT; prints "listening PORT" or
 *       "refused PORT: ERROR".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "utcp.h"

static const char *sock_path;

static void __attribute__((noreturn)) die(const char *what, const char *arg)
{
	fprintf(stderr, "control_limits_helper: %s%s\n", what, arg);
	exit(1);
}

static struct utcp *open_daemon(void)
{
	int err;
	struct utcp *u = utcp_open(sock_path, &err);

	if (!u)
		die("cannot reach utcpd: ", utcp_strerror(err));
	return u;
}

static void __attribute__((noreturn)) hold_forever(void)
{
	fflush(stdout);
	for (;;)
		pause();
}

static int cmd_hello(int count)
{
	struct utcp **u = calloc((size_t)count, sizeof(*u));
	int held = 0, refused = 0, first = 0;

	if (!u)
		die("out of memory", "");
	for (int i = 0; i < count; i++) {
		int err = 0;

		u[i] = utcp_open(sock_path, &err);
		if (u[i]) {
			held++;
		} else {
			if (!first)
				first = err;
			refused++;
		}
	}
	printf("held %d refused %d: %s\n", held, refused,
	       first ? utcp_strerror(first) : "none");
	hold_forever();
}

static int cmd_idle(int count)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int *fds = calloc((size_t)count, sizeof(*fds));
	int closed = 0, open_now;
	time_t end = time(NULL) + 30;

	if (!fds || strlen(sock_path) >= sizeof(addr.sun_path))
		die("bad socket path or out of memory", "");
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	for (int i = 0; i < count; i++) {
		fds[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			die("socket: ", strerror(errno));
		if (connect(fds[i], (struct sockaddr *)&addr, sizeof(addr)) < 0)
			die("connect: ", strerror(errno));
	}
	/* A refused one gets an ERROR and EOF; the others EOF alone, at
	 * the HELLO timeout. */
	do {
		open_now = 0;
		for (int i = 0; i < count; i++) {
			struct pollfd p = {.fd = fds[i], .events = POLLIN};
			char buf[64];

			if (fds[i] < 0)
				continue;
			if (poll(&p, 1, 0) == 1) {
				ssize_t n = recv(fds[i], buf, sizeof(buf),
						 MSG_DONTWAIT);

				if (n == 0 || (n < 0 && errno != EAGAIN)) {
					close(fds[i]);
					fds[i] = -1;
					closed++;
					continue;
				}
			}
			open_now++;
		}
		if (open_now)
			usleep(20 * 1000);
	} while (open_now && time(NULL) < end);
	printf("idle %d closed %d\n", count, closed);
	for (int i = 0; i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

static int cmd_udp(int count)
{
	struct utcp *u = open_daemon();
	struct in_addr any = {0};
	int opened = 0, err = 0;

	for (int i = 0; i < count; i++) {
		int fd = utcp_udp_bind(u, any, 0, 0);

		if (fd < 0) {
			err = fd;
			break;
		}
		opened++;
	}
	if (err)
		printf("opened %d: %s\n", opened, utcp_strerror(err));
	else
		printf("opened %d\n", opened);
	hold_forever();
}

static int cmd_bind(int port)
{
	struct utcp *u = open_daemon();
	struct in_addr any = {0};
	int fd = utcp_udp_bind(u, any, (uint16_t)port, 0);

	if (fd < 0)
		printf("refused %d: %s\n", port, utcp_strerror(fd));
	else
		printf("bound %d\n", port);
	utcp_close(u);
	return 0;
}

static int cmd_listen(int port)
{
	struct utcp *u = open_daemon();
	struct in_addr any = {0};
	int fd = utcp_tcp_listen(u, any, (uint16_t)port, 4, NULL, 0, NULL);

	if (fd < 0)
		printf("refused %d: %s\n", port, utcp_strerror(fd));
	else
		printf("listening %d\n", port);
	utcp_close(u);
	return 0;
}

int main(int argc, char **argv)
{
	int n;

	if (argc != 4)
		die("usage: SOCK hello|idle|udp COUNT, or SOCK bind|listen "
		    "PORT",
		    "");
	sock_path = argv[1];
	n = atoi(argv[3]);
	if (n <= 0 || n > 100000)
		die("bad count ", argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[2], "hello") == 0)
		return cmd_hello(n);
	if (strcmp(argv[2], "idle") == 0)
		return cmd_idle(n);
	if (strcmp(argv[2], "udp") == 0)
		return cmd_udp(n);
	if (strcmp(argv[2], "bind") == 0)
		return cmd_bind(n);
	if (strcmp(argv[2], "listen") == 0)
		return cmd_listen(n);
	die("unknown command ", argv[2]);
}
