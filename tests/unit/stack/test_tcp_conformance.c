/*
 * test_tcp_conformance.c - µTCP: the protocol rules a packet-level test
 * suite found broken, each stated from its RFC: an out-of-order FIN is
 * acknowledged at once, ICMP errors are taken only for what is in
 * flight, the handshake is an RTT sample, limited transmit sends one
 * segment per duplicate, PSH marks where the data handed over ends, the
 * first segments are acknowledged at once (quick ACK), later ones and
 * a FIN that ends the peer's data wait for a reply to carry the ACK
 * (delayed ACK), and a loss probe after a FIN resends the last segment
 * with the FIN.
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

/* B's data towards A, as B would send it: bytes [off, off + len) of
 * B's stream after the handshake, with flags, and timestamps. */
static void t_from_b(struct pair *p, int ca, int cb, uint32_t off,
		     uint8_t flags, size_t len)
{
	struct tcp_conn *a = tcp_conn_get(p->a, ca);
	struct tframe f;
	uint8_t ts[12];

	t_ts_opt(ts, a->ts_recent + 1, 0);
	t_craft(p, ca, cb, &f, tcp_conn_get(p->b, cb)->snd_nxt + off, flags, ts,
		12, len);
	t_input(p->a, p->now, &f);
}

/* The same, without the timestamp option when ts is false. */
static void t_from_b_ts(struct pair *p, int ca, int cb, uint32_t off,
			uint8_t flags, size_t len, bool ts)
{
	struct tframe f;

	if (ts) {
		t_from_b(p, ca, cb, off, flags, len);
		return;
	}
	t_craft(p, ca, cb, &f, tcp_conn_get(p->b, cb)->snd_nxt + off, flags,
		NULL, 0, len);
	t_input(p->a, p->now, &f);
}

/* RFC 5681 4.2: "A TCP receiver SHOULD send an immediate duplicate ACK
 * when an out-of-order segment arrives"; RFC 9293 3.10.7.4: a segment
 * beyond RCV.NXT is held and acknowledged. A FIN alone beyond a hole is
 * such a segment. */
START_TEST(test_out_of_order_fin_is_acknowledged_at_once)
{
	struct pair p;
	int ca, cb;
	struct tcp_seg seg;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;

	/* Bytes 100..199 arrive, 0..99 are missing: ACKed at once. */
	t_from_b(&p, ca, cb, 100, TCP_ACK, 100);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, seq);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	/* Then the FIN, alone, at 200. */
	t_from_b(&p, ca, cb, 200, TCP_ACK | TCP_FIN, 0);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, seq);
	ck_assert_uint_eq(seg.flags, TCP_ACK);
	ck_assert_uint_eq(seg.nsack, 1);
	ck_assert_uint_eq(seg.sack[0][0], seq + 100);
	ck_assert_uint_eq(seg.sack[0][1], seq + 200);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(t_rule(p.a, fin_out_of_order), 1);
	/* The hole fills: the FIN is taken, and ACKed. */
	t_from_b(&p, ca, cb, 0, TCP_ACK, 100);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, seq + 201);
	ck_assert_int_eq(a->state, TCPS_CLOSE_WAIT);
	t_pair_free(&p);
}
END_TEST

/* An ICMP destination unreachable from B's address quoting A's TCP
 * header with sequence number seq. */
static void t_icmp_unreach(struct tframe *f, const struct tcp_conn *c,
			   uint8_t code, uint32_t seq)
{
	uint8_t quote[28], *m;

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
	put_be32(quote + 24, seq);
	t_eth(f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_ICMP, 1, 0, 8 + 28);
	m = f->b + f->len;
	memset(m, 0, 8);
	m[0] = 3;
	m[1] = code;
	memcpy(m + 8, quote, 28);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	f->len += 36;
}

/* RFC 5927 4.1: an ICMP error is acted on only if its quoted sequence
 * number satisfies SND.UNA <= SEG.SEQ < SND.NXT. In SYN-SENT that is
 * the ISN alone: one quoting ISN + 1 is ignored, and counted. */
START_TEST(test_icmp_quoting_snd_nxt_is_ignored_in_syn_sent)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid, err = 0;
	struct tframe f;

	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	struct tcp_conn *c = tcp_conn_get(s, id);
	ck_assert_uint_eq(c->snd_max, c->iss + 1);
	t_icmp_unreach(&f, c, 3, c->iss + 1);
	t_input(s, p.now, &f);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_SENT);
	ck_assert_uint_eq(t_rule(s, icmp_out_of_window), 1);
	ck_assert_uint_eq(t_rule(s, icmp_refused), 0);
	ck_assert_int_eq(c->soft_error, 0);
	/* Below SND.UNA too. */
	t_icmp_unreach(&f, c, 3, c->iss - 1);
	t_input(s, p.now, &f);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_SENT);
	ck_assert_uint_eq(t_rule(s, icmp_out_of_window), 2);
	/* The ISN itself: refused. */
	t_icmp_unreach(&f, c, 3, c->iss);
	t_input(s, p.now, &f);
	ck_assert(t_event(s, STACK_EV_TCP_ERROR, id, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_uint_eq(t_rule(s, icmp_refused), 1);
	t_pair_free(&p);
}
END_TEST

/* The same bound in ESTABLISHED: a soft error is kept only for a
 * segment in flight, not for one quoting SND.NXT. */
START_TEST(test_icmp_quoting_snd_nxt_is_ignored_when_established)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	struct tcp_conn *a = t_open(&p, &ca, &cb);

	t_send_all(p.a, p.now, ca, "hello", 5);
	t_drain(p.a);
	ck_assert_uint_eq(a->snd_max, a->snd_una + 5);
	t_icmp_unreach(&f, a, 1, a->snd_max);
	t_input(p.a, p.now, &f);
	ck_assert_int_eq(a->soft_error, 0);
	ck_assert_uint_eq(t_rule(p.a, icmp_out_of_window), 1);
	t_icmp_unreach(&f, a, 1, a->snd_max - 1);
	t_input(p.a, p.now, &f);
	ck_assert_int_eq(a->soft_error, EHOSTUNREACH);
	ck_assert_uint_eq(t_rule(p.a, icmp_soft_error), 1);
	t_pair_free(&p);
}
END_TEST

/* A pair whose ARP is resolved both ways, so that segments go at once. */
static void t_pair_resolved(struct pair *p)
{
	t_pair(p);
	int u = udp_socket_open(p->a, 0, 0, 0, 0);
	udp_send(p->a, p->now, u, PEER_ADDR, 9, "x", 1);
	t_exchange(p);
	u = udp_socket_open(p->b, 0, 0, 0, 0);
	udp_send(p->b, p->now, u, OUR_ADDR, 9, "x", 1);
	t_exchange(p);
	t_drain(p->a);
	t_drain(p->b);
}

/* An MSS option alone: a peer without timestamps or SACK. */
static const uint8_t mss_only[4] = {TCP_OPT_MSS, TCP_OPTLEN_MSS, 0x05, 0xb4};

/* RFC 6298 2: the first RTT measurement may come from the handshake;
 * Karn (RFC 6298 3, MUST-18): not from a SYN that was retransmitted.
 * Active open, the peer without timestamps. */
static void t_active_open_rtt(bool resend_syn)
{
	struct pair p;
	struct tcp_seg syn;
	struct tframe f;

	t_pair_resolved(&p);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	t_pop_seg(p.a, &syn);
	ck_assert_uint_eq(syn.flags, TCP_SYN);
	if (resend_syn) {
		p.now = a->t_rexmt;
		stack_timer(p.a, p.now);
		t_pop_seg(p.a, &syn);
		ck_assert_uint_eq(syn.flags, TCP_SYN);
	}
	p.now += 30 * MS;
	t_tcp_frame(&f, &(struct t_tcp){.saddr = PEER_ADDR,
					.daddr = OUR_ADDR,
					.sport = 80,
					.dport = a->lport,
					.seq = 7000,
					.ack = a->iss + 1,
					.flags = TCP_SYN | TCP_ACK,
					.wnd = 65535,
					.opts = mss_only,
					.optlen = sizeof(mss_only)});
	t_input(p.a, p.now, &f);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	ck_assert(!a->ts_ok);
	if (resend_syn) {
		ck_assert_uint_eq(a->srtt, 0);
	} else {
		ck_assert_uint_eq(a->srtt, 30 * MS);
		ck_assert_uint_eq(a->rttvar, 15 * MS);
		ck_assert_uint_eq(a->rto, 30 * MS + TCP_RTO_MIN_NS);
	}
	t_pair_free(&p);
}

START_TEST(test_handshake_gives_an_rtt_sample_active_open)
{
	t_active_open_rtt(false);
}
END_TEST

START_TEST(test_handshake_after_syn_retransmit_gives_no_sample)
{
	t_active_open_rtt(true);
}
END_TEST

/* Passive open, the peer without timestamps: the ACK of our SYN-ACK is
 * a sample, unless the SYN-ACK went twice (after a timeout, or because
 * the peer's SYN came again). */
static void t_passive_open_rtt(int resend)
{
	struct pair p;
	struct tcp_seg sa;
	struct tframe f;
	struct t_tcp syn = {.saddr = OUR_ADDR,
			    .daddr = PEER_ADDR,
			    .sport = 40000,
			    .dport = 80,
			    .seq = 5000,
			    .flags = TCP_SYN,
			    .wnd = 65535,
			    .opts = mss_only,
			    .optlen = sizeof(mss_only)};

	t_pair_resolved(&p);
	int l = tcp_listen(p.b, 0, 80, 4, NULL);
	ck_assert_int_ge(l, 0);
	t_tcp_frame(&f, &syn);
	t_input(p.b, p.now, &f);
	t_pop_seg(p.b, &sa);
	ck_assert_uint_eq(sa.flags, TCP_SYN | TCP_ACK);
	int id;
	for (id = 0; !tcp_conn_get(p.b, id); id++)
		;
	struct tcp_conn *b = tcp_conn_get(p.b, id);
	if (resend == 1) {
		p.now = b->t_rexmt;
		stack_timer(p.b, p.now);
		t_pop_seg(p.b, &sa);
		ck_assert_uint_eq(sa.flags, TCP_SYN | TCP_ACK);
	} else if (resend == 2) {
		p.now += 10 * MS;
		t_input(p.b, p.now, &f); /* the SYN again */
		t_pop_seg(p.b, &sa);
		ck_assert_uint_eq(sa.flags, TCP_SYN | TCP_ACK);
		ck_assert_uint_eq(t_rule(p.b, synack_resend), 1);
	}
	p.now += 30 * MS;
	syn.seq = 5001;
	syn.ack = sa.seq + 1;
	syn.flags = TCP_ACK;
	syn.opts = NULL;
	syn.optlen = 0;
	t_tcp_frame(&f, &syn);
	t_input(p.b, p.now, &f);
	ck_assert_int_eq(b->state, TCPS_ESTABLISHED);
	ck_assert(!b->ts_ok);
	if (resend)
		ck_assert_uint_eq(b->srtt, 0);
	else
		ck_assert_uint_eq(b->srtt, 30 * MS);
	t_pair_free(&p);
}

START_TEST(test_handshake_gives_an_rtt_sample_passive_open)
{
	t_passive_open_rtt(0);
}
END_TEST

START_TEST(test_handshake_after_synack_timeout_gives_no_sample)
{
	t_passive_open_rtt(1);
}
END_TEST

START_TEST(test_handshake_after_synack_resend_gives_no_sample)
{
	t_passive_open_rtt(2);
}
END_TEST

/* An established pair whose windows are known to each other and whose
 * round trip is 10 ms: one segment each way, so that the next ACKs are
 * duplicates (RFC 5681 2: the window unchanged), RACK's reordering
 * window is a quarter of that round trip, and cwnd is unchanged (it
 * did not limit the flight). */
static struct tcp_conn *t_open_warm(struct pair *p, int *ca, int *cb)
{
	static uint8_t blob[1448];
	struct tcp_conn *a = t_open(p, ca, cb);
	uint32_t cwnd = a->cwnd;

	t_send_all(p->a, p->now, *ca, blob, tcp_payload_max(a));
	p->now += 5 * MS;
	ck_assert_int_eq(t_move(p, p->a, p->b), 1);
	t_send_all(p->b, p->now, *cb, blob, 100); /* and the ACK */
	p->now += 5 * MS;
	ck_assert_int_ge(t_move(p, p->b, p->a), 1);
	ck_assert_uint_eq(a->snd_una, a->snd_max);
	ck_assert_uint_eq(a->rack_min_rtt, 10 * MS);
	while (t_tick(p, 100 * MS) && !a->t_rexmt)
		if (tcp_conn_get(p->b, *cb)->snd_una ==
		    tcp_conn_get(p->b, *cb)->snd_max)
			break;
	ck_assert_uint_eq(tcp_conn_get(p->b, *cb)->snd_una,
			  tcp_conn_get(p->b, *cb)->snd_max);
	ck_assert_uint_eq(a->cwnd, cwnd);
	return a;
}

/* RFC 3042 2: "a TCP sender SHOULD send a new data segment in response
 * to each of the first two duplicate acknowledgments"; the outstanding
 * data stays within cwnd + 2 segments. B gets every segment but the
 * first, one at a time, and A's answer to each duplicate is counted. */
START_TEST(test_limited_transmit_one_segment_per_duplicate)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[64];
	static uint8_t blob[40 * 1448];
	struct tcp_conn *a = t_open_warm(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);

	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
	int n = t_hold(p.a, segs, 64);
	ck_assert_uint_eq((uint32_t)n * mss, a->cwnd);
	uint32_t cwnd = a->cwnd, max = a->snd_max;
	p.now += 5 * MS;
	stack_pkt_free(p.a, segs[0]); /* lost */
	for (int i = 1; i <= 2; i++) {
		t_deliver(&p, p.a, p.b, segs[i]);
		ck_assert_int_eq(t_move(&p, p.b, p.a), 1); /* a duplicate */
		ck_assert_uint_eq(a->dupacks, (uint32_t)i);
		struct pkt *out[8];
		int m = t_hold(p.a, out, 8);
		ck_assert_int_eq(m, 1);
		struct tcp_seg seg;
		t_parse(out[0], &seg);
		ck_assert_uint_eq(seg.seq, max);
		ck_assert_uint_eq(seg.len, mss);
		max += mss;
		stack_pkt_free(p.a, out[0]);
		ck_assert_uint_eq(a->cwnd, cwnd);
		ck_assert_uint_le(a->snd_max - a->snd_una, cwnd + 2 * mss);
	}
	/* The third sends nothing new beyond cwnd + 2 segments. */
	t_deliver(&p, p.a, p.b, segs[3]);
	t_move(&p, p.b, p.a);
	ck_assert_uint_eq(a->snd_max, max);
	for (int i = 4; i < n; i++)
		stack_pkt_free(p.a, segs[i]);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

/* The same when the flight is below cwnd (the application wrote less):
 * a duplicate lets out one segment beyond what cwnd allowed, never more
 * (RFC 3042 2: "the sender can only send two segments beyond the
 * congestion window"; one per duplicate). */
START_TEST(test_limited_transmit_is_one_segment_when_cwnd_has_room)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8], *dup, *more[32];
	static uint8_t blob[40 * 1448];
	struct tcp_conn *a = t_open_warm(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);

	ck_assert_uint_eq(a->cwnd, 10 * mss);
	t_send_all(p.a, p.now, ca, blob, 6 * mss);
	ck_assert_int_eq(t_hold(p.a, segs, 8), 6);
	p.now += 5 * MS;
	stack_pkt_free(p.a, segs[0]); /* lost */
	t_deliver(&p, p.a, p.b, segs[1]);
	ck_assert_int_eq(t_hold(p.b, &dup, 1), 1); /* B's duplicate */
	/* Meanwhile the application writes more: cwnd's room goes. */
	t_send_all(p.a, p.now, ca, blob, 20 * mss);
	ck_assert_int_eq(t_hold(p.a, more, 32), 4);
	uint32_t max = a->snd_max;
	/* The duplicate arrives: one segment beyond cwnd. */
	t_deliver(&p, p.b, p.a, dup);
	ck_assert_uint_eq(a->dupacks, 1);
	ck_assert_int_eq(t_hold(p.a, more + 4, 28), 1);
	ck_assert_uint_eq(a->snd_max, max + mss);
	for (int i = 2; i < 6; i++)
		stack_pkt_free(p.a, segs[i]);
	for (int i = 0; i < 5; i++)
		stack_pkt_free(p.a, more[i]);
	t_pair_free(&p);
}
END_TEST

/* The same without SACK (RFC 3042 with RFC 6582): the first two
 * duplicates each send one new segment, the third the fast
 * retransmission of the first, and nothing new. */
START_TEST(test_limited_transmit_without_sack)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[64], *out[8];
	static uint8_t blob[40 * 1448];
	struct tcp_conn *a = t_open_warm(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);
	struct tcp_seg seg;

	a->sack_ok = false;
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
	int n = t_hold(p.a, segs, 64);
	ck_assert_uint_eq((uint32_t)n * mss, a->cwnd);
	uint32_t una = a->snd_una, max = a->snd_max;
	p.now += 5 * MS;
	stack_pkt_free(p.a, segs[0]); /* lost */
	for (int i = 1; i <= 3; i++) {
		t_deliver(&p, p.a, p.b, segs[i]);
		ck_assert_int_eq(t_move(&p, p.b, p.a), 1);
		ck_assert_uint_eq(a->dupacks, (uint32_t)i);
		ck_assert_int_eq(t_hold(p.a, out, 8), 1);
		t_parse(out[0], &seg);
		ck_assert_uint_eq(seg.seq, i < 3 ? max : una);
		ck_assert_uint_eq(seg.len, mss);
		if (i < 3)
			max += mss;
		stack_pkt_free(p.a, out[0]);
	}
	ck_assert_uint_eq(a->snd_max, max);
	ck_assert_uint_eq(t_rule(p.a, fast_retransmit), 1);
	for (int i = 4; i < n; i++)
		stack_pkt_free(p.a, segs[i]);
	t_pair_free(&p);
}
END_TEST

/* RFC 9293 3.9.1 (MUST-61): PSH marks where the data the
 * application handed over ends, as BSD and Linux set it: on the
 * segment that empties what was queued, not on each segment, and a
 * retransmission of a middle segment carries none. */
START_TEST(test_psh_only_on_the_last_segment_of_a_send)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[16];
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);
	struct tcp_seg seg;

	t_send_all(p.a, p.now, ca, blob, 4 * mss);
	int n = t_hold(p.a, segs, 16);
	ck_assert_int_eq(n, 4);
	for (int i = 0; i < n; i++) {
		t_parse(segs[i], &seg);
		ck_assert_uint_eq(seg.flags,
				  i == n - 1 ? TCP_ACK | TCP_PSH : TCP_ACK);
		stack_pkt_free(p.a, segs[i]);
	}
	/* All lost: the timeout resends the first, without PSH. */
	p.now = a->t_rexmt;
	stack_timer(p.a, p.now);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.seq, a->snd_una);
	ck_assert_uint_eq(seg.len, mss);
	ck_assert_uint_eq(seg.flags, TCP_ACK);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

/* Quick ACK (Linux's quickack mode, RFC 5681 4.2 leaves it open): the
 * first data segments of a connection are acknowledged at once, up to
 * TCP_QUICKACKS_MAX and at most half the receive window in segments,
 * so that the peer's slow start is not held back by delayed ACKs; then
 * ACKs are delayed as before. After an idle time longer than the RTO,
 * quick ACKs start again. Segments are short and without PSH, so that
 * nothing but quick ACK makes an ACK immediate. */
START_TEST(test_quick_ack_first_segments_then_delayed)
{
	struct pair p;
	int ca, cb;
	struct tcp_seg seg;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t off = 0;
	uint32_t wnd = a->rcv_adv - a->rcv_nxt;
	uint32_t quick = wnd / (2 * a->our_mss);

	if (quick > TCP_QUICKACKS_MAX)
		quick = TCP_QUICKACKS_MAX;
	if (quick < 2)
		quick = 2;
	for (uint32_t i = 0; i < quick; i++, off += 100) {
		p.now += MS;
		t_from_b(&p, ca, cb, off, TCP_ACK, 100);
		t_pop_seg(p.a, &seg);
		ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	}
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_quick_acks),
			  quick);
	/* The next one is delayed. */
	p.now += MS;
	t_from_b(&p, ca, cb, off, TCP_ACK, 100);
	off += 100;
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_eq(a->t_delack, p.now + TCP_DELACK_NS);
	p.now = a->t_delack;
	stack_timer(p.a, p.now);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	/* Idle for longer than the RTO: quick ACKs again. */
	p.now += a->rto + MS;
	t_from_b(&p, ca, cb, off, TCP_ACK, 100);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_quick_acks),
			  quick + 1);
	t_pair_free(&p);
}
END_TEST

/* Linux's pingpong mode: once we reply to data within the delayed-ACK
 * time, the connection is interactive and replies carry the ACKs, so
 * quick ACK stops sending bare ones; when a delayed ACK has to go
 * alone (no reply came), quick ACKs resume. */
START_TEST(test_quick_ack_stops_while_replies_carry_the_acks)
{
	struct pair p;
	int ca, cb;
	struct tcp_seg seg;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	static uint8_t reply[300];
	struct tcp_sockopts o;

	/* B never acknowledges the replies: no Nagle to hold them. */
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	o.nodelay = true;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	/* A request: quick-ACKed, then answered 1 ms later. */
	p.now += MS;
	t_from_b(&p, ca, cb, 0, TCP_ACK, 200);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.len, 0);
	ck_assert(!a->ack_pingpong);
	p.now += MS;
	t_send_all(p.a, p.now, ca, reply, sizeof(reply));
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.len, sizeof(reply));
	ck_assert(a->ack_pingpong);
	/* The next request's ACK waits for the reply, which carries it. */
	p.now += MS;
	t_from_b(&p, ca, cb, 200, TCP_ACK, 200);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_ne(a->t_delack, 0);
	p.now += MS;
	t_send_all(p.a, p.now, ca, reply, sizeof(reply));
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.len, sizeof(reply));
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_quick_acks), 1);
	/* A request that gets no reply: its delayed ACK goes alone, and
	 * the connection is no longer taken for interactive. */
	p.now += MS;
	t_from_b(&p, ca, cb, 400, TCP_ACK, 200);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	p.now = a->t_delack;
	stack_timer(p.a, p.now);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert(!a->ack_pingpong);
	p.now += MS;
	t_from_b(&p, ca, cb, 600, TCP_ACK, 200);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_quick_acks), 2);
	t_pair_free(&p);
}
END_TEST

/* Delayed ACK for requests (RFC 1122 4.2.3.2, RFC 5681 4.2; Linux's
 * choice): on an interactive connection a small pushed request is not
 * acknowledged alone; the reply, sent within the delayed-ACK time,
 * carries the ACK, so a round trip is one segment each way. Without a
 * reply the ACK goes when the delayed-ACK timer expires, not before. */
START_TEST(test_small_pushed_request_ack_rides_on_the_reply)
{
	struct pair p;
	int ca, cb;
	struct tcp_seg seg;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	struct tcp_sockopts o;
	uint32_t off = 0;
	uint64_t due;

	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	o.nodelay = true;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	/* The first request is quick-ACKed; its reply makes the
	 * connection interactive. */
	p.now += MS;
	t_from_b(&p, ca, cb, off++, TCP_ACK | TCP_PSH, 1);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.len, 0);
	p.now += MS / 20;
	t_send_all(p.a, p.now, ca, "r", 1);
	t_pop_seg(p.a, &seg);
	ck_assert(a->ack_pingpong);
	/* Then each 1-byte pushed request: nothing until the reply, which
	 * is the one segment out and acknowledges the request. */
	for (int i = 0; i < 3; i++) {
		p.now += MS;
		t_from_b(&p, ca, cb, off++, TCP_ACK | TCP_PSH, 1);
		ck_assert_ptr_null(stack_pop_tx(p.a));
		ck_assert_uint_eq(a->t_delack, p.now + TCP_DELACK_NS);
		p.now += MS / 20;
		t_send_all(p.a, p.now, ca, "r", 1);
		t_pop_seg(p.a, &seg);
		ck_assert_uint_eq(seg.len, 1);
		ck_assert_uint_eq(seg.flags, TCP_ACK | TCP_PSH);
		ck_assert_uint_eq(seg.ack, a->rcv_nxt);
		ck_assert_ptr_null(stack_pop_tx(p.a));
		ck_assert_uint_eq(a->t_delack, 0);
	}
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_quick_acks), 1);
	/* A request without a reply: its ACK goes alone at the timer. */
	p.now += MS;
	t_from_b(&p, ca, cb, off++, TCP_ACK | TCP_PSH, 1);
	due = p.now + TCP_DELACK_NS;
	ck_assert_uint_eq(a->t_delack, due);
	stack_timer(p.a, due - 1);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	stack_timer(p.a, due);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.len, 0);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert_uint_eq(t_rule(p.a, timer_tt_delack_1), 1);
	t_pair_free(&p);
}
END_TEST

/* RFC 1122 4.2.3.2 (SHLD-19): whatever delays ACKs, every second
 * full-sized segment is acknowledged at once. */
START_TEST(test_every_second_full_segment_is_acknowledged_at_once)
{
	struct pair p;
	int ca, cb;
	struct tcp_seg seg;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t off = 0, full = a->our_mss - 12; /* less the timestamps */

	/* Spend the quick ACKs with small segments. */
	while (a->quickacks || !a->last_data_rx) {
		p.now += MS;
		t_from_b(&p, ca, cb, off, TCP_ACK, 10);
		off += 10;
		t_pop_seg(p.a, &seg);
	}
	p.now += MS;
	t_from_b(&p, ca, cb, off, TCP_ACK | TCP_PSH, full);
	off += full;
	ck_assert_ptr_null(stack_pop_tx(p.a));
	t_from_b(&p, ca, cb, off, TCP_ACK | TCP_PSH, full);
	off += full;
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert_uint_eq(a->rcv_nxt, tcp_conn_get(p.b, cb)->snd_nxt + off);
	ck_assert_uint_eq(a->t_delack, 0);
	t_pair_free(&p);
}
END_TEST

/* A frame that carries more than one segment's worth (a TSO frame of a
 * full and a short segment) is ACKed at once, as two full segments are;
 * one of a full segment's size, at the limit, waits for the delayed ACK.
 * With timestamps a full segment is our MSS less the 12 bytes of the
 * option (RFC 6691), so a full segment and a tail of 1 to 12 bytes is
 * still at most our MSS: it is two segments all the same. Without
 * timestamps (as if the handshake had not agreed on them) a full
 * segment is our MSS.
 */
static void frame_over_one_mss(bool ts)
{
	struct pair p;
	int ca, cb;
	struct tcp_seg seg;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t off = 0, full;

	ck_assert(a->ts_ok);
	if (!ts)
		a->ts_ok = tcp_conn_get(p.b, cb)->ts_ok = false;
	full = ts ? a->our_mss - 12u : a->our_mss;
	while (a->quickacks || !a->last_data_rx) {
		p.now += MS;
		t_from_b_ts(&p, ca, cb, off, TCP_ACK, 10, ts);
		off += 10;
		t_pop_seg(p.a, &seg);
	}
	p.now += MS;
	t_from_b_ts(&p, ca, cb, off, TCP_ACK, full, ts);
	off += full;
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_ne(a->t_delack, 0);
	p.now = a->t_delack;
	stack_timer(p.a, p.now);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	p.now += MS;
	t_from_b_ts(&p, ca, cb, off, TCP_ACK, full + 1u, ts);
	off += full + 1u;
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, a->rcv_nxt);
	ck_assert_uint_eq(a->rcv_nxt, tcp_conn_get(p.b, cb)->snd_nxt + off);
	ck_assert_uint_eq(a->t_delack, 0);
	t_pair_free(&p);
}

START_TEST(test_frame_over_one_mss_is_acknowledged_at_once)
{
	frame_over_one_mss(true);
}
END_TEST

START_TEST(test_frame_over_one_mss_without_timestamps)
{
	frame_over_one_mss(false);
}
END_TEST

/* The passive close as Linux sends it: the ACK of the peer's FIN
 * (ESTABLISHED -> CLOSE_WAIT) waits, so that the application's close at
 * once sends our FIN with it: FIN, FIN+ACK, ACK; two frames before the
 * last ACK where an ACK sent at once made three. A FIN out of order is
 * still acknowledged at once (test_out_of_order_fin_is_acknowledged_at_once).
 */
START_TEST(test_fin_ack_rides_on_our_fin)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	int frames = 0;

	ck_assert_int_eq(tcp_shutdown(p.b, p.now, cb), 0);
	frames += t_move(&p, p.b, p.a); /* B's FIN */
	ck_assert_int_eq(a->state, TCPS_CLOSE_WAIT);
	ck_assert_ptr_null(stack_pop_tx(p.a)); /* no ACK alone */
	ck_assert_uint_eq(a->t_delack, p.now + TCP_DELACK_NS);
	p.now += MS / 10;
	tcp_close(p.a, p.now, ca);
	ck_assert_int_eq(t_move(&p, p.a, p.b), 1); /* our FIN */
	frames++;
	ck_assert_int_eq(frames, 2);
	/* That one frame acknowledged B's FIN and carried ours: B goes
	 * from FIN_WAIT_1 to TIME_WAIT, and ACKs at once (the FIN answered
	 * its own, nothing of B's would carry it). */
	ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
	ck_assert_int_eq(t_move(&p, p.b, p.a), 1);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	ck_assert_uint_eq(t_rule(p.a, timer_tt_delack_1), 0);
	t_pair_free(&p);
}
END_TEST

/* The bound at half the receive window: with a window of 4 segments,
 * two quick ACKs. */
START_TEST(test_quick_acks_bounded_by_the_window)
{
	struct pair p;
	int ca, cb, l;
	struct tcp_seg seg;
	struct stack_limits lim;

	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 4 * 1460;
	lim.tcp_rcvbuf_max = 0; /* a fixed window: exactly 4 MSS, scale 0 */
	t_pair_lim(&p, &lim);
	l = tcp_listen(p.b, 0, 80, 4, NULL);
	ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	t_exchange(&p);
	cb = tcp_accept(p.b, l, NULL, NULL);
	ck_assert_int_ge(cb, 0);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	ck_assert_uint_le(a->rcv_adv - a->rcv_nxt, 4 * 1460);
	ck_assert_uint_ge(a->rcv_adv - a->rcv_nxt, 4 * a->our_mss);
	for (uint32_t i = 0; i < 2; i++) {
		p.now += MS;
		t_from_b(&p, ca, cb, 100 * i, TCP_ACK, 100);
		t_pop_seg(p.a, &seg);
	}
	p.now += MS;
	t_from_b(&p, ca, cb, 200, TCP_ACK, 100);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_quick_acks), 2);
	t_pair_free(&p);
}
END_TEST

/* RFC 8985 7.3: with no new data to send, the probe is "the last
 * segment", here the one that carried the FIN: it goes again with the
 * FIN, whole, not a slice of it that counts the FIN as a byte. */
START_TEST(test_loss_probe_after_fin_resends_last_segment_with_fin)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);
	struct tcp_seg seg;

	t_send_all(p.a, p.now, ca, blob, 2 * mss + 100);
	ck_assert_int_eq(tcp_shutdown(p.a, p.now, ca), 0);
	ck_assert_int_eq(t_hold(p.a, segs, 8), 3);
	t_parse(segs[2], &seg);
	ck_assert_uint_eq(seg.len, 100);
	ck_assert(seg.flags & TCP_FIN);
	uint32_t last = seg.seq;
	p.now += 5 * MS;
	t_deliver(&p, p.a, p.b, segs[0]);
	t_deliver(&p, p.a, p.b, segs[1]);
	stack_pkt_free(p.a, segs[2]); /* the tail is lost */
	t_exchange(&p);
	ck_assert_uint_ne(a->t_tlp, 0);
	p.now = a->t_tlp;
	stack_timer(p.a, p.now);
	ck_assert_uint_eq(t_rule(p.a, tlp_probe), 1);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.seq, last);
	ck_assert_uint_eq(seg.len, 100);
	ck_assert(seg.flags & TCP_FIN);
	t_pair_free(&p);
}
END_TEST

/* The same when the FIN went alone after the data: the probe is the
 * last data segment with the FIN, at most one MSS. */
START_TEST(test_loss_probe_after_lone_fin_carries_data_and_fin)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);
	struct tcp_seg seg;

	t_send_all(p.a, p.now, ca, blob, 2 * mss);
	ck_assert_int_eq(t_hold(p.a, segs, 8), 2);
	ck_assert_int_eq(tcp_shutdown(p.a, p.now, ca), 0);
	ck_assert_int_eq(t_hold(p.a, segs + 2, 6), 1);
	t_parse(segs[2], &seg);
	ck_assert_uint_eq(seg.len, 0);
	ck_assert(seg.flags & TCP_FIN);
	t_parse(segs[1], &seg);
	uint32_t last = seg.seq;
	p.now += 5 * MS;
	t_deliver(&p, p.a, p.b, segs[0]);
	stack_pkt_free(p.a, segs[1]);
	stack_pkt_free(p.a, segs[2]);
	t_exchange(&p);
	ck_assert_uint_ne(a->t_tlp, 0);
	p.now = a->t_tlp;
	stack_timer(p.a, p.now);
	ck_assert_uint_eq(t_rule(p.a, tlp_probe), 1);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.seq, last);
	ck_assert_uint_eq(seg.len, mss);
	ck_assert(seg.flags & TCP_FIN);
	t_pair_free(&p);
}
END_TEST

/* The probe's "last segment" is the last one sent: with data still
 * unsent behind a full peer window it must not start beyond snd_max
 * (a length that wraps, a probe never sent). */
START_TEST(test_loss_probe_window_limited_resends_last_sent_segment)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[10 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);
	struct tcp_seg seg;
	int n;

	a->snd_wnd = 3 * mss; /* the peer's window: three segments */
	t_send_all(p.a, p.now, ca, blob, 10 * mss);
	n = t_hold(p.a, segs, 8);
	ck_assert_int_eq(n, 3);
	t_parse(segs[2], &seg);
	uint32_t last = seg.seq;
	ck_assert_uint_eq(a->snd_max, last + mss);
	p.now += 5 * MS;
	t_deliver(&p, p.a, p.b, segs[0]);
	stack_pkt_free(p.a, segs[1]);
	stack_pkt_free(p.a, segs[2]); /* the tail is lost */
	t_drain(p.b);		      /* B's ACK lost too: the window stays */
	ck_assert_uint_ne(a->t_tlp, 0);
	p.now = a->t_tlp;
	stack_timer(p.a, p.now);
	ck_assert_uint_eq(t_rule(p.a, tlp_probe), 1);
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.seq, last);
	ck_assert_uint_eq(seg.len, mss);
	ck_assert(a->tlp_active);
	t_pair_free(&p);
}
END_TEST

/* RFC 5681 3.1: ssthresh is set when "a segment loss [is detected]
 * using the retransmission timer and the given segment has not yet
 * been resent by way of the retransmission timer": a second timeout of
 * the same data leaves it, and only cwnd falls to one segment. */
START_TEST(test_second_timeout_of_a_window_keeps_ssthresh)
{
	struct pair p;
	int ca, cb;
	static uint8_t blob[10 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);

	t_send_all(p.a, p.now, ca, blob, 10 * mss);
	t_drain(p.a); /* all lost */
	p.now = a->t_rexmt;
	stack_timer(p.a, p.now);
	t_drain(p.a); /* the resend too */
	uint32_t ssthresh = a->ssthresh;
	ck_assert_uint_lt(ssthresh, 10 * mss);
	ck_assert_uint_gt(ssthresh, 2 * mss);
	ck_assert_uint_eq(a->cwnd, a->mss);
	p.now = a->t_rexmt;
	stack_timer(p.a, p.now);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rto_timeouts),
			  2);
	ck_assert_uint_eq(a->ssthresh, ssthresh);
	ck_assert_uint_eq(a->cwnd, a->mss);
	t_drain(p.a);
	/* Recovered, the next loss of new data cuts it again. */
	t_exchange(&p);
	while (a->snd_una != a->snd_max)
		ck_assert(t_tick(&p, 1000 * MS));
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_conformance");
	TCase *tc = tcase_create("conformance");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_out_of_order_fin_is_acknowledged_at_once);
	tcase_add_test(tc, test_icmp_quoting_snd_nxt_is_ignored_in_syn_sent);
	tcase_add_test(tc,
		       test_icmp_quoting_snd_nxt_is_ignored_when_established);
	tcase_add_test(tc, test_handshake_gives_an_rtt_sample_active_open);
	tcase_add_test(tc, test_handshake_after_syn_retransmit_gives_no_sample);
	tcase_add_test(tc, test_handshake_gives_an_rtt_sample_passive_open);
	tcase_add_test(tc, test_handshake_after_synack_timeout_gives_no_sample);
	tcase_add_test(tc, test_handshake_after_synack_resend_gives_no_sample);
	tcase_add_test(tc, test_limited_transmit_one_segment_per_duplicate);
	tcase_add_test(tc,
		       test_limited_transmit_is_one_segment_when_cwnd_has_room);
	tcase_add_test(tc, test_limited_transmit_without_sack);
	tcase_add_test(tc, test_psh_only_on_the_last_segment_of_a_send);
	tcase_add_test(tc, test_quick_ack_first_segments_then_delayed);
	tcase_add_test(tc, test_quick_acks_bounded_by_the_window);
	tcase_add_test(tc, test_quick_ack_stops_while_replies_carry_the_acks);
	tcase_add_test(tc, test_small_pushed_request_ack_rides_on_the_reply);
	tcase_add_test(tc,
		       test_every_second_full_segment_is_acknowledged_at_once);
	tcase_add_test(tc, test_frame_over_one_mss_is_acknowledged_at_once);
	tcase_add_test(tc, test_frame_over_one_mss_without_timestamps);
	tcase_add_test(tc, test_fin_ack_rides_on_our_fin);
	tcase_add_test(tc,
		       test_loss_probe_after_fin_resends_last_segment_with_fin);
	tcase_add_test(tc, test_loss_probe_after_lone_fin_carries_data_and_fin);
	tcase_add_test(
	    tc, test_loss_probe_window_limited_resends_last_sent_segment);
	tcase_add_test(tc, test_second_timeout_of_a_window_keeps_ssthresh);
	suite_add_tcase(s, tc);
	return t_run(s);
}
