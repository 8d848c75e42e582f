/*
 * test_sim_tcp_many.c - 100 concurrent µTCP connections A -> B of
 * 64 KiB each over one 10 ms / 100 Mbit/s link with 1% loss: every
 * stream arrives intact, and both connection tables are empty once
 * TIME_WAIT has run out
 */
#include "test_sim_tcp_app.c"

#define MANY_CONNS 100
#define MANY_BYTES (64u * 1024)

START_TEST(test_many_connections_loss_1)
{
	struct sim_link_params lp =
	    lossy(SIM_MS(10), 100000000ull, 250000, SIM_PERCENT(1));
	struct tpair p;
	uint16_t ports[MANY_CONNS];
	uint64_t t0, last_eof = 0;

	tpair_setup(&p, 301, &lp, &lp, NULL);
	p.app_b.shut_after_eof = true;
	tapp_listen(&p.app_b, 0, NULL);
	t0 = sim_now(p.sim);
	for (int i = 0; i < MANY_CONNS; i++) {
		struct tflow *f =
		    tapp_connect(&p.app_a, ADDR_B, MANY_BYTES, NULL);
		ports[i] = (uint16_t)f->key_tx;
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(ports[j], ports[i]);
	}
	ck_assert_uint_eq(tcp_conn_count(sim_node_stack(p.a), t0), MANY_CONNS);
	ck_assert_int_eq(tpair_run_flows(&p, t0 + SIM_SEC(600)), 0);

	/* Every connection was accepted once and carried its own stream,
	 * whole; the keys tie each accepted flow to its client. */
	ck_assert_int_eq(p.app_a.nflows, MANY_CONNS);
	ck_assert_int_eq(p.app_b.nflows, MANY_CONNS);
	ck_assert_uint_eq(p.app_b.accepted, MANY_CONNS);
	for (int i = 0; i < MANY_CONNS; i++) {
		struct tflow *fa = &p.app_a.flows[i], *fb = NULL;
		for (int j = 0; j < MANY_CONNS; j++)
			if (p.app_b.flows[j].key_rx == fa->key_tx) {
				ck_assert_ptr_null(fb);
				fb = &p.app_b.flows[j];
			}
		ck_assert_ptr_nonnull(fb);
		ck_assert_uint_eq(fa->tx_done, MANY_BYTES);
		tflow_assert_received(fb, MANY_BYTES);
		tflow_assert_received(fa, 0);
		ck_assert(fa->closed && fb->closed);
		if (fb->t_eof > last_eof)
			last_eof = fb->t_eof;
	}
	ck_assert_uint_eq(p.app_a.stray_events + p.app_b.stray_events, 0);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_active_opens), MANY_CONNS);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_passive_opens), MANY_CONNS);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_syn_cookies_sent), 0);
	ck_assert_uint_gt(ctr(p.a, STACK_CTR_tcp_retransmits), 0);
	printf("sim_tcp_many: %d x %u B with 1%% loss: all done after %.3f s "
	       "(aggregate %.1f Mbit/s); A retransmits %" PRIu64 " (%" PRIu64
	       " RTO), conns reset %" PRIu64 "/%" PRIu64 "\n",
	       MANY_CONNS, MANY_BYTES, (last_eof - t0) / 1e9,
	       mbit((uint64_t)MANY_CONNS * MANY_BYTES, last_eof - t0),
	       ctr(p.a, STACK_CTR_tcp_retransmits),
	       ctr(p.a, STACK_CTR_tcp_rto_timeouts),
	       ctr(p.a, STACK_CTR_tcp_conns_reset),
	       ctr(p.b, STACK_CTR_tcp_conns_reset));
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_conns_reset) +
			      ctr(p.b, STACK_CTR_tcp_conns_reset),
			  0);
	/* Then the tables empty: TIME_WAIT ends on A's side. */
	tpair_assert_all_freed(&p);
	ck_assert_uint_eq(tcp_conn_count(sim_node_stack(p.a), sim_now(p.sim)),
			  0);
	ck_assert_uint_eq(tcp_conn_count(sim_node_stack(p.b), sim_now(p.sim)),
			  0);
	tpair_teardown(&p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_many_connections_loss_1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return sim_run_suite("sim_tcp_many", add_tests);
}
