/*
 * test_tcp_data.c - µTCP: data and windows: transfers, loss, sequence wrap,
 * out-of-order data and FIN, DSACKs, buffer limits, the window update
 * when reads reopen a window
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

START_TEST(test_bulk_transfer_both_ways)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	t_transfer(&p, p.a, ca, p.b, cb, 1 << 20);
	t_transfer(&p, p.b, cb, p.a, ca, 300000);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->retransmits, 0);
	ck_assert_uint_gt(t_rule(p.a, send_call), 0);
	ck_assert_uint_gt(t_rule(p.b, data_in_order), 0);
	ck_assert_uint_gt(t_rule(p.a, ack_new_data), 0);
	ck_assert_uint_gt(t_rule(p.a, window_update), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_transfer_survives_loss)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	p.drop_every = 23;
	t_transfer(&p, p.a, ca, p.b, cb, 2 << 20);
	ck_assert_uint_gt(p.dropped, 0);
	ck_assert_uint_gt(tcp_conn_get(p.a, ca)->retransmits, 0);
	ck_assert_uint_gt(
	    stack_counter_get(p.a, STACK_CTR_tcp_fast_retransmits), 0);
	ck_assert_uint_gt(t_rule(p.b, data_out_of_order), 0);
	ck_assert_uint_gt(
	    t_rule(p.a, rack_recovery) + t_rule(p.a, fast_retransmit), 0);
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

START_TEST(test_out_of_order_data_is_held_and_sacked)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12];
	t_ts_opt(ts, a->ts_recent + 1, 0);
	/* Bytes 100..199 arrive before 0..99. */
	t_craft(&p, ca, cb, &f, seq + 100, TCP_ACK, ts, 12, 100);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(a->nooo, 1);
	ck_assert_uint_eq(t_rule(p.a, data_out_of_order), 1);
	struct tcp_seg seg;
	t_pop_seg(p.a, &seg);
	ck_assert_uint_eq(seg.ack, seq);
	ck_assert_uint_eq(seg.nsack, 1);
	ck_assert_uint_eq(seg.sack[0][0], seq + 100);
	ck_assert_uint_eq(seg.sack[0][1], seq + 200);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, ts, 12, 100);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(a->nooo, 0);
	ck_assert_uint_eq(tcp_rcv_queued(a), 200);
	ck_assert_uint_eq(a->rcv_nxt, seq + 200);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_fin_out_of_order_is_taken_when_the_hole_fills)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12];
	t_ts_opt(ts, a->ts_recent + 1, 0);
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
	ck_assert_uint_gt(t_rule(p.a, fin_in), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_duplicate_data_is_reported_by_dsack)
{
	struct pair p;
	int ca, cb;
	struct pkt *segs[4];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
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
	ck_assert_uint_gt(
	    t_rule(p.a, data_duplicate) + t_rule(p.b, data_duplicate) +
		t_rule(p.a, seq_unacceptable) + t_rule(p.b, seq_unacceptable),
	    0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_out_of_order_store_full_drops_and_counts)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12];
	t_ts_opt(ts, a->ts_recent + 1, 0);
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

/* A segment whose data is dropped for lack of buffers takes its FIN
 * with it: the FIN is not acknowledged, EOF does not come before the
 * data, and the retransmission later brings both. */
START_TEST(test_fin_of_a_dropped_segment_is_not_taken)
{
	struct pair p;
	int ca, cb;
	uint32_t nheld;
	struct tframe f;
	struct pkt *held[8192];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt, rcv_nxt = a->rcv_nxt;
	uint8_t ts[12];
	const uint8_t *d;
	size_t n;

	t_ts_opt(ts, a->ts_recent + 1, 0);
	/* A's pool is down to its reserve: data is dropped, not queued. */
	nheld =
	    t_pool_fill(p.a, p.a->pool.max[PKT_CLASS_SMALL] - 60, held, 8192);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK | TCP_FIN | TCP_PSH, ts, 12, 100);
	t_input(p.a, p.now, &f);
	t_drain(p.a);
	ck_assert_uint_eq(t_rule(p.a, data_no_buffer), 1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_nxt);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	ck_assert_int_eq(tcp_recv_peek(p.a, ca, &d, &n), -EAGAIN);
	/* The buffers free; the retransmission brings data and FIN. */
	t_pool_release(p.a, held, &nheld);
	t_ts_opt(ts, a->ts_recent + 2, 0);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK | TCP_FIN | TCP_PSH, ts, 12, 100);
	t_input(p.a, p.now, &f);
	t_drain(p.a);
	ck_assert_uint_eq(a->rcv_nxt, rcv_nxt + 101);
	ck_assert_int_eq(a->state, TCPS_CLOSE_WAIT);
	ck_assert_int_eq(tcp_recv_peek(p.a, ca, &d, &n), 0);
	ck_assert_uint_eq(n, 100);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_window_drained_in_small_reads_is_reopened)
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb, l;
	struct tcp_conn *b;
	struct tcp_seg seg;
	static uint8_t blob[256 << 10];
	size_t sent = 0, fill;
	uint32_t adv;
	uint64_t reopened;

	/* B's window is left at a segment and a half: more than a segment
	 * of B's, less than two. B's user then reads the queue in pieces
	 * of 16 KiB, none of which frees half the buffer (as the daemon
	 * moves a full queue into a socketpair a few hundred KiB at a
	 * time): the first read already doubles the window the peer knows
	 * of, so B tells it at once, rather than leave a sender that does
	 * not send into a window under its segment (Linux) waiting for its
	 * persist timer. */
	stack_limits_default(&lim);
	lim.tcp_rcvbuf_max = 0; /* a fixed buffer */
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	fill = b->rcv_adv - b->rcv_nxt - 2200;
	for (int i = 0; i < 1000 && sent < fill; i++) {
		long m = tcp_send(p.a, p.now, ca, blob, fill - sent);
		if (m > 0)
			sent += (size_t)m;
		t_tick(&p, MS);
	}
	while (tcp_rcv_queued(b) < fill && t_tick(&p, 500 * MS))
		;
	ck_assert_uint_eq(tcp_rcv_queued(b), fill);
	adv = b->rcv_adv - b->rcv_nxt;
	ck_assert_uint_ge(adv, (uint32_t)b->our_mss + (1u << b->rcv_wscale));
	ck_assert_uint_lt(adv, 2u * b->our_mss);
	reopened = t_rule(p.b, window_reopened);
	tcp_recv_consume(p.b, p.now, cb, 16u << 10);
	/* The update, at once: an ACK offering what was read. */
	t_pop_seg(p.b, &seg);
	ck_assert_uint_eq(seg.flags & TCP_ACK, TCP_ACK);
	ck_assert_uint_ge((uint32_t)seg.wnd << b->rcv_wscale, 16u << 10);
	ck_assert_uint_eq(t_rule(p.b, window_reopened), reopened + 1);
	/* The next read frees as much again, which does not double what
	 * the peer knows of now: no update. */
	tcp_recv_consume(p.b, p.now, cb, 16u << 10);
	ck_assert_ptr_null(stack_pop_tx(p.b));
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_data");
	TCase *tc = tcase_create("data");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bulk_transfer_both_ways);
	tcase_add_test(tc, test_transfer_survives_loss);
	tcase_add_test(tc, test_sequence_numbers_wrap);
	tcase_add_test(tc, test_out_of_order_data_is_held_and_sacked);
	tcase_add_test(tc, test_fin_out_of_order_is_taken_when_the_hole_fills);
	tcase_add_test(tc, test_duplicate_data_is_reported_by_dsack);
	tcase_add_test(tc, test_out_of_order_store_full_drops_and_counts);
	tcase_add_test(tc, test_fin_of_a_dropped_segment_is_not_taken);
	tcase_add_test(tc, test_window_drained_in_small_reads_is_reopened);
	suite_add_tcase(s, tc);
	return t_run(s);
}
