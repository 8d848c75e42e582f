/*
 * control_udp.c - UDP sockets through the IPC: UDP_OPEN and the data
 * path
 *
 * A struct control_socket is one UDP socket: the stack's id and the
 * daemon's end of a socketpair(AF_UNIX, SOCK_SEQPACKET) whose other end
 * went to the application with SCM_RIGHTS. It belongs to the control
 * connection that opened it (c->sockets): closing that connection
 * closes them all in the stack, except those opened with OWN_FD
 * (IPC_UDP_OPEN_F_OWN_FD), which belong to their descriptor as TCP
 * connections do: they move to ctl->udp_orphans and live until EOF on
 * the daemon's end (every copy of the application's descriptor closed)
 * or the daemon stops (control_udp_stop). Limits (control_limits.c):
 * the stack's udp_sockets_max in all (UDP_OPEN fails with -ENFILE, as
 * does running out of descriptors), udp_per_client and udp_per_uid
 * (-EMFILE). A socket stays charged to the accounts of the client that
 * opened it (its own reference, cs->charged) until it closes, so an
 * orphan still counts against its uid.
 *
 * UDP_SETOPT is taken from the client that opened the socket, or from
 * any client whose request carries the socket's descriptor as proof of
 * possession (the application end's identity, st_dev, st_ino and
 * SO_COOKIE, is recorded when the pair is made: 24 bytes).
 *
 * The data path (docs/ipc.md, "UDP sockets"):
 *   application -> stack: the daemon end is always watched for reading;
 *     each packet is checked (ipc_dgram_decode) and handed to udp_send,
 *     at most CONTROL_DGRAMS_PER_WAKEUP per wakeup, and none once the
 *     stack's tx queue is full for this turn (daemon_turn_full). A
 *     packet that breaks the channel's format (a plain write()) is
 *     dropped and answered with an error datagram: EDESTADDRREQ, or
 *     EINVAL on a connected socket. A datagram with no route
 *     (ENETUNREACH) becomes the socket's pending error too, as an ICMP
 *     error does, so the application's next call sees it (Linux's
 *     sendto returns it at once; here the send has already returned).
 *   stack -> application: on STACK_EV_UDP_READABLE the socket's queue
 *     is drained with udp_peek, and udp_pop only after the packet was
 *     sent. When the socketpair is full (EAGAIN) draining stops and an
 *     EV_WRITE watcher resumes it, so the stack's bounded queue fills
 *     and its drops are counted there.
 *   EOF or an error on the daemon end (the application closed its
 *   descriptor) closes the socket in the stack. When the control
 *   connection goes, each of its sockets first passes on what the
 *   application had already written (at most CONTROL_LINGER_DGRAMS_MAX
 *   datagrams), as a kernel sends what was written before close().
 */
#define _GNU_SOURCE
#include "control_udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "control_limits.h"
#include "log.h"

#define CONTROL_DGRAMS_PER_WAKEUP 64
#define CONTROL_LINGER_DGRAMS_MAX 4096 /* sent by a client that left */

struct control_socket {
	struct control *ctl;
	struct control_client *owner; /* NULL once an OWN_FD orphan */
	struct control_socket *next;  /* in owner->sockets, or the orphans */
	struct control_owner charged; /* the accounts it counts against */
	struct control_fd_id app_id;  /* the application's end's */
	bool own_fd;		      /* outlives its client (OWN_FD) */
	int sock;		      /* stack socket id */
	int fd;			      /* the daemon's end */
	ev_io read_watcher;
	ev_io write_watcher;
	uint32_t pending_error; /* an ICMP error not yet delivered */
};

static void socket_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void socket_write_cb(struct ev_loop *loop, ev_io *w, int revents);

/* Closes the socket in the stack and frees it. */
static void socket_destroy(struct control_socket *cs)
{
	struct control_client *c = cs->owner;
	struct control *ctl = cs->ctl;
	struct control_socket **pp;

	for (pp = c ? &c->sockets : &ctl->udp_orphans; *pp; pp = &(*pp)->next) {
		if (*pp == cs) {
			*pp = cs->next;
			break;
		}
	}
	ev_io_stop(ctl->d->loop, &cs->read_watcher);
	ev_io_stop(ctl->d->loop, &cs->write_watcher);
	close(cs->fd);
	udp_socket_close(ctl->d->stack, cs->sock);
	log_msg(LOG_DEBUG, "control: udp socket %d closed%s", cs->sock,
		c ? "" : " (its client had gone)");
	control_uncharge(ctl, &cs->charged, CONTROL_KIND_UDP);
	free(cs);
}

/*
 * Moves queued datagrams (and a pending ICMP error) from the stack to
 * the application until the queue is empty or the socketpair is full.
 * Never closes the socket: a dead peer shows up as EOF on the read
 * watcher, which does.
 */
static void socket_drain(struct control_socket *cs)
{
	struct control *ctl = cs->ctl;
	struct daemon *d = ctl->d;
	uint8_t hdr[IPC_DGRAM_HDR_LEN];
	struct ipc_dgram_hdr h;
	struct udp_datagram dg;
	struct iovec iov[2];
	struct msghdr msg;
	ssize_t n;

	for (;;) {
		bool is_error = cs->pending_error != 0;

		memset(&h, 0, sizeof(h));
		if (is_error) {
			h.flags = IPC_DGRAM_F_ERROR;
			h.error = cs->pending_error;
			dg.len = 0;
			dg.data = NULL;
		} else {
			if (udp_peek(d->stack, cs->sock, &dg) != 0)
				break;
			h.addr = dg.src_addr;
			h.port = dg.src_port;
		}
		ipc_dgram_hdr_encode(hdr, &h);
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)dg.data;
		iov[1].iov_len = dg.len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = dg.len ? 2 : 1;
		n = sendmsg(cs->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				ev_io_start(d->loop, &cs->write_watcher);
				return;
			}
			if (errno == EMSGSIZE && !is_error) {
				/* larger than the socketpair can ever take
				 * (a tiny wmem_max): drop it, not the rest */
				log_msg(LOG_DEBUG,
					"control: socket %d: %zu-byte "
					"datagram too large for the channel",
					cs->sock, dg.len);
				udp_pop(d->stack, cs->sock);
				continue;
			}
			/* The application is gone; EOF on read closes. */
			ev_io_stop(d->loop, &cs->write_watcher);
			return;
		}
		if (is_error)
			cs->pending_error = 0;
		else
			udp_pop(d->stack, cs->sock);
	}
	ev_io_stop(d->loop, &cs->write_watcher);
}

static void socket_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	socket_drain(w->data);
}

enum socket_input_result { INPUT_AGAIN, INPUT_EOF };

/* The error for a packet the application sent without libutcp's
 * framing (a write()): EDESTADDRREQ on a socket without a peer, as
 * Linux's write() on an unconnected UDP socket gives; EINVAL on a
 * connected one, whose datagram cannot be told from a framed one. */
static uint32_t socket_unframed_error(const struct control_socket *cs)
{
	struct stack_udp_info info;

	if (udp_socket_info(cs->ctl->d->stack, cs->sock, &info) == 0 &&
	    info.remote_port == 0)
		return EDESTADDRREQ;
	return EINVAL;
}

/*
 * Application -> stack: hands at most `max` queued datagrams to
 * udp_send. Unless `lingering` (the socket is about to go, and this is
 * its last chance), it stops early when the stack's tx queue is full
 * for this turn (daemon_turn_full); the descriptor stays readable and
 * the rest goes next turn. Returns INPUT_AGAIN when the queue is empty
 * (or it stopped), INPUT_EOF when the application closed its end (the
 * caller closes the socket). A packet that breaks the channel's format
 * is dropped, counted, and answered with an error datagram.
 */
static enum socket_input_result socket_input(struct control_socket *cs, int max,
					     bool lingering)
{
	struct control *ctl = cs->ctl;
	struct daemon *d = ctl->d;
	enum socket_input_result result = INPUT_AGAIN;
	struct ipc_dgram_hdr h;
	const uint8_t *payload;
	size_t payload_len;
	int i, err;

	for (i = 0; i < max; i++) {
		ssize_t n;

		if (!lingering && daemon_turn_full(d))
			break;
		n = recv(cs->fd, ctl->dgram_buf, sizeof(ctl->dgram_buf),
			 MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			result = INPUT_EOF; /* closed, or reset */
			break;
		}
		if ((size_t)n > sizeof(ctl->dgram_buf))
			err = -EMSGSIZE;
		else
			err = ipc_dgram_decode(ctl->dgram_buf, (size_t)n, &h,
					       &payload, &payload_len);
		if (err == 0 && h.flags != 0)
			err = -EBADMSG; /* no flags from applications */
		if (err) {
			/* Not a datagram libutcp framed: most likely a
			 * plain write() on the descriptor. Dropped, and
			 * refused as Linux refuses what it cannot send:
			 * the error reaches the application's next
			 * receive (the write() itself has succeeded). */
			if (ctl->counters[CONTROL_CTR_UNFRAMED]++ % 1024 == 0)
				log_msg(LOG_WARNING,
					"control: socket %d: unframed "
					"datagram (%s), dropped",
					cs->sock, strerror(-err));
			cs->pending_error = socket_unframed_error(cs);
			continue;
		}
		err = udp_send(d->stack, daemon_now(), cs->sock, h.addr, h.port,
			       payload, payload_len);
		if (err)
			log_msg(LOG_DEBUG,
				"control: socket %d: send of %zu bytes: %s",
				cs->sock, payload_len, strerror(-err));
		if (err == -ENETUNREACH || err == -EADDRNOTAVAIL)
			cs->pending_error = -err; /* no route; bound to an
						   * address we lost */
	}
	/* A send's error (no route, an unframed packet) goes back as the
	 * socket's error, which libutcp's next utcp_sendto() or
	 * utcp_recvfrom() returns. */
	if (cs->pending_error && !lingering &&
	    !ev_is_active(&cs->write_watcher))
		socket_drain(cs);
	return result;
}

static void socket_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_socket *cs = w->data;

	/* socket_input() sends back any error its packets caused. */
	if (socket_input(cs, CONTROL_DGRAMS_PER_WAKEUP, false) != INPUT_AGAIN)
		socket_destroy(cs);
}

/* Opens the socket in the stack and finds the address it bound. */
static int udp_open(struct control_client *c, const struct ipc_udp_open *o,
		    struct ipc_udp_open_reply *r, int *app_fd)
{
	struct control *ctl = c->ctl;
	struct daemon *d = ctl->d;
	struct control_socket *cs = NULL;
	struct stack_udp_info info;
	int pair[2] = {-1, -1};
	int sock = -1, err;

	if (o->remote_port == 0 && o->remote_addr != 0)
		return -EINVAL;
	if (o->flags & ~IPC_UDP_OPEN_F_OWN_FD)
		return -EINVAL; /* the decoder refuses them: cannot happen */
	err = control_charge(ctl, &c->owner, CONTROL_KIND_UDP);
	if (err)
		return err; /* -EMFILE: this client's or uid's share */
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		err = -ENOMEM;
		goto out;
	}
	/* Only the daemon's end is non-blocking: O_NONBLOCK belongs to
	 * the open file, which the application shares with its end. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
	    fcntl(pair[0], F_SETFL, O_NONBLOCK) < 0) {
		/* The daemon's descriptors are everybody's: ENFILE. */
		err = errno == EMFILE ? -ENFILE : -errno;
		goto out;
	}
	sock = udp_socket_open(d->stack, o->local_addr, o->local_port,
			       o->remote_addr, o->remote_port);
	if (sock < 0) {
		/* The stack's table is everybody's: ENFILE. */
		err = sock == -EMFILE ? -ENFILE : sock;
		goto out;
	}

	/* The bound address (the port may have been chosen). */
	r->local_addr = o->local_addr;
	r->local_port = o->local_port;
	if (udp_socket_info(d->stack, sock, &info) == 0) {
		r->local_addr = info.local_addr;
		r->local_port = info.local_port;
	}

	cs->ctl = ctl;
	cs->owner = c;
	cs->charged = c->owner;
	cs->app_id = control_fd_id_of_own(pair[1]); /* proof of possession */
	cs->own_fd = (o->flags & IPC_UDP_OPEN_F_OWN_FD) != 0;
	cs->sock = sock;
	cs->fd = pair[0];
	ev_io_init(&cs->read_watcher, socket_read_cb, cs->fd, EV_READ);
	ev_io_init(&cs->write_watcher, socket_write_cb, cs->fd, EV_WRITE);
	cs->read_watcher.data = cs;
	cs->write_watcher.data = cs;
	ev_io_start(d->loop, &cs->read_watcher);
	cs->next = c->sockets;
	c->sockets = cs;
	(void)udp_socket_set_user(d->stack, sock, cs); /* its events' cookie */
	r->sock = sock;
	*app_fd = pair[1];
	cs = NULL;
	pair[0] = pair[1] = -1;
	sock = -1;
	err = 0;
	log_msg(LOG_DEBUG, "control: client %u: udp socket %d%s", c->serial,
		r->sock, (o->flags & IPC_UDP_OPEN_F_OWN_FD) ? " (own fd)" : "");
out:
	if (sock >= 0)
		udp_socket_close(d->stack, sock);
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	free(cs);
	if (err)
		control_uncharge(ctl, &c->owner, CONTROL_KIND_UDP);
	return err;
}

void control_udp_open(struct control_client *c, const struct ipc_msg *m,
		      const struct ipc_udp_open *o)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_udp_open_reply r = {.sock = -1};
	int app_fd = -1, len;

	r.status = udp_open(c, o, &r, &app_fd);
	if (r.status != 0) {
		r.sock = -1;
		r.local_addr = 0;
		r.local_port = 0;
	}
	len =
	    ipc_encode_udp_open_reply(buf, sizeof(buf), c->version, m->id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, app_fd);
	else if (app_fd >= 0)
		close(app_fd); /* cannot happen; the socket closes on EOF */
}

/* The socket `sock` in the list that starts at cs, or NULL. */
static struct control_socket *socket_in(struct control_socket *cs, int sock)
{
	while (cs && cs->sock != sock)
		cs = cs->next;
	return cs;
}

/* Socket `sock` as a request from c may name it: one c opened, or,
 * with a proof, any whose application end the proof is (another
 * client's, or an orphan). NULL when there is none. */
static struct control_socket *socket_find(struct control_client *c, int sock,
					  const struct control_fd_id *proof)
{
	struct control *ctl = c->ctl;
	struct control_socket *cs;
	struct control_client *other;

	if (!proof)
		return socket_in(c->sockets, sock);
	cs = socket_in(ctl->udp_orphans, sock);
	for (other = ctl->clients; !cs && other; other = other->next)
		cs = socket_in(other->sockets, sock);
	return cs && control_fd_proves(proof, &cs->app_id) ? cs : NULL;
}

void control_udp_setopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_udp_setopt *o,
			const struct control_fd_id *proof)
{
	struct stack *s = c->ctl->d->stack;
	struct ipc_status_only_reply r = {.status = -EBADF};
	struct control_socket *cs = socket_find(c, o->sock, proof);
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len;

	if (cs) {
		uint8_t tos = 0, ttl = 0;

		/* What the request does not set stays as it is. */
		(void)udp_socket_get_tos_ttl(s, cs->sock, &tos, &ttl);
		if (o->set & IPC_UDP_OPT_TOS)
			tos = o->tos;
		if (o->set & IPC_UDP_OPT_TTL)
			ttl = o->ttl;
		r.status = udp_socket_set_tos_ttl(s, cs->sock, tos, ttl);
	}
	len = ipc_encode_udp_setopt_reply(buf, sizeof(buf), c->version, m->id,
					  &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

void control_udp_client_gone(struct control_client *c)
{
	struct control *ctl = c->ctl;

	while (c->sockets) {
		struct control_socket *cs = c->sockets;

		if (cs->own_fd) {
			/* It belongs to its descriptor: it lives on. */
			c->sockets = cs->next;
			cs->owner = NULL;
			cs->next = ctl->udp_orphans;
			ctl->udp_orphans = cs;
			continue;
		}
		/* Datagrams the application sent before it went are
		 * delivered, as a kernel would: the socketpair's buffer
		 * bounds this. */
		(void)socket_input(cs, CONTROL_LINGER_DGRAMS_MAX, true);
		socket_destroy(cs);
	}
}

size_t control_udp_sock_owners(const struct control *ctl,
			       struct ipc_rec_sock_owner *out, size_t max)
{
	const struct control_client *c;
	const struct control_socket *cs;
	size_t n = 0;

	for (c = ctl->clients; c; c = c->next)
		for (cs = c->sockets; cs; cs = cs->next, n++)
			if (n < max)
				control_sock_owner_record(&cs->charged,
							  IPC_SOCK_OWNER_UDP,
							  cs->sock, &out[n]);
	for (cs = ctl->udp_orphans; cs; cs = cs->next, n++)
		if (n < max)
			control_sock_owner_record(&cs->charged,
						  IPC_SOCK_OWNER_UDP, cs->sock,
						  &out[n]);
	return n;
}

void control_udp_stop(struct control *ctl)
{
	while (ctl->udp_orphans)
		socket_destroy(ctl->udp_orphans);
}

void control_udp_on_event(struct control *ctl, const struct stack_event *ev)
{
	struct control_socket *cs = ev->user; /* udp_socket_set_user */

	if (!cs)
		return; /* closed since */
	if (ev->type == STACK_EV_UDP_ERROR && ev->error > 0 &&
	    ev->error <= IPC_ERRNO_MAX)
		cs->pending_error = (uint32_t)ev->error;
	/* Unless already waiting for room, move data now. */
	if (!ev_is_active(&cs->write_watcher))
		socket_drain(cs);
}
