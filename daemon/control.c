/*
 * control.c - the control socket: IPC server (docs/ipc.md)
 *
 * Objects and owners:
 *
 *   struct control         one per daemon: the listening socket, the list
 *                          of clients, a hash of open sockets by stack id.
 *   struct control_client  one accepted control connection. It owns the
 *                          sockets it opened; closing it closes them all
 *                          in the stack (udp_socket_close).
 *   struct control_socket  one UDP socket: the stack's id and the
 *                          daemon's end of the socketpair whose other end
 *                          went to the application with SCM_RIGHTS.
 *
 * Limits: CONTROL_CLIENTS_MAX connections (one more is accepted, sent an
 * unsolicited ERROR -EUSERS and closed); CONTROL_SOCKETS_MAX sockets in
 * all and CONTROL_CLIENT_SOCKETS_MAX per client (UDP_OPEN fails with
 * -EMFILE past either).
 *
 * Everything is non-blocking. A client's replies wait in a queue of at
 * most CONTROL_OUTQ_MAX messages; while it is full, or a status is being
 * streamed, the daemon reads no further requests from that client, so
 * a client that sends without reading only stalls itself. A client
 * whose pending output makes no progress for CONTROL_SEND_TIMEOUT_S is
 * disconnected. A status reply is a snapshot of the stack taken when the
 * request arrives and encoded chunk by chunk (each at most IPC_MSG_MAX
 * bytes) as the client's socket accepts them.
 *
 * A client that breaks the protocol (a malformed message, a wrong
 * version, a request before HELLO, a descriptor sent to us) is
 * disconnected, logged and counted; nothing else is affected.
 *
 * The data path of a UDP socket:
 *   application -> stack: the daemon end is always watched for reading;
 *     each packet is checked (ipc_dgram_decode) and handed to udp_send.
 *     A packet that breaks the channel's format closes the socket.
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
 *
 * TCP connections and listeners live in control_tcp.c (the requests
 * TCP_CONNECT, TCP_LISTEN, TCP_SETOPT and the STACK_EV_TCP_* events go
 * there); what the two files share is control_internal.h. BARRIER is
 * answered here after daemon_taps_drain().
 *
 * Handlers only give the stack its input; the stack's frames and events
 * are drained once per loop turn (loop.c), and events come back here
 * through control_on_stack_event().
 */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "control_internal.h"
#include "log.h"
#include "loop.h"
#include "utcpd.h"

#define CONTROL_CLIENTS_MAX	    64
#define CONTROL_SOCKETS_MAX	    1024
#define CONTROL_CLIENT_SOCKETS_MAX  256
#define CONTROL_SEND_TIMEOUT_S	    10.0
#define CONTROL_ACCEPT_RETRY_S	    1.0
#define CONTROL_LISTEN_BACKLOG	    64
#define CONTROL_ACCEPTS_PER_WAKEUP  16
#define CONTROL_REQUESTS_PER_WAKEUP 16
#define CONTROL_DGRAMS_PER_WAKEUP   64
#define CONTROL_LINGER_DGRAMS_MAX   4096 /* sent by a client that left */
#define CONTROL_CMSG_FDS_MAX	    8 /* descriptors we can receive to close */

struct control_socket {
	struct control_client *owner;
	struct control_socket *next;	  /* in owner->sockets */
	struct control_socket *hash_next; /* in control->sock_hash */
	int sock;			  /* stack socket id */
	int fd;				  /* the daemon's end */
	ev_io read_watcher;
	ev_io write_watcher;
	uint32_t pending_error; /* an ICMP error not yet delivered */
};

/* A status being streamed: the snapshot and where encoding stands. */
enum status_phase {
	STATUS_DAEMON,
	STATUS_INTERFACES,
	STATUS_ROUTES,
	STATUS_ARP,
	STATUS_SOCKETS,
	STATUS_TCP,
	STATUS_POOL,
	STATUS_COUNTERS,
	STATUS_DONE,
};

struct status_stream {
	uint32_t id;
	int32_t error; /* nonzero: one last reply with this status */
	enum status_phase phase;
	size_t index;
	uint64_t uptime_ms;
	int nifs;
	struct stack_if_info ifs[STACK_IF_MAX];
	uint32_t if_gateway[STACK_IF_MAX];
	struct stack_route_info *routes;
	size_t nroutes;
	struct stack_arp_info *arp;
	size_t narp;
	struct stack_udp_info *udp;
	size_t nudp;
	struct stack_tcp_info *tcp;
	size_t ntcp;
	struct stack_pool_info pool;
	uint64_t counters[STACK_COUNTER_COUNT];
	uint8_t chunk[IPC_MSG_MAX]; /* encoded, not yet sent */
	size_t chunk_len;
	bool chunk_last;
};

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void socket_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void socket_write_cb(struct ev_loop *loop, ev_io *w, int revents);

/* ---- sockets ------------------------------------------------------- */

static unsigned sock_bucket(int sock)
{
	return (unsigned)sock & (CONTROL_SOCK_HASH - 1);
}

static struct control_socket *socket_find(struct control *ctl, int sock)
{
	struct control_socket *cs = ctl->sock_hash[sock_bucket(sock)];

	while (cs && cs->sock != sock)
		cs = cs->hash_next;
	return cs;
}

/* Closes the socket in the stack and frees it. */
static void socket_destroy(struct control_socket *cs)
{
	struct control_client *c = cs->owner;
	struct control *ctl = c->ctl;
	struct control_socket **pp;

	for (pp = &ctl->sock_hash[sock_bucket(cs->sock)]; *pp;
	     pp = &(*pp)->hash_next) {
		if (*pp == cs) {
			*pp = cs->hash_next;
			break;
		}
	}
	for (pp = &c->sockets; *pp; pp = &(*pp)->next) {
		if (*pp == cs) {
			*pp = cs->next;
			break;
		}
	}
	ev_io_stop(ctl->d->loop, &cs->read_watcher);
	ev_io_stop(ctl->d->loop, &cs->write_watcher);
	close(cs->fd);
	udp_socket_close(ctl->d->stack, cs->sock);
	log_msg(LOG_DEBUG, "control: client %u: socket %d closed", c->serial,
		cs->sock);
	c->nsockets--;
	ctl->nsockets--;
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
	struct control *ctl = cs->owner->ctl;
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

enum socket_input_result { INPUT_AGAIN, INPUT_EOF, INPUT_BAD };

/*
 * Application -> stack: hands at most `max` queued datagrams to
 * udp_send. Unless `lingering` (the socket is about to go, and this is
 * its last chance), it stops early when the stack's tx queue is full
 * for this turn (daemon_turn_full); the descriptor stays readable and
 * the rest goes next turn. Returns INPUT_AGAIN when the queue is empty
 * (or it stopped), INPUT_EOF when the application closed its end,
 * INPUT_BAD for a packet that breaks the channel's format (logged and
 * counted). The caller closes the socket on the latter two.
 */
static enum socket_input_result socket_input(struct control_socket *cs, int max,
					     bool lingering)
{
	struct control_client *c = cs->owner;
	struct control *ctl = c->ctl;
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
			ctl->protocol_errors++;
			log_msg(LOG_WARNING,
				"control: client %u: socket %d: bad datagram "
				"(%s), closing it",
				c->serial, cs->sock, strerror(-err));
			result = INPUT_BAD;
			break;
		}
		err = udp_send(d->stack, daemon_now(), cs->sock, h.addr, h.port,
			       payload, payload_len);
		if (err)
			log_msg(LOG_DEBUG,
				"control: socket %d: send of %zu bytes: %s",
				cs->sock, payload_len, strerror(-err));
	}
	return result;
}

static void socket_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_socket *cs = w->data;

	if (socket_input(cs, CONTROL_DGRAMS_PER_WAKEUP, false) != INPUT_AGAIN)
		socket_destroy(cs);
}

/* ---- replies ------------------------------------------------------- */

static void client_destroy(struct control_client *c);

void control_client_queue(struct control_client *c, const void *msg, int len,
			  int fd)
{
	struct control_outmsg *o;

	o = &c->outq[(c->outq_head + c->outq_count) % CONTROL_OUTQ_MAX];
	memcpy(o->data, msg, (size_t)len);
	o->len = (size_t)len;
	o->fd = fd;
	c->outq_count++;
}

/* Sends one packet, with a descriptor when fd >= 0. Returns 0,
 * -EAGAIN, or another negative errno (the client is gone). */
static int send_packet(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return -EAGAIN;
		return -errno;
	}
	return 0;
}

static void status_free(struct status_stream *st)
{
	if (!st)
		return;
	free(st->routes);
	free(st->arp);
	free(st->udp);
	free(st->tcp);
	free(st);
}

static uint8_t route_kind(enum stack_route_kind kind)
{
	return kind == STACK_ROUTE_STATIC ? IPC_ROUTE_STATIC
					  : IPC_ROUTE_CONNECTED;
}

static uint8_t arp_state(enum arp_state state)
{
	switch (state) {
	case ARP_INCOMPLETE:
		return IPC_ARP_INCOMPLETE;
	case ARP_REACHABLE:
		return IPC_ARP_REACHABLE;
	case ARP_STATIC:
		return IPC_ARP_STATIC;
	}
	return IPC_ARP_INCOMPLETE;
}

/* A TCP connection's or listener's record. */
static void tcp_record(const struct stack_tcp_info *t, struct ipc_record *r)
{
	r->type = IPC_REC_TCP;
	r->u.tcp.id = t->id;
	r->u.tcp.state = t->listener ? IPC_TCPS_LISTEN
			 : (unsigned)t->state < IPC_TCPS_COUNT
			     ? (uint8_t)t->state
			     : IPC_TCPS_CLOSED;
	if (!t->listener && r->u.tcp.state == IPC_TCPS_LISTEN)
		r->u.tcp.state = IPC_TCPS_CLOSED; /* cannot happen */
	r->u.tcp.flags = (uint8_t)((t->listener ? IPC_TCP_F_LISTENER : 0) |
				   (t->orphan ? IPC_TCP_F_ORPHAN : 0));
	r->u.tcp.local_addr = t->local_addr;
	r->u.tcp.local_port = t->local_port;
	r->u.tcp.remote_addr = t->remote_addr;
	r->u.tcp.remote_port = t->remote_port;
	r->u.tcp.send_queue = t->send_queue;
	r->u.tcp.recv_queue = t->recv_queue;
	r->u.tcp.snd_wnd = t->snd_wnd;
	r->u.tcp.rcv_wnd = t->rcv_wnd;
	r->u.tcp.cwnd = t->cwnd;
	r->u.tcp.ssthresh = t->ssthresh;
	r->u.tcp.mss = t->mss;
	r->u.tcp.backlog = t->backlog;
	r->u.tcp.srtt_us = t->srtt_us;
	r->u.tcp.rttvar_us = t->rttvar_us;
	r->u.tcp.rto_ms = t->rto_ms;
	r->u.tcp.retransmits = t->retransmits;
	r->u.tcp.bytes_sent = t->bytes_sent;
	r->u.tcp.bytes_received = t->bytes_received;
}

/* Fills *r with the record at the stream's position; false when the
 * current phase is exhausted. */
static bool status_record(struct status_stream *st, struct ipc_record *r)
{
	size_t i = st->index;

	memset(r, 0, sizeof(*r));
	switch (st->phase) {
	case STATUS_DAEMON:
		if (i > 0)
			return false;
		r->type = IPC_REC_DAEMON;
		r->u.daemon.uptime_ms = st->uptime_ms;
		return true; /* name filled by the caller */
	case STATUS_INTERFACES:
		if (i >= (size_t)st->nifs)
			return false;
		r->type = IPC_REC_INTERFACE;
		r->u.iface.index = (int32_t)i;
		memcpy(r->u.iface.name, st->ifs[i].name,
		       sizeof(r->u.iface.name) - 1);
		memcpy(r->u.iface.mac, st->ifs[i].mac, 6);
		r->u.iface.mtu = st->ifs[i].mtu;
		r->u.iface.addr = st->ifs[i].addr;
		r->u.iface.prefix_len = st->ifs[i].prefix_len;
		r->u.iface.gateway = st->if_gateway[i];
		return true;
	case STATUS_ROUTES:
		if (i >= st->nroutes)
			return false;
		r->type = IPC_REC_ROUTE;
		r->u.route.dst = st->routes[i].dst;
		r->u.route.prefix_len = st->routes[i].prefix_len;
		r->u.route.gateway = st->routes[i].gateway;
		r->u.route.ifindex = st->routes[i].ifindex;
		r->u.route.kind = route_kind(st->routes[i].kind);
		return true;
	case STATUS_ARP:
		if (i >= st->narp)
			return false;
		r->type = IPC_REC_ARP;
		r->u.arp.addr = st->arp[i].addr;
		memcpy(r->u.arp.mac, st->arp[i].mac, 6);
		r->u.arp.ifindex = st->arp[i].ifindex;
		r->u.arp.state = arp_state(st->arp[i].state);
		r->u.arp.expires_ms = st->arp[i].expires_in_ns / 1000000u;
		r->u.arp.queued = st->arp[i].queued;
		return true;
	case STATUS_SOCKETS:
		if (i >= st->nudp)
			return false;
		r->type = IPC_REC_SOCKET;
		r->u.socket.id = st->udp[i].sock;
		r->u.socket.protocol = IPC_PROTO_UDP;
		r->u.socket.local_addr = st->udp[i].local_addr;
		r->u.socket.local_port = st->udp[i].local_port;
		r->u.socket.remote_addr = st->udp[i].remote_addr;
		r->u.socket.remote_port = st->udp[i].remote_port;
		r->u.socket.recv_queue = st->udp[i].rcvq_datagrams;
		r->u.socket.recv_bytes = st->udp[i].rcvq_bytes;
		r->u.socket.rx = st->udp[i].rx_datagrams;
		r->u.socket.tx = st->udp[i].tx_datagrams;
		r->u.socket.drops = st->udp[i].rx_drops;
		return true;
	case STATUS_TCP:
		if (i >= st->ntcp)
			return false;
		tcp_record(&st->tcp[i], r);
		return true;
	case STATUS_POOL:
		if (i > 0)
			return false;
		r->type = IPC_REC_POOL;
		r->u.pool.small_in_use = st->pool.in_use[PKT_CLASS_SMALL];
		r->u.pool.small_allocated = st->pool.allocated[PKT_CLASS_SMALL];
		r->u.pool.small_max = st->pool.max[PKT_CLASS_SMALL];
		r->u.pool.large_in_use = st->pool.in_use[PKT_CLASS_LARGE];
		r->u.pool.large_allocated = st->pool.allocated[PKT_CLASS_LARGE];
		r->u.pool.large_max = st->pool.max[PKT_CLASS_LARGE];
		return true;
	case STATUS_COUNTERS:
		if (i >= STACK_COUNTER_COUNT)
			return false;
		r->type = IPC_REC_COUNTER;
		snprintf(r->u.counter.name, sizeof(r->u.counter.name), "%s",
			 stack_counter_name((enum stack_counter)i));
		r->u.counter.value = st->counters[i];
		return true;
	case STATUS_DONE:
		break;
	}
	return false;
}

/* Encodes the next chunk of the stream into st->chunk. */
static void status_encode_chunk(struct control_client *c,
				struct status_stream *st)
{
	struct ipc_status_builder b;
	struct ipc_record r;

	/* IPC_MSG_MAX always holds an empty reply: cannot fail. */
	(void)ipc_status_begin(&b, st->chunk, sizeof(st->chunk), c->version,
			       st->id);
	if (st->error) {
		st->chunk_len = ipc_status_finish(&b, st->error, true);
		st->chunk_last = true;
		return;
	}
	while (st->phase != STATUS_DONE) {
		if (!status_record(st, &r)) {
			st->phase++;
			st->index = 0;
			continue;
		}
		if (r.type == IPC_REC_DAEMON)
			snprintf(r.u.daemon.name, sizeof(r.u.daemon.name), "%s",
				 c->ctl->d->cfg->name);
		if (ipc_status_add(&b, &r) == -ENOSPC) {
			if (b.nrecords == 0) {
				/* cannot happen: every record is small */
				st->index++;
				continue;
			}
			break;
		}
		st->index++;
	}
	st->chunk_last = st->phase == STATUS_DONE;
	st->chunk_len = ipc_status_finish(&b, 0, st->chunk_last);
}

/* Takes a snapshot of `count` records via `snap`; returns 0 or -ENOMEM.
 * Entries may appear between the two calls: what fits is kept. */
#define SNAPSHOT(st, field, nfield, type, call)                                \
	do {                                                                   \
		size_t total_ = (call(NULL, 0));                               \
		if (total_ > 0) {                                              \
			(st)->field = calloc(total_, sizeof(type));            \
			if (!(st)->field)                                      \
				return -ENOMEM;                                \
			(st)->nfield = call((st)->field, total_);              \
			if ((st)->nfield > total_)                             \
				(st)->nfield = total_;                         \
		}                                                              \
	} while (0)

/* Fills a status stream with a snapshot of the stack. */
static int status_snapshot(struct daemon *d, struct status_stream *st)
{
	uint64_t now = daemon_now();
	int i;

#define ROUTES(out, max) stack_route_snapshot(d->stack, out, max)
#define ARPS(out, max)	 stack_arp_snapshot(d->stack, now, out, max)
#define UDPS(out, max)	 stack_udp_snapshot(d->stack, out, max)
#define TCPS(out, max)	 stack_tcp_snapshot(d->stack, now, out, max)
	SNAPSHOT(st, routes, nroutes, struct stack_route_info, ROUTES);
	SNAPSHOT(st, arp, narp, struct stack_arp_info, ARPS);
	SNAPSHOT(st, udp, nudp, struct stack_udp_info, UDPS);
	SNAPSHOT(st, tcp, ntcp, struct stack_tcp_info, TCPS);
#undef ROUTES
#undef ARPS
#undef UDPS
#undef TCPS

	st->uptime_ms = (now - d->start_ns) / 1000000u;
	st->nifs = stack_if_count(d->stack);
	if (st->nifs > STACK_IF_MAX)
		st->nifs = STACK_IF_MAX;
	if (st->nifs < 0)
		st->nifs = 0;
	for (i = 0; i < st->nifs; i++) {
		if (stack_if_info(d->stack, i, &st->ifs[i]) != 0)
			memset(&st->ifs[i], 0, sizeof(st->ifs[i]));
		st->ifs[i].name[STACK_IF_NAME_MAX - 1] = '\0';
	}
	/* An interface's gateway: that of a default route out of it. */
	for (size_t r = 0; r < st->nroutes; r++) {
		const struct stack_route_info *ri = &st->routes[r];

		if (ri->prefix_len == 0 && ri->gateway != 0 &&
		    ri->ifindex >= 0 && ri->ifindex < st->nifs &&
		    st->if_gateway[ri->ifindex] == 0)
			st->if_gateway[ri->ifindex] = ri->gateway;
	}
	stack_pool_info(d->stack, &st->pool);
	for (i = 0; i < STACK_COUNTER_COUNT; i++)
		st->counters[i] =
		    stack_counter_get(d->stack, (enum stack_counter)i);
	return 0;
}

static void client_send_timer_update(struct control_client *c, bool pending)
{
	struct ev_loop *loop = c->ctl->d->loop;

	if (pending) {
		ev_io_start(loop, &c->write_watcher);
		if (!ev_is_active(&c->send_timer))
			ev_timer_again(loop, &c->send_timer);
	} else {
		ev_io_stop(loop, &c->write_watcher);
		ev_timer_stop(loop, &c->send_timer);
	}
}

/*
 * Sends what the client has pending: queued replies first, then status
 * chunks. Returns 0, or -1 when the client was destroyed.
 */
int control_client_flush(struct control_client *c)
{
	struct ev_loop *loop = c->ctl->d->loop;
	bool progress = false;
	int err;

	while (c->outq_count > 0) {
		struct control_outmsg *o = &c->outq[c->outq_head];

		err = send_packet(c->fd, o->data, o->len, o->fd);
		if (err == -EAGAIN)
			goto pending;
		if (err) {
			log_msg(LOG_INFO, "control: client %u: send: %s",
				c->serial, strerror(-err));
			client_destroy(c);
			return -1;
		}
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		c->outq_head = (c->outq_head + 1) % CONTROL_OUTQ_MAX;
		c->outq_count--;
		progress = true;
	}
	while (c->status) {
		struct status_stream *st = c->status;

		if (st->chunk_len == 0)
			status_encode_chunk(c, st);
		err = send_packet(c->fd, st->chunk, st->chunk_len, -1);
		if (err == -EAGAIN)
			goto pending;
		if (err) {
			log_msg(LOG_INFO, "control: client %u: send: %s",
				c->serial, strerror(-err));
			client_destroy(c);
			return -1;
		}
		progress = true;
		st->chunk_len = 0;
		if (st->chunk_last) {
			status_free(st);
			c->status = NULL;
		}
	}
	client_send_timer_update(c, false);
	if (c->closing) {
		client_destroy(c);
		return -1;
	}
	if (!c->reply_pending)
		ev_io_start(loop, &c->read_watcher);
	return 0;

pending:
	if (progress)
		ev_timer_stop(loop, &c->send_timer); /* restarted below */
	client_send_timer_update(c, true);
	return 0;
}

void control_reply_error(struct control_client *c, uint32_t id, int status)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_error e = {.status = status};
	int len =
	    ipc_encode_error(buf, sizeof(buf),
			     c->version ? c->version : IPC_VERSION_MIN, id, &e);

	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

/* ---- requests ------------------------------------------------------ */

static void handle_hello(struct control_client *c, const struct ipc_msg *m,
			 const struct ipc_hello *h)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_hello_reply r = {0};
	unsigned lo =
	    h->version_min > IPC_VERSION_MIN ? h->version_min : IPC_VERSION_MIN;
	unsigned hi =
	    h->version_max < IPC_VERSION_MAX ? h->version_max : IPC_VERSION_MAX;
	int len;

	if (lo > hi) {
		log_msg(LOG_INFO,
			"control: client %u: speaks versions %u..%u, we "
			"speak %u..%u: disconnecting",
			c->serial, h->version_min, h->version_max,
			IPC_VERSION_MIN, IPC_VERSION_MAX);
		r.status = -EPROTONOSUPPORT;
		c->closing = true;
	} else {
		r.version = (uint16_t)hi;
		r.capabilities = IPC_CAP_UDP | IPC_CAP_TCP | IPC_CAP_BARRIER;
		r.msg_max = IPC_MSG_MAX;
	}
	len = ipc_encode_hello_reply(buf, sizeof(buf), IPC_VERSION_MIN, m->id,
				     &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
	if (r.status == 0)
		c->version = (uint8_t)hi;
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

	if (c->nsockets >= CONTROL_CLIENT_SOCKETS_MAX ||
	    ctl->nsockets >= CONTROL_SOCKETS_MAX)
		return -EMFILE;
	if (o->remote_port == 0 && o->remote_addr != 0)
		return -EINVAL;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	/* Only the daemon's end is non-blocking: O_NONBLOCK belongs to
	 * the open file, which the application shares with its end. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
	    fcntl(pair[0], F_SETFL, O_NONBLOCK) < 0) {
		err = -errno;
		goto out;
	}
	sock = udp_socket_open(d->stack, o->local_addr, o->local_port,
			       o->remote_addr, o->remote_port);
	if (sock < 0) {
		err = sock;
		goto out;
	}

	/* The bound address (the port may have been chosen). */
	r->local_addr = o->local_addr;
	r->local_port = o->local_port;
	if (udp_socket_info(d->stack, sock, &info) == 0) {
		r->local_addr = info.local_addr;
		r->local_port = info.local_port;
	}

	cs->owner = c;
	cs->sock = sock;
	cs->fd = pair[0];
	ev_io_init(&cs->read_watcher, socket_read_cb, cs->fd, EV_READ);
	ev_io_init(&cs->write_watcher, socket_write_cb, cs->fd, EV_WRITE);
	cs->read_watcher.data = cs;
	cs->write_watcher.data = cs;
	ev_io_start(d->loop, &cs->read_watcher);
	cs->next = c->sockets;
	c->sockets = cs;
	cs->hash_next = ctl->sock_hash[sock_bucket(sock)];
	ctl->sock_hash[sock_bucket(sock)] = cs;
	c->nsockets++;
	ctl->nsockets++;
	r->sock = sock;
	*app_fd = pair[1];
	cs = NULL;
	pair[0] = pair[1] = -1;
	sock = -1;
	err = 0;
	log_msg(LOG_DEBUG, "control: client %u: udp socket %d", c->serial,
		r->sock);
out:
	if (sock >= 0)
		udp_socket_close(d->stack, sock);
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	free(cs);
	return err;
}

static void handle_udp_open(struct control_client *c, const struct ipc_msg *m,
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

static void handle_status(struct control_client *c, const struct ipc_msg *m)
{
	struct status_stream *st = calloc(1, sizeof(*st));
	int err;

	if (!st) {
		control_reply_error(c, m->id, -ENOMEM);
		return;
	}
	st->id = m->id;
	err = status_snapshot(c->ctl->d, st);
	if (err) {
		free(st->routes);
		free(st->arp);
		free(st->udp);
		free(st->tcp);
		st->routes = NULL;
		st->arp = NULL;
		st->udp = NULL;
		st->tcp = NULL;
		st->error = err;
	}
	c->status = st;
}

/* BARRIER: every frame that reached a TAP before this request has been
 * read and processed (daemon_taps_drain) when the reply is queued. */
static void handle_barrier(struct control_client *c, const struct ipc_msg *m)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_status_only_reply r = {0};
	int len;

	r.value = daemon_taps_drain(c->ctl->d);
	len = ipc_encode_barrier_reply(buf, sizeof(buf), c->version, m->id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

/* Counts and logs a protocol violation; the caller destroys the client. */
static void protocol_error(struct control_client *c, const char *what, int err)
{
	c->ctl->protocol_errors++;
	log_msg(LOG_WARNING,
		"control: client %u (pid %d): %s (%s): disconnecting",
		c->serial, (int)c->pid, what, strerror(-err));
}

/* Handles one received packet. Returns 0, or a negative errno when the
 * client broke the protocol (the caller disconnects it). */
static int client_handle(struct control_client *c, const uint8_t *buf,
			 size_t len)
{
	struct ipc_msg m;
	union {
		struct ipc_hello hello;
		struct ipc_udp_open udp_open;
		struct ipc_tcp_connect tcp_connect;
		struct ipc_tcp_listen tcp_listen;
		struct ipc_tcp_setopt tcp_setopt;
	} req;
	int err = ipc_msg_decode(buf, len, &m);

	if (err) {
		protocol_error(c, "malformed message", err);
		return err;
	}
	if (c->version == 0) {
		if (m.type != IPC_T_HELLO) {
			protocol_error(c, "request before HELLO", -EPROTO);
			return -EPROTO;
		}
	} else if (m.version != c->version || m.type == IPC_T_HELLO) {
		protocol_error(c, "version mismatch or second HELLO", -EPROTO);
		return -EPROTO;
	}

	switch (m.type) {
	case IPC_T_HELLO:
		err = ipc_decode_hello(&m, &req.hello);
		if (!err)
			handle_hello(c, &m, &req.hello);
		break;
	case IPC_T_UDP_OPEN:
		err = ipc_decode_udp_open(&m, &req.udp_open);
		if (!err)
			handle_udp_open(c, &m, &req.udp_open);
		break;
	case IPC_T_STATUS:
		err = ipc_decode_status(&m);
		if (!err)
			handle_status(c, &m);
		break;
	case IPC_T_TCP_CONNECT:
		err = ipc_decode_tcp_connect(&m, &req.tcp_connect);
		if (!err)
			control_tcp_connect(c, &m, &req.tcp_connect);
		break;
	case IPC_T_TCP_LISTEN:
		err = ipc_decode_tcp_listen(&m, &req.tcp_listen);
		if (!err)
			control_tcp_listen(c, &m, &req.tcp_listen);
		break;
	case IPC_T_TCP_SETOPT:
		err = ipc_decode_tcp_setopt(&m, &req.tcp_setopt);
		if (!err)
			control_tcp_setopt(c, &m, &req.tcp_setopt);
		break;
	case IPC_T_BARRIER:
		err = ipc_decode_barrier(&m);
		if (!err)
			handle_barrier(c, &m);
		break;
	default:
		if (m.type & IPC_T_REPLY) {
			protocol_error(c, "reply sent to the daemon", -EPROTO);
			return -EPROTO;
		}
		/* A request of a later version: say so, keep going. */
		control_reply_error(c, m.id, -EOPNOTSUPP);
		return 0;
	}
	if (err)
		protocol_error(c, "bad request body", err);
	return err;
}

/* Closes every descriptor that came with a message. Returns true when
 * there was any (clients never send descriptors). */
static bool close_passed_fds(struct msghdr *msg)
{
	struct cmsghdr *cmsg;
	bool any = false;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS) {
			size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
				       sizeof(int));
				close(fd);
			}
		}
		any = true;
	}
	return any;
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_client *c = w->data;
	struct control *ctl = c->ctl;
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_CMSG_FDS_MAX)];
		struct cmsghdr align;
	} cbuf;
	int i;

	for (i = 0; i < CONTROL_REQUESTS_PER_WAKEUP; i++) {
		struct iovec iov = {.iov_base = ctl->msg_buf,
				    .iov_len = sizeof(ctl->msg_buf)};
		struct msghdr msg;
		ssize_t n;

		if (c->reply_pending && c->outq_count < CONTROL_OUTQ_MAX &&
		    !c->status && !c->closing) {
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
		if (c->outq_count >= CONTROL_OUTQ_MAX || c->status ||
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
		if (close_passed_fds(&msg) || (msg.msg_flags & MSG_CTRUNC)) {
			protocol_error(c, "ancillary data sent", -EBADMSG);
			client_destroy(c);
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			protocol_error(c, "message too long", -EMSGSIZE);
			client_destroy(c);
			return;
		}
		if (client_handle(c, ctl->msg_buf, (size_t)n) != 0) {
			client_destroy(c);
			return;
		}
	}
	control_client_flush(c);
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	control_client_flush(w->data);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control_client *c = w->data;

	log_msg(LOG_WARNING,
		"control: client %u (pid %d) does not read its replies: "
		"disconnecting",
		c->serial, (int)c->pid);
	client_destroy(c);
}

/* Frees the client, its pending output and every socket it opened. */
static void client_destroy(struct control_client *c)
{
	struct control *ctl = c->ctl;
	struct ev_loop *loop = ctl->d->loop;

	/* Datagrams the application sent before it went are delivered,
	 * as a kernel would: the socketpair's buffer bounds this. */
	while (c->sockets) {
		(void)socket_input(c->sockets, CONTROL_LINGER_DGRAMS_MAX, true);
		socket_destroy(c->sockets);
	}
	control_tcp_client_gone(ctl, c);
	while (c->outq_count > 0) {
		struct control_outmsg *o = &c->outq[c->outq_head];

		if (o->fd >= 0)
			close(o->fd);
		c->outq_head = (c->outq_head + 1) % CONTROL_OUTQ_MAX;
		c->outq_count--;
	}
	status_free(c->status);
	ev_io_stop(loop, &c->read_watcher);
	ev_io_stop(loop, &c->write_watcher);
	ev_timer_stop(loop, &c->send_timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->nclients--;
	log_msg(LOG_DEBUG, "control: client %u disconnected", c->serial);
	free(c);
}

/* ---- accepting ----------------------------------------------------- */

/* Tells a client over the limit why, best effort, and closes it. */
static void refuse_client(struct control *ctl, int fd)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_error e = {.status = -EUSERS};
	int len = ipc_encode_error(buf, sizeof(buf), IPC_VERSION_MIN,
				   IPC_ID_NONE, &e);

	if (len > 0)
		(void)send_packet(fd, buf, (size_t)len, -1);
	close(fd);
	ctl->clients_refused++;
	log_msg(LOG_WARNING,
		"control: %d clients connected: refusing another (%llu "
		"refused so far)",
		CONTROL_CLIENTS_MAX, (unsigned long long)ctl->clients_refused);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;
	int i;

	for (i = 0; i < CONTROL_ACCEPTS_PER_WAKEUP; i++) {
		struct control_client *c;
		struct ucred cred;
		socklen_t cred_len = sizeof(cred);
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
		if (ctl->nclients >= CONTROL_CLIENTS_MAX) {
			refuse_client(ctl, fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			log_msg(LOG_ERR, "control: out of memory for a client");
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		c->serial = ++ctl->next_serial;
		c->pid = -1;
		c->uid = (uid_t)-1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) ==
		    0) {
			c->pid = cred.pid;
			c->uid = cred.uid;
		}
		ev_io_init(&c->read_watcher, client_read_cb, fd, EV_READ);
		ev_io_init(&c->write_watcher, client_write_cb, fd, EV_WRITE);
		ev_init(&c->send_timer, client_timeout_cb);
		c->send_timer.repeat = CONTROL_SEND_TIMEOUT_S;
		c->read_watcher.data = c;
		c->write_watcher.data = c;
		c->send_timer.data = c;
		ev_io_start(loop, &c->read_watcher);
		c->next = ctl->clients;
		if (ctl->clients)
			ctl->clients->prev = c;
		ctl->clients = c;
		ctl->nclients++;
		log_msg(LOG_DEBUG,
			"control: client %u connected (pid %d uid %d)",
			c->serial, (int)c->pid, (int)c->uid);
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
	 * permissions. */
	if (chmod(ctl->path, mode) < 0 ||
	    listen(ctl->listen_fd, CONTROL_LISTEN_BACKLOG) < 0) {
		err = -errno;
		log_msg(LOG_ERR, "control: %s: %m", ctl->path);
		unlink(ctl->path);
		goto out;
	}
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
	control_tcp_stop(ctl);
	ev_io_stop(d->loop, &ctl->accept_watcher);
	ev_timer_stop(d->loop, &ctl->accept_retry);
	close(ctl->listen_fd);
	unlink(ctl->path);
	if (ctl->protocol_errors || ctl->clients_refused)
		log_msg(LOG_INFO,
			"control: %llu protocol errors, %llu clients refused",
			(unsigned long long)ctl->protocol_errors,
			(unsigned long long)ctl->clients_refused);
	free(ctl);
	d->control = NULL;
}

void control_on_stack_event(struct daemon *d, const struct stack_event *ev)
{
	struct control_socket *cs;

	if (!d->control)
		return;
	switch (ev->type) {
	case STACK_EV_UDP_READABLE:
	case STACK_EV_UDP_ERROR:
		break;
	default:
		control_tcp_on_event(d->control, ev); /* another id space */
		return;
	}
	cs = socket_find(d->control, ev->sock);
	if (!cs)
		return; /* closed since */
	if (ev->type == STACK_EV_UDP_ERROR && ev->error > 0 &&
	    ev->error <= IPC_ERRNO_MAX)
		cs->pending_error = (uint32_t)ev->error;
	/* Unless already waiting for room, move data now. */
	if (!ev_is_active(&cs->write_watcher))
		socket_drain(cs);
}
