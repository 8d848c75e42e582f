/*
 * utcp.c - libutcp: the client side of the control protocol (docs/ipc.md)
 *
 * A `struct utcp` is one control connection (a Unix SOCK_SEQPACKET
 * socket) plus a mutex. Every request takes the mutex, gets the next
 * request id, sends one packet and reads replies until the one with its
 * id (a STATUS takes several) has arrived, so threads may share a
 * handle. Waiting is poll() with a deadline (UTCP_REPLY_TIMEOUT_MS per
 * reply), never a spin. Whatever comes from the daemon goes through the
 * ipc/ decoders before use; a daemon that breaks the protocol, or a
 * reply that does not arrive in time, leaves the connection out of step
 * with its replies, so it is marked broken and every later request
 * fails with -ENOTCONN.
 *
 * The UDP calls work on a socket's descriptor alone: each datagram is
 * one SEQPACKET packet, an ipc_dgram header then the payload, sent and
 * received with a two-element iovec so the payload is never copied in
 * the library.
 *
 * TCP: connect and listen are requests (a blocking connect's reply
 * comes when the connection is up, so it waits up to its own timeout
 * plus the usual one). Accept reads one announcement, with its
 * descriptor, from the listening socket. A connection's error is an
 * urgent byte after its data (docs/ipc.md): a plain read that reaches
 * it with nothing else to return would drop it, so utcp_tcp_recv()
 * first waits for readability in poll(), then asks sockatmark() whether
 * the error is next, and only then reads without blocking.
 *
 * Every request with a single reply goes through request(): the lock,
 * an id, the encoder, the exchange and the reply's decoder, in one
 * place. A request may send a descriptor along (struct request's
 * proof: the *_fd option calls and utcp_tcp_close() prove possession
 * of a socket another handle made) when the daemon announced
 * IPC_CAP_FD_PROOF in its HELLO reply; to an older daemon, which would
 * take any descriptor for a protocol error, the request goes without
 * it and the daemon's old rule (the maker's handle only) applies. In
 * the same way UTCP_OWN_FD reaches only a daemon with
 * IPC_CAP_UDP_OWN_FD, and utcp_tcp_info() asks TCP_INFO of a daemon
 * with IPC_CAP_TCP_INFO and reads a whole STATUS from an older one.
 * With IPC_CAP_TCP_NONBLOCK_END a UTCP_NONBLOCK connect asks for its
 * descriptor non-blocking, and a UTCP_NONBLOCK listener for its
 * accepted ones (each announcement says how its descriptor came), so
 * that no fcntl() is needed per connection; from an older daemon they
 * come blocking and one F_SETFL makes them non-blocking.
 *
 * Signals: every wait goes on through EINTR (as SA_RESTART would have
 * it), but utcp_ping_pwait()'s wait for its reply, which a handler
 * ends (ppoll() with the caller's mask, so that a signal the caller
 * blocks outside the wait is not lost). The request is then abandoned,
 * not the handle: the daemon answers it when its echo ends and reads
 * nothing from us before, so the next request first reads that answer
 * (u->abandoned_id) and drops it.
 *
 * Names: RESOLVE's reply brings a descriptor on which the daemon writes
 * the lookup's result as one packet, then closes its end; so a lookup
 * fits an event loop (utcp_resolve_start, then utcp_resolve_finish when
 * the descriptor is readable), and utcp_resolve() is the two with a
 * poll() between them. Statuses become getaddrinfo()'s EAI_* codes.
 */
#define _GNU_SOURCE
#include "utcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"

/* Descriptors one reply may carry before it is a protocol error; extra
 * ones are received (so they can be closed), then refused. */
#define UTCP_REPLY_FDS_MAX 4

struct utcp {
	int fd;
	pthread_mutex_t lock;
	uint32_t next_id;
	uint8_t version;
	uint32_t capabilities; /* the HELLO reply's IPC_CAP_* */
	bool broken;
	/* A request whose wait a signal ended (utcp_ping_pwait): its reply
	 * is still to come, and is read and dropped before the next
	 * request's (IPC_ID_NONE: none). */
	uint32_t abandoned_id;
	uint16_t abandoned_type;
	int64_t abandoned_deadline;
	uint8_t buf[IPC_MSG_MAX + 1]; /* under lock */
};

/* A wait for a reply that a signal may end: ppoll() with `mask` (NULL:
 * the thread's own); a handler that runs ends it with -EINTR. Passed
 * as NULL, the wait goes on through signals. */
struct signal_wait {
	const sigset_t *mask;
};

/* ---- helpers ------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps in poll() until fd has `events` or the deadline passes.
 * Returns 0, -ETIMEDOUT or a negative errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0; /* readable, or an error the call reports */
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* wait_fd(fd, POLLIN, deadline), but a signal handler that runs
 * during the wait ends it (-EINTR) when sw is not NULL. */
static int wait_reply(int fd, int64_t deadline, const struct signal_wait *sw)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int64_t left = deadline - now_ms();
	struct timespec ts;
	int n;

	if (!sw)
		return wait_fd(fd, POLLIN, deadline);
	if (left < 0)
		left = 0;
	ts.tv_sec = (time_t)(left / 1000);
	ts.tv_nsec = (long)(left % 1000) * 1000000;
	n = ppoll(&pfd, 1, &ts, sw->mask);
	if (n > 0)
		return 0;
	return n == 0 ? -ETIMEDOUT : -errno;
}

/* Sets O_NONBLOCK on fd, a descriptor the daemon just gave us: its
 * only status flag, so one F_SETFL without F_GETFL. Returns 0 or a
 * negative errno. */
static int set_nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static uint32_t take_id(struct utcp *u)
{
	uint32_t id = u->next_id++;

	if (u->next_id == IPC_ID_NONE)
		u->next_id = 1;
	return id;
}

/* Sends one request packet, with descriptor send_fd in SCM_RIGHTS when
 * it is not -1 (a proof of possession). Returns 0 or a negative
 * errno. */
static int send_request(struct utcp *u, const void *buf, size_t len,
			int send_fd, int64_t deadline)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (send_fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &send_fd, sizeof(int));
	}
	for (;;) {
		int err;

		if (sendmsg(u->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = wait_fd(u->fd, POLLOUT, deadline);
		if (err)
			return err;
	}
}

/* Closes every descriptor in the message's SCM_RIGHTS data except the
 * one handed to *fd (when fd is not NULL and exactly one came). Returns
 * the number of descriptors that came. */
static int take_fds(struct msghdr *msg, int *fd)
{
	struct cmsghdr *cmsg;
	int fds[UTCP_REPLY_FDS_MAX + 1];
	int count = 0, i;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t n, k;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < n; k++) {
			int one;

			memcpy(&one, CMSG_DATA(cmsg) + k * sizeof(int),
			       sizeof(int));
			if (count < UTCP_REPLY_FDS_MAX + 1)
				fds[count++] = one;
			else
				close(one);
		}
	}
	for (i = 0; i < count; i++) {
		if (fd && count == 1)
			*fd = fds[i];
		else
			close(fds[i]);
	}
	return count;
}

/*
 * Receives one packet from the daemon into u->buf and checks its
 * header. A descriptor that came with it goes to *fd when fd is not
 * NULL (else it is closed). Returns 0, -ETIMEDOUT, -EPIPE (the daemon
 * closed the connection) or -EPROTO.
 */
static int recv_packet(struct utcp *u, struct ipc_msg *m, int *fd,
		       int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UTCP_REPLY_FDS_MAX)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = u->buf, .iov_len = sizeof(u->buf)};
	struct msghdr msg;
	bool reset = false;
	ssize_t n;
	int err, nfds;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(u->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		/* A daemon that closed without reading our request resets
		 * the connection; the error comes before what it sent
		 * first (the ERROR of a refusal), so read once more. */
		if (errno == ECONNRESET && !reset) {
			reset = true;
			continue;
		}
		if (reset || errno == ECONNRESET)
			return -EPIPE;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = wait_fd(u->fd, POLLIN, deadline);
		if (err)
			return err;
	}
	nfds = take_fds(&msg, fd);
	if (n == 0)
		return -EPIPE;
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfds > (fd ? 1 : 0) ||
	    ipc_msg_decode(u->buf, (size_t)n, m) != 0)
		goto bad;
	if (!(m->type & IPC_T_REPLY))
		goto bad;
	if (u->version && m->version != u->version)
		goto bad;
	return 0;
bad:
	if (fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return -EPROTO;
}

/*
 * Reads the reply to the request a signal made us stop waiting for
 * (the daemon reads nothing more from us before it has answered that
 * one, so it comes first) and drops it. Returns 0, or a negative errno
 * (an unsolicited ERROR's status) with the connection out of step.
 */
static int drop_abandoned(struct utcp *u, struct ipc_msg *m)
{
	int64_t deadline = u->abandoned_deadline;
	uint32_t id = u->abandoned_id;
	struct ipc_error e;
	int err;

	u->abandoned_id = IPC_ID_NONE;
	err = wait_fd(u->fd, POLLIN, deadline);
	if (!err)
		err = recv_packet(u, m, NULL, deadline);
	if (err)
		return err;
	if (m->type == IPC_T_ERROR && m->id != id)
		return ipc_decode_error(m, &e) == 0 ? e.status : -EPROTO;
	if (m->id != id ||
	    (m->type != u->abandoned_type && m->type != IPC_T_ERROR))
		return -EPROTO;
	return 0;
}

/*
 * Sends a request (with descriptor send_fd, unless -1) and receives its
 * (first) reply, of type reply_type or ERROR. An ERROR becomes its
 * status. An unsolicited ERROR (id 0: the daemon refusing us) also
 * returns its status. Returns 0 with *m the reply, or a negative errno;
 * on a failure that leaves the connection out of step, marks it
 * broken. With sw, a signal may end the wait for the reply: -EINTR,
 * the request abandoned (its reply dropped when it comes).
 */
static int exchange_within(struct utcp *u, const void *req, size_t len,
			   int send_fd, uint32_t id, uint16_t reply_type,
			   struct ipc_msg *m, int *fd, int64_t timeout_ms,
			   const struct signal_wait *sw)
{
	int64_t deadline;
	struct ipc_error e;
	int err;

	if (fd)
		*fd = -1;
	if (u->abandoned_id != IPC_ID_NONE) {
		err = drop_abandoned(u, m);
		if (err)
			goto broken;
	}
	deadline = now_ms() + timeout_ms;
	err = send_request(u, req, len, send_fd, deadline);
	if (send_fd >= 0 &&
	    (err == -EBADF || err == -EINVAL || err == -ETOOMANYREFS)) {
		/* The caller's descriptor: closed, one the kernel does not
		 * pass (an io_uring instance), or too many of the user's
		 * in flight. Nothing was sent: the handle stays in step. */
		return err == -ETOOMANYREFS ? err : -EBADF;
	}
	if (err == -EPIPE || err == -ECONNRESET) {
		/* A refusing daemon may have said why before it closed. */
		if (recv_packet(u, m, NULL, now_ms()) == 0 &&
		    m->type == IPC_T_ERROR && ipc_decode_error(m, &e) == 0)
			err = e.status;
		else
			err = -EPIPE;
		goto broken;
	}
	if (err)
		goto broken;
	/* The reply is not there yet (the daemon has not run since):
	 * wait first, rather than meet EAGAIN and then wait. */
	err = wait_reply(u->fd, deadline, sw);
	if (err == -EINTR && sw) {
		u->abandoned_id = id;
		u->abandoned_type = reply_type;
		u->abandoned_deadline = deadline;
		return err;
	}
	if (!err)
		err = recv_packet(u, m, fd, deadline);
	if (err)
		goto broken;
	if (m->type == IPC_T_ERROR) {
		/* an ERROR never carries a descriptor (docs/ipc.md) */
		if (ipc_decode_error(m, &e) != 0 || (fd && *fd >= 0)) {
			err = -EPROTO;
			goto broken;
		}
		err = e.status;
		if (m->id != id)
			goto broken; /* unsolicited: the daemon gave up on us */
		goto out_close_fd;
	}
	if (m->id != id || m->type != reply_type) {
		err = -EPROTO;
		goto broken;
	}
	return 0;

broken:
	u->broken = true;
out_close_fd:
	if (fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

/* exchange_within() the usual reply timeout. */
static int exchange(struct utcp *u, const void *req, size_t len, uint32_t id,
		    uint16_t reply_type, struct ipc_msg *m, int *fd)
{
	return exchange_within(u, req, len, -1, id, reply_type, m, fd,
			       UTCP_REPLY_TIMEOUT_MS, NULL);
}

/* ---- one request, one reply ---------------------------------------- */

/*
 * A request as request() makes it: its body and encoder, and the type
 * and decoder of its reply (the encoders and decoders are ipc/'s, seen
 * through the REQUEST_* wrappers below).
 */
struct request {
	int (*encode)(void *buf, size_t cap, uint8_t version, uint32_t id,
		      const void *body);
	const void *body;
	uint16_t reply_type;
	int (*decode)(const struct ipc_msg *m, void *reply);
	void *reply;
	int64_t timeout_ms; /* for the reply */
	int *fd; /* the reply's descriptor (-1 when none came); NULL: none */
	/* A descriptor to send along as proof of possession (NULL: none),
	 * when the daemon takes one (IPC_CAP_FD_PROOF); to an older
	 * daemon the request goes without it. */
	const int *proof;
	/* A wait a signal may end (utcp_ping_pwait); NULL: it goes on. */
	const struct signal_wait *sw;
};

#define REQUEST_ENCODER(name)                                                  \
	static int encode_##name(void *buf, size_t cap, uint8_t version,       \
				 uint32_t id, const void *body)                \
	{                                                                      \
		return ipc_encode_##name(buf, cap, version, id, body);         \
	}
#define REQUEST_DECODER(name)                                                  \
	static int decode_##name(const struct ipc_msg *m, void *reply)         \
	{                                                                      \
		return ipc_decode_##name(m, reply);                            \
	}
REQUEST_ENCODER(udp_setopt)
REQUEST_DECODER(udp_setopt_reply)
REQUEST_ENCODER(tcp_setopt)
REQUEST_DECODER(tcp_setopt_reply)
REQUEST_ENCODER(tcp_getopt)
REQUEST_DECODER(tcp_getopt_reply)
REQUEST_ENCODER(tcp_linger)
REQUEST_DECODER(tcp_linger_reply)
REQUEST_DECODER(barrier_reply)
REQUEST_ENCODER(resolve)
REQUEST_DECODER(resolve_reply)
REQUEST_ENCODER(capture)
REQUEST_DECODER(capture_reply)
REQUEST_ENCODER(capture_stop)
REQUEST_DECODER(capture_stop_reply)

static int encode_barrier(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const void *body)
{
	(void)body;
	return ipc_encode_barrier(buf, cap, version, id);
}

/*
 * Takes the lock and a request id, encodes and sends the request, and
 * decodes its reply into rq->reply (a descriptor that came with it
 * into *rq->fd). Returns 0 (the reply's own status is the caller's to
 * read), or a negative errno: -ENOTCONN (the connection is broken), the
 * encoder's error, the exchange's (an ERROR reply's status), or -EPROTO
 * (a reply that does not decode: the connection is marked broken).
 */
static int request(struct utcp *u, const struct request *rq)
{
	uint8_t buf[IPC_MSG_MAX];
	struct ipc_msg m;
	uint32_t id;
	int ret, len;

	if (rq->fd)
		*rq->fd = -1;
	pthread_mutex_lock(&u->lock);
	if (u->broken) {
		ret = -ENOTCONN;
		goto out;
	}
	id = take_id(u);
	len = rq->encode(buf, sizeof(buf), u->version, id, rq->body);
	if (len < 0) {
		ret = len;
		goto out;
	}
	ret = exchange_within(
	    u, buf, (size_t)len,
	    rq->proof && (u->capabilities & IPC_CAP_FD_PROOF) ? *rq->proof : -1,
	    id, rq->reply_type, &m, rq->fd, rq->timeout_ms, rq->sw);
	if (ret == 0 && rq->decode(&m, rq->reply) != 0) {
		u->broken = true;
		ret = -EPROTO;
		if (rq->fd && *rq->fd >= 0) {
			close(*rq->fd);
			*rq->fd = -1;
		}
	}
out:
	pthread_mutex_unlock(&u->lock);
	return ret;
}

/* A reply the daemon should not have sent, seen after request()
 * returned: the connection is out of step. Returns -EPROTO. */
static int mark_broken(struct utcp *u)
{
	pthread_mutex_lock(&u->lock);
	u->broken = true;
	pthread_mutex_unlock(&u->lock);
	return -EPROTO;
}

/* ---- the connection ------------------------------------------------ */

struct utcp *utcp_open(const char *path, int *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct ipc_hello hello = {IPC_VERSION_MIN, IPC_VERSION_MAX};
	struct ipc_hello_reply reply;
	uint8_t req[IPC_HDR_LEN + IPC_HELLO_LEN];
	struct utcp *u = NULL;
	struct ipc_msg m;
	uint32_t id;
	int ret, len;

	if (!path)
		path = getenv(UTCP_SOCKET_ENV);
	if (!path || !*path)
		path = UTCP_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	u = calloc(1, sizeof(*u));
	if (!u) {
		ret = -ENOMEM;
		goto out;
	}
	u->next_id = 1;
	u->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (connect(u->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		goto out_close;
	}
	ret = pthread_mutex_init(&u->lock, NULL);
	if (ret) {
		ret = -ret;
		goto out_close;
	}

	id = take_id(u);
	len = ipc_encode_hello(req, sizeof(req), id, &hello);
	if (len < 0) {
		ret = len;
		goto out_mutex;
	}
	ret = exchange(u, req, (size_t)len, id, IPC_T_HELLO_REPLY, &m, NULL);
	if (ret)
		goto out_mutex;
	if (ipc_decode_hello_reply(&m, &reply) != 0) {
		ret = -EPROTO;
		goto out_mutex;
	}
	if (reply.status != 0) {
		ret = reply.status;
		goto out_mutex;
	}
	u->version = (uint8_t)reply.version;
	u->capabilities = reply.capabilities;
	if (err)
		*err = 0;
	return u;

out_mutex:
	pthread_mutex_destroy(&u->lock);
out_close:
	close(u->fd);
out_free:
	free(u);
out:
	if (err)
		*err = ret;
	return NULL;
}

void utcp_close(struct utcp *u)
{
	if (!u)
		return;
	close(u->fd);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

int utcp_parse_addr(const char *s, struct in_addr *out)
{
	if (!s || inet_pton(AF_INET, s, out) != 1)
		return -EINVAL;
	return 0;
}

const char *utcp_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	/* The daemon's limits answer with these (docs/ipc.md, "Limits"):
	 * say whose limit it can be. */
	switch (err) {
	case EUSERS:
		return "Too many users (utcpd refused the control connection: "
		       "too many clients in all, or of this user)";
	case EMFILE:
		return "Too many open files (of this process, or its client's "
		       "or user's share of utcpd)";
	case ENFILE:
		return "Too many open files in system (or utcpd's limit for "
		       "all clients together)";
	default:
		break;
	}
	s = strerrordesc_np(err); /* thread-safe, unlike strerror() */
	return s ? s : "Unknown error";
}

/* ---- UDP ----------------------------------------------------------- */

int utcp_udp_open(struct utcp *u, struct in_addr local_addr,
		  uint16_t local_port, struct in_addr remote_addr,
		  uint16_t remote_port, int flags, struct utcp_udp_info *info)
{
	struct ipc_udp_open req = {
	    .local_addr = ntohl(local_addr.s_addr),
	    .local_port = local_port,
	    .remote_addr = ntohl(remote_addr.s_addr),
	    .remote_port = remote_port,
	};
	struct ipc_udp_open_reply reply;
	uint8_t buf[IPC_HDR_LEN + IPC_UDP_OPEN_LEN];
	struct ipc_msg m;
	uint32_t id;
	int ret, len, fd = -1;

	if (flags & ~(UTCP_NONBLOCK | UTCP_OWN_FD))
		return -EINVAL;
	if (remote_port == 0 && req.remote_addr != 0)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	if (u->broken) {
		ret = -ENOTCONN;
		goto out;
	}
	/* An older daemon finds the flag malformed: it gets none (and the
	 * socket is the handle's, as before). */
	if ((flags & UTCP_OWN_FD) && (u->capabilities & IPC_CAP_UDP_OWN_FD))
		req.flags = IPC_UDP_OPEN_F_OWN_FD;
	id = take_id(u);
	len = ipc_encode_udp_open(buf, sizeof(buf), u->version, id, &req);
	if (len < 0) {
		ret = len;
		goto out;
	}
	ret = exchange(u, buf, (size_t)len, id, IPC_T_UDP_OPEN_REPLY, &m, &fd);
	if (ret)
		goto out;
	if (ipc_decode_udp_open_reply(&m, &reply) != 0 ||
	    (reply.status == 0) != (fd >= 0)) {
		u->broken = true;
		ret = -EPROTO;
		goto out;
	}
	if (reply.status != 0) {
		ret = reply.status;
		goto out;
	}
	if ((flags & UTCP_NONBLOCK) && (ret = set_nonblock(fd)) != 0)
		goto out; /* closing fd closes the socket in the daemon */
	if (info) {
		info->id = reply.sock;
		info->local_addr.s_addr = htonl(reply.local_addr);
		info->local_port = reply.local_port;
	}
	ret = fd;
	fd = -1;
out:
	pthread_mutex_unlock(&u->lock);
	if (fd >= 0)
		close(fd);
	return ret;
}

int utcp_udp_bind(struct utcp *u, struct in_addr addr, uint16_t port, int flags)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)};

	return utcp_udp_open(u, addr, port, any, 0, flags, NULL);
}

int utcp_udp_connect(struct utcp *u, struct in_addr addr, uint16_t port,
		     int flags)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)};

	if (port == 0)
		return -EINVAL;
	return utcp_udp_open(u, any, 0, addr, port, flags, NULL);
}

/* Is fd a datagram channel (SOCK_SEQPACKET)? 0, -EOPNOTSUPP (another
 * kind of socket: a TCP connection) or -ENOTSOCK. */
static int check_datagram_socket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	return type == SOCK_SEQPACKET ? 0 : -EOPNOTSUPP;
}

/* The socket's pending error (an error packet at the head of its
 * channel), taken, as a kernel's send returns and clears sk_err; 0
 * when the head is a datagram or nothing, or fd is not a UDP socket's
 * channel (its bytes are left alone). */
static int udp_take_error(int fd)
{
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct ipc_dgram_hdr h;
	ssize_t n;

	n = recv(fd, hdr, sizeof(hdr), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
	if (n != (ssize_t)sizeof(hdr) ||
	    ipc_dgram_hdr_decode(hdr, 0, &h) != 0 ||
	    !(h.flags & IPC_DGRAM_F_ERROR))
		return 0;
	/* A TCP stream's bytes may look like an error packet: only a
	 * datagram channel's is taken (the send then refuses a stream).
	 * Asked only here, so the datagram path costs no more. */
	if (check_datagram_socket(fd) != 0)
		return 0;
	/* Take it. Should another thread's utcp_recvfrom() take the
	 * error between the peek and here, this read discards the
	 * datagram behind it: threads that send and receive on one
	 * socket at once may lose a datagram after an error, as they
	 * may lose one to a full queue. */
	n = recv(fd, hdr, sizeof(hdr), MSG_DONTWAIT | MSG_TRUNC);
	if (n != (ssize_t)sizeof(hdr) ||
	    ipc_dgram_hdr_decode(hdr, 0, &h) != 0 ||
	    !(h.flags & IPC_DGRAM_F_ERROR))
		return 0;
	return -(int)h.error;
}

ssize_t utcp_sendto(int fd, const void *buf, size_t len, struct in_addr addr,
		    uint16_t port)
{
	static const struct sockaddr_un no_name = {.sun_family = AF_UNIX};
	struct ipc_dgram_hdr h = {.addr = ntohl(addr.s_addr), .port = port};
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct iovec iov[2];
	struct msghdr msg;
	ssize_t n;
	int err;

	if (len > UTCP_UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	err = udp_take_error(fd);
	if (err)
		return err;
	ipc_dgram_hdr_encode(hdr, &h);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)buf;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = len ? 2 : 1;
	/* A SEQPACKET socket ignores a destination; a connected stream (a
	 * TCP descriptor, whose bytes this header would corrupt) refuses
	 * one with EISCONN, at no cost to the datagram path. */
	msg.msg_name = (void *)&no_name;
	msg.msg_namelen = sizeof(no_name);
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EISCONN)
		return -EOPNOTSUPP; /* not a UDP socket */
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (ssize_t)len;
}

ssize_t utcp_send(int fd, const void *buf, size_t len)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)};

	return utcp_sendto(fd, buf, len, any, 0);
}

ssize_t utcp_recvfrom(int fd, void *buf, size_t cap, struct in_addr *addr,
		      uint16_t *port)
{
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct ipc_dgram_hdr h;
	struct iovec iov[2];
	struct msghdr msg;
	size_t payload;
	ssize_t n;

	n = check_datagram_socket(fd); /* a stream would lose its bytes */
	if (n)
		return n;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = buf;
	iov[1].iov_len = cap;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = cap ? 2 : 1;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ECONNRESET; /* the daemon closed the socket */
	if ((size_t)n < sizeof(hdr))
		return -EBADMSG;
	payload = (size_t)n - sizeof(hdr);
	/* A truncated payload was longer; its header is still whole. */
	if (ipc_dgram_hdr_decode(hdr, payload, &h) != 0)
		return -EBADMSG;
	if (h.flags & IPC_DGRAM_F_ERROR)
		return -(ssize_t)h.error;
	if (addr)
		addr->s_addr = htonl(h.addr);
	if (port)
		*port = h.port;
	return (ssize_t)payload;
}

_Static_assert(UTCP_UDP_OPT_TOS == IPC_UDP_OPT_TOS &&
		   UTCP_UDP_OPT_TTL == IPC_UDP_OPT_TTL,
	       "the UDP option bits travel as they are");

/* Is fd an open descriptor (one a proof can be made of)? */
static bool fd_is_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* UDP_SETOPT, with the socket's descriptor fd as proof (-1: none). */
static int udp_setopt(struct utcp *u, int id, int fd,
		      const struct utcp_udp_opts *opts)
{
	struct ipc_udp_setopt req = {.sock = id};
	struct ipc_status_only_reply reply;
	struct request rq = {encode_udp_setopt,
			     &req,
			     IPC_T_UDP_SETOPT_REPLY,
			     decode_udp_setopt_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     fd >= 0 ? &fd : NULL,
			     NULL};
	int ret;

	if (id < 0)
		return -EBADF;
	if (!opts || (opts->set & ~(unsigned)IPC_UDP_OPT_ALL))
		return -EINVAL;
	req.set = opts->set;
	if (opts->set & UTCP_UDP_OPT_TOS)
		req.tos = opts->tos;
	if (opts->set & UTCP_UDP_OPT_TTL)
		req.ttl = opts->ttl;
	ret = request(u, &rq);
	return ret ? ret : reply.status;
}

int utcp_udp_setopt(struct utcp *u, int id, const struct utcp_udp_opts *opts)
{
	return udp_setopt(u, id, -1, opts);
}

int utcp_udp_setopt_fd(struct utcp *u, int id, int fd,
		       const struct utcp_udp_opts *opts)
{
	if (!fd_is_open(fd))
		return -EBADF;
	return udp_setopt(u, id, fd, opts);
}

/* ---- TCP ----------------------------------------------------------- */

_Static_assert(UTCP_TCP_OPT_LINGER == IPC_TCP_OPT_LINGER &&
		   UTCP_TCP_OPT_MAXSEG == IPC_TCP_OPT_MAXSEG &&
		   UTCP_TCP_OPT_TOS == IPC_TCP_OPT_TOS &&
		   UTCP_TCP_OPT_TTL == IPC_TCP_OPT_TTL,
	       "the TCP option bits travel as they are");

static int opts_to_ipc(const struct utcp_tcp_opts *in, struct ipc_tcp_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (!in)
		return 0;
	if (in->set & ~(unsigned)IPC_TCP_OPT_ALL)
		return -EINVAL;
	out->set = in->set;
	if (in->set & UTCP_TCP_OPT_NODELAY)
		out->nodelay = in->nodelay;
	if (in->set & UTCP_TCP_OPT_KEEPALIVE)
		out->keepalive = in->keepalive;
	if (in->set & UTCP_TCP_OPT_SNDBUF)
		out->sndbuf = in->sndbuf;
	if (in->set & UTCP_TCP_OPT_RCVBUF)
		out->rcvbuf = in->rcvbuf;
	if (in->set & UTCP_TCP_OPT_KEEPIDLE)
		out->keepidle_s = in->keepidle_s;
	if (in->set & UTCP_TCP_OPT_KEEPINTVL)
		out->keepintvl_s = in->keepintvl_s;
	if (in->set & UTCP_TCP_OPT_KEEPCNT)
		out->keepcnt = in->keepcnt;
	if (in->set & UTCP_TCP_OPT_LINGER) {
		out->linger = in->linger;
		out->linger_s = in->linger_s;
	}
	if (in->set & UTCP_TCP_OPT_MAXSEG)
		out->maxseg = in->maxseg;
	if (in->set & UTCP_TCP_OPT_TOS)
		out->tos = in->tos;
	if (in->set & UTCP_TCP_OPT_TTL)
		out->ttl = in->ttl;
	return 0;
}

/* Sends a TCP_CONNECT or TCP_LISTEN already encoded in buf and takes
 * the reply and its descriptor. Called with the lock held. */
static int tcp_open_exchange(struct utcp *u, const uint8_t *buf, size_t len,
			     uint32_t id, uint16_t reply_type,
			     int64_t timeout_ms,
			     struct ipc_tcp_open_reply *reply)
{
	struct ipc_msg m;
	int ret, fd = -1;

	ret = exchange_within(u, buf, len, -1, id, reply_type, &m, &fd,
			      timeout_ms, NULL);
	if (ret)
		return ret;
	ret = reply_type == IPC_T_TCP_CONNECT_REPLY
		  ? ipc_decode_tcp_connect_reply(&m, reply)
		  : ipc_decode_tcp_listen_reply(&m, reply);
	if (ret != 0 || (reply->status == 0) != (fd >= 0)) {
		u->broken = true;
		ret = -EPROTO;
		goto out;
	}
	if (reply->status != 0) {
		ret = reply->status;
		goto out;
	}
	return fd;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* A TCP_CONNECT or a TCP_LISTEN request, as tcp_open_call() sends it. */
struct tcp_open_request {
	const struct ipc_tcp_connect *connect; /* one of these two */
	const struct ipc_tcp_listen *listen;
	int64_t wait_ms;   /* for the reply */
	int flags;	   /* UTCP_NONBLOCK */
	bool end_nonblock; /* the daemon makes the descriptor non-blocking */
};

_Static_assert(IPC_TCP_CONNECT_LEN >= IPC_TCP_LISTEN_LEN,
	       "tcp_open_call's buffer holds either request");

/* Takes a request id, encodes the request, sends it and takes the reply
 * and its descriptor (made non-blocking with UTCP_NONBLOCK). Returns
 * the descriptor, or a negative errno: -ENOTCONN (the control
 * connection is broken), the daemon's status, or an encoder's or the
 * exchange's error. */
static int tcp_open_call(struct utcp *u, const struct tcp_open_request *rq,
			 struct ipc_tcp_open_reply *reply)
{
	uint8_t buf[IPC_HDR_LEN + IPC_TCP_CONNECT_LEN];
	uint16_t reply_type;
	uint32_t id;
	int ret, len, fd = -1;

	pthread_mutex_lock(&u->lock);
	if (u->broken) {
		ret = -ENOTCONN;
		goto out;
	}
	id = take_id(u);
	if (rq->connect) {
		len = ipc_encode_tcp_connect(buf, sizeof(buf), u->version, id,
					     rq->connect);
		reply_type = IPC_T_TCP_CONNECT_REPLY;
	} else {
		len = ipc_encode_tcp_listen(buf, sizeof(buf), u->version, id,
					    rq->listen);
		reply_type = IPC_T_TCP_LISTEN_REPLY;
	}
	if (len < 0) {
		ret = len;
		goto out;
	}
	fd = tcp_open_exchange(u, buf, (size_t)len, id, reply_type, rq->wait_ms,
			       reply);
	if (fd < 0) {
		ret = fd;
		fd = -1;
		goto out;
	}
	if ((rq->flags & UTCP_NONBLOCK) && !rq->end_nonblock &&
	    (ret = set_nonblock(fd)) != 0)
		goto out; /* closing fd closes the connection */
	ret = fd;
	fd = -1;
out:
	pthread_mutex_unlock(&u->lock);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Waits for a connection the daemon is making to be established or to
 * fail: its descriptor becomes writable then (the daemon keeps it full
 * until then, docs/ipc.md), and the outcome is utcp_tcp_error(). The
 * daemon enforces the connect timeout; the deadline only guards
 * against a daemon that stops answering. Returns fd, or the error with
 * fd closed.
 */
static int tcp_connect_wait(int fd, int64_t deadline)
{
	/* POLLIN and POLLPRI too: poll() reports only what is asked for
	 * (and hang-ups), and the urgent byte of a failure comes before
	 * the end becomes writable. Nothing else is read while the
	 * connection is being made. */
	struct pollfd pfd = {.fd = fd, .events = POLLOUT | POLLIN | POLLPRI};
	int err = 0;
	uint8_t byte;

	for (;;) {
		int64_t left = deadline - now_ms();
		int n = poll(&pfd, 1, left < 0 ? 0 : (int)left);

		if (n > 0)
			break;
		if (n == 0)
			err = -ETIMEDOUT;
		else if (errno != EINTR)
			err = -errno;
		if (err)
			break;
	}
	/* Writable and nothing else (nothing to read, no urgent byte, no
	 * hang-up): established, and the one system call it took. Anything
	 * more is looked at: data before an error means the connection was
	 * established, and its error comes to the reads after that data. */
	if (err == 0 && pfd.revents != POLLOUT &&
	    (sockatmark(fd) == 1 ||
	     recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0))
		err = utcp_tcp_error(fd);
	if (err) {
		close(fd); /* closes the connection */
		return err;
	}
	return fd;
}

int utcp_tcp_open(struct utcp *u, struct in_addr local_addr,
		  uint16_t local_port, struct in_addr remote_addr,
		  uint16_t remote_port, int timeout_ms,
		  const struct utcp_tcp_opts *opts, int flags,
		  struct utcp_tcp_info *info)
{
	struct ipc_tcp_connect req = {
	    .local_addr = ntohl(local_addr.s_addr),
	    .local_port = local_port,
	    .remote_addr = ntohl(remote_addr.s_addr),
	    .remote_port = remote_port,
	};
	struct tcp_open_request rq = {
	    .connect = &req,
	    .wait_ms = UTCP_REPLY_TIMEOUT_MS,
	    .flags = flags,
	};
	struct ipc_tcp_open_reply reply;
	int ret;

	if ((flags & ~UTCP_NONBLOCK) || remote_port == 0 || timeout_ms < 0 ||
	    timeout_ms > UTCP_TCP_CONNECT_TIMEOUT_MAX_MS)
		return -EINVAL;
	ret = opts_to_ipc(opts, &req.opts);
	if (ret)
		return ret;
	req.timeout_ms = (uint32_t)timeout_ms;
	/* Always the daemon's non-blocking form: the reply comes at once,
	 * and a blocking connect waits on its descriptor, without the
	 * handle's lock, as connect(2) waits on its socket. */
	req.flags = IPC_TCP_CONNECT_F_NONBLOCK;
	if ((flags & UTCP_NONBLOCK) &&
	    (u->capabilities & IPC_CAP_TCP_NONBLOCK_END)) {
		req.flags |= IPC_TCP_CONNECT_F_END_NONBLOCK; /* no fcntl */
		rq.end_nonblock = true;
	}
	ret = tcp_open_call(u, &rq, &reply);
	if (ret >= 0 && !(flags & UTCP_NONBLOCK)) {
		int64_t wait = timeout_ms ? timeout_ms
					  : UTCP_TCP_CONNECT_TIMEOUT_DEFAULT_MS;

		ret = tcp_connect_wait(ret,
				       now_ms() + wait + UTCP_REPLY_TIMEOUT_MS);
	}
	if (ret >= 0 && info) {
		info->id = reply.id;
		info->local_addr.s_addr = htonl(reply.local_addr);
		info->local_port = reply.local_port;
		info->remote_addr = remote_addr;
		info->remote_port = remote_port;
	}
	return ret;
}

int utcp_tcp_connect(struct utcp *u, struct in_addr addr, uint16_t port,
		     int timeout_ms, const struct utcp_tcp_opts *opts,
		     int flags, struct utcp_tcp_info *info)
{
	struct in_addr any = {.s_addr = htonl(INADDR_ANY)};

	return utcp_tcp_open(u, any, 0, addr, port, timeout_ms, opts, flags,
			     info);
}

int utcp_tcp_listen(struct utcp *u, struct in_addr addr, uint16_t port,
		    int backlog, const struct utcp_tcp_opts *opts, int flags,
		    struct utcp_tcp_info *info)
{
	struct ipc_tcp_listen req = {
	    .local_addr = ntohl(addr.s_addr),
	    .local_port = port,
	};
	struct tcp_open_request rq = {
	    .listen = &req,
	    .wait_ms = UTCP_REPLY_TIMEOUT_MS,
	    .flags = flags,
	};
	struct ipc_tcp_open_reply reply;
	int ret;

	if ((flags & ~UTCP_NONBLOCK) || backlog < 1 ||
	    backlog > (int)IPC_TCP_BACKLOG_MAX)
		return -EINVAL;
	ret = opts_to_ipc(opts, &req.opts);
	if (ret)
		return ret;
	req.backlog = (uint32_t)backlog;
	/* A non-blocking listener is most likely accepted from
	 * non-blocking (accept4() decides each time, at worst with a
	 * fcntl). */
	if ((flags & UTCP_NONBLOCK) &&
	    (u->capabilities & IPC_CAP_TCP_NONBLOCK_END))
		req.flags = IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK;
	ret = tcp_open_call(u, &rq, &reply);
	if (ret >= 0 && info) {
		memset(info, 0, sizeof(*info));
		info->id = reply.id;
		info->local_addr.s_addr = htonl(reply.local_addr);
		info->local_port = reply.local_port;
	}
	return ret;
}

/* Sleeps in poll() until fd has `events` (or an error, a hang-up).
 * Returns 0 or a negative errno. */
static int wait_forever(int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		if (poll(&pfd, 1, -1) > 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int utcp_tcp_accept4(int lfd, struct utcp_tcp_info *info, int flags)
{
	uint8_t msg[IPC_ACCEPT_LEN + 1];
	union {
		char buf[CMSG_SPACE(sizeof(int) * UTCP_REPLY_FDS_MAX)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg)};
	struct ipc_accept a;
	struct msghdr mh;
	ssize_t n;
	int fd = -1, nfds, err;

	if (flags & ~UTCP_NONBLOCK)
		return -EINVAL;
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(lfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (flags & UTCP_NONBLOCK)
			return -EAGAIN;
		/* Another thread may take it first: then wait again. */
		err = wait_forever(lfd, POLLIN);
		if (err)
			return err;
	}
	nfds = take_fds(&mh, &fd);
	if (n == 0)
		return -ECONNRESET; /* the daemon closed the listener */
	if (nfds != 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    ipc_accept_decode(msg, (size_t)n, &a) != 0) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	/* The descriptor comes blocking, or non-blocking from a listener
	 * made so (IPC_ACCEPT_F_NONBLOCK): one F_SETFL only when that is
	 * not what the caller asked. */
	if (!(flags & UTCP_NONBLOCK) != !(a.flags & IPC_ACCEPT_F_NONBLOCK) &&
	    fcntl(fd, F_SETFL, (flags & UTCP_NONBLOCK) ? O_NONBLOCK : 0) < 0) {
		err = -errno;
		close(fd); /* closes the connection */
		return err;
	}
	if (info) {
		info->id = a.id;
		info->local_addr.s_addr = htonl(a.local_addr);
		info->local_port = a.local_port;
		info->remote_addr.s_addr = htonl(a.remote_addr);
		info->remote_port = a.remote_port;
	}
	return fd;
}

int utcp_tcp_accept(int lfd, struct in_addr *addr, uint16_t *port, int flags)
{
	struct utcp_tcp_info info;
	int fd = utcp_tcp_accept4(lfd, &info, flags);

	if (fd >= 0) {
		if (addr)
			*addr = info.remote_addr;
		if (port)
			*port = info.remote_port;
	}
	return fd;
}

/*
 * Connections whose error a write reported before the error's urgent
 * byte arrived (tcp_write_failed): the byte is not reported again when
 * it comes, as a kernel socket reports an error once. Kept by the
 * socket's identity (SO_COOKIE, which no other socket gets until the
 * system restarts; the inode number on a kernel without it), not by the
 * descriptor's number, which a later socket may reuse. At most
 * TCP_TAKEN_MAX: the oldest gives way, and its byte is then reported
 * once more. Shared by the process's threads.
 */
#define TCP_TAKEN_MAX 64

static struct {
	pthread_mutex_t lock;
	uint64_t id[TCP_TAKEN_MAX]; /* 0: free */
	unsigned next;		    /* the slot to fill (or evict) next */
} tcp_taken = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The identity of the socket behind fd, or 0. */
static uint64_t tcp_socket_id(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	struct stat st;

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0 && cookie)
		return cookie;
	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino | (1ull << 63) : 0;
}

/* Is socket `id` among those whose error a write took? With `forget`,
 * it no longer is. */
static bool tcp_taken_find(uint64_t id, bool forget)
{
	bool found = false;

	if (!id)
		return false;
	pthread_mutex_lock(&tcp_taken.lock);
	for (unsigned i = 0; i < TCP_TAKEN_MAX && !found; i++) {
		if (tcp_taken.id[i] != id)
			continue;
		found = true;
		if (forget)
			tcp_taken.id[i] = 0;
	}
	pthread_mutex_unlock(&tcp_taken.lock);
	return found;
}

static void tcp_taken_add(uint64_t id)
{
	if (!id)
		return;
	pthread_mutex_lock(&tcp_taken.lock);
	tcp_taken.id[tcp_taken.next] = id;
	tcp_taken.next = (tcp_taken.next + 1) % TCP_TAKEN_MAX;
	pthread_mutex_unlock(&tcp_taken.lock);
}

/*
 * A write to connection fd failed with `closed` (EPIPE or ECONNRESET):
 * what a kernel socket's write would have said. The connection's error
 * when it has one, taken (the urgent byte is read, so it is not
 * reported again: a kernel socket reports an error once, to a write or
 * a read). A connection that failed while bytes it received still wait
 * for room has its urgent byte behind them, not there yet, and the
 * daemon shut its end for reading (docs/ipc.md): the write fails with
 * EPIPE, the descriptor still has bytes to read and its peer's side is
 * not shut. That is taken as the failure: -ECONNRESET once, as a kernel
 * socket's first write after a reset (and the urgent byte, when it
 * comes, is not reported again: tcp_taken). Only an application that
 * shut its own sending side and writes again, with bytes left to read,
 * is told -ECONNRESET where Linux says EPIPE: the two look alike from
 * here. Else -closed (a listener's descriptor too: -EPIPE).
 */
static ssize_t tcp_write_failed(int fd, int closed)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLRDHUP};
	uint64_t id;
	uint8_t byte;
	ssize_t n;

	do
		n = recv(fd, &byte, 1, MSG_OOB | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 1 && byte != 0)
		return tcp_taken_find(tcp_socket_id(fd), true) ? -EPIPE
							       : -(ssize_t)byte;
	if (poll(&pfd, 1, 0) != 1)
		return -closed;
	/* The one error an AF_UNIX stream carries itself: the daemon's end
	 * went (the daemon died) with bytes we wrote unread in it. */
	if (pfd.revents & POLLERR)
		return -ECONNRESET;
	/* A connection's channel is a stream; a listener's (SOCK_SEQPACKET)
	 * has announcements to read, and a write to it says EPIPE, as
	 * send() on a listening kernel socket. */
	if ((pfd.revents & POLLIN) && !(pfd.revents & (POLLRDHUP | POLLHUP)) &&
	    check_datagram_socket(fd) == -EOPNOTSUPP) {
		id = tcp_socket_id(fd);
		if (!tcp_taken_find(id, false)) {
			tcp_taken_add(id);
			return -ECONNRESET;
		}
	}
	return -closed;
}

int utcp_tcp_error(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = 0};
	uint8_t byte;
	ssize_t n;

	do
		n = recv(fd, &byte, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 1 && byte != 0)
		return tcp_taken_find(tcp_socket_id(fd), false) ? 0
								: -(int)byte;
	if (n < 0 && errno == ENOTSOCK)
		return -ENOTSOCK;
	/* The one error an AF_UNIX stream carries itself: the daemon's end
	 * went (the daemon died) with bytes we wrote unread in it. */
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
		return -ECONNRESET;
	return 0;
}

ssize_t utcp_tcp_recv(int fd, void *buf, size_t cap, int flags)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint8_t byte;
	ssize_t n;
	int at_mark;

	if (flags & ~UTCP_NONBLOCK)
		return -EINVAL;
	for (;;) {
		/* Readable first: then the urgent byte, if it is next,
		 * cannot arrive behind our back between the test and the
		 * read. */
		n = poll(&pfd, 1, (flags & UTCP_NONBLOCK) ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EAGAIN;
		at_mark = sockatmark(fd);
		if (at_mark < 0)
			return -errno; /* not a socket */
		if (at_mark == 1) {
			do
				n = recv(fd, &byte, 1, MSG_OOB | MSG_DONTWAIT);
			while (n < 0 && errno == EINTR);
			/* unless a write took it already */
			if (n == 1 && byte != 0 &&
			    !tcp_taken_find(tcp_socket_id(fd), true))
				return -(ssize_t)byte;
		}
		do
			n = recv(fd, buf, cap, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* another thread took it */
		if (flags & UTCP_NONBLOCK)
			return -EAGAIN;
	}
}

ssize_t utcp_tcp_send(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EWOULDBLOCK)
		return -EAGAIN;
	if (errno == EPIPE || errno == ECONNRESET)
		return tcp_write_failed(fd, errno);
	return -errno;
}

/* TCP_SETOPT, with the connection's descriptor fd as proof (-1: none). */
static int tcp_setopt(struct utcp *u, int id, int fd,
		      const struct utcp_tcp_opts *opts)
{
	struct ipc_tcp_setopt req = {.id = id};
	struct ipc_status_only_reply reply;
	struct request rq = {encode_tcp_setopt,
			     &req,
			     IPC_T_TCP_SETOPT_REPLY,
			     decode_tcp_setopt_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     fd >= 0 ? &fd : NULL,
			     NULL};
	int ret;

	if (id < 0)
		return -EBADF;
	ret = opts_to_ipc(opts, &req.opts);
	if (ret)
		return ret;
	ret = request(u, &rq);
	return ret ? ret : reply.status;
}

int utcp_tcp_setopt(struct utcp *u, int id, const struct utcp_tcp_opts *opts)
{
	return tcp_setopt(u, id, -1, opts);
}

static int tcp_getopt(struct utcp *u, int id, int fd,
		      struct utcp_tcp_opts *out);

int utcp_tcp_close(struct utcp *u, int id, int fd)
{
	struct ipc_tcp_linger req = {.id = id};
	struct ipc_status_only_reply reply;
	struct request rq = {encode_tcp_linger,
			     &req,
			     IPC_T_TCP_LINGER_REPLY,
			     decode_tcp_linger_reply,
			     &reply,
			     0,
			     NULL,
			     &fd,
			     NULL};
	struct utcp_tcp_opts o;
	int ret;

	/* fd goes along as proof: the connection may be another handle's
	 * (inherited across fork or exec). */
	ret = id < 0 || !fd_is_open(fd) ? -EBADF : tcp_getopt(u, id, fd, &o);
	if (ret || !o.linger || o.linger_s == 0)
		goto out_close; /* linger 0 resets on close(fd) itself */
	/* FIN after what was written; the daemon answers once it is
	 * acknowledged, or after linger_s. */
	(void)shutdown(fd, SHUT_WR);
	rq.timeout_ms = (int64_t)o.linger_s * 1000 + UTCP_REPLY_TIMEOUT_MS;
	ret = request(u, &rq);
	if (ret == 0)
		ret = reply.status;
out_close:
	close(fd);
	return ret;
}

int utcp_tcp_setopt_fd(struct utcp *u, int id, int fd,
		       const struct utcp_tcp_opts *opts)
{
	if (!fd_is_open(fd))
		return -EBADF;
	return tcp_setopt(u, id, fd, opts);
}

int utcp_tcp_getopt_fd(struct utcp *u, int id, int fd,
		       struct utcp_tcp_opts *out)
{
	if (!fd_is_open(fd))
		return -EBADF;
	return tcp_getopt(u, id, fd, out);
}

int utcp_tcp_getopt(struct utcp *u, int id, struct utcp_tcp_opts *out)
{
	return tcp_getopt(u, id, -1, out);
}

/* TCP_GETOPT, with the connection's descriptor fd as proof (-1: none). */
static int tcp_getopt(struct utcp *u, int id, int fd, struct utcp_tcp_opts *out)
{
	struct ipc_tcp_getopt req = {.id = id};
	struct ipc_tcp_getopt_reply reply;
	struct request rq = {encode_tcp_getopt,
			     &req,
			     IPC_T_TCP_GETOPT_REPLY,
			     decode_tcp_getopt_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     fd >= 0 ? &fd : NULL,
			     NULL};
	int ret;

	if (id < 0)
		return -EBADF;
	ret = request(u, &rq);
	if (ret == 0)
		ret = reply.status;
	if (ret == 0) {
		*out = (struct utcp_tcp_opts){
		    .set = reply.opts.set,
		    .nodelay = reply.opts.nodelay,
		    .keepalive = reply.opts.keepalive,
		    .sndbuf = reply.opts.sndbuf,
		    .rcvbuf = reply.opts.rcvbuf,
		    .keepidle_s = reply.opts.keepidle_s,
		    .keepintvl_s = reply.opts.keepintvl_s,
		    .keepcnt = reply.opts.keepcnt,
		    .linger = reply.opts.linger,
		    .linger_s = reply.opts.linger_s,
		    .maxseg = reply.opts.maxseg,
		    .tos = reply.opts.tos,
		    .ttl = reply.opts.ttl,
		};
	}
	return ret;
}

int utcp_barrier(struct utcp *u)
{
	struct ipc_status_only_reply reply;
	struct request rq = {encode_barrier,
			     NULL,
			     IPC_T_BARRIER_REPLY,
			     decode_barrier_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     NULL,
			     NULL};
	int ret = request(u, &rq);

	return ret ? ret : reply.status;
}

int utcp_capture_start(struct utcp *u, int ifindex, unsigned snaplen,
		       unsigned count, int *fd, int *id)
{
	struct ipc_capture req = {.ifindex = ifindex,
				  .snaplen = (uint32_t)snaplen,
				  .count = (uint32_t)count};
	struct ipc_capture_reply reply;
	struct request rq = {encode_capture,
			     &req,
			     IPC_T_CAPTURE_REPLY,
			     decode_capture_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     fd,
			     NULL,
			     NULL};
	int ret;

	*fd = -1;
	*id = -1;
	if (ifindex < -1 || snaplen < 1 || snaplen > UTCP_CAPTURE_SNAPLEN_MAX)
		return -EINVAL;
	ret = request(u, &rq);
	if (ret == 0 && (reply.status == 0) != (*fd >= 0)) {
		/* a descriptor without success, or success without one */
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return mark_broken(u);
	}
	if (ret == 0)
		ret = reply.status;
	if (ret == 0)
		*id = reply.id;
	return ret;
}

int utcp_capture_stop(struct utcp *u, int id, struct utcp_capture_stats *out)
{
	struct ipc_capture_stop req = {.id = id};
	struct ipc_capture_stop_reply reply;
	struct request rq = {encode_capture_stop,
			     &req,
			     IPC_T_CAPTURE_STOP_REPLY,
			     decode_capture_stop_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     NULL,
			     NULL};
	int ret;

	if (id < 0)
		return -ENOENT;
	ret = request(u, &rq);
	if (ret == 0)
		ret = reply.status;
	if (ret == 0) {
		out->seen = reply.seen;
		out->dropped = reply.dropped;
	}
	return ret;
}

/* ---- status -------------------------------------------------------- */

/* Makes room for one more element in *arr (holding *n of `size`
 * bytes, room for *cap). Returns 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

#define APPEND(st, field, count, cap)                                          \
	(grow((void **)&(st)->field, &(cap), (st)->count,                      \
	      sizeof(*(st)->field))                                            \
	     ? NULL                                                            \
	     : memset(&(st)->field[(st)->count++], 0, sizeof(*(st)->field)))

struct status_caps {
	size_t interfaces, routes, arp, sockets, counters, tcp, owners, links;
	size_t route_metrics, dhcp, settings, dhcp_options;
	size_t dns_servers, dns_cache, dns_search;
	size_t sock_owners;
	size_t ifstats;
};

static struct in_addr in_addr_of(uint32_t host_order)
{
	struct in_addr a = {.s_addr = htonl(host_order)};

	return a;
}

/*
 * The API's enums are the wire's, value for value, so a record's state
 * or kind is copied as it is and named by ipc's one table.
 */
#define SAME_TCP_STATE(id, name)                                               \
	_Static_assert((int)UTCP_TCP_##id == (int)IPC_TCPS_##id, #id);
#define SAME_ARP_STATE(id, name)                                               \
	_Static_assert((int)UTCP_ARP_##id == (int)IPC_ARP_##id, #id);
#define SAME_ROUTE_KIND(id, name)                                              \
	_Static_assert((int)UTCP_ROUTE_##id == (int)IPC_ROUTE_##id, #id);
IPC_TCP_STATES(SAME_TCP_STATE)
IPC_ARP_STATES(SAME_ARP_STATE)
#define SAME_DHCP_STATE(id, name)                                              \
	_Static_assert((int)UTCP_DHCP_##id == (int)IPC_DHCP_##id, #id);
#define SAME_SOURCE(id, name)                                                  \
	_Static_assert((int)UTCP_SOURCE_##id == (int)IPC_SOURCE_##id, #id);
IPC_ROUTE_KINDS(SAME_ROUTE_KIND)
IPC_DHCP_STATES(SAME_DHCP_STATE)
IPC_SOURCES(SAME_SOURCE)
#define SAME_DNS_CACHE_KIND(id, name)                                          \
	_Static_assert((int)UTCP_DNS_CACHE_##id == (int)IPC_DNS_CACHE_##id,    \
		       #id);
IPC_DNS_CACHE_KINDS(SAME_DNS_CACHE_KIND)
_Static_assert(UTCP_SERVERS_MAX == IPC_ADDRS_MAX, "addresses");
_Static_assert(UTCP_DOMAIN_MAX == IPC_DNAME_MAX + 1, "names");
_Static_assert(sizeof(((struct utcp_dhcp_option *)0)->value) == IPC_BYTES_MAX,
	       "option values");
_Static_assert((int)UTCP_PROTO_UDP == (int)IPC_PROTO_UDP, "UDP");
_Static_assert((int)UTCP_PROTO_TCP == (int)IPC_PROTO_TCP, "TCP");
_Static_assert((int)UTCP_SOCK_UDP == (int)IPC_SOCK_OWNER_UDP &&
		   (int)UTCP_SOCK_TCP_LISTENER ==
		       (int)IPC_SOCK_OWNER_LISTENER &&
		   (int)UTCP_SOCK_TCP_CONNECTION ==
		       (int)IPC_SOCK_OWNER_CONNECTION,
	       "socket kinds");
_Static_assert(UTCP_NAME_MAX == IPC_NAME_MAX + 1, "comm");

/*
 * The fields an API struct shares, by name, with its status record:
 * copied by FROM_RECORD (an address becomes a struct in_addr, the rest
 * is assigned). A field both have is one line here; the others are
 * set by hand in status_add().
 */
/* clang-format off */
#define DAEMON_SAME(X)                                                         \
	X(uptime_ms)
#define INTERFACE_SAME(X)                                                      \
	X(index)                                                               \
	X(mtu)                                                                 \
	X(prefix_len)
#define ROUTE_SAME(X)                                                          \
	X(prefix_len)                                                          \
	X(gateway)                                                             \
	X(ifindex)                                                             \
	X(kind)
#define ARP_SAME(X)                                                            \
	X(ifindex)                                                             \
	X(state)                                                               \
	X(expires_ms)                                                          \
	X(queued)
#define SOCKET_SAME(X)                                                         \
	X(id)                                                                  \
	X(protocol)                                                            \
	X(local_addr)                                                          \
	X(local_port)                                                          \
	X(remote_addr)                                                         \
	X(remote_port)                                                         \
	X(recv_queue)                                                          \
	X(recv_bytes)                                                          \
	X(rx)                                                                  \
	X(tx)                                                                  \
	X(drops)
#define POOL_SAME(X)                                                           \
	X(small_in_use)                                                        \
	X(small_allocated)                                                     \
	X(small_max)                                                           \
	X(large_in_use)                                                        \
	X(large_allocated)                                                     \
	X(large_max)
#define COUNTER_SAME(X)                                                        \
	X(value)
#define OWNER_SAME(X)                                                          \
	X(uid)                                                                 \
	X(clients)                                                             \
	X(udp)                                                                 \
	X(listeners)                                                           \
	X(connections)
#define SOCK_OWNER_SAME(X)                                                     \
	X(kind)                                                                \
	X(id)                                                                  \
	X(pid)                                                                 \
	X(uid)                                                                 \
	X(gid)
#define LINK_SAME(X)                                                           \
	X(ifindex)                                                             \
	X(syn_shed_times)                                                      \
	X(syn_drops)                                                           \
	X(kernel_drops)

#define IFSTATS_SAME(X)                                                        \
	X(ifindex)                                                             \
	X(rx_frames)                                                           \
	X(rx_bytes)                                                            \
	X(rx_errors)                                                           \
	X(rx_drops)                                                            \
	X(tx_frames)                                                           \
	X(tx_bytes)                                                            \
	X(tx_errors)                                                           \
	X(tx_drops)
_Static_assert((int)UTCP_CARRIER_UNKNOWN == (int)IPC_CARRIER_UNKNOWN &&
		   (int)UTCP_CARRIER_UP == (int)IPC_CARRIER_UP,
	       "utcp.h's carrier is the wire's");

#define DHCP_SAME(X)                                                           \
	X(ifindex)                                                             \
	X(state)                                                               \
	X(prefix_len)                                                          \
	X(lease_s)                                                             \
	X(t1_s)                                                                \
	X(t2_s)                                                                \
	X(t1_in_ms)                                                            \
	X(t2_in_ms)                                                            \
	X(expires_in_ms)                                                       \
	X(mtu)
#define DHCP_COUNTERS_SAME(X)                                                  \
	X(tx_discover)                                                         \
	X(tx_request)                                                          \
	X(tx_decline)                                                          \
	X(tx_release)                                                          \
	X(rx_offer)                                                            \
	X(rx_ack)                                                              \
	X(rx_nak)                                                              \
	X(rx_ignored)                                                          \
	X(retransmits)                                                         \
	X(declines)                                                            \
	X(naks)                                                                \
	X(expiries)                                                            \
	X(corrections)
#define SETTINGS_SAME(X)                                                       \
	X(ifindex)                                                             \
	X(address_source)                                                      \
	X(routes_source)                                                       \
	X(mtu_source)                                                          \
	X(dns_source)                                                          \
	X(domain_source)                                                       \
	X(search_source)                                                       \
	X(log_server_source)                                                   \
	X(ntp_source)                                                          \
	X(log_port)

#define DNS_SAME(X)                                                            \
	X(ndots)                                                               \
	X(cache_entries)                                                       \
	X(cache_max)                                                           \
	X(lookups_pending)                                                     \
	X(lookups_max)                                                         \
	X(queries_active)                                                      \
	X(queries_max)
#define DNS_SERVER_SAME(X)                                                     \
	X(ifindex)                                                             \
	X(port)                                                                \
	X(source)                                                              \
	X(queries)                                                             \
	X(answers)                                                             \
	X(timeouts)                                                            \
	X(failures)
#define DNS_CACHE_SAME(X)                                                      \
	X(qtype)                                                               \
	X(kind)                                                                \
	X(ttl_left_s)                                                          \
	X(hits)                                                                \
	X(naddrs)

#define FROM_RECORD(field)                                                     \
	dst->field = _Generic(dst->field,                                      \
		struct in_addr: in_addr_of((uint32_t)src->field),              \
		default: src->field);
/* clang-format on */

static void dhcp_counters_from(const struct ipc_rec_dhcp *src,
			       struct utcp_dhcp_counters *dst)
{
	DHCP_COUNTERS_SAME(FROM_RECORD)
}

/* Adds a route (either record) and its metric. Returns 0 or -ENOMEM. */
static int route_add(struct utcp_status *st, struct status_caps *caps,
		     uint32_t destination, uint32_t gateway, int32_t ifindex,
		     uint8_t prefix_len, uint8_t kind, uint32_t metric)
{
	struct utcp_route *dst;

	if (grow((void **)&st->route_metrics, &caps->route_metrics,
		 st->n_routes, sizeof(*st->route_metrics)))
		return -ENOMEM;
	dst = APPEND(st, routes, n_routes, caps->routes);
	if (!dst)
		return -ENOMEM;
	st->route_metrics[st->n_routes - 1] = metric;
	dst->destination = in_addr_of(destination);
	dst->has_gateway = gateway != 0;
	dst->gateway = in_addr_of(gateway);
	dst->ifindex = ifindex;
	dst->prefix_len = prefix_len;
	dst->kind = kind;
	return 0;
}

/* Adds one decoded record to the status. Returns 0 or -ENOMEM. */
static int status_add(struct utcp_status *st, struct status_caps *caps,
		      const struct ipc_record *r)
{
	switch (r->type) {
	case IPC_REC_DAEMON: {
		const struct ipc_rec_daemon *src = &r->u.daemon;
		struct utcp_status *dst = st;

		DAEMON_SAME(FROM_RECORD)
		memcpy(dst->name, src->name, sizeof(dst->name));
		return 0;
	}
	case IPC_REC_INTERFACE: {
		const struct ipc_rec_interface *src = &r->u.iface;
		struct utcp_interface *dst =
		    APPEND(st, interfaces, n_interfaces, caps->interfaces);

		if (!dst)
			return -ENOMEM;
		INTERFACE_SAME(FROM_RECORD)
		memcpy(dst->name, src->name, sizeof(dst->name));
		memcpy(dst->mac, src->mac, sizeof(dst->mac));
		dst->has_address = src->addr != 0;
		dst->address = in_addr_of(src->addr);
		dst->has_gateway = src->gateway != 0;
		dst->gateway = in_addr_of(src->gateway);
		return 0;
	}
	case IPC_REC_ROUTE: {
		const struct ipc_rec_route *src = &r->u.route;

		return route_add(st, caps, src->dst, src->gateway, src->ifindex,
				 src->prefix_len, src->kind, 0);
	}
	case IPC_REC_ROUTE_V2: {
		const struct ipc_rec_route_v2 *src = &r->u.route_v2;

		return route_add(st, caps, src->dst, src->gateway, src->ifindex,
				 src->prefix_len, src->kind, src->metric);
	}
	case IPC_REC_READY:
		st->ready = r->u.ready.ready != 0;
		st->ready_at_ms = r->u.ready.ready_at_ms;
		return 0;
	case IPC_REC_DHCP: {
		const struct ipc_rec_dhcp *src = &r->u.dhcp;
		struct utcp_dhcp *dst = APPEND(st, dhcp, n_dhcp, caps->dhcp);

		if (!dst)
			return -ENOMEM;
		DHCP_SAME(FROM_RECORD)
		dst->running = (src->flags & IPC_DHCP_F_RUNNING) != 0;
		dst->bound = (src->flags & IPC_DHCP_F_BOUND) != 0;
		dst->options_truncated =
		    (src->flags & IPC_DHCP_F_OPTIONS_TRUNCATED) != 0;
		dst->address = in_addr_of(src->addr);
		dst->server = in_addr_of(src->server);
		dhcp_counters_from(src, &dst->counters);
		return 0;
	}
	case IPC_REC_NETCONF: {
		const struct ipc_rec_netconf *src = &r->u.netconf;
		struct utcp_settings *dst =
		    APPEND(st, settings, n_settings, caps->settings);

		if (!dst)
			return -ENOMEM;
		SETTINGS_SAME(FROM_RECORD)
		dst->dhcp = (src->flags & IPC_NETCONF_F_DHCP) != 0;
		dst->configured = (src->flags & IPC_NETCONF_F_CONFIGURED) != 0;
		dst->has_log_server = src->log_server != 0;
		dst->log_server = in_addr_of(src->log_server);
		for (size_t i = 0; i < src->dns.n; i++)
			dst->dns[i] = in_addr_of(src->dns.a[i]);
		dst->n_dns = src->dns.n;
		for (size_t i = 0; i < src->ntp.n; i++)
			dst->ntp[i] = in_addr_of(src->ntp.a[i]);
		dst->n_ntp = src->ntp.n;
		memcpy(dst->domain, src->domain, sizeof(dst->domain));
		return 0;
	}
	case IPC_REC_SEARCH: {
		const struct ipc_rec_search *src = &r->u.search;
		struct utcp_settings *dst = NULL;

		if (src->ifindex < 0) {
			/* the resolver's list in use, no interface's */
			char(*name)[UTCP_DOMAIN_MAX] = APPEND(
			    st, dns_search, n_dns_search, caps->dns_search);

			if (!name)
				return -ENOMEM;
			memcpy(*name, src->name, sizeof(*name));
			return 0;
		}
		/* the latest settings of its interface; else dropped */
		for (size_t i = st->n_settings; i > 0 && !dst; i--)
			if (st->settings[i - 1].ifindex == src->ifindex)
				dst = &st->settings[i - 1];
		if (dst && dst->n_search < UTCP_SEARCH_MAX)
			memcpy(dst->search[dst->n_search++], src->name,
			       sizeof(dst->search[0]));
		return 0;
	}
	case IPC_REC_DNS: {
		const struct ipc_rec_dns *src = &r->u.dns;
		struct utcp_dns_info *dst = &st->dns;

		DNS_SAME(FROM_RECORD)
		st->has_dns = true;
		return 0;
	}
	case IPC_REC_DNS_SERVER: {
		const struct ipc_rec_dns_server *src = &r->u.dns_server;
		struct utcp_dns_server *dst =
		    APPEND(st, dns_servers, n_dns_servers, caps->dns_servers);

		if (!dst)
			return -ENOMEM;
		DNS_SERVER_SAME(FROM_RECORD)
		dst->address = in_addr_of(src->addr);
		dst->unresponsive =
		    (src->flags & IPC_DNS_SERVER_F_UNRESPONSIVE) != 0;
		return 0;
	}
	case IPC_REC_DNS_CACHE: {
		const struct ipc_rec_dns_cache *src = &r->u.dns_cache;
		struct utcp_dns_cache_entry *dst =
		    APPEND(st, dns_cache, n_dns_cache, caps->dns_cache);

		if (!dst)
			return -ENOMEM;
		DNS_CACHE_SAME(FROM_RECORD)
		memcpy(dst->name, src->name, sizeof(dst->name));
		for (size_t i = 0; i < src->addrs.n; i++)
			dst->addrs[i] = in_addr_of(src->addrs.a[i]);
		dst->n_addrs = src->addrs.n;
		return 0;
	}
	case IPC_REC_DHCP_OPTION: {
		const struct ipc_rec_dhcp_option *src = &r->u.dhcp_option;
		struct utcp_dhcp_option *dst = APPEND(
		    st, dhcp_options, n_dhcp_options, caps->dhcp_options);

		if (!dst)
			return -ENOMEM;
		dst->ifindex = src->ifindex;
		dst->code = src->code;
		dst->length = src->value.n;
		memcpy(dst->value, src->value.b, src->value.n);
		return 0;
	}
	case IPC_REC_ARP: {
		const struct ipc_rec_arp *src = &r->u.arp;
		struct utcp_arp_entry *dst = APPEND(st, arp, n_arp, caps->arp);

		if (!dst)
			return -ENOMEM;
		ARP_SAME(FROM_RECORD)
		dst->address = in_addr_of(src->addr);
		memcpy(dst->mac, src->mac, sizeof(dst->mac));
		return 0;
	}
	case IPC_REC_SOCKET: {
		const struct ipc_rec_socket *src = &r->u.socket;
		struct utcp_socket *dst =
		    APPEND(st, sockets, n_sockets, caps->sockets);

		if (!dst)
			return -ENOMEM;
		SOCKET_SAME(FROM_RECORD)
		dst->connected = src->remote_port != 0;
		return 0;
	}
	case IPC_REC_POOL: {
		const struct ipc_rec_pool *src = &r->u.pool;
		struct utcp_pool *dst = &st->pool;

		POOL_SAME(FROM_RECORD)
		return 0;
	}
	case IPC_REC_COUNTER: {
		const struct ipc_rec_counter *src = &r->u.counter;
		struct utcp_counter *dst =
		    APPEND(st, counters, n_counters, caps->counters);

		if (!dst)
			return -ENOMEM;
		COUNTER_SAME(FROM_RECORD)
		memcpy(dst->name, src->name, sizeof(dst->name));
		return 0;
	}
	case IPC_REC_TCP: {
		const struct ipc_rec_tcp *src = &r->u.tcp;
		struct utcp_tcp_socket *dst = APPEND(st, tcp, n_tcp, caps->tcp);

		if (!dst)
			return -ENOMEM;
		IPC_REC_TCP_PLAIN(FROM_RECORD)
		dst->state = src->state;
		dst->listener = (src->flags & IPC_TCP_F_LISTENER) != 0;
		dst->orphan = (src->flags & IPC_TCP_F_ORPHAN) != 0;
		return 0;
	}
	case IPC_REC_OWNER: {
		const struct ipc_rec_owner *src = &r->u.owner;
		struct utcp_owner *dst =
		    APPEND(st, owners, n_owners, caps->owners);

		if (!dst)
			return -ENOMEM;
		OWNER_SAME(FROM_RECORD)
		return 0;
	}
	case IPC_REC_SOCK_OWNER: {
		const struct ipc_rec_sock_owner *src = &r->u.sock_owner;
		struct utcp_sock_owner *dst =
		    APPEND(st, sock_owners, n_sock_owners, caps->sock_owners);

		if (!dst)
			return -ENOMEM;
		SOCK_OWNER_SAME(FROM_RECORD)
		dst->gone = (src->flags & IPC_SOCK_OWNER_F_GONE) != 0;
		memcpy(dst->comm, src->comm, sizeof(dst->comm));
		return 0;
	}
	case IPC_REC_LINK: {
		const struct ipc_rec_link *src = &r->u.link;
		struct utcp_link *dst = APPEND(st, links, n_links, caps->links);

		if (!dst)
			return -ENOMEM;
		LINK_SAME(FROM_RECORD)
		dst->syn_shed = src->syn_shed != 0;
		return 0;
	}
	case IPC_REC_IFSTATS: {
		const struct ipc_rec_ifstats *src = &r->u.ifstats;
		struct utcp_ifstats *dst =
		    APPEND(st, ifstats, n_ifstats, caps->ifstats);

		if (!dst)
			return -ENOMEM;
		IFSTATS_SAME(FROM_RECORD)
		dst->carrier = (enum utcp_carrier)src->carrier;
		return 0;
	}
	}
	return 0;
}

/* Names the interface of each route, ARP entry and link. */
static void status_link_interfaces(struct utcp_status *st)
{
	size_t i, k;

	for (i = 0; i < st->n_routes; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index == st->routes[i].ifindex)
				memcpy(st->routes[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_arp; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index == st->arp[i].ifindex)
				memcpy(st->arp[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_links; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index == st->links[i].ifindex)
				memcpy(st->links[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_ifstats; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index == st->ifstats[i].ifindex)
				memcpy(st->ifstats[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_dhcp; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index == st->dhcp[i].ifindex)
				memcpy(st->dhcp[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_settings; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index == st->settings[i].ifindex)
				memcpy(st->settings[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_dhcp_options; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index ==
			    st->dhcp_options[i].ifindex)
				memcpy(st->dhcp_options[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
	for (i = 0; i < st->n_dns_servers; i++)
		for (k = 0; k < st->n_interfaces; k++)
			if (st->interfaces[k].index ==
			    st->dns_servers[i].ifindex)
				memcpy(st->dns_servers[i].interface,
				       st->interfaces[k].name, UTCP_IFNAME_MAX);
}

int utcp_status(struct utcp *u, struct utcp_status **out)
{
	uint8_t buf[IPC_HDR_LEN];
	struct status_caps caps = {0};
	struct utcp_status *st;
	struct ipc_status_chunk chunk;
	struct ipc_record_iter it;
	struct ipc_record r;
	struct ipc_msg m;
	size_t records = 0;
	uint32_t id;
	int ret, len;
	bool first = true;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_lock(&u->lock);
	if (u->broken) {
		ret = -ENOTCONN;
		goto out;
	}
	id = take_id(u);
	len = ipc_encode_status(buf, sizeof(buf), u->version, id);
	if (len < 0) {
		ret = len;
		goto out;
	}
	for (;;) {
		if (first) {
			ret = exchange(u, buf, (size_t)len, id,
				       IPC_T_STATUS_REPLY, &m, NULL);
			if (ret)
				goto out;
			first = false;
		} else {
			ret = recv_packet(u, &m, NULL,
					  now_ms() + UTCP_REPLY_TIMEOUT_MS);
			if (ret)
				goto out_broken;
			if (m.id != id) {
				ret = -EPROTO;
				goto out_broken;
			}
		}
		if (ipc_decode_status_reply(&m, &chunk) != 0) {
			ret = -EPROTO;
			goto out_broken;
		}
		if (chunk.status != 0) {
			ret = chunk.status; /* always the last reply */
			goto out;
		}
		records += chunk.nrecords;
		if (records > UTCP_STATUS_RECORDS_MAX) {
			ret = -E2BIG;
			goto out_broken;
		}
		ipc_record_iter_init(&it, &chunk);
		while (ipc_record_next(&it, &r)) {
			ret = status_add(st, &caps, &r);
			if (ret)
				goto out_broken;
		}
		if (chunk.last)
			break;
		if (chunk.nrecords == 0) {
			/* a non-last reply must make progress */
			ret = -EPROTO;
			goto out_broken;
		}
	}
	status_link_interfaces(st);
	*out = st;
	st = NULL;
	ret = 0;
	goto out;
out_broken:
	/* The rest of the stream would be read as later replies. */
	u->broken = true;
out:
	pthread_mutex_unlock(&u->lock);
	utcp_status_free(st);
	return ret;
}

/* utcp_tcp_info() from a whole STATUS: a daemon without TCP_INFO. */
static int tcp_info_from_status(struct utcp *u, int id,
				struct utcp_tcp_socket *out)
{
	struct utcp_status *st;
	int ret = utcp_status(u, &st);

	if (ret)
		return ret;
	ret = -ENOENT;
	for (size_t i = 0; i < st->n_tcp; i++) {
		if (!st->tcp[i].listener && st->tcp[i].id == id) {
			*out = st->tcp[i];
			ret = 0;
			break;
		}
	}
	utcp_status_free(st);
	return ret;
}

REQUEST_ENCODER(tcp_info)
REQUEST_DECODER(tcp_info_reply)

int utcp_tcp_info(struct utcp *u, int id, struct utcp_tcp_socket *out)
{
	struct ipc_tcp_info req = {.id = id};
	struct ipc_tcp_info_reply reply, *src = &reply;
	struct request rq = {encode_tcp_info,
			     &req,
			     IPC_T_TCP_INFO_REPLY,
			     decode_tcp_info_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     NULL,
			     NULL};
	struct utcp_tcp_socket *dst = out;
	bool has_info;
	int ret;

	if (id < 0)
		return -ENOENT;
	pthread_mutex_lock(&u->lock);
	has_info = (u->capabilities & IPC_CAP_TCP_INFO) != 0;
	pthread_mutex_unlock(&u->lock);
	if (!has_info)
		return tcp_info_from_status(u, id, out);
	ret = request(u, &rq);
	if (ret == 0)
		ret = reply.status;
	if (ret == 0) {
		*out = (struct utcp_tcp_socket){0};
		IPC_REC_TCP_PLAIN(FROM_RECORD)
		out->state = reply.state;
		out->orphan = (reply.flags & IPC_TCP_F_ORPHAN) != 0;
	}
	return ret;
}

REQUEST_ENCODER(ping)
REQUEST_DECODER(ping_reply)

_Static_assert(UTCP_PING_SIZE_MAX == IPC_PING_SIZE_MAX &&
		   UTCP_PING_TIMEOUT_MAX_MS == IPC_PING_TIMEOUT_MAX_MS,
	       "utcp.h's PING bounds are the wire's");

/* utcp_ping() and utcp_ping_pwait(): sw as in struct request. */
static int ping(struct utcp *u, const struct utcp_ping *p,
		struct utcp_ping_result *out, const struct signal_wait *sw)
{
	struct ipc_ping req = {.dst = ntohl(p->dst.s_addr),
			       .ifindex = p->ifindex,
			       .seq = p->seq,
			       .size = p->size,
			       .timeout_ms = p->timeout_ms};
	struct ipc_ping_reply reply;
	struct request rq = {encode_ping,
			     &req,
			     IPC_T_PING_REPLY,
			     decode_ping_reply,
			     &reply,
			     (int)p->timeout_ms + UTCP_REPLY_TIMEOUT_MS,
			     NULL,
			     NULL,
			     sw};
	bool has_ping;
	int ret;

	if (p->dst.s_addr == 0 || p->ifindex < -1 ||
	    p->size > UTCP_PING_SIZE_MAX || p->timeout_ms < 1 ||
	    p->timeout_ms > UTCP_PING_TIMEOUT_MAX_MS)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	has_ping = (u->capabilities & IPC_CAP_PING) != 0;
	pthread_mutex_unlock(&u->lock);
	if (!has_ping)
		return -EOPNOTSUPP;
	ret = request(u, &rq);
	if (ret)
		return ret;
	*out = (struct utcp_ping_result){.status = reply.status,
					 .from = in_addr_of(reply.from),
					 .seq = reply.seq,
					 .size = reply.size,
					 .ttl = reply.ttl,
					 .rtt_ns = reply.rtt_ns};
	return 0;
}

int utcp_ping(struct utcp *u, const struct utcp_ping *p,
	      struct utcp_ping_result *out)
{
	return ping(u, p, out, NULL);
}

int utcp_ping_pwait(struct utcp *u, const struct utcp_ping *p,
		    struct utcp_ping_result *out, const sigset_t *sigmask)
{
	struct signal_wait sw = {sigmask};

	return ping(u, p, out, &sw);
}

void utcp_status_free(struct utcp_status *st)
{
	if (!st)
		return;
	free(st->interfaces);
	free(st->routes);
	free(st->arp);
	free(st->sockets);
	free(st->counters);
	free(st->tcp);
	free(st->owners);
	free(st->links);
	free(st->route_metrics);
	free(st->dhcp);
	free(st->settings);
	free(st->dhcp_options);
	free(st->dns_servers);
	free(st->dns_cache);
	free(st->dns_search);
	free(st->sock_owners);
	free(st->ifstats);
	free(st);
}

const char *utcp_carrier_name(enum utcp_carrier carrier)
{
	static const char *const names[] = {"down", "up", "unknown"};

	return (unsigned)carrier < 3 ? names[carrier] : "?";
}

const char *utcp_arp_state_name(enum utcp_arp_state state)
{
	return ipc_arp_state_name((unsigned)state);
}

const char *utcp_tcp_state_name(enum utcp_tcp_state state)
{
	return ipc_tcp_state_name((unsigned)state);
}

const char *utcp_route_kind_name(enum utcp_route_kind kind)
{
	return ipc_route_kind_name((unsigned)kind);
}

/* ---- DHCP options as text ------------------------------------------ */

/* How an option's value reads. */
enum option_shape {
	SHAPE_HEX, /* bytes in hex */
	SHAPE_ADDRS,
	SHAPE_U8,
	SHAPE_U16,
	SHAPE_U32,
	SHAPE_I32,
	SHAPE_TEXT,
	SHAPE_CODES,	     /* a list of option codes (55) */
	SHAPE_MSG_TYPE,	     /* 53 */
	SHAPE_ROUTE_PAIRS,   /* 33: destination, router */
	SHAPE_CLASSLESS,     /* 121, RFC 3442 */
	SHAPE_DOMAIN_SEARCH, /* 119, RFC 3397 */
};

static enum option_shape option_shape(uint8_t code)
{
	switch (code) {
	case 1:
	case 3:
	case 4:
	case 5:
	case 6:
	case 7:
	case 8:
	case 9:
	case 10:
	case 11:
	case 16:
	case 28:
	case 32:
	case 41:
	case 42:
	case 44:
	case 45:
	case 48:
	case 49:
	case 50:
	case 54:
	case 65:
	case 69:
	case 70:
	case 72:
		return SHAPE_ADDRS;
	case 19:
	case 20:
	case 23:
	case 27:
	case 29:
	case 30:
	case 31:
	case 34:
	case 36:
	case 37:
	case 39:
	case 46:
	case 52:
		return SHAPE_U8;
	case 13:
	case 22:
	case 26:
	case 57:
		return SHAPE_U16;
	case 24:
	case 35:
	case 38:
	case 51:
	case 58:
	case 59:
		return SHAPE_U32;
	case 2:
		return SHAPE_I32;
	case 12:
	case 14:
	case 15:
	case 17:
	case 18:
	case 40:
	case 47:
	case 56:
	case 64:
	case 66:
	case 67:
	case 100:
	case 101:
	case 114:
		return SHAPE_TEXT;
	case 55:
		return SHAPE_CODES;
	case 53:
		return SHAPE_MSG_TYPE;
	case 33:
		return SHAPE_ROUTE_PAIRS;
	case 121:
		return SHAPE_CLASSLESS;
	case 119:
		return SHAPE_DOMAIN_SEARCH;
	default:
		return SHAPE_HEX;
	}
}

/* A growing string in a fixed buffer; cut (and marked full) at its end. */
struct text {
	char *p;
	size_t cap, len;
};

static void text_add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
	if (t->len > t->cap)
		t->len = t->cap;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void text_addr(struct text *t, const uint8_t *p)
{
	text_add(t, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

/* RFC 3397's encoding: names of labels, with pointers to earlier
 * offsets in the option. False for a malformed one. */
static bool domain_search(struct text *t, const uint8_t *v, size_t n)
{
	size_t at = 0;

	while (at < n) {
		size_t p = at, jumps = 0, name_len = 0;
		bool jumped = false;

		if (t->len)
			text_add(t, " ");
		for (;;) {
			uint8_t l;

			if (p >= n)
				return false;
			l = v[p];
			if (l == 0) {
				if (!jumped)
					at = p + 1;
				break;
			}
			if ((l & 0xc0) == 0xc0) {
				if (p + 1 >= n || ++jumps > n)
					return false;
				if (!jumped)
					at = p + 2;
				jumped = true;
				p = (size_t)(l & 0x3f) << 8 | v[p + 1];
				continue;
			}
			if (l & 0xc0 || p + 1 + l > n)
				return false;
			name_len += l + 1u;
			if (name_len > 255)
				return false;
			for (size_t i = 0; i < l; i++) {
				uint8_t c = v[p + 1 + i];

				if (c <= 0x20 || c >= 0x7f)
					return false;
			}
			text_add(t, "%s%.*s", name_len > l + 1u ? "." : "",
				 (int)l, (const char *)v + p + 1);
			p += 1u + l;
		}
	}
	return true;
}

/* RFC 3442: width, the significant octets of the destination, the
 * router. False for a malformed one. */
static bool classless_routes(struct text *t, const uint8_t *v, size_t n)
{
	size_t at = 0;

	while (at < n) {
		uint8_t width = v[at], dst[4] = {0};
		size_t octets = (width + 7u) / 8u;

		if (width > 32 || at + 1 + octets + 4 > n)
			return false;
		memcpy(dst, v + at + 1, octets);
		text_add(t, "%s", at ? ", " : "");
		text_addr(t, dst);
		text_add(t, "/%u via ", width);
		text_addr(t, v + at + 1 + octets);
		at += 1 + octets + 4;
	}
	return true;
}

static const char *const msg_type_names[] = {
    NULL,      "DHCPDISCOVER", "DHCPOFFER",   "DHCPREQUEST", "DHCPDECLINE",
    "DHCPACK", "DHCPNAK",      "DHCPRELEASE", "DHCPINFORM",
};

/* The value of option `code`, decoded into out when its shape is known
 * and its bytes fit it; else false (show it in hex). */
static bool dhcp_option_value(uint8_t code, const uint8_t *v, size_t n,
			      char *out, size_t cap)
{
	struct text t = {.p = out, .cap = cap, .len = 0};
	size_t i;

	out[0] = '\0';
	switch (option_shape(code)) {
	case SHAPE_ADDRS:
		if (n == 0 || n % 4)
			return false;
		for (i = 0; i < n; i += 4) {
			text_add(&t, "%s", i ? " " : "");
			text_addr(&t, v + i);
		}
		return true;
	case SHAPE_U8:
		if (n != 1)
			return false;
		text_add(&t, "%u", v[0]);
		return true;
	case SHAPE_U16:
		if (n != 2)
			return false;
		text_add(&t, "%u", (unsigned)(v[0] << 8 | v[1]));
		return true;
	case SHAPE_U32:
		if (n != 4)
			return false;
		text_add(&t, "%" PRIu32, be32_at(v));
		return true;
	case SHAPE_I32:
		if (n != 4)
			return false;
		text_add(&t, "%" PRId32, (int32_t)be32_at(v));
		return true;
	case SHAPE_TEXT:
		for (i = 0; i < n; i++)
			if (v[i] < 0x20 || v[i] >= 0x7f)
				return false;
		text_add(&t, "%.*s", (int)n, (const char *)v);
		return true;
	case SHAPE_CODES:
		for (i = 0; i < n; i++)
			text_add(&t, "%s%u", i ? " " : "", v[i]);
		return true;
	case SHAPE_MSG_TYPE:
		if (n != 1 || v[0] == 0 || v[0] > 8)
			return false;
		text_add(&t, "%s", msg_type_names[v[0]]);
		return true;
	case SHAPE_ROUTE_PAIRS:
		if (n == 0 || n % 8)
			return false;
		for (i = 0; i < n; i += 8) {
			text_add(&t, "%s", i ? ", " : "");
			text_addr(&t, v + i);
			text_add(&t, " via ");
			text_addr(&t, v + i + 4);
		}
		return true;
	case SHAPE_CLASSLESS:
		return n > 0 && classless_routes(&t, v, n);
	case SHAPE_DOMAIN_SEARCH:
		return n > 0 && domain_search(&t, v, n);
	case SHAPE_HEX:
		break;
	}
	return false;
}

bool utcp_dhcp_option_text(const struct utcp_dhcp_option *o, char *buf,
			   size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	if (dhcp_option_value(o->code, o->value, o->length, buf, len))
		return true;
	for (i = 0; i < o->length && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", o->value[i]);
	buf[2 * i] = '\0';
	return false;
}

const char *utcp_dns_cache_kind_name(enum utcp_dns_cache_kind kind)
{
	return ipc_dns_cache_kind_name(kind);
}

const char *utcp_dhcp_state_name(enum utcp_dhcp_state state)
{
	return ipc_dhcp_state_name((unsigned)state);
}

const char *utcp_source_name(enum utcp_source source)
{
	return ipc_source_name((unsigned)source);
}

/* RFC 2132's options and the later ones a client meets. */
static const char *const dhcp_option_names[256] = {
    [1] = "subnet_mask",
    [2] = "time_offset",
    [3] = "routers",
    [4] = "time_servers",
    [5] = "name_servers",
    [6] = "domain_name_servers",
    [7] = "log_servers",
    [8] = "cookie_servers",
    [9] = "lpr_servers",
    [10] = "impress_servers",
    [11] = "resource_location_servers",
    [12] = "host_name",
    [13] = "boot_file_size",
    [14] = "merit_dump_file",
    [15] = "domain_name",
    [16] = "swap_server",
    [17] = "root_path",
    [18] = "extensions_path",
    [19] = "ip_forwarding",
    [20] = "non_local_source_routing",
    [21] = "policy_filter",
    [22] = "max_datagram_reassembly",
    [23] = "default_ip_ttl",
    [24] = "path_mtu_aging_timeout",
    [25] = "path_mtu_plateau_table",
    [26] = "interface_mtu",
    [27] = "all_subnets_local",
    [28] = "broadcast_address",
    [29] = "perform_mask_discovery",
    [30] = "mask_supplier",
    [31] = "router_discovery",
    [32] = "router_solicitation_address",
    [33] = "static_routes",
    [34] = "trailer_encapsulation",
    [35] = "arp_cache_timeout",
    [36] = "ethernet_encapsulation",
    [37] = "tcp_default_ttl",
    [38] = "tcp_keepalive_interval",
    [39] = "tcp_keepalive_garbage",
    [40] = "nis_domain",
    [41] = "nis_servers",
    [42] = "ntp_servers",
    [43] = "vendor_specific",
    [44] = "netbios_name_servers",
    [45] = "netbios_dd_servers",
    [46] = "netbios_node_type",
    [47] = "netbios_scope",
    [48] = "x_font_servers",
    [49] = "x_display_managers",
    [50] = "requested_address",
    [51] = "lease_time",
    [52] = "option_overload",
    [53] = "message_type",
    [54] = "server_identifier",
    [55] = "parameter_request_list",
    [56] = "message",
    [57] = "max_message_size",
    [58] = "renewal_time",
    [59] = "rebinding_time",
    [60] = "vendor_class_identifier",
    [61] = "client_identifier",
    [64] = "nisplus_domain",
    [65] = "nisplus_servers",
    [66] = "tftp_server_name",
    [67] = "bootfile_name",
    [69] = "smtp_servers",
    [70] = "pop3_servers",
    [72] = "www_servers",
    [80] = "rapid_commit",
    [81] = "client_fqdn",
    [100] = "posix_timezone",
    [101] = "tzdb_timezone",
    [108] = "ipv6_only_preferred",
    [114] = "captive_portal",
    [119] = "domain_search",
    [121] = "classless_static_routes",
};

const char *utcp_dhcp_option_name(uint8_t code)
{
	return dhcp_option_names[code];
}

/* ---- names --------------------------------------------------------- */

#define SAME_DNS_SOURCE(id, name)                                              \
	_Static_assert((int)UTCP_DNS_##id == (int)IPC_DNS_SRC_##id, #id);
IPC_DNS_SOURCES(SAME_DNS_SOURCE)
_Static_assert(UTCP_RESOLVE_ADDRS_MAX == IPC_RESOLVE_ADDRS_MAX, "addresses");
_Static_assert(sizeof(((struct utcp_lookup *)0)->name) >= IPC_DNAME_MAX + 1,
	       "names");

/* A RESOLVE status as an EAI_* code (errno set for EAI_SYSTEM). */
static int resolve_error(int status)
{
	switch (status) {
	case -EINVAL:
		return EAI_NONAME; /* not a valid name */
	case -EMFILE:
	case -ENOBUFS:
		return EAI_AGAIN; /* this client's or the daemon's limit */
	case -ENOMEM:
		return EAI_MEMORY;
	default:
		/* -EOPNOTSUPP: a daemon without RESOLVE; -ENOSYS: one
		 * without a resolver; the connection's errors */
		errno = -status;
		return EAI_SYSTEM;
	}
}

int utcp_resolve_start(struct utcp *u, const char *name, int family, int *fd)
{
	struct ipc_resolve req = {0};
	struct ipc_resolve_reply reply;
	struct request rq = {encode_resolve,
			     &req,
			     IPC_T_RESOLVE_REPLY,
			     decode_resolve_reply,
			     &reply,
			     UTCP_REPLY_TIMEOUT_MS,
			     fd,
			     NULL,
			     NULL};
	size_t n;
	int ret;

	*fd = -1;
	switch (family) {
	case AF_UNSPEC:
		req.want = IPC_RESOLVE_WANT_ALL;
		break;
	case AF_INET:
		req.want = IPC_RESOLVE_WANT_A;
		break;
	case AF_INET6:
		req.want = IPC_RESOLVE_WANT_AAAA;
		break;
	default:
		return EAI_FAMILY;
	}
	/* What the wire cannot carry is no name the daemon would know. */
	n = name ? strnlen(name, IPC_DNAME_MAX + 1) : 0;
	if (n == 0 || n > IPC_DNAME_MAX)
		return EAI_NONAME;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] >= 0x7f)
			return EAI_NONAME;
	memcpy(req.name, name, n);
	ret = request(u, &rq);
	if (ret == 0 && (reply.status == 0) != (*fd >= 0)) {
		/* a descriptor without success, or success without one */
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		ret = mark_broken(u);
	}
	if (ret == 0)
		ret = reply.status;
	if (ret == 0)
		ret = set_nonblock(*fd);
	if (ret == 0)
		return 0;
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return resolve_error(ret);
}

int utcp_resolve_finish(int fd, struct utcp_lookup **out)
{
	uint8_t buf[IPC_RESOLVE_RESULT_MAX + 1];
	struct ipc_resolve_addr addrs[IPC_RESOLVE_ADDRS_MAX];
	struct ipc_resolve_result r;
	struct utcp_lookup *l;
	ssize_t n;
	int err;

	*out = NULL;
	do
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return EAI_INPROGRESS;
	err = n < 0 ? errno : 0;
	close(fd);
	if (n <= 0) {
		/* the daemon's end closed without a result */
		errno = n == 0 ? ECONNRESET : err;
		return EAI_SYSTEM;
	}
	/* one byte more than the largest packet: a longer one is too */
	if ((size_t)n > IPC_RESOLVE_RESULT_MAX ||
	    ipc_resolve_result_decode(buf, (size_t)n, &r, addrs) != 0) {
		errno = EBADMSG;
		return EAI_SYSTEM;
	}
	switch (r.status) {
	case IPC_DNS_OK:
		break;
	case IPC_DNS_NONAME:
		return EAI_NONAME;
	case IPC_DNS_NODATA:
		return EAI_NODATA;
	case IPC_DNS_AGAIN:
		return EAI_AGAIN;
	default:
		return EAI_FAIL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return EAI_MEMORY;
	memcpy(l->name, r.name, sizeof(r.name));
	l->source = (enum utcp_dns_source)r.source;
	l->server = in_addr_of(r.server);
	l->server_port = r.server_port;
	l->n = r.naddrs;
	for (size_t i = 0; i < l->n; i++) {
		struct utcp_dns_addr *a = &l->addrs[i];

		a->ttl = addrs[i].ttl;
		if (addrs[i].family == 4) {
			a->family = AF_INET;
			memcpy(&a->addr.v4, addrs[i].addr, 4);
		} else {
			a->family = AF_INET6;
			memcpy(&a->addr.v6, addrs[i].addr, 16);
		}
	}
	*out = l;
	return 0;
}

int utcp_resolve(struct utcp *u, const char *name, int family,
		 struct utcp_lookup **out)
{
	int fd, err, ret;

	*out = NULL;
	ret = utcp_resolve_start(u, name, family, &fd);
	if (ret)
		return ret;
	err = wait_fd(fd, POLLIN, now_ms() + UTCP_RESOLVE_TIMEOUT_MS);
	if (err) {
		close(fd); /* gives the lookup up */
		if (err == -ETIMEDOUT)
			return EAI_AGAIN;
		errno = -err;
		return EAI_SYSTEM;
	}
	ret = utcp_resolve_finish(fd, out);
	if (ret == EAI_INPROGRESS) {
		/* readable yet nothing to read: cannot be */
		close(fd);
		errno = EPROTO;
		ret = EAI_SYSTEM;
	}
	return ret;
}

void utcp_lookup_free(struct utcp_lookup *l)
{
	free(l);
}

const char *utcp_dns_source_name(enum utcp_dns_source source)
{
	return ipc_dns_source_name(source);
}

int utcp_tcp_connect_name(struct utcp *u, const char *host, uint16_t port,
			  int timeout_ms, const struct utcp_tcp_opts *opts,
			  struct utcp_tcp_info *info, int *gai_err)
{
	struct utcp_lookup *l;
	struct in_addr a;
	int ret;

	if (gai_err)
		*gai_err = 0;
	if (!host)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &a) == 1)
		return utcp_tcp_connect(u, a, port, timeout_ms, opts, 0, info);
	ret = utcp_resolve(u, host, AF_INET, &l);
	if (ret) {
		if (gai_err)
			*gai_err = ret;
		return ret == EAI_NONAME || ret == EAI_NODATA ? -ENOENT
							      : -EAGAIN;
	}
	ret = -EHOSTUNREACH;
	for (size_t i = 0; i < l->n; i++) {
		if (l->addrs[i].family != AF_INET)
			continue;
		ret = utcp_tcp_connect(u, l->addrs[i].addr.v4, port, timeout_ms,
				       opts, 0, info);
		/* the next address, unless the call itself is wrong or
		 * the daemon went */
		if (ret >= 0 || ret == -EINVAL || ret == -ENOTCONN ||
		    ret == -EPIPE)
			break;
	}
	utcp_lookup_free(l);
	return ret;
}
