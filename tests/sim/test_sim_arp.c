/*
 * test_sim_arp.c - ARP resolution when requests are lost: retries, and
 * the hold queue dropped when every request is
 */
#include "sim_test.h"

static const struct sim_link_params wire = {.delay_ns = SIM_MS(10)};

START_TEST(test_datagram_arrives_after_two_lost_requests)
{
	struct stack_limits lim;
	struct sim_link_stats ab;
	struct pair p;

	stack_limits_default(&lim);
	pair_setup(&p, 11, &wire, NULL, &lim);
	sim_run_until(p.sim, SIM_T0_NS + SIM_SEC(1));
	/* The next two frames A sends are its first two requests. */
	sim_link_stats(p.link, SIM_AB, &ab);
	ck_assert_int_eq(sim_link_drop_frame(p.link, SIM_AB, ab.sent + 1), 0);
	ck_assert_int_eq(sim_link_drop_frame(p.link, SIM_AB, ab.sent + 2), 0);
	uint64_t requests0 = ctr(p.a, STACK_CTR_arp_requests_tx);

	uint64_t t_send = sim_now(p.sim);
	ck_assert_int_eq(
	    send_indexed(p.sim, p.a, p.sock_a, ADDR_B, PORT_B, 1, 200), 0);
	ck_assert_int_eq(
	    sim_run_while(p.sim, sink_waiting, &p.sink_b, t_send + SIM_SEC(10)),
	    0);
	/* Third request at t + 2 retry intervals, then three crossings. */
	ck_assert_uint_eq(p.sink_b.first_ns,
			  t_send + 2 * lim.arp_retry_ns + 3 * SIM_MS(10));
	ck_assert_uint_eq(p.sink_b.seen[1], 1);
	ck_assert_uint_eq(p.sink_b.corrupt, 0);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_requests_tx) - requests0, 3);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_hold_drop_timeout), 0);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_arp_rx), 2); /* gratuitous, 3rd */
	sim_link_stats(p.link, SIM_AB, &ab);
	ck_assert_uint_eq(ab.dropped, 2);
	ck_assert_uint_eq(ab.lost, 0);
	pair_teardown(&p);
}
END_TEST

/* Drops every ARP frame: a filter by content. */
static bool drop_arp(void *arg, const struct sim_frame_info *fi)
{
	(void)arg;
	return fi->len >= 14 && fi->data[12] == 0x08 && fi->data[13] == 0x06;
}

START_TEST(test_hold_queue_dropped_when_every_request_is_lost)
{
	struct stack_limits lim;
	struct sim_link_stats ab;
	struct pair p;

	stack_limits_default(&lim);
	pair_setup(&p, 12, &wire, NULL, &lim);
	sim_run_until(p.sim, SIM_T0_NS + SIM_SEC(1));
	struct sim_link_params blackhole = wire;
	blackhole.filter = drop_arp;
	sim_link_set_params(p.link, SIM_AB, &blackhole);
	uint64_t requests0 = ctr(p.a, STACK_CTR_arp_requests_tx);

	uint64_t t_send = sim_now(p.sim);
	for (uint32_t i = 0; i < 3; i++)
		ck_assert_int_eq(
		    send_indexed(p.sim, p.a, p.sock_a, ADDR_B, PORT_B, i, 100),
		    0);
	/* Requests at t, t + 1 s, t + 2 s; the entry goes at t + 3 s. */
	sim_run_until(p.sim, t_send + lim.arp_retries * lim.arp_retry_ns - 1);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_hold_drop_timeout), 0);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_requests_tx) - requests0,
			  lim.arp_retries);
	ck_assert(!pool_empty(p.a)); /* the three datagrams wait */

	sim_run_until(p.sim, t_send + lim.arp_retries * lim.arp_retry_ns);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_hold_drop_timeout), 3);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_resolve_timeouts), 1);
	ck_assert(pool_empty(p.a));

	sim_run_until(p.sim, t_send + SIM_SEC(10));
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_arp_requests_tx) - requests0,
			  lim.arp_retries);
	ck_assert_uint_eq(p.sink_b.datagrams, 0);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_udp_rx), 0);
	sim_link_stats(p.link, SIM_AB, &ab);
	ck_assert_uint_eq(ab.dropped, lim.arp_retries);
	pair_teardown(&p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_datagram_arrives_after_two_lost_requests);
	tcase_add_test(tc, test_hold_queue_dropped_when_every_request_is_lost);
}

int main(void)
{
	return sim_run_suite("sim_arp", add_tests);
}
