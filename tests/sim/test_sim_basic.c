/*
 * test_sim_basic.c - two stacks on a wire: ARP then UDP, with exact
 * timing; a learning switch; a scripted peer; the event heap's bound
 */
#include "sim_test.h"

/* 100 Mbit/s: 80 ns per byte, so serialization times are exact. */
#define BW_100M		 100000000ull
#define NS_PER_BYTE_100M 80ull
#define ARP_FRAME_LEN	 42u /* the stack does not pad to 60 */

START_TEST(test_arp_then_datagram_arrives_once_after_three_crossings)
{
	const struct sim_link_params wire = {
	    .delay_ns = SIM_MS(10),
	    .bandwidth_bps = BW_100M,
	};
	struct pair p;
	struct sim_link_stats ab, ba;
	const size_t len = 1000;

	pair_setup(&p, 1, &wire, NULL, NULL);
	/* The gratuitous ARPs of both hosts cross and teach nothing. */
	sim_run_until(p.sim, SIM_T0_NS + SIM_SEC(1));
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_arp_rx), 1);
	ck_assert_uint_eq(
	    stack_arp_snapshot(sim_node_stack(p.a), sim_now(p.sim), NULL, 0),
	    0);

	uint64_t t_send = sim_now(p.sim);
	ck_assert_int_eq(
	    send_indexed(p.sim, p.a, p.sock_a, ADDR_B, PORT_B, 7, len), 0);
	ck_assert_int_eq(
	    sim_run_while(p.sim, sink_waiting, &p.sink_b, t_send + SIM_SEC(5)),
	    0);
	/* request A->B, reply B->A, datagram A->B; each frame serialized
	 * at 80 ns a byte and then 10 ms on the wire. */
	uint64_t expect = t_send + 3 * SIM_MS(10) +
			  2 * ARP_FRAME_LEN * NS_PER_BYTE_100M +
			  (UDP_FRAME_OVERHEAD + len) * NS_PER_BYTE_100M;
	ck_assert_uint_eq(p.sink_b.first_ns, expect);

	/* Exactly once, intact, from A's socket. */
	sim_run_until(p.sim, sim_now(p.sim) + SIM_SEC(1));
	ck_assert_uint_eq(p.sink_b.datagrams, 1);
	ck_assert_uint_eq(p.sink_b.corrupt, 0);
	ck_assert_uint_eq(p.sink_b.seen[7], 1);
	ck_assert_uint_eq(p.sink_b.bytes, len);
	ck_assert_uint_eq(p.sink_b.src_addr, ADDR_A);
	ck_assert_uint_eq(p.sink_b.src_port, PORT_A);

	/* gratuitous + request + datagram one way, gratuitous + reply back */
	sim_link_stats(p.link, SIM_AB, &ab);
	sim_link_stats(p.link, SIM_BA, &ba);
	ck_assert_uint_eq(ab.sent, 3);
	ck_assert_uint_eq(ab.delivered, 3);
	ck_assert_uint_eq(ab.delivered_bytes,
			  2 * ARP_FRAME_LEN + UDP_FRAME_OVERHEAD + len);
	ck_assert_uint_eq(ba.sent, 2);
	ck_assert_uint_eq(ba.delivered, 2);

	/* With the address resolved, the next one takes one crossing. */
	t_send = sim_now(p.sim);
	p.sink_b.datagrams = 0;
	ck_assert_int_eq(
	    send_indexed(p.sim, p.a, p.sock_a, ADDR_B, PORT_B, 8, len), 0);
	ck_assert_int_eq(
	    sim_run_while(p.sim, sink_waiting, &p.sink_b, t_send + SIM_SEC(5)),
	    0);
	ck_assert_uint_eq(p.sink_b.first_ns,
			  t_send + SIM_MS(10) +
			      (UDP_FRAME_OVERHEAD + len) * NS_PER_BYTE_100M);
	pair_teardown(&p);
}
END_TEST

/* A learning switch sends known unicast out of one port only. */
START_TEST(test_switch_floods_broadcast_and_forwards_known_unicast)
{
	const struct sim_link_params wire = {.delay_ns = SIM_MS(1)};
	struct sim *sim = sim_new(&(struct sim_config){.seed = 3});
	struct sink sink_c = {0};
	struct sim_node *a, *b, *c, *sw;
	struct sim_link *la, *lb, *lc;
	struct sim_link_stats st;

	a = sim_add_host(sim, "A", ADDR_A, 24, MTU, NULL, NULL, NULL);
	b = sim_add_host(sim, "B", ADDR_B, 24, MTU, NULL, NULL, NULL);
	c = sim_add_host(sim, "C", ADDR_C, 24, MTU, NULL, sink_on_event,
			 &sink_c);
	sw = sim_add_switch(sim, "sw");
	la = sim_link(sim, a, 0, sw, 0, &wire, NULL);
	lb = sim_link(sim, b, 0, sw, 1, &wire, NULL);
	lc = sim_link(sim, c, 0, sw, 2, &wire, NULL);
	ck_assert_ptr_nonnull(la);
	ck_assert_ptr_nonnull(lb);
	ck_assert_ptr_nonnull(lc);
	/* A port takes one link. */
	ck_assert_ptr_null(sim_link(sim, a, 0, sw, 3, &wire, NULL));

	int sa = udp_socket_open(sim_node_stack(a), 0, PORT_A, 0, 0);
	sink_c.sock = udp_socket_open(sim_node_stack(c), 0, PORT_B, 0, 0);
	/* The gratuitous ARPs teach the switch every host's port. */
	sim_run_until(sim, SIM_T0_NS + SIM_SEC(1));
	uint64_t t_send = sim_now(sim);
	ck_assert_int_eq(send_indexed(sim, a, sa, ADDR_C, PORT_B, 1, 100), 0);
	sim_run_until(sim, t_send + SIM_SEC(1));

	ck_assert_uint_eq(sink_c.datagrams, 1);
	ck_assert_uint_eq(sink_c.corrupt, 0);
	/* request, reply, datagram: two links each, 1 ms a link */
	ck_assert_uint_eq(sink_c.first_ns, t_send + 6 * SIM_MS(1));
	/* B saw the other two gratuitous ARPs and the request, nothing
	 * addressed to someone else. */
	sim_link_stats(lb, SIM_BA, &st);
	ck_assert_uint_eq(st.delivered, 3);
	ck_assert_uint_eq(ctr(b, STACK_CTR_eth_rx_drop_not_for_us), 0);
	ck_assert_uint_eq(ctr(b, STACK_CTR_udp_rx), 0);
	sim_assert_clean(sim);
	sim_free(sim);
}
END_TEST

/* ---- a scripted peer: hand-built frames against a real stack ---- */

#define PEER_ADDR 0x0a000009u
static const uint8_t PEER_MAC[6] = {0x02, 0, 0, 0, 0, 0x09};

struct script_state {
	int arp_requests;
	int udp_frames;
	uint64_t udp_at;
	uint8_t a_mac[6];
	uint8_t udp_payload[64];
	size_t udp_len;
};

static uint16_t ipv4_header_checksum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += get_be16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void script_rx(struct sim *sim, struct sim_node *node, int port,
		      const uint8_t *f, size_t len, void *arg)
{
	struct script_state *st = arg;
	uint8_t out[64] = {0};

	ck_assert_uint_ge(len, 42);
	if (f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 &&
	    get_be32(f + 38) == PEER_ADDR) {
		/* who-has PEER_ADDR: reply PEER_ADDR is-at PEER_MAC */
		st->arp_requests++;
		memcpy(st->a_mac, f + 6, 6);
		memcpy(out, f + 6, 6);
		memcpy(out + 6, PEER_MAC, 6);
		put_be16(out + 12, 0x0806);
		put_be16(out + 14, 1);
		put_be16(out + 16, 0x0800);
		out[18] = 6;
		out[19] = 4;
		put_be16(out + 20, 2);
		memcpy(out + 22, PEER_MAC, 6);
		put_be32(out + 28, PEER_ADDR);
		memcpy(out + 32, f + 22, 6);
		memcpy(out + 38, f + 28, 4);
		ck_assert_int_eq(sim_node_send(sim, node, port, out, 42), 0);
		return;
	}
	if (f[12] == 0x08 && f[13] == 0x00 && f[23] == 17) {
		st->udp_frames++;
		st->udp_at = sim_now(sim);
		st->udp_len = len - 42;
		ck_assert_uint_le(st->udp_len, sizeof(st->udp_payload));
		memcpy(st->udp_payload, f + 42, st->udp_len);
		ck_assert_uint_eq(get_be32(f + 26), ADDR_A);
		ck_assert_uint_eq(get_be32(f + 30), PEER_ADDR);
		ck_assert_uint_eq((f[34] << 8) | f[35], PORT_A);
		ck_assert_uint_eq((f[36] << 8) | f[37], 4444);
	}
}

/* The peer answers with a UDP datagram built by hand (checksum 0). */
struct script_reply {
	struct sim_node *peer;
	struct script_state *st;
};

static void script_send_reply(struct sim *sim, void *arg)
{
	struct script_reply *r = arg;
	uint8_t f[42 + 8];

	memcpy(f, r->st->a_mac, 6);
	memcpy(f + 6, PEER_MAC, 6);
	put_be16(f + 12, 0x0800);
	memset(f + 14, 0, 20);
	f[14] = 0x45;
	put_be16(f + 16, 20 + 8 + 8);
	f[22] = 64;
	f[23] = 17;
	put_be32(f + 26, PEER_ADDR);
	put_be32(f + 30, ADDR_A);
	put_be16(f + 24, ipv4_header_checksum(f + 14));
	put_be16(f + 34, 4444);
	put_be16(f + 36, PORT_A);
	put_be16(f + 38, 8 + 8);
	put_be16(f + 40, 0);
	payload_fill(f + 42, 8, 99);
	ck_assert_int_eq(sim_node_send(sim, r->peer, 0, f, sizeof(f)), 0);
}

START_TEST(test_scripted_peer_answers_arp_and_exchanges_udp)
{
	const struct sim_link_params wire = {.delay_ns = SIM_MS(1)};
	struct sim *sim = sim_new(&(struct sim_config){.seed = 4});
	struct script_state st = {0};
	struct sink sink_a = {0};
	struct sim_node *a, *peer;

	a = sim_add_host(sim, "A", ADDR_A, 24, MTU, NULL, sink_on_event,
			 &sink_a);
	peer = sim_add_script(sim, "peer", script_rx, &st);
	ck_assert_ptr_nonnull(sim_link(sim, a, 0, peer, 0, &wire, NULL));
	ck_assert_int_eq(sim_node_send(sim, a, 0, "x", 1), -EINVAL);
	sink_a.sock = udp_socket_open(sim_node_stack(a), 0, PORT_A, 0, 0);
	sim_run_until(sim, SIM_T0_NS + SIM_SEC(1));

	uint64_t t_send = sim_now(sim);
	ck_assert_int_eq(
	    send_indexed(sim, a, sink_a.sock, PEER_ADDR, 4444, 5, 20), 0);
	sim_run_until(sim, t_send + SIM_MS(10));
	ck_assert_int_eq(st.arp_requests, 1);
	ck_assert_int_eq(st.udp_frames, 1);
	ck_assert_uint_eq(st.udp_at, t_send + 3 * SIM_MS(1));
	uint32_t idx;
	ck_assert(payload_check(st.udp_payload, st.udp_len, &idx));
	ck_assert_uint_eq(idx, 5);

	struct script_reply r = {peer, &st};
	ck_assert_int_eq(
	    sim_at(sim, t_send + SIM_MS(20), script_send_reply, &r), 0);
	ck_assert_int_eq(sim_at(sim, t_send, script_send_reply, &r), -EINVAL);
	sim_run_until(sim, t_send + SIM_MS(30));
	ck_assert_uint_eq(sink_a.datagrams, 1);
	ck_assert_uint_eq(sink_a.seen[99], 1);
	ck_assert_uint_eq(sink_a.src_port, 4444);
	ck_assert_uint_eq(sink_a.first_ns, t_send + SIM_MS(21));
	sim_assert_clean(sim);
	sim_free(sim);
}
END_TEST

/* At the heap's maximum a frame is not queued: it is counted lost to
 * the simulator (events_overflow) and nothing leaks. */
START_TEST(test_full_event_heap_discards_and_counts)
{
	const struct sim_link_params wire = {.delay_ns = SIM_MS(1)};
	struct sim *sim =
	    sim_new(&(struct sim_config){.seed = 5, .events_max = 4});
	struct sink sink_b = {0};
	struct sim_node *a, *b;
	struct sim_stats st;

	a = sim_add_host(sim, "A", ADDR_A, 24, MTU, NULL, NULL, NULL);
	b = sim_add_host(sim, "B", ADDR_B, 24, MTU, NULL, sink_on_event,
			 &sink_b);
	sim_link(sim, a, 0, b, 0, &wire, NULL);
	int sa = udp_socket_open(sim_node_stack(a), 0, PORT_A, 0, 0);
	sink_b.sock = udp_socket_open(sim_node_stack(b), 0, PORT_B, 0, 0);
	sim_run_until(sim, SIM_T0_NS + SIM_SEC(1));
	/* Ten broadcasts at once need ten events in flight. */
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(
		    send_indexed(sim, a, sa, 0x0a0000ffu, PORT_B, i, 32), 0);
	sim_run_until(sim, sim_now(sim) + SIM_SEC(1));
	sim_get_stats(sim, &st);
	ck_assert_uint_eq(st.events_overflow, 6);
	ck_assert_uint_eq(sink_b.datagrams, 4);
	ck_assert_uint_eq(sink_b.corrupt, 0);
	/* Frames still in flight are freed with the simulation. */
	ck_assert_int_eq(send_indexed(sim, a, sa, 0x0a0000ffu, PORT_B, 11, 32),
			 0);
	sim_run_until(sim, sim_now(sim));
	sim_free(sim);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(
	    tc, test_arp_then_datagram_arrives_once_after_three_crossings);
	tcase_add_test(tc,
		       test_switch_floods_broadcast_and_forwards_known_unicast);
	tcase_add_test(tc, test_scripted_peer_answers_arp_and_exchanges_udp);
	tcase_add_test(tc, test_full_event_heap_discards_and_counts);
}

int main(void)
{
	return sim_run_suite("sim_basic", add_tests);
}
