/* test_icmp.c - echo replies, unreachables, the rules and the rate limit */
#include "harness.h"

START_TEST(test_echo_request_gets_reply_with_same_id_seq_and_data)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_ping_frame(&f, OUR_ADDR, 0x1234, 7, "payload!", 8);
	t_input(s, T0, &f);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	const uint8_t *ip = p->data + 14, *m = ip + 20;
	ck_assert_mem_eq(p->data, PEER_MAC, 6);
	ck_assert_uint_eq(get_be32(ip + 12), OUR_ADDR);
	ck_assert_uint_eq(get_be32(ip + 16), PEER_ADDR);
	ck_assert_uint_eq(m[0], ICMP_ECHO_REPLY);
	ck_assert_uint_eq(get_be16(m + 4), 0x1234);
	ck_assert_uint_eq(get_be16(m + 6), 7);
	ck_assert_mem_eq(m + 8, "payload!", 8);
	ck_assert_uint_eq(csum_fold(csum_partial(m, 16, 0)), 0);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_echo_replies), 1);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_large_ping_is_reassembled_and_reply_fragmented)
{
	struct stack *s = t_stack();
	static struct tframe whole, f;
	static uint8_t data[3000];
	t_learn_peer(s);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	t_ping_frame(&whole, OUR_ADDR, 1, 1, data, sizeof(data));
	/* Split the ICMP message (3008 bytes) in fragments of 1480. */
	const uint8_t *msg = whole.b + 34;
	for (size_t off = 0; off < 3008; off += 1480) {
		size_t n = 3008 - off < 1480 ? 3008 - off : 1480;
		t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
		t_ipv4(
		    &f, PEER_ADDR, OUR_ADDR, 1, 99,
		    (uint16_t)((off + n < 3008 ? IPV4_FLAG_MF : 0) | off / 8),
		    n);
		memcpy(f.b + f.len, msg + off, n);
		f.len += n;
		t_input(s, T0, &f);
	}
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_echo_replies), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_tx_fragments), 3);
	ck_assert_int_eq(t_drain(s), 3);
	stack_free(s);
}
END_TEST

START_TEST(test_broadcast_echo_is_not_answered)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_ping_frame(&f, 0x0a0000ff, 1, 1, "x", 1);
	memcpy(f.b, BCAST_MAC, 6);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_requests), 1);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_bad_and_short_icmp_are_dropped)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_ping_frame(&f, OUR_ADDR, 1, 1, "x", 1);
	f.b[34 + 2] ^= 1;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_drop_checksum), 1);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 1, 1, 0, 4);
	memset(f.b + f.len, 8, 4);
	f.len += 4;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_drop_short), 1);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_closed_port_gets_port_unreachable_quoting_datagram)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_udp_frame(&f, PEER_ADDR, 40000, OUR_ADDR, 9999, "hello", 5);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_no_port), 1);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	const uint8_t *m = p->data + 34;
	ck_assert_uint_eq(m[0], ICMP_DEST_UNREACH);
	ck_assert_uint_eq(m[1], ICMP_UNREACH_PORT);
	ck_assert_mem_eq(m + 8, f.b + 14, 20 + 8 + 5); /* the whole original */
	ck_assert_uint_eq(csum_fold(csum_partial(m, p->len - 34, 0)), 0);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_unknown_protocol_gets_protocol_unreachable)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 253, 1, 0, 10);
	memset(f.b + f.len, 0, 10);
	f.len += 10;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_ip_rx_drop_protocol), 1);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	ck_assert_uint_eq(p->data[34], ICMP_DEST_UNREACH);
	ck_assert_uint_eq(p->data[35], ICMP_UNREACH_PROTOCOL);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_no_error_about_broadcast_or_icmp_error)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	t_udp_frame(&f, PEER_ADDR, 40000, 0x0a0000ff, 9999, "x", 1);
	memcpy(f.b, BCAST_MAC, 6);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_no_port), 1);
	/* An ICMP error of unknown protocol payload: type 3 to proto 253
	 * would be an error about an error. */
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 1, 1, 0, 8);
	memset(f.b + f.len, 0, 8);
	f.b[f.len] = 3;
	put_be16(f.b + f.len + 2, csum_fold(csum_partial(f.b + f.len, 8, 0)));
	f.len += 8;
	t_input(s, T0, &f);
	ck_assert_ptr_null(stack_pop_tx(s));
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_unreachable), 0);
	stack_free(s);
}
END_TEST

START_TEST(test_errors_are_rate_limited_and_refill)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.icmp_error_rate = 10;
	lim.icmp_error_burst = 5;
	struct stack *s = t_stack_lim(&lim);
	struct tframe f;
	t_learn_peer(s);
	t_udp_frame(&f, PEER_ADDR, 40000, OUR_ADDR, 9999, "x", 1);
	for (int i = 0; i < 20; i++)
		t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_unreachable), 5);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_rate_limited), 15);
	/* 10 per second: after 0.5 s, five more tokens. */
	for (int i = 0; i < 20; i++)
		t_input(s, T0 + STACK_NS_PER_SEC / 2, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_unreachable), 10);
	t_drain(s);
	stack_free(s);
}
END_TEST

/* The last datagram the stack sent comes back from the peer quoted in an
 * ICMP port unreachable. */
static void t_port_unreachable_for_last_sent(struct stack *s)
{
	struct tframe f, orig;
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	uint8_t *m;

	memcpy(orig.b, p->data + 14, p->len - 14);
	orig.len = p->len - 14;
	stack_pkt_free(s, p);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 1, 1, 0, 8 + orig.len);
	m = f.b + f.len;
	memset(m, 0, 8);
	m[0] = 3;
	m[1] = 3;
	memcpy(m + 8, orig.b, orig.len);
	put_be16(m + 2, csum_fold(csum_partial(m, 8 + orig.len, 0)));
	f.len += 8 + orig.len;
	t_input(s, T0, &f);
}

START_TEST(test_port_unreachable_reported_to_connected_socket)
{
	struct stack *s = t_stack();
	struct stack_event ev;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 5555, PEER_ADDR, 53);
	ck_assert_int_eq(udp_send(s, T0, sock, 0, 0, "q", 1), 0);
	/* The peer answers with port unreachable quoting our datagram. */
	t_port_unreachable_for_last_sent(s);
	ck_assert(stack_pop_event(s, &ev));
	ck_assert_int_eq(ev.type, STACK_EV_UDP_ERROR);
	ck_assert_int_eq(ev.sock, sock);
	ck_assert_int_eq(ev.error, ECONNREFUSED);
	stack_free(s);
}
END_TEST

START_TEST(test_error_of_a_closed_socket_never_reaches_the_next_one)
{
	struct stack *s = t_stack();
	struct stack_event ev;
	int a, b;
	int cookie_b;

	t_learn_peer(s);
	a = udp_socket_open(s, 0, 5555, PEER_ADDR, 53);
	ck_assert_int_eq(udp_send(s, T0, a, 0, 0, "q", 1), 0);
	t_port_unreachable_for_last_sent(s);
	ck_assert_uint_eq(stack_events_queued(s), 1);
	/* A is closed with its error queued; B takes its id at once (a
	 * resolver's next attempt does so). */
	udp_socket_close(s, a);
	b = udp_socket_open(s, 0, 5556, PEER_ADDR, 53);
	ck_assert_int_eq(b, a);
	ck_assert_int_eq(udp_socket_set_user(s, b, &cookie_b), 0);
	while (stack_pop_event(s, &ev))
		ck_assert_ptr_ne(ev.user, &cookie_b);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc,
		       test_echo_request_gets_reply_with_same_id_seq_and_data);
	tcase_add_test(tc, test_large_ping_is_reassembled_and_reply_fragmented);
	tcase_add_test(tc, test_broadcast_echo_is_not_answered);
	tcase_add_test(tc, test_bad_and_short_icmp_are_dropped);
	tcase_add_test(tc,
		       test_closed_port_gets_port_unreachable_quoting_datagram);
	tcase_add_test(tc, test_unknown_protocol_gets_protocol_unreachable);
	tcase_add_test(
	    tc, test_error_of_a_closed_socket_never_reaches_the_next_one);
	tcase_add_test(tc, test_no_error_about_broadcast_or_icmp_error);
	tcase_add_test(tc, test_errors_are_rate_limited_and_refill);
	tcase_add_test(tc, test_port_unreachable_reported_to_connected_socket);
	suite_add_tcase(s, tc);
	return t_run(s);
}
