/*
 * preload_io.c - utcp-run: the data calls (read, write, send, recv and
 * their vector, message, mmsg and fortified forms, ioctl's FIONREAD)
 *
 * See preload.c's theory of operation, "Data calls". Each call reads
 * its descriptor's mark first (one relaxed load, preload.h's fd_mark):
 * with none, it is the C library's own call, so the descriptors that
 * are not ours, and TCP connections once their error was taken, pay
 * that load and nothing else. A UDP descriptor's call is translated to
 * its datagram channel by preload_udp.c. A TCP connection whose error
 * no call has taken has its reads look for that error first
 * (before_read) and its writes sent with MSG_NOSIGNAL, so that one that
 * fails with EPIPE can give the connection's error instead, once, and
 * only then EPIPE with SIGPIPE, as Linux does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
				socklen_t *);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int (*real_recvmmsg)(int, struct mmsghdr *, unsigned, int,
			    struct timespec *);
static ssize_t (*real_read_chk)(int, void *, size_t, size_t);
static ssize_t (*real_recv_chk)(int, void *, size_t, size_t, int);
static ssize_t (*real_recvfrom_chk)(int, void *, size_t, size_t, int,
				    struct sockaddr *, socklen_t *);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static int (*real_sendmmsg)(int, struct mmsghdr *, unsigned, int);
static int (*real_ioctl)(int, unsigned long, ...);

void preload_io_init(void)
{
	real_read = next_symbol("read");
	real_readv = next_symbol("readv");
	real_recv = next_symbol("recv");
	real_recvfrom = next_symbol("recvfrom");
	real_recvmsg = next_symbol("recvmsg");
	real_recvmmsg = next_symbol("recvmmsg");
	real_read_chk = next_symbol("__read_chk");
	real_recv_chk = next_symbol("__recv_chk");
	real_recvfrom_chk = next_symbol("__recvfrom_chk");
	real_write = next_symbol("write");
	real_writev = next_symbol("writev");
	real_send = next_symbol("send");
	real_sendto = next_symbol("sendto");
	real_sendmsg = next_symbol("sendmsg");
	real_sendmmsg = next_symbol("sendmmsg");
	real_ioctl = next_symbol("ioctl");
}

/* ---- TCP: a failure is an error, not the end --------------------------- */

/* preload.h */
int take_tcp_error(int fd)
{
	struct usock s;
	int err;

	err = -utcp_tcp_error(fd);
	if (err <= 0 || err == ENOTSOCK || !table_lookup(fd, &s) ||
	    s.error_taken)
		return 0;
	s.error_taken = true;
	table_store(fd, &s);
	return err;
}

/*
 * Before a read of a connection: waits for something to read unless
 * the read would not wait (O_NONBLOCK, MSG_DONTWAIT), then, when the
 * connection's error is next, takes it. The wait is a blocking peek of
 * one byte, in the kernel as the read's own would be: SO_RCVTIMEO
 * (EAGAIN) and a signal handler's SA_RESTART (the wait goes on) or its
 * absence (EINTR) are Linux's (a poll() would fail with EINTR after any
 * handler). The peek returns at the urgent byte or at the end of the
 * stream that follows it, without taking either. Returns 0 (go on and
 * read) or -1 with errno: the connection's error, or the peek's.
 */
static int before_read(int fd, int flags)
{
	/* utcp_tcp_error() reads too (MSG_OOB): not into here again */
	static __thread bool inside;
	int fl, taken, err = 0;
	char byte;

	if (inside || (flags & MSG_OOB))
		return 0;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK) && !(flags & MSG_DONTWAIT) &&
	    real_recv(fd, &byte, 1, MSG_PEEK) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return -1; /* a handler, or SO_RCVTIMEO passed */
		if (errno == ENOTSOCK)
			return 0; /* closed behind our back: not ours now */
		err =
		    errno; /* taken by the peek: the read's unless the mark's */
	}
	if (sockatmark(fd) != 1)
		return err ? fail_with(err) : 0;
	inside = true;
	taken = take_tcp_error(fd);
	inside = false;
	if (taken)
		err = taken;
	return err ? fail_with(err) : 0;
}

/* A read's mark check: whether fd is a connection to look at first. */
static inline bool tcp_marked(int fd)
{
	return fd_mark_of(fd) & FD_MARK_TCP;
}

/* preload.h */
int take_tcp_reset_behind_data(int fd, bool write_failed)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLRDHUP};
	struct usock s;

	/* SO_ERROR's guess must not be wrong (a healthy connection said
	 * to be reset): not for a connection a copy of which may be in
	 * another process, whose shutdown() this table would not know.
	 * A write that failed keeps the guess: ECONNRESET rather than
	 * EPIPE with SIGPIPE. */
	if (!table_lookup(fd, &s) || s.state != USOCK_CONNECTED || s.shut_wr ||
	    s.error_taken || s.opts_unknown || (!write_failed && s.shared))
		return 0;
	if (!write_failed) {
		/* Sends nothing: fails with EPIPE once the daemon shut its
		 * end for reading, succeeds otherwise. */
		if (real_send(fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL) == 0 ||
		    errno != EPIPE)
			return 0;
		/* Bytes wait to be read and the stream has not ended (after
		 * the peer's FIN a failure has no errno: docs/design.md). */
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN) ||
		    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return 0;
	}
	return table_take_reset(fd, write_failed) ? ECONNRESET : 0;
}

/*
 * After a write (sent with MSG_NOSIGNAL) to a connection returned n:
 * for EPIPE, the connection's error when no call took it yet (with a
 * failure behind received bytes: take_tcp_reset_behind_data), else
 * EPIPE with SIGPIPE unless the caller's flags have MSG_NOSIGNAL.
 */
static ssize_t tcp_written(int fd, ssize_t n, int flags)
{
	int err;

	if (n >= 0 || errno != EPIPE)
		return n;
	err = take_tcp_error(fd);
	if (!err)
		err = take_tcp_reset_behind_data(fd, true);
	if (err)
		return fail_with(err);
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE); /* the calling thread's, as the kernel's */
	return fail_with(EPIPE);
}

/* ---- UDP --------------------------------------------------------------- */

static inline bool udp_marked(int fd)
{
	return fd_mark_of(fd) & FD_MARK_UDP;
}

/* recv() on a UDP descriptor, without the source. */
static ssize_t udp_recv(int fd, void *buf, size_t len, int flags,
			struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	return udp_recvmsg(fd, &iov, 1, flags, from, fromlen, NULL);
}

/* send() on a UDP descriptor. */
static ssize_t udp_send(int fd, const void *buf, size_t len, int flags,
			const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return udp_sendmsg(fd, &iov, 1, flags, to, tolen);
}

/* ---- reads ------------------------------------------------------------- */

ssize_t read(int fd, void *buf, size_t len)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP)
		return udp_recv(fd, buf, len, 0, NULL, NULL);
	if ((mark & FD_MARK_TCP) && len && before_read(fd, 0) < 0)
		return -1;
	return real_read(fd, buf, len);
}

/* readv() and writev() of more than IOV_MAX iovecs fail with EINVAL
 * before anything else (where sendmsg() and recvmsg() give EMSGSIZE):
 * those and a negative count go to the C library's. */
ssize_t readv(int fd, const struct iovec *iov, int n)
{
	PRELOAD_READY();
	unsigned mark = n >= 0 && n <= IOV_MAX ? fd_mark_of(fd) : 0;

	if (mark & FD_MARK_UDP)
		return udp_recvmsg(fd, iov, (size_t)n, 0, NULL, NULL, NULL);
	if ((mark & FD_MARK_TCP) && n > 0 && before_read(fd, 0) < 0)
		return -1;
	return real_readv(fd, iov, n);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP)
		return udp_recv(fd, buf, len, flags, NULL, NULL);
	if ((mark & FD_MARK_TCP) && len && before_read(fd, flags) < 0)
		return -1;
	return real_recv(fd, buf, len, flags);
}

ssize_t recvfrom(int fd, void *__restrict buf, size_t len, int flags,
		 __SOCKADDR_ARG addr, socklen_t *__restrict alen)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP)
		return udp_recv(fd, buf, len, flags, SA(addr), alen);
	if ((mark & FD_MARK_TCP) && len && before_read(fd, flags) < 0)
		return -1;
	return real_recvfrom(fd, buf, len, flags, SA(addr), alen);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);
	ssize_t n;

	if (mark & FD_MARK_UDP) {
		if (!msg)
			return fail_with(EFAULT);
		msg->msg_flags = 0;
		n = udp_recvmsg(fd, msg->msg_iov, msg->msg_iovlen, flags,
				msg->msg_name, &msg->msg_namelen,
				&msg->msg_flags);
		if (n >= 0) {
			msg->msg_controllen = 0; /* no ancillary data */
			if (!msg->msg_name)
				msg->msg_namelen = 0; /* as the kernel */
		}
		return n;
	}
	if ((mark & FD_MARK_TCP) && before_read(fd, flags) < 0)
		return -1;
	return real_recvmsg(fd, msg, flags);
}

int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
	     struct timespec *timeout)
{
	PRELOAD_READY();
	if (udp_marked(fd))
		return udp_recvmmsg(fd, vec, vlen, flags, timeout);
	if (tcp_marked(fd) && before_read(fd, flags) < 0)
		return -1;
	return real_recvmmsg(fd, vec, vlen, flags, timeout);
}

/* The C library's fortified entry points (_FORTIFY_SOURCE): a length
 * beyond the buffer goes to the C library's, which stops the program. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *__restrict buf, size_t len, size_t buflen,
		       int flags, __SOCKADDR_ARG addr,
		       socklen_t *__restrict alen);

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if ((mark & FD_MARK_UDP) && len <= buflen)
		return udp_recv(fd, buf, len, 0, NULL, NULL);
	if ((mark & FD_MARK_TCP) && len && before_read(fd, 0) < 0)
		return -1;
	return real_read_chk(fd, buf, len, buflen);
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if ((mark & FD_MARK_UDP) && len <= buflen)
		return udp_recv(fd, buf, len, flags, NULL, NULL);
	if ((mark & FD_MARK_TCP) && len && before_read(fd, flags) < 0)
		return -1;
	return real_recv_chk(fd, buf, len, buflen, flags);
}

ssize_t __recvfrom_chk(int fd, void *__restrict buf, size_t len, size_t buflen,
		       int flags, __SOCKADDR_ARG addr,
		       socklen_t *__restrict alen)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if ((mark & FD_MARK_UDP) && len <= buflen)
		return udp_recv(fd, buf, len, flags, SA(addr), alen);
	if ((mark & FD_MARK_TCP) && len && before_read(fd, flags) < 0)
		return -1;
	return real_recvfrom_chk(fd, buf, len, buflen, flags, SA(addr), alen);
}

/* ---- writes ------------------------------------------------------------ */

ssize_t write(int fd, const void *buf, size_t len)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP)
		return udp_send(fd, buf, len, 0, NULL, 0);
	if (mark & FD_MARK_TCP)
		return tcp_written(fd, real_send(fd, buf, len, MSG_NOSIGNAL),
				   0);
	return real_write(fd, buf, len);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	PRELOAD_READY();
	unsigned mark = n >= 0 && n <= IOV_MAX ? fd_mark_of(fd) : 0;
	struct msghdr msg = {.msg_iov = (struct iovec *)iov};

	if (mark & FD_MARK_UDP)
		return udp_sendmsg(fd, iov, (size_t)n, 0, NULL, 0);
	if (mark & FD_MARK_TCP) {
		msg.msg_iovlen = (size_t)n;
		return tcp_written(fd, real_sendmsg(fd, &msg, MSG_NOSIGNAL), 0);
	}
	return real_writev(fd, iov, n);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP)
		return udp_send(fd, buf, len, flags, NULL, 0);
	if (mark & FD_MARK_TCP)
		return tcp_written(
		    fd, real_send(fd, buf, len, flags | MSG_NOSIGNAL), flags);
	return real_send(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       __CONST_SOCKADDR_ARG addr, socklen_t alen)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP)
		return udp_send(fd, buf, len, flags, SA(addr), alen);
	if (mark & FD_MARK_TCP)
		return tcp_written(fd,
				   real_sendto(fd, buf, len,
					       flags | MSG_NOSIGNAL, SA(addr),
					       alen),
				   flags);
	return real_sendto(fd, buf, len, flags, SA(addr), alen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);

	if (mark & FD_MARK_UDP) {
		if (!msg)
			return fail_with(EFAULT);
		/* a name of length 0 is none, as the kernel takes it */
		return udp_sendmsg(fd, msg->msg_iov, msg->msg_iovlen, flags,
				   msg->msg_namelen ? msg->msg_name : NULL,
				   msg->msg_namelen);
	}
	if (msg && msg->msg_controllen)
		table_mark_sent(msg); /* before the receiver may use them */
	if (mark & FD_MARK_TCP)
		return tcp_written(
		    fd, real_sendmsg(fd, msg, flags | MSG_NOSIGNAL), flags);
	return real_sendmsg(fd, msg, flags);
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
	PRELOAD_READY();
	unsigned mark = fd_mark_of(fd);
	int n;

	if (mark & FD_MARK_UDP)
		return udp_sendmmsg(fd, vec, vlen, flags);
	for (unsigned i = 0; vec && i < vlen; i++)
		if (vec[i].msg_hdr.msg_controllen)
			table_mark_sent(&vec[i].msg_hdr);
	if (mark & FD_MARK_TCP) {
		n = real_sendmmsg(fd, vec, vlen, flags | MSG_NOSIGNAL);
		return n > 0 ? n : (int)tcp_written(fd, n, flags);
	}
	return real_sendmmsg(fd, vec, vlen, flags);
}

/* ---- ioctl -------------------------------------------------------------- */

/* ioctl()'s third argument is taken as a pointer-sized value and passed
 * on as such, as fcntl()'s (preload.c). */
int ioctl(int fd, unsigned long req, ...)
{
	PRELOAD_READY();
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == FIONREAD && udp_marked(fd)) {
		if (!arg)
			return fail_with(EFAULT);
		return udp_fionread(fd, arg);
	}
	return real_ioctl(fd, req, arg);
}

/* ---- shutdown ----------------------------------------------------------- */

/* A UDP socket's shutdown() is recorded, not passed to its channel
 * (whose end closed would close the socket in the daemon); a TCP
 * socket's is preload.c's (a listener's is Linux's). */
int shutdown(int fd, int how)
{
	PRELOAD_READY();
	if (udp_marked(fd))
		return udp_shutdown(fd, how);
	return tcp_shutdown(fd, how);
}
