/*
 * install_client.c - a program built against an installed libutcp
 *
 * tests/integration/install.sh compiles it with `pkg-config --cflags
 * --libs utcp` against the files `meson install` put in a DESTDIR, and
 * runs it against the installed daemon. Usage: install_client HOST PORT
 * MESSAGE: connects through the daemon named by $UTCPD_SOCKET, sends
 * MESSAGE, reads as many bytes back (the peer echoes), prints them and
 * exits 0 when they are the same; 1 with a message otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utcp.h>

int main(int argc, char **argv)
{
	struct in_addr addr;
	struct utcp *u;
	char back[256];
	size_t len, got = 0;
	int err = 0, fd;

	if (argc != 4 || utcp_parse_addr(argv[1], &addr) < 0 ||
	    (len = strlen(argv[3])) >= sizeof(back)) {
		fprintf(stderr, "usage: install_client HOST PORT MESSAGE\n");
		return 1;
	}
	u = utcp_open(NULL, &err);
	if (!u) {
		fprintf(stderr, "utcp_open: %s\n", utcp_strerror(err));
		return 1;
	}
	fd = utcp_tcp_connect(u, addr, (uint16_t)atoi(argv[2]), 5000, NULL, 0,
			      NULL);
	if (fd < 0) {
		fprintf(stderr, "utcp_tcp_connect: %s\n", utcp_strerror(fd));
		return 1;
	}
	if (utcp_tcp_send(fd, argv[3], len) != (ssize_t)len) {
		fprintf(stderr, "utcp_tcp_send: short\n");
		return 1;
	}
	while (got < len) {
		ssize_t n = utcp_tcp_recv(fd, back + got, len - got, 0);

		if (n <= 0) {
			fprintf(stderr, "utcp_tcp_recv: %s\n",
				n ? utcp_strerror((int)n) : "end of stream");
			return 1;
		}
		got += (size_t)n;
	}
	back[got] = '\0';
	printf("%s\n", back);
	close(fd);
	utcp_close(u);
	return strcmp(back, argv[3]) == 0 ? 0 : 1;
}
