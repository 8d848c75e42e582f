/*
 * preload_udp.c - utcp-run: IPv4 UDP sockets through utcpd
 *
 * See preload.c's theory of operation, "UDP". In short: socket() makes
 * a kernel UDP placeholder (state USOCK_UDP_NEW); bind(), connect() or
 * the first send (an implicit bind to any:0, as Linux's) open the
 * daemon's socket (UTCP_OWN_FD: it belongs to its descriptor) and put
 * it in the placeholder's place with dup3() (state USOCK_UDP). Its
 * descriptor is a SEQPACKET channel carrying one datagram per packet
 * behind ipc.h's 12-byte header (the peer's address and port, or an
 * error), which the data calls here add and take off. connect() on a
 * socket that has the daemon's reopens it, connected, on the same
 * local address and port; connect(AF_UNSPEC) reopens it unconnected
 * (or returns to a placeholder, when no bind() chose the port).
 * Options are recorded in the entry: IP_TOS and IP_TTL also go to the
 * daemon's socket (utcp_udp_setopt_fd); the others are only read back.
 *
 * udp_lock serializes the changes of state (bind, connect, the implicit
 * bind), so two threads' first sends make one socket; it is taken
 * before the control connection's and the table's locks, and around
 * fork() (pthread_atfork, registered after preload.c's, so its prepare
 * handler runs first).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "preload.h"

_Static_assert(IPC_UDP_PAYLOAD_MAX == UTCP_UDP_PAYLOAD_MAX,
	       "one payload limit");

/* Linux's defaults and limits of SO_RCVBUF and SO_SNDBUF (net.core's
 * rmem_default / rmem_max, and the floors), as getsockopt() gives them:
 * setsockopt()'s value, capped at the maximum, doubled. */
#define UDP_BUF_DEFAULT 212992
#define UDP_BUF_MAX	212992
#define UDP_RCVBUF_MIN	2304
#define UDP_SNDBUF_MIN	4608
/* Linux's IP_TTL when none was set (net.ipv4.ip_default_ttl). */
#define UDP_TTL_DEFAULT 64
/* The iovecs a datagram may have (UIO_MAXIOV), the header's one more. */
#define UDP_IOV_MAX 1024

static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static pthread_mutex_t udp_lock = PTHREAD_MUTEX_INITIALIZER;

static void udp_before_fork(void)
{
	pthread_mutex_lock(&udp_lock);
}

static void udp_after_fork(void)
{
	pthread_mutex_unlock(&udp_lock);
}

void preload_udp_init(void)
{
	real_recvmsg = next_symbol("recvmsg");
	real_sendmsg = next_symbol("sendmsg");
	pthread_atfork(udp_before_fork, udp_after_fork, udp_after_fork);
}

/* ---- opening the daemon's socket ----------------------------------- */

/* Copies the receive and send timeouts (kept by the descriptor) from
 * the placeholder to the daemon's descriptor that replaces it. */
static void copy_timeouts(int from, int to)
{
	static const int names[] = {SO_RCVTIMEO, SO_SNDTIMEO};
	struct timeval tv;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		socklen_t len = sizeof(tv);

		if (real_getsockopt(from, SOL_SOCKET, names[i], &tv, &len) ==
			0 &&
		    (tv.tv_sec || tv.tv_usec))
			real_setsockopt(to, SOL_SOCKET, names[i], &tv, len);
	}
}

/*
 * Opens the daemon's socket on local (any address / port 0: the
 * daemon's choice), connected to remote when its port is not 0, and
 * puts it in fd's place; *s becomes its entry, stored. Returns 0 or a
 * positive errno (the open's, as Linux's bind or connect gives it).
 * Called with udp_lock held.
 */
static int udp_open(int fd, struct usock *s, struct sockaddr_in local,
		    struct sockaddr_in remote)
{
	struct utcp_udp_info info;
	struct utcp *u;
	int uflags, dflags, nfd, err;

	u = get_handle(&err);
	if (!u)
		return open_errno(err);
	fd_flags(fd, &uflags, &dflags);
	nfd = utcp_udp_open(u, local.sin_addr, ntohs(local.sin_port),
			    remote.sin_addr, ntohs(remote.sin_port),
			    uflags | UTCP_OWN_FD, &info);
	if (nfd < 0)
		return control_errno(u, nfd);
	copy_timeouts(fd, nfd);
	if (s->udp_opts.set &&
	    (err = utcp_udp_setopt_fd(u, info.id, nfd, &s->udp_opts)) != 0) {
		real_close(nfd);
		return control_errno(u, err);
	}
	/* the placeholder's epoll sets watch the daemon's socket after */
	if (replace(fd, nfd, dflags, s) < 0)
		return errno;
	s->state = USOCK_UDP;
	s->id = info.id;
	s->local = make_sin(info.local_addr, info.local_port);
	s->remote = remote.sin_port ? remote : make_sin((struct in_addr){0}, 0);
	return table_store(fd, s);
}

/* Puts a fresh kernel placeholder in fd's place (a disconnect of a
 * socket no bind() gave a port: Linux unbinds it). Returns 0 or errno. */
static int udp_unbind(int fd, struct usock *s)
{
	int uflags, dflags, nfd;

	fd_flags(fd, &uflags, &dflags);
	nfd = real_socket(
	    AF_INET, SOCK_DGRAM | (uflags & UTCP_NONBLOCK ? SOCK_NONBLOCK : 0),
	    0);
	if (nfd < 0)
		return errno;
	copy_timeouts(fd, nfd);
	if (replace(fd, nfd, dflags, NULL) < 0)
		return errno;
	s->state = USOCK_UDP_NEW;
	s->id = -1;
	s->local = make_sin((struct in_addr){0}, 0);
	s->remote = s->local;
	s->udp_error = 0;
	return table_store(fd, s);
}

/* The implicit bind of a first send on a placeholder: any:0. Fills *s
 * with fd's entry after. Returns 0 or a positive errno. */
static int udp_autobind(int fd, struct usock *s)
{
	struct sockaddr_in any = make_sin((struct in_addr){0}, 0);
	int err = 0;

	pthread_mutex_lock(&udp_lock);
	if (!table_lookup(fd, s) || !usock_is_udp(s))
		err = EBADF;		    /* closed meanwhile */
	else if (s->state == USOCK_UDP_NEW) /* bind()'s address, if any */
		err = udp_open(fd, s, make_sin(s->bind_addr, 0), any);
	pthread_mutex_unlock(&udp_lock);
	return err;
}

/* Closes fd's daemon socket (a placeholder takes the number) and opens
 * it again on local, connected to remote when its port is not 0: the
 * daemon frees the port when it sees the channel closed, which comes
 * apart from the open's request, so a port still in use is asked again
 * for a while. Returns 0 or a positive errno. Called with udp_lock. */
static int udp_reopen(int fd, struct usock *s, struct sockaddr_in local,
		      struct sockaddr_in remote)
{
	struct timespec pause = {.tv_nsec = 1000000};
	int err;

	err = udp_unbind(fd, s);
	for (int tries = 0; !err; tries++) {
		err = udp_open(fd, s, local, remote);
		if (err != EADDRINUSE || tries == 1000)
			break;
		nanosleep(&pause, NULL);
		err = 0;
	}
	return err;
}

int udp_bind(int fd, struct usock *s, const struct sockaddr_in *sin,
	     socklen_t len)
{
	int err;

	if (!sin || len < sizeof(*sin))
		return fail_with(EINVAL);
	if (sin->sin_family != AF_INET)
		return fail_with(EAFNOSUPPORT);
	if (loopback_refused(sin->sin_addr))
		return fail_with(EADDRNOTAVAIL);
	pthread_mutex_lock(&udp_lock);
	if (!table_lookup(fd, s) || !usock_is_udp(s)) {
		err = EBADF; /* closed meanwhile */
	} else if (s->state != USOCK_UDP_NEW) {
		err = EINVAL; /* bound already, as Linux */
	} else if (is_loopback(sin->sin_addr)) {
		/* The kernel's from now on, as a TCP socket's. */
		err = real_bind(fd, (const struct sockaddr *)sin, len) == 0
			  ? 0
			  : errno;
		if (!err)
			table_forget(fd);
	} else {
		/* As Linux's locks: the address stays through connect()
		 * and disconnect when given, the port when not 0. */
		s->bind_addr = sin->sin_addr;
		s->bound = sin->sin_port != 0;
		err = udp_open(fd, s, *sin, make_sin((struct in_addr){0}, 0));
	}
	pthread_mutex_unlock(&udp_lock);
	return err ? fail_with(err) : 0;
}

/* connect(AF_UNSPEC): not connected any more; the port stays when
 * bind() gave it, else it is released (as Linux's: bind() to port 0
 * does not hold the port either). Called with udp_lock held. */
static int udp_disconnect(int fd, struct usock *s)
{
	if (s->state == USOCK_UDP_NEW)
		return 0;
	if (!s->bound)
		return udp_unbind(fd, s);
	if (s->remote.sin_port == 0)
		return 0;
	return udp_reopen(fd, s,
			  make_sin(s->bind_addr, ntohs(s->local.sin_port)),
			  make_sin((struct in_addr){0}, 0));
}

int udp_connect(int fd, struct usock *s, const struct sockaddr_in *sin,
		socklen_t len)
{
	struct sockaddr_in local;
	int err;

	if (!sin || len < sizeof(sa_family_t))
		return fail_with(EINVAL);
	if (sin->sin_family != AF_UNSPEC) {
		if (len < sizeof(*sin))
			return fail_with(EINVAL);
		if (sin->sin_family != AF_INET)
			return fail_with(EAFNOSUPPORT);
		/* Linux connects to port 0 (sends then fail): not
		 * supported here, see utcp-run(1) */
		if (sin->sin_port == 0)
			return fail_with(EINVAL);
		if (loopback_refused(sin->sin_addr))
			return fail_with(ENETUNREACH);
	}
	pthread_mutex_lock(&udp_lock);
	if (!table_lookup(fd, s) || !usock_is_udp(s)) {
		err = EBADF;
	} else if (sin->sin_family == AF_UNSPEC) {
		err = udp_disconnect(fd, s);
	} else if (s->state == USOCK_UDP_NEW && is_loopback(sin->sin_addr)) {
		table_forget(fd); /* the kernel's from now on */
		pthread_mutex_unlock(&udp_lock);
		return real_connect(fd, (const struct sockaddr *)sin, len);
	} else if (s->state == USOCK_UDP_NEW) {
		err = udp_open(fd, s, make_sin(s->bind_addr, 0), *sin);
	} else {
		/* The same local port; the address bind() gave, else the
		 * daemon's choice for the new peer. */
		local = make_sin(s->bind_addr, ntohs(s->local.sin_port));
		err = udp_reopen(fd, s, local, *sin);
	}
	pthread_mutex_unlock(&udp_lock);
	return err ? fail_with(err) : 0;
}

/* ---- the datagram channel ---------------------------------------------- */

/* Takes the error an earlier call left in fd's entry (recvmmsg after
 * some datagrams). Returns it, or 0. */
static int take_entry_error(int fd, struct usock *s)
{
	int err = s->udp_error;

	if (!err)
		return 0;
	pthread_mutex_lock(&udp_lock);
	if (table_lookup(fd, s) && s->udp_error == err) {
		s->udp_error = 0;
		table_store(fd, s);
	}
	pthread_mutex_unlock(&udp_lock);
	return err;
}

/* Leaves err in fd's entry for the next call. */
static void leave_entry_error(int fd, int err)
{
	struct usock s;

	pthread_mutex_lock(&udp_lock);
	if (table_lookup(fd, &s) && usock_is_udp(&s)) {
		s.udp_error = err;
		table_store(fd, &s);
	}
	pthread_mutex_unlock(&udp_lock);
}

/* Reads the header of the packet at the head of fd's channel (peek:
 * MSG_PEEK; without it, the packet is taken). Returns the packet's
 * payload length (its whole length, whatever was copied), or -1 when
 * there is none or it is not a well-formed packet. */
static ssize_t head_of_channel(int fd, struct ipc_dgram_hdr *h, int flags)
{
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct iovec iov = {.iov_base = hdr, .iov_len = sizeof(hdr)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	n = real_recvmsg(fd, &m, flags | MSG_DONTWAIT | MSG_TRUNC);
	if (n < (ssize_t)sizeof(hdr) ||
	    ipc_dgram_hdr_decode(hdr, (size_t)n - sizeof(hdr), h) != 0)
		return -1;
	return n - (ssize_t)sizeof(hdr);
}

/* The socket's pending error when it is next in the channel: taken and
 * returned, as a kernel's send returns and clears sk_err; else 0. */
static int take_channel_error(int fd)
{
	struct ipc_dgram_hdr h;

	if (head_of_channel(fd, &h, MSG_PEEK) < 0 ||
	    !(h.flags & IPC_DGRAM_F_ERROR))
		return 0;
	if (head_of_channel(fd, &h, 0) < 0 || !(h.flags & IPC_DGRAM_F_ERROR))
		return 0; /* another thread took it (and this took the
			   * datagram behind, lost: libutcp's race too) */
	return (int)h.error;
}

/* The errno of a failed call on the channel: the daemon's end gone is
 * the stack gone (ENETDOWN), as for the control connection. */
static int channel_errno(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ENOTCONN ? ENETDOWN
								    : err;
}

/*
 * A packet's iovecs: the header's, then the caller's; or, when that
 * is more than the kernel takes (UIO_MAXIOV), the header's and one
 * buffer of `bounce_len` bytes standing for the caller's (gathered
 * into before a send, scattered from after a receive).
 */
struct packet_iov {
	struct iovec local[16];
	struct iovec *v;
	size_t n;
	char *bounce;
};

/* Makes *p. Returns 0 or ENOMEM. */
static int packet_iov_make(struct packet_iov *p, uint8_t *hdr,
			   const struct iovec *iov, size_t iovcnt,
			   size_t bounce_len)
{
	size_t nlocal = sizeof(p->local) / sizeof(p->local[0]);

	p->v = p->local;
	p->bounce = NULL;
	if (iovcnt + 1 > UDP_IOV_MAX) {
		p->bounce = malloc(bounce_len ? bounce_len : 1);
		if (!p->bounce)
			return ENOMEM;
		p->local[1].iov_base = p->bounce;
		p->local[1].iov_len = bounce_len;
		p->n = 2;
	} else {
		if (iovcnt + 1 > nlocal)
			p->v = malloc((iovcnt + 1) * sizeof(*p->v));
		if (!p->v)
			return ENOMEM;
		if (iovcnt)
			memcpy(p->v + 1, iov, iovcnt * sizeof(*p->v));
		p->n = iovcnt + 1;
	}
	p->v[0].iov_base = hdr;
	p->v[0].iov_len = IPC_DGRAM_HDR_LEN;
	return 0;
}

/* Copies between the bounce buffer and the caller's iovecs: len bytes,
 * into the buffer (to_bounce) or out of it. */
static void packet_iov_copy(struct packet_iov *p, const struct iovec *iov,
			    size_t iovcnt, size_t len, bool to_bounce)
{
	size_t off = 0;

	for (size_t i = 0; i < iovcnt && off < len; i++) {
		size_t k =
		    iov[i].iov_len < len - off ? iov[i].iov_len : len - off;

		if (k && to_bounce)
			memcpy(p->bounce + off, iov[i].iov_base, k);
		else if (k)
			memcpy(iov[i].iov_base, p->bounce + off, k);
		off += k;
	}
}

static void packet_iov_free(struct packet_iov *p)
{
	if (p->v != p->local)
		free(p->v);
	free(p->bounce);
}

ssize_t udp_sendmsg(int fd, const struct iovec *iov, size_t iovcnt, int flags,
		    const struct sockaddr *to, socklen_t tolen)
{
	struct sockaddr_in dst = make_sin((struct in_addr){0}, 0);
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct ipc_dgram_hdr h = {0};
	struct packet_iov p;
	struct msghdr m = {0};
	struct usock s;
	size_t len = 0;
	ssize_t n;
	int err;

	if (flags & MSG_OOB)
		return fail_with(EOPNOTSUPP);
	if (iovcnt > UDP_IOV_MAX)
		return fail_with(EMSGSIZE);
	if (iovcnt && !iov)
		return fail_with(EFAULT);
	for (size_t i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - len)
			return fail_with(EINVAL);
		len += iov[i].iov_len;
	}
	if (!table_lookup(fd, &s) || !usock_is_udp(&s))
		return fail_with(EBADF); /* closed meanwhile */
	if (to) {
		if (tolen < sizeof(dst))
			return fail_with(EINVAL);
		memcpy(&dst, to, sizeof(dst));
		/* Linux takes AF_UNSPEC as AF_INET here */
		if (dst.sin_family != AF_INET && dst.sin_family != AF_UNSPEC)
			return fail_with(EAFNOSUPPORT);
		if (dst.sin_port == 0)
			return fail_with(EINVAL);
	} else if (s.remote.sin_port == 0) {
		return fail_with(EDESTADDRREQ);
	}
	if (s.udp_shut & (1 << SHUT_WR))
		return fail_with(EPIPE); /* as Linux's UDP: no SIGPIPE */
	if (len > UTCP_UDP_PAYLOAD_MAX)
		return fail_with(EMSGSIZE);
	if (to && loopback_refused(dst.sin_addr))
		return fail_with(ENETUNREACH);
	if (s.state == USOCK_UDP_NEW) {
		if (to && is_loopback(dst.sin_addr)) {
			/* The kernel's from now on, as a connect() there. */
			table_forget(fd);
			m.msg_name = (void *)to;
			m.msg_namelen = tolen;
			m.msg_iov = (struct iovec *)iov;
			m.msg_iovlen = iovcnt;
			return real_sendmsg(fd, &m, flags);
		}
		err = udp_autobind(fd, &s);
		if (err)
			return fail_with(err);
	}
	err = take_entry_error(fd, &s);
	if (!err)
		err = take_channel_error(fd);
	if (err)
		return fail_with(err);
	if (to) {
		h.addr = ntohl(dst.sin_addr.s_addr);
		h.port = ntohs(dst.sin_port);
	}
	ipc_dgram_hdr_encode(hdr, &h);
	if (packet_iov_make(&p, hdr, iov, iovcnt, len))
		return fail_with(ENOMEM);
	if (p.bounce)
		packet_iov_copy(&p, iov, iovcnt, len, true);
	m.msg_iov = p.v;
	m.msg_iovlen = p.n;
	n = real_sendmsg(fd, &m, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
	err = errno;
	packet_iov_free(&p);
	if (n < 0)
		return fail_with(channel_errno(err));
	return (ssize_t)len;
}

ssize_t udp_recvmsg(int fd, const struct iovec *iov, size_t iovcnt, int flags,
		    struct sockaddr *from, socklen_t *fromlen, int *msg_flags)
{
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct ipc_dgram_hdr h;
	struct packet_iov p;
	struct msghdr m = {0};
	struct sockaddr_in src;
	struct usock s;
	size_t cap = 0, payload;
	ssize_t n;
	int err;

	if (flags & MSG_ERRQUEUE)
		return fail_with(EAGAIN); /* nothing queued: no IP_RECVERR */
	if (iovcnt > UDP_IOV_MAX)
		return fail_with(EMSGSIZE);
	if (iovcnt && !iov)
		return fail_with(EFAULT);
	if (!table_lookup(fd, &s) || !usock_is_udp(&s))
		return fail_with(EBADF);
	if (s.state == USOCK_UDP_NEW) {
		/* Not bound: the placeholder waits, as an unbound socket */
		m.msg_name = from;
		m.msg_namelen = fromlen ? *fromlen : 0;
		m.msg_iov = (struct iovec *)iov;
		m.msg_iovlen = iovcnt;
		n = real_recvmsg(fd, &m, flags);
		if (n >= 0 && fromlen)
			*fromlen = m.msg_namelen;
		if (n >= 0 && msg_flags)
			*msg_flags = m.msg_flags;
		return n;
	}
	err = take_entry_error(fd, &s);
	if (err)
		return fail_with(err);
	if (s.udp_shut & (1 << SHUT_RD))
		flags |= MSG_DONTWAIT; /* nothing queued: 0, below */
	for (size_t i = 0; i < iovcnt; i++)
		cap += iov[i].iov_len < SIZE_MAX - cap ? iov[i].iov_len
						       : SIZE_MAX - cap;
	/* no datagram is longer than UTCP_UDP_PAYLOAD_MAX */
	if (packet_iov_make(&p, hdr, iov, iovcnt,
			    cap < UTCP_UDP_PAYLOAD_MAX ? cap
						       : UTCP_UDP_PAYLOAD_MAX))
		return fail_with(ENOMEM);
	m.msg_iov = p.v;
	m.msg_iovlen = p.n;
	n = real_recvmsg(fd, &m,
			 (flags & (MSG_PEEK | MSG_DONTWAIT)) | MSG_TRUNC |
			     MSG_CMSG_CLOEXEC);
	err = errno;
	if (p.bounce && n > (ssize_t)sizeof(hdr))
		packet_iov_copy(&p, iov, iovcnt,
				(size_t)n - sizeof(hdr) < p.v[1].iov_len
				    ? (size_t)n - sizeof(hdr)
				    : p.v[1].iov_len,
				false);
	packet_iov_free(&p);
	if (n < 0 && err == EAGAIN && (s.udp_shut & (1 << SHUT_RD)))
		return 0;
	if (n < 0)
		return fail_with(channel_errno(err));
	if (n == 0)
		return fail_with(ENETDOWN); /* the daemon closed the socket */
	payload = (size_t)n - sizeof(hdr);
	if ((size_t)n < sizeof(hdr) ||
	    ipc_dgram_hdr_decode(hdr, payload, &h) != 0)
		return fail_with(EBADMSG);
	if (h.flags & IPC_DGRAM_F_ERROR) {
		if (flags & MSG_PEEK) /* an error is taken even by a peek */
			head_of_channel(fd, &h, 0);
		return fail_with((int)h.error);
	}
	if (from && fromlen) {
		src = make_sin((struct in_addr){htonl(h.addr)}, h.port);
		give_addr(&src, from, fromlen);
	}
	if (msg_flags && payload > cap)
		*msg_flags |= MSG_TRUNC;
	return (ssize_t)(flags & MSG_TRUNC || payload < cap ? payload : cap);
}

int udp_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
	unsigned i;
	ssize_t n;

	if (!vec)
		return fail_with(EFAULT);
	if (vlen > UDP_IOV_MAX)
		vlen = UDP_IOV_MAX; /* as Linux */
	for (i = 0; i < vlen; i++) {
		const struct msghdr *m = &vec[i].msg_hdr;

		n = udp_sendmsg(fd, m->msg_iov, m->msg_iovlen, flags,
				m->msg_namelen ? m->msg_name : NULL,
				m->msg_namelen);
		if (n < 0) {
			if (i == 0)
				return -1;
			break; /* what was sent is the answer */
		}
		vec[i].msg_len = (unsigned)n;
	}
	return (int)i;
}

/* a - b in nanoseconds. */
static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * 1000000000 +
	       (a->tv_nsec - b->tv_nsec);
}

int udp_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
		 struct timespec *timeout)
{
	struct timespec start, now;
	int64_t limit = 0, left = 0;
	unsigned i;
	ssize_t n;

	if (!vec)
		return fail_with(EFAULT);
	if (timeout) {
		if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
		    timeout->tv_nsec >= 1000000000)
			return fail_with(EINVAL);
		limit =
		    (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
		clock_gettime(CLOCK_MONOTONIC, &start);
	}
	if (vlen > UDP_IOV_MAX)
		vlen = UDP_IOV_MAX;
	/* As Linux: each datagram is waited for as the flags say (the
	 * timeout does not shorten a wait); the timeout is looked at
	 * after each, and MSG_WAITFORONE stops waiting after the first. */
	for (i = 0; i < vlen; i++) {
		struct msghdr *m = &vec[i].msg_hdr;

		m->msg_flags = 0;
		n = udp_recvmsg(fd, m->msg_iov, m->msg_iovlen,
				flags & ~MSG_WAITFORONE, m->msg_name,
				m->msg_name ? &m->msg_namelen : NULL,
				&m->msg_flags);
		if (n < 0) {
			if (i == 0)
				return -1;
			/* the error comes to the next call, as Linux's */
			if (errno != EAGAIN)
				leave_entry_error(fd, errno);
			break;
		}
		if (!m->msg_name)
			m->msg_namelen = 0;
		m->msg_controllen = 0;
		vec[i].msg_len = (unsigned)n;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (timeout) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = limit - ns_between(&now, &start);
			if (left <= 0) {
				left = 0;
				i++;
				break;
			}
		}
	}
	if (timeout && i > 0) {
		timeout->tv_sec = (time_t)(left / 1000000000);
		timeout->tv_nsec = (long)(left % 1000000000);
	}
	return (int)i;
}

int udp_shutdown(int fd, int how)
{
	struct usock s;
	int err = 0;

	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail_with(EINVAL);
	pthread_mutex_lock(&udp_lock);
	if (!table_lookup(fd, &s) || !usock_is_udp(&s)) {
		err = EBADF;
	} else {
		/* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2: the bits how + 1 */
		s.udp_shut |= how + 1;
		err = table_store(fd, &s);
		if (!err && s.remote.sin_port == 0)
			err = ENOTCONN; /* and recorded, as Linux */
	}
	pthread_mutex_unlock(&udp_lock);
	return err ? fail_with(err) : 0;
}

int udp_fionread(int fd, void *out)
{
	struct ipc_dgram_hdr h;
	struct usock s;
	ssize_t n = -1;
	int v;

	if (table_lookup(fd, &s) && s.state == USOCK_UDP)
		n = head_of_channel(fd, &h, MSG_PEEK);
	v = n > 0 && !(h.flags & IPC_DGRAM_F_ERROR) ? (int)n : 0;
	memcpy(out, &v, sizeof(v)); /* the caller's int may be unaligned */
	return 0;
}

/* ---- options ----------------------------------------------------------- */

/* Reads an option's int value; IP options also take one byte, as
 * Linux's. Returns 0, EFAULT or EINVAL. */
static int opt_value(const void *val, socklen_t len, bool byte_ok, int *out)
{
	unsigned char c;

	if (!val)
		return EFAULT;
	if (len >= sizeof(int)) {
		memcpy(out, val, sizeof(int));
		return 0;
	}
	if (!byte_ok || len < 1)
		return EINVAL;
	memcpy(&c, val, 1);
	*out = c;
	return 0;
}

/* A SO_RCVBUF / SO_SNDBUF value as Linux keeps it: capped, doubled,
 * at least the floor. */
static int buffer_size(int v, int floor)
{
	unsigned u = (unsigned)v; /* a negative value is a large one */

	if (u > UDP_BUF_MAX)
		u = UDP_BUF_MAX;
	return (int)u * 2 < floor ? floor : (int)u * 2;
}

int udp_setsockopt(int fd, struct usock *s, int level, int name,
		   const void *val, socklen_t len)
{
	struct utcp_udp_opts o = {0};
	struct utcp *u;
	int v, err;

	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
		return real_setsockopt(fd, level, name, val, len); /* kept
								     by fd */
	if (level != SOL_SOCKET && level != IPPROTO_IP)
		return fail_with(ENOPROTOOPT);
	err = opt_value(val, len, level == IPPROTO_IP, &v);
	if (err)
		return fail_with(err);
	pthread_mutex_lock(&udp_lock);
	if (!table_lookup(fd, s) || !usock_is_udp(s)) {
		err = EBADF;
		goto out;
	}
	switch (level == SOL_SOCKET ? name : -name - 1) {
	case SO_REUSEADDR:
		s->reuseaddr = v != 0;
		break;
	case SO_REUSEPORT:
		s->reuseport = v != 0;
		break;
	case SO_BROADCAST:
		s->broadcast = v != 0;
		break;
	case SO_RCVBUF:
		s->rcvbuf = buffer_size(v, UDP_RCVBUF_MIN);
		break;
	case SO_SNDBUF:
		s->sndbuf = buffer_size(v, UDP_SNDBUF_MIN);
		break;
	case -IP_TOS - 1:
		o.set = UTCP_UDP_OPT_TOS;
		o.tos = (uint8_t)v;
		break;
	case -IP_TTL - 1:
		if (v == -1)
			v = 0; /* the default */
		if (v < 0 || v > 255) {
			err = EINVAL;
			goto out;
		}
		o.set = UTCP_UDP_OPT_TTL;
		o.ttl = (uint8_t)v;
		break;
	default:
		err = ENOPROTOOPT;
		goto out;
	}
	if (o.set && s->state == USOCK_UDP) {
		u = get_handle(&err);
		if (!u) {
			err = open_errno(err);
			goto out;
		}
		err = utcp_udp_setopt_fd(u, s->id, fd, &o);
		if (err) {
			err = control_errno(u, err);
			goto out;
		}
	}
	s->udp_opts.set |= o.set;
	if (o.set & UTCP_UDP_OPT_TOS)
		s->udp_opts.tos = o.tos;
	if (o.set & UTCP_UDP_OPT_TTL)
		s->udp_opts.ttl = o.ttl;
	err = table_store(fd, s);
out:
	pthread_mutex_unlock(&udp_lock);
	return err ? fail_with(err) : 0;
}

int udp_getsockopt(int fd, struct usock *s, int level, int name, void *val,
		   socklen_t *len)
{
	int err;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO:
		case SO_SNDTIMEO:
			return real_getsockopt(fd, level, name, val, len);
		case SO_ERROR:
			err =
			    s->state == USOCK_UDP ? take_entry_error(fd, s) : 0;
			if (!err && s->state == USOCK_UDP)
				err = take_channel_error(fd);
			return give_int(err, val, len);
		case SO_TYPE:
			return give_int(SOCK_DGRAM, val, len);
		case SO_DOMAIN:
			return give_int(AF_INET, val, len);
		case SO_PROTOCOL:
			return give_int(IPPROTO_UDP, val, len);
		case SO_ACCEPTCONN:
			return give_int(0, val, len);
		case SO_REUSEADDR:
			return give_int(s->reuseaddr, val, len);
		case SO_REUSEPORT:
			return give_int(s->reuseport, val, len);
		case SO_BROADCAST:
			return give_int(s->broadcast, val, len);
		case SO_RCVBUF:
			return give_int(s->rcvbuf ? s->rcvbuf : UDP_BUF_DEFAULT,
					val, len);
		case SO_SNDBUF:
			return give_int(s->sndbuf ? s->sndbuf : UDP_BUF_DEFAULT,
					val, len);
		}
	} else if (level == IPPROTO_IP && name == IP_TOS) {
		return give_int(
		    s->udp_opts.set & UTCP_UDP_OPT_TOS ? s->udp_opts.tos : 0,
		    val, len);
	} else if (level == IPPROTO_IP && name == IP_TTL) {
		return give_int(s->udp_opts.set & UTCP_UDP_OPT_TTL &&
					s->udp_opts.ttl
				    ? s->udp_opts.ttl
				    : UDP_TTL_DEFAULT,
				val, len);
	}
	return fail_with(ENOPROTOOPT);
}
