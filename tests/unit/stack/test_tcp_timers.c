/*
 * test_tcp_timers.c - µTCP: timers: SYN retransmission and R2, the persist
 * timer and zero windows
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

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

int main(void)
{
	Suite *s = suite_create("tcp_timers");
	TCase *tc = tcase_create("timers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_syn_retries_then_times_out);
	tcase_add_test(tc, test_zero_window_is_probed_until_reader_returns);
	tcase_add_test(tc, test_zero_window_peer_that_vanishes_times_out);
	suite_add_tcase(s, tc);
	return t_run(s);
}
