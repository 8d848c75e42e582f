/*
 * sim_test.h - helpers shared by the simulated-network scenarios
 *
 * Two hosts A (10.0.0.1) and B (10.0.0.2) on one /24, a UDP socket on
 * each, and a "sink" that pops every datagram a socket receives, checks
 * its content and records when it came. Payloads carry their index in
 * the first four bytes and a pattern derived from it after, so a
 * receiver can tell which datagram it holds and whether it is intact.
 */
#ifndef UTCP_SIM_TEST_H
#define UTCP_SIM_TEST_H

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "sim.h"

#define ADDR_A 0x0a000001u /* 10.0.0.1 */
#define ADDR_B 0x0a000002u /* 10.0.0.2 */
#define ADDR_C 0x0a000003u /* 10.0.0.3 */
#define PORT_A 1000
#define PORT_B 2000
#define MTU    1500
/* Ethernet + IPv4 + UDP headers in front of a UDP payload. */
#define UDP_FRAME_OVERHEAD (14 + 20 + 8)
#define SINK_INDEX_MAX	   4096

/* Receives on one socket of one node. */
struct sink {
	int sock;
	uint64_t datagrams;
	uint64_t bytes;	   /* payload bytes */
	uint64_t first_ns; /* arrival of the first datagram */
	uint64_t last_ns;  /* ... and of the last */
	uint64_t corrupt;  /* datagrams whose content was wrong */
	uint32_t src_addr;
	uint16_t src_port;
	uint16_t seen[SINK_INDEX_MAX]; /* times each index arrived */
};

static inline void payload_fill(uint8_t *buf, size_t len, uint32_t index)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + index * 31 + (i >> 8));
	if (len >= 4) {
		buf[0] = (uint8_t)(index >> 24);
		buf[1] = (uint8_t)(index >> 16);
		buf[2] = (uint8_t)(index >> 8);
		buf[3] = (uint8_t)index;
	}
}

/* Returns whether data is an intact payload; its index in *index. */
static inline bool payload_check(const uint8_t *data, size_t len,
				 uint32_t *index)
{
	uint32_t idx;

	if (len < 4)
		return false;
	idx = get_be32(data);
	for (size_t i = 4; i < len; i++)
		if (data[i] != (uint8_t)(i * 7 + idx * 31 + (i >> 8)))
			return false;
	*index = idx;
	return true;
}

/* A node's event callback: `arg` is the node's struct sink. */
static inline void sink_on_event(struct sim *sim, struct sim_node *node,
				 const struct stack_event *ev, void *arg)
{
	struct sink *k = arg;
	struct stack *s = sim_node_stack(node);
	struct udp_datagram dg;

	if (!k || ev->type != STACK_EV_UDP_READABLE || ev->sock != k->sock)
		return;
	while (udp_peek(s, k->sock, &dg) == 0) {
		uint32_t idx;
		if (!payload_check(dg.data, dg.len, &idx))
			k->corrupt++;
		else if (idx < SINK_INDEX_MAX)
			k->seen[idx]++;
		if (k->datagrams == 0)
			k->first_ns = sim_now(sim);
		k->last_ns = sim_now(sim);
		k->datagrams++;
		k->bytes += dg.len;
		k->src_addr = dg.src_addr;
		k->src_port = dg.src_port;
		udp_pop(s, k->sock);
	}
}

/* Two hosts joined by one link; each with a socket and a sink. */
struct pair {
	struct sim *sim;
	struct sim_node *a, *b;
	struct sim_link *link;
	int sock_a, sock_b;
	struct sink sink_a, sink_b;
};

static inline void pair_setup(struct pair *p, uint64_t seed,
			      const struct sim_link_params *ab,
			      const struct sim_link_params *ba,
			      const struct stack_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->sim = sim_new(&(struct sim_config){.seed = seed});
	ck_assert_ptr_nonnull(p->sim);
	p->a = sim_add_host(p->sim, "A", ADDR_A, 24, MTU, lim, sink_on_event,
			    &p->sink_a);
	p->b = sim_add_host(p->sim, "B", ADDR_B, 24, MTU, lim, sink_on_event,
			    &p->sink_b);
	ck_assert_ptr_nonnull(p->a);
	ck_assert_ptr_nonnull(p->b);
	p->link = sim_link(p->sim, p->a, 0, p->b, 0, ab, ba);
	ck_assert_ptr_nonnull(p->link);
	p->sock_a = udp_socket_open(sim_node_stack(p->a), 0, PORT_A, 0, 0);
	p->sock_b = udp_socket_open(sim_node_stack(p->b), 0, PORT_B, 0, 0);
	ck_assert_int_ge(p->sock_a, 0);
	ck_assert_int_ge(p->sock_b, 0);
	p->sink_a.sock = p->sock_a;
	p->sink_b.sock = p->sock_b;
}

/* The simulator's own faults: every scenario ends with none. */
static inline void sim_assert_clean(struct sim *sim)
{
	struct sim_stats st;

	sim_get_stats(sim, &st);
	ck_assert_uint_eq(st.events_overflow, 0);
	ck_assert_uint_eq(st.timer_stuck, 0);
	ck_assert_uint_eq(st.tx_unattached, 0);
}

/* At rest, every frame offered to a direction is accounted for. */
static inline void link_assert_balanced(const struct sim_link *l,
					enum sim_dir dir)
{
	struct sim_link_stats st;

	sim_link_stats(l, dir, &st);
	ck_assert_uint_eq(st.sent + st.duplicated,
			  st.queue_drops + st.lost + st.dropped + st.delivered);
}

static inline void pair_teardown(struct pair *p)
{
	sim_assert_clean(p->sim);
	link_assert_balanced(p->link, SIM_AB);
	link_assert_balanced(p->link, SIM_BA);
	sim_free(p->sim);
}

static inline uint64_t ctr(struct sim_node *n, enum stack_counter c)
{
	return stack_counter_get(sim_node_stack(n), c);
}

/* Sends payload #index of len bytes from (node, sock) to dst:dport now. */
static inline int send_indexed(struct sim *sim, struct sim_node *n, int sock,
			       uint32_t dst, uint16_t dport, uint32_t index,
			       size_t len)
{
	static uint8_t buf[65536];

	payload_fill(buf, len, index);
	return udp_send(sim_node_stack(n), sim_now(sim), sock, dst, dport, buf,
			len);
}

/* Sends `count` datagrams of `len` bytes, one every `interval_ns`,
 * starting when first scheduled (pacer_start); payload indices 0.. */
struct pacer {
	struct sim_node *node;
	int sock;
	uint32_t dst;
	uint16_t dport;
	uint32_t count;
	size_t len;
	uint64_t interval_ns;
	uint32_t sent;	 /* udp_send calls that returned 0 */
	uint32_t failed; /* ... that returned an error */
};

static inline void pacer_tick(struct sim *sim, void *arg)
{
	struct pacer *pc = arg;
	uint32_t index = pc->sent + pc->failed;

	if (send_indexed(sim, pc->node, pc->sock, pc->dst, pc->dport, index,
			 pc->len) == 0)
		pc->sent++;
	else
		pc->failed++;
	if (index + 1 < pc->count)
		ck_assert_int_eq(
		    sim_at(sim, sim_now(sim) + pc->interval_ns, pacer_tick, pc),
		    0);
}

static inline void pacer_start(struct sim *sim, struct pacer *pc)
{
	ck_assert_int_eq(sim_at(sim, sim_now(sim), pacer_tick, pc), 0);
}

static inline bool sink_waiting(struct sim *sim, void *arg)
{
	const struct sink *k = arg;

	(void)sim;
	return k->datagrams == 0;
}

/* Resolves A <-> B by ARP with one small datagram A -> B (index
 * SINK_INDEX_MAX - 1), then forgets it from B's sink. */
static inline void pair_warm_arp(struct pair *p)
{
	ck_assert_int_eq(send_indexed(p->sim, p->a, p->sock_a, ADDR_B, PORT_B,
				      SINK_INDEX_MAX - 1, 16),
			 0);
	ck_assert_int_eq(sim_run_while(p->sim, sink_waiting, &p->sink_b,
				       sim_now(p->sim) + SIM_SEC(5)),
			 0);
	memset(&p->sink_b, 0, sizeof(p->sink_b));
	p->sink_b.sock = p->sock_b;
}

static inline bool pool_empty(struct sim_node *n)
{
	struct stack_pool_info pi;

	stack_pool_info(sim_node_stack(n), &pi);
	return pi.in_use[PKT_CLASS_SMALL] == 0 &&
	       pi.in_use[PKT_CLASS_LARGE] == 0;
}

/* Runs a check suite of one test case; the exit status main returns. */
static inline int sim_run_suite(const char *name, void (*add)(TCase *))
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	add(tc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
