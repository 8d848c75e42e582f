/*
 * tcp_harness.h - what the TCP unit tests share: two stacks joined by a
 * copied link, segment builders, and a parser for what comes out
 *
 * A is 10.0.0.2 (the harness's OUR_ADDR), B is 10.0.0.1 (PEER_ADDR);
 * frames are copied between them by t_exchange(), which can drop
 * frames to simulate loss, and time advances to the next deadline when
 * nothing is in flight. Crafted segments are built by t_tcp_frame()
 * from named fields (tcp_wire.h), and what a stack sends is read back
 * with t_parse() / t_pop_seg() into a struct tcp_seg, so tests assert
 * on fields (seg.flags == TCP_ACK), never on byte offsets.
 */
#ifndef UTCP_TEST_TCP_HARNESS_H
#define UTCP_TEST_TCP_HARNESS_H

#include "harness.h"
#include <stdio.h>

#include "tcp.h"

/* How many times stack s applied rule `name` of tcp_rules.h. */
#define t_rule(s, name) stack_counter_get((s), STACK_CTR_tcp_rule_##name)

#define MS 1000000ull

/* ---- crafted segments ---- */

/* A segment to build: addresses and ports, header fields, options as
 * they go on the wire (optlen a multiple of 4), and datalen bytes of
 * zeroes. */
struct t_tcp {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opts;
	size_t optlen;
	size_t datalen;
};

/* The TCP header of a frame built by t_tcp_frame(). */
static inline uint8_t *t_tcp_hdr(struct tframe *f)
{
	return f->b + ETH_HDR_LEN + IPV4_HDR_LEN;
}

/* Builds seg into f as an Ethernet frame between the two stacks (to A
 * when seg->daddr is OUR_ADDR, else to B), checksums right. */
static inline void t_tcp_frame(struct tframe *f, const struct t_tcp *seg)
{
	bool to_a = seg->daddr == OUR_ADDR;
	size_t hl = TCP_HDR_LEN + seg->optlen, len = hl + seg->datalen;
	uint8_t *t;

	t_eth(f, to_a ? OUR_MAC : PEER_MAC, to_a ? PEER_MAC : OUR_MAC,
	      ETHERTYPE_IPV4);
	t_ipv4(f, seg->saddr, seg->daddr, IPV4_PROTO_TCP, 7, 0, len);
	t = f->b + f->len;
	memset(t, 0, len);
	put_be16(t + TCP_OFF_SPORT, seg->sport);
	put_be16(t + TCP_OFF_DPORT, seg->dport);
	put_be32(t + TCP_OFF_SEQ, seg->seq);
	put_be32(t + TCP_OFF_ACK, seg->ack);
	t[TCP_OFF_DOFF] = TCP_DOFF_BYTE(hl);
	t[TCP_OFF_FLAGS] = seg->flags;
	put_be16(t + TCP_OFF_WINDOW, seg->wnd);
	if (seg->optlen)
		memcpy(t + TCP_HDR_LEN, seg->opts, seg->optlen);
	put_be16(t + TCP_OFF_CSUM,
		 csum_fold(
		     csum_partial(t, len,
				  csum_pseudo(seg->saddr, seg->daddr,
					      IPV4_PROTO_TCP, (uint16_t)len))));
	f->len += len;
}

/* Recomputes the TCP checksum of a frame built by t_tcp_frame() after a
 * field was changed. */
static inline void t_tcp_recsum(struct tframe *f)
{
	uint8_t *t = t_tcp_hdr(f);
	size_t len = f->len - ETH_HDR_LEN - IPV4_HDR_LEN;
	uint32_t saddr = get_be32(f->b + ETH_HDR_LEN + 12);
	uint32_t daddr = get_be32(f->b + ETH_HDR_LEN + 16);

	put_be16(t + TCP_OFF_CSUM, 0);
	put_be16(t + TCP_OFF_CSUM, csum_fold(csum_partial(
				       t, len,
				       csum_pseudo(saddr, daddr, IPV4_PROTO_TCP,
						   (uint16_t)len))));
}

/* A timestamps option, aligned with two no-operations: 12 bytes. */
static inline void t_ts_opt(uint8_t out[12], uint32_t tsval, uint32_t tsecr)
{
	out[0] = out[1] = TCP_OPT_NOP;
	out[2] = TCP_OPT_TIMESTAMP;
	out[3] = TCP_OPTLEN_TIMESTAMP;
	put_be32(out + 4, tsval);
	put_be32(out + 8, tsecr);
}

/* ---- what a stack sends ---- */

/* Parses the TCP segment of a frame a stack sent (Ethernet, IPv4 with
 * a valid header checksum, TCP) into seg, addresses included; seg->data
 * points into f. */
static inline void t_parse(const struct pkt *f, struct tcp_seg *seg)
{
	const uint8_t *ip = f->data + ETH_HDR_LEN;
	size_t ihl;

	ck_assert_uint_ge(f->len, ETH_HDR_LEN + IPV4_HDR_LEN);
	ck_assert_uint_eq(get_be16(f->data + 12), ETHERTYPE_IPV4);
	ck_assert_uint_eq(ip[9], IPV4_PROTO_TCP);
	ihl = (ip[0] & 15u) * 4u;
	ck_assert_int_eq(tcp_parse(ip + ihl, f->len - ETH_HDR_LEN - ihl, seg),
			 TCP_PARSE_OK);
	seg->saddr = get_be32(ip + 12);
	seg->daddr = get_be32(ip + 16);
}

/* Pops the next frame s sent, which must be a TCP segment, and parses
 * it into seg; the frame is freed (seg->data is NULL). */
static inline void t_pop_seg(struct stack *s, struct tcp_seg *seg)
{
	struct pkt *f = t_pop_ipv4(s, IPV4_PROTO_TCP);

	t_parse(f, seg);
	seg->data = NULL;
	stack_pkt_free(s, f);
}

/* ---- two stacks ---- */

struct pair {
	struct stack *a, *b;
	uint64_t now;
	uint32_t drop_every; /* drop every Nth data-bearing frame, 0 = none */
	uint32_t frames;
	uint32_t dropped;
};

static inline struct stack *t_tcp_stack(const uint8_t *mac, uint32_t addr,
					const struct stack_limits *lim)
{
	struct stack *s = stack_new(lim, addr);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stack_if_add(s, "tap0", mac, 1500), 0);
	ck_assert_int_eq(stack_if_set_address(s, T0, 0, addr, 24), 0);
	t_drain(s);
	return s;
}

static inline void t_pair_lim(struct pair *p, const struct stack_limits *lim)
{
	*p = (struct pair){.now = T0};
	p->a = t_tcp_stack(OUR_MAC, OUR_ADDR, lim);
	p->b = t_tcp_stack(PEER_MAC, PEER_ADDR, lim);
}

static inline void t_pair(struct pair *p)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	t_pair_lim(p, &lim);
}

static inline void t_pair_free(struct pair *p)
{
	stack_free(p->a);
	stack_free(p->b);
}

/* Moves every queued frame from one stack to the other; returns the
 * number moved. */
static inline int t_move(struct pair *p, struct stack *from, struct stack *to)
{
	struct pkt *f;
	int n = 0;

	while ((f = stack_pop_tx(from))) {
		bool data = f->len > 14 + 20 + 20 + 12 &&
			    get_be16(f->data + 12) == ETHERTYPE_IPV4;
		n++;
		p->frames++;
		if (data && p->drop_every && p->frames % p->drop_every == 0) {
			p->dropped++;
			stack_pkt_free(from, f);
			continue;
		}
		struct pkt *g = stack_pkt_alloc(to, f->len);
		ck_assert_ptr_nonnull(g);
		memcpy(g->data, f->data, f->len);
		g->len = f->len;
		g->ifindex = 0;
		/* A partial checksum arrives as the kernel passes it on: not
		 * to be checked (NEEDS_CSUM on a TAP). */
		if (f->flags & PKT_F_CSUM_PARTIAL)
			g->flags |= PKT_F_CSUM_VALID;
		stack_pkt_free(from, f);
		stack_input(to, p->now, g);
	}
	return n;
}

/* Exchanges frames until both are quiet. */
static inline void t_exchange(struct pair *p)
{
	for (int i = 0; i < 100000; i++)
		if (t_move(p, p->a, p->b) + t_move(p, p->b, p->a) == 0)
			return;
	ck_abort_msg("frames never stopped");
}

/* Advances time to the earliest deadline (at most `limit` ahead) and
 * runs the timers. Returns false when neither stack has one. */
static inline bool t_tick(struct pair *p, uint64_t limit)
{
	uint64_t da = stack_next_deadline(p->a), db = stack_next_deadline(p->b);
	uint64_t d = da < db ? da : db;
	if (d == STACK_NO_DEADLINE)
		return false;
	if (d > p->now + limit)
		d = p->now + limit;
	if (d > p->now)
		p->now = d;
	stack_timer(p->a, p->now);
	stack_timer(p->b, p->now);
	t_exchange(p);
	return true;
}

/* Runs the delayed-ACK timer of connection `id` of stack s (the ACK
 * of a FIN that took its peer to CLOSE_WAIT waits for it, tcp_fin_in)
 * and exchanges what it sent. */
static inline void t_delack_expire(struct pair *p, struct stack *s, int id)
{
	struct tcp_conn *c = tcp_conn_get(s, id);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_ne(c->t_delack, 0);
	if (c->t_delack > p->now)
		p->now = c->t_delack;
	stack_timer(s, p->now);
	t_exchange(p);
}

/* Pops events until one of `type` for id `sock`; returns its error. */
static inline bool t_event(struct stack *s, enum stack_event_type type,
			   int sock, int *error)
{
	struct stack_event ev;
	while (stack_pop_event(s, &ev)) {
		if (ev.type == type && ev.sock == sock) {
			if (error)
				*error = ev.error;
			return true;
		}
	}
	return false;
}

/* A listens on B's side port 80; A connects; returns both ids. */
static inline void t_connect(struct pair *p, int *ca, int *cb, int *listener)
{
	*listener = tcp_listen(p->b, 0, 80, 16, NULL);
	ck_assert_int_ge(*listener, 0);
	*ca = tcp_connect(p->a, p->now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(*ca, 0);
	t_exchange(p);
	ck_assert(t_event(p->a, STACK_EV_TCP_CONNECTED, *ca, NULL));
	ck_assert(t_event(p->b, STACK_EV_TCP_ACCEPTABLE, *listener, NULL));
	uint32_t raddr;
	uint16_t rport;
	*cb = tcp_accept(p->b, *listener, &raddr, &rport);
	ck_assert_int_ge(*cb, 0);
	ck_assert_uint_eq(raddr, OUR_ADDR);
	ck_assert_uint_ge(rport, TCP_EPHEMERAL_FIRST);
}

static inline enum tcp_state t_state(struct stack *s, int id)
{
	struct tcp_conn *c = tcp_conn_get(s, id);
	return c ? c->state : TCPS_CLOSED;
}

/* Reads everything readable from conn into buf at *got. Returns 1 at
 * end of stream, 0 otherwise. */
static inline int t_read_all(struct pair *p, struct stack *s, int conn,
			     uint8_t *buf, size_t cap, size_t *got)
{
	for (;;) {
		const uint8_t *d;
		size_t n;
		int r = tcp_recv_peek(s, conn, &d, &n);
		if (r == -EAGAIN)
			return 0;
		ck_assert_int_eq(r, 0);
		if (n == 0)
			return 1;
		ck_assert_uint_le(*got + n, cap);
		memcpy(buf + *got, d, n);
		*got += n;
		tcp_recv_consume(s, p->now, conn, n);
	}
}

/* Sends len bytes from a to b through the pair, reading on b as it
 * goes; checks the bytes arrive intact and in order. */
static inline void t_transfer(struct pair *p, struct stack *from, int cf,
			      struct stack *to, int ct, size_t len)
{
	uint8_t *src = malloc(len), *dst = malloc(len);
	size_t sent = 0, got = 0;
	for (size_t i = 0; i < len; i++)
		src[i] = (uint8_t)((i * 2654435761u) >> 13);
	for (int rounds = 0; got < len && rounds < 200000; rounds++) {
		if (sent < len) {
			long n =
			    tcp_send(from, p->now, cf, src + sent, len - sent);
			if (n > 0)
				sent += (size_t)n;
			else
				ck_assert_int_eq(n, -EAGAIN);
		}
		t_exchange(p);
		t_read_all(p, to, ct, dst, len, &got);
		t_exchange(p);
		if (got < len && t_move(p, p->a, p->b) == 0)
			t_tick(p, 50 * 1000000ull);
	}
	ck_assert_uint_eq(got, len);
	ck_assert_int_eq(memcmp(src, dst, len), 0);
	free(src);
	free(dst);
}

/* Builds a segment from B's side of an established pair towards A's
 * connection ca, as B would send it, with the given fields. */
static inline void t_craft(struct pair *p, int ca, int cb, struct tframe *f,
			   uint32_t seq, uint8_t flags, const uint8_t *opts,
			   size_t optlen, size_t datalen)
{
	struct tcp_conn *a = tcp_conn_get(p->a, ca);
	struct tcp_conn *b = tcp_conn_get(p->b, cb);

	t_tcp_frame(f, &(struct t_tcp){.saddr = PEER_ADDR,
				       .daddr = OUR_ADDR,
				       .sport = a->rport,
				       .dport = a->lport,
				       .seq = seq,
				       .ack = b->rcv_nxt,
				       .flags = flags,
				       .wnd = 1000,
				       .opts = opts,
				       .optlen = optlen,
				       .datalen = datalen});
}

/* Drives a fresh pair until one side's connection is in `st`; returns
 * that side's stack and connection id in *s and *id, and the other
 * side's in *os and *oid. */
static inline void t_into_state(struct pair *p, enum tcp_state st,
				struct stack **s, int *id, struct stack **os,
				int *oid)
{
	int ca, cb, l;
	t_pair(p);
	if (st == TCPS_SYN_SENT || st == TCPS_SYN_RECEIVED) {
		/* Resolve ARP first so the SYN goes out at once. */
		int u = udp_socket_open(p->a, 0, 0, 0, 0);
		udp_send(p->a, p->now, u, PEER_ADDR, 9, "x", 1);
		t_exchange(p);
		l = tcp_listen(p->b, 0, 80, 4, NULL);
		ca = tcp_connect(p->a, p->now, 0, 0, PEER_ADDR, 80, NULL);
		if (st == TCPS_SYN_SENT) {
			t_drain(p->a);
			*s = p->a, *id = ca, *os = p->b, *oid = -1;
			return;
		}
		t_move(p, p->a, p->b);
		t_drain(p->b);
		*s = p->b, *os = p->a, *oid = ca;
		for (*id = 0; !tcp_conn_get(p->b, *id); (*id)++)
			;
		return;
	}
	t_connect(p, &ca, &cb, &l);
	*s = p->a, *id = ca, *os = p->b, *oid = cb;
	switch (st) {
	case TCPS_ESTABLISHED:
		break;
	case TCPS_FIN_WAIT_1:
		tcp_shutdown(p->a, p->now, ca);
		t_drain(p->a);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_shutdown(p->a, p->now, ca);
		t_exchange(p);
		t_delack_expire(p, p->b, cb);
		break;
	case TCPS_CLOSE_WAIT:
		tcp_shutdown(p->b, p->now, cb);
		t_exchange(p);
		break;
	case TCPS_CLOSING:
		tcp_shutdown(p->a, p->now, ca);
		tcp_shutdown(p->b, p->now, cb);
		t_move(p, p->b, p->a); /* A gets B's FIN, B never A's */
		t_drain(p->a);
		break;
	case TCPS_LAST_ACK:
		tcp_shutdown(p->b, p->now, cb);
		t_exchange(p);
		tcp_shutdown(p->a, p->now, ca);
		t_drain(p->a);
		break;
	case TCPS_TIME_WAIT:
		tcp_shutdown(p->a, p->now, ca);
		tcp_shutdown(p->b, p->now, cb);
		t_exchange(p);
		break;
	default:
		ck_abort_msg("no way into that state");
	}
	ck_assert_int_eq(t_state(*s, *id), st);
}

/* A segment to connection `id` of stack s from its peer, sequence
 * rcv_nxt + delta, flags, no data. */
static inline void t_inject(struct pair *p, struct stack *s, int id,
			    int32_t delta, uint8_t flags)
{
	struct tcp_conn *c = tcp_conn_get(s, id);
	struct tframe f;

	t_tcp_frame(&f,
		    &(struct t_tcp){.saddr = c->raddr,
				    .daddr = c->laddr,
				    .sport = c->rport,
				    .dport = c->lport,
				    .seq = (flags & TCP_SYN) &&
						   c->state == TCPS_SYN_SENT
					       ? 12345
					       : c->rcv_nxt + (uint32_t)delta,
				    .ack = c->snd_max,
				    .flags = flags,
				    .wnd = 1000});
	t_input(s, p->now, &f);
}

/* Takes every frame `from` has queued into segs (at most max). */
static inline int t_hold(struct stack *from, struct pkt **segs, int max)
{
	int n = 0;
	while (n < max && (segs[n] = stack_pop_tx(from)))
		n++;
	return n;
}

/* Delivers a held frame of `from` to `to` at p->now, and frees it. */
static inline void t_deliver(struct pair *p, struct stack *from,
			     struct stack *to, struct pkt *f)
{
	struct pkt *g = stack_pkt_alloc(to, f->len);
	ck_assert_ptr_nonnull(g);
	memcpy(g->data, f->data, f->len);
	g->len = f->len;
	if (f->flags & PKT_F_CSUM_PARTIAL)
		g->flags |= PKT_F_CSUM_VALID;
	stack_pkt_free(from, f);
	stack_input(to, p->now, g);
}

/* Holds small buffers of s's pool, as a crowd of other users would,
 * until `in_use` of them are in use; returns how many it took into
 * held (at most max). t_pool_release() gives them back. */
static inline uint32_t t_pool_fill(struct stack *s, uint32_t in_use,
				   struct pkt **held, uint32_t max)
{
	uint32_t n = 0;

	while (s->pool.in_use[PKT_CLASS_SMALL] < in_use) {
		ck_assert_uint_lt(n, max);
		held[n] = stack_pkt_alloc(s, 100);
		ck_assert_ptr_nonnull(held[n]);
		n++;
	}
	return n;
}

/* Frees the *n buffers t_pool_fill() held; *n becomes 0. */
static inline void t_pool_release(struct stack *s, struct pkt **held,
				  uint32_t *n)
{
	while (*n > 0)
		stack_pkt_free(s, held[--*n]);
}

/* A fresh pair with an established connection, A's ca to B's cb (B
 * listening on port 80); returns A's connection. */
static inline struct tcp_conn *t_open(struct pair *p, int *ca, int *cb)
{
	int listener;

	t_pair(p);
	t_connect(p, ca, cb, &listener);
	return tcp_conn_get(p->a, *ca);
}

/* Sends all of data on conn (it must all fit). */
static inline void t_send_all(struct stack *s, uint64_t now, int conn,
			      const void *data, size_t len)
{
	ck_assert_int_eq(tcp_send(s, now, conn, data, len), (long)len);
}

#endif
