/*
 * test_tcp_invalid_acks.c - µTCP: ACKs to invalid segments are bounded
 *
 * Out-of-window segments, PAWS rejects and RFC 5961's challenges are
 * answered at most once per connection every TCP_INVALID_ACK_PERIOD_NS
 * and within a budget a second for all connections
 * (tcp_challenge_ack_limit), so a flood is not reflected one for one,
 * and an attack on one connection leaves the others their ACKs.
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

/* Frames s has queued, dropped. */
static unsigned t_count_tx(struct stack *s)
{
	unsigned n = 0;
	struct pkt *f;

	while ((f = stack_pop_tx(s))) {
		n++;
		stack_pkt_free(s, f);
	}
	return n;
}

/* A segment from B to A's connection ca: sequence seq, datalen bytes. */
static void t_seg_to_a(struct pair *p, int ca, int cb, uint32_t seq,
		       uint8_t flags, size_t datalen)
{
	struct tframe f;

	t_craft(p, ca, cb, &f, seq, flags, NULL, 0, datalen);
	t_input(p->a, p->now, &f);
}

/* A data segment far beyond connection ca's window, from B. */
static void t_oow(struct pair *p, int ca, int cb, uint8_t flags)
{
	t_seg_to_a(p, ca, cb, tcp_conn_get(p->a, ca)->rcv_nxt + 100000000u,
		   flags, (flags & TCP_SYN) ? 0 : 10);
}

START_TEST(test_out_of_window_flood_gets_bounded_acks)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	t_drain(p.a);
	/* 2000 segments over two seconds, a SYN every tenth: at most one
	 * ACK each 500 ms, so 5 (both ends of the interval count). */
	unsigned acks = 0;
	for (int i = 0; i < 2000; i++) {
		t_oow(&p, ca, cb, i % 10 ? TCP_ACK | TCP_PSH : TCP_SYN);
		acks += t_count_tx(p.a);
		p.now += MS;
	}
	ck_assert_uint_le(acks, 5);
	ck_assert_uint_ge(acks, 4);
	uint64_t sent = stack_counter_get(p.a, STACK_CTR_tcp_invalid_acks) +
			stack_counter_get(p.a, STACK_CTR_tcp_challenge_acks);
	uint64_t held =
	    stack_counter_get(p.a, STACK_CTR_tcp_invalid_acks_limited) +
	    stack_counter_get(p.a, STACK_CTR_tcp_challenge_acks_limited);
	ck_assert_uint_eq(sent, acks);
	ck_assert_uint_eq(sent + held, 2000);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_out_of_window), 2000);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	/* The connection still moves data both ways. */
	t_transfer(&p, p.a, ca, p.b, cb, 100000);
	t_transfer(&p, p.b, cb, p.a, ca, 100000);
	t_pair_free(&p);
}
END_TEST

/* PAWS rejects and the challenges of RFC 5961 share the bound. */
START_TEST(test_paws_and_challenges_share_the_bound)
{
	struct pair p;
	int ca, cb;
	struct tframe f;
	uint8_t ts[12];
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	t_drain(p.a);
	for (int i = 0; i < 100; i++) {
		t_ts_opt(ts, a->ts_recent - 1000, 0);
		t_craft(&p, ca, cb, &f, seq, TCP_ACK | TCP_PSH, ts, 12, 5);
		t_input(p.a, p.now, &f);
		t_craft(&p, ca, cb, &f, seq + 100, TCP_RST, NULL, 0, 0);
		t_input(p.a, p.now, &f);
		t_craft(&p, ca, cb, &f, seq + 5, TCP_SYN, NULL, 0, 0);
		t_input(p.a, p.now, &f);
	}
	ck_assert_uint_eq(t_count_tx(p.a), 1);
	ck_assert_uint_eq(t_rule(p.a, paws_reject), 100);
	ck_assert_uint_eq(t_rule(p.a, rst_challenge), 100);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_8), 100);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	/* After the interval, one more. */
	p.now += TCP_INVALID_ACK_PERIOD_NS;
	t_craft(&p, ca, cb, &f, seq + 100, TCP_RST, NULL, 0, 0);
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(t_count_tx(p.a), 1);
	t_pair_free(&p);
}
END_TEST

/* A keepalive probe (empty, at rcv_nxt - 1) is answered every time. */
START_TEST(test_keepalive_probes_are_always_answered)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	t_drain(p.a);
	for (int i = 0; i < 3; i++) {
		t_inject(&p, p.a, ca, -1, TCP_ACK);
		ck_assert_uint_eq(t_count_tx(p.a), 1);
	}
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_invalid_acks_limited), 0);
	t_pair_free(&p);
}
END_TEST

/* Opens n connections from A to B's port 80 (listening). */
static void t_open_many(struct pair *p, const struct stack_limits *lim, int n,
			int *ca, int *cb)
{
	uint32_t raddr;
	uint16_t rport;
	t_pair_lim(p, lim);
	int l = tcp_listen(p->b, 0, 80, 128, NULL);
	ck_assert_int_ge(l, 0);
	for (int i = 0; i < n; i++) {
		ca[i] = tcp_connect(p->a, p->now, 0, 0, PEER_ADDR, 80, NULL);
		ck_assert_int_ge(ca[i], 0);
		t_exchange(p);
		cb[i] = tcp_accept(p->b, l, &raddr, &rport);
		ck_assert_int_ge(cb[i], 0);
	}
	t_drain(p->a);
	t_drain(p->b);
}

/* One attacked connection draws at most two ACKs a second from the
 * budget for all: another connection's invalid segment is still
 * answered, however hard the first is flooded. */
START_TEST(test_attack_on_one_connection_leaves_others_their_acks)
{
	struct stack_limits lim;
	struct pair p;
	int ca[2], cb[2];
	stack_limits_default(&lim);
	lim.tcp_challenge_ack_limit = 6; /* 3 to 8 a second */
	t_open_many(&p, &lim, 2, ca, cb);
	p.now = (p.now / STACK_NS_PER_SEC + 1) * STACK_NS_PER_SEC;
	for (int second = 0; second < 3; second++) {
		for (int i = 0; i < 10000; i++) {
			t_oow(&p, ca[0], cb[0], TCP_ACK);
			if (i == 5000) {
				unsigned before = t_count_tx(p.a);
				t_oow(&p, ca[1], cb[1], TCP_SYN);
				ck_assert_uint_le(before, 2);
				ck_assert_uint_eq(t_count_tx(p.a), 1);
			}
			p.now += 100000; /* 10000 a second */
		}
		ck_assert_uint_le(t_count_tx(p.a), 2);
	}
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_invalid_acks_global_limited),
	    0);
	t_pair_free(&p);
}
END_TEST

/* Many connections attacked at once meet the budget for all: within
 * one second at most 1.5 times tcp_challenge_ack_limit go, the rest
 * are counted, and the next second brings a new budget. */
START_TEST(test_global_budget_bounds_acks_over_all_connections)
{
	struct stack_limits lim;
	struct pair p;
	int ca[20], cb[20];
	stack_limits_default(&lim);
	lim.tcp_challenge_ack_limit = 4; /* 2 to 5 a second */
	t_open_many(&p, &lim, 20, ca, cb);
	p.now = (p.now / STACK_NS_PER_SEC + 1) * STACK_NS_PER_SEC;
	for (int i = 0; i < 20; i++)
		t_oow(&p, ca[i], cb[i], TCP_ACK);
	unsigned acks = t_count_tx(p.a);
	ck_assert_uint_ge(acks, 2);
	ck_assert_uint_le(acks, 5);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_invalid_acks_global_limited),
	    20 - acks);
	p.now += STACK_NS_PER_SEC;
	t_oow(&p, ca[0], cb[0], TCP_ACK);
	ck_assert_uint_eq(t_count_tx(p.a), 1);
	/* 0: no bound for all, only the connection's. */
	t_pair_free(&p);
	lim.tcp_challenge_ack_limit = 0;
	t_open_many(&p, &lim, 20, ca, cb);
	for (int i = 0; i < 20; i++)
		t_oow(&p, ca[i], cb[i], TCP_ACK);
	ck_assert_uint_eq(t_count_tx(p.a), 20);
	t_pair_free(&p);
}
END_TEST

/* The out-of-window drops of p.a, total and by cause, are these. */
static void t_oow_counts(struct pair *p, uint64_t left, uint64_t zero_window,
			 uint64_t right, uint64_t spans)
{
	ck_assert_uint_eq(
	    stack_counter_get(p->a, STACK_CTR_tcp_rx_drop_out_of_window_left),
	    left);
	ck_assert_uint_eq(
	    stack_counter_get(p->a,
			      STACK_CTR_tcp_rx_drop_out_of_window_zero_window),
	    zero_window);
	ck_assert_uint_eq(
	    stack_counter_get(p->a, STACK_CTR_tcp_rx_drop_out_of_window_right),
	    right);
	ck_assert_uint_eq(
	    stack_counter_get(p->a, STACK_CTR_tcp_rx_drop_out_of_window_spans),
	    spans);
	ck_assert_uint_eq(
	    stack_counter_get(p->a, STACK_CTR_tcp_rx_drop_out_of_window),
	    left + zero_window + right + spans);
}

/* t_seg_to_a(), an ACK with datalen bytes (PSH with data). */
static void t_ack_to_a(struct pair *p, int ca, int cb, uint32_t seq,
		       size_t datalen)
{
	t_seg_to_a(p, ca, cb, seq, TCP_ACK | (datalen ? TCP_PSH : 0), datalen);
}

/* tcp_rx_drop_out_of_window is broken down by what refused the segment:
 * all of it below rcv_nxt (left), our window shut (zero_window), at or
 * beyond its right edge (right), or both ends outside it (spans). */
START_TEST(test_out_of_window_drops_are_counted_by_cause)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	t_drain(p.a);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t nxt = a->rcv_nxt, wnd = tcp_rcv_adv_window(a);

	ck_assert_uint_gt(wnd, 1000);
	t_oow_counts(&p, 0, 0, 0, 0);
	/* Left: an old duplicate's data, a stale empty ACK. */
	t_ack_to_a(&p, ca, cb, nxt - 100, 10);
	t_ack_to_a(&p, ca, cb, nxt - 100, 0);
	t_oow_counts(&p, 2, 0, 0, 0);
	/* Not a drop: a keepalive (empty, rcv_nxt - 1) nor an in-window
	 * segment. */
	t_ack_to_a(&p, ca, cb, nxt - 1, 0);
	t_ack_to_a(&p, ca, cb, nxt + 10, 0);
	t_oow_counts(&p, 2, 0, 0, 0);
	/* Right: data and an empty segment at the right edge, and beyond. */
	t_ack_to_a(&p, ca, cb, nxt + wnd, 10);
	t_ack_to_a(&p, ca, cb, nxt + wnd, 0);
	t_ack_to_a(&p, ca, cb, nxt + wnd + 100000, 10);
	t_oow_counts(&p, 2, 0, 3, 0);
	/* Spans: a window shrunk to 100 bytes (as if we had advertised
	 * that), and a segment from below rcv_nxt to beyond it. */
	a->rcv_adv = nxt + 100;
	t_ack_to_a(&p, ca, cb, nxt - 10, 200);
	t_oow_counts(&p, 2, 0, 3, 1);
	/* Zero window: data after rcv_nxt, or from below it on, is
	 * dropped; a probe with data at rcv_nxt is taken (its data
	 * dropped: zero_window_accept), not counted. */
	a->rcv_adv = nxt;
	ck_assert_uint_eq(tcp_rcv_adv_window(a), 0);
	t_ack_to_a(&p, ca, cb, nxt + 1, 10);
	t_ack_to_a(&p, ca, cb, nxt - 5, 10);
	t_oow_counts(&p, 2, 2, 3, 1);
	t_ack_to_a(&p, ca, cb, nxt, 1);
	ck_assert_uint_eq(t_rule(p.a, zero_window_accept), 1);
	t_oow_counts(&p, 2, 2, 3, 1);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->rcv_nxt, nxt);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_invalid_acks");
	TCase *tc = tcase_create("invalid_acks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_out_of_window_flood_gets_bounded_acks);
	tcase_add_test(tc, test_paws_and_challenges_share_the_bound);
	tcase_add_test(tc, test_keepalive_probes_are_always_answered);
	tcase_add_test(tc,
		       test_attack_on_one_connection_leaves_others_their_acks);
	tcase_add_test(tc, test_global_budget_bounds_acks_over_all_connections);
	tcase_add_test(tc, test_out_of_window_drops_are_counted_by_cause);
	suite_add_tcase(s, tc);
	return t_run(s);
}
