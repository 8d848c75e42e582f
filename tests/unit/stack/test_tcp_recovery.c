/*
 * test_tcp_recovery.c - µTCP: loss recovery: RACK, TLP, undo of spurious
 * retransmissions, the in-flight records, NewReno without SACK
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

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

/* The tests from test_sacked_record_is_never_resent_as_lost on were
 * written for faults found in review of the RACK-TLP change: each
 * comment describes the fault, the test the behaviour the RFC expects.
 * rev_conn() makes a bare connection block for the in-flight records. */
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

START_TEST(test_reordering_is_detected_and_undone)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	static uint8_t blob[8 * 1448];
	/* A sends 8 segments; hold them all. */
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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
	ck_assert_uint_gt(t_rule(p.a, spurious_undo), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_rack_judges_a_loss_by_time_without_three_duplicates)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[2 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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
	ck_assert_uint_gt(t_rule(p.a, rack_recovery), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_rack_waits_out_reordering_within_its_window)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[2 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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
	int ca, cb;
	struct pkt *segs[16], *rx[4];
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
	ck_assert_int_eq(t_hold(p.a, segs, 8), 4);
	p.now += 5 * MS;
	for (int i = 0; i < 3; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	stack_pkt_free(p.a, segs[3]); /* the tail is lost: no SACK comes */
	t_exchange(&p);
	ck_assert_uint_ne(a->snd_max, a->snd_una);
	/* The probe timeout comes no later than the RTO (RFC 8985 7.2: a
	 * one-segment flight adds WCDelAckT, and the RTO bounds it) and
	 * goes instead of it, resending the last segment; B's ACK shows it
	 * repaired a loss. */
	ck_assert_uint_ne(a->t_tlp, 0);
	ck_assert_uint_le(a->t_tlp, a->t_rexmt);
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
	ck_assert_uint_gt(t_rule(p.a, tlp_probe), 0);
	t_pair_free(&p);
}
END_TEST

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

/* A record judged lost and then SACKed keeps TCP_TXR_LOST, and
 * tcp_next_lost() hands it out for retransmission. */
START_TEST(test_sacked_record_is_never_resent_as_lost)
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

/* The same end to end: after a timeout, an ACK that SACKs records
 *  still marked lost makes tcp_output() resend them all, beyond
 *  cwnd (pipe does not grow when SACKed data is resent). */
START_TEST(test_after_rto_sacked_data_is_resent_beyond_cwnd)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[16], *acks[16], *rx[16];
	static uint8_t blob[10 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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

/* A DSACK block on a full-sized data segment is not reserved in the
 * payload: the segment outgrows the MTU and is fragmented. */
START_TEST(test_dsack_on_full_segment_outgrows_the_mtu)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	static uint8_t blob[30 * 1448];
	struct pkt *segs[64];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	ck_assert_int_eq(tcp_send(p.b, p.now, cb, "0123456789", 10), 10);
	t_exchange(&p);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
	int n = t_hold(p.a, segs, 64);
	for (int i = 0; i < n; i++)
		t_deliver(&p, p.a, p.b, segs[i]);
	t_drain(p.b); /* B's ACKs are lost */
	/* B resends its 10 bytes with 5 more (5 old ones: a DSACK), and
	 * the ACK for all A sent: A sends full segments at once. */
	uint8_t ts[12];
	t_ts_opt(ts, a->ts_recent + 1, 0);
	t_craft(&p, ca, cb, &f, a->rcv_nxt - 5, TCP_ACK, ts, 12, 10);
	/* a wide window, and the checksum again */
	put_be16(t_tcp_hdr(&f) + TCP_OFF_WINDOW, 0xffff);
	t_tcp_recsum(&f);
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

/* RACK.fack starts at 0, not at the ISN: with an ISN in the upper
 * half of the space, the first delivery "is below fack" and RACK
 * believes it saw reordering (RFC 8985 6.2 step 3). */
START_TEST(test_first_delivery_is_not_reordering_whatever_the_isn)
{
	struct tcp_conn *c = rev_conn(0x90000000u);
	rev_send(c, 1000, T0);
	tcp_txr_acked(c, c->snd_max, T0 + 10 * MS);
	c->snd_una = c->snd_max;
	ck_assert(!c->rack_reordering_seen); /* is true */
	free(c);
}
END_TEST

/* At TCP_TXR_MAX the last record grows with new data and keeps its
 * flags: new bytes appended to a SACKed record count as SACKed and
 * are never resent, not even after a timeout. */
START_TEST(test_at_the_limit_new_data_is_not_taken_for_sacked)
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

/* The DSACK round (RFC 8985 6.2 step 4) is never reset to "none":
 * 2^31 bytes later SEQ_GEQ(snd_una, round) is false again, and DSACKs
 * stop widening the reordering window for the next 2 GiB. */
START_TEST(test_dsack_round_survives_sequence_wrap)
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

/* A one-segment flight (a request) whose segment is lost: PTO =
 * 2 SRTT + WCDelAckT (200 ms) always lands after the RTO (min 200
 * ms), and then no probe is armed at all; RFC 8985 7.2 clamps the
 * PTO to the RTO's expiry instead (as Linux does), so the tail is
 * repaired by a probe rather than by a timeout. */
START_TEST(test_one_segment_tail_gets_a_probe)
{
	struct pair p;
	int ca, cb;
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
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

/* Data from the peer that does not advance the ACK (a request being
 * answered while our tail is lost) restarts the PTO on each segment
 * (tcp_ack_in calls tcp_tlp_arm for every ACK): the probe never
 * fires and the RTO repairs the loss. RFC 8985 7.2 restarts the PTO
 * only on new data sent or on an ACK that acknowledges new data. */
START_TEST(test_peer_data_does_not_postpone_the_probe)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[8];
	static uint8_t blob[4 * 1448];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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

/* NewReno: a probe that repaired a loss is confirmed by an ACK that
 * has already taken snd_una past everything; reno_on_loss halves the
 * flight left after it (often 0) and reno_on_recovery_end leaves
 * min(ssthresh, flight + MSS) = 1 MSS, as after a timeout; RFC 6582
 * 3.2 (3) option 1 gives min(ssthresh, max(FlightSize, SMSS) + SMSS). */
START_TEST(test_newreno_probe_recovery_leaves_two_segments)
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
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
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
	ck_assert_uint_gt(t_rule(p.a, tlp_probe), 0);
	t_pair_free(&p);
}
END_TEST

/* RFC 2018 8: after a timeout the segment at the left edge
 * MUST be resent whether or not it is SACKed. A peer that reneged
 * (dropped SACKed out-of-order data, as Linux's tcp_prune_ofo_queue
 * does) leaves the first record SACKed and the connection stalls
 * until it times out. (Already so before this commit.) */
START_TEST(test_rto_resends_the_left_edge_even_if_sacked)
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

int main(void)
{
	Suite *s = suite_create("tcp_recovery");
	TCase *tc = tcase_create("recovery");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reordering_is_detected_and_undone);
	tcase_add_test(
	    tc, test_rack_judges_a_loss_by_time_without_three_duplicates);
	tcase_add_test(tc, test_rack_waits_out_reordering_within_its_window);
	tcase_add_test(tc,
		       test_rack_finds_a_lost_retransmission_without_a_timeout);
	tcase_add_test(tc, test_tail_loss_probe_repairs_a_lost_last_segment);
	tcase_add_test(tc,
		       test_in_flight_records_stop_splitting_at_their_limit);
	tcase_add_test(tc, test_sacked_record_is_never_resent_as_lost);
	tcase_add_test(tc, test_after_rto_sacked_data_is_resent_beyond_cwnd);
	tcase_add_test(tc, test_dsack_on_full_segment_outgrows_the_mtu);
	tcase_add_test(tc,
		       test_first_delivery_is_not_reordering_whatever_the_isn);
	tcase_add_test(tc, test_at_the_limit_new_data_is_not_taken_for_sacked);
	tcase_add_test(tc, test_dsack_round_survives_sequence_wrap);
	tcase_add_test(tc, test_one_segment_tail_gets_a_probe);
	tcase_add_test(tc, test_peer_data_does_not_postpone_the_probe);
	tcase_add_test(tc, test_newreno_probe_recovery_leaves_two_segments);
	tcase_add_test(tc, test_rto_resends_the_left_edge_even_if_sacked);
	suite_add_tcase(s, tc);
	return t_run(s);
}
