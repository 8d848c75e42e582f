/*
 * utcp-nc.c - netcat over utcpd
 *
 *     utcp-nc [-S PATH] [-p PORT] HOST PORT                 TCP client
 *     utcp-nc [-S PATH] -l -p PORT [HOST]                   TCP server
 *     utcp-nc [-S PATH] -u [-b BYTES] [-p PORT] HOST PORT   UDP send
 *     utcp-nc [-S PATH] -u -l -p PORT [-b BYTES] [HOST [PORT]]  UDP listen
 *
 * TCP: the client connects to HOST:PORT (from local port -p), the server
 * accepts one connection on HOST (default any) port -p, then both copy
 * stdin to the connection and the connection to stdout. At stdin EOF
 * they send FIN (shutdown(SHUT_WR)) and go on reading; they exit 0 once
 * the peer's FIN has arrived and everything was sent, and 1 with a
 * message when the connection fails (refused, reset, timed out).
 *
 * UDP (-u) copies stdin to a utcpd UDP socket and the socket to stdout. Each
 * read() from stdin, up to NC_CHUNK_DEFAULT bytes (or -b BYTES, at most
 * UTCP_UDP_PAYLOAD_MAX), is one datagram; each datagram received is
 * written to stdout whole.
 *
 * Client mode connects the socket to HOST:PORT (-p picks the local
 * port) and exits 0 at stdin EOF, or 1 when the peer reports an error
 * (ICMP port unreachable: "Connection refused"). Listen mode binds
 * HOST (default any) and the port of -p (or PORT); stdin goes to the
 * peer heard from last (dropped before anyone spoke), and it runs until
 * killed, also past stdin EOF. Bad arguments: one line saying what is
 * wrong and to try --help, exit 2; --help and --version go to stdout.
 *
 * HOST, where it is a peer to connect or send to, is a dotted IPv4
 * address or a name, looked up through the daemon (utcp_resolve, IPv4
 * addresses only): TCP tries each address in turn
 * (utcp_tcp_connect_name), UDP sends to the first. A failed lookup is
 * "utcp-nc: NAME: <gai_strerror>" and exit 1. A local address (-l
 * HOST) stays a dotted address.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_opt.h"
#include "utcp.h"

#define NC_CHUNK_DEFAULT 1400
#define NC_TCP_BUF	 (64 * 1024)
#define NC_BACKLOG	 1

#ifndef UTCP_VERSION
#define UTCP_VERSION "unknown"
#endif

static void usage(void)
{
	printf("usage: utcp-nc [-S PATH] [-p PORT] HOST PORT\n"
	       "       utcp-nc [-S PATH] -l -p PORT [HOST]\n"
	       "       utcp-nc [-S PATH] -u [-b BYTES] [-p PORT] HOST PORT\n"
	       "       utcp-nc [-S PATH] -u -l -p PORT [-b BYTES] [HOST "
	       "[PORT]]\n"
	       "       utcp-nc -h|--help | -V|--version\n"
	       "netcat over utcpd.\n"
	       "  -S PATH  the daemon's control socket\n"
	       "  -b BYTES (UDP) the largest datagram made from stdin "
	       "(1400)\n"
	       "  -u       UDP instead of TCP\n"
	       "  -l       listen: TCP accepts one connection; UDP replies\n"
	       "           go to the last peer heard from\n"
	       "  -p PORT  the local port\n"
	       "See utcp-nc(1).\n");
}

/* A bad command line: `what` and where to look, one line; exit 2. */
static void usage_error(const char *what)
{
	fprintf(stderr, "utcp-nc: %s; try 'utcp-nc --help'\n", what);
	exit(2);
}

/* Parses a port 1..65535 (0 too when allow_zero). */
static uint16_t parse_port(const char *s, bool allow_zero)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 65535 || (v == 0 && !allow_zero) ||
	    *s == '-' || *s == '+') {
		char what[64];

		snprintf(what, sizeof(what), "bad port '%.20s'", s);
		usage_error(what);
	}
	return (uint16_t)v;
}

/* Parses a datagram size 1..UTCP_UDP_PAYLOAD_MAX. */
static size_t parse_size(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UTCP_UDP_PAYLOAD_MAX ||
	    *s == '-' || *s == '+') {
		char what[64];

		snprintf(what, sizeof(what), "bad size '%.20s' (1..%d)", s,
			 UTCP_UDP_PAYLOAD_MAX);
		usage_error(what);
	}
	return v;
}

static struct in_addr parse_host(const char *s)
{
	struct in_addr a;

	if (utcp_parse_addr(s, &a) != 0) {
		char what[80];

		snprintf(what, sizeof(what), "bad address '%.32s' (a.b.c.d)",
			 s);
		usage_error(what);
	}
	return a;
}

/* A lookup's failure: its message, and exit 1. */
static void lookup_failed(const char *host, int gai_err)
{
	if (gai_err == EAI_SYSTEM)
		fprintf(stderr, "utcp-nc: %s: %s: %s\n", host,
			gai_strerror(gai_err), strerror(errno));
	else
		fprintf(stderr, "utcp-nc: %s: %s\n", host,
			gai_strerror(gai_err));
	exit(1);
}

/* The IPv4 addresses of the peer `host` (at most max): itself when it
 * is a dotted address, else those the daemon's resolver finds. Returns
 * how many (at least 1); exits after a message when the lookup fails
 * or finds no IPv4 address. */
static size_t resolve_host(struct utcp *u, const char *host,
			   struct in_addr *out, size_t max)
{
	struct utcp_lookup *l;
	size_t n = 0;
	int err;

	if (utcp_parse_addr(host, &out[0]) == 0)
		return 1;
	err = utcp_resolve(u, host, AF_INET, &l);
	if (err)
		lookup_failed(host, err);
	for (size_t i = 0; i < l->n && n < max; i++)
		if (l->addrs[i].family == AF_INET)
			out[n++] = l->addrs[i].addr.v4;
	utcp_lookup_free(l);
	if (n == 0)
		lookup_failed(host, EAI_NODATA);
	return n;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copies stdin to the connection and the connection to stdout until
 * both directions are closed: stdin EOF sends FIN once what was read
 * has gone, the peer's FIN ends the other direction. Returns 0, or 1
 * after a message when the connection fails.
 */
static int tcp_copy(int fd)
{
	static uint8_t in[NC_TCP_BUF], out[NC_TCP_BUF];
	size_t pending = 0, off = 0;
	bool stdin_open = true, fin_sent = false, peer_eof = false;
	bool hung_up = false; /* the daemon closed its end, no error */
	struct pollfd pfd[2];

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		perror("utcp-nc: fcntl");
		return 1;
	}
	while (!(peer_eof && fin_sent)) {
		ssize_t n;

		if (!stdin_open && pending == 0 && !fin_sent) {
			if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN) {
				n = utcp_tcp_error(fd);
				fprintf(stderr, "utcp-nc: shutdown: %s\n",
					utcp_strerror(n ? (int)n : -errno));
				return 1;
			}
			fin_sent = true;
			continue;
		}
		/* After the peer's FIN only an error (POLLPRI) or room to
		 * send matter; after a hang-up without one, only room (else
		 * poll would return at once, forever). */
		pfd[0].fd = (!hung_up || pending) ? fd : -1;
		pfd[0].events =
		    (short)((peer_eof ? POLLPRI : POLLIN | POLLPRI) |
			    (pending ? POLLOUT : 0));
		pfd[1].fd = stdin_open && pending == 0 ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("utcp-nc: poll");
			return 1;
		}
		if (pfd[0].revents & (POLLIN | POLLPRI | POLLHUP | POLLERR) &&
		    !hung_up) {
			n = utcp_tcp_recv(fd, out, sizeof(out), UTCP_NONBLOCK);
			if (n == 0) {
				if (peer_eof && (pfd[0].revents & POLLHUP))
					hung_up = true;
				peer_eof = true;
			} else if (n > 0) {
				if (write_all(STDOUT_FILENO, out, (size_t)n)) {
					perror("utcp-nc: stdout");
					return 1;
				}
			} else if (n != -EAGAIN) {
				fprintf(stderr, "utcp-nc: receive: %s\n",
					utcp_strerror((int)n));
				return 1;
			}
		}
		if (pending &&
		    (pfd[0].revents & (POLLOUT | POLLHUP | POLLERR))) {
			n = utcp_tcp_send(fd, in + off, pending);
			if (n < 0 && n != -EAGAIN) {
				fprintf(stderr, "utcp-nc: send: %s\n",
					utcp_strerror((int)n));
				return 1;
			}
			if (n > 0) {
				off += (size_t)n;
				pending -= (size_t)n;
			}
		}
		if (pfd[1].fd >= 0 && pfd[1].revents) {
			n = read(STDIN_FILENO, in, sizeof(in));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n < 0)
					perror("utcp-nc: stdin");
				stdin_open = false;
			} else {
				pending = (size_t)n;
				off = 0;
			}
		}
	}
	return 0;
}

/* Connects to host:remote_port, trying each of its addresses, from
 * local_port (0: any). Returns the descriptor, or exits 1 after a
 * message. */
static int tcp_connect_host(struct utcp *u, const char *host,
			    uint16_t local_port, uint16_t remote_port)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
	struct in_addr addrs[UTCP_RESOLVE_ADDRS_MAX];
	int fd = -EHOSTUNREACH, gai_err = 0;
	size_t n;

	if (local_port == 0) {
		fd = utcp_tcp_connect_name(u, host, remote_port, 0, NULL, NULL,
					   &gai_err);
		if (gai_err)
			lookup_failed(host, gai_err);
	} else {
		n = resolve_host(u, host, addrs, UTCP_RESOLVE_ADDRS_MAX);
		for (size_t i = 0; i < n; i++) {
			fd = utcp_tcp_open(u, any, local_port, addrs[i],
					   remote_port, 0, NULL, 0, NULL);
			if (fd >= 0 || fd == -EADDRINUSE || fd == -EACCES)
				break;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "utcp-nc: connect to %s:%u: %s\n", host,
			remote_port, utcp_strerror(fd));
		exit(1);
	}
	return fd;
}

/* TCP client (connect to host:remote_port) or server (listen_mode:
 * accept one connection on local:local_port). */
static int run_tcp(struct utcp *u, bool listen_mode, struct in_addr local,
		   uint16_t local_port, const char *host, uint16_t remote_port)
{
	int fd, lfd, ret;

	if (listen_mode) {
		lfd = utcp_tcp_listen(u, local, local_port, NC_BACKLOG, NULL, 0,
				      NULL);
		if (lfd < 0) {
			fprintf(stderr, "utcp-nc: listen on port %u: %s\n",
				local_port, utcp_strerror(lfd));
			return 1;
		}
		fd = utcp_tcp_accept(lfd, NULL, NULL, 0);
		close(lfd);
		if (fd < 0) {
			fprintf(stderr, "utcp-nc: accept: %s\n",
				utcp_strerror(fd));
			return 1;
		}
	} else {
		fd = tcp_connect_host(u, host, local_port, remote_port);
	}
	ret = tcp_copy(fd);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static uint8_t buf[UTCP_UDP_PAYLOAD_MAX];
	const char *path = NULL;
	bool udp = false, listen_mode = false, have_peer = false;
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	bool stdin_open = true;
	struct in_addr local = {.s_addr = htonl(INADDR_ANY)};
	struct in_addr remote = {.s_addr = htonl(INADDR_ANY)};
	struct in_addr peer = remote;
	uint16_t local_port = 0, remote_port = 0, peer_port = 0;
	size_t chunk = NC_CHUNK_DEFAULT;
	const char *host = NULL; /* the peer, client modes */
	struct pollfd pfd[2];
	struct utcp *u;
	int opt, fd, err;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":S:ulp:b:hV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'S':
			path = optarg;
			break;
		case 'u':
			udp = true;
			break;
		case 'l':
			listen_mode = true;
			break;
		case 'p':
			local_port = parse_port(optarg, false);
			break;
		case 'b':
			chunk = parse_size(optarg);
			break;
		case 'h':
			usage();
			return fflush(stdout) == 0 ? 0 : 1;
		case 'V':
			printf("utcp-nc %s\n", UTCP_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		case ':':
		default: {
			char what[80], letter[3];

			snprintf(what, sizeof(what),
				 opt == ':' ? "option '%.40s' needs a value"
					    : "unknown option '%.40s'",
				 opt == ':'
				     ? argv[optind - 1]
				     : refused_option("SulpbhV", argv, letter));
			usage_error(what);
		}
		}
	}
	argc -= optind;
	argv += optind;
	if (listen_mode) {
		if (argc > (udp ? 2 : 1))
			usage_error("too many arguments");
		if (argc >= 1)
			local = parse_host(argv[0]);
		if (argc == 2 && local_port == 0)
			local_port = parse_port(argv[1], false);
		if (local_port == 0)
			usage_error("-l needs a port (-p PORT)");
	} else {
		if (argc != 2)
			usage_error("HOST and PORT are needed");
		host = argv[0];
		remote_port = parse_port(argv[1], false);
	}

	u = utcp_open(path, &err);
	if (!u) {
		fprintf(stderr, "utcp-nc: cannot reach utcpd: %s\n",
			utcp_strerror(err));
		return 1;
	}
	if (!udp) {
		int ret = run_tcp(u, listen_mode, local, local_port, host,
				  remote_port);

		utcp_close(u);
		return ret;
	}
	if (host)
		(void)resolve_host(u, host, &remote, 1);
	fd = utcp_udp_open(u, local, local_port, remote, remote_port, 0, NULL);
	if (fd < 0) {
		fprintf(stderr, "utcp-nc: udp socket: %s\n", utcp_strerror(fd));
		utcp_close(u);
		return 1;
	}

	for (;;) {
		ssize_t n;

		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = stdin_open ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("utcp-nc: poll");
			break;
		}
		if (pfd[0].revents) {
			n = utcp_recvfrom(fd, buf, sizeof(buf), &peer,
					  &peer_port);
			if (n == -ECONNREFUSED || n == -EHOSTUNREACH ||
			    n == -ENETUNREACH) {
				fprintf(stderr, "utcp-nc: %s\n",
					utcp_strerror((int)n));
				if (!listen_mode)
					goto fail;
			} else if (n < 0 && n != -EAGAIN) {
				fprintf(stderr, "utcp-nc: receive: %s\n",
					utcp_strerror((int)n));
				goto fail;
			} else if (n >= 0) {
				have_peer = true;
				if (write_all(STDOUT_FILENO, buf, (size_t)n)) {
					perror("utcp-nc: stdout");
					goto fail;
				}
			}
		}
		if (stdin_open && pfd[1].revents) {
			n = read(STDIN_FILENO, buf, chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n < 0)
					perror("utcp-nc: stdin");
				if (!listen_mode)
					break; /* client: done at EOF */
				stdin_open = false;
				continue;
			}
			if (listen_mode && !have_peer)
				continue; /* nobody to send to yet */
			n = listen_mode ? utcp_sendto(fd, buf, (size_t)n, peer,
						      peer_port)
					: utcp_send(fd, buf, (size_t)n);
			if (n < 0) {
				fprintf(stderr, "utcp-nc: send: %s\n",
					utcp_strerror((int)n));
				goto fail;
			}
		}
	}
	close(fd);
	utcp_close(u);
	return 0;
fail:
	close(fd);
	utcp_close(u);
	return 1;
}
