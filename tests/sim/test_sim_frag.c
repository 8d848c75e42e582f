/*
 * test_sim_frag.c - large datagrams fragmented by the sender, reassembled
 * by the receiver across reordering, duplication and loss
 */
#include "sim_test.h"

#define DGRAM_LEN (20 * 1024)
#define DGRAMS	  40
/* 20480 + 8 UDP bytes in 1480-byte pieces. */
#define FRAGS_PER_DGRAM ((DGRAM_LEN + 8 + 1479) / 1480)

/* What reached B, per IPv4 identification: seen through a tap. */
struct frag_log {
	uint8_t frags[65536]; /* first copies of fragments delivered */
	uint32_t last_offset[65536];
	uint64_t inversions; /* a fragment behind one delivered before it */
	uint64_t copies;     /* duplicate copies delivered */
};

static void frag_tap(void *arg, const struct sim_frame_info *fi)
{
	struct frag_log *log = arg;
	const uint8_t *ip = fi->data + 14;
	uint16_t id, frag;
	uint32_t off;

	if (fi->fate != SIM_FATE_DELIVERED || fi->dir != SIM_AB ||
	    fi->len < 34 || fi->data[12] != 0x08 || fi->data[13] != 0x00)
		return;
	id = get_be16(ip + 4);
	frag = get_be16(ip + 6);
	if (!(frag & 0x3fff))
		return;
	if (fi->duplicate) {
		log->copies++;
		return;
	}
	off = (frag & 0x1fffu) * 8u;
	if (log->frags[id] && off < log->last_offset[id])
		log->inversions++;
	log->frags[id]++;
	log->last_offset[id] = off;
}

static void run_past_reassembly_timeout(struct pair *p)
{
	struct stack_limits lim;

	stack_limits_default(&lim);
	sim_run_until(p->sim,
		      sim_now(p->sim) + lim.reasm_timeout_ns + SIM_SEC(1));
}

START_TEST(test_reordered_duplicated_fragments_reassemble_intact)
{
	const struct sim_link_params ab = {
	    .delay_ns = SIM_MS(5),
	    .bandwidth_bps = 100000000,
	    .duplicate_ppm = SIM_PERCENT(10),
	    .reorder_ppm = SIM_PERCENT(20),
	    .reorder_delay_ns = SIM_US(500),
	};
	const struct sim_link_params ba = {.delay_ns = SIM_MS(5)};
	static struct frag_log log;
	struct sim_link_stats st;
	struct pair p;

	memset(&log, 0, sizeof(log));
	pair_setup(&p, 21, &ab, &ba, NULL);
	pair_warm_arp(&p);
	sim_set_tap(p.sim, frag_tap, &log);
	uint64_t frags_tx0 = ctr(p.a, STACK_CTR_ip_tx_fragments);

	struct pacer pc = {.node = p.a,
			   .sock = p.sock_a,
			   .dst = ADDR_B,
			   .dport = PORT_B,
			   .count = DGRAMS,
			   .len = DGRAM_LEN,
			   .interval_ns = SIM_MS(3)};
	pacer_start(p.sim, &pc);
	sim_run_until(p.sim, sim_now(p.sim) + SIM_SEC(2));

	ck_assert_uint_eq(pc.sent, DGRAMS);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_ip_tx_fragments) - frags_tx0,
			  DGRAMS * FRAGS_PER_DGRAM);
	/* Every datagram exactly once and intact. */
	ck_assert_uint_eq(p.sink_b.datagrams, DGRAMS);
	ck_assert_uint_eq(p.sink_b.corrupt, 0);
	for (uint32_t i = 0; i < DGRAMS; i++)
		ck_assert_uint_eq(p.sink_b.seen[i], 1);
	ck_assert_uint_eq(p.sink_b.bytes, (uint64_t)DGRAMS * DGRAM_LEN);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_frag_reassembled), DGRAMS);
	/* ... and the link did disorder them on the way. */
	sim_link_stats(p.link, SIM_AB, &st);
	ck_assert_uint_gt(st.reordered, 0);
	ck_assert_uint_gt(st.duplicated, 0);
	ck_assert_uint_gt(log.inversions, 0);
	ck_assert_uint_eq(log.copies, st.duplicated);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_frag_rx),
			  (uint64_t)DGRAMS * FRAGS_PER_DGRAM + st.duplicated);

	/* Copies arriving after their datagram was complete start entries
	 * that time out; then nothing is left in either pool. */
	run_past_reassembly_timeout(&p);
	ck_assert(pool_empty(p.a));
	ck_assert(pool_empty(p.b));
	pair_teardown(&p);
}
END_TEST

START_TEST(test_lossy_link_delivers_intact_or_times_out_without_leaks)
{
	const struct sim_link_params ab = {
	    .delay_ns = SIM_MS(5),
	    .bandwidth_bps = 100000000,
	    .loss_ppm = SIM_PERCENT(5),
	    .reorder_ppm = SIM_PERCENT(10),
	    .reorder_delay_ns = SIM_US(500),
	};
	const struct sim_link_params ba = {.delay_ns = SIM_MS(5)};
	static struct frag_log log;
	struct sim_link_stats st;
	struct pair p;
	uint32_t complete = 0, partial = 0, none = 0;

	memset(&log, 0, sizeof(log));
	pair_setup(&p, 22, &ab, &ba, NULL);
	/* Resolve first over a clean link, so that loss hits fragments. */
	struct sim_link_params clean = ab;
	clean.loss_ppm = 0;
	sim_link_set_params(p.link, SIM_AB, &clean);
	pair_warm_arp(&p);
	sim_link_set_params(p.link, SIM_AB, &ab);
	sim_set_tap(p.sim, frag_tap, &log);
	uint64_t reasm0 = ctr(p.b, STACK_CTR_frag_reassembled);

	struct pacer pc = {.node = p.a,
			   .sock = p.sock_a,
			   .dst = ADDR_B,
			   .dport = PORT_B,
			   .count = DGRAMS,
			   .len = DGRAM_LEN,
			   .interval_ns = SIM_MS(3)};
	pacer_start(p.sim, &pc);
	sim_run_until(p.sim, sim_now(p.sim) + SIM_SEC(2));
	ck_assert_uint_eq(pc.sent, DGRAMS);
	sim_link_stats(p.link, SIM_AB, &st);
	ck_assert_uint_gt(st.lost, 0);

	/* Classify each datagram by the fragments that reached B. */
	for (uint32_t id = 0; id < 65536; id++) {
		if (log.frags[id] == FRAGS_PER_DGRAM)
			complete++;
		else if (log.frags[id] > 0)
			partial++;
	}
	none = DGRAMS - complete - partial;
	ck_assert_uint_gt(complete, 0);
	ck_assert_uint_gt(partial, 0);
	ck_assert_uint_eq(complete + partial + none, DGRAMS);

	/* The complete ones arrived intact, once; no others did. */
	ck_assert_uint_eq(p.sink_b.datagrams, complete);
	ck_assert_uint_eq(p.sink_b.corrupt, 0);
	for (uint32_t i = 0; i < DGRAMS; i++)
		ck_assert_uint_le(p.sink_b.seen[i], 1);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_frag_reassembled) - reasm0,
			  complete);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_frag_drop_timeout), 0);
	ck_assert(!pool_empty(p.b)); /* partial datagrams are held */

	/* The partial ones time out, each counted, and free their buffers. */
	run_past_reassembly_timeout(&p);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_frag_drop_timeout), partial);
	ck_assert_uint_eq(p.sink_b.datagrams, complete);
	ck_assert(pool_empty(p.a));
	ck_assert(pool_empty(p.b));
	pair_teardown(&p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc,
		       test_reordered_duplicated_fragments_reassemble_intact);
	tcase_add_test(
	    tc, test_lossy_link_delivers_intact_or_times_out_without_leaks);
}

int main(void)
{
	return sim_run_suite("sim_frag", add_tests);
}
