/*
 * test_sim_tcp_determinism.c - the 2%-loss bulk transfer of
 * test_sim_tcp_bulk.c run twice with one seed gives identical counters,
 * link statistics and times; another seed loses other frames and
 * retransmits a different number of segments
 */
#include "test_sim_tcp_app.c"

#define DET_BYTES (4u << 20)

START_TEST(test_same_seed_same_run_other_seed_other_run)
{
	struct bulk_params bp = {
	    .seed = 104, .bytes = DET_BYTES, .loss_ppm = SIM_PERCENT(2)};
	static struct bulk_result r1, r2, r3;

	run_bulk(&bp, &r1);
	run_bulk(&bp, &r2);
	bp.seed = 1104;
	run_bulk(&bp, &r3);
	print_bulk("sim_tcp_determinism", &bp, &r3);

	/* Same seed: the same run, to the nanosecond and the counter. */
	for (int c = 0; c < STACK_COUNTER_COUNT; c++) {
		ck_assert_uint_eq(r1.ctr_a[c], r2.ctr_a[c]);
		ck_assert_uint_eq(r1.ctr_b[c], r2.ctr_b[c]);
	}
	ck_assert_int_eq(memcmp(&r1.ab, &r2.ab, sizeof(r1.ab)), 0);
	ck_assert_int_eq(memcmp(&r1.ba, &r2.ba, sizeof(r1.ba)), 0);
	ck_assert_uint_eq(r1.t_complete_ns, r2.t_complete_ns);
	ck_assert_uint_eq(r1.end_ns, r2.end_ns);
	ck_assert_uint_eq(r1.conn_retransmits, r2.conn_retransmits);
	ck_assert_uint_gt(r1.ctr_a[STACK_CTR_tcp_retransmits], 0);

	/* Another seed: other losses, another count of retransmissions. */
	ck_assert_uint_gt(r3.ab.lost, 0);
	ck_assert_uint_ne(r1.ctr_a[STACK_CTR_tcp_retransmits],
			  r3.ctr_a[STACK_CTR_tcp_retransmits]);
	ck_assert_uint_ne(r1.t_complete_ns, r3.t_complete_ns);
	printf("sim_tcp_determinism: seed 104 twice: %" PRIu64
	       " retransmits, %.6f s both times; seed 1104: %" PRIu64
	       " retransmits, %.6f s\n",
	       r1.ctr_a[STACK_CTR_tcp_retransmits], r1.t_complete_ns / 1e9,
	       r3.ctr_a[STACK_CTR_tcp_retransmits], r3.t_complete_ns / 1e9);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_same_seed_same_run_other_seed_other_run);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return sim_run_suite("sim_tcp_determinism", add_tests);
}
