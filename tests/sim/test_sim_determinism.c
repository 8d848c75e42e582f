/*
 * test_sim_determinism.c - a fixed seed replays a run exactly; another
 * seed changes where the losses fall
 */
#include "sim_test.h"

#define LOSSES_KEPT 64

/* Everything observable about one run. */
struct outcome {
	struct sim_link_stats ab, ba;
	struct sim_stats sim;
	uint64_t counters_a[STACK_COUNTER_COUNT];
	uint64_t counters_b[STACK_COUNTER_COUNT];
	uint64_t echoes, echo_bytes, echo_corrupt;
	uint64_t trace_hash;		   /* FNV-1a over every frame's fate */
	uint64_t lost_frames[LOSSES_KEPT]; /* A->B frame numbers lost */
	uint32_t nlost;
};

static void hash_bytes(uint64_t *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ull;
	}
}

static void outcome_tap(void *arg, const struct sim_frame_info *fi)
{
	struct outcome *o = arg;
	uint64_t fields[5] = {fi->now, (uint64_t)sim_link_index(fi->link),
			      fi->dir, fi->frame_no,
			      (uint64_t)fi->fate << 1 | fi->duplicate};

	hash_bytes(&o->trace_hash, fields, sizeof(fields));
	hash_bytes(&o->trace_hash, fi->data, fi->len);
	if (fi->fate == SIM_FATE_LOST && fi->dir == SIM_AB &&
	    o->nlost < LOSSES_KEPT)
		o->lost_frames[o->nlost++] = fi->frame_no;
}

/* B sends every datagram back where it came from. */
static void echo_on_event(struct sim *sim, struct sim_node *node,
			  const struct stack_event *ev, void *arg)
{
	struct stack *s = sim_node_stack(node);
	struct udp_datagram dg;
	int sock = *(const int *)arg;

	if (ev->type != STACK_EV_UDP_READABLE || ev->sock != sock)
		return;
	while (udp_peek(s, sock, &dg) == 0) {
		udp_send(s, sim_now(sim), sock, dg.src_addr, dg.src_port,
			 dg.data, dg.len);
		udp_pop(s, sock);
	}
}

/* A pings B with 3000-byte datagrams (three fragments) every ms over a
 * link that loses, duplicates, reorders and queues both ways. */
static void run_mixed(uint64_t seed, struct outcome *o)
{
	const struct sim_link_params wire = {
	    .delay_ns = SIM_MS(3),
	    .bandwidth_bps = 50000000,
	    .queue_bytes_max = 30 * 1024,
	    .loss_ppm = SIM_PERCENT(3),
	    .duplicate_ppm = SIM_PERCENT(2),
	    .reorder_ppm = SIM_PERCENT(5),
	    .reorder_delay_ns = SIM_MS(1),
	};
	struct sim *sim = sim_new(&(struct sim_config){.seed = seed});
	struct sink sink_a = {0};
	struct sim_link *link;
	struct sim_node *a, *b;
	int sock_b;

	memset(o, 0, sizeof(*o));
	o->trace_hash = 0xcbf29ce484222325ull;
	sim_set_tap(sim, outcome_tap, o);
	a = sim_add_host(sim, "A", ADDR_A, 24, MTU, NULL, sink_on_event,
			 &sink_a);
	b = sim_add_host(sim, "B", ADDR_B, 24, MTU, NULL, echo_on_event,
			 &sock_b);
	link = sim_link(sim, a, 0, b, 0, &wire, NULL);
	ck_assert_ptr_nonnull(link);
	sink_a.sock = udp_socket_open(sim_node_stack(a), 0, 0, 0, 0);
	sock_b = udp_socket_open(sim_node_stack(b), 0, PORT_B, 0, 0);
	ck_assert_int_ge(sink_a.sock, 0);

	struct pacer pc = {.node = a,
			   .sock = sink_a.sock,
			   .dst = ADDR_B,
			   .dport = PORT_B,
			   .count = 500,
			   .len = 3000,
			   .interval_ns = SIM_MS(1)};
	pacer_start(sim, &pc);
	/* Past the reassembly timeout, so the run ends at rest. */
	sim_run_until(sim, SIM_T0_NS + SIM_SEC(40));

	sim_link_stats(link, SIM_AB, &o->ab);
	sim_link_stats(link, SIM_BA, &o->ba);
	sim_get_stats(sim, &o->sim);
	for (int c = 0; c < STACK_COUNTER_COUNT; c++) {
		o->counters_a[c] = ctr(a, (enum stack_counter)c);
		o->counters_b[c] = ctr(b, (enum stack_counter)c);
	}
	o->echoes = sink_a.datagrams;
	o->echo_bytes = sink_a.bytes;
	o->echo_corrupt = sink_a.corrupt;
	sim_assert_clean(sim);
	link_assert_balanced(link, SIM_AB);
	link_assert_balanced(link, SIM_BA);
	ck_assert(pool_empty(a));
	ck_assert(pool_empty(b));
	sim_free(sim);
}

START_TEST(test_same_seed_replays_identically)
{
	static struct outcome first, second;

	run_mixed(7, &first);
	run_mixed(7, &second);
	/* The run exercised every impairment ... */
	ck_assert_uint_gt(first.ab.lost, 0);
	ck_assert_uint_gt(first.ab.duplicated, 0);
	ck_assert_uint_gt(first.ab.reordered, 0);
	ck_assert_uint_gt(first.echoes, 0);
	ck_assert_uint_lt(first.echoes, 500);
	ck_assert_uint_eq(first.echo_corrupt, 0);
	/* ... and replayed it frame for frame. */
	ck_assert_uint_eq(first.trace_hash, second.trace_hash);
	ck_assert_mem_eq(&first.ab, &second.ab, sizeof(first.ab));
	ck_assert_mem_eq(&first.ba, &second.ba, sizeof(first.ba));
	ck_assert_mem_eq(first.counters_a, second.counters_a,
			 sizeof(first.counters_a));
	ck_assert_mem_eq(first.counters_b, second.counters_b,
			 sizeof(first.counters_b));
	ck_assert_uint_eq(first.echoes, second.echoes);
	ck_assert_uint_eq(first.nlost, second.nlost);
	ck_assert_mem_eq(first.lost_frames, second.lost_frames,
			 sizeof(first.lost_frames));
	ck_assert_mem_eq(&first, &second, sizeof(first));
}
END_TEST

START_TEST(test_other_seed_loses_other_frames)
{
	static struct outcome first, other;

	run_mixed(7, &first);
	run_mixed(8, &other);
	ck_assert_uint_gt(first.nlost, 0);
	ck_assert_uint_gt(other.nlost, 0);
	ck_assert(first.nlost != other.nlost ||
		  memcmp(first.lost_frames, other.lost_frames,
			 sizeof(first.lost_frames)) != 0);
	ck_assert(first.trace_hash != other.trace_hash);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_same_seed_replays_identically);
	tcase_add_test(tc, test_other_seed_loses_other_frames);
}

int main(void)
{
	return sim_run_suite("sim_determinism", add_tests);
}
