/* test_ipv4.c - header checks, addressing, options, routing, output */
#include "harness.h"

static void ping(struct stack *s, struct tframe *f)
{
	t_ping_frame(f, OUR_ADDR, 1, 1, "abcd", 4);
}

START_TEST(test_each_bad_header_is_dropped_with_its_reason)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);

	ping(s, &f);
	f.len = 14 + 12; /* shorter than a header */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_short), 1);

	ping(s, &f);
	f.b[14] = 0x65; /* version 6 */
	t_ipv4_recsum(f.b + 14);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_version), 1);

	ping(s, &f);
	f.b[14] = 0x44; /* IHL 4 */
	t_input(s, T0, &f);
	ping(s, &f);
	f.b[14] = 0x4f; /* IHL 15: 60 bytes, more than the packet */
	f.len = 14 + 40;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_ihl), 2);

	ping(s, &f);
	put_be16(f.b + 14 + 2, 2000); /* total length beyond the frame */
	t_ipv4_recsum(f.b + 14);
	t_input(s, T0, &f);
	ping(s, &f);
	put_be16(f.b + 14 + 2, 10); /* total length below the header */
	t_ipv4_recsum(f.b + 14);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_total_length), 2);

	ping(s, &f);
	f.b[14 + 10] ^= 0x55; /* checksum */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_checksum), 1);

	ck_assert_ptr_null(stack_pop_tx(s)); /* no reply to any of them */
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx), 0);
	stack_free(s);
}
END_TEST

START_TEST(test_ethernet_padding_is_trimmed)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	memset(f.b + f.len, 0xee, 20); /* padding after the datagram */
	f.len += 20;
	t_input(s, T0, &f);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	ck_assert_uint_eq(get_be16(p->data + 14 + 2), 20 + 8 + 1);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_options_are_skipped_and_datagram_delivered)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	/* Build a ping with 8 bytes of options (NOPs and an odd option). */
	t_ping_frame(&f, OUR_ADDR, 1, 1, "opts", 4);
	memmove(f.b + 14 + 28, f.b + 14 + 20, f.len - 34);
	memset(f.b + 14 + 20, 1, 4);			  /* NOP */
	const uint8_t junk[4] = {0x44, 0x04, 0x05, 0x00}; /* timestamp-ish */
	memcpy(f.b + 14 + 24, junk, 4);
	f.len += 8;
	f.b[14] = 0x47;
	put_be16(f.b + 14 + 2, (uint16_t)(f.len - 14));
	t_ipv4_recsum(f.b + 14);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_options), 1);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	ck_assert_mem_eq(p->data + 14 + 20 + 8, "opts", 4);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_not_for_us_and_martian_sources_are_dropped)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_ping_frame(&f, 0x0a000063, 1, 1, "x", 1); /* another host */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_not_for_us), 1);
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	put_be32(f.b + 14 + 12, 0xe0000001); /* multicast source */
	t_ipv4_recsum(f.b + 14);
	t_input(s, T0, &f);
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	put_be32(f.b + 14 + 12, 0x0a0000ff); /* directed broadcast source */
	t_ipv4_recsum(f.b + 14);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_bad_source), 2);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_frame_for_another_mac_is_dropped)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	f.b[5] = 0x77;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_eth_rx_drop_not_for_us), 1);
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	put_be16(f.b + 12, 0x86dd); /* IPv6 */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_eth_rx_drop_ethertype), 1);
	f.len = 10;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_eth_rx_drop_short), 1);
	stack_free(s);
}
END_TEST

START_TEST(test_off_link_destination_goes_to_gateway_mac)
{
	struct stack *s = t_stack();
	t_learn_peer(s); /* the peer 10.0.0.1 is also the gateway */
	ck_assert_int_eq(stack_route_add(s, 0, 0, PEER_ADDR, 0), 0);
	ck_assert_int_eq(stack_route_add(s, 0, 0, PEER_ADDR, 0), -EEXIST);
	int sock = udp_socket_open(s, 0, 0, 0, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, 0xc0a80105, 53, "q", 1), 0);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	ck_assert_mem_eq(p->data, PEER_MAC, 6); /* via gateway */
	ck_assert_uint_eq(get_be32(p->data + 14 + 16), 0xc0a80105); /* dst */
	ck_assert_uint_eq(get_be32(p->data + 14 + 12), OUR_ADDR);
	ck_assert_uint_eq(p->data[14 + 8], IPV4_DEFAULT_TTL);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_no_route_is_enetunreach)
{
	struct stack *s = t_stack();
	t_drain(s);
	int sock = udp_socket_open(s, 0, 0, 0, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, 0xc0a80105, 53, "q", 1),
			 -ENETUNREACH);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_longest_prefix_wins)
{
	struct stack *s = stack_new(&(struct stack_limits){0}, 1);
	ck_assert_ptr_null(s); /* zero limits are refused */
	struct stack_limits lim;
	stack_limits_default(&lim);
	s = stack_new(&lim, 1);
	const uint8_t mac2[6] = {2, 0, 0, 0, 0, 3};
	ck_assert_int_eq(stack_if_add(s, "a", OUR_MAC, 1500), 0);
	ck_assert_int_eq(stack_if_add(s, "b", mac2, 1500), 1);
	stack_if_set_address(s, T0, 0, OUR_ADDR, 24);
	stack_if_set_address(s, T0, 1, 0xc0a80002, 24);
	stack_route_add(s, 0, 0, PEER_ADDR, 0);
	stack_route_add(s, 0xac100000, 12, 0xc0a80001, 1);
	int ifindex;
	uint32_t nh, src;
	ck_assert_int_eq(ipv4_route(s, 0xac100505, &ifindex, &nh, &src), 0);
	ck_assert_int_eq(ifindex, 1);
	ck_assert_uint_eq(nh, 0xc0a80001);
	ck_assert_uint_eq(src, 0xc0a80002);
	ck_assert_int_eq(ipv4_route(s, 0x08080808, &ifindex, &nh, &src), 0);
	ck_assert_int_eq(ifindex, 0);
	ck_assert_uint_eq(nh, PEER_ADDR);
	ck_assert_int_eq(ipv4_route(s, 0xc0a80009, &ifindex, &nh, &src), 0);
	ck_assert_uint_eq(nh, 0xc0a80009); /* on-link */
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipv4");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_each_bad_header_is_dropped_with_its_reason);
	tcase_add_test(tc, test_ethernet_padding_is_trimmed);
	tcase_add_test(tc, test_options_are_skipped_and_datagram_delivered);
	tcase_add_test(tc, test_not_for_us_and_martian_sources_are_dropped);
	tcase_add_test(tc, test_frame_for_another_mac_is_dropped);
	tcase_add_test(tc, test_off_link_destination_goes_to_gateway_mac);
	tcase_add_test(tc, test_no_route_is_enetunreach);
	tcase_add_test(tc, test_longest_prefix_wins);
	suite_add_tcase(s, tc);
	return t_run(s);
}
