/*
 * test_tcp.c - µTCP between two stacks, and against crafted segments
 *
 * A is 10.0.0.2 (the harness's OUR_ADDR), B is 10.0.0.1 (PEER_ADDR);
 * frames are copied between them by t_exchange(), which can drop
 * frames to simulate loss, and time advances to the next deadline when
 * nothing is in flight.
 */
#include "harness.h"
#include <signal.h>
#include <stdio.h>

#include "tcp.h"

/* How many times stack s applied rule `name` of tcp_rules.h. */
#define t_rule(s, name) stack_counter_get((s), STACK_CTR_tcp_rule_##name)

struct pair {
	struct stack *a, *b;
	uint64_t now;
	uint32_t drop_every; /* drop every Nth data-bearing frame, 0 = none */
	uint32_t frames;
	uint32_t dropped;
};

static struct stack *t_tcp_stack(const uint8_t *mac, uint32_t addr,
				 const struct stack_limits *lim)
{
	struct stack *s = stack_new(lim, addr);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stack_if_add(s, "tap0", mac, 1500), 0);
	ck_assert_int_eq(stack_if_set_address(s, T0, 0, addr, 24), 0);
	t_drain(s);
	return s;
}

static void t_pair_lim(struct pair *p, const struct stack_limits *lim)
{
	*p = (struct pair){.now = T0};
	p->a = t_tcp_stack(OUR_MAC, OUR_ADDR, lim);
	p->b = t_tcp_stack(PEER_MAC, PEER_ADDR, lim);
}

static void t_pair(struct pair *p)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	t_pair_lim(p, &lim);
}

static void t_pair_free(struct pair *p)
{
	stack_free(p->a);
	stack_free(p->b);
}

/* Moves every queued frame from one stack to the other; returns the
 * number moved. */
static int t_move(struct pair *p, struct stack *from, struct stack *to)
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
static void t_exchange(struct pair *p)
{
	for (int i = 0; i < 100000; i++)
		if (t_move(p, p->a, p->b) + t_move(p, p->b, p->a) == 0)
			return;
	ck_abort_msg("frames never stopped");
}

/* Advances time to the earliest deadline (at most `limit` ahead) and
 * runs the timers. Returns false when neither stack has one. */
static bool t_tick(struct pair *p, uint64_t limit)
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

/* Pops events until one of `type` for id `sock`; returns its error. */
static bool t_event(struct stack *s, enum stack_event_type type, int sock,
		    int *error)
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
static void t_connect(struct pair *p, int *ca, int *cb, int *listener)
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

static enum tcp_state t_state(struct stack *s, int id)
{
	struct tcp_conn *c = tcp_conn_get(s, id);
	return c ? c->state : TCPS_CLOSED;
}

/* Reads everything readable from conn into buf at *got. Returns 1 at
 * end of stream, 0 otherwise. */
static int t_read_all(struct pair *p, struct stack *s, int conn, uint8_t *buf,
		      size_t cap, size_t *got)
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
static void t_transfer(struct pair *p, struct stack *from, int cf,
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

static int t_hold(struct stack *from, struct pkt **segs, int max);
static void t_deliver(struct pair *p, struct stack *from, struct stack *to,
		      struct pkt *f);

START_TEST(test_handshake_negotiates_options)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca), *b = tcp_conn_get(p.b, cb);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	ck_assert_int_eq(b->state, TCPS_ESTABLISHED);
	ck_assert(a->ts_ok && b->ts_ok);
	ck_assert(a->sack_ok && b->sack_ok);
	ck_assert(a->ws_ok && b->ws_ok);
	ck_assert_uint_eq(a->snd_wscale, b->rcv_wscale);
	ck_assert_uint_eq(a->mss, 1460 - 12);
	ck_assert_uint_eq(a->snd_una, b->irs + 1);
	ck_assert_uint_eq(b->snd_una, a->irs + 1);
	ck_assert_uint_eq(a->cwnd, 10 * a->mss);
	ck_assert_uint_gt(a->srtt, 0);
	/* The rules each side applied: an active open, a passive one. */
	ck_assert_uint_eq(t_rule(p.a, open_active), 1);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_2), 1);
	ck_assert_uint_eq(t_rule(p.b, open_passive), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_1), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_3d), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_3), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_bulk_transfer_both_ways)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	t_transfer(&p, p.a, ca, p.b, cb, 1 << 20);
	t_transfer(&p, p.b, cb, p.a, ca, 300000);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->retransmits, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_transfer_survives_loss)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	p.drop_every = 23;
	t_transfer(&p, p.a, ca, p.b, cb, 2 << 20);
	ck_assert_uint_gt(p.dropped, 0);
	ck_assert_uint_gt(tcp_conn_get(p.a, ca)->retransmits, 0);
	ck_assert_uint_gt(
	    stack_counter_get(p.a, STACK_CTR_tcp_fast_retransmits), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_sequence_numbers_wrap)
{
	struct pair p;
	t_pair(&p);
	int l = tcp_listen(p.b, 0, 80, 4, NULL);
	/* Resolve B first, so that the SYN below is not held by ARP. */
	int u = udp_socket_open(p.a, 0, 0, 0, 0);
	udp_send(p.a, p.now, u, PEER_ADDR, 9, "x", 1);
	t_exchange(&p);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	/* Throw the first SYN away and restart near 2^32. */
	t_drain(p.a);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	a->iss = a->snd_una = a->snd_nxt = a->snd_max = 0xffff0000u;
	a->recover = a->iss;
	tcp_output(p.a, p.now, a, 0);
	t_exchange(&p);
	int cb = tcp_accept(p.b, l, NULL, NULL);
	ck_assert_int_ge(cb, 0);
	t_transfer(&p, p.a, ca, p.b, cb, 200000);
	ck_assert(SEQ_LT(a->snd_una, 0x10000000u) && a->snd_una < 0x10000000u);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_orderly_close_and_time_wait)
{
	struct pair p;
	int ca, cb, l;
	uint8_t buf[16];
	size_t got = 0;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "bye", 3), 3);
	ck_assert_int_eq(tcp_shutdown(p.a, p.now, ca), 0);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_FIN_WAIT_2);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSE_WAIT);
	ck_assert_int_eq(t_read_all(&p, p.b, cb, buf, sizeof(buf), &got), 1);
	ck_assert_uint_eq(got, 3);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "x", 1), -EPIPE);
	/* B answers and closes. */
	ck_assert_int_eq(tcp_send(p.b, p.now, cb, "ok", 2), 2);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_ptr_null(tcp_conn_get(p.b, cb)); /* B is done and gone */
	got = 0;
	ck_assert_int_eq(t_read_all(&p, p.a, ca, buf, sizeof(buf), &got), 1);
	ck_assert_mem_eq(buf, "ok", 2);
	tcp_close(p.a, p.now, ca);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_uint_eq(t_rule(p.a, shutdown_call), 1);
	ck_assert_uint_eq(t_rule(p.a, our_fin_acked), 1); /* FIN_WAIT_2 */
	ck_assert_uint_eq(t_rule(p.a, fin_in), 1);	  /* TIME_WAIT */
	ck_assert_uint_eq(t_rule(p.b, fin_in), 1);	  /* CLOSE_WAIT */
	ck_assert_uint_eq(t_rule(p.b, close_call), 1);
	ck_assert_uint_eq(t_rule(p.b, our_fin_acked), 1); /* LAST_ACK */
	/* 2MSL later the connection is freed. */
	p.now += TCP_TIME_WAIT_NS;
	stack_timer(p.a, p.now);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	ck_assert_uint_eq(t_rule(p.a, timer_tt_2msl_1), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_simultaneous_close)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	tcp_shutdown(p.a, p.now, ca);
	tcp_shutdown(p.b, p.now, cb);
	/* Both FINs cross: each side goes FIN_WAIT_1 -> CLOSING. */
	t_move(&p, p.a, p.b);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSING);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_simultaneous_open)
{
	/* Both connect to each other from fixed ports; the SYNs cross
	 * (RFC 9293 3.5, figure 8): SYN_SENT, SYN_RECEIVED, ESTABLISHED on
	 * both sides, and data flows both ways. */
	struct pair p;
	uint8_t buf[16];
	size_t got = 0;
	t_pair(&p);
	int u = udp_socket_open(p.a, 0, 0, 0, 0); /* resolve ARP first */
	udp_send(p.a, p.now, u, PEER_ADDR, 9, "x", 1);
	t_exchange(&p);
	t_drain(p.b);
	int ca = tcp_connect(p.a, p.now, 0, 5000, PEER_ADDR, 6000, NULL);
	int cb = tcp_connect(p.b, p.now, 0, 6000, OUR_ADDR, 5000, NULL);
	ck_assert_int_ge(ca, 0);
	ck_assert_int_ge(cb, 0);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_SYN_SENT);
	/* Each SYN reaches the other while it waits in SYN_SENT. */
	struct pkt *sa[4], *sb[4];
	ck_assert_int_eq(t_hold(p.a, sa, 4), 1);
	ck_assert_int_eq(t_hold(p.b, sb, 4), 1);
	t_deliver(&p, p.a, p.b, sa[0]);
	t_deliver(&p, p.b, p.a, sb[0]);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_SYN_RECEIVED);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_SYN_RECEIVED);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_ESTABLISHED);
	ck_assert(t_event(p.a, STACK_EV_TCP_CONNECTED, ca, NULL));
	ck_assert(t_event(p.b, STACK_EV_TCP_CONNECTED, cb, NULL));
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "ping", 4), 4);
	t_exchange(&p);
	ck_assert_int_eq(t_read_all(&p, p.b, cb, buf, sizeof(buf), &got), 0);
	ck_assert_uint_eq(got, 4);
	ck_assert_mem_eq(buf, "ping", 4);
	t_transfer(&p, p.b, cb, p.a, ca, 100000);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_connect_to_closed_port_is_refused)
{
	struct pair p;
	int err = 0;
	t_pair(&p);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 81, NULL);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_rx_no_conn), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_5), 1);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_7d), 1);
	const uint8_t *d;
	size_t n;
	ck_assert_int_eq(tcp_recv_peek(p.a, ca, &d, &n), -ECONNREFUSED);
	tcp_close(p.a, p.now, ca);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	t_pair_free(&p);
}
END_TEST

START_TEST(test_syn_retries_then_times_out)
{
	struct pair p;
	int err = 0;
	t_pair(&p);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	int syns = 0;
	for (int i = 0; i < 50; i++) {
		struct pkt *f;
		while ((f = stack_pop_tx(p.a))) { /* B is unreachable */
			syns++;
			stack_pkt_free(p.a, f);
		}
		uint64_t d = stack_next_deadline(p.a);
		if (d == STACK_NO_DEADLINE)
			break;
		p.now = d;
		stack_timer(p.a, p.now);
	}
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_int_ge(syns, TCP_SYN_RETRIES);
	ck_assert_uint_eq(t_rule(p.a, timer_tt_rexmtsyn_1), TCP_SYN_RETRIES);
	ck_assert_uint_eq(t_rule(p.a, rexmt_give_up), 1);
	ck_assert_uint_eq(t_rule(p.a, timer_tt_rexmt_1), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_unread_data_on_close_sends_reset)
{
	struct pair p;
	int ca, cb, l, err = 0;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	tcp_send(p.a, p.now, ca, "unread", 6);
	t_exchange(&p);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "x", 1), -ECONNRESET);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_zero_window_is_probed_until_reader_returns)
{
	struct pair p;
	int ca, cb, l;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 16384;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	static uint8_t blob[100000];
	size_t sent = 0;
	for (int i = 0; i < 50; i++) {
		long n =
		    tcp_send(p.a, p.now, ca, blob + sent, sizeof(blob) - sent);
		if (n > 0)
			sent += (size_t)n;
		t_exchange(&p);
	}
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	/* The delayed ACK, then the persist timer pushes the last bytes
	 * that fit a window smaller than a segment. */
	for (int i = 0; i < 6; i++)
		t_tick(&p, 120 * STACK_NS_PER_SEC);
	ck_assert_uint_eq(a->snd_wnd, 0);
	ck_assert_uint_eq(tcp_rcv_queued(tcp_conn_get(p.b, cb)), 16384);
	/* A minute passes: A probes with backoff, B keeps answering with
	 * a zero window, and nobody gives up. */
	uint64_t until = p.now + 60 * STACK_NS_PER_SEC;
	while (p.now < until)
		ck_assert(t_tick(&p, until - p.now));
	ck_assert_uint_ge(
	    stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes), 3);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	/* The reader returns: the rest flows. */
	static uint8_t got_buf[100000];
	size_t got = 0;
	for (int i = 0; i < 2000 && got < sent; i++) {
		t_read_all(&p, p.b, cb, got_buf, sizeof(got_buf), &got);
		t_exchange(&p);
		if (sent < sizeof(blob)) {
			long n = tcp_send(p.a, p.now, ca, blob + sent,
					  sizeof(blob) - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		t_tick(&p, 1000000);
	}
	ck_assert_uint_eq(got, sizeof(blob));
	t_pair_free(&p);
}
END_TEST

START_TEST(test_zero_window_peer_that_vanishes_times_out)
{
	struct pair p;
	int ca, cb, l, err = 0;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 16384;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	static uint8_t blob[100000];
	for (int i = 0; i < 20; i++) {
		tcp_send(p.a, p.now, ca, blob, sizeof(blob));
		t_tick(&p, 120 * STACK_NS_PER_SEC);
	}
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->snd_wnd, 0);
	/* B disappears: A's probes go unanswered until it gives up. */
	for (int i = 0; i < 100; i++) {
		struct pkt *f;
		while ((f = stack_pop_tx(p.a)))
			stack_pkt_free(p.a, f);
		uint64_t d = stack_next_deadline(p.a);
		if (d == STACK_NO_DEADLINE)
			break;
		p.now = d;
		stack_timer(p.a, p.now);
	}
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ETIMEDOUT);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_syn_cookies_when_half_open_bound_reached)
{
	struct pair p;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_syn_backlog = 0; /* every SYN gets a cookie */
	t_pair_lim(&p, &lim);
	int l = tcp_listen(p.b, 0, 80, 4, NULL);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	t_exchange(&p);
	ck_assert_uint_eq(
	    stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_sent), 1);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_ok),
			  1);
	ck_assert_uint_eq(t_rule(p.b, syn_cookie_sent), 1);
	ck_assert_uint_eq(t_rule(p.b, syn_cookie_ack), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_1), 0);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_3d), 1);
	int cb = tcp_accept(p.b, l, NULL, NULL);
	ck_assert_int_ge(cb, 0);
	struct tcp_conn *b = tcp_conn_get(p.b, cb);
	ck_assert(b->ws_ok && b->sack_ok && b->ts_ok); /* carried by TS */
	t_transfer(&p, p.a, ca, p.b, cb, 100000);
	t_transfer(&p, p.b, cb, p.a, ca, 100000);
	t_pair_free(&p);
}
END_TEST

/* Entering a state performs its entry actions: TIME_WAIT stops every
 * timer but 2 MSL and frees the send side; each state entered counts. */
START_TEST(test_state_entry_actions_and_counts)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_enter_established), 1);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_enter_syn_sent),
			  1);
	ck_assert_uint_eq(
	    stack_counter_get(p.b, STACK_CTR_tcp_enter_syn_received), 1);
	ck_assert_uint_eq(a->cwnd, TCP_INIT_CWND_SEGS * a->mss);
	tcp_shutdown(p.a, p.now, ca);
	tcp_shutdown(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(a->state, TCPS_TIME_WAIT);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_enter_time_wait),
			  1);
	ck_assert_uint_eq(a->t_2msl, p.now + TCP_TIME_WAIT_NS);
	ck_assert(!a->t_rexmt && !a->t_delack && !a->t_keep && !a->t_reo &&
		  !a->t_tlp);
	ck_assert_ptr_null(a->txr);
	ck_assert_uint_eq(a->sndbuf.len, 0);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_bad_transitions),
			  0);
	t_pair_free(&p);
}
END_TEST

#ifndef NDEBUG
/* An impossible transition aborts a debug build. */
START_TEST(test_impossible_transition_aborts)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	tcp_set_state(p.a, p.now, tcp_conn_get(p.a, ca), TCPS_SYN_SENT);
}
END_TEST
#endif

/* A listener answers an ACK that returns no cookie with a reset
 * (deliver_in_1b) and ignores a RST (deliver_in_7b). */
START_TEST(test_listener_resets_a_stray_ack_and_ignores_a_rst)
{
	struct tframe f;
	struct stack *s = t_stack();
	uint8_t *t;
	ck_assert_int_ge(tcp_listen(s, 0, 80, 4, NULL), 0);
	t_drain(s);
	for (int i = 0; i < 2; i++) {
		t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
		t_ipv4(&f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_TCP, 1, 0, 20);
		t = f.b + f.len;
		memset(t, 0, 20);
		put_be16(t, 40000);
		put_be16(t + 2, 80);
		put_be32(t + 4, 1000);
		put_be32(t + 8, 2000);
		t[12] = 5 << 4;
		t[13] = i == 0 ? TCP_ACK : TCP_RST;
		put_be16(t + 16,
			 csum_fold(csum_partial(
			     t, 20, csum_pseudo(PEER_ADDR, OUR_ADDR, 6, 20))));
		f.len += 20;
		t_input(s, T0, &f);
	}
	ck_assert_uint_eq(t_rule(s, deliver_in_1b), 1);
	ck_assert_uint_eq(t_rule(s, deliver_in_7b), 1);
	ck_assert_uint_eq(stack_counter_get(s, STACK_CTR_tcp_syn_cookies_bad),
			  1);
	ck_assert_uint_eq(stack_counter_get(s, STACK_CTR_tcp_tx_resets), 1);
	t_drain(s);
	stack_free(s);
}
END_TEST

/* Builds a segment from B's side of an established pair towards A's
 * connection ca, as B would send it, with the given fields. */
static void t_craft(struct pair *p, int ca, int cb, struct tframe *f,
		    uint32_t seq, uint8_t flags, const uint8_t *opts,
		    size_t optlen, size_t datalen)
{
	struct tcp_conn *a = tcp_conn_get(p->a, ca);
	struct tcp_conn *b = tcp_conn_get(p->b, cb);
	size_t hl = 20 + optlen;
	uint8_t *t;
	t_eth(f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_TCP, 3, 0, hl + datalen);
	t = f->b + f->len;
	memset(t, 0, hl + datalen);
	put_be16(t, a->rport);
	put_be16(t + 2, a->lport);
	put_be32(t + 4, seq);
	put_be32(t + 8, b->rcv_nxt);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put_be16(t + 14, 1000);
	if (optlen)
		memcpy(t + 20, opts, optlen);
	put_be16(t + 16, csum_fold(csum_partial(
			     t, hl + datalen,
			     csum_pseudo(PEER_ADDR, OUR_ADDR, 6,
					 (uint16_t)(hl + datalen)))));
	f->len += hl + datalen;
}

START_TEST(test_malformed_segments_are_counted_and_dropped)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t rcv_before = a->rcv_nxt;

	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, 10);
	f.b[34 + 16] ^= 0x11; /* checksum */
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_checksum), 1);

	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, 10);
	f.b[34 + 12] = 4 << 4; /* data offset 4 */
	t_input(p.a, p.now, &f);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, 10);
	f.b[34 + 12] = 15 << 4; /* 60 bytes: beyond the segment */
	f.len = 34 + 40;
	put_be16(f.b + 14 + 2, 60);
	t_ipv4_recsum(f.b + 14);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_offset),
			  2);

	const uint8_t len0[4] = {8, 0, 1, 1}, len1[4] = {5, 1, 1, 1},
		      past[4] = {8, 10, 0, 0};
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, len0, 4, 0);
	t_input(p.a, p.now, &f);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, len1, 4, 0);
	t_input(p.a, p.now, &f);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, past, 4, 0);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_options),
			  3);

	t_craft(&p, ca, cb, &f, seq, TCP_SYN | TCP_FIN, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	t_craft(&p, ca, cb, &f, seq, TCP_FIN | TCP_PSH | TCP_URG, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_flags),
			  2);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_3a), 1);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_4), 5);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_10), 2);

	ck_assert_ptr_null(stack_pop_tx(p.a)); /* none was answered */
	ck_assert_uint_eq(a->rcv_nxt, rcv_before);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_rst_in_window_gets_challenge_ack)
{
	struct pair p;
	int ca, cb, l, err;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	t_craft(&p, ca, cb, &f, seq + 100, TCP_RST, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_challenge_acks),
			  1);
	struct pkt *ack = t_pop_ipv4(p.a, IPV4_PROTO_TCP);
	ck_assert_uint_eq(ack->data[34 + 13], TCP_ACK);
	stack_pkt_free(p.a, ack);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_uint_eq(t_rule(p.a, rst_challenge), 1);
	/* Out of the window: silently dropped. */
	t_craft(&p, ca, cb, &f, seq + 10000000, TCP_RST, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_eq(t_rule(p.a, seq_unacceptable), 1);
	/* Exactly at rcv_nxt: the connection is reset. */
	t_craft(&p, ca, cb, &f, seq, TCP_RST, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_7), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_syn_in_established_gets_challenge_ack)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	t_craft(&p, ca, cb, &f, seq + 5, TCP_SYN, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_challenge_acks),
			  1);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_8), 1);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_paws_drops_old_timestamp)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12] = {1, 1, 8, 10};
	put_be32(ts + 4, a->ts_recent - 1000); /* older than seen */
	put_be32(ts + 8, 0);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK | TCP_PSH, ts, 12, 5);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_paws),
			  1);
	ck_assert_uint_eq(t_rule(p.a, paws_reject), 1);
	ck_assert_uint_eq(tcp_rcv_queued(a), 0);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_out_of_order_data_is_held_and_sacked)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12] = {1, 1, 8, 10};
	put_be32(ts + 4, a->ts_recent + 1);
	/* Bytes 100..199 arrive before 0..99. */
	t_craft(&p, ca, cb, &f, seq + 100, TCP_ACK, ts, 12, 100);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(a->nooo, 1);
	ck_assert_uint_eq(t_rule(p.a, data_out_of_order), 1);
	struct pkt *ack = t_pop_ipv4(p.a, IPV4_PROTO_TCP);
	struct tcp_seg seg;
	ck_assert_int_eq(tcp_parse(ack->data + 34, ack->len - 34, &seg), 0);
	ck_assert_uint_eq(seg.ack, seq);
	ck_assert_uint_eq(seg.nsack, 1);
	ck_assert_uint_eq(seg.sack[0][0], seq + 100);
	ck_assert_uint_eq(seg.sack[0][1], seq + 200);
	stack_pkt_free(p.a, ack);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, ts, 12, 100);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(a->nooo, 0);
	ck_assert_uint_eq(tcp_rcv_queued(a), 200);
	ck_assert_uint_eq(a->rcv_nxt, seq + 200);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

/* Drives a fresh pair until one side's connection is in `st`; returns
 * that side's stack and connection id in *s and *id, and the other
 * side's in *os and *oid. */
static void t_into_state(struct pair *p, enum tcp_state st, struct stack **s,
			 int *id, struct stack **os, int *oid)
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
static void t_inject(struct pair *p, struct stack *s, int id, int32_t delta,
		     uint8_t flags)
{
	struct tcp_conn *c = tcp_conn_get(s, id);
	struct tframe f;
	uint8_t *t;
	bool to_a = s == p->a;
	t_eth(&f, to_a ? OUR_MAC : PEER_MAC, to_a ? PEER_MAC : OUR_MAC,
	      ETHERTYPE_IPV4);
	t_ipv4(&f, c->raddr, c->laddr, IPV4_PROTO_TCP, 5, 0, 20);
	t = f.b + f.len;
	memset(t, 0, 20);
	put_be16(t, c->rport);
	put_be16(t + 2, c->lport);
	put_be32(t + 4, (flags & TCP_SYN) && c->state == TCPS_SYN_SENT
			    ? 12345
			    : c->rcv_nxt + (uint32_t)delta);
	put_be32(t + 8, c->snd_max);
	t[12] = 5 << 4;
	t[13] = flags;
	put_be16(t + 14, 1000);
	put_be16(t + 16, csum_fold(csum_partial(
			     t, 20, csum_pseudo(c->raddr, c->laddr, 6, 20))));
	f.len += 20;
	struct pkt *q = stack_pkt_alloc(s, f.len);
	memcpy(q->data, f.b, f.len);
	q->len = (uint32_t)f.len;
	q->ifindex = 0;
	stack_input(s, p->now, q);
}

static const enum tcp_state synchronized[] = {
    TCPS_ESTABLISHED, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSE_WAIT,
    TCPS_CLOSING,     TCPS_LAST_ACK,   TCPS_TIME_WAIT,
};

START_TEST(test_rst_at_rcv_nxt_closes_in_every_synchronized_state)
{
	for (size_t i = 0; i < sizeof(synchronized) / sizeof(*synchronized);
	     i++) {
		struct pair p;
		struct stack *s, *os;
		int id, oid, err = -1;
		t_into_state(&p, synchronized[i], &s, &id, &os, &oid);
		t_inject(&p, s, id, 0, TCP_RST);
		ck_assert_msg(t_state(s, id) == TCPS_CLOSED, "state %s",
			      tcp_state_name(synchronized[i]));
		bool got = t_event(s, STACK_EV_TCP_ERROR, id, &err);
		if (synchronized[i] == TCPS_CLOSING ||
		    synchronized[i] == TCPS_LAST_ACK ||
		    synchronized[i] == TCPS_TIME_WAIT) {
			ck_assert(got && err == 0);
			ck_assert_uint_eq(t_rule(s, rst_closing), 1);
		} else {
			ck_assert_msg(got && err == ECONNRESET, "state %s",
				      tcp_state_name(synchronized[i]));
			ck_assert_uint_eq(t_rule(s, deliver_in_7), 1);
		}
		ck_assert_ptr_null(stack_pop_tx(s)); /* no answer to a RST */
		t_pair_free(&p);
	}
}
END_TEST

START_TEST(test_rst_or_syn_in_window_gets_challenge_in_every_state)
{
	for (size_t i = 0; i < sizeof(synchronized) / sizeof(*synchronized);
	     i++) {
		for (int syn = 0; syn <= 1; syn++) {
			struct pair p;
			struct stack *s, *os;
			int id, oid;
			enum tcp_state st = synchronized[i];
			t_into_state(&p, st, &s, &id, &os, &oid);
			t_inject(&p, s, id, 1, syn ? TCP_SYN : TCP_RST);
			ck_assert_msg(t_state(s, id) == st, "%s %s",
				      tcp_state_name(st), syn ? "SYN" : "RST");
			struct pkt *ack = t_pop_ipv4(s, IPV4_PROTO_TCP);
			ck_assert_uint_eq(
			    ack->data[34 + 13] & (TCP_ACK | TCP_RST), TCP_ACK);
			stack_pkt_free(s, ack);
			ck_assert_uint_eq(
			    stack_counter_get(s, STACK_CTR_tcp_challenge_acks),
			    1);
			if (syn)
				ck_assert_uint_eq(t_rule(s, deliver_in_8), 1);
			else
				ck_assert_uint_eq(t_rule(s, rst_challenge), 1);
			t_pair_free(&p);
		}
	}
}
END_TEST

START_TEST(test_syn_sent_rules)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid, err;
	/* A RST without an acceptable ACK is ignored. */
	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	t_inject(&p, s, id, 0, TCP_RST);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_SENT);
	ck_assert_uint_eq(t_rule(s, deliver_in_2a), 1);
	/* With it, the connection is refused. */
	t_inject(&p, s, id, 0, TCP_RST | TCP_ACK);
	ck_assert(t_event(s, STACK_EV_TCP_ERROR, id, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_uint_eq(t_rule(s, deliver_in_7d), 1);
	t_pair_free(&p);
	/* A bare SYN is a simultaneous open: SYN_RECEIVED and a SYN-ACK. */
	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	t_inject(&p, s, id, 0, TCP_SYN);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_RECEIVED);
	ck_assert_uint_eq(t_rule(s, deliver_in_2b), 1);
	struct pkt *sa = t_pop_ipv4(s, IPV4_PROTO_TCP);
	ck_assert_uint_eq(sa->data[34 + 13], TCP_SYN | TCP_ACK);
	stack_pkt_free(s, sa);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_syn_received_rules)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid;
	/* The peer's SYN again: the SYN-ACK is sent again. */
	t_into_state(&p, TCPS_SYN_RECEIVED, &s, &id, &os, &oid);
	struct tcp_conn *c = tcp_conn_get(s, id);
	t_inject(&p, s, id, -1, TCP_SYN); /* seq = irs */
	ck_assert_uint_eq(c->retransmits, 1);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_RECEIVED);
	ck_assert_uint_eq(t_rule(s, synack_resend), 1);
	t_drain(s);
	/* A RST at rcv_nxt: back to listening, the half-open one goes. */
	t_inject(&p, s, id, 0, TCP_RST);
	ck_assert_ptr_null(tcp_conn_get(s, id));
	ck_assert_uint_eq(t_rule(s, deliver_in_7a), 1);
	ck_assert_uint_eq(s->tcp->listeners[0].nsyn, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_fin_out_of_order_is_taken_when_the_hole_fills)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12] = {1, 1, 8, 10};
	put_be32(ts + 4, a->ts_recent + 1);
	/* Bytes 100..199 with FIN first, then 0..99. */
	t_craft(&p, ca, cb, &f, seq + 100, TCP_ACK | TCP_FIN, ts, 12, 100);
	t_input(p.a, p.now, &f);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, ts, 12, 100);
	t_input(p.a, p.now, &f);
	ck_assert_int_eq(a->state, TCPS_CLOSE_WAIT);
	ck_assert_uint_eq(a->rcv_nxt, seq + 201);
	uint8_t buf[256];
	size_t got = 0;
	ck_assert_int_eq(t_read_all(&p, p.a, ca, buf, sizeof(buf), &got), 1);
	ck_assert_uint_eq(got, 200);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_sockopts_read_back_and_change_one_at_a_time)
{
	struct pair p;
	int ca, cb, l;
	struct tcp_sockopts o;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert(!o.nodelay && !o.keepalive);
	o.nodelay = true;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert(o.nodelay && !o.keepalive);
	o.sndbuf = 100; /* below the minimum */
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), -EINVAL);
	ck_assert_int_eq(tcp_get_sockopts(p.a, 999, &o), -EBADF);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_reordering_is_detected_and_undone)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	static uint8_t blob[8 * 1448];
	/* A sends 8 segments; hold them all. */
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	struct pkt *segs[16];
	int n = 0;
	while ((segs[n] = stack_pop_tx(p.a)))
		n++;
	ck_assert_int_eq(n, 8);
	uint32_t cwnd_before = a->cwnd;
	/* 5 ms later the first arrives last: segments 2..8 go first. */
	p.now += 5000000;
	for (int i = 1; i < n; i++) {
		struct pkt *g = stack_pkt_alloc(p.b, segs[i]->len);
		memcpy(g->data, segs[i]->data, segs[i]->len);
		g->len = segs[i]->len;
		stack_input(p.b, p.now, g);
		stack_pkt_free(p.a, segs[i]);
	}
	t_move(&p, p.b, p.a); /* duplicate ACKs: A resends segment 1 */
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_fast_retransmits), 1);
	ck_assert_uint_lt(a->cwnd, cwnd_before);
	t_drain(p.a); /* the retransmission is lost */
	/* The original arrives; B's ACK echoes its (older) timestamp. */
	struct pkt *g = stack_pkt_alloc(p.b, segs[0]->len);
	memcpy(g->data, segs[0]->data, segs[0]->len);
	g->len = segs[0]->len;
	stack_input(p.b, p.now, g);
	stack_pkt_free(p.a, segs[0]);
	t_exchange(&p);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_spurious_retransmits), 1);
	ck_assert_uint_ge(a->cwnd, cwnd_before);
	ck_assert_int_ne(a->recovery, TCP_RECOVERY_FAST);
	t_pair_free(&p);
}
END_TEST

/* Takes every frame `from` has queued into segs (at most max). */
static int t_hold(struct stack *from, struct pkt **segs, int max)
{
	int n = 0;
	while (n < max && (segs[n] = stack_pop_tx(from)))
		n++;
	return n;
}

/* Delivers a held frame of `from` to `to` at p->now, and frees it. */
static void t_deliver(struct pair *p, struct stack *from, struct stack *to,
		      struct pkt *f)
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

#define MS 1000000ull

START_TEST(test_rack_judges_a_loss_by_time_without_three_duplicates)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[8];
	static uint8_t blob[2 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 8), 2);
	/* The first is lost; the second arrives 10 ms later, and B's SACK
	 * is one duplicate ACK: not enough for RFC 6675, enough for RACK
	 * once a quarter of the minimum RTT has passed as well. */
	stack_pkt_free(p.a, segs[0]);
	p.now += 10 * MS;
	t_deliver(&p, p.a, p.b, segs[1]);
	t_move(&p, p.b, p.a);
	ck_assert_uint_eq(a->sacked_bytes, 1448);
	ck_assert_uint_eq(a->retransmits, 0);
	ck_assert_uint_eq(a->rack_min_rtt, 10 * MS);
	/* reo_wnd: min_rtt / 4, at most SRTT (the handshake's). */
	ck_assert_uint_eq(
	    a->t_reo, p.now + (a->srtt < 10 * MS / 4 ? a->srtt : 10 * MS / 4));
	stack_timer(p.a, a->t_reo - 1);
	ck_assert_uint_eq(a->retransmits, 0);
	/* The reordering timer fires: segment 1 is lost, and resent. */
	p.now = a->t_reo;
	stack_timer(p.a, p.now);
	ck_assert_uint_eq(a->retransmits, 1);
	ck_assert_int_eq(a->recovery, TCP_RECOVERY_FAST);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rack_reo_timeouts), 1);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_fast_retransmits), 1);
	t_exchange(&p);
	ck_assert_uint_eq(a->snd_una, a->snd_max);
	ck_assert_int_ne(a->recovery, TCP_RECOVERY_FAST);
	ck_assert_ptr_null(a->txr); /* nothing in flight holds memory */
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rto_timeouts),
			  0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_rack_waits_out_reordering_within_its_window)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[8];
	static uint8_t blob[2 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 8), 2);
	p.now += 10 * MS;
	t_deliver(&p, p.a, p.b, segs[1]);
	t_move(&p, p.b, p.a);
	ck_assert_uint_ne(a->t_reo, 0);
	/* The first arrives before the window closes: no retransmission,
	 * and RACK has now seen reordering. */
	p.now += 1 * MS;
	t_deliver(&p, p.a, p.b, segs[0]);
	t_exchange(&p);
	ck_assert_uint_eq(a->snd_una, a->snd_max);
	ck_assert_uint_eq(a->retransmits, 0);
	ck_assert_uint_eq(a->t_reo, 0);
	ck_assert(a->rack_reordering_seen);
	ck_assert_int_ne(a->recovery, TCP_RECOVERY_FAST);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_rack_finds_a_lost_retransmission_without_a_timeout)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[16], *rx[4];
	static uint8_t blob[4 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 16), 4);
	/* Segment 1 is lost; 2..4 arrive: three SACKed, it is lost at
	 * once and resent; that resend is lost too. */
	stack_pkt_free(p.a, segs[0]);
	p.now += 10 * MS;
	for (int i = 1; i < 4; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	t_move(&p, p.b, p.a);
	ck_assert_uint_eq(a->retransmits, 1);
	ck_assert_int_eq(t_hold(p.a, rx, 4), 1);
	stack_pkt_free(p.a, rx[0]);
	/* New data leaves after the resend and arrives 20 ms later: the
	 * resend, sent before it and not delivered, is lost again. */
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, 1448), 1448);
	ck_assert_int_eq(t_hold(p.a, segs, 16), 1);
	p.now += 20 * MS;
	t_deliver(&p, p.a, p.b, segs[0]);
	t_move(&p, p.b, p.a);
	ck_assert_uint_eq(a->retransmits, 2);
	t_exchange(&p);
	ck_assert_uint_eq(a->snd_una, a->snd_max);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rto_timeouts),
			  0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_tail_loss_probe_repairs_a_lost_last_segment)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 8), 4);
	p.now += 5 * MS;
	for (int i = 0; i < 3; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	stack_pkt_free(p.a, segs[3]); /* the tail is lost: no SACK comes */
	t_exchange(&p);
	ck_assert_uint_ne(a->snd_max, a->snd_una);
	/* The probe timeout comes before the RTO and resends the last
	 * segment; B's ACK shows it repaired a loss. */
	ck_assert_uint_ne(a->t_tlp, 0);
	ck_assert_uint_lt(a->t_tlp, a->t_rexmt);
	p.now = a->t_tlp;
	stack_timer(p.a, p.now);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_tlp_probes), 1);
	ck_assert_uint_eq(a->retransmits, 1);
	p.now += 5 * MS;
	t_exchange(&p);
	ck_assert_uint_eq(a->snd_una, a->snd_max);
	/* No DSACK came: the probe repaired a loss, which the next ACK
	 * beyond it confirms (RFC 8985 7.4), and cwnd is reduced. */
	uint32_t cwnd = a->cwnd;
	ck_assert(a->tlp_active);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, 2 * 1448), 2 * 1448);
	t_exchange(&p);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_tlp_recoveries),
			  1);
	ck_assert_uint_lt(a->cwnd, cwnd);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rto_timeouts),
			  0);
	ck_assert(!a->tlp_active);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_duplicate_data_is_reported_by_dsack)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[4];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "hello", 5), 5);
	ck_assert_int_eq(t_hold(p.a, segs, 4), 1);
	struct pkt *copy = stack_pkt_alloc(p.a, segs[0]->len);
	memcpy(copy->data, segs[0]->data, segs[0]->len);
	copy->len = segs[0]->len;
	t_deliver(&p, p.a, p.b, segs[0]);
	t_exchange(&p);
	ck_assert_uint_eq(a->rack_reo_mult, 1);
	/* The same segment again: B reports it with a DSACK, A widens its
	 * reordering window. */
	t_deliver(&p, p.a, p.b, copy);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_tx_dsacks), 1);
	t_exchange(&p);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_dsacks), 1);
	ck_assert_uint_eq(a->rack_reo_mult, 2);
	ck_assert_uint_eq(a->rack_reo_persist, 16);
	t_pair_free(&p);
}
END_TEST

/* The records' byte counts agree with their flags, and they tile
 * [snd_una, snd_max). */
static void t_txr_check(const struct tcp_conn *c)
{
	uint32_t sacked = 0, lost = 0, at = c->snd_una;
	for (uint32_t i = 0; i < c->txr_n; i++) {
		const struct tcp_txrec *r =
		    &c->txr[(c->txr_head + i) & (c->txr_cap - 1)];
		ck_assert_uint_eq(r->seq, at);
		ck_assert(SEQ_LT(r->seq, r->end));
		if (r->flags & TCP_TXR_SACKED)
			sacked += r->end - r->seq;
		else if (r->flags & TCP_TXR_LOST)
			lost += r->end - r->seq;
		at = r->end;
	}
	if (c->txr_n)
		ck_assert_uint_eq(at, c->snd_max);
	ck_assert_uint_eq(sacked, c->sacked_bytes);
	ck_assert_uint_eq(lost, c->lost_bytes);
}

START_TEST(test_in_flight_records_stop_splitting_at_their_limit)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	struct tcp_seg seg = {0};
	c->sack_ok = true;
	c->mss = 1000;
	c->snd_una = c->snd_max = 0xfffff000u; /* wraps on the way */
	/* One record per send, up to the limit; then the last one grows. */
	for (int i = 0; i < TCP_TXR_MAX + 100; i++) {
		ck_assert(tcp_txr_can_record(c, true));
		tcp_txr_sent(c, c->snd_max, c->snd_max + 10, T0 + i);
		c->snd_max += 10;
	}
	ck_assert_uint_eq(c->txr_n, TCP_TXR_MAX);
	t_txr_check(c);
	/* A SACK inside the grown last record cannot split it: ignored. */
	seg.ack = c->snd_una;
	seg.nsack = 1;
	seg.sack[0][0] = c->snd_max - 500;
	seg.sack[0][1] = c->snd_max - 400;
	ck_assert_int_eq(tcp_txr_sack(c, &seg, T0 + 1000000), 0);
	ck_assert_uint_eq(c->sacked_bytes, 0);
	/* Whole records still are marked; a resend inside one marks it
	 * whole. */
	seg.sack[0][0] = c->snd_una + 100;
	seg.sack[0][1] = c->snd_una + 200;
	ck_assert_int_eq(tcp_txr_sack(c, &seg, T0 + 1000000), TCP_SACK_NEW);
	ck_assert_uint_eq(c->sacked_bytes, 100);
	tcp_txr_mark_all_lost(c);
	t_txr_check(c);
	ck_assert_uint_eq(c->lost_bytes, c->snd_max - c->snd_una - 100);
	tcp_txr_sent(c, c->snd_una + 3, c->snd_una + 5, T0 + 2000000);
	t_txr_check(c);
	ck_assert_uint_eq(c->lost_bytes, c->snd_max - c->snd_una - 110);
	/* Acknowledging everything frees the records. */
	tcp_txr_acked(c, c->snd_max, T0 + 3000000);
	c->snd_una = c->snd_max;
	ck_assert_ptr_null(c->txr);
	ck_assert_uint_eq(c->sacked_bytes + c->lost_bytes, 0);
	free(c);
}
END_TEST

/* A SYN from A's address and port of connection `c` (B's) to B, with a
 * timestamp option. */
static void t_syn_to_b(struct pair *p, const struct tcp_conn *c, uint32_t seq,
		       uint32_t tsval)
{
	struct tframe f;
	uint8_t *t;
	t_eth(&f, PEER_MAC, OUR_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, OUR_ADDR, PEER_ADDR, IPV4_PROTO_TCP, 9, 0, 32);
	t = f.b + f.len;
	memset(t, 0, 32);
	put_be16(t, c->rport);
	put_be16(t + 2, c->lport);
	put_be32(t + 4, seq);
	t[12] = 8 << 4;
	t[13] = TCP_SYN;
	put_be16(t + 14, 65535);
	t[20] = t[21] = 1;
	t[22] = 8; /* timestamps */
	t[23] = 10;
	put_be32(t + 24, tsval);
	put_be16(t + 16, csum_fold(csum_partial(
			     t, 32, csum_pseudo(OUR_ADDR, PEER_ADDR, 6, 32))));
	f.len += 32;
	t_input(p->b, p->now, &f);
}

START_TEST(test_time_wait_is_taken_over_by_a_newer_syn)
{
	/* RFC 6191: a SYN with a higher timestamp, or an equal one and a
	 * higher sequence number, opens a new connection over TIME_WAIT;
	 * an older one does not. */
	for (int i = 0; i < 3; i++) {
		struct pair p;
		int ca, cb, l;
		t_pair(&p);
		t_connect(&p, &ca, &cb, &l);
		tcp_shutdown(p.b, p.now, cb); /* B closes first */
		t_exchange(&p);
		tcp_close(p.a, p.now, ca);
		t_exchange(&p);
		ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
		struct tcp_conn *b = tcp_conn_get(p.b, cb);
		uint32_t ts = b->ts_recent, rcv = b->rcv_nxt;
		tcp_close(p.b, p.now, cb); /* an orphan now */
		t_drain(p.b);
		if (i == 0)
			t_syn_to_b(&p, b, rcv - 100000, ts + 1);
		else if (i == 1)
			t_syn_to_b(&p, b, rcv + 100000, ts);
		else
			t_syn_to_b(&p, b, rcv - 100000, ts);
		struct pkt *out = stack_pop_tx(p.b);
		ck_assert_ptr_nonnull(out);
		uint8_t flags = out->data[14 + 20 + 13];
		stack_pkt_free(p.b, out);
		if (i < 2) {
			ck_assert_uint_eq(
			    stack_counter_get(p.b,
					      STACK_CTR_tcp_time_wait_reused),
			    1);
			ck_assert_uint_eq(flags, TCP_SYN | TCP_ACK);
		} else {
			ck_assert_uint_eq(
			    stack_counter_get(p.b,
					      STACK_CTR_tcp_time_wait_reused),
			    0);
			ck_assert_uint_eq(flags, TCP_ACK); /* challenge ACK */
			ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
		}
		t_drain(p.b);
		t_pair_free(&p);
	}
}
END_TEST

/* Found in review of the RACK-TLP change: each states the RFC behaviour
 * it expects. */
static struct tcp_conn *rev_conn(uint32_t isn)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	c->sack_ok = true;
	c->mss = 1000;
	c->rack_reo_mult = 1;
	c->snd_una = c->snd_max = isn;
	return c;
}

static void rev_send(struct tcp_conn *c, uint32_t len, uint64_t now)
{
	ck_assert(tcp_txr_can_record(c, true));
	tcp_txr_sent(c, c->snd_max, c->snd_max + len, now);
	c->snd_max += len;
}

/* 1. A record judged lost and then SACKed keeps TCP_TXR_LOST, and
 *    tcp_next_lost() hands it out for retransmission. */
START_TEST(rev_sacked_record_is_never_resent_as_lost)
{
	struct tcp_conn *c = rev_conn(1000);
	struct tcp_seg seg = {0};
	uint32_t seq, len;
	for (int i = 0; i < 10; i++)
		rev_send(c, 1000, T0 + i);
	tcp_txr_mark_all_lost(c);		    /* a timeout */
	tcp_txr_sent(c, 1000, 3000, T0 + 100 * MS); /* 0 and 1 resent */
	/* The originals of 2..5 were delivered after all. */
	seg.ack = c->snd_una;
	seg.nsack = 1;
	seg.sack[0][0] = 3000;
	seg.sack[0][1] = 7000;
	ck_assert_int_eq(tcp_txr_sack(c, &seg, T0 + 110 * MS), TCP_SACK_NEW);
	t_txr_check(c);
	ck_assert_uint_eq(c->lost_bytes, 4000); /* 6..9 */
	ck_assert(tcp_next_lost(c, 1000, &seq, &len));
	ck_assert_uint_eq(seq, 7000); /* is 3000: SACKed data */
	tcp_txr_free(c);
	free(c);
}
END_TEST

/* 1b. The same end to end: after a timeout, an ACK that SACKs records
 *     still marked lost makes tcp_output() resend them all, beyond
 *     cwnd (pipe does not grow when SACKed data is resent). */
START_TEST(rev_after_rto_sacked_data_is_resent_beyond_cwnd)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[16], *acks[16], *rx[16];
	static uint8_t blob[10 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 16), 10);
	p.now += 10 * MS;
	/* 2..5 arrive and their ACKs are lost; 0, 1 and 6..9 are lost. */
	for (int i = 0; i < 10; i++) {
		if (i >= 2 && i < 6)
			t_deliver(&p, p.a, p.b, segs[i]);
		else
			stack_pkt_free(p.a, segs[i]);
	}
	int na = t_hold(p.b, acks, 16);
	for (int i = 0; i < na; i++)
		stack_pkt_free(p.b, acks[i]);
	/* The timeout: everything is lost, segment 0 goes again. */
	p.now = a->t_rexmt;
	stack_timer(p.a, p.now);
	ck_assert_int_eq(a->recovery, TCP_RECOVERY_RTO);
	ck_assert_int_eq(t_hold(p.a, rx, 16), 1);
	p.now += 10 * MS;
	t_deliver(&p, p.a, p.b, rx[0]); /* B: ACK 1, SACK 2..5 */
	uint32_t before = a->retransmits;
	t_move(&p, p.b, p.a);
	int n = t_hold(p.a, rx, 16);
	for (int i = 0; i < n; i++)
		stack_pkt_free(p.a, rx[i]);
	/* cwnd is 2 MSS: segment 1 and segment 6 may go; 2..5 are held. */
	ck_assert_uint_le(a->retransmits - before, 2); /* is 6 */
	t_pair_free(&p);
}
END_TEST

/* 2. A DSACK block on a full-sized data segment is not reserved in the
 *    payload: the segment outgrows the MTU and is fragmented. */
START_TEST(rev_dsack_on_full_segment_outgrows_the_mtu)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	static uint8_t blob[30 * 1448];
	struct pkt *segs[64];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.b, p.now, cb, "0123456789", 10), 10);
	t_exchange(&p);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	int n = t_hold(p.a, segs, 64);
	for (int i = 0; i < n; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	t_drain(p.b); /* B's ACKs are lost */
	/* B resends its 10 bytes with 5 more (5 old ones: a DSACK), and
	 * the ACK for all A sent: A sends full segments at once. */
	uint8_t ts[12] = {1, 1, 8, 10};
	put_be32(ts + 4, a->ts_recent + 1);
	put_be32(ts + 8, 0);
	t_craft(&p, ca, cb, &f, a->rcv_nxt - 5, TCP_ACK, ts, 12, 10);
	/* a wide window, and the checksum again */
	uint8_t *t = f.b + 34;
	put_be16(t + 14, 0xffff);
	put_be16(t + 16, 0);
	put_be16(t + 16,
		 csum_fold(csum_partial(
		     t, 32 + 10, csum_pseudo(PEER_ADDR, OUR_ADDR, 6, 42))));
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_tx_dsacks), 1);
	uint32_t biggest = 0;
	struct pkt *q;
	while ((q = stack_pop_tx(p.a))) {
		if (q->len > biggest)
			biggest = q->len;
		stack_pkt_free(p.a, q);
	}
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_ip_tx_fragments),
			  0); /* is 2 */
	t_pair_free(&p);
}
END_TEST

/* 3. RACK.fack starts at 0, not at the ISN: with an ISN in the upper
 *    half of the space, the first delivery "is below fack" and RACK
 *    believes it saw reordering (RFC 8985 6.2 step 3). */
START_TEST(rev_first_delivery_is_not_reordering_whatever_the_isn)
{
	struct tcp_conn *c = rev_conn(0x90000000u);
	rev_send(c, 1000, T0);
	tcp_txr_acked(c, c->snd_max, T0 + 10 * MS);
	c->snd_una = c->snd_max;
	ck_assert(!c->rack_reordering_seen); /* is true */
	free(c);
}
END_TEST

/* 4. At TCP_TXR_MAX the last record grows with new data and keeps its
 *    flags: new bytes appended to a SACKed record count as SACKed and
 *    are never resent, not even after a timeout. */
START_TEST(rev_at_the_limit_new_data_is_not_taken_for_sacked)
{
	/* At TCP_TXR_MAX new data may only extend a plain last record: a
	 * SACKed one would make it count as held and never be resent. The
	 * send waits instead; resends still go; an ACK makes room. */
	struct tcp_conn *c = rev_conn(1000);
	struct tcp_seg seg = {0};
	for (int i = 0; i < TCP_TXR_MAX; i++)
		rev_send(c, 10, T0 + i);
	ck_assert(tcp_txr_can_record(c, true)); /* plain: it would grow */
	seg.ack = c->snd_una;
	seg.nsack = 1;
	seg.sack[0][0] = c->snd_max - 10;
	seg.sack[0][1] = c->snd_max;
	ck_assert_int_eq(tcp_txr_sack(c, &seg, T0 + MS), TCP_SACK_NEW);
	ck_assert(!tcp_txr_can_record(c, true));
	ck_assert(tcp_txr_can_record(c, false));
	tcp_txr_acked(c, c->snd_una + 10, T0 + 2 * MS);
	c->snd_una += 10;
	ck_assert(tcp_txr_can_record(c, true));
	rev_send(c, 1000, T0 + 3 * MS);
	t_txr_check(c);
	ck_assert_uint_eq(c->sacked_bytes, 10);
	tcp_txr_free(c);
	free(c);
}
END_TEST

/* 5. The DSACK round (RFC 8985 6.2 step 4) is never reset to "none":
 *    2^31 bytes later SEQ_GEQ(snd_una, round) is false again, and DSACKs
 *    stop widening the reordering window for the next 2 GiB. */
START_TEST(rev_dsack_round_survives_sequence_wrap)
{
	struct tcp_conn *c = rev_conn(1000);
	struct tcp_seg seg = {0};
	seg.ack = c->snd_una;
	seg.nsack = 1;
	seg.sack[0][0] = 500;
	seg.sack[0][1] = 600;
	ck_assert_int_eq(tcp_txr_sack(c, &seg, T0), TCP_SACK_DSACK);
	ck_assert_uint_eq(c->rack_reo_mult, 2);
	/* 2^31 + 1000 bytes go by without a DSACK. */
	for (int i = 1; i <= 4; i++) /* the ACKs of 2 GiB and more */
		tcp_txr_acked(c, 1000 + i * 0x20000000u + 250 * i, T0 + i);
	c->snd_una = c->snd_max = 1000 + 0x80000000u + 1000;
	seg.ack = c->snd_una;
	seg.sack[0][0] = c->snd_una - 100;
	seg.sack[0][1] = c->snd_una - 50;
	ck_assert_int_eq(tcp_txr_sack(c, &seg, T0 + MS), TCP_SACK_DSACK);
	ck_assert_uint_eq(c->rack_reo_mult, 3); /* is 2 */
	free(c);
}
END_TEST

/* 6. A one-segment flight (a request) whose segment is lost: PTO =
 *    2 SRTT + WCDelAckT (200 ms) always lands after the RTO (min 200
 *    ms), and then no probe is armed at all; RFC 8985 7.2 clamps the
 *    PTO to the RTO's expiry instead (as Linux does), so the tail is
 *    repaired by a probe rather than by a timeout. */
START_TEST(rev_one_segment_tail_gets_a_probe)
{
	struct pair p;
	int ca, cb, l;
	static uint8_t blob[4 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	/* Some traffic for an RTT estimate. */
	t_transfer(&p, p.a, ca, p.b, cb, sizeof(blob));
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "GET /", 5), 5);
	t_drain(p.a); /* lost */
	while (a->snd_una != a->snd_max && p.now < T0 + 10ull * 1000 * MS)
		t_tick(&p, 1000 * MS);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rto_timeouts),
			  0); /* is 1 */
	t_pair_free(&p);
}
END_TEST

/* 7. Data from the peer that does not advance the ACK (a request being
 *    answered while our tail is lost) restarts the PTO on each segment
 *    (tcp_ack_in calls tcp_tlp_arm for every ACK): the probe never
 *    fires and the RTO repairs the loss. RFC 8985 7.2 restarts the PTO
 *    only on new data sent or on an ACK that acknowledges new data. */
START_TEST(rev_peer_data_does_not_postpone_the_probe)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 8), 4);
	p.now += 5 * MS;
	for (int i = 0; i < 2; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	stack_pkt_free(p.a, segs[2]); /* the tail is lost */
	stack_pkt_free(p.a, segs[3]);
	t_exchange(&p);
	uint64_t first_pto = a->t_tlp;
	ck_assert_uint_ne(first_pto, 0);
	/* B streams 100 bytes every millisecond. */
	for (int i = 0; i < 100; i++) {
		p.now += MS;
		stack_timer(p.a, p.now);
		stack_timer(p.b, p.now);
		tcp_send(p.b, p.now, cb, "0123456789", 10);
		t_exchange(&p);
		const uint8_t *d;
		size_t dn;
		while (tcp_recv_peek(p.a, ca, &d, &dn) == 0 && dn)
			tcp_recv_consume(p.a, p.now, ca, dn);
	}
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_tlp_probes),
			  1); /* is 0 */
	t_pair_free(&p);
}
END_TEST

/* 8. NewReno: a probe that repaired a loss is confirmed by an ACK that
 *    has already taken snd_una past everything; reno_on_loss halves the
 *    flight left after it (often 0) and reno_on_recovery_end leaves
 *    min(ssthresh, flight + MSS) = 1 MSS, as after a timeout; RFC 6582
 *    3.2 (3) option 1 gives min(ssthresh, max(FlightSize, SMSS) + SMSS). */
START_TEST(rev_newreno_probe_recovery_leaves_two_segments)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_cubic = false;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, sizeof(blob)),
			 (long)sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 8), 4);
	p.now += 5 * MS;
	for (int i = 0; i < 3; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	stack_pkt_free(p.a, segs[3]);
	t_exchange(&p);
	p.now = a->t_tlp;
	stack_timer(p.a, p.now);
	p.now += 5 * MS;
	t_exchange(&p);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, blob, 2 * 1448), 2 * 1448);
	t_exchange(&p);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_tlp_recoveries),
			  1);
	ck_assert_uint_ge(a->cwnd, 2u * a->mss); /* was 1 MSS */
	t_pair_free(&p);
}
END_TEST

/* 9. RFC 2018 8: after a timeout the segment at the left edge
 *    MUST be resent whether or not it is SACKed. A peer that reneged
 *    (dropped SACKed out-of-order data, as Linux's tcp_prune_ofo_queue
 *    does) leaves the first record SACKed and the connection stalls
 *    until it times out. (Already so before this commit.) */
START_TEST(rev_rto_resends_the_left_edge_even_if_sacked)
{
	struct tcp_conn *c = rev_conn(1000);
	struct tcp_seg seg = {0};
	uint32_t seq, len;
	for (int i = 0; i < 3; i++)
		rev_send(c, 1000, T0 + i);
	seg.ack = c->snd_una;
	seg.nsack = 1;
	seg.sack[0][0] = 2000;
	seg.sack[0][1] = 4000;
	tcp_txr_sack(c, &seg, T0 + 10 * MS);
	/* 0 arrives; the peer acknowledges it and forgets 1..2. */
	tcp_txr_acked(c, 2000, T0 + 20 * MS);
	c->snd_una = 2000;
	tcp_txr_mark_all_lost(c);		       /* the timeout */
	ck_assert(tcp_next_lost(c, 1000, &seq, &len)); /* nothing to send */
	tcp_txr_free(c);
	free(c);
}
END_TEST

START_TEST(test_full_table_recycles_time_wait_then_refuses)
{
	struct pair p;
	int ca, cb, l;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_conns_max = 2;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	/* A closes first and lets go: one TIME_WAIT orphan in A's table. */
	tcp_shutdown(p.a, p.now, ca);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	tcp_close(p.a, p.now, ca);
	int c2 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(c2, 0); /* the free slot */
	int c3 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(c3, 0); /* the TIME_WAIT one, recycled */
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_time_wait_recycled), 1);
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EMFILE);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_conns_table_full), 1);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_out_of_order_store_full_drops_and_counts)
{
	struct pair p;
	int ca, cb, l;
	struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12] = {1, 1, 8, 10};
	put_be32(ts + 4, a->ts_recent + 1);
	/* Disjoint 10-byte pieces, all beyond a hole at rcv_nxt. */
	for (uint32_t i = 0; i <= TCP_OOO_MAX; i++) {
		t_craft(&p, ca, cb, &f, seq + 100 + 20 * i, TCP_ACK, ts, 12,
			10);
		t_input(p.a, p.now, &f);
		t_drain(p.a);
	}
	ck_assert_uint_eq(a->nooo, TCP_OOO_MAX);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_ooo_drop), 1);
	ck_assert_uint_eq(tcp_ooo_bytes(a), 10 * TCP_OOO_MAX);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_event_queue_full_drops_udp_errors_only)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.udp_sockets_max = 1;
	lim.tcp_conns_max = 1;
	lim.tcp_listeners_max = 1;
	struct stack *s = t_stack_lim(&lim);
	struct tframe f;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 5555, PEER_ADDR, 53);
	ck_assert_int_eq(udp_send(s, T0, sock, 0, 0, "q", 1), 0);
	struct pkt *q = t_pop_ipv4(s, IPV4_PROTO_UDP);
	uint32_t qlen = q->len - 14;
	/* A port unreachable quoting it, many times, events never popped. */
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 1, 1, 0, 8 + qlen);
	uint8_t *m = f.b + f.len;
	memset(m, 0, 8);
	m[0] = 3;
	m[1] = 3;
	memcpy(m + 8, q->data + 14, qlen);
	put_be16(m + 2, csum_fold(csum_partial(m, 8 + qlen, 0)));
	f.len += 8 + qlen;
	stack_pkt_free(s, q);
	for (int i = 0; i < 100; i++)
		t_input(s, T0, &f);
	/* The queue holds what every socket could have pending at once. */
	uint32_t cap = 2 * lim.udp_sockets_max + 4 * lim.tcp_conns_max +
		       lim.tcp_listeners_max + 64;
	ck_assert_uint_eq(stack_counter_get(s, STACK_CTR_stack_events_dropped),
			  100 - cap);
	struct stack_event ev;
	uint32_t n = 0;
	while (stack_pop_event(s, &ev))
		n++;
	ck_assert_uint_eq(n, cap);
	stack_free(s);
}
END_TEST

START_TEST(test_icmp_port_unreachable_refuses_connect)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid, err = 0;
	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	struct tcp_conn *c = tcp_conn_get(s, id);
	/* B's kernel answers the SYN with port unreachable: build it
	 * by hand, quoting the SYN's IPv4 and TCP headers. */
	struct tframe f;
	uint8_t quote[28];
	memset(quote, 0, sizeof(quote));
	quote[0] = 0x45;
	put_be16(quote + 2, 40);
	quote[8] = 64;
	quote[9] = IPV4_PROTO_TCP;
	put_be32(quote + 12, c->laddr);
	put_be32(quote + 16, c->raddr);
	put_be16(quote + 10, csum_fold(csum_partial(quote, 20, 0)));
	put_be16(quote + 20, c->lport);
	put_be16(quote + 22, c->rport);
	put_be32(quote + 24, c->iss);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_ICMP, 1, 0, 8 + 28);
	uint8_t *m = f.b + f.len;
	memset(m, 0, 8);
	m[0] = 3;
	m[1] = 3;
	memcpy(m + 8, quote, 28);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	f.len += 36;
	/* A forgery with a sequence number we never sent changes nothing. */
	put_be32(m + 8 + 24, c->iss + 100000);
	put_be16(m + 2, 0);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	t_input(s, p.now, &f);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_SENT);
	put_be32(m + 8 + 24, c->iss);
	put_be16(m + 2, 0);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	t_input(s, p.now, &f);
	ck_assert(t_event(s, STACK_EV_TCP_ERROR, id, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	t_pair_free(&p);
}
END_TEST

/* ---- TSO and checksum offload ------------------------------------- */

/* The TCP header of an IPv4 frame (Ethernet + 20-byte IP header). */
#define T_TCP(f) ((f)->data + 14 + 20)

START_TEST(test_tso_sends_super_segments_with_partial_checksum)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	ck_assert_int_eq(stack_if_set_offload(p.a, 0, true, true), 0);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t mss = tcp_payload_max(a);
	static uint8_t data[200000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* A window the size of the whole first burst. */
	a->cwnd = 1u << 20;
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, data, sizeof(data)),
			 sizeof(data));
	struct pkt *f = stack_pop_tx(p.a);
	ck_assert_ptr_nonnull(f);
	uint8_t *th = T_TCP(f);
	uint32_t tlen = f->len - 14 - 20;
	uint32_t hl = (uint32_t)(th[12] >> 4) * 4;
	uint32_t payload = tlen - hl;
	ck_assert_uint_gt(payload, mss);
	ck_assert_uint_le(payload, TCP_TSO_MAX);
	ck_assert_uint_eq(payload % mss, 0);
	ck_assert_uint_eq(f->gso_size, mss);
	ck_assert(f->flags & PKT_F_CSUM_PARTIAL);
	ck_assert_uint_eq(f->csum_offset, 16);
	ck_assert_ptr_eq(f->buf + f->l4_offset, th);
	ck_assert_uint_eq(get_be16(f->data + 14 + 2), 20 + tlen);
	/* The field holds the pseudo-header sum, folded, not complemented. */
	uint16_t pseudo = (uint16_t)~csum_fold(
	    csum_pseudo(OUR_ADDR, PEER_ADDR, IPV4_PROTO_TCP, (uint16_t)tlen));
	ck_assert_uint_eq(get_be16(th + 16), pseudo);
	/* Completed as a NIC does, the checksum is right. */
	put_be16(th + 16, csum_fold(csum_partial(th, tlen, 0)));
	ck_assert_uint_eq(csum_fold(csum_partial(
			      th, tlen,
			      csum_pseudo(OUR_ADDR, PEER_ADDR, IPV4_PROTO_TCP,
					  (uint16_t)tlen))),
			  0);
	ck_assert_int_eq(memcmp(th + hl, data, payload), 0);
	stack_pkt_free(p.a, f);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_tso_bulk_transfer_both_ways)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	ck_assert_int_eq(stack_if_set_offload(p.a, 0, true, true), 0);
	ck_assert_int_eq(stack_if_set_offload(p.b, 0, true, true), 0);
	t_connect(&p, &ca, &cb, &l);
	t_transfer(&p, p.a, ca, p.b, cb, 3 << 20);
	t_transfer(&p, p.b, cb, p.a, ca, 300001);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->retransmits, 0);
	/* Far fewer segments than MSS-sized ones would take. */
	ck_assert_uint_lt(stack_counter_get(p.a, STACK_CTR_tcp_tx_segments),
			  (3u << 20) / 1448 / 4);
	p.drop_every = 5;
	t_transfer(&p, p.a, ca, p.b, cb, 1 << 20);
	ck_assert_uint_gt(p.dropped, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_tso_slow_start_counts_a_super_segment_ack_in_full)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	ck_assert_int_eq(stack_if_set_offload(p.a, 0, true, true), 0);
	ck_assert_int_eq(stack_if_set_offload(p.b, 0, true, true), 0);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t iw = a->cwnd;
	static uint8_t data[200000];
	tcp_send(p.a, p.now, ca, data, sizeof(data));
	/* The initial window leaves as one super-segment, and its one ACK
	 * doubles the window as ten MSS-sized ACKed segments would
	 * (RFC 3465's L counts segments as sent). */
	ck_assert_int_eq(t_move(&p, p.a, p.b), 1);
	ck_assert_int_eq(t_move(&p, p.b, p.a), 1);
	ck_assert_uint_eq(a->cwnd, 2 * iw);
	t_exchange(&p);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_without_tso_segments_stay_mss_sized)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t mss = tcp_payload_max(a);
	static uint8_t data[100000];
	a->cwnd = 1u << 20;
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, data, sizeof(data)),
			 sizeof(data));
	int n = 0;
	struct pkt *f;
	while ((f = stack_pop_tx(p.a))) {
		uint8_t *th = T_TCP(f);
		uint32_t tlen = f->len - 14 - 20;
		ck_assert_uint_le(tlen - (uint32_t)(th[12] >> 4) * 4, mss);
		ck_assert_uint_eq(f->gso_size, 0);
		ck_assert(!(f->flags & PKT_F_CSUM_PARTIAL));
		ck_assert_uint_eq(
		    csum_fold(csum_partial(th, tlen,
					   csum_pseudo(OUR_ADDR, PEER_ADDR,
						       IPV4_PROTO_TCP,
						       (uint16_t)tlen))),
		    0);
		stack_pkt_free(p.a, f);
		n++;
	}
	ck_assert_int_gt(n, 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_large_segment_with_csum_valid_skips_the_check)
{
	struct pair p;
	int ca, cb, l;
	static struct tframe f;
	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint32_t rcv_before = a->rcv_nxt;
	size_t len = 20000;

	/* A garbage checksum without the flag: dropped. */
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, len);
	f.b[34 + 16] ^= 0x5a;
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_checksum), 1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_before);

	/* The same with PKT_F_CSUM_VALID: taken. */
	struct pkt *q = stack_pkt_alloc(p.a, f.len);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q->pkt_class, PKT_CLASS_LARGE);
	memcpy(q->data, f.b, f.len);
	q->len = (uint32_t)f.len;
	q->flags = PKT_F_CSUM_VALID;
	stack_input(p.a, p.now, q);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_checksum), 1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_before + len);

	/* The IPv4 header checksum is still checked. */
	t_craft(&p, ca, cb, &f, seq + (uint32_t)len, TCP_ACK, NULL, 0, 100);
	f.b[14 + 10] ^= 0x01;
	q = stack_pkt_alloc(p.a, f.len);
	memcpy(q->data, f.b, f.len);
	q->len = (uint32_t)f.len;
	q->flags = PKT_F_CSUM_VALID;
	stack_input(p.a, p.now, q);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_ip_rx_drop_checksum),
			  1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_before + len);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_set_offload_checks_its_arguments)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	struct stack *s = t_tcp_stack(OUR_MAC, OUR_ADDR, &lim);
	ck_assert_int_eq(stack_if_set_offload(s, 1, true, true), -ENODEV);
	ck_assert_int_eq(stack_if_set_offload(s, -1, false, false), -ENODEV);
	ck_assert_int_eq(stack_if_set_offload(s, 0, true, false), -EINVAL);
	ck_assert_int_eq(stack_if_set_offload(s, 0, false, true), 0);
	ck_assert_int_eq(stack_if_set_offload(s, 0, false, false), 0);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc = tcase_create("pair");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handshake_negotiates_options);
	tcase_add_test(tc, test_bulk_transfer_both_ways);
	tcase_add_test(tc, test_transfer_survives_loss);
	tcase_add_test(tc, test_sequence_numbers_wrap);
	tcase_add_test(tc, test_orderly_close_and_time_wait);
	tcase_add_test(tc, test_simultaneous_close);
	tcase_add_test(tc, test_simultaneous_open);
	tcase_add_test(tc, test_connect_to_closed_port_is_refused);
	tcase_add_test(tc, test_syn_retries_then_times_out);
	tcase_add_test(tc, test_unread_data_on_close_sends_reset);
	tcase_add_test(tc, test_zero_window_is_probed_until_reader_returns);
	tcase_add_test(tc, test_zero_window_peer_that_vanishes_times_out);
	tcase_add_test(tc, test_syn_cookies_when_half_open_bound_reached);
	tcase_add_test(tc, test_listener_resets_a_stray_ack_and_ignores_a_rst);
	tcase_add_test(tc, test_state_entry_actions_and_counts);
#ifndef NDEBUG
	tcase_add_test_raise_signal(tc, test_impossible_transition_aborts,
				    SIGABRT);
#endif
	tcase_add_test(tc, test_malformed_segments_are_counted_and_dropped);
	tcase_add_test(tc, test_rst_in_window_gets_challenge_ack);
	tcase_add_test(tc, test_syn_in_established_gets_challenge_ack);
	tcase_add_test(tc, test_paws_drops_old_timestamp);
	tcase_add_test(tc, test_out_of_order_data_is_held_and_sacked);
	tcase_add_test(tc,
		       test_rst_at_rcv_nxt_closes_in_every_synchronized_state);
	tcase_add_test(tc,
		       test_rst_or_syn_in_window_gets_challenge_in_every_state);
	tcase_add_test(tc, test_syn_sent_rules);
	tcase_add_test(tc, test_syn_received_rules);
	tcase_add_test(tc, test_icmp_port_unreachable_refuses_connect);
	tcase_add_test(tc, test_full_table_recycles_time_wait_then_refuses);
	tcase_add_test(tc, test_time_wait_is_taken_over_by_a_newer_syn);
	tcase_add_test(tc, rev_sacked_record_is_never_resent_as_lost);
	tcase_add_test(tc, rev_after_rto_sacked_data_is_resent_beyond_cwnd);
	tcase_add_test(tc, rev_dsack_on_full_segment_outgrows_the_mtu);
	tcase_add_test(tc,
		       rev_first_delivery_is_not_reordering_whatever_the_isn);
	tcase_add_test(tc, rev_at_the_limit_new_data_is_not_taken_for_sacked);
	tcase_add_test(tc, rev_dsack_round_survives_sequence_wrap);
	tcase_add_test(tc, rev_one_segment_tail_gets_a_probe);
	tcase_add_test(tc, rev_peer_data_does_not_postpone_the_probe);
	tcase_add_test(tc, rev_newreno_probe_recovery_leaves_two_segments);
	tcase_add_test(tc, rev_rto_resends_the_left_edge_even_if_sacked);
	tcase_add_test(tc, test_out_of_order_store_full_drops_and_counts);
	tcase_add_test(tc, test_event_queue_full_drops_udp_errors_only);
	tcase_add_test(tc, test_sockopts_read_back_and_change_one_at_a_time);
	tcase_add_test(tc, test_reordering_is_detected_and_undone);
	tcase_add_test(
	    tc, test_rack_judges_a_loss_by_time_without_three_duplicates);
	tcase_add_test(tc, test_rack_waits_out_reordering_within_its_window);
	tcase_add_test(tc,
		       test_rack_finds_a_lost_retransmission_without_a_timeout);
	tcase_add_test(tc, test_tail_loss_probe_repairs_a_lost_last_segment);
	tcase_add_test(tc, test_duplicate_data_is_reported_by_dsack);
	tcase_add_test(tc,
		       test_in_flight_records_stop_splitting_at_their_limit);
	tcase_add_test(tc, test_fin_out_of_order_is_taken_when_the_hole_fills);
	tcase_add_test(tc, test_tso_sends_super_segments_with_partial_checksum);
	tcase_add_test(tc, test_tso_bulk_transfer_both_ways);
	tcase_add_test(tc,
		       test_tso_slow_start_counts_a_super_segment_ack_in_full);
	tcase_add_test(tc, test_without_tso_segments_stay_mss_sized);
	tcase_add_test(tc, test_large_segment_with_csum_valid_skips_the_check);
	tcase_add_test(tc, test_set_offload_checks_its_arguments);
	suite_add_tcase(s, tc);
	return t_run(s);
}
