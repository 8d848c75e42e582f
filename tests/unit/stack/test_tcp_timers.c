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
	struct stack_limits lim;
	int err = 0;
	/* B's MAC is known for the whole test and B never answers: a
	 * neighbour that stops answering ARP would fail the connect
	 * with EHOSTUNREACH instead (test_arp.c). */
	stack_limits_default(&lim);
	lim.arp_reachable_ns = 3600 * STACK_NS_PER_SEC;
	t_pair_lim(&p, &lim);
	t_learn_peer(p.a);
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
	/* A fixed buffer (window scale 0), so the window closes at its last
	 * byte: auto-tuning's scale 7 would leave the last bytes below one
	 * 128-byte unit unadvertised. */
	lim.tcp_rcvbuf_max = 0;
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
	ck_assert_uint_gt(t_rule(p.a, timer_tt_persist_1), 0);
	ck_assert_uint_gt(t_rule(p.b, window_reopened), 0);
	/* The probes, below rcv_nxt, are answered with an ACK. */
	ck_assert_uint_gt(t_rule(p.b, seq_unacceptable), 0);
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
	ck_assert_uint_gt(t_rule(p.a, persist_give_up), 0);
	t_pair_free(&p);
}
END_TEST

/* A's connection ca (to B's cb, which never reads) with B's window shut:
 * A sends until its segments stop going, time passing only for the
 * delayed ACK and the pushes SWS avoidance holds (not a probe: those
 * happen with the window shut, and nothing is probed yet). */
static void t_shut_window(struct pair *p, int *ca, int *cb, uint32_t retries)
{
	static uint8_t blob[100000];
	struct stack_limits lim;
	int l;

	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 16384;
	lim.tcp_orphan_retries = retries;
	t_pair_lim(p, &lim);
	t_connect(p, ca, cb, &l);
	for (int i = 0; i < 50 && tcp_conn_get(p->a, *ca)->snd_wnd > 0; i++) {
		(void)tcp_send(p->a, p->now, *ca, blob, sizeof(blob));
		t_exchange(p);
		t_tick(p, 50 * MS);
	}
	ck_assert_uint_eq(tcp_conn_get(p->a, *ca)->snd_wnd, 0);
	ck_assert_uint_gt(tcp_conn_get(p->a, *ca)->sndbuf.len, 0);
}

/* Runs the pair's timers until A's connection ca is gone (or a long
 * hour passes); returns true if it went. */
static bool t_run_until_gone(struct pair *p, int ca)
{
	uint64_t until = p->now + 3600 * STACK_NS_PER_SEC;

	while (tcp_conn_get(p->a, ca) && p->now < until)
		if (!t_tick(p, until - p->now))
			break;
	return tcp_conn_get(p->a, ca) == NULL;
}

/* An orphan (closed with data unsent) facing a window that the peer
 * keeps shut, answering every probe, gives up after tcp_orphan_retries
 * probes: RST, and the connection and its chunks are freed. */
START_TEST(test_orphan_facing_a_shut_window_gives_up_after_its_retries)
{
	struct pair p;
	int ca, cb;
	uint64_t probes0;

	t_shut_window(&p, &ca, &cb, 5);
	probes0 = stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->backoff, 0);
	tcp_close(p.a, p.now, ca);
	ck_assert(t_run_until_gone(&p, ca));
	/* Exactly the bound: every probe answered, none beyond. */
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes) - probes0,
	    5);
	ck_assert_uint_eq(t_rule(p.a, persist_orphan_give_up), 1);
	ck_assert_uint_eq(t_rule(p.a, persist_give_up), 0);
	ck_assert_uint_gt(t_rule(p.b, seq_unacceptable), 0); /* answered */
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSED);     /* the RST came */
	ck_assert_uint_eq(p.a->tcp->chunk_pool.in_use[PKT_CLASS_SMALL], 0);
	ck_assert_uint_eq(p.a->tcp->orphans, 0);
	t_pair_free(&p);
}
END_TEST

/* A live connection in the same place is probed for ever (MUST-37):
 * well past tcp_orphan_retries probes it is still there; once its
 * application is gone (tcp_orphan: the user keeps the id) the next
 * probe due is its last, and the user learns ETIMEDOUT. */
START_TEST(test_live_connection_outlasts_the_orphan_bound_until_orphaned)
{
	struct pair p;
	int ca, cb, err = 0;
	uint64_t probes0, until;

	t_shut_window(&p, &ca, &cb, 3);
	probes0 = stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes);
	until = p.now + 600 * STACK_NS_PER_SEC;
	while (p.now < until)
		ck_assert(t_tick(&p, until - p.now));
	ck_assert_uint_ge(
	    stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes) - probes0,
	    3 + 5);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_uint_eq(t_rule(p.a, persist_orphan_give_up), 0);

	ck_assert_int_eq(tcp_orphan(p.a, p.now, ca), 0);
	probes0 = stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes);
	while (t_state(p.a, ca) != TCPS_CLOSED)
		ck_assert(t_tick(&p, 120 * STACK_NS_PER_SEC));
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_zero_window_probes), probes0);
	ck_assert_uint_eq(t_rule(p.a, persist_orphan_give_up), 1);
	/* The user still holds the id: it hears why, then lets go. */
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_uint_eq(p.a->tcp->orphans, 0);
	tcp_close(p.a, p.now, ca);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	t_pair_free(&p);
}
END_TEST

/* At most tcp_orphans_max orphans are held: a close beyond resets the
 * connection at once, and tcp_orphan() refuses; orphans that finish
 * (TIME_WAIT) make room again. */
START_TEST(test_orphans_beyond_the_limit_are_reset)
{
	struct pair p;
	struct stack_limits lim;
	int ca[4], cb[4], l, err = 0;
	uint16_t rport;
	uint32_t raddr;

	stack_limits_default(&lim);
	lim.tcp_orphans_max = 2;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca[0], &cb[0], &l);
	for (int i = 1; i < 4; i++) {
		ca[i] = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
		ck_assert_int_ge(ca[i], 0);
		t_exchange(&p);
		cb[i] = tcp_accept(p.b, l, &raddr, &rport);
		ck_assert_int_ge(cb[i], 0);
	}
	/* Two closes in flight (FIN not yet delivered): two orphans. */
	tcp_close(p.a, p.now, ca[0]);
	tcp_close(p.a, p.now, ca[1]);
	ck_assert_uint_eq(p.a->tcp->orphans, 2);
	ck_assert_int_eq(t_state(p.a, ca[0]), TCPS_FIN_WAIT_1);
	/* The third would be one too many: reset. */
	ck_assert_int_eq(tcp_orphan(p.a, p.now, ca[3]), -ENOBUFS);
	tcp_close(p.a, p.now, ca[2]);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca[2]));
	ck_assert_uint_eq(t_rule(p.a, close_orphans_full), 1);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_orphans_reset_limit), 2);
	t_exchange(&p);
	ck_assert(t_event(p.b, STACK_EV_TCP_ERROR, cb[2], &err));
	ck_assert_int_eq(err, ECONNRESET);
	/* B closes too: the first two reach TIME_WAIT, orphans no more. */
	tcp_close(p.b, p.now, cb[0]);
	tcp_close(p.b, p.now, cb[1]);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca[0]), TCPS_TIME_WAIT);
	ck_assert_int_eq(t_state(p.a, ca[1]), TCPS_TIME_WAIT);
	ck_assert_uint_eq(p.a->tcp->orphans, 0);
	ck_assert_int_eq(tcp_orphan(p.a, p.now, ca[3]), 0);
	ck_assert_uint_eq(p.a->tcp->orphans, 1);
	tcp_close(p.a, p.now, ca[3]); /* already counted: a FIN, no reset */
	ck_assert_int_eq(t_state(p.a, ca[3]), TCPS_FIN_WAIT_1);
	ck_assert_uint_eq(t_rule(p.a, close_orphans_full), 1);
	t_pair_free(&p);
}
END_TEST

/* A short segment's ACK is delayed, and goes when the delayed-ACK timer
 * expires (MUST-40: within TCP_DELACK_NS); once the quick ACKs of the
 * connection's start are used up (tcp_quick_ack). */
START_TEST(test_delayed_ack_goes_when_its_timer_expires)
{
	struct pair p;
	int ca, cb;
	static const uint8_t data[100];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	for (int i = 0; i < TCP_QUICKACKS_MAX; i++) {
		t_send_all(p.a, p.now, ca, data, sizeof(data));
		t_exchange(&p);
	}
	ck_assert_uint_eq(tcp_conn_get(p.b, cb)->quickacks, 0);
	t_send_all(p.a, p.now, ca, data, sizeof(data));
	t_move(&p, p.a, p.b);
	ck_assert_ptr_null(stack_pop_tx(p.b)); /* not yet */
	ck_assert_uint_eq(stack_next_deadline(p.b), p.now + TCP_DELACK_NS);
	p.now += TCP_DELACK_NS;
	stack_timer(p.b, p.now);
	struct tcp_seg ack;
	t_pop_seg(p.b, &ack);
	ck_assert_uint_eq(ack.flags, TCP_ACK);
	ck_assert_uint_eq(ack.ack, a->snd_max);
	ck_assert_uint_eq(t_rule(p.b, timer_tt_delack_1), 1);
	t_pair_free(&p);
}
END_TEST

/* Keepalive probes an idle peer; while it answers the connection
 * stays, and when it stops answering, keepcnt probes later the
 * connection fails with ETIMEDOUT (MUST-26, MUST-29). */
START_TEST(test_keepalive_probes_an_idle_peer_then_gives_up)
{
	struct pair p;
	int ca, cb, err = 0;
	struct tcp_sockopts o;
	t_open(&p, &ca, &cb);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	o.keepalive = true;
	o.keepidle_s = 10;
	o.keepintvl_s = 1;
	o.keepcnt = 3;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	/* Idle for keepidle_s: one probe, which B answers. */
	p.now += 10 * STACK_NS_PER_SEC;
	stack_timer(p.a, p.now);
	t_exchange(&p);
	ck_assert_uint_eq(t_rule(p.a, keepalive_probe), 1);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	/* B is gone: the probes go unanswered. */
	for (int i = 0; i < 10 && t_state(p.a, ca) == TCPS_ESTABLISHED; i++) {
		t_drain(p.a);
		p.now = stack_next_deadline(p.a);
		stack_timer(p.a, p.now);
	}
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_uint_eq(t_rule(p.a, keepalive_probe), 1 + 3);
	ck_assert_uint_eq(t_rule(p.a, keepalive_give_up), 1);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

/* An orphan (closed by its user) that reached FIN_WAIT_2 does not wait
 * for the peer's FIN for ever. */
START_TEST(test_orphan_in_fin_wait_2_times_out)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	tcp_close(p.a, p.now, ca);
	t_exchange(&p);
	t_delack_expire(&p, p.b, cb);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_FIN_WAIT_2);
	p.now += TCP_FIN_WAIT_2_NS;
	stack_timer(p.a, p.now);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	ck_assert_uint_eq(t_rule(p.a, timer_tt_fin_wait_2_1), 1);
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
	tcase_add_test(
	    tc, test_orphan_facing_a_shut_window_gives_up_after_its_retries);
	tcase_add_test(
	    tc, test_live_connection_outlasts_the_orphan_bound_until_orphaned);
	tcase_add_test(tc, test_orphans_beyond_the_limit_are_reset);
	tcase_add_test(tc, test_delayed_ack_goes_when_its_timer_expires);
	tcase_add_test(tc, test_keepalive_probes_an_idle_peer_then_gives_up);
	tcase_add_test(tc, test_orphan_in_fin_wait_2_times_out);
	suite_add_tcase(s, tc);
	return t_run(s);
}
