/*
 * test_multi_if.c - a host with two interfaces: delivery by the strong
 * host model, the source address from the outgoing interface
 *
 * Interface 0 is the harness's (OUR_MAC, 10.0.0.2/24, peer 10.0.0.1);
 * interface 1 has B_MAC and 10.0.1.2/24, its peer 10.0.1.1 at
 * B_PEER_MAC. A frame for one interface's address that arrives on the
 * other is dropped and counted (ip_rx_drop_wrong_if), whatever the
 * protocol, and nothing answers it.
 */
#include "tcp_harness.h"

#define B_ADDR	    0x0a000102u /* 10.0.1.2 */
#define B_PEER_ADDR 0x0a000101u /* 10.0.1.1 */
#define B_BCAST	    0x0a0001ffu /* 10.0.1.255 */
#define A_BCAST	    0x0a0000ffu /* 10.0.0.255 */

static const uint8_t B_MAC[6] = {0x02, 0, 0, 0, 1, 0x02};
static const uint8_t B_PEER_MAC[6] = {0x02, 0, 0, 0, 1, 0x01};

/* The harness's stack plus interface 1; both peers' MACs are known. */
static struct stack *two_if_stack(void)
{
	static const uint8_t zero[6];
	struct stack *s = t_stack();
	struct tframe f;
	struct pkt *p;

	ck_assert_int_eq(stack_if_add(s, "tap1", B_MAC, 1500), 1);
	ck_assert_int_eq(stack_if_set_address(s, T0, 1, B_ADDR, 24), 0);
	t_learn_peer(s);
	t_arp_frame(&f, BCAST_MAC, 1, B_PEER_MAC, B_PEER_ADDR, zero, B_ADDR);
	p = stack_pkt_alloc(s, f.len);
	memcpy(p->data, f.b, f.len);
	p->len = (uint32_t)f.len;
	p->ifindex = 1;
	stack_input(s, T0, p);
	t_drain(s);
	return s;
}

/* Feeds f to the stack as received on ifindex, rewriting its Ethernet
 * addresses to that interface's (unless the frame is a broadcast). */
static void input_on(struct stack *s, int ifindex, struct tframe *f)
{
	struct pkt *p;

	if (memcmp(f->b, BCAST_MAC, 6) != 0)
		memcpy(f->b, ifindex ? B_MAC : OUR_MAC, 6);
	memcpy(f->b + 6, ifindex ? B_PEER_MAC : PEER_MAC, 6);
	p = stack_pkt_alloc(s, f->len);
	ck_assert_ptr_nonnull(p);
	memcpy(p->data, f->b, f->len);
	p->len = (uint32_t)f->len;
	p->ifindex = (uint16_t)ifindex;
	stack_input(s, T0, p);
}

/* Pops the next frame, checks its interface and IPv4 addresses. */
static void expect_tx(struct stack *s, uint8_t proto, int ifindex,
		      uint32_t saddr, uint32_t daddr)
{
	struct pkt *p = t_pop_ipv4(s, proto);

	ck_assert_int_eq(p->ifindex, ifindex);
	ck_assert_mem_eq(p->data + 6, ifindex ? B_MAC : OUR_MAC, 6);
	ck_assert_uint_eq(get_be32(p->data + 14 + 12), saddr);
	ck_assert_uint_eq(get_be32(p->data + 14 + 16), daddr);
	stack_pkt_free(s, p);
}

START_TEST(test_ping_answered_only_on_the_addresses_interface)
{
	struct stack *s = two_if_stack();
	struct tframe f;

	/* Interface 1's address asked on interface 0: dropped, silent. */
	t_ping_frame(&f, B_ADDR, 1, 1, "x", 1);
	input_on(s, 0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_wrong_if), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_not_for_us), 0);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx), 0);
	ck_assert_ptr_null(stack_pop_tx(s));

	/* And the other way round. */
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	put_be32(f.b + 14 + 12, B_PEER_ADDR);
	t_ipv4_recsum(f.b + 14);
	input_on(s, 1, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_wrong_if), 2);
	ck_assert_ptr_null(stack_pop_tx(s));

	/* Each on its own interface: answered there, from its address. */
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	input_on(s, 0, &f);
	expect_tx(s, IPV4_PROTO_ICMP, 0, OUR_ADDR, PEER_ADDR);
	t_ping_frame(&f, B_ADDR, 1, 1, "x", 1);
	put_be32(f.b + 14 + 12, B_PEER_ADDR);
	t_ipv4_recsum(f.b + 14);
	input_on(s, 1, &f);
	expect_tx(s, IPV4_PROTO_ICMP, 1, B_ADDR, B_PEER_ADDR);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx), 2);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_wrong_if), 2);
	stack_free(s);
}
END_TEST

START_TEST(test_udp_socket_bound_to_one_address_hears_only_its_interface)
{
	struct stack *s = two_if_stack();
	struct udp_datagram dg;
	struct tframe f;
	int sa = udp_socket_open(s, OUR_ADDR, 5000, 0, 0);
	int sb = udp_socket_open(s, B_ADDR, 5000, 0, 0);

	ck_assert_int_ge(sa, 0);
	ck_assert_int_ge(sb, 0);

	/* For A's address, arriving on B: neither socket, no ICMP. */
	t_udp_frame(&f, B_PEER_ADDR, 7, OUR_ADDR, 5000, "wrong", 5);
	input_on(s, 1, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_wrong_if), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx), 0);
	ck_assert_int_eq(udp_peek(s, sa, &dg), -EAGAIN);
	ck_assert_int_eq(udp_peek(s, sb, &dg), -EAGAIN);
	ck_assert_ptr_null(stack_pop_tx(s));

	/* Each on its own interface, to its own socket. */
	t_udp_frame(&f, PEER_ADDR, 7, OUR_ADDR, 5000, "to-a", 4);
	input_on(s, 0, &f);
	t_udp_frame(&f, B_PEER_ADDR, 7, B_ADDR, 5000, "to-b", 4);
	input_on(s, 1, &f);
	ck_assert_int_eq(udp_peek(s, sa, &dg), 0);
	ck_assert_mem_eq(dg.data, "to-a", 4);
	udp_pop(s, sa);
	ck_assert_int_eq(udp_peek(s, sa, &dg), -EAGAIN);
	ck_assert_int_eq(udp_peek(s, sb, &dg), 0);
	ck_assert_mem_eq(dg.data, "to-b", 4);
	ck_assert_uint_eq(dg.dst_addr, B_ADDR);
	stack_free(s);
}
END_TEST

START_TEST(test_broadcasts_are_taken_per_interface)
{
	struct stack *s = two_if_stack();
	struct udp_datagram dg;
	struct tframe f;
	int u = udp_socket_open(s, 0, 68, 0, 0);

	ck_assert_int_ge(u, 0);
	/* The limited broadcast, on either interface. */
	t_udp_frame(&f, PEER_ADDR, 67, IPV4_BROADCAST, 68, "lim0", 4);
	memcpy(f.b, BCAST_MAC, 6);
	input_on(s, 0, &f);
	t_udp_frame(&f, B_PEER_ADDR, 67, IPV4_BROADCAST, 68, "lim1", 4);
	memcpy(f.b, BCAST_MAC, 6);
	input_on(s, 1, &f);
	/* Each interface's directed broadcast, on its own interface. */
	t_udp_frame(&f, PEER_ADDR, 67, A_BCAST, 68, "dir0", 4);
	memcpy(f.b, BCAST_MAC, 6);
	input_on(s, 0, &f);
	t_udp_frame(&f, B_PEER_ADDR, 67, B_BCAST, 68, "dir1", 4);
	memcpy(f.b, BCAST_MAC, 6);
	input_on(s, 1, &f);
	/* B's directed broadcast arriving on A is no broadcast of A's. */
	t_udp_frame(&f, PEER_ADDR, 67, B_BCAST, 68, "nope", 4);
	memcpy(f.b, BCAST_MAC, 6);
	input_on(s, 0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_not_for_us), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_wrong_if), 0);

	const char *want[] = {"lim0", "lim1", "dir0", "dir1"};
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(udp_peek(s, u, &dg), 0);
		ck_assert_mem_eq(dg.data, want[i], 4);
		udp_pop(s, u);
	}
	ck_assert_int_eq(udp_peek(s, u, &dg), -EAGAIN);
	stack_free(s);
}
END_TEST

START_TEST(test_udp_source_is_the_outgoing_interfaces_address)
{
	struct stack *s = two_if_stack();
	int u = udp_socket_open(s, 0, 0, 0, 0);

	ck_assert_int_ge(u, 0);
	ck_assert_int_eq(udp_send(s, T0, u, PEER_ADDR, 9, "a", 1), 0);
	expect_tx(s, IPV4_PROTO_UDP, 0, OUR_ADDR, PEER_ADDR);
	ck_assert_int_eq(udp_send(s, T0, u, B_PEER_ADDR, 9, "b", 1), 0);
	expect_tx(s, IPV4_PROTO_UDP, 1, B_ADDR, B_PEER_ADDR);

	/* Off-link, by the default route of interface 1. */
	ck_assert_int_eq(stack_route_add(s, 0, 0, B_PEER_ADDR, 1), 0);
	ck_assert_int_eq(udp_send(s, T0, u, 0x08080808, 53, "c", 1), 0);
	expect_tx(s, IPV4_PROTO_UDP, 1, B_ADDR, 0x08080808);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_tcp_connect_source_follows_the_route)
{
	struct stack *s = two_if_stack();
	struct tcp_seg seg;
	struct pkt *p;

	ck_assert_int_ge(tcp_connect(s, T0, 0, 0, B_PEER_ADDR, 80, NULL), 0);
	p = t_pop_ipv4(s, IPV4_PROTO_TCP);
	ck_assert_int_eq(p->ifindex, 1);
	t_parse(p, &seg);
	ck_assert_uint_eq(seg.saddr, B_ADDR);
	ck_assert_uint_eq(seg.flags, TCP_SYN);
	stack_pkt_free(s, p);

	/* An explicit local address of interface 0 to a peer routed out
	 * of interface 1: routed by destination, as Linux does, with the
	 * bound address as the source. */
	ck_assert_int_ge(tcp_connect(s, T0, OUR_ADDR, 0, B_PEER_ADDR, 81, NULL),
			 0);
	p = t_pop_ipv4(s, IPV4_PROTO_TCP);
	ck_assert_int_eq(p->ifindex, 1);
	t_parse(p, &seg);
	ck_assert_uint_eq(seg.saddr, OUR_ADDR);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_tcp_syn_for_the_other_interfaces_address_is_dropped)
{
	struct stack *s = two_if_stack();
	struct tcp_seg seg;
	struct tframe f;
	int l = tcp_listen(s, 0, 80, 8, NULL);
	struct t_tcp syn = {
	    .saddr = B_PEER_ADDR,
	    .daddr = OUR_ADDR,
	    .sport = 40000,
	    .dport = 80,
	    .seq = 1000,
	    .flags = TCP_SYN,
	    .wnd = 65535,
	};

	ck_assert_int_ge(l, 0);
	/* To A's address through B: no SYN-ACK, no RST. */
	t_tcp_frame(&f, &syn);
	input_on(s, 1, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_wrong_if), 1);
	ck_assert_ptr_null(stack_pop_tx(s));

	/* To B's address through B: answered from B's address, on B. */
	syn.daddr = B_ADDR;
	t_tcp_frame(&f, &syn);
	input_on(s, 1, &f);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_TCP);
	ck_assert_int_eq(p->ifindex, 1);
	t_parse(p, &seg);
	ck_assert_uint_eq(seg.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(seg.saddr, B_ADDR);
	ck_assert_uint_eq(seg.daddr, B_PEER_ADDR);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("multi_if");
	TCase *tc = tcase_create("multi_if");

	tcase_add_test(tc, test_ping_answered_only_on_the_addresses_interface);
	tcase_add_test(
	    tc, test_udp_socket_bound_to_one_address_hears_only_its_interface);
	tcase_add_test(tc, test_broadcasts_are_taken_per_interface);
	tcase_add_test(tc, test_udp_source_is_the_outgoing_interfaces_address);
	tcase_add_test(tc, test_tcp_connect_source_follows_the_route);
	tcase_add_test(
	    tc, test_tcp_syn_for_the_other_interfaces_address_is_dropped);
	suite_add_tcase(su, tc);
	return t_run(su);
}
