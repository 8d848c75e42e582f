/*
 * test_sim_bandwidth.c - a bottleneck link: throughput equals its
 * bandwidth, and its bounded queue tail-drops the excess
 */
#include "sim_test.h"

#define BW_BPS	    10000000ull /* 10 Mbit/s */
#define QUEUE_BYTES (20 * 1024)
#define PAYLOAD	    1000
#define FRAME	    (UDP_FRAME_OVERHEAD + PAYLOAD)
/* One frame every 400 us offers 20.84 Mbit/s, about twice the link. */
#define INTERVAL_NS SIM_US(400)
#define DGRAMS	    5000

static bool within(double value, double target, double tolerance)
{
	return value >= target * (1 - tolerance) &&
	       value <= target * (1 + tolerance);
}

START_TEST(test_flood_gets_link_bandwidth_and_queue_drops_the_rest)
{
	const struct sim_link_params ab = {
	    .delay_ns = SIM_MS(2),
	    .bandwidth_bps = BW_BPS,
	    .queue_bytes_max = QUEUE_BYTES,
	};
	const struct sim_link_params ba = {.delay_ns = SIM_MS(2)};
	struct sim_link_stats st0, st1, st;
	struct pair p;

	pair_setup(&p, 31, &ab, &ba, NULL);
	pair_warm_arp(&p);
	sim_link_stats(p.link, SIM_AB, &st0);
	uint64_t t_start = sim_now(p.sim);

	struct pacer pc = {.node = p.a,
			   .sock = p.sock_a,
			   .dst = ADDR_B,
			   .dport = PORT_B,
			   .count = DGRAMS,
			   .len = PAYLOAD,
			   .interval_ns = INTERVAL_NS};
	pacer_start(p.sim, &pc);

	/* Delivered bytes over one second in the middle of the flood. */
	sim_run_until(p.sim, t_start + SIM_MS(500));
	sim_link_stats(p.link, SIM_AB, &st1);
	sim_run_until(p.sim, t_start + SIM_MS(1500));
	sim_link_stats(p.link, SIM_AB, &st);
	double window_bps =
	    (double)(st.delivered_bytes - st1.delivered_bytes) * 8.0;
	ck_assert_msg(within(window_bps, BW_BPS, 0.005),
		      "throughput %.0f bit/s over 1 s", window_bps);

	sim_run_until(p.sim, t_start + SIM_SEC(3));
	sim_link_stats(p.link, SIM_AB, &st);
	uint64_t sent = st.sent - st0.sent;
	uint64_t delivered = st.delivered - st0.delivered;
	uint64_t drops = st.queue_drops - st0.queue_drops;
	ck_assert_uint_eq(pc.sent, DGRAMS);
	ck_assert_uint_eq(sent, DGRAMS);
	ck_assert_uint_eq(delivered + drops, sent);
	/* Offered 20.84 Mbit/s into 10: a little over half is dropped. */
	ck_assert_msg(within((double)drops / (double)sent,
			     1.0 - (double)BW_BPS * INTERVAL_NS /
				       (FRAME * 8.0 * STACK_NS_PER_SEC),
			     0.02),
		      "%" PRIu64 " of %" PRIu64 " dropped", drops, sent);
	/* The queue filled up to its bound and never beyond. */
	ck_assert_uint_le(st.queue_bytes_peak, QUEUE_BYTES);
	ck_assert_uint_gt(st.queue_bytes_peak, QUEUE_BYTES - FRAME);

	/* What got through reached the socket, intact, at line rate. */
	ck_assert_uint_eq(p.sink_b.datagrams, delivered);
	ck_assert_uint_eq(p.sink_b.corrupt, 0);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_udp_rx_drop_queue_full), 0);
	double app_bps = (double)(p.sink_b.datagrams - 1) * FRAME * 8.0 *
			 STACK_NS_PER_SEC /
			 (double)(p.sink_b.last_ns - p.sink_b.first_ns);
	ck_assert_msg(within(app_bps, BW_BPS, 0.005), "app %.0f bit/s",
		      app_bps);
	/* The queue drains at the end: the last frame arrives at most one
	 * queue's worth of serialization after the last was sent. */
	uint64_t last_sent = t_start + (DGRAMS - 1) * INTERVAL_NS;
	ck_assert_uint_le(p.sink_b.last_ns,
			  last_sent + SIM_MS(2) +
			      QUEUE_BYTES * 8 * STACK_NS_PER_SEC / BW_BPS);
	pair_teardown(&p);
}
END_TEST

/* Without a bound the queue absorbs the burst and delays it instead. */
START_TEST(test_unbounded_queue_delays_instead_of_dropping)
{
	const struct sim_link_params ab = {
	    .delay_ns = SIM_MS(2),
	    .bandwidth_bps = BW_BPS,
	};
	struct sim_link_stats st;
	struct pair p;

	pair_setup(&p, 32, &ab, NULL, NULL);
	pair_warm_arp(&p);
	uint64_t t_send = sim_now(p.sim);
	/* 40 frames at once: the last leaves after 40 serializations. */
	for (uint32_t i = 0; i < 40; i++)
		ck_assert_int_eq(send_indexed(p.sim, p.a, p.sock_a, ADDR_B,
					      PORT_B, i, PAYLOAD),
				 0);
	sim_run_until(p.sim, t_send + SIM_SEC(1));
	sim_link_stats(p.link, SIM_AB, &st);
	ck_assert_uint_eq(st.queue_drops, 0);
	ck_assert_uint_eq(st.queue_bytes_peak, 40 * FRAME);
	ck_assert_uint_eq(p.sink_b.datagrams, 40);
	ck_assert_uint_eq(p.sink_b.first_ns,
			  t_send + SIM_MS(2) +
			      FRAME * 8 * STACK_NS_PER_SEC / BW_BPS);
	ck_assert_uint_eq(p.sink_b.last_ns,
			  t_send + SIM_MS(2) +
			      40 * FRAME * 8 * STACK_NS_PER_SEC / BW_BPS);
	pair_teardown(&p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc,
		       test_flood_gets_link_bandwidth_and_queue_drops_the_rest);
	tcase_add_test(tc, test_unbounded_queue_delays_instead_of_dropping);
}

int main(void)
{
	return sim_run_suite("sim_bandwidth", add_tests);
}
