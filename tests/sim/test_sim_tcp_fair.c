/*
 * test_sim_tcp_fair.c - two µTCP CUBIC flows sharing one bottleneck
 *
 * The impairment relay's bottleneck path (tests/bench/cc.sh): 100
 * Mbit/s, 25 ms each way (RTT 50 ms), a tail-drop queue of one
 * bandwidth-delay product (625,000 bytes), HyStart++ and PRR on, send
 * and receive buffers large enough that only cwnd limits a sender. Both
 * flows go from A to B over the one link; the first starts alone and
 * fills the path, the second starts about 10 s later (four runs, 9.5 to
 * 11 s: where the first flow's cubic cycle stands when the second
 * arrives changes the outcome, and one run would measure that phase).
 *
 * Jain's fairness index of the two flows' goodputs over [20 s, 60 s]
 * (from 10 s after the second start) is computed from the bytes each
 * receiver read, deterministically. With a tail-drop queue both flows
 * usually lose in the same overflow, and CUBIC's multiplicative decrease
 * keeps their ratio: only fast convergence and the shorter cubic epoch
 * of the smaller window let the late flow catch up, a few percent per
 * loss cycle of about 10 s. The scenario asserts the mean index over
 * the runs, each run's at a floor, and that the link stayed busy.
 */
#include "test_sim_tcp_app.c"

#define FAIR_BPS    100000000ull
#define FAIR_DELAY  SIM_MS(25)
#define FAIR_BDP    (FAIR_BPS / 8 / 20) /* bytes in one 50 ms RTT */
#define FAIR_BUF    (8u << 20)
#define FAIR_FROM_S 20
#define FAIR_TO_S   60

struct fair_run {
	struct tpair p;
	struct tcp_sockopts o;
	struct tflow *f[2];
};

static void start_second(struct sim *sim, void *arg)
{
	struct fair_run *r = arg;

	(void)sim;
	r->f[1] = tapp_connect(&r->p.app_a, ADDR_B, TX_FOREVER, &r->o);
}

/* Bytes B read of A's flow fa so far. */
static uint64_t rx_of(struct tpair *p, const struct tflow *fa)
{
	if (!fa)
		return 0;
	for (int i = 0; i < p->app_b.nflows; i++)
		if (p->app_b.flows[i].key_rx == fa->key_tx)
			return p->app_b.flows[i].rx_bytes;
	return 0;
}

static double jain2(double a, double b)
{
	return a + b > 0 ? (a + b) * (a + b) / (2 * (a * a + b * b)) : 0;
}

/* One run, the second flow starting at t2 (since the first): returns
 * Jain's index over [from_s, to_s] seconds; *mbps the two flows'
 * goodputs then. */
static double fair_run(uint64_t t2, int from_s, int to_s, double mbps[2])
{
	const struct sim_link_params ab = {.delay_ns = FAIR_DELAY,
					   .bandwidth_bps = FAIR_BPS,
					   .queue_bytes_max = FAIR_BDP};
	const struct sim_link_params ba = {.delay_ns = FAIR_DELAY,
					   .bandwidth_bps = FAIR_BPS};
	static struct fair_run r;
	struct stack_limits lim;
	uint64_t t0, from[2], to[2];
	char line[512];
	int n = 0;

	memset(&r, 0, sizeof(r));
	stack_limits_default(&lim);
	ck_assert(lim.tcp_cubic && lim.tcp_hystart && lim.tcp_prr);
	lim.tcp_sndbuf = lim.tcp_rcvbuf = FAIR_BUF;
	tpair_setup(&r.p, 501, &ab, &ba, &lim);
	tcp_sockopts_default(sim_node_stack(r.p.a), &r.o);
	tapp_listen(&r.p.app_b, 0, &r.o);
	t0 = sim_now(r.p.sim);
	r.f[0] = tapp_connect(&r.p.app_a, ADDR_B, TX_FOREVER, &r.o);
	ck_assert_int_eq(sim_at(r.p.sim, t0 + t2, start_second, &r), 0);
	/* Goodput per 5 s, printed. */
	uint64_t last[2] = {0, 0};
	for (int s = 5; s <= to_s; s += 5) {
		sim_run_until(r.p.sim, t0 + SIM_SEC(s));
		for (int k = 0; k < 2; k++) {
			uint64_t x = rx_of(&r.p, r.f[k]);
			if (s == from_s)
				from[k] = x;
			to[k] = x;
			n += snprintf(line + n, sizeof(line) - (size_t)n,
				      "%s%.0f", k ? "/" : " ",
				      mbit(x - last[k], SIM_SEC(5)));
			last[k] = x;
		}
	}
	if (!from_s)
		from[0] = from[1] = 0;
	ck_assert_ptr_nonnull(r.f[1]);
	for (int k = 0; k < 2; k++) {
		mbps[k] = mbit(to[k] - from[k], SIM_SEC(to_s - from_s));
		ck_assert_int_eq(r.f[k]->error, 0);
	}
	for (int i = 0; i < r.p.app_b.nflows; i++)
		ck_assert_uint_eq(r.p.app_b.flows[i].rx_bad, 0);
	double j = jain2(mbps[0], mbps[1]);
	printf("sim_tcp_fair: second flow at %.3f s: Mbit/s per 5 s:%s; over "
	       "[%d, %d] s %.1f/%.1f, Jain %.3f; retransmits %" PRIu64
	       " (%" PRIu64 " RTO)\n",
	       t2 / 1e9, line, from_s, to_s, mbps[0], mbps[1], j,
	       ctr(r.p.a, STACK_CTR_tcp_retransmits),
	       ctr(r.p.a, STACK_CTR_tcp_rto_timeouts));
	/* Stop both senders and let the links drain. */
	for (int k = 0; k < 2; k++) {
		tcp_abort(sim_node_stack(r.p.a), sim_now(r.p.sim),
			  r.f[k]->conn);
		r.f[k]->closed = true;
	}
	sim_run_until(r.p.sim, sim_now(r.p.sim) + SIM_SEC(5));
	for (int i = 0; i < r.p.app_b.nflows; i++) {
		ck_assert_int_eq(r.p.app_b.flows[i].error, ECONNRESET);
		tcp_close(sim_node_stack(r.p.b), sim_now(r.p.sim),
			  r.p.app_b.flows[i].conn);
		r.p.app_b.flows[i].closed = true;
	}
	tpair_assert_all_freed(&r.p);
	tpair_teardown(&r.p);
	return j;
}

START_TEST(test_late_flow_gets_its_share)
{
	static const uint64_t t2[] = {SIM_MS(9500), SIM_MS(10000),
				      SIM_MS(10500), SIM_MS(11000)};
	const int runs = (int)(sizeof(t2) / sizeof(t2[0]));
	double sum = 0, mbps[2];

	for (int i = 0; i < runs; i++) {
		double j = fair_run(t2[i], FAIR_FROM_S, FAIR_TO_S, mbps);
		sum += j;
		ck_assert_msg(j >= 0.85, "Jain %.3f", j);
		/* The link stayed busy: 90% of it between the two. */
		ck_assert_double_ge(mbps[0] + mbps[1], 0.9 * FAIR_BPS / 1e6);
	}
	printf("sim_tcp_fair: mean Jain index over %d runs: %.3f\n", runs,
	       sum / runs);
	ck_assert_msg(sum / runs >= 0.9, "mean Jain %.3f", sum / runs);
}
END_TEST

/* cc.sh's measure: two flows started together, Jain's index over their
 * first 30 s. The first flow's SYN waits one RTT for ARP, so a second
 * flow started at 0 or 75 ms sends its SYN with it or 25 ms (half an
 * RTT) after it. Both slow starts then meet the full queue in the same
 * round, with windows alike, and the flows share from the start; a head
 * start of one RTT or more is another matter (tests/bench/README.md,
 * "Congestion control, session 12": 0.91 for one RTT, 0.70 for a
 * second, over the same 30 s). */
START_TEST(test_flows_started_together_share)
{
	static const uint64_t t2[] = {0, SIM_MS(75)};
	double mbps[2];

	for (size_t i = 0; i < sizeof(t2) / sizeof(t2[0]); i++) {
		double j = fair_run(t2[i], 0, 30, mbps);

		ck_assert_msg(j >= 0.95, "Jain %.3f", j);
		ck_assert_double_ge(mbps[0] + mbps[1], 0.9 * FAIR_BPS / 1e6);
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	/* Four runs of 60 s and two of 30 s simulated at 100 Mbit/s:
	 * about 13 s of CPU, three times that under the sanitizers. */
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_late_flow_gets_its_share);
	tcase_add_test(tc, test_flows_started_together_share);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return sim_run_suite("sim_tcp_fair", add_tests);
}
