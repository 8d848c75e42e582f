/*
 * test_if_config.c - an interface's configuration changing under the
 * stack: route metrics and kinds, the MTU a lease sets, an address
 * that goes or changes (what was bound to it fails), the same address
 * set again (nothing changes), and ARP probes (RFC 5227)
 */
#include "tcp_harness.h"

#define OTHER_ADDR 0x0a000009u /* 10.0.0.9 */
#define GW2	   0x0a0000feu /* 10.0.0.254 */

static uint32_t s_tcp_count(struct stack *s)
{
	return s->tcp->count;
}

static size_t t_routes(struct stack *s, struct stack_route_info *r, size_t max)
{
	size_t n = stack_route_snapshot(s, r, max);
	ck_assert_uint_le(n, max);
	return n;
}

START_TEST(test_route_lowest_metric_wins_at_equal_prefix)
{
	struct stack *s = t_stack();
	uint32_t nh, src;
	int ifindex;

	ck_assert_int_eq(stack_route_add_metric(s, 0, 0, GW2, 0, 200), 0);
	ck_assert_int_eq(stack_route_add_metric(s, 0, 0, PEER_ADDR, 0, 100), 0);
	ck_assert_int_eq(ipv4_route(s, 0x08080808, &ifindex, &nh, &src), 0);
	ck_assert_uint_eq(nh, PEER_ADDR);
	/* The same route with another metric may coexist; an identical
	 * one may not. */
	ck_assert_int_eq(stack_route_add_metric(s, 0, 0, PEER_ADDR, 0, 100),
			 -EEXIST);
	ck_assert_int_eq(stack_route_add_metric(s, 0, 0, PEER_ADDR, 0, 300), 0);
	/* A longer prefix beats any metric. */
	ck_assert_int_eq(stack_route_add_metric(s, 0x08000000, 8, GW2, 0, 1000),
			 0);
	ck_assert_int_eq(ipv4_route(s, 0x08080808, &ifindex, &nh, &src), 0);
	ck_assert_uint_eq(nh, GW2);
	stack_free(s);
}
END_TEST

START_TEST(test_route_equal_metric_first_wins)
{
	struct stack *s = t_stack();
	uint32_t nh, src;
	int ifindex;

	ck_assert_int_eq(stack_route_add(s, 0, 0, GW2, 0), 0);
	ck_assert_int_eq(stack_route_add(s, 0, 0, PEER_ADDR, 0), 0);
	ck_assert_int_eq(ipv4_route(s, 0x08080808, &ifindex, &nh, &src), 0);
	ck_assert_uint_eq(nh, GW2);
	stack_free(s);
}
END_TEST

START_TEST(test_route_snapshot_has_metric_and_kind)
{
	struct stack *s = t_stack();
	struct stack_route_info r[8];
	size_t n;
	bool dhcp = false, stat = false;

	ck_assert_int_eq(stack_route_add_metric(s, 0, 0, PEER_ADDR, 0, 77), 0);
	ck_assert_int_eq(
	    route_insert(s, 0xc0a80000, 16, GW2, 0, 5, STACK_ROUTE_DHCP), 0);
	n = t_routes(s, r, 8);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind == STACK_ROUTE_STATIC) {
			ck_assert_uint_eq(r[i].metric, 77);
			stat = true;
		}
		if (r[i].kind == STACK_ROUTE_DHCP) {
			ck_assert_uint_eq(r[i].metric, 5);
			ck_assert_uint_eq(r[i].dst, 0xc0a80000);
			dhcp = true;
		}
	}
	ck_assert(dhcp && stat);
	/* Removing one kind leaves the others. */
	ck_assert_int_eq(route_remove_kind(s, 0, STACK_ROUTE_DHCP), 1);
	ck_assert_uint_eq(t_routes(s, r, 8), 2);
	ck_assert_int_eq(
	    route_remove(s, 0, 0, PEER_ADDR, 0, 77, STACK_ROUTE_STATIC), 0);
	ck_assert_int_eq(
	    route_remove(s, 0, 0, PEER_ADDR, 0, 77, STACK_ROUTE_STATIC),
	    -ENOENT);
	ck_assert_uint_eq(t_routes(s, r, 8), 1);
	ck_assert_int_eq(r[0].kind, STACK_ROUTE_CONNECTED);
	stack_free(s);
}
END_TEST

START_TEST(test_mtu_clamped_to_link_and_576)
{
	struct stack *s = t_stack();
	struct stack_if_info info;

	ck_assert_int_eq(stack_if_set_mtu(s, 0, 9000), 1500);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 575), 576);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 576), 576);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 1400), 1400);
	ck_assert_int_eq(stack_if_info(s, 0, &info), 0);
	ck_assert_uint_eq(info.mtu, 1400);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 0), 1500);
	ck_assert_int_eq(stack_if_set_mtu(s, 3, 1400), -ENODEV);
	stack_free(s);
}
END_TEST

START_TEST(test_mtu_below_576_link_keeps_link_mtu)
{
	struct stack_limits lim;
	struct stack *s;

	stack_limits_default(&lim);
	s = stack_new(&lim, 1);
	ck_assert_int_eq(stack_if_add(s, "tap0", OUR_MAC, 400), 0);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 1400), 400);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 100), 400);
	stack_free(s);
}
END_TEST

/* A UDP datagram larger than the new MTU leaves in fragments of it. */
START_TEST(test_mtu_fragments_udp_at_once)
{
	struct stack *s = t_stack();
	static uint8_t data[1000];
	struct pkt *p;
	int sock;

	t_learn_peer(s);
	ck_assert_int_eq(stack_if_set_mtu(s, 0, 576), 576);
	sock = udp_socket_open(s, 0, 0, 0, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(udp_send(s, T0, sock, PEER_ADDR, 9, data, 1000), 0);
	for (int i = 0; i < 2; i++) {
		p = t_pop_ipv4(s, IPV4_PROTO_UDP);
		ck_assert_uint_le(p->len - ETH_HDR_LEN, 576);
		stack_pkt_free(s, p);
	}
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

/* New connections take their MSS from the MTU in use; one that exists
 * keeps its own. */
START_TEST(test_mtu_sets_mss_of_new_connections)
{
	struct pair p;
	int ca, cb, l, c2;
	struct stack_tcp_info info;

	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	ck_assert_int_eq(tcp_conn_info(p.a, ca, &info), 0);
	ck_assert_uint_eq(info.mss, 1460 - 12);
	ck_assert_int_eq(stack_if_set_mtu(p.a, 0, 1000), 1000);
	c2 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(c2, 0);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_CONNECTED, c2, NULL));
	ck_assert_int_eq(tcp_conn_info(p.a, c2, &info), 0);
	ck_assert_uint_eq(info.mss, 960 - 12);
	ck_assert_int_eq(tcp_conn_info(p.a, ca, &info), 0);
	ck_assert_uint_eq(info.mss, 1460 - 12);
	t_transfer(&p, p.a, ca, p.b, cb, 20000);
	t_pair_free(&p);
}
END_TEST

/* Setting the very address and prefix again changes nothing: no
 * announcement, the ARP cache and routes stay, connections go on. */
START_TEST(test_same_address_changes_nothing)
{
	struct pair p;
	int ca, cb, l;
	struct stack_arp_info arp[4];
	struct stack_route_info r[4];

	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	ck_assert_int_eq(stack_route_add(p.a, 0, 0, PEER_ADDR, 0), 0);
	ck_assert_uint_eq(stack_arp_snapshot(p.a, p.now, arp, 4), 1);
	ck_assert_int_eq(stack_if_set_address(p.a, p.now, 0, OUR_ADDR, 24), 0);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_eq(stack_arp_snapshot(p.a, p.now, arp, 4), 1);
	ck_assert_uint_eq(t_routes(p.a, r, 4), 2);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_uint_eq(stack_events_queued(p.a), 0);
	t_transfer(&p, p.a, ca, p.b, cb, 10000);
	t_pair_free(&p);
}
END_TEST

/* A new prefix on the same address replaces the connected route only. */
START_TEST(test_new_prefix_keeps_connections)
{
	struct pair p;
	int ca, cb, l;
	struct stack_route_info r[4];

	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	ck_assert_int_eq(stack_if_set_address(p.a, p.now, 0, OUR_ADDR, 16), 0);
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert_uint_eq(t_routes(p.a, r, 4), 1);
	ck_assert_uint_eq(r[0].prefix_len, 16);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	t_transfer(&p, p.a, ca, p.b, cb, 10000);
	t_pair_free(&p);
}
END_TEST

static void t_address_goes(uint32_t new_addr)
{
	struct pair p;
	int ca, cb, l, err = 0;
	uint64_t resets;

	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	t_drain(p.a);
	resets = t_ctr(p.a, STACK_CTR_tcp_tx_resets);
	ck_assert_int_eq(stack_if_set_address(p.a, p.now, 0, new_addr, 24), 0);
	/* No RST leaves: only a gratuitous ARP for a new address. */
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_tx_resets), resets);
	if (new_addr) {
		struct pkt *f = stack_pop_tx(p.a);
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(get_be16(f->data + 12), ETHERTYPE_ARP);
		stack_pkt_free(p.a, f);
	}
	ck_assert_ptr_null(stack_pop_tx(p.a));
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, EADDRNOTAVAIL);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_CLOSED);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "x", 1), -EADDRNOTAVAIL);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_conns_addr_gone), 1);
	tcp_close(p.a, p.now, ca);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	t_pair_free(&p);
}

START_TEST(test_address_removed_fails_tcp_without_rst)
{
	t_address_goes(0);
}
END_TEST

START_TEST(test_address_changed_fails_tcp_without_rst)
{
	t_address_goes(OTHER_ADDR);
}
END_TEST

/* An orphan and a connection not yet accepted are freed. */
START_TEST(test_address_removed_frees_orphans_and_unaccepted)
{
	struct pair p;
	int ca, cb, l, c2;

	t_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	/* B's side: cb is accepted; c2 will wait in the accept queue. */
	c2 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(c2, 0);
	t_exchange(&p);
	tcp_close(p.b, p.now, cb); /* an orphan in FIN_WAIT_1 / 2 */
	t_exchange(&p);
	ck_assert_uint_eq(s_tcp_count(p.b), 2);
	ck_assert_int_eq(stack_if_set_address(p.b, p.now, 0, 0, 0), 0);
	ck_assert_uint_eq(s_tcp_count(p.b), 0);
	/* The listener stays, empty: accept has nothing. */
	ck_assert_int_eq(tcp_accept(p.b, l, NULL, NULL), -EAGAIN);
	ck_assert_int_eq(tcp_listen_port(p.b, l), 80);
	/* The address comes back: the listener takes connections again. */
	ck_assert_int_eq(stack_if_set_address(p.b, p.now, 0, PEER_ADDR, 24), 0);
	t_exchange(&p);
	{
		int c3 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
		ck_assert_int_ge(c3, 0);
		t_exchange(&p);
		ck_assert(t_event(p.a, STACK_EV_TCP_CONNECTED, c3, NULL));
	}
	t_pair_free(&p);
}
END_TEST

START_TEST(test_address_removed_udp_bound_refuses_sends)
{
	struct stack *s = t_stack();
	struct stack_event ev;
	int bound, connected, any, err = 0;

	t_learn_peer(s);
	bound = udp_socket_open(s, OUR_ADDR, 5000, 0, 0);
	connected = udp_socket_open(s, OUR_ADDR, 5001, PEER_ADDR, 53);
	any = udp_socket_open(s, 0, 5002, PEER_ADDR, 53);
	ck_assert_int_ge(bound, 0);
	ck_assert_int_ge(connected, 0);
	ck_assert_int_ge(any, 0);
	ck_assert_int_eq(stack_if_set_address(s, T0, 0, OTHER_ADDR, 24), 0);
	t_drain(s);
	/* Only the connected socket bound to the address hears of it. */
	ck_assert(stack_pop_event(s, &ev));
	ck_assert_int_eq(ev.type, STACK_EV_UDP_ERROR);
	ck_assert_int_eq(ev.sock, connected);
	ck_assert_int_eq(ev.error, EADDRNOTAVAIL);
	ck_assert(!stack_pop_event(s, &ev));
	ck_assert_int_eq(udp_send(s, T0, bound, PEER_ADDR, 9, "x", 1),
			 -EADDRNOTAVAIL);
	ck_assert_int_eq(udp_send(s, T0, connected, 0, 0, "x", 1),
			 -EADDRNOTAVAIL);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_udp_tx_drop_addr_gone), 2);
	/* The unbound one sends from the new address. */
	ck_assert_int_eq(udp_send(s, T0, any, 0, 0, "x", 1), 0);
	(void)err;
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("if_config");
	TCase *tc = tcase_create("if_config");

	tcase_add_test(tc, test_route_lowest_metric_wins_at_equal_prefix);
	tcase_add_test(tc, test_route_equal_metric_first_wins);
	tcase_add_test(tc, test_route_snapshot_has_metric_and_kind);
	tcase_add_test(tc, test_mtu_clamped_to_link_and_576);
	tcase_add_test(tc, test_mtu_below_576_link_keeps_link_mtu);
	tcase_add_test(tc, test_mtu_fragments_udp_at_once);
	tcase_add_test(tc, test_mtu_sets_mss_of_new_connections);
	tcase_add_test(tc, test_same_address_changes_nothing);
	tcase_add_test(tc, test_new_prefix_keeps_connections);
	tcase_add_test(tc, test_address_removed_fails_tcp_without_rst);
	tcase_add_test(tc, test_address_changed_fails_tcp_without_rst);
	tcase_add_test(tc, test_address_removed_frees_orphans_and_unaccepted);
	tcase_add_test(tc, test_address_removed_udp_bound_refuses_sends);
	suite_add_tcase(s, tc);
	return t_run(s);
}
