/*
 * tcp_user.c - µTCP: the user's calls (stack.h) and listeners
 *
 * A listener holds two bounded sets of connections that are not yet the
 * user's: half-open ones in SYN_RECEIVED (at most tcp_syn_backlog; past
 * that a SYN is answered with a SYN cookie and no state), and
 * established ones in a FIFO accept queue (at most `backlog`; past that
 * new SYNs are dropped, counted as tcp_listen_overflow, so the peer
 * retries later). tcp_accept() hands the oldest to the user.
 *
 * A connect without a local port takes one of tcp_port_first ..
 * tcp_port_last that is free for its 4-tuple (RFC 6056 Algorithm 3,
 * tcp_pick_port()): a port in TIME_WAIT towards one peer serves any
 * other, and towards the same peer it is taken over once timestamps
 * make that safe (tcp_tw_reusable(), counted as
 * tcp_connect_time_wait_reused). When no port is free the connect
 * fails with EADDRNOTAVAIL (tcp_connect_no_port).
 *
 * Ownership of connection ids is described in stack.h. Reading happens
 * in place (tcp_recv_peek/tcp_recv_consume): the user copies straight
 * from the buffer the segment arrived in.
 */
#include "tcp.h"

void tcp_sockopts_default(const struct stack *s, struct tcp_sockopts *o)
{
	*o = (struct tcp_sockopts){
	    .nodelay = false,
	    .keepalive = false,
	    .keepidle_s = s->lim.tcp_keepidle_s, /* 2 hours (MUST-28) */
	    .keepintvl_s = s->lim.tcp_keepintvl_s,
	    .keepcnt = s->lim.tcp_keepcnt,
	    .sndbuf = s->lim.tcp_sndbuf,
	    .rcvbuf = s->lim.tcp_rcvbuf,
	};
}

static bool tcp_sockopts_valid(const struct tcp_sockopts *o)
{
	return o->sndbuf >= 2048 && o->sndbuf <= (64u << 20) &&
	       o->rcvbuf >= 2048 && o->rcvbuf <= (64u << 20) &&
	       (o->maxseg == 0 ||
		(o->maxseg >= TCP_MAXSEG_MIN && o->maxseg <= TCP_MAXSEG_MAX)) &&
	       o->keepcnt < 256 && /* struct tcp_conn keeps it in a byte */
	       (!o->keepalive ||
		(o->keepidle_s && o->keepintvl_s && o->keepcnt &&
		 o->keepidle_s < 86400 * 30 && o->keepintvl_s < 86400));
}

/* ---- listeners ---- */

static struct tcp_listener *tcp_listener_get(struct stack *s, int id)
{
	if (id < 0 || (uint32_t)id >= s->tcp->listeners_max ||
	    !s->tcp->listeners[id].used)
		return NULL;
	return &s->tcp->listeners[id];
}

struct tcp_listener *tcp_listener_find(struct stack *s, uint32_t addr,
				       uint16_t port)
{
	struct tcp_listener *any = NULL;

	for (uint32_t i = 0; i < s->tcp->listeners_max; i++) {
		struct tcp_listener *l = &s->tcp->listeners[i];
		if (!l->used || l->lport != port)
			continue;
		if (l->laddr == addr)
			return l;
		if (l->laddr == 0)
			any = l;
	}
	return any;
}

/* Is addr:port taken by a listener or a connection's local end? */
static bool tcp_port_in_use(struct stack *s, uint32_t addr, uint16_t port)
{
	for (uint32_t i = 0; i < s->tcp->listeners_max; i++) {
		struct tcp_listener *l = &s->tcp->listeners[i];
		if (l->used && l->lport == port &&
		    (!l->laddr || !addr || l->laddr == addr))
			return true;
	}
	return false;
}

/*
 * Chooses the port of a listen without one, as Linux's listen() on an
 * unbound socket (its autobind): a random start in tcp_port_first ..
 * tcp_port_last, then the first port that no listener that could
 * overlap holds and no connection uses as its local port on any
 * address. Returns 0, or -EADDRINUSE when the range is full, as
 * Linux's listen.
 */
static int tcp_listen_pick_port(struct stack *s, uint32_t laddr, uint16_t *port)
{
	uint32_t first = s->lim.tcp_port_first;
	uint32_t range = s->lim.tcp_port_last - first + 1;
	uint32_t offset = rng_below(&s->rng, range);

	for (uint32_t n = 0; n < range; n++) {
		uint16_t p = (uint16_t)(first + (offset + n) % range);
		bool used = tcp_port_in_use(s, laddr, p);

		for (uint32_t i = 0; i < s->tcp->max && !used; i++) {
			const struct tcp_conn *c = s->tcp->conns[i];
			used = c && c->lport == p;
		}
		if (!used) {
			*port = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

int tcp_listen(struct stack *s, uint32_t local_addr, uint16_t local_port,
	       uint32_t backlog, const struct tcp_sockopts *o)
{
	struct tcp_listener *l = NULL;
	struct tcp_sockopts def;

	if (!o) {
		tcp_sockopts_default(s, &def);
		o = &def;
	}
	if (!tcp_sockopts_valid(o))
		return -EINVAL;
	if (local_addr && !stack_is_local_addr(s, local_addr))
		return -EADDRNOTAVAIL;
	if (local_port == 0) {
		int err = tcp_listen_pick_port(s, local_addr, &local_port);
		if (err < 0)
			return err;
	} else if (tcp_port_in_use(s, local_addr, local_port)) {
		return -EADDRINUSE;
	}
	for (uint32_t i = 0; i < s->tcp->listeners_max; i++) {
		if (!s->tcp->listeners[i].used) {
			l = &s->tcp->listeners[i];
			break;
		}
	}
	if (!l)
		return -EMFILE;
	/* open_passive (RFC 9293 3.10.1). MUST-42: several listeners on
	 * one port, for different local addresses; MUST-41: a listener
	 * takes no connection that is not its own. */
	TCP_RULE(s, open_passive);
	if (backlog == 0)
		backlog = 1;
	if (backlog > 4096)
		backlog = 4096;
	*l = (struct tcp_listener){
	    .used = true,
	    .laddr = local_addr,
	    .lport = local_port,
	    .backlog = backlog,
	    .syn_backlog = s->lim.tcp_syn_backlog,
	    .accept_head = -1,
	    .accept_tail = -1,
	    .opts = *o,
	};
	return (int)(l - s->tcp->listeners);
}

int tcp_listen_port(struct stack *s, int listener)
{
	const struct tcp_listener *l = tcp_listener_get(s, listener);

	return l ? l->lport : -EBADF;
}

void tcp_listener_established(struct stack *s, struct tcp_conn *c)
{
	struct tcp_listener *l = &s->tcp->listeners[c->listener];
	struct stack_event ev = {.type = STACK_EV_TCP_ACCEPTABLE,
				 .sock = c->listener};

	l->nsyn--;
	c->accept_next = -1;
	if (l->accept_tail >= 0)
		s->tcp->conns[l->accept_tail]->accept_next = c->id;
	else
		l->accept_head = c->id;
	l->accept_tail = c->id;
	l->naccept++;
	COUNT(s, tcp_passive_opens);
	if (!l->acceptable_signalled) {
		l->acceptable_signalled = true;
		stack_push_event(s, &ev);
	}
}

void tcp_listener_unlink(struct stack *s, struct tcp_conn *c)
{
	struct tcp_listener *l = &s->tcp->listeners[c->listener];
	int32_t *link;

	if (c->state == TCPS_SYN_RECEIVED) {
		l->nsyn--;
		return;
	}
	link = &l->accept_head;
	int32_t prev = -1;
	while (*link >= 0 && *link != c->id) {
		prev = *link;
		link = &s->tcp->conns[*link]->accept_next;
	}
	if (*link != c->id)
		return;
	*link = c->accept_next;
	if (l->accept_tail == c->id)
		l->accept_tail = prev;
	l->naccept--;
}

int tcp_accept(struct stack *s, int listener, uint32_t *remote_addr,
	       uint16_t *remote_port)
{
	struct tcp_listener *l = tcp_listener_get(s, listener);
	struct tcp_conn *c;

	if (!l)
		return -EBADF;
	if (l->accept_head < 0) {
		l->acceptable_signalled = false;
		return -EAGAIN;
	}
	c = s->tcp->conns[l->accept_head];
	l->accept_head = c->accept_next;
	if (l->accept_head < 0)
		l->accept_tail = -1;
	l->naccept--;
	c->listener = -1;
	c->accept_next = -1;
	if (remote_addr)
		*remote_addr = c->raddr;
	if (remote_port)
		*remote_port = c->rport;
	/* Data or a FIN may have come before the user did. */
	if (tcp_rcv_queued(c) || c->fin_received) {
		c->readable_signalled = true;
		tcp_event(s, c, STACK_EV_TCP_READABLE);
	}
	return c->id;
}

void tcp_listen_close(struct stack *s, uint64_t now, int listener)
{
	struct tcp_listener *l = tcp_listener_get(s, listener);

	if (!l)
		return;
	/* Reset every connection not yet accepted, half-open or not. */
	for (uint32_t i = 0; i < s->tcp->max; i++) {
		struct tcp_conn *c = s->tcp->conns[i];
		if (!c || c->listener != listener)
			continue;
		TCP_RULE(s, listen_close);
		tcp_send_reset(s, now, c);
		tcp_fail(s, c, ECONNRESET);
	}
	l->used = false;
	stack_forget_events(s, STACK_EV_TCP_LISTENER_ALL, listener);
}

/* ---- connections ---- */

/* The hash domain of the port offset (tcp_tuple_hash()): apart from
 * timestamps' (0) and SYN cookies' (1, 2 and up, slowly). */
#define TCP_PORT_HASH_DOMAIN 0xffffffffu

/* May a connect take over tw, a TIME_WAIT connection of the very
 * 4-tuple it would use (Linux's tcp_tw_reuse)? Only when timestamps
 * keep the incarnations apart (RFC 7323 5, RFC 6191): the old one used
 * them, its last one from the peer is at least TCP_TW_REUSE_AGE_NS old,
 * and the new connection's first TSval, on the same clock (the offset
 * comes from the 4-tuple), is above the last the old one sent, so the
 * peer's PAWS rejects the old one's duplicates and ours its. The user
 * must have closed it. */
static bool tcp_tw_reusable(const struct stack *s, uint64_t now,
			    const struct tcp_conn *tw)
{
	return tw->state == TCPS_TIME_WAIT && tw->user_closed && tw->ts_ok &&
	       tw->ts_recent_age &&
	       now - tw->ts_recent_age >= TCP_TW_REUSE_AGE_NS &&
	       SEQ_GT(tcp_ts_now(s, tw, now), tw->ts_last_sent);
}

/*
 * Chooses the local port of a connect to raddr:rport (RFC 6056 3.3.3,
 * Algorithm 3): the search starts at an offset given by a keyed hash of
 * (laddr, raddr, rport) plus a counter that moves on with each port
 * tried, so consecutive connects to one peer walk the range in turn
 * (the oldest TIME_WAIT comes round first), and the ports used towards
 * one peer say nothing of those used towards another. A port is free
 * for this peer when no listener holds it and no connection has the
 * 4-tuple, or when the one that has it is a TIME_WAIT that may be
 * reused; *tw is then set to it. A port in TIME_WAIT towards one peer
 * is free towards any other. Returns 0, or -EADDRNOTAVAIL when no port
 * of the range is free, as Linux's connect.
 */
static int tcp_pick_port(struct stack *s, uint64_t now, uint32_t laddr,
			 uint32_t raddr, uint16_t rport, uint16_t *port,
			 struct tcp_conn **tw)
{
	uint32_t first = s->lim.tcp_port_first;
	uint32_t range = s->lim.tcp_port_last - first + 1;
	uint32_t offset =
	    tcp_tuple_hash(s, laddr, 0, raddr, rport, TCP_PORT_HASH_DOMAIN);

	*tw = NULL;
	for (uint32_t n = 0; n < range; n++) {
		uint16_t p =
		    (uint16_t)(first + (offset + s->tcp->port_next++) % range);
		struct tcp_conn *old;

		if (tcp_port_in_use(s, laddr, p))
			continue;
		old = tcp_conn_lookup(s, laddr, p, raddr, rport);
		if (old && !tcp_tw_reusable(s, now, old))
			continue;
		*port = p;
		*tw = old;
		return 0;
	}
	COUNT(s, tcp_connect_no_port);
	return -EADDRNOTAVAIL;
}

int tcp_connect(struct stack *s, uint64_t now, uint32_t local_addr,
		uint16_t local_port, uint32_t remote_addr, uint16_t remote_port,
		const struct tcp_sockopts *o)
{
	struct tcp_sockopts def;
	struct tcp_conn *c, *old, *tw = NULL;
	uint32_t src, nexthop, iss = 0;
	bool reused = false;
	int ifindex, err;

	if (!o) {
		tcp_sockopts_default(s, &def);
		o = &def;
	}
	/* MUST-46: no OPEN to a broadcast or multicast address. */
	if (!tcp_sockopts_valid(o) || !remote_addr || !remote_port ||
	    remote_addr == IPV4_BROADCAST || (remote_addr >> 28) == 0xe)
		return -EINVAL;
	if (local_addr && !stack_is_local_addr(s, local_addr))
		return -EADDRNOTAVAIL;
	err = ipv4_route(s, remote_addr, &ifindex, &nexthop, &src);
	if (err < 0)
		return err;
	if (ipv4_is_broadcast(s, ifindex, remote_addr))
		return -EINVAL;
	/* MUST-43: the local address is optional; MUST-44: without one,
	 * IP's choice for the route. */
	if (!local_addr)
		local_addr = src;
	if (!local_port) {
		err = tcp_pick_port(s, now, local_addr, remote_addr,
				    remote_port, &local_port, &tw);
		if (err < 0)
			return err;
	}
	old = tcp_conn_lookup(s, local_addr, local_port, remote_addr,
			      remote_port);
	if (old) {
		if (old->state != TCPS_TIME_WAIT || !old->user_closed)
			return -EADDRINUSE;
		/* An explicit local port takes a TIME_WAIT over only as a
		 * chosen one does: when timestamps keep the incarnations
		 * apart (Linux's connect: EADDRNOTAVAIL otherwise). */
		if (old != tw && !tcp_tw_reusable(s, now, old))
			return -EADDRNOTAVAIL;
		/* tw_reuse: start above all the old one sent, as Linux
		 * does (a window and more beyond it). */
		iss = old->snd_max + 65535 + 2;
		reused = true;
		COUNT(s, tcp_connect_time_wait_reused);
		tcp_conn_free(s, old);
	}
	c = tcp_conn_new(s, now);
	if (!c)
		return -EMFILE;
	c->laddr = local_addr;
	c->lport = local_port;
	c->raddr = remote_addr;
	c->rport = remote_port;
	c->ifindex = (int16_t)ifindex;
	tcp_conn_setup(s, c, o);
	TCP_RULE(s, open_active);
	c->iss = reused ? iss
			: tcp_isn(s, now, local_addr, local_port, remote_addr,
				  remote_port);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	tcp_conn_hash(s, c);
	tcp_set_state(s, now, c, TCPS_SYN_SENT);
	COUNT(s, tcp_active_opens);
	tcp_output(s, now, c, 0);
	return c->id;
}

static struct tcp_conn *tcp_user_conn(struct stack *s, int id)
{
	struct tcp_conn *c = tcp_conn_get(s, id);

	return c && !c->user_closed && c->listener < 0 ? c : NULL;
}

size_t tcp_send_space(const struct stack *s, int conn)
{
	struct tcp_conn *c = tcp_user_conn((struct stack *)s, conn);

	if (!c || c->shut_wr || c->error || c->state == TCPS_CLOSED)
		return 0;
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT)
		return 0;
	return tcp_sndbuf_space(s, c); /* room, and chunks to hold it */
}

long tcp_send(struct stack *s, uint64_t now, int conn, const void *data,
	      size_t len)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);
	size_t room, n;

	if (!c)
		return -EBADF;
	if (c->error)
		return -c->error;
	if (c->shut_wr)
		return -EPIPE;
	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
		return -ENOTCONN;
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT)
		return -EPIPE;
	room = tcp_send_space(s, conn);
	n = room == 0 || len == 0 ? 0
				  : tcp_sndbuf_append(s, &c->sndbuf, data,
						      len < room ? len : room);
	tcp_mem_settle(s, c); /* a woken waiter's claim is used */
	if (n < len || len == 0) {
		/* Refused, in part or whole: WRITABLE follows, from an ACK
		 * when the buffer is full, or from the memory waiters when
		 * only the chunk pool is short. */
		c->writable_wanted = true;
		tcp_check_space(s, c);
	}
	if (n == 0)
		return -EAGAIN;
	TCP_RULE(s, send_call);
	tcp_output(s, now, c, 0);
	return (long)n;
}

int tcp_recv_peek(struct stack *s, int conn, const uint8_t **data, size_t *len)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);
	struct pkt *p;

	if (!c)
		return -EBADF;
	p = c->rcvq.head;
	if (p) {
		*data = p->data + c->rcvq_off;
		*len = p->len - c->rcvq_off;
		return 0;
	}
	c->readable_signalled = false;
	if (c->error)
		return -c->error;
	*data = NULL;
	*len = 0;
	if (c->fin_received || c->state == TCPS_CLOSED)
		return 0; /* end of stream */
	return -EAGAIN;
}

int tcp_recv_peekv(struct stack *s, int conn, struct stack_iov *iov, int max)
{
	const uint8_t *data;
	size_t len;
	int err = tcp_recv_peek(s, conn, &data, &len), n = 1;
	const struct pkt *p;

	if (err < 0)
		return err;
	if (len == 0 || max < 1)
		return 0;
	iov[0].data = data;
	iov[0].len = len;
	p = tcp_conn_get(s, conn)->rcvq.head->next;
	for (; p && n < max; p = p->next, n++) {
		iov[n].data = p->data;
		iov[n].len = p->len;
	}
	return n;
}

void tcp_recv_consume(struct stack *s, uint64_t now, int conn, size_t n)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);
	uint32_t adv, after;
	size_t want = n;

	if (!c)
		return;
	adv = tcp_rcv_adv_window(c); /* the window the peer knows of */
	while (n && c->rcvq.head) {
		struct pkt *p = c->rcvq.head;
		size_t left = p->len - c->rcvq_off;
		if (n < left) {
			c->rcvq_off += (uint32_t)n;
			n = 0;
			break;
		}
		n -= left;
		c->rcvq_off = 0;
		tcp_rcvq_pop(s, c);
	}
	if (n < want) /* bytes read: what auto-tuning measures */
		tcp_rcv_space_adjust(s, now, c, (uint32_t)(want - n));
	/* Tell the peer when the window opened by a worthwhile amount
	 * (RFC 9293 3.8.6.2.2, MUST-39): when the window it knows of was
	 * under a segment (closed, or too small for a sender that avoids
	 * the silly window syndrome, which then waits for its persist
	 * timer; the peer's may be short of ours by a unit of the window
	 * scale), or when it at least doubled from at most half the
	 * buffer (Linux's rule, tcp_cleanup_rbuf). Measured from what was
	 * advertised, not from what the window would have been before
	 * this read: a full queue drained in many reads, none of which
	 * frees half the buffer, must still reopen the window. */
	after = tcp_rcv_window(s, c);
	if (c->state >= TCPS_ESTABLISHED && c->state != TCPS_TIME_WAIT &&
	    !c->fin_received && after > adv &&
	    (adv < (uint32_t)c->our_mss + (1u << c->rcv_wscale) ||
	     (adv <= c->rcv_wnd_max / 2 && after >= 2 * adv))) {
		TCP_RULE(s, window_reopened);
		c->ack_now = true;
		tcp_output(s, now, c, 0);
	}
}

int tcp_shutdown(struct stack *s, uint64_t now, int conn)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);

	if (!c)
		return -EBADF;
	if (c->state == TCPS_SYN_SENT || c->state == TCPS_CLOSED)
		return -ENOTCONN;
	if (c->shut_wr)
		return 0;
	TCP_RULE(s, shutdown_call);
	c->shut_wr = true;
	tcp_mem_unwait(s, c); /* nothing more to send */
	tcp_output(s, now, c, 0);
	return 0;
}

void tcp_close(struct stack *s, uint64_t now, int conn)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);

	if (!c)
		return;
	if (c->state == TCPS_CLOSED || c->state == TCPS_SYN_SENT) {
		tcp_conn_free(s, c);
		return;
	}
	if (c->linger && c->linger_s == 0 && c->state != TCPS_TIME_WAIT) {
		/* SO_LINGER 0: ABORT, not CLOSE (RFC 9293 3.10.5), as
		 * Linux's close() does: RST where the peer holds state
		 * for us, else the connection simply goes (TIME-WAIT
		 * stays). */
		TCP_RULE(s, close_linger_zero);
		if (c->state == TCPS_SYN_RECEIVED ||
		    c->state == TCPS_ESTABLISHED ||
		    c->state == TCPS_FIN_WAIT_1 ||
		    c->state == TCPS_FIN_WAIT_2 ||
		    c->state == TCPS_CLOSE_WAIT) {
			tcp_abort(s, now, conn);
			return;
		}
		tcp_conn_free(s, c);
		return;
	}
	c->user_closed = true;
	tcp_mem_unwait(s, c); /* an orphan sends nothing new */
	if (tcp_rcv_queued(c) || c->nooo) {
		/* Unread data: the peer must learn it was not read (MAY-1,
		 * a half-duplex close; SHLD-3). */
		TCP_RULE(s, close_unread_reset);
		tcp_send_reset(s, now, c);
		COUNT(s, tcp_conns_reset);
		tcp_fail(s, c, ECONNRESET);
		return;
	}
	if (c->state == TCPS_TIME_WAIT) {
		TCP_RULE(s, close_call);
		tcp_rcv_free(s, c);
		return; /* finishes on its timer */
	}
	if (!tcp_orphan_count(s, c)) {
		/* tcp_orphans_max orphans are held: reset, as Linux does
		 * past tcp_max_orphans. */
		TCP_RULE(s, close_orphans_full);
		COUNT(s, tcp_orphans_reset_limit);
		COUNT(s, tcp_conns_reset);
		tcp_send_reset(s, now, c);
		tcp_fail(s, c, ECONNRESET);
		return;
	}
	TCP_RULE(s, close_call);
	tcp_rcv_free(s, c);
	if (c->state == TCPS_FIN_WAIT_2) {
		c->t_keep = now + TCP_FIN_WAIT_2_NS;
		tcp_timer_update(s, c);
	}
	if (!c->shut_wr) {
		c->shut_wr = true;
		tcp_output(s, now, c, 0);
	}
}

/* ABORT (RFC 9293 3.10.5): RST, and the connection fails with
 * ECONNRESET (freed when the user let go of it already). */
static void tcp_abort_conn(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	TCP_RULE(s, abort_call);
	tcp_send_reset(s, now, c);
	COUNT(s, tcp_conns_reset);
	(void)tcp_fail(s, c, ECONNRESET);
}

void tcp_abort(struct stack *s, uint64_t now, int conn)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);

	if (!c)
		return;
	c->user_closed = true;
	tcp_mem_unwait(s, c);
	if (c->state == TCPS_CLOSED) {
		tcp_conn_free(s, c);
		return;
	}
	tcp_abort_conn(s, now, c); /* and frees it: user_closed */
}

int tcp_reset(struct stack *s, uint64_t now, int conn)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);

	if (!c)
		return -EBADF;
	if (c->state != TCPS_CLOSED)	   /* else failed already: it stands */
		tcp_abort_conn(s, now, c); /* kept: not user_closed */
	return 0;
}

void tcp_addr_gone(struct stack *s, uint64_t now, uint32_t addr)
{
	(void)now;
	for (uint32_t i = 0; i < s->tcp->max; i++) {
		struct tcp_conn *c = s->tcp->conns[i];
		if (!c || c->laddr != addr || c->state == TCPS_CLOSED)
			continue;
		/* No RST: nothing may leave from an address not ours. */
		COUNT(s, tcp_conns_addr_gone);
		tcp_fail(s, c, EADDRNOTAVAIL);
	}
}

int tcp_orphan(struct stack *s, uint64_t now, int conn)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);

	if (!c)
		return -EBADF;
	if (c->app_gone)
		return 0;
	if (c->state != TCPS_CLOSED && c->state != TCPS_TIME_WAIT &&
	    !tcp_orphan_count(s, c)) {
		COUNT(s, tcp_orphans_reset_limit);
		return -ENOBUFS;
	}
	c->app_gone = true;
	return 0;
}

int tcp_get_sockopts(const struct stack *s, int conn, struct tcp_sockopts *o)
{
	const struct tcp_conn *c = tcp_user_conn((struct stack *)s, conn);

	if (!c)
		return -EBADF;
	*o = (struct tcp_sockopts){
	    .nodelay = c->nodelay,
	    .keepalive = c->keepalive,
	    .keepidle_s = c->keepidle_s,
	    .keepintvl_s = c->keepintvl_s,
	    .keepcnt = c->keepcnt,
	    .sndbuf = c->sndbuf_max,
	    .rcvbuf = c->rcvbuf_set,
	    .rcvbuf_lock = c->rcvbuf_lock,
	    .linger = c->linger,
	    .linger_s = c->linger_s,
	    .maxseg = c->maxseg,
	    .tos = c->tos,
	    .ttl = c->ttl,
	};
	return 0;
}

int tcp_set_sockopts(struct stack *s, uint64_t now, int conn,
		     const struct tcp_sockopts *o)
{
	struct tcp_conn *c = tcp_user_conn(s, conn);
	bool was_nodelay;

	if (!c)
		return -EBADF;
	if (!tcp_sockopts_valid(o))
		return -EINVAL;
	was_nodelay = c->nodelay;
	c->nodelay = o->nodelay; /* MUST-17: the user can disable Nagle */
	c->keepalive = o->keepalive;
	c->keepidle_s = o->keepidle_s;
	c->keepintvl_s = o->keepintvl_s;
	c->keepcnt = (uint8_t)o->keepcnt; /* < 256: tcp_sockopts_valid */
	c->sndbuf_max = o->sndbuf;
	c->rcvbuf_set = o->rcvbuf;
	/* Set once, the size stays the user's (Linux's SOCK_RCVBUF_LOCK). */
	c->rcvbuf_lock = c->rcvbuf_lock || o->rcvbuf_lock;
	c->linger = o->linger;
	c->linger_s = o->linger_s;
	c->maxseg = o->maxseg; /* our_mss was fixed at set-up */
	c->tos = (uint8_t)(o->tos & ~TCP_TOS_ECN_MASK);
	c->ttl = o->ttl;
	/* The receive buffer can grow but not past what the window scale
	 * negotiated at the handshake can express. */
	if (o->rcvbuf > c->rcv_wnd_max &&
	    o->rcvbuf <= (65535u << c->rcv_wscale))
		c->rcv_wnd_max = o->rcvbuf;
	if (c->keepalive && c->state == TCPS_ESTABLISHED) {
		c->t_keep = now + (uint64_t)c->keepidle_s * STACK_NS_PER_SEC;
		tcp_timer_update(s, c);
	}
	if (c->nodelay && !was_nodelay)
		tcp_output(s, now, c, 0); /* push what Nagle held */
	return 0;
}

static void tcp_info_fill(const struct tcp_conn *c, struct stack_tcp_info *out)
{
	*out = (struct stack_tcp_info){
	    .id = c->id,
	    .orphan = tcp_is_orphan(c),
	    .state = c->state,
	    .local_addr = c->laddr,
	    .local_port = c->lport,
	    .remote_addr = c->raddr,
	    .remote_port = c->rport,
	    .send_queue = c->sndbuf.len,
	    .recv_queue = tcp_rcv_queued(c),
	    .snd_wnd = c->snd_wnd,
	    .rcv_wnd = tcp_rcv_adv_window(c),
	    .cwnd = c->cwnd,
	    .ssthresh = c->ssthresh,
	    .mss = c->mss,
	    .srtt_us = c->srtt / 1000,
	    .rttvar_us = c->rttvar / 1000,
	    .rto_ms = c->rto / 1000000,
	    .retransmits = c->retransmits,
	    .bytes_sent = c->bytes_sent,
	    .bytes_received = c->bytes_received,
	};
}

size_t stack_tcp_snapshot(const struct stack *s, uint64_t now,
			  struct stack_tcp_info *out, size_t max)
{
	size_t n = 0;

	(void)now;
	for (uint32_t i = 0; i < s->tcp->listeners_max; i++) {
		const struct tcp_listener *l = &s->tcp->listeners[i];
		if (!l->used)
			continue;
		if (n < max)
			out[n] = (struct stack_tcp_info){
			    .id = (int)i,
			    .listener = true,
			    .state = TCPS_LISTEN,
			    .local_addr = l->laddr,
			    .local_port = l->lport,
			    .backlog = l->naccept,
			};
		n++;
	}
	for (uint32_t i = 0; i < s->tcp->max; i++) {
		const struct tcp_conn *c = s->tcp->conns[i];
		if (!c)
			continue;
		if (n < max)
			tcp_info_fill(c, &out[n]);
		n++;
	}
	return n;
}

int tcp_conn_info(const struct stack *s, int conn, struct stack_tcp_info *out)
{
	const struct tcp_conn *c;

	if (conn < 0 || (uint32_t)conn >= s->tcp->max || !s->tcp->conns[conn])
		return -EBADF;
	c = s->tcp->conns[conn];
	tcp_info_fill(c, out);
	return 0;
}
