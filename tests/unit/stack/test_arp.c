/* test_arp.c - ARP replies, resolution, the bounded cache and its timers */
#include "harness.h"

static const uint8_t ZERO_MAC[6];

START_TEST(test_set_address_sends_gratuitous_announcement)
{
	struct stack *s = t_stack();
	struct pkt *p = stack_pop_tx(s);
	struct arp_view a;
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p->data, BCAST_MAC, 6);
	ck_assert_uint_eq(get_be16(p->data + 12), ETHERTYPE_ARP);
	ck_assert_int_eq(arp_parse(p->data + 14, p->len - 14, &a), 0);
	ck_assert_uint_eq(a.oper, ARP_OP_REQUEST);
	ck_assert_uint_eq(a.spa, OUR_ADDR);
	ck_assert_uint_eq(a.tpa, OUR_ADDR);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_gratuitous_tx), 1);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_request_for_us_gets_reply_with_our_mac)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct arp_view a;
	t_drain(s);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, PEER_MAC, PEER_ADDR,
		    ZERO_MAC, OUR_ADDR);
	t_input(s, T0, &f);
	struct pkt *p = stack_pop_tx(s);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p->data, PEER_MAC, 6);
	ck_assert_mem_eq(p->data + 6, OUR_MAC, 6);
	ck_assert_int_eq(arp_parse(p->data + 14, p->len - 14, &a), 0);
	ck_assert_uint_eq(a.oper, ARP_OP_REPLY);
	ck_assert_mem_eq(a.sha, OUR_MAC, 6);
	ck_assert_uint_eq(a.spa, OUR_ADDR);
	ck_assert_mem_eq(a.tha, PEER_MAC, 6);
	ck_assert_uint_eq(a.tpa, PEER_ADDR);
	stack_pkt_free(s, p);
	/* ... and the sender was learnt. */
	struct stack_arp_info info[4];
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 4), 1);
	ck_assert_uint_eq(info[0].addr, PEER_ADDR);
	ck_assert_mem_eq(info[0].mac, PEER_MAC, 6);
	ck_assert_int_eq(info[0].state, ARP_REACHABLE);
	stack_free(s);
}
END_TEST

START_TEST(test_request_for_other_host_is_ignored_and_not_learnt)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct stack_arp_info info[1];
	t_drain(s);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, PEER_MAC, PEER_ADDR,
		    ZERO_MAC, 0x0a000063);
	t_input(s, T0, &f);
	ck_assert_ptr_null(stack_pop_tx(s));
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 1), 0);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_rx_drop_not_for_us), 1);
	stack_free(s);
}
END_TEST

START_TEST(test_malformed_and_unsupported_are_counted)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_drain(s);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, PEER_MAC, PEER_ADDR,
		    ZERO_MAC, OUR_ADDR);
	f.len = 14 + 20; /* truncated */
	t_input(s, T0, &f);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, PEER_MAC, PEER_ADDR,
		    ZERO_MAC, OUR_ADDR);
	f.b[14 + 4] = 8; /* hlen 8 */
	t_input(s, T0, &f);
	t_arp_frame(&f, BCAST_MAC, 7, PEER_MAC, PEER_ADDR, ZERO_MAC, OUR_ADDR);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_rx_drop_malformed), 2);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_rx_drop_unsupported), 1);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_unresolved_send_holds_frame_until_reply)
{
	struct stack *s = t_stack();
	struct tframe f;
	t_drain(s);
	int sock = udp_socket_open(s, 0, 5000, 0, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "hi", 2), 0);
	/* Only a broadcast request goes out; the datagram waits. */
	struct pkt *p = stack_pop_tx(s);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(get_be16(p->data + 12), ETHERTYPE_ARP);
	ck_assert_mem_eq(p->data, BCAST_MAC, 6);
	stack_pkt_free(s, p);
	ck_assert_ptr_null(stack_pop_tx(s));
	ck_assert_uint_lt(stack_next_deadline(s), T0 + 2 * STACK_NS_PER_SEC);

	t_arp_frame(&f, OUR_MAC, ARP_OP_REPLY, PEER_MAC, PEER_ADDR, OUR_MAC,
		    OUR_ADDR);
	t_input(s, T0 + 1000, &f);
	p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	ck_assert_mem_eq(p->data, PEER_MAC, 6);
	ck_assert_mem_eq(p->data + 14 + 28, "hi", 2);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_hold_queue_full_drops_oldest)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.arp_hold_max = 2;
	struct stack *s = t_stack_lim(&lim);
	struct tframe f;
	t_drain(s);
	int sock = udp_socket_open(s, 0, 5000, 0, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "1", 1), 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "2", 1), 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "3", 1), 0);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_hold_drop_full), 1);
	t_drain(s);
	t_arp_frame(&f, OUR_MAC, ARP_OP_REPLY, PEER_MAC, PEER_ADDR, OUR_MAC,
		    OUR_ADDR);
	t_input(s, T0, &f);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	ck_assert_uint_eq(p->data[14 + 28], '2');
	stack_pkt_free(s, p);
	p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	ck_assert_uint_eq(p->data[14 + 28], '3');
	stack_pkt_free(s, p);
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_resolution_retries_then_times_out_and_drops)
{
	struct stack *s = t_stack();
	struct stack_limits lim;
	stack_limits_default(&lim);
	t_drain(s);
	int sock = udp_socket_open(s, 0, 5000, 0, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 53, "x", 1), 0);
	ck_assert_int_eq(t_drain(s), 1);
	uint64_t now = T0;
	int requests = 1;
	for (int i = 0; i < 10; i++) {
		uint64_t d = stack_next_deadline(s);
		if (d == STACK_NO_DEADLINE)
			break;
		ck_assert_uint_ge(d, now);
		now = d;
		stack_timer(s, now);
		requests += t_drain(s);
	}
	ck_assert_int_eq(requests, (int)lim.arp_retries);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_resolve_timeouts), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_hold_drop_timeout), 1);
	struct stack_arp_info info[1];
	ck_assert_uint_eq(stack_arp_snapshot(s, now, info, 1), 0);
	stack_free(s);
}
END_TEST

START_TEST(test_full_cache_evicts_least_recently_used)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.arp_cache_max = 4;
	struct stack *s = t_stack_lim(&lim);
	struct tframe f;
	t_drain(s);
	for (uint32_t i = 0; i < 6; i++) {
		uint8_t mac[6] = {2, 0, 0, 0, 1, (uint8_t)i};
		t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, mac, 0x0a000010 + i,
			    ZERO_MAC, OUR_ADDR);
		t_input(s, T0 + i, &f);
	}
	t_drain(s);
	struct stack_arp_info info[8];
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 8), 4);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_cache_evictions), 2);
	for (int i = 0; i < 4; i++) /* the two oldest went */
		ck_assert_uint_ge(info[i].addr, 0x0a000012);
	stack_free(s);
}
END_TEST

START_TEST(test_reachable_entry_ages_out)
{
	struct stack *s = t_stack();
	struct stack_limits lim;
	stack_limits_default(&lim);
	struct stack_arp_info info[1];
	t_drain(s);
	t_learn_peer(s);
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 1), 1);
	ck_assert_uint_eq(stack_next_deadline(s), T0 + lim.arp_reachable_ns);
	stack_timer(s, T0 + lim.arp_reachable_ns - 1);
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 1), 1);
	stack_timer(s, T0 + lim.arp_reachable_ns);
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 1), 0);
	ck_assert_uint_eq(stack_next_deadline(s), STACK_NO_DEADLINE);
	stack_free(s);
}
END_TEST

START_TEST(test_entry_in_use_is_refreshed_before_expiry)
{
	struct stack *s = t_stack();
	struct stack_limits lim;
	stack_limits_default(&lim);
	t_drain(s);
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 5000, 0, 0);
	uint64_t late = T0 + lim.arp_reachable_ns - STACK_NS_PER_SEC;
	ck_assert_int_eq(udp_send(s, late, sock, PEER_ADDR, 53, "x", 1), 0);
	/* A unicast request to the known MAC, then the datagram itself. */
	struct pkt *p = stack_pop_tx(s);
	ck_assert_uint_eq(get_be16(p->data + 12), ETHERTYPE_ARP);
	ck_assert_mem_eq(p->data, PEER_MAC, 6);
	stack_pkt_free(s, p);
	p = t_pop_ipv4(s, IPV4_PROTO_UDP);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_gratuitous_arp_updates_only_known_entries)
{
	struct stack *s = t_stack();
	struct tframe f;
	struct stack_arp_info info[2];
	const uint8_t new_mac[6] = {2, 0, 0, 0, 0, 0x99};
	t_drain(s);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, new_mac, 0x0a000050,
		    ZERO_MAC, 0x0a000050);
	t_input(s, T0, &f);
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 2), 0);
	t_learn_peer(s);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, new_mac, PEER_ADDR, ZERO_MAC,
		    PEER_ADDR);
	t_input(s, T0, &f);
	ck_assert_uint_eq(stack_arp_snapshot(s, T0, info, 2), 1);
	ck_assert_mem_eq(info[0].mac, new_mac, 6);
	stack_free(s);
}
END_TEST

/* Runs the stack's timers until nothing is due or `until` has passed;
 * returns the ARP requests sent meanwhile. */
static int run_timers_until(struct stack *s, uint64_t *now, uint64_t until)
{
	int frames = 0;

	for (int i = 0; i < 100; i++) {
		uint64_t d = stack_next_deadline(s);
		if (d == STACK_NO_DEADLINE || d > until)
			break;
		*now = d;
		stack_timer(s, *now);
		frames += t_drain(s);
	}
	return frames;
}

/* Linux fails a connect with EHOSTUNREACH once its neighbour entry
 * fails (3 probes 1 s apart), not after the connect's own timeout:
 * the SYN's ARP entry times out and the connection gets the error. */
START_TEST(test_connect_to_silent_neighbour_fails_with_ehostunreach)
{
	struct stack *s = t_stack();
	struct stack_limits lim;
	struct stack_event ev;
	uint64_t now = T0;
	bool failed = false;
	int id;

	stack_limits_default(&lim);
	t_drain(s);
	id = tcp_connect(s, now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(id, 0);
	(void)t_drain(s);
	(void)run_timers_until(s, &now,
			       T0 + lim.arp_retry_ns * lim.arp_retries);
	while (stack_pop_event(s, &ev))
		if (ev.type == STACK_EV_TCP_ERROR && ev.sock == id) {
			ck_assert_int_eq(ev.error, EHOSTUNREACH);
			failed = true;
		}
	ck_assert(failed);
	ck_assert_uint_eq(now, T0 + lim.arp_retry_ns * lim.arp_retries);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_arp_resolve_timeouts), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_tcp_rule_local_unreachable), 1);
	stack_free(s);
}
END_TEST

/* A connected UDP socket learns of the failed neighbour as of an ICMP
 * host unreachable (Linux: EHOSTUNREACH on a later call); an
 * unconnected one is not told, as Linux's is not without IP_RECVERR. */
START_TEST(test_udp_to_silent_neighbour_reports_ehostunreach_when_connected)
{
	struct stack *s = t_stack();
	struct stack_limits lim;
	struct stack_event ev;
	uint64_t now = T0;
	int connected, unconnected;

	stack_limits_default(&lim);
	t_drain(s);
	connected = udp_socket_open(s, 0, 5000, PEER_ADDR, 53);
	unconnected = udp_socket_open(s, 0, 5001, 0, 0);
	ck_assert_int_ge(connected, 0);
	ck_assert_int_ge(unconnected, 0);
	ck_assert_int_eq(udp_send(s, now, connected, 0, 0, "x", 1), 0);
	ck_assert_int_eq(udp_send(s, now, unconnected, PEER_ADDR, 53, "y", 1),
			 0);
	(void)t_drain(s);
	(void)run_timers_until(s, &now,
			       T0 + lim.arp_retry_ns * lim.arp_retries);
	ck_assert(stack_pop_event(s, &ev));
	ck_assert_int_eq(ev.type, STACK_EV_UDP_ERROR);
	ck_assert_int_eq(ev.sock, connected);
	ck_assert_int_eq(ev.error, EHOSTUNREACH);
	ck_assert(!stack_pop_event(s, &ev));
	stack_free(s);
}
END_TEST

/* Linux's connect() on a UDP socket fails when there is no route. */
START_TEST(test_udp_connect_without_route_is_enetunreach)
{
	struct stack *s = t_stack();

	t_drain(s);
	ck_assert_int_eq(udp_socket_open(s, 0, 5000, 0xc0a80001u, 53),
			 -ENETUNREACH);
	ck_assert_int_eq(udp_socket_open(s, 0, 5000, PEER_ADDR, 53) >= 0, 1);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_set_address_sends_gratuitous_announcement);
	tcase_add_test(tc, test_request_for_us_gets_reply_with_our_mac);
	tcase_add_test(tc,
		       test_request_for_other_host_is_ignored_and_not_learnt);
	tcase_add_test(tc, test_malformed_and_unsupported_are_counted);
	tcase_add_test(tc, test_unresolved_send_holds_frame_until_reply);
	tcase_add_test(tc, test_hold_queue_full_drops_oldest);
	tcase_add_test(tc, test_resolution_retries_then_times_out_and_drops);
	tcase_add_test(tc, test_full_cache_evicts_least_recently_used);
	tcase_add_test(tc, test_reachable_entry_ages_out);
	tcase_add_test(tc, test_entry_in_use_is_refreshed_before_expiry);
	tcase_add_test(tc, test_gratuitous_arp_updates_only_known_entries);
	tcase_add_test(
	    tc, test_connect_to_silent_neighbour_fails_with_ehostunreach);
	tcase_add_test(
	    tc,
	    test_udp_to_silent_neighbour_reports_ehostunreach_when_connected);
	tcase_add_test(tc, test_udp_connect_without_route_is_enetunreach);
	suite_add_tcase(s, tc);
	return t_run(s);
}
