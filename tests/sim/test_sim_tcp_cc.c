/*
 * test_sim_tcp_cc.c - µTCP congestion control on a bottleneck:
 * 10 Mbit/s, 50 ms each way (RTT 100 ms), a tail-drop queue, a sender
 * that never stops and buffers large enough that only cwnd limits it.
 *
 * With CUBIC (the default) and with NewReno, HyStart++ off, on a queue
 * of one bandwidth-delay product (125 kB): cwnd sampled every 10 ms
 * shows slow start doubling it each RTT, the first loss cutting it
 * (CUBIC to 0.7x, NewReno to about 0.5x), and goodput over 20 s
 * simulated of at least 80% of the bottleneck.
 *
 * What PRR (RFC 6937) and HyStart++ (RFC 9406) change, each run with
 * and without on the same path and seed: the largest burst sent at one
 * instant in fast recovery (PRR), and the drops and the queue's peak at
 * the end of slow start (HyStart++), on the 1-BDP queue and on an 8-BDP
 * one, where HyStart++ ends slow start before the queue overflows.
 */
#include "test_sim_tcp_app.c"

#define CC_BPS	   10000000ull
#define CC_DELAY   SIM_MS(50)
#define CC_BDP	   (CC_BPS / 8 / 10) /* bytes in one 100 ms RTT */
#define CC_RUN	   SIM_SEC(20)
#define CC_SAMPLE  SIM_MS(10)
#define CC_SAMPLES (CC_RUN / CC_SAMPLE + 1)
#define CC_BUF	   (4u << 20)
/* Slow start and the recovery that ends it lie in the first 3 s. */
#define SS_WINDOW SIM_SEC(3)

struct cc_sample {
	uint64_t t; /* since connected */
	uint32_t cwnd, ssthresh;
	uint64_t srtt_us, retransmits, rx_bytes;
};

struct cc_run {
	struct tpair *p;
	struct tflow *fa;
	uint64_t t0; /* A connected */
	struct cc_sample s[CC_SAMPLES];
	uint32_t n;
	/* From every ACK reaching A, before A processes it. */
	uint32_t cwnd_before_loss; /* last cwnd while ssthresh was unset */
	uint32_t ssthresh_first;   /* the first ssthresh set */
	uint64_t t_loss;	   /* when it was set */
	uint32_t cwnd_max_ss;	   /* largest cwnd in slow start */
	uint64_t t_double[16];	   /* cwnd first >= IW << k */
	uint32_t iw, mss;
	/* Data frames A sent at one instant (one ACK's answer): the
	 * current run, the largest before the first loss and after it
	 * until SS_WINDOW. */
	uint64_t burst_t;
	uint32_t burst_n, burst_max_ss, burst_max_loss;
	uint32_t burst_max_rec; /* ... and in fast recovery, all the run */
	uint32_t burst_max_ca;	/* ... and after the first loss, outside
				 * fast recovery, all the run */
};

/* What a run gives the scenarios that compare runs. */
struct cc_result {
	double goodput;		/* Mbit/s over CC_RUN */
	uint64_t ss_drops;	/* queue drops in the first SS_WINDOW */
	uint64_t ss_queue_peak; /* the queue's peak then, bytes */
	uint32_t cwnd_max_ss;	/* largest cwnd before ssthresh was set */
	uint32_t burst_max_ss, burst_max_loss, burst_max_rec, burst_max_ca;
	uint64_t t_ss_end; /* ssthresh first set, since connected */
	uint64_t hystart_css, hystart_resumes, hystart_exits, prr_bounded;
	uint64_t retransmits, rto;
};

static bool a_info(struct cc_run *r, struct stack_tcp_info *info)
{
	return r->fa->conn >= 0 && !r->fa->closed &&
	       tapp_conn_info(sim_node_stack(r->p->a), sim_now(r->p->sim),
			      r->fa->conn, info);
}

static void cc_tap(void *arg, const struct sim_frame_info *fi)
{
	struct cc_run *r = arg;
	struct stack_tcp_info info;

	if (fi->dir == SIM_AB && fi->fate == SIM_FATE_SENT &&
	    r->fa->connected) {
		size_t plen;
		if (!frame_tcp(fi->data, fi->len, &plen) || !plen)
			return;
		if (fi->now != r->burst_t) {
			r->burst_t = fi->now;
			r->burst_n = 0;
		}
		r->burst_n++;
		if (!r->t_loss && r->burst_n > r->burst_max_ss)
			r->burst_max_ss = r->burst_n;
		bool fast = r->fa->conn >= 0 &&
			    tcp_conn_get(sim_node_stack(r->p->a), r->fa->conn)
				    ->recovery == TCP_RECOVERY_FAST;
		if (fast && r->burst_n > r->burst_max_rec)
			r->burst_max_rec = r->burst_n;
		if (!fast && r->t_loss && r->burst_n > r->burst_max_ca)
			r->burst_max_ca = r->burst_n;
		if (r->t_loss && fi->now < r->t0 + SS_WINDOW &&
		    r->burst_n > r->burst_max_loss)
			r->burst_max_loss = r->burst_n;
		return;
	}
	if (fi->dir != SIM_BA || fi->fate != SIM_FATE_DELIVERED ||
	    !r->fa->connected || !a_info(r, &info))
		return;
	if (!r->iw) {
		r->iw = info.cwnd;
		r->mss = info.mss;
	}
	if (info.ssthresh == UINT32_MAX) {
		r->cwnd_before_loss = info.cwnd;
		if (info.cwnd > r->cwnd_max_ss)
			r->cwnd_max_ss = info.cwnd;
		for (int k = 0; k < 16; k++)
			if (!r->t_double[k] &&
			    (uint64_t)info.cwnd >= (uint64_t)r->iw << k)
				r->t_double[k] = fi->now;
	} else if (!r->ssthresh_first) {
		r->ssthresh_first = info.ssthresh;
		r->t_loss = fi->now;
	}
}

static void cc_sample_tick(struct sim *sim, void *arg)
{
	struct cc_run *r = arg;
	struct stack_tcp_info info;

	if (r->n < CC_SAMPLES && a_info(r, &info)) {
		r->s[r->n++] = (struct cc_sample){
		    .t = sim_now(sim) - r->t0,
		    .cwnd = info.cwnd,
		    .ssthresh = info.ssthresh,
		    .srtt_us = info.srtt_us,
		    .retransmits = info.retransmits,
		    .rx_bytes =
			r->p->app_b.nflows ? r->p->app_b.flows[0].rx_bytes : 0,
		};
	}
	if (r->n < CC_SAMPLES)
		ck_assert_int_eq(
		    sim_at(sim, sim_now(sim) + CC_SAMPLE, cc_sample_tick, r),
		    0);
}

static bool not_connected(struct sim *sim, void *arg)
{
	(void)sim;
	return !((struct tflow *)arg)->connected;
}

/* One run: who, on which queue, with which of HyStart++ and PRR. */
struct cc_params {
	bool cubic, hystart, prr;
	uint32_t queue; /* the bottleneck's, bytes */
	uint64_t seed;
	const char *name;
};

static void cc_run(const struct cc_params *cp, struct cc_result *res)
{
	const struct sim_link_params ab = {.delay_ns = CC_DELAY,
					   .bandwidth_bps = CC_BPS,
					   .queue_bytes_max = cp->queue};
	const struct sim_link_params ba = {.delay_ns = CC_DELAY,
					   .bandwidth_bps = CC_BPS};
	static struct cc_run r;
	const char *name = cp->name;
	bool cubic = cp->cubic;
	struct stack_limits lim;
	struct tcp_sockopts o;
	struct tpair p;
	struct sim_link_stats st;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	stack_limits_default(&lim);
	lim.tcp_cubic = cubic;
	lim.tcp_hystart = cp->hystart;
	lim.tcp_prr = cp->prr;
	lim.tcp_sndbuf = lim.tcp_rcvbuf = CC_BUF;
	tpair_setup(&p, cp->seed, &ab, &ba, &lim);
	tcp_sockopts_default(sim_node_stack(p.a), &o);
	ck_assert_uint_eq(o.rcvbuf, CC_BUF);
	r.p = &p;
	tapp_listen(&p.app_b, 0, &o);
	r.fa = tapp_connect(&p.app_a, ADDR_B, TX_FOREVER, &o);
	sim_set_tap(p.sim, cc_tap, &r);
	ck_assert_int_eq(sim_run_while(p.sim, not_connected, r.fa,
				       sim_now(p.sim) + SIM_SEC(5)),
			 0);
	r.t0 = sim_now(p.sim);
	cc_sample_tick(p.sim, &r);
	sim_run_until(p.sim, r.t0 + SS_WINDOW);
	sim_link_stats(p.link, SIM_AB, &st);
	res->ss_drops = st.queue_drops;
	res->ss_queue_peak = st.queue_bytes_peak;
	res->hystart_css = ctr(p.a, STACK_CTR_tcp_hystart_css_entries);
	res->hystart_resumes = ctr(p.a, STACK_CTR_tcp_hystart_css_resumes);
	res->hystart_exits = ctr(p.a, STACK_CTR_tcp_hystart_exits);
	res->prr_bounded = ctr(p.a, STACK_CTR_tcp_prr_bounded);
	sim_run_until(p.sim, r.t0 + CC_RUN);
	ck_assert_uint_eq(r.n, CC_SAMPLES);
	ck_assert_int_eq(p.app_b.nflows, 1);

	struct tflow *fb = &p.app_b.flows[0];
	double goodput = mbit(fb->rx_bytes, CC_RUN);
	ck_assert_uint_eq(fb->rx_bad, 0);
	ck_assert_int_eq(fb->error, 0);
	ck_assert_int_eq(r.fa->error, 0);
	sim_link_stats(p.link, SIM_AB, &st);
	res->goodput = goodput;
	res->cwnd_max_ss = r.cwnd_max_ss;
	res->burst_max_ss = r.burst_max_ss;
	res->burst_max_loss = r.burst_max_loss;
	res->burst_max_rec = r.burst_max_rec;
	res->burst_max_ca = r.burst_max_ca;
	res->t_ss_end = r.t_loss ? r.t_loss - r.t0 : 0;
	res->retransmits = ctr(p.a, STACK_CTR_tcp_retransmits);
	res->rto = ctr(p.a, STACK_CTR_tcp_rto_timeouts);

	/* The samples' summary. */
	uint64_t srtt_min = UINT64_MAX, srtt_max = 0;
	uint32_t cwnd_min_after = UINT32_MAX, cwnd_max_after = 0, cuts = 0;
	for (uint32_t i = 0; i < r.n; i++) {
		if (r.s[i].srtt_us && r.s[i].srtt_us < srtt_min)
			srtt_min = r.s[i].srtt_us;
		if (r.s[i].srtt_us > srtt_max)
			srtt_max = r.s[i].srtt_us;
		if (r.s[i].t < SIM_SEC(5))
			continue;
		if (r.s[i].cwnd < cwnd_min_after)
			cwnd_min_after = r.s[i].cwnd;
		if (r.s[i].cwnd > cwnd_max_after)
			cwnd_max_after = r.s[i].cwnd;
		if (i && r.s[i].ssthresh != r.s[i - 1].ssthresh)
			cuts++;
	}
	printf("%s: %s, HyStart++ %s, PRR %s, 10 Mbit/s, RTT 100 ms, queue "
	       "%u B: goodput %.2f Mbit/s over 20 s; IW %u B, MSS %u\n",
	       name, cubic ? "CUBIC" : "NewReno", cp->hystart ? "on" : "off",
	       cp->prr ? "on" : "off", cp->queue, goodput, r.iw, r.mss);
	printf("%s: slow start: cwnd >= IW x1,2,4,8,16,32 at", name);
	for (int k = 0; k < 6; k++)
		printf(" %.3f",
		       r.t_double[k] ? (r.t_double[k] - r.t0) / 1e9 : -1.0);
	printf(" s; max %u B; in the first 3 s: queue peak %" PRIu64
	       " B, drops %" PRIu64 "; HyStart++ CSS %" PRIu64
	       ", back to SS %" PRIu64 ", exits %" PRIu64 "\n",
	       r.cwnd_max_ss, res->ss_queue_peak, res->ss_drops,
	       res->hystart_css, res->hystart_resumes, res->hystart_exits);
	printf("%s: largest burst (data frames at one instant): %u in slow "
	       "start, %u from the end of slow start to 3 s, %u in fast "
	       "recovery, %u after the first loss outside it (20 s); PRR "
	       "bound held %" PRIu64 " sends\n",
	       name, r.burst_max_ss, r.burst_max_loss, r.burst_max_rec,
	       r.burst_max_ca, res->prr_bounded);
	printf(
	    "%s: slow start ended at %.3f s: cwnd %u -> ssthresh %u (x%.2f); "
	    "srtt %.1f..%.1f ms; after 5 s cwnd %u..%u B, %u ssthresh "
	    "changes; queue drops %" PRIu64 ", retransmits %" PRIu64
	    " (%" PRIu64 " RTO)\n",
	    name, (r.t_loss - r.t0) / 1e9, r.cwnd_before_loss, r.ssthresh_first,
	    r.cwnd_before_loss ? (double)r.ssthresh_first / r.cwnd_before_loss
			       : 0.0,
	    srtt_min / 1e3, srtt_max / 1e3, cwnd_min_after, cwnd_max_after,
	    cuts, st.queue_drops, res->retransmits, res->rto);
	printf("%s: t(s) cwnd(seg) ssthresh(seg) srtt(ms) rx(MB):", name);
	for (uint32_t i = 0; i < r.n; i += 50)
		printf(" [%.1f %u %d %.0f %.2f]", r.s[i].t / 1e9,
		       r.s[i].cwnd / r.mss,
		       r.s[i].ssthresh == UINT32_MAX
			   ? -1
			   : (int)(r.s[i].ssthresh / r.mss),
		       r.s[i].srtt_us / 1e3, r.s[i].rx_bytes / 1e6);
	printf("\n");

	/* Slow start doubles cwnd every RTT: IW -> 2 IW -> 4 IW -> 8 IW,
	 * while the queue is still short (8 IW ~ 116 kB < BDP + queue). */
	ck_assert_uint_eq(r.iw, 10u * r.mss);
	for (int k = 1; k <= 3; k++) {
		uint64_t dt = r.t_double[k] - r.t_double[k - 1];
		ck_assert_uint_gt(r.t_double[k], 0);
		ck_assert_msg(dt >= SIM_MS(80) && dt <= SIM_MS(160),
			      "doubling %d took %.3f s", k, dt / 1e9);
	}
	/* Slow start ended, by a loss or HyStart++'s CSS. */
	ck_assert_uint_gt(r.t_loss, 0);
	double cut = (double)r.ssthresh_first / r.cwnd_before_loss;
	if (!cp->hystart) {
		/* Slow start went on until the queue overflowed: beyond 1
		 * BDP; the first loss cut it. */
		ck_assert_uint_gt(r.cwnd_max_ss, CC_BDP);
		ck_assert_uint_gt(res->ss_drops, 0);
		ck_assert_uint_eq(res->hystart_css, 0);
		if (cubic)
			ck_assert_msg(cut >= 0.65 && cut <= 0.75,
				      "CUBIC cut x%.2f", cut);
		else
			ck_assert_msg(cut >= 0.40 && cut <= 0.55,
				      "NewReno cut x%.2f", cut);
	}
	/* ... and the bottleneck stayed busy: at least 80% of it. */
	ck_assert_msg(goodput >= 0.8 * CC_BPS / 1e6, "goodput %.2f Mbit/s",
		      goodput);
	/* Stop the sender for good and let the links drain. */
	tcp_abort(sim_node_stack(p.a), sim_now(p.sim), r.fa->conn);
	r.fa->closed = true;
	sim_run_until(p.sim, sim_now(p.sim) + SIM_SEC(5));
	ck_assert_int_eq(fb->error, ECONNRESET);
	tcp_close(sim_node_stack(p.b), sim_now(p.sim), fb->conn);
	fb->closed = true;
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}

START_TEST(test_cubic_bottleneck)
{
	struct cc_result res;

	cc_run(&(struct cc_params){.cubic = true,
				   .hystart = false,
				   .prr = true,
				   .queue = CC_BDP,
				   .seed = 401,
				   .name = "sim_tcp_cc"},
	       &res);
}
END_TEST

START_TEST(test_newreno_bottleneck)
{
	struct cc_result res;

	cc_run(&(struct cc_params){.cubic = false,
				   .hystart = false,
				   .prr = true,
				   .queue = CC_BDP,
				   .seed = 402,
				   .name = "sim_tcp_cc"},
	       &res);
}
END_TEST

/* PRR: slow start overflows the 1-BDP queue and about half of its last
 * round is dropped; RACK judges the losses a few at a time. Without PRR
 * the window is RFC 6675's (cwnd = ssthresh): once pipe falls below
 * ssthresh, all of the difference goes at once. With PRR, fast recovery
 * sends at most what an ACK delivered (a delayed ACK: 2 segments) plus
 * one: the reduction bound. */
START_TEST(test_prr_no_burst_in_recovery)
{
	struct cc_result with, without;

	cc_run(&(struct cc_params){.cubic = true,
				   .prr = false,
				   .queue = CC_BDP,
				   .seed = 401,
				   .name = "sim_tcp_cc prr off"},
	       &without);
	cc_run(&(struct cc_params){.cubic = true,
				   .prr = true,
				   .queue = CC_BDP,
				   .seed = 401,
				   .name = "sim_tcp_cc prr on"},
	       &with);
	printf("sim_tcp_cc: PRR: largest burst in fast recovery %u frames "
	       "(without: %u), goodput %.2f Mbit/s (%.2f), retransmits %" PRIu64
	       " (%" PRIu64 "), RTOs %" PRIu64 " (%" PRIu64 ")\n",
	       with.burst_max_rec, without.burst_max_rec, with.goodput,
	       without.goodput, with.retransmits, without.retransmits, with.rto,
	       without.rto);
	ck_assert_uint_gt(with.prr_bounded, 0);
	ck_assert_uint_eq(without.prr_bounded, 0);
	ck_assert_uint_le(with.burst_max_rec, 3);
	ck_assert_uint_gt(without.burst_max_rec, 10 * with.burst_max_rec);
	ck_assert_double_ge(with.goodput, without.goodput);
}
END_TEST

/* HyStart++ on a deep queue (8 BDP, 1 MB): without it slow start
 * doubles the window past BDP + queue and the tail of its last round is
 * dropped; with it the round trip's growth turns slow start conservative
 * and then ends it (ssthresh = cwnd) before the queue overflows: no
 * drops, and the queue's peak under its limit, with goodput at least
 * that of the run without. */
START_TEST(test_hystart_exits_before_the_queue_overflows)
{
	const uint32_t queue = 8 * CC_BDP;

	for (int cubic = 1; cubic >= 0; cubic--) {
		struct cc_result with, without;

		cc_run(&(struct cc_params){.cubic = cubic,
					   .hystart = false,
					   .prr = true,
					   .queue = queue,
					   .seed = 403,
					   .name = "sim_tcp_cc hystart off"},
		       &without);
		cc_run(&(struct cc_params){.cubic = cubic,
					   .hystart = true,
					   .prr = true,
					   .queue = queue,
					   .seed = 403,
					   .name = "sim_tcp_cc hystart on"},
		       &with);
		printf("sim_tcp_cc: HyStart++ (%s), 8-BDP queue: slow start "
		       "ended at %.3f s with cwnd %u B (without: %.3f s, %u "
		       "B); first 3 s: drops %" PRIu64 " (%" PRIu64
		       "), queue peak %" PRIu64 " B (%" PRIu64
		       "); goodput %.2f Mbit/s (%.2f)\n",
		       cubic ? "CUBIC" : "NewReno", with.t_ss_end / 1e9,
		       with.cwnd_max_ss, without.t_ss_end / 1e9,
		       without.cwnd_max_ss, with.ss_drops, without.ss_drops,
		       with.ss_queue_peak, without.ss_queue_peak, with.goodput,
		       without.goodput);
		ck_assert_uint_eq(with.hystart_css, 1);
		ck_assert_uint_eq(with.hystart_exits, 1);
		ck_assert_uint_eq(with.ss_drops, 0);
		ck_assert_uint_lt(with.ss_queue_peak, queue);
		ck_assert_uint_gt(without.ss_drops, 0);
		ck_assert_uint_eq(without.hystart_css, 0);
		ck_assert_double_ge(with.goodput, without.goodput);
	}
}
END_TEST

/* On the 1-BDP queue the RTT grows too late to avoid every drop: CSS
 * begins a round before the queue overflows; still, the overshoot and
 * its drops shrink to a fraction. */
START_TEST(test_hystart_shallow_queue_fewer_drops)
{
	struct cc_result with, without;

	cc_run(&(struct cc_params){.cubic = true,
				   .hystart = false,
				   .prr = true,
				   .queue = CC_BDP,
				   .seed = 401,
				   .name = "sim_tcp_cc hystart off"},
	       &without);
	cc_run(&(struct cc_params){.cubic = true,
				   .hystart = true,
				   .prr = true,
				   .queue = CC_BDP,
				   .seed = 401,
				   .name = "sim_tcp_cc hystart on"},
	       &with);
	printf("sim_tcp_cc: HyStart++ (CUBIC), 1-BDP queue: first 3 s drops "
	       "%" PRIu64 " (without: %" PRIu64 "), largest cwnd in slow "
	       "start %u B (%u); goodput %.2f Mbit/s (%.2f)\n",
	       with.ss_drops, without.ss_drops, with.cwnd_max_ss,
	       without.cwnd_max_ss, with.goodput, without.goodput);
	ck_assert_uint_eq(with.hystart_css, 1);
	ck_assert_uint_lt(4 * with.ss_drops, without.ss_drops);
	ck_assert_uint_lt(with.cwnd_max_ss, without.cwnd_max_ss);
	ck_assert_double_ge(with.goodput, 0.98 * without.goodput);
}
END_TEST

/* A deep queue (3 and 4 BDP): slow start overshoots by more, RACK
 * judges many segments lost at once and pipe falls far below ssthresh;
 * the credit PRR held back while pipe was above it used to leave on one
 * ACK (PRR-SSRB's catch-up: 65 and 78 frames at one instant here before
 * the burst limit). Now one ACK releases at most what it delivered (a
 * delayed ACK: 2 segments), TCP_MAX_BURST more and PRR-SSRB's extra
 * segment, in recovery and at its end, for the same goodput. */
START_TEST(test_deep_queue_recovery_burst_limit)
{
	for (uint32_t q = 3; q <= 4; q++) {
		struct cc_result res;

		cc_run(&(struct cc_params){.cubic = true,
					   .hystart = true,
					   .prr = true,
					   .queue = q * CC_BDP,
					   .seed = 404,
					   .name = "sim_tcp_cc deep queue"},
		       &res);
		printf("sim_tcp_cc: %u-BDP queue: largest burst in fast "
		       "recovery %u frames, after the first loss outside it "
		       "%u; goodput %.2f Mbit/s\n",
		       q, res.burst_max_rec, res.burst_max_ca, res.goodput);
		ck_assert_uint_gt(res.retransmits, 0);
		ck_assert_uint_le(res.burst_max_rec, 2 + TCP_MAX_BURST + 1);
		ck_assert_uint_le(res.burst_max_ca, 2 + TCP_MAX_BURST + 1);
		ck_assert_uint_le(res.burst_max_loss, 2 + TCP_MAX_BURST + 1);
		ck_assert_double_ge(res.goodput, 0.9 * CC_BPS / 1e6);
	}
}
END_TEST

static void add_tests(TCase *tc)
{

	tcase_add_test(tc, test_cubic_bottleneck);
	tcase_add_test(tc, test_newreno_bottleneck);
	tcase_add_test(tc, test_prr_no_burst_in_recovery);
	tcase_add_test(tc, test_hystart_exits_before_the_queue_overflows);
	tcase_add_test(tc, test_hystart_shallow_queue_fewer_drops);
	tcase_add_test(tc, test_deep_queue_recovery_burst_limit);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	(void)argc;
	(void)argv;
	return sim_run_suite("sim_tcp_cc", add_tests);
}
