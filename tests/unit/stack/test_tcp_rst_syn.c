/*
 * test_tcp_rst_syn.c - µTCP: the checks at the edge and RFC 5961: malformed
 * segments, PAWS, RST and SYN in every synchronized state, challenge ACKs
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

static const enum tcp_state synchronized[] = {
    TCPS_ESTABLISHED, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSE_WAIT,
    TCPS_CLOSING,     TCPS_LAST_ACK,   TCPS_TIME_WAIT,
};

START_TEST(test_malformed_segments_are_counted_and_dropped)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t rcv_before = a->rcv_nxt;

	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, 10);
	t_tcp_hdr(&f)[TCP_OFF_CSUM] ^= 0x11;
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_checksum), 1);

	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, 10);
	t_tcp_hdr(&f)[TCP_OFF_DOFF] = TCP_DOFF_BYTE(16); /* below 20 */
	t_input(p.a, p.now, &f);
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, 10);
	t_tcp_hdr(&f)[TCP_OFF_DOFF] = TCP_DOFF_BYTE(60); /* past the end */
	f.len = ETH_HDR_LEN + IPV4_HDR_LEN + 40;
	put_be16(f.b + ETH_HDR_LEN + 2, IPV4_HDR_LEN + 40); /* total length */
	t_ipv4_recsum(f.b + ETH_HDR_LEN);
	t_tcp_recsum(&f);
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
	int ca, cb, err;
	struct tframe f;
	t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	t_craft(&p, ca, cb, &f, seq + 100, TCP_RST, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_challenge_acks),
			  1);
	struct tcp_seg ack;
	t_pop_seg(p.a, &ack);
	ck_assert_uint_eq(ack.flags, TCP_ACK);
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
	int ca, cb;
	struct tframe f;
	t_open(&p, &ca, &cb);
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
	int ca, cb;
	struct tframe f;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint8_t ts[12];
	t_ts_opt(ts, a->ts_recent - 1000, 0); /* older than seen */
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
			struct tcp_seg ack;
			t_pop_seg(s, &ack);
			ck_assert_uint_eq(ack.flags & (TCP_ACK | TCP_RST),
					  TCP_ACK);
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

/* An ACK of what was never sent is answered with an ACK (ack_unsent);
 * one far below snd_una with a challenge ACK (ack_too_old). */
START_TEST(test_bad_acks_are_dropped_and_answered)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	struct tcp_seg ack;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t acks[2] = {a->snd_max + 1000,
			    a->snd_una - a->max_snd_wnd - 1000};
	for (int i = 0; i < 2; i++) {
		p.now += TCP_INVALID_ACK_PERIOD_NS; /* one each, at most */
		t_tcp_frame(&f, &(struct t_tcp){.saddr = PEER_ADDR,
						.daddr = OUR_ADDR,
						.sport = a->rport,
						.dport = a->lport,
						.seq = a->rcv_nxt,
						.ack = acks[i],
						.flags = TCP_ACK,
						.wnd = 1000});
		t_input(p.a, p.now, &f);
		t_pop_seg(p.a, &ack);
		ck_assert_uint_eq(ack.flags, TCP_ACK);
		ck_assert_uint_eq(ack.ack, a->rcv_nxt);
	}
	ck_assert_uint_eq(t_rule(p.a, ack_unsent), 1);
	ck_assert_uint_eq(t_rule(p.a, ack_too_old), 1);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_bad_ack),
			  2);
	t_pair_free(&p);
}
END_TEST

/* After the peer's FIN its data is ignored (CLOSE_WAIT); a FIN again in
 * TIME_WAIT restarts the 2 MSL timeout. */
START_TEST(test_data_after_fin_and_fin_in_time_wait)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid;
	struct tframe f;
	t_into_state(&p, TCPS_CLOSE_WAIT, &s, &id, &os, &oid);
	t_craft(&p, id, oid, &f, tcp_conn_get(s, id)->rcv_nxt, TCP_ACK, NULL, 0,
		10);
	t_input(s, p.now, &f);
	ck_assert_uint_eq(t_rule(s, data_after_fin), 1);
	ck_assert_uint_eq(tcp_rcv_queued(tcp_conn_get(s, id)), 0);
	t_pair_free(&p);

	t_into_state(&p, TCPS_TIME_WAIT, &s, &id, &os, &oid);
	struct tcp_conn *c = tcp_conn_get(s, id);
	p.now += STACK_NS_PER_SEC;
	t_inject(&p, s, id, 0, TCP_FIN | TCP_ACK);
	ck_assert_uint_eq(t_rule(s, fin_in_time_wait), 1);
	ck_assert_uint_eq(c->t_2msl, p.now + TCP_TIME_WAIT_NS);
	t_drain(s);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_rst_syn");
	TCase *tc = tcase_create("rst_syn");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_malformed_segments_are_counted_and_dropped);
	tcase_add_test(tc, test_rst_in_window_gets_challenge_ack);
	tcase_add_test(tc, test_syn_in_established_gets_challenge_ack);
	tcase_add_test(tc, test_paws_drops_old_timestamp);
	tcase_add_test(tc,
		       test_rst_at_rcv_nxt_closes_in_every_synchronized_state);
	tcase_add_test(tc,
		       test_rst_or_syn_in_window_gets_challenge_in_every_state);
	tcase_add_test(tc, test_bad_acks_are_dropped_and_answered);
	tcase_add_test(tc, test_data_after_fin_and_fin_in_time_wait);
	suite_add_tcase(s, tc);
	return t_run(s);
}
