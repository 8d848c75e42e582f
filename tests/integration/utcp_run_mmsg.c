/*
 * utcp_run_mmsg.c - utcp_run_udp's C program, run under utcp-run: the
 * UDP calls python3's socket module does not make. Against the kernel's
 * echo server (utcp_run_udp_peer.py echo) at HOST PORT:
 *   - sendmmsg() of three datagrams, unconnected (each msg_name set);
 *     recvmmsg() with MSG_WAITFORONE until the three answers came, each
 *     with its length and source;
 *   - two more, taken by one blocking recvmmsg() with a timeout;
 *   - connected: write() and read(), writev() of two buffers and readv()
 *     into two;
 *   - the iovec limit (UIO_MAXIOV, 1024): sendmsg() and recvmsg() of
 *     1024 one-byte iovecs, and of 1025 (EMSGSIZE, nothing sent or
 *     taken).
 * It prints one line for each, for the test to compare; a failed call
 * prints its errno's name and exits with status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("%s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

/* Sends each of texts[0..n) to *to in one sendmmsg(). */
static void send_all(int fd, const char *const *texts, unsigned n,
		     struct sockaddr_in *to)
{
	struct mmsghdr v[8];
	struct iovec iov[8];
	int sent;

	memset(v, 0, sizeof(v));
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = (void *)texts[i];
		iov[i].iov_len = strlen(texts[i]);
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
		v[i].msg_hdr.msg_name = to;
		v[i].msg_hdr.msg_namelen = sizeof(*to);
	}
	sent = sendmmsg(fd, v, n, 0);
	if (sent < 0)
		die("sendmmsg");
	printf("sent %d", sent);
	for (int i = 0; i < sent; i++)
		printf(" %u", v[i].msg_len);
	printf("\n");
}

/* Receives into v[0..n): each a 64-byte buffer and a source. */
static int receive(int fd, struct mmsghdr *v, char (*bufs)[64],
		   struct iovec *iov, struct sockaddr_in *from, unsigned n,
		   int flags, struct timespec *timeout)
{
	memset(v, 0, n * sizeof(*v));
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = 63;
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
		v[i].msg_hdr.msg_name = &from[i];
		v[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	return recvmmsg(fd, v, n, flags, timeout);
}

/* sendmsg() and recvmsg() at the iovec limit and one beyond. */
static int iov_limit(int fd)
{
	static struct iovec many[1025];
	static char bytes[1025];
	struct msghdr m = {.msg_iov = many};
	ssize_t sent, over_sent, over_got, got;
	int over_send_err, over_recv_err, same = 1;

	memset(bytes, 'i', sizeof(bytes));
	for (int i = 0; i < 1025; i++)
		many[i] = (struct iovec){.iov_base = &bytes[i], .iov_len = 1};
	m.msg_iovlen = 1025;
	over_sent = sendmsg(fd, &m, 0);
	over_send_err = errno;
	m.msg_iovlen = 1024;
	sent = sendmsg(fd, &m, 0);
	if (sent < 0)
		die("sendmsg of 1024 iovecs");
	memset(bytes, 0, sizeof(bytes));
	m.msg_iovlen = 1025;
	over_got = recvmsg(fd, &m, 0);
	over_recv_err = errno;
	m.msg_iovlen = 1024;
	got = recvmsg(fd, &m, 0);
	if (got < 0)
		die("recvmsg into 1024 iovecs");
	for (int i = 0; i < 1024; i++)
		same &= bytes[i] == 'I';
	printf("iovecs: 1025 %zd %s, 1024 %zd; 1025 %zd %s, 1024 %zd %s\n",
	       over_sent, strerrorname_np(over_send_err), sent, over_got,
	       strerrorname_np(over_recv_err), got, same ? "same" : "differ");
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const first[] = {"one", "two", "three"};
	static const char *const second[] = {"four", "five"};
	struct sockaddr_in peer = {.sin_family = AF_INET}, from[8];
	struct timespec timeout = {.tv_sec = 10};
	struct mmsghdr v[8];
	struct iovec iov[8];
	char bufs[8][64], a[3], b[16];
	int fd, n, got = 0;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
		fprintf(stderr, "usage: utcp_run_mmsg HOST PORT\n");
		return 2;
	}
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");

	send_all(fd, first, 3, &peer);
	/* At most three calls: each returns at least one answer. */
	for (int calls = 0; got < 3 && calls < 3; calls++) {
		n = receive(fd, v, bufs, iov, from, 8, MSG_WAITFORONE, NULL);
		if (n < 0)
			die("recvmmsg");
		for (int i = 0; i < n; i++, got++) {
			bufs[i][v[i].msg_len] = 0;
			printf("%s %u %s\n", bufs[i], v[i].msg_len,
			       from[i].sin_addr.s_addr ==
					   peer.sin_addr.s_addr &&
				       from[i].sin_port == peer.sin_port &&
				       v[i].msg_hdr.msg_namelen == sizeof(peer)
				   ? "from-peer"
				   : "from-elsewhere");
		}
	}

	send_all(fd, second, 2, &peer);
	n = receive(fd, v, bufs, iov, from, 2, 0, &timeout);
	if (n < 0)
		die("recvmmsg with a timeout");
	printf("got %d", n);
	for (int i = 0; i < n; i++) {
		bufs[i][v[i].msg_len] = 0;
		printf(" %s", bufs[i]);
	}
	printf(" %s\n", timeout.tv_sec <= 10 ? "timeout-left" : "timeout?");

	if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		die("connect");
	if (write(fd, "write", 5) != 5)
		die("write");
	n = (int)read(fd, bufs[0], 63);
	if (n < 0)
		die("read");
	printf("read %.*s\n", n, bufs[0]);
	iov[0] = (struct iovec){.iov_base = "wri", .iov_len = 3};
	iov[1] = (struct iovec){.iov_base = "tev", .iov_len = 3};
	if (writev(fd, iov, 2) != 6)
		die("writev");
	iov[0] = (struct iovec){.iov_base = a, .iov_len = sizeof(a)};
	iov[1] = (struct iovec){.iov_base = b, .iov_len = sizeof(b)};
	n = (int)readv(fd, iov, 2);
	if (n < 0)
		die("readv");
	printf("readv %d %.3s %.*s\n", n, a, n - 3, b);
	return iov_limit(fd);
}
