/* test_udp.c - sockets, demultiplexing, checksums, queues, ports */
#include "harness.h"

START_TEST(test_datagram_reaches_bound_socket_with_source)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct udp_datagram dg;
	struct stack_event ev;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 7000, 0, 0);
	t_udp_frame(&f, PEER_ADDR, 40000, OUR_ADDR, 7000, "data", 4);
	t_input(s, T0, &f);
	ck_assert(stack_pop_event(s, &ev));
	ck_assert_int_eq(ev.type, STACK_EV_UDP_READABLE);
	ck_assert_int_eq(ev.sock, sock);
	ck_assert_int_eq(udp_peek(s, sock, &dg), 0);
	ck_assert_uint_eq(dg.len, 4);
	ck_assert_mem_eq(dg.data, "data", 4);
	ck_assert_uint_eq(dg.src_addr, PEER_ADDR);
	ck_assert_uint_eq(dg.src_port, 40000);
	ck_assert_uint_eq(dg.dst_addr, OUR_ADDR);
	udp_pop(s, sock);
	ck_assert_int_eq(udp_peek(s, sock, &dg), -EAGAIN);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_readable_event_once_per_nonempty_transition)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct stack_event ev;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 7000, 0, 0);
	t_udp_frame(&f, PEER_ADDR, 40000, OUR_ADDR, 7000, "a", 1);
	t_input(s, T0, &f);
	t_input(s, T0, &f);
	ck_assert(stack_pop_event(s, &ev));
	ck_assert(!stack_pop_event(s, &ev));
	udp_pop(s, sock);
	udp_pop(s, sock);
	t_input(s, T0, &f);
	ck_assert(stack_pop_event(s, &ev));
	stack_free(s);
}
END_TEST

START_TEST(test_most_specific_socket_wins)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct udp_datagram dg;
	t_learn_peer(s);
	int any = udp_socket_open(s, 0, 7000, 0, 0);
	ck_assert_int_eq(udp_socket_open(s, 0, 7000, 0, 0), -EADDRINUSE);
	ck_assert_int_eq(udp_socket_open(s, OUR_ADDR, 7000, 0, 0), -EADDRINUSE);
	udp_socket_close(s, any);
	int bound = udp_socket_open(s, OUR_ADDR, 7000, 0, 0);
	ck_assert_int_ge(bound, 0);
	int conn = udp_socket_open(s, 0, 7001, PEER_ADDR, 53);
	t_udp_frame(&f, PEER_ADDR, 53, OUR_ADDR, 7000, "b", 1);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, bound, &dg), 0);
	/* A connected socket takes only its peer's datagrams. */
	t_udp_frame(&f, PEER_ADDR, 54, OUR_ADDR, 7001, "c", 1);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, conn, &dg), -EAGAIN);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_no_port), 1);
	t_udp_frame(&f, PEER_ADDR, 53, OUR_ADDR, 7001, "d", 1);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, conn, &dg), 0);
	ck_assert_mem_eq(dg.data, "d", 1);
	t_drain(s);
	stack_free(s);
}
END_TEST

START_TEST(test_checksum_zero_means_none_and_bad_is_dropped)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct udp_datagram dg;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 7000, 0, 0);
	t_udp_frame(&f, PEER_ADDR, 1, OUR_ADDR, 7000, "zz", 2);
	put_be16(f.b + 34 + 6, 0);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, sock, &dg), 0);
	udp_pop(s, sock);
	t_udp_frame(&f, PEER_ADDR, 1, OUR_ADDR, 7000, "zz", 2);
	f.b[34 + 8] ^= 0x40; /* payload corrupted in flight */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_drop_checksum), 1);
	ck_assert_int_eq(udp_peek(s, sock, &dg), -EAGAIN);
	stack_free(s);
}
END_TEST

START_TEST(test_bad_lengths_are_dropped)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	udp_socket_open(s, 0, 7000, 0, 0);
	t_udp_frame(&f, PEER_ADDR, 1, OUR_ADDR, 7000, "abcd", 4);
	put_be16(f.b + 34 + 4, 200); /* beyond the IP payload */
	t_input(s, T0, &f);
	t_udp_frame(&f, PEER_ADDR, 1, OUR_ADDR, 7000, "abcd", 4);
	put_be16(f.b + 34 + 4, 4); /* below the header */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_drop_length), 2);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 17, 1, 0, 5);
	f.len += 5;
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_drop_short), 1);
	stack_free(s);
}
END_TEST

START_TEST(test_full_receive_queue_drops_and_counts)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.udp_rcvq_max = 3;
	struct stack *s = t_stack_lim(&lim);
	struct tframe f;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 7000, 0, 0);
	t_udp_frame(&f, PEER_ADDR, 1, OUR_ADDR, 7000, "q", 1);
	for (int i = 0; i < 5; i++)
		t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_rx_drop_queue_full), 2);
	struct stack_udp_info info[2];
	ck_assert_uint_eq(stack_udp_snapshot(s, info, 2), 1);
	ck_assert_uint_eq(info[0].rcvq_datagrams, 3);
	ck_assert_uint_eq(info[0].rx_drops, 2);
	ck_assert_int_eq(info[0].sock, sock);
	stack_free(s);
}
END_TEST

START_TEST(test_ephemeral_ports_are_in_range_and_distinct)
{
	struct stack *s = t_stack();
	static uint8_t seen[65536];
	for (int i = 0; i < 500; i++) {
		int sock = udp_socket_open(s, 0, 0, 0, 0);
		struct stack_udp_info info[1];
		ck_assert_int_ge(sock, 0);
		stack_udp_snapshot(s, info, 1);
		ck_assert_uint_ge(info[0].local_port, UDP_EPHEMERAL_FIRST);
		udp_socket_close(s, sock);
	}
	/* Held open together, they never collide. */
	int socks[200];
	for (int i = 0; i < 200; i++)
		socks[i] = udp_socket_open(s, 0, 0, 0, 0);
	struct stack_udp_info all[200];
	ck_assert_uint_eq(stack_udp_snapshot(s, all, 200), 200);
	for (int i = 0; i < 200; i++) {
		ck_assert_uint_eq(seen[all[i].local_port], 0);
		seen[all[i].local_port] = 1;
	}
	for (int i = 0; i < 200; i++)
		udp_socket_close(s, socks[i]);
	stack_free(s);
}
END_TEST

START_TEST(test_socket_limit_is_emfile)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.udp_sockets_max = 2;
	struct stack *s = t_stack_lim(&lim);
	ck_assert_int_ge(udp_socket_open(s, 0, 0, 0, 0), 0);
	ck_assert_int_ge(udp_socket_open(s, 0, 0, 0, 0), 0);
	ck_assert_int_eq(udp_socket_open(s, 0, 0, 0, 0), -EMFILE);
	ck_assert_int_eq(udp_socket_open(s, 0x01020304, 1, 0, 0),
			 -EADDRNOTAVAIL);
	stack_free(s);
}
END_TEST

START_TEST(test_send_builds_valid_datagram)
{
	struct stack *s = t_stack();
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 6000, 0, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "query", 5), 0);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	const uint8_t *u = p->data + 34;
	ck_assert_uint_eq(get_be16(u), 6000);
	ck_assert_uint_eq(get_be16(u + 2), 53);
	ck_assert_uint_eq(get_be16(u + 4), 13);
	ck_assert_uint_ne(get_be16(u + 6), 0);
	ck_assert_uint_eq(csum_fold(csum_partial(
			      u, 13, csum_pseudo(OUR_ADDR, PEER_ADDR, 17, 13))),
			  0);
	ck_assert_mem_eq(u + 8, "query", 5);
	stack_pkt_free(s, p);
	ck_assert_int_eq(udp_send(s, T0, sock, 0, 0, "x", 1), -EDESTADDRREQ);
	static uint8_t big[65508];
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, big, sizeof(big)),
			 -EMSGSIZE);
	ck_assert_int_eq(udp_send(s, T0, 999, PEER_ADDR, 53, "x", 1), -EBADF);
	stack_free(s);
}
END_TEST

START_TEST(test_close_frees_queued_datagrams)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 7000, 0, 0);
	t_udp_frame(&f, PEER_ADDR, 1, OUR_ADDR, 7000, "q", 1);
	t_input(s, T0, &f);
	t_input(s, T0, &f);
	udp_socket_close(s, sock);
	struct stack_pool_info pi;
	stack_pool_info(s, &pi);
	ck_assert_uint_eq(pi.in_use[PKT_CLASS_SMALL], 0);
	ck_assert_int_eq(udp_peek(s, sock, &(struct udp_datagram){0}), -EBADF);
	stack_free(s);
}
END_TEST

/* IP_TOS and IP_TTL of a UDP socket are in its datagrams' IPv4 header
 * (the whole TOS byte, as Linux's UDP); by default TOS 0 and TTL 64. */
START_TEST(test_tos_and_ttl_go_on_the_sockets_datagrams)
{
	struct stack *s = t_stack();
	uint8_t tos = 1, ttl = 1;
	struct pkt *p;
	int sock;

	t_learn_peer(s);
	sock = udp_socket_open(s, 0, 7000, 0, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "a", 1), 0);
	p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	ck_assert_uint_eq(p->data[14 + 1], 0);
	ck_assert_uint_eq(p->data[14 + 8], STACK_DEFAULT_TTL);
	stack_pkt_free(s, p);
	ck_assert_int_eq(udp_socket_get_tos_ttl(s, sock, &tos, &ttl), 0);
	ck_assert_uint_eq(tos, 0);
	ck_assert_uint_eq(ttl, 0);

	ck_assert_int_eq(udp_socket_set_tos_ttl(s, sock, 0xb9, 3), 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "b", 1), 0);
	p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	ck_assert_uint_eq(p->data[14 + 1], 0xb9);
	ck_assert_uint_eq(p->data[14 + 8], 3);
	stack_pkt_free(s, p);
	ck_assert_int_eq(udp_socket_get_tos_ttl(s, sock, &tos, &ttl), 0);
	ck_assert_uint_eq(tos, 0xb9);
	ck_assert_uint_eq(ttl, 3);
	ck_assert_int_eq(udp_socket_set_tos_ttl(s, sock + 1, 0, 0), -EBADF);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_datagram_reaches_bound_socket_with_source);
	tcase_add_test(tc, test_readable_event_once_per_nonempty_transition);
	tcase_add_test(tc, test_most_specific_socket_wins);
	tcase_add_test(tc, test_checksum_zero_means_none_and_bad_is_dropped);
	tcase_add_test(tc, test_bad_lengths_are_dropped);
	tcase_add_test(tc, test_full_receive_queue_drops_and_counts);
	tcase_add_test(tc, test_ephemeral_ports_are_in_range_and_distinct);
	tcase_add_test(tc, test_socket_limit_is_emfile);
	tcase_add_test(tc, test_send_builds_valid_datagram);
	tcase_add_test(tc, test_close_frees_queued_datagrams);
	tcase_add_test(tc, test_tos_and_ttl_go_on_the_sockets_datagrams);
	suite_add_tcase(s, tc);
	return t_run(s);
}
