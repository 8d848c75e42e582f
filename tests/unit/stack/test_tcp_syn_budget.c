/*
 * test_tcp_syn_budget.c - µTCP: a SYN flood costs each turn a bounded
 * amount
 *
 * Listeners answer at most tcp_syn_turn_budget SYNs between two times
 * the caller finds the tx queue empty (a turn); the rest are dropped
 * and counted (syn_over_budget). Established connections are not
 * charged, a genuine client's retransmitted SYN gets through in a
 * later turn, and the SYN cookie it gets still completes.
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

/* Frames s has queued, dropped: the end of a turn. */
static unsigned t_discard_tx(struct stack *s)
{
	unsigned n = 0;
	struct pkt *f;

	while ((f = stack_pop_tx(s))) {
		n++;
		stack_pkt_free(s, f);
	}
	return n;
}

/* n SYNs to B's port 80 from A's address, source ports from sport. */
static void t_syn_flood(struct pair *p, unsigned n, uint16_t sport)
{
	struct tframe f;

	for (unsigned i = 0; i < n; i++) {
		t_tcp_frame(&f, &(struct t_tcp){.saddr = OUR_ADDR,
						.daddr = PEER_ADDR,
						.sport = (uint16_t)(sport + i),
						.dport = 80,
						.seq = 1000u * i,
						.flags = TCP_SYN,
						.wnd = 65535});
		t_input(p->b, p->now, &f);
	}
}

static uint64_t t_answered(struct stack *s)
{
	return t_rule(s, deliver_in_1) + t_rule(s, syn_cookie_sent);
}

START_TEST(test_syn_budget_per_turn_is_honoured_and_counted)
{
	struct pair p;
	struct stack_limits lim;

	stack_limits_default(&lim);
	lim.tcp_syn_turn_budget = 8;
	lim.tcp_syn_backlog = 4; /* then cookies */
	t_pair_lim(&p, &lim);
	ck_assert_int_ge(tcp_listen(p.b, 0, 80, 64, NULL), 0);
	t_syn_flood(&p, 30, 20000);
	ck_assert_uint_eq(t_answered(p.b), 8);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_1), 4);
	ck_assert_uint_eq(t_rule(p.b, syn_cookie_sent), 4);
	ck_assert_uint_eq(t_rule(p.b, syn_over_budget), 22);
	/* The turn ends: the budget is full again. */
	ck_assert_uint_ge(t_discard_tx(p.b), 1);
	t_syn_flood(&p, 30, 30000);
	ck_assert_uint_eq(t_answered(p.b), 16);
	ck_assert_uint_eq(t_rule(p.b, syn_over_budget), 44);
	t_discard_tx(p.b);
	t_pair_free(&p);
}
END_TEST

/* SYNs dropped beyond the budget are counted on the interface they came
 * in on too (stack_if_info), so that the daemon sheds a flood at the
 * flooded TAP alone. */
START_TEST(test_syn_drops_are_counted_on_their_interface)
{
	struct pair p;
	struct stack_limits lim;
	struct stack_if_info i0, i1;
	struct tframe f;
	const uint32_t b1 = 0x0a000101u; /* B's second interface, 10.0.1.1 */

	stack_limits_default(&lim);
	lim.tcp_syn_turn_budget = 8;
	t_pair_lim(&p, &lim);
	ck_assert_int_eq(stack_if_add(p.b, "tap1", PEER_MAC, 1500), 1);
	ck_assert_int_eq(stack_if_set_address(p.b, p.now, 1, b1, 24), 0);
	t_discard_tx(p.b);
	ck_assert_int_ge(tcp_listen(p.b, 0, 80, 64, NULL), 0);
	t_syn_flood(&p, 30, 20000); /* on interface 0: 22 over */
	for (unsigned i = 0; i < 5; i++) {
		struct pkt *g;

		t_tcp_frame(&f, &(struct t_tcp){.saddr = 0x0a000102u,
						.daddr = b1,
						.sport = (uint16_t)(40000 + i),
						.dport = 80,
						.seq = 7u * i,
						.flags = TCP_SYN,
						.wnd = 65535});
		g = stack_pkt_alloc(p.b, f.len);
		ck_assert_ptr_nonnull(g);
		memcpy(g->data, f.b, f.len);
		g->len = (uint32_t)f.len;
		g->ifindex = 1;
		stack_input(p.b, p.now, g);
	}
	ck_assert_int_eq(stack_if_info(p.b, 0, &i0), 0);
	ck_assert_int_eq(stack_if_info(p.b, 1, &i1), 0);
	ck_assert_uint_eq(i0.syn_over_budget, 22);
	ck_assert_uint_eq(i1.syn_over_budget, 5);
	ck_assert_uint_eq(t_rule(p.b, syn_over_budget), 27);
	t_discard_tx(p.b);
	t_pair_free(&p);
}
END_TEST

/* 0: no bound, every SYN is answered. */
START_TEST(test_syn_budget_zero_is_unbounded)
{
	struct pair p;
	struct stack_limits lim;

	stack_limits_default(&lim);
	lim.tcp_syn_turn_budget = 0;
	t_pair_lim(&p, &lim);
	ck_assert_int_ge(tcp_listen(p.b, 0, 80, 64, NULL), 0);
	t_syn_flood(&p, 100, 20000);
	ck_assert_uint_eq(t_answered(p.b), 100);
	ck_assert_uint_eq(t_rule(p.b, syn_over_budget), 0);
	t_discard_tx(p.b);
	t_pair_free(&p);
}
END_TEST

/* With the budget spent, an established connection's data is still
 * taken and acknowledged in the same turn. */
START_TEST(test_established_segments_pass_a_spent_budget)
{
	struct pair p;
	int ca, cb;
	uint8_t buf[1000];

	struct stack_limits lim;

	stack_limits_default(&lim);
	t_open(&p, &ca, &cb);
	t_syn_flood(&p, 100, 20000);
	ck_assert_uint_eq(t_rule(p.b, syn_over_budget),
			  100 - lim.tcp_syn_turn_budget);
	uint64_t in_order = t_rule(p.b, data_in_order);
	memset(buf, 7, sizeof(buf));
	t_send_all(p.a, p.now, ca, buf, sizeof(buf));
	t_move(&p, p.a, p.b);
	ck_assert_uint_gt(t_rule(p.b, data_in_order), in_order);
	size_t got = 0;
	uint8_t out[sizeof(buf)];

	t_read_all(&p, p.b, cb, out, sizeof(out), &got);
	ck_assert_uint_eq(got, sizeof(buf));
	t_discard_tx(p.b);
	t_pair_free(&p);
}
END_TEST

/* A genuine client whose SYN fell beyond the budget retries and
 * completes the handshake through a SYN cookie. */
START_TEST(test_dropped_syn_retried_completes_with_a_cookie)
{
	struct pair p;
	struct stack_limits lim;
	int l, c0a, c0b, ca, cb;

	stack_limits_default(&lim);
	lim.tcp_syn_turn_budget = 4;
	lim.tcp_syn_backlog = 0; /* every SYN answered gets a cookie */
	t_pair_lim(&p, &lim);
	t_connect(&p, &c0a, &c0b, &l); /* and both know the other's MAC */
	t_syn_flood(&p, 10, 20000);
	ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	uint64_t over = t_rule(p.b, syn_over_budget);
	ck_assert_uint_eq(t_move(&p, p.a, p.b), 1); /* its SYN: dropped */
	ck_assert_uint_eq(t_rule(p.b, syn_over_budget), over + 1);
	t_discard_tx(p.b); /* the flood's cookies, lost */
	ck_assert_int_eq(t_state(p.a, ca), TCPS_SYN_SENT);
	for (int i = 0; i < 10 && t_state(p.a, ca) == TCPS_SYN_SENT; i++)
		ck_assert(t_tick(&p, 5000 * MS));
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_uint_eq(t_rule(p.b, syn_cookie_ack), 2);
	cb = tcp_accept(p.b, l, NULL, NULL);
	ck_assert_int_ge(cb, 0);
	t_transfer(&p, p.a, ca, p.b, cb, 20000);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_syn_budget");
	TCase *tc = tcase_create("syn_budget");

	tcase_add_test(tc, test_syn_budget_per_turn_is_honoured_and_counted);
	tcase_add_test(tc, test_syn_budget_zero_is_unbounded);
	tcase_add_test(tc, test_syn_drops_are_counted_on_their_interface);
	tcase_add_test(tc, test_established_segments_pass_a_spent_budget);
	tcase_add_test(tc, test_dropped_syn_retried_completes_with_a_cookie);
	suite_add_tcase(s, tc);
	return t_run(s);
}
