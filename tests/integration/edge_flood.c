/*
 * edge_flood.c - a hostile application for tcp_hostile_edges: it makes
 * the daemon read its end one byte per call
 *
 *   edge_flood IP PORT CONNS PROCS KIND STOPFILE
 *
 * Run under utcp-run: opens CONNS connections to IP:PORT, then fork()s
 * into PROCS processes, each writing on its share of the connections as
 * fast as they take it, without blocking, until STOPFILE exists. KIND
 * is what each write is:
 *   fds     one byte carrying a descriptor (SCM_RIGHTS): each ends a
 *           read of the daemon's end after its byte;
 *   urgent  one byte, then an urgent byte (MSG_OOB): the same.
 * Prints the bytes written (all processes) when it stops. Exit status 0,
 * or 1 with a message (a connection refused, a bad argument).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONNS_MAX 1024

static int send_fd_byte(int fd, int passed)
{
	char byte = 'f';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passed, sizeof(int));
	return (int)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Writes on fds[0..n) until every one is full or the stop file is
 * there; returns the bytes written. */
static long flood(const int *fds, int n, int urgent, const char *stop)
{
	struct pollfd pfd[CONNS_MAX];
	int passed = STDIN_FILENO;
	long total = 0;

	while (access(stop, F_OK) != 0) {
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < 256; k++) {
				int r =
				    urgent
					? (int)send(fds[i], "u", 1,
						    MSG_DONTWAIT | MSG_NOSIGNAL)
					: send_fd_byte(fds[i], passed);

				if (r > 0 && urgent)
					r = (int)send(fds[i], "!", 1,
						      MSG_OOB | MSG_DONTWAIT |
							  MSG_NOSIGNAL);
				if (r <= 0)
					break;
				total++;
			}
			pfd[i] =
			    (struct pollfd){.fd = fds[i], .events = POLLOUT};
		}
		(void)poll(pfd, (nfds_t)n, 100);
	}
	return total;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fds[CONNS_MAX], conns, procs, urgent, share, first, fd[2];
	long total;

	if (argc != 7 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: edge_flood IP PORT CONNS PROCS "
				"fds|urgent STOPFILE\n");
		return 1;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	conns = atoi(argv[3]);
	procs = atoi(argv[4]);
	urgent = strcmp(argv[5], "urgent") == 0;
	if (conns < 1 || conns > CONNS_MAX || procs < 1 || procs > conns) {
		fprintf(stderr, "edge_flood: bad CONNS or PROCS\n");
		return 1;
	}
	for (int i = 0; i < conns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sin,
					  sizeof(sin)) != 0) {
			perror("edge_flood: connect");
			return 1;
		}
	}
	/* Each process reports its count through the pipe. */
	if (pipe(fd) != 0) {
		perror("edge_flood: pipe");
		return 1;
	}
	share = conns / procs;
	for (int p = 1; p < procs; p++) {
		if (fork() == 0) {
			first = p * share;
			total = flood(fds + first,
				      p == procs - 1 ? conns - first : share,
				      urgent, argv[6]);
			if (write(fd[1], &total, sizeof(total)) < 0)
				_exit(1);
			_exit(0);
		}
	}
	close(fd[1]);
	total = flood(fds, share, urgent, argv[6]);
	for (int p = 1; p < procs; p++) {
		long theirs;

		if (read(fd[0], &theirs, sizeof(theirs)) == sizeof(theirs))
			total += theirs;
	}
	while (wait(NULL) > 0)
		;
	printf("%ld\n", total);
	return 0;
}
