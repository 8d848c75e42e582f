/*
 * control.c - the control socket: IPC server (docs/ipc.md)
 *
 * Theory of operation. struct control, one per daemon, owns the
 * listening socket and the list of clients (control_client.c: one
 * accepted connection with its reply queue). This file accepts
 * connections, reads requests and dispatches them by type to their
 * module, answers HELLO and BARRIER itself, and routes the stack's
 * events by kind:
 *
 *   control_udp.c     UDP_OPEN, the UDP data path, STACK_EV_UDP_*
 *   control_tcp.c     TCP_CONNECT, TCP_LISTEN, TCP_SETOPT, STACK_EV_TCP_*
 *   control_status.c  STATUS, TCP_INFO
 *   control_dns.c     RESOLVE, the resolver's results
 *   capture.c         CAPTURE, CAPTURE_STOP (the requests decoded here)
 *   control_ping.c    PING, the stack's ended echoes
 *
 * Those include control_client.h and nothing of each other: the
 * include graph is main -> control -> {udp, tcp, status, dns} -> client.
 * Tearing a client down (client_destroy: its UDP sockets, a blocking
 * connect it waits for, its lookups, then the client) is here, and reached from
 * control_client.c through ctl->client_destroy.
 *
 * Limits (control_limits.c has the whole table): clients_max control
 * connections, of which the last CONTROL_CLIENTS_ROOT_RESERVED are uid
 * 0's, and clients_per_uid of any other uid; a connection past either
 * is accepted, sent an unsolicited ERROR -EUSERS and closed. A client
 * must send HELLO within hello_timeout_ms or is disconnected; once it
 * did, it may stay idle as long as it likes (a libutcp handle lives as
 * long as its application), bounded by its uid's share. A local port
 * below 1024 needs a privileged client, and listening may be limited
 * to listen_groups (ERROR -EACCES, control_limits.c). At most
 * CONTROL_REQUESTS_PER_WAKEUP requests are read from a client per
 * wakeup, none after one whose reply was queued (the client waits for
 * it: reading on would only meet EAGAIN, a system call per request;
 * more is read when the loop comes back), and none while its reply
 * queue is full, a status is being streamed or a reply is deferred
 * (control_client.h).
 *
 * A client that breaks the protocol (a malformed message, a wrong
 * version, a request before HELLO, a descriptor sent to us) is
 * disconnected, logged and counted by reason (enum control_counter:
 * STATUS's control_dropped_* counters); nothing else is affected. The one
 * descriptor a client may send is a proof of possession with an options
 * request (TCP_SETOPT, TCP_GETOPT, TCP_LINGER, UDP_SETOPT: docs/ipc.md,
 * "Proof by descriptor"): its identity (st_dev, st_ino, SO_COOKIE) is
 * taken and it is closed as it is read (close_received: without
 * waiting for a lingering socket), and the handler compares the
 * identity with the one it recorded for the socket's application end.
 *
 * Handlers only give the stack its input; the stack's frames and events
 * are drained once per loop turn (loop.c), and events come back here
 * through control_on_stack_event(). BARRIER is answered after
 * d->link_read_all().
 */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "capture.h"
#include "control_client.h"
#include "control_dns.h"
#include "control_limits.h"
#include "control_ping.h"
#include "control_status.h"
#include "control_tcp.h"
#include "control_udp.h"
#include "log.h"

#define CONTROL_CLIENTS_ROOT_RESERVED 8
#define CONTROL_ACCEPT_RETRY_S	      1.0
#define CONTROL_LISTEN_BACKLOG	      64
#define CONTROL_ACCEPTS_PER_WAKEUP    16
#define CONTROL_REQUESTS_PER_WAKEUP   16
#define CONTROL_CMSG_FDS_MAX	      8 /* descriptors we can receive to close */

/* ---- requests ------------------------------------------------------ */

static int handle_hello(struct control_client *c, const struct ipc_msg *m)
{
	struct ipc_hello h;
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_hello_reply r = {0};
	unsigned lo, hi;
	int len, err = ipc_decode_hello(m, &h);

	if (err)
		return err;
	lo = h.version_min > IPC_VERSION_MIN ? h.version_min : IPC_VERSION_MIN;
	hi = h.version_max < IPC_VERSION_MAX ? h.version_max : IPC_VERSION_MAX;

	if (lo > hi) {
		log_msg(LOG_INFO,
			"control: client %u: speaks versions %u..%u, we "
			"speak %u..%u: disconnecting",
			c->serial, h.version_min, h.version_max,
			IPC_VERSION_MIN, IPC_VERSION_MAX);
		r.status = -EPROTONOSUPPORT;
		c->closing = true;
	} else {
		r.version = (uint16_t)hi;
		r.capabilities = IPC_CAP_UDP | IPC_CAP_TCP | IPC_CAP_BARRIER |
				 IPC_CAP_RESOLVE | IPC_CAP_FD_PROOF |
				 IPC_CAP_TCP_INFO | IPC_CAP_UDP_OWN_FD |
				 IPC_CAP_TCP_NONBLOCK_END | IPC_CAP_CAPTURE |
				 IPC_CAP_PING;
		r.msg_max = IPC_MSG_MAX;
	}
	len = ipc_encode_hello_reply(buf, sizeof(buf), IPC_VERSION_MIN, m->id,
				     &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
	if (r.status == 0)
		c->version = (uint8_t)hi;
	/* Once, here: STATUS shows it as the owner's command. */
	control_account_read_comm(c->owner.client);
	ev_timer_stop(c->ctl->d->loop, &c->hello_timer);
	return 0;
}

/* BARRIER: every frame that reached a TAP before this request has been
 * read and processed (d->link_read_all) when the reply is queued. */
static int handle_barrier(struct control_client *c, const struct ipc_msg *m)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_status_only_reply r = {0};
	int len, err = ipc_decode_barrier(m);

	if (err)
		return err;
	r.value = c->ctl->d->link_read_all(c->ctl->d);
	len = ipc_encode_barrier_reply(buf, sizeof(buf), c->version, m->id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
	return 0;
}

/* A local port below 1024 for a client without the privilege: refused
 * with ERROR -EACCES, as bind() without CAP_NET_BIND_SERVICE. Returns
 * true when it was. */
static bool refuse_port(struct control_client *c, const struct ipc_msg *m,
			uint16_t port)
{
	if (control_port_allowed(c, port))
		return false;
	log_msg(LOG_INFO,
		"control: client %u (pid %d uid %d): port %u needs privilege: "
		"refused",
		c->serial, (int)c->pid, (int)c->uid, port);
	control_reply_error(c, m->id, -EACCES);
	return true;
}

/* The other requests: decode the body, hand it to its module. */
static int handle_udp_open(struct control_client *c, const struct ipc_msg *m)
{
	struct ipc_udp_open req;
	int err = ipc_decode_udp_open(m, &req);

	if (!err && !refuse_port(c, m, req.local_port))
		control_udp_open(c, m, &req);
	return err;
}

static int handle_status(struct control_client *c, const struct ipc_msg *m)
{
	int err = ipc_decode_status(m);

	if (!err)
		control_status_request(c, m);
	return err;
}

static int handle_tcp_connect(struct control_client *c, const struct ipc_msg *m)
{
	struct ipc_tcp_connect req;
	int err = ipc_decode_tcp_connect(m, &req);

	if (!err && !refuse_port(c, m, req.local_port))
		control_tcp_connect(c, m, &req);
	return err;
}

/* A listen from a client in none of [control] listen_groups: refused
 * with ERROR -EACCES. Returns true when it was. */
static bool refuse_listen(struct control_client *c, const struct ipc_msg *m)
{
	if (control_listen_allowed(c))
		return false;
	log_msg(LOG_INFO,
		"control: client %u (pid %d uid %d): not in listen_groups: "
		"listen refused",
		c->serial, (int)c->pid, (int)c->uid);
	control_reply_error(c, m->id, -EACCES);
	return true;
}

static int handle_tcp_listen(struct control_client *c, const struct ipc_msg *m)
{
	struct ipc_tcp_listen req;
	int err = ipc_decode_tcp_listen(m, &req);

	if (!err && !refuse_listen(c, m) && !refuse_port(c, m, req.local_port))
		control_tcp_listen(c, m, &req);
	return err;
}

/* The options requests: `proof` is the identity of the descriptor the
 * request carried, or NULL. */
static int handle_tcp_setopt(struct control_client *c, const struct ipc_msg *m,
			     const struct control_fd_id *proof)
{
	struct ipc_tcp_setopt req;
	int err = ipc_decode_tcp_setopt(m, &req);

	if (!err)
		control_tcp_setopt(c, m, &req, proof);
	return err;
}

static int handle_tcp_linger(struct control_client *c, const struct ipc_msg *m,
			     const struct control_fd_id *proof)
{
	struct ipc_tcp_linger req;
	int err = ipc_decode_tcp_linger(m, &req);

	if (!err)
		control_tcp_linger(c, m, &req, proof);
	return err;
}

static int handle_udp_setopt(struct control_client *c, const struct ipc_msg *m,
			     const struct control_fd_id *proof)
{
	struct ipc_udp_setopt req;
	int err = ipc_decode_udp_setopt(m, &req);

	if (!err)
		control_udp_setopt(c, m, &req, proof);
	return err;
}

static int handle_tcp_getopt(struct control_client *c, const struct ipc_msg *m,
			     const struct control_fd_id *proof)
{
	struct ipc_tcp_getopt req;
	int err = ipc_decode_tcp_getopt(m, &req);

	if (!err)
		control_tcp_getopt(c, m, &req, proof);
	return err;
}

static int handle_tcp_info(struct control_client *c, const struct ipc_msg *m)
{
	struct ipc_tcp_info req;
	int err = ipc_decode_tcp_info(m, &req);

	if (!err)
		control_status_tcp_info(c, m, &req);
	return err;
}

/* CAPTURE: a capture of what the TAPs carry (capture.c), for a client
 * control_may_capture() lets; its stream goes with the reply. */
static int handle_capture(struct control_client *c, const struct ipc_msg *m)
{
	struct ipc_capture req;
	struct ipc_capture_reply r = {.id = -1};
	struct stack_if_info info;
	struct control *ctl = c->ctl;
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len, fd = -1, err = ipc_decode_capture(m, &req);

	if (err)
		return err;
	if (!control_may_capture(c))
		r.status = -EPERM;
	else if (req.ifindex >= 0 &&
		 stack_if_info(ctl->d->stack, req.ifindex, &info) < 0)
		r.status = -ENODEV;
	else if (!ctl->captures && !(ctl->captures = capture_set_new(ctl->d)))
		r.status = -ENOMEM;
	else {
		capture_set_limits(ctl->captures, ctl->limits.captures_max,
				   ctl->limits.capture_queue_bytes);
		r.status = capture_start(ctl->captures, c, req.ifindex,
					 req.snaplen, req.count, &fd, &r.id);
	}
	log_msg(r.status ? LOG_INFO : LOG_NOTICE,
		"control: client %u (pid %d uid %d): capture %d of interface "
		"%d (-1: all): %s",
		c->serial, (int)c->pid, (int)c->uid, (int)r.id,
		(int)req.ifindex, r.status ? strerror(-r.status) : "started");
	len = ipc_encode_capture_reply(buf, sizeof(buf), c->version, m->id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, fd);
	else if (fd >= 0)
		close(fd);
	return 0;
}

_Static_assert(CAPTURE_SLOTS == 16 && CAPTURE_QUEUE_BYTES_MIN == 64u << 10 &&
		   CAPTURE_QUEUE_BYTES_MAX == 256u << 20,
	       "config.c's bounds of captures_max and capture_queue_bytes");

/* CAPTURE_STOP: ends one of the client's captures, with its counts. */
static int handle_capture_stop(struct control_client *c,
			       const struct ipc_msg *m)
{
	struct ipc_capture_stop req;
	struct ipc_capture_stop_reply r = {0};
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len, err = ipc_decode_capture_stop(m, &req);

	if (err)
		return err;
	r.status =
	    capture_stop(c->ctl->captures, c, req.id, &r.seen, &r.dropped);
	len = ipc_encode_capture_stop_reply(buf, sizeof(buf), c->version, m->id,
					    &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
	return 0;
}

/* Every request the daemon answers: its type and its handler, which
 * decodes the body (returning the decoder's error) and queues the
 * reply (or defers it). A request that may carry a proof of possession
 * has a handler that takes it (`with_proof`) instead. */
static const struct {
	uint16_t type;
	int (*handle)(struct control_client *c, const struct ipc_msg *m);
	int (*with_proof)(struct control_client *c, const struct ipc_msg *m,
			  const struct control_fd_id *proof);
} requests[] = {
    {IPC_T_HELLO, handle_hello, NULL},
    {IPC_T_UDP_OPEN, handle_udp_open, NULL},
    {IPC_T_STATUS, handle_status, NULL},
    {IPC_T_TCP_CONNECT, handle_tcp_connect, NULL},
    {IPC_T_TCP_LISTEN, handle_tcp_listen, NULL},
    {IPC_T_TCP_SETOPT, NULL, handle_tcp_setopt},
    {IPC_T_BARRIER, handle_barrier, NULL},
    {IPC_T_TCP_GETOPT, NULL, handle_tcp_getopt},
    {IPC_T_UDP_SETOPT, NULL, handle_udp_setopt},
    {IPC_T_TCP_LINGER, NULL, handle_tcp_linger},
    {IPC_T_RESOLVE, control_dns_resolve, NULL},
    {IPC_T_TCP_INFO, handle_tcp_info, NULL},
    {IPC_T_CAPTURE, handle_capture, NULL},
    {IPC_T_CAPTURE_STOP, handle_capture_stop, NULL},
    {IPC_T_PING, control_ping, NULL},
};

/* Who made each socket (ctl->sock_owners): UDP sockets, listeners,
 * connections. */
static size_t sock_owners(const struct control *ctl,
			  struct ipc_rec_sock_owner *out, size_t max)
{
	size_t n = control_udp_sock_owners(ctl, out, max);

	return n + control_tcp_sock_owners(ctl, n < max ? out + n : NULL,
					   n < max ? max - n : 0);
}

/* Tears the client down (ctl->client_destroy): its UDP sockets (after
 * what their applications had written), a blocking connect it waits
 * for, its lookups, then the client itself. */
static void client_destroy(struct control_client *c)
{
	control_udp_client_gone(c);
	control_tcp_client_gone(c->ctl, c);
	control_dns_client_gone(c);
	capture_owner_gone(c->ctl->captures, c);
	control_ping_client_gone(c);
	control_client_free(c);
}

/* Counts (as `why`) and logs a protocol violation; the caller destroys
 * the client. */
static void protocol_error(struct control_client *c, enum control_counter why,
			   const char *what, int err)
{
	c->ctl->counters[why]++;
	log_msg(LOG_WARNING,
		"control: client %u (pid %d): %s (%s): disconnecting",
		c->serial, (int)c->pid, what, strerror(-err));
}

/* Handles one received packet, which carried a descriptor of identity
 * *proof (NULL: none). Returns 0, or a negative errno when the client
 * broke the protocol (the caller disconnects it). */
static int client_handle(struct control_client *c, const uint8_t *buf,
			 size_t len, const struct control_fd_id *proof)
{
	struct ipc_msg m;
	int err = ipc_msg_decode(buf, len, &m);

	if (err) {
		protocol_error(c, CONTROL_CTR_MALFORMED, "malformed message",
			       err);
		return err;
	}
	if (c->version == 0) {
		if (m.type != IPC_T_HELLO) {
			protocol_error(c, CONTROL_CTR_BEFORE_HELLO,
				       "request before HELLO", -EPROTO);
			return -EPROTO;
		}
	} else if (m.version != c->version || m.type == IPC_T_HELLO) {
		protocol_error(c, CONTROL_CTR_BAD_REQUEST,
			       "version mismatch or second HELLO", -EPROTO);
		return -EPROTO;
	}

	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (requests[i].type != m.type)
			continue;
		if (proof && !requests[i].with_proof) {
			protocol_error(c, CONTROL_CTR_ANCILLARY,
				       "ancillary data sent", -EBADMSG);
			return -EBADMSG;
		}
		err = requests[i].with_proof
			  ? requests[i].with_proof(c, &m, proof)
			  : requests[i].handle(c, &m);
		if (err)
			protocol_error(c, CONTROL_CTR_BAD_REQUEST,
				       "bad request body", err);
		return err;
	}
	if (proof) {
		protocol_error(c, CONTROL_CTR_ANCILLARY, "ancillary data sent",
			       -EBADMSG);
		return -EBADMSG;
	}
	if (m.type & IPC_T_REPLY) {
		protocol_error(c, CONTROL_CTR_BAD_REQUEST,
			       "reply sent to the daemon", -EPROTO);
		return -EPROTO;
	}
	/* A request of a later version: say so, keep going. */
	control_reply_error(c, m.id, -EOPNOTSUPP);
	return 0;
}

/* What came with a message besides its bytes. */
enum passed { PASSED_NOTHING, PASSED_ONE_FD, PASSED_OTHER };

/*
 * Closes a descriptor a client sent, without waiting on it: a kernel
 * socket (TCP, SCTP, ...) with SO_LINGER whose sender closed its copy
 * would hold close() for its linger time while its peer takes nothing,
 * and the whole daemon with it; its lingering is turned off first, so
 * it closes in the background as without SO_LINGER. A Unix socket (a
 * proof is one) never waits and is left as it is. What this does not
 * cover: a file whose close() waits on something its sender controls
 * (a FUSE mount whose server does not answer the flush), and the
 * descriptors the daemon never gets to close itself, whose last
 * reference the kernel drops in our thread all the same: those beyond
 * CONTROL_CMSG_FDS_MAX in one message (MSG_CTRUNC), and those still
 * queued when a client's connection is closed.
 */
static void close_received(int fd)
{
	struct linger lg = {0, 0};
	socklen_t len = sizeof(lg);
	int domain = AF_UNIX;
	socklen_t dlen = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0 &&
	    lg.l_onoff &&
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
	    domain != AF_UNIX) {
		lg.l_onoff = 0;
		lg.l_linger = 0;
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
}

/*
 * Closes every descriptor that came with a message. Returns
 * PASSED_ONE_FD when exactly one descriptor and nothing else came (a
 * proof of possession: *proof is its identity, taken before closing
 * it), PASSED_NOTHING, or PASSED_OTHER (more descriptors, or other
 * ancillary data: a protocol error whatever the request).
 */
static enum passed close_passed_fds(struct msghdr *msg,
				    struct control_fd_id *proof)
{
	struct cmsghdr *cmsg;
	size_t nfds = 0;
	bool other = false;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS) {
			size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
				       sizeof(int));
				if (nfds++ == 0)
					*proof = control_fd_id_of(fd);
				close_received(fd);
			}
		} else {
			other = true;
		}
	}
	if (other || nfds > 1)
		return PASSED_OTHER;
	return nfds == 1 ? PASSED_ONE_FD : PASSED_NOTHING;
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_client *c = w->data;
	struct control *ctl = c->ctl;
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_CMSG_FDS_MAX)];
		struct cmsghdr align;
	} cbuf;
	struct control_fd_id proof;
	enum passed passed;
	unsigned queued;
	int i;

	for (i = 0; i < CONTROL_REQUESTS_PER_WAKEUP; i++) {
		struct iovec iov = {.iov_base = ctl->msg_buf,
				    .iov_len = sizeof(ctl->msg_buf)};
		struct msghdr msg;
		ssize_t n;

		if (c->reply_pending && c->outq_count < CONTROL_OUTQ_MAX &&
		    !c->stream && !c->closing) {
			/* A blocking connect waits for its reply: no request
			 * is read meanwhile, but a client that goes must be
			 * seen going (docs/ipc.md), so the watcher stays on
			 * while nothing else is queued. A request sent
			 * meanwhile (libutcp never does) stops it, and the
			 * connect's own timeout bounds the wait. */
			char b;
			ssize_t p = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
			if (p < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
				      errno == EINTR))
				break;
			if (p <= 0) {
				client_destroy(c);
				return;
			}
		}
		if (c->outq_count >= CONTROL_OUTQ_MAX || c->stream ||
		    c->closing || c->reply_pending) {
			/* Back-pressure: no new requests until the
			 * replies are out; client_flush restarts us. */
			ev_io_stop(loop, &c->read_watcher);
			break;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0) {
			if (n < 0)
				log_msg(LOG_INFO, "control: client %u: %m",
					c->serial);
			client_destroy(c);
			return;
		}
		passed = close_passed_fds(&msg, &proof);
		if (passed == PASSED_OTHER || (msg.msg_flags & MSG_CTRUNC)) {
			protocol_error(c, CONTROL_CTR_ANCILLARY,
				       "ancillary data sent", -EBADMSG);
			client_destroy(c);
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			protocol_error(c, CONTROL_CTR_MALFORMED,
				       "message too long", -EMSGSIZE);
			client_destroy(c);
			return;
		}
		queued = c->outq_count;
		if (client_handle(c, ctl->msg_buf, (size_t)n,
				  passed == PASSED_ONE_FD ? &proof : NULL) !=
		    0) {
			client_destroy(c);
			return;
		}
		/* Answered, or a connect's reply waits: a client that
		 * waits for its reply (libutcp always does) has sent
		 * nothing more, and a read (or the peek for its going)
		 * would only find that out (EAGAIN). One that sent more,
		 * or went, is still readable: the loop comes back to it. */
		if (c->outq_count > queued || c->reply_pending)
			break;
	}
	control_client_flush(c);
}

/* ---- accepting ----------------------------------------------------- */

/* Tells a client over a limit why, best effort, and closes it. */
static void refuse_client(struct control *ctl, int fd, const struct ucred *cred,
			  const char *why)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_error e = {.status = -EUSERS};
	int len = ipc_encode_error(buf, sizeof(buf), IPC_VERSION_MIN,
				   IPC_ID_NONE, &e);

	if (len > 0)
		(void)control_send_packet(fd, buf, (size_t)len, -1);
	close(fd);
	/* One line per 1024: a flood of connects must not flood the log. */
	if (ctl->counters[CONTROL_CTR_REFUSED]++ % 1024 == 0)
		log_msg(LOG_WARNING,
			"control: refusing a client (pid %d uid %d): %s (%llu "
			"refused so far)",
			(int)cred->pid, (int)cred->uid, why,
			(unsigned long long)ctl->counters[CONTROL_CTR_REFUSED]);
}

/* A client that did not send HELLO in time. */
static void hello_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control_client *c = w->data;

	c->ctl->counters[CONTROL_CTR_HELLO_TIMEOUT]++;
	log_msg(LOG_INFO,
		"control: client %u (pid %d uid %d): no HELLO within %u ms: "
		"disconnecting",
		c->serial, (int)c->pid, (int)c->uid,
		c->ctl->limits.hello_timeout_ms);
	client_destroy(c);
}

/* Admits the accepted connection `fd` within the limits, or refuses it
 * (-EUSERS). */
static void admit_client(struct control *ctl, int fd)
{
	struct daemon *d = ctl->d;
	const struct config_control *cc = &ctl->limits;
	struct ucred cred = {.pid = -1, .uid = (uid_t)-1, .gid = (gid_t)-1};
	struct control_owner owner;
	struct control_client *c;
	unsigned reserved = CONTROL_CLIENTS_ROOT_RESERVED;
	gid_t *groups = NULL;
	size_t ngroups = 0;
	int err;

	if (reserved > cc->clients_max / 2)
		reserved = cc->clients_max / 2;
	err = (d->peer_cred ? d->peer_cred
			    : control_peer_cred)(fd, &cred, &groups, &ngroups);
	if (err) {
		log_msg(LOG_WARNING, "control: SO_PEERCRED: %s",
			strerror(-err));
		close(fd);
		return;
	}
	if (ctl->nclients >= cc->clients_max ||
	    (cred.uid != 0 && ctl->nclients >= cc->clients_max - reserved)) {
		free(groups);
		refuse_client(ctl, fd, &cred, "clients_max reached");
		return;
	}
	if (control_owner_new(ctl, cred.uid, &owner) < 0) {
		log_msg(LOG_ERR, "control: out of memory for a client");
		free(groups);
		close(fd);
		return;
	}
	if (control_charge(ctl, &owner, CONTROL_KIND_CLIENT) < 0) {
		control_owner_put(ctl, &owner);
		free(groups);
		refuse_client(ctl, fd, &cred, "clients_per_uid reached");
		return;
	}
	c = control_client_new(ctl, fd, &cred, groups, ngroups, &owner,
			       client_read_cb, hello_timeout_cb);
	if (!c) {
		log_msg(LOG_ERR, "control: out of memory for a client");
		control_uncharge(ctl, &owner, CONTROL_KIND_CLIENT);
		control_owner_put(ctl, &owner);
		free(groups);
		close(fd);
		return;
	}
	log_msg(LOG_DEBUG, "control: client %u connected (pid %d uid %d)",
		c->serial, (int)c->pid, (int)c->uid);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;
	int i;

	for (i = 0; i < CONTROL_ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(ctl->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			/* Out of descriptors or memory: pause accepting
			 * rather than spin on a readable socket. */
			log_msg(LOG_ERR, "control: accept: %m; pausing");
			ev_io_stop(loop, &ctl->accept_watcher);
			ev_timer_set(&ctl->accept_retry, CONTROL_ACCEPT_RETRY_S,
				     0.);
			ev_timer_start(loop, &ctl->accept_retry);
			return;
		}
		admit_client(ctl, fd);
	}
}

static void accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *ctl = w->data;

	ev_io_start(loop, &ctl->accept_watcher);
}

/* ---- the interface ------------------------------------------------- */

/* Refuses to take over a path where a daemon answers; removes a stale
 * socket. Returns 0, -EADDRINUSE or -EEXIST (not a socket). */
static int clear_stale_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, err = 0;

	if (lstat(addr->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
	    errno == EAGAIN)
		err = -EADDRINUSE;
	else if (unlink(addr->sun_path) < 0 && errno != ENOENT)
		err = -errno;
	close(fd);
	return err;
}

/* Gives the socket at `path` the configured owner and group ([daemon]
 * socket_owner, socket_group; unset: the daemon's). Returns 0 or the
 * negative errno of chown(), logged. */
static int set_owner(const struct config *cfg, const char *path)
{
	uid_t uid = cfg->socket_owner_set ? cfg->socket_owner : (uid_t)-1;
	gid_t gid = cfg->socket_group_set ? cfg->socket_group : (gid_t)-1;
	int err;

	if (!cfg->socket_owner_set && !cfg->socket_group_set)
		return 0;
	if (chown(path, uid, gid) == 0)
		return 0;
	err = errno;
	log_msg(LOG_ERR,
		"control: %s: cannot give it owner %d and group %d "
		"([daemon] socket_owner, socket_group): %s",
		path, (int)uid, (int)gid, strerror(err));
	return -err;
}

int control_socket_access(struct daemon *d, const struct config *cfg)
{
	struct control *ctl = d->control;
	int err;

	if (!ctl)
		return -ENOTCONN;
	err = set_owner(cfg, ctl->path);
	if (err)
		return err;
	if (chmod(ctl->path, cfg->socket_mode) < 0) {
		err = -errno;
		log_msg(LOG_ERR, "control: %s: chmod %04o: %s", ctl->path,
			(unsigned)cfg->socket_mode, strerror(-err));
		return err;
	}
	return 0;
}

int control_start(struct daemon *d, const char *path, mode_t mode)
{
	struct control *ctl;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int err;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_msg(LOG_ERR, "control: socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		log_msg(LOG_ERR, "control: out of memory");
		return -ENOMEM;
	}
	ctl->d = d;
	ctl->client_destroy = client_destroy;
	ctl->sock_owners = sock_owners;
	ctl->limits = d->cfg->control;
	ctl->send_timeout_s = CONTROL_SEND_TIMEOUT_S;
	ctl->listen_fd = -1;
	memcpy(ctl->path, addr.sun_path, sizeof(ctl->path));

	err = clear_stale_socket(&addr);
	if (err == -EADDRINUSE) {
		log_msg(LOG_ERR, "control: a daemon already answers on %s",
			path);
		goto out;
	} else if (err) {
		log_msg(LOG_ERR, "control: %s: %s", ctl->path,
			err == -EEXIST ? "exists and is not a socket"
				       : strerror(-err));
		goto out;
	}
	ctl->listen_fd =
	    socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0) {
		err = -errno;
		log_msg(LOG_ERR, "control: socket: %m");
		goto out;
	}
	if (bind(ctl->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		log_msg(LOG_ERR, "control: bind %s: %m", ctl->path);
		goto out;
	}
	/* Nobody can connect before listen(): no window with the umask's
	 * permissions, nor with the daemon's own owner and group. */
	err = set_owner(d->cfg, ctl->path);
	if (err) {
		unlink(ctl->path);
		goto out;
	}
	if (chmod(ctl->path, mode) < 0 ||
	    listen(ctl->listen_fd, CONTROL_LISTEN_BACKLOG) < 0) {
		err = -errno;
		log_msg(LOG_ERR, "control: %s: %m", ctl->path);
		unlink(ctl->path);
		goto out;
	}
	control_limits_fit(ctl);
	err = control_tcp_start(ctl);
	if (err) {
		log_msg(LOG_ERR, "control: tcp: %s", strerror(-err));
		unlink(ctl->path);
		goto out;
	}
	ev_io_init(&ctl->accept_watcher, accept_cb, ctl->listen_fd, EV_READ);
	ctl->accept_watcher.data = ctl;
	ev_init(&ctl->accept_retry, accept_retry_cb);
	ctl->accept_retry.data = ctl;
	ev_io_start(d->loop, &ctl->accept_watcher);
	d->control = ctl;
	log_msg(LOG_INFO, "control: listening on %s", ctl->path);
	return 0;
out:
	if (ctl->listen_fd >= 0)
		close(ctl->listen_fd);
	free(ctl);
	return err;
}

void control_stop(struct daemon *d)
{
	struct control *ctl = d->control;

	if (!ctl)
		return;
	while (ctl->clients)
		client_destroy(ctl->clients);
	control_udp_stop(ctl);
	control_tcp_stop(ctl);
	capture_set_free(ctl->captures);
	ev_io_stop(d->loop, &ctl->accept_watcher);
	ev_timer_stop(d->loop, &ctl->accept_retry);
	close(ctl->listen_fd);
	unlink(ctl->path);
	for (int i = 0; i < CONTROL_COUNTERS; i++)
		if (ctl->counters[i])
			log_msg(LOG_INFO, "control: %s %llu",
				control_counter_name((enum control_counter)i),
				(unsigned long long)ctl->counters[i]);
	free(ctl);
	d->control = NULL;
}

void control_on_stack_event(struct daemon *d, const struct stack_event *ev)
{
	if (!d->control)
		return;
	switch (ev->type) {
	case STACK_EV_UDP_READABLE:
	case STACK_EV_UDP_ERROR:
		control_udp_on_event(d->control, ev);
		return;
	default:
		control_tcp_on_event(d->control, ev); /* another id space */
		return;
	}
}
