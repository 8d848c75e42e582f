/*
 * test_sim_tcp_rcvbuf.c - receive-buffer auto-tuning on a long path: a
 * bulk transfer over 100 ms of round trip and 200 Mbit/s (a
 * bandwidth-delay product of 2.5 MB), once with the receive buffer fixed
 * at 256 KiB and once auto-tuned up to the default ceiling (6 MiB)
 *
 * The sender's buffer is large (8 MiB) in both runs, so the only
 * difference is the receiver's: with 256 KiB the window holds the sender
 * to 256 KiB per round trip (about 21 Mbit/s), auto-tuned it grows past
 * the bandwidth-delay product and the link is the limit. The bytes B's
 * application read 5 s after the connect are compared; the simulation is
 * deterministic, so they are exact for a seed and printed.
 */
#include "test_sim_tcp_app.c"

#define RB_DELAY  SIM_MS(50) /* each way */
#define RB_BPS	  200000000ull
#define RB_QUEUE  (4u << 20) /* above the BDP: no loss */
#define RB_BYTES  (96u << 20)
#define RB_AT	  SIM_SEC(5)
#define RB_SNDBUF (8u << 20)

struct rb_result {
	uint64_t read_at;     /* bytes B had read RB_AT after the connect */
	uint64_t complete_ns; /* connect to EOF at B */
	uint32_t rcv_wnd_max; /* B's buffer at RB_AT */
	uint64_t grown;	      /* B's tcp_rcvbuf_grown */
	uint64_t retransmits; /* A's */
};

struct rb_snap {
	struct tpair *p;
	struct rb_result *r;
};

static void rb_snapshot(struct sim *sim, void *arg)
{
	struct rb_snap *sn = arg;
	struct tflow *fb = &sn->p->app_b.flows[0];
	struct tcp_conn *c;

	(void)sim;
	ck_assert_int_eq(sn->p->app_b.nflows, 1);
	sn->r->read_at = fb->rx_bytes;
	c = tcp_conn_get(sim_node_stack(sn->p->b), fb->conn);
	ck_assert_ptr_nonnull(c);
	sn->r->rcv_wnd_max = c->rcv_wnd_max;
}

static void rb_run(bool tune, struct rb_result *r)
{
	struct sim_link_params lp = lossy(RB_DELAY, RB_BPS, RB_QUEUE, 0);
	struct stack_limits lim;
	struct tcp_sockopts o;
	struct tpair p;
	struct tflow *fa, *fb;
	struct rb_snap sn = {.p = &p, .r = r};

	memset(r, 0, sizeof(*r));
	stack_limits_default(&lim);
	/* Fixed at tcp_rcvbuf, 256 KiB, or auto-tuned up to 6 MiB. */
	lim.tcp_rcvbuf_max = tune ? 6u << 20 : 0;
	tpair_setup(&p, 301, &lp, &lp, &lim);
	p.app_b.shut_after_eof = true;
	tapp_listen(&p.app_b, 0, NULL);
	tcp_sockopts_default(sim_node_stack(p.a), &o);
	o.sndbuf = RB_SNDBUF;
	fa = tapp_connect(&p.app_a, ADDR_B, RB_BYTES, &o);
	ck_assert_int_eq(sim_at(p.sim, fa->t_start + RB_AT, rb_snapshot, &sn),
			 0);
	ck_assert_int_eq(tpair_run_flows(&p, sim_now(p.sim) + SIM_SEC(600)), 0);
	ck_assert_int_eq(p.app_b.nflows, 1);
	fb = &p.app_b.flows[0];
	tflow_assert_received(fb, RB_BYTES);
	tflow_assert_received(fa, 0);
	r->complete_ns = fb->t_eof - fa->t_start;
	r->grown = ctr(p.b, STACK_CTR_tcp_rcvbuf_grown);
	r->retransmits = ctr(p.a, STACK_CTR_tcp_retransmits);
	printf("sim_tcp_rcvbuf: %s: %" PRIu64 " B read in %.0f s simulated "
	       "(%.1f Mbit/s), B's buffer then %" PRIu32 " B (grown %" PRIu64
	       " times); %u B done in %.3f s (%.1f Mbit/s); %" PRIu64
	       " retransmits\n",
	       tune ? "auto-tuned to 6 MiB" : "fixed 256 KiB", r->read_at,
	       RB_AT / 1e9, mbit(r->read_at, RB_AT), r->rcv_wnd_max, r->grown,
	       RB_BYTES, r->complete_ns / 1e9, mbit(RB_BYTES, r->complete_ns),
	       r->retransmits);
	fflush(stdout);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}

START_TEST(test_fixed_buffer_limits_a_long_path)
{
	struct rb_result r;

	rb_run(false, &r);
	/* One 256 KiB window per 100 ms round trip at most. */
	ck_assert_uint_le(r.read_at,
			  (uint64_t)(256u << 10) * (RB_AT / SIM_MS(100)));
	ck_assert_uint_eq(r.rcv_wnd_max, 256u << 10);
	ck_assert_uint_eq(r.grown, 0);
}
END_TEST

START_TEST(test_auto_tuning_fills_a_long_path)
{
	struct rb_result fixed, tuned;

	rb_run(false, &fixed);
	rb_run(true, &tuned);
	/* Past the bandwidth-delay product (2.5 MB), within the ceiling. */
	ck_assert_uint_gt(tuned.rcv_wnd_max, 2500000);
	ck_assert_uint_le(tuned.rcv_wnd_max, 6u << 20);
	ck_assert_uint_gt(tuned.grown, 0);
	/* Several times the fixed buffer's goodput: at least half of the
	 * link over the whole 5 s, slow start included. */
	ck_assert_uint_gt(tuned.read_at, 4 * fixed.read_at);
	ck_assert_uint_ge(tuned.read_at, RB_BPS / 8 * (RB_AT / SIM_SEC(1)) / 2);
	ck_assert_uint_eq(tuned.retransmits, 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_fixed_buffer_limits_a_long_path);
	tcase_add_test(tc, test_auto_tuning_fills_a_long_path);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return sim_run_suite("sim_tcp_rcvbuf", add_tests);
}
