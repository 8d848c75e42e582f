/*
 * test_tcp_ports.c - µTCP: ephemeral ports (RFC 6056) and taking over a
 * TIME_WAIT on connect
 *
 * A connect's port is chosen per 4-tuple from the configured range; a
 * port in TIME_WAIT towards one peer is free towards another, and
 * towards the same peer once timestamps make it safe (tcp_tw_reuse);
 * with no port free, connect fails with EADDRNOTAVAIL.
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

#define PORT_FIRST 50000u

static void t_pair_range(struct pair *p, uint32_t first, uint32_t last)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_port_first = first;
	lim.tcp_port_last = last;
	t_pair_lim(p, &lim);
	/* ARP first, so SYNs go at once. */
	int u = udp_socket_open(p->a, 0, 0, 0, 0);
	udp_send(p->a, p->now, u, PEER_ADDR, 9, "x", 1);
	t_exchange(p);
	udp_socket_close(p->a, u);
}

/* Connects A to B's port (B listening on l), completes the handshake;
 * returns A's connection. */
static int t_open_to(struct pair *p, int l, uint16_t port, int *cb)
{
	uint32_t raddr;
	uint16_t rport;
	int ca = tcp_connect(p->a, p->now, 0, 0, PEER_ADDR, port, NULL);
	ck_assert_int_ge(ca, 0);
	t_exchange(p);
	ck_assert(t_event(p->a, STACK_EV_TCP_CONNECTED, ca, NULL));
	*cb = tcp_accept(p->b, l, &raddr, &rport);
	ck_assert_int_ge(*cb, 0);
	return ca;
}

/* Opens and closes a connection to B's port, A closing first, so that
 * A's end is left in TIME_WAIT; returns its id. */
static int t_cycle(struct pair *p, int l, uint16_t port)
{
	int cb, ca = t_open_to(p, l, port, &cb);
	tcp_close(p->a, p->now, ca);
	t_exchange(p);
	tcp_close(p->b, p->now, cb);
	t_exchange(p);
	ck_assert_int_eq(t_state(p->a, ca), TCPS_TIME_WAIT);
	return ca;
}

static uint16_t t_lport(struct stack *s, int id)
{
	return tcp_conn_get(s, id)->lport;
}

START_TEST(test_ports_walk_the_configured_range_then_run_out)
{
	struct pair p;
	int id[10];
	t_pair_range(&p, PORT_FIRST, PORT_FIRST + 9);
	for (int i = 0; i < 10; i++) {
		id[i] = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
		ck_assert_int_ge(id[i], 0);
		uint16_t port = t_lport(p.a, id[i]);
		ck_assert_uint_ge(port, PORT_FIRST);
		ck_assert_uint_le(port, PORT_FIRST + 9);
		/* RFC 6056 Algorithm 3: the next connect to the same peer
		 * tries the next port. */
		if (i)
			ck_assert_uint_eq(port, PORT_FIRST +
						    (t_lport(p.a, id[i - 1]) -
						     PORT_FIRST + 1) %
							10);
	}
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EADDRNOTAVAIL);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_connect_no_port),
			  1);
	/* Every port is still free towards another peer port. */
	int other = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 81, NULL);
	ck_assert_int_ge(other, 0);
	ck_assert_uint_ge(t_lport(p.a, other), PORT_FIRST);
	ck_assert_uint_le(t_lport(p.a, other), PORT_FIRST + 9);
	t_pair_free(&p);
}
END_TEST

/* A listener's port is never chosen. */
START_TEST(test_listening_port_is_skipped)
{
	struct pair p;
	t_pair_range(&p, PORT_FIRST, PORT_FIRST + 1);
	ck_assert_int_ge(tcp_listen(p.a, 0, PORT_FIRST, 4, NULL), 0);
	for (int i = 0; i < 3; i++) {
		int id = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR,
				     (uint16_t)(80 + i), NULL);
		ck_assert_int_ge(id, 0);
		ck_assert_uint_eq(t_lport(p.a, id), PORT_FIRST + 1);
	}
	t_pair_free(&p);
}
END_TEST

/* The search starts at an offset keyed on the peer: the first port
 * towards one peer port is not the first towards another. */
START_TEST(test_port_offset_depends_on_the_peer)
{
	uint16_t first[2];
	for (int i = 0; i < 2; i++) {
		struct pair p;
		t_pair(&p);
		int id = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR,
				     (uint16_t)(80 + i), NULL);
		ck_assert_int_ge(id, 0);
		first[i] = t_lport(p.a, id);
		ck_assert_uint_ge(first[i], TCP_PORT_FIRST_DEFAULT);
		t_pair_free(&p);
	}
	ck_assert_uint_ne(first[0], first[1]);
}
END_TEST

/* With one port: its TIME_WAIT towards B:80 leaves it free towards
 * B:81, not towards B:80 until a second has passed; then the connect
 * takes the TIME_WAIT over, above all it sent, and completes. */
START_TEST(test_time_wait_port_is_free_for_another_peer_and_reused)
{
	struct pair p;
	int cb;
	t_pair_range(&p, PORT_FIRST, PORT_FIRST);
	int l80 = tcp_listen(p.b, 0, 80, 4, NULL);
	int l81 = tcp_listen(p.b, 0, 81, 4, NULL);
	int tw = t_cycle(&p, l80, 80);
	uint32_t old_snd_max = tcp_conn_get(p.a, tw)->snd_max;
	ck_assert_uint_eq(t_lport(p.a, tw), PORT_FIRST);

	int to81 = t_open_to(&p, l81, 81, &cb);
	ck_assert_uint_eq(t_lport(p.a, to81), PORT_FIRST);

	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EADDRNOTAVAIL);
	p.now += TCP_TW_REUSE_AGE_NS / 2;
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EADDRNOTAVAIL);
	p.now += TCP_TW_REUSE_AGE_NS / 2;
	int again = t_open_to(&p, l80, 80, &cb);
	ck_assert_uint_eq(t_lport(p.a, again), PORT_FIRST);
	ck_assert_uint_eq(tcp_conn_get(p.a, again)->iss, old_snd_max + 65537);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_connect_time_wait_reused), 1);
	t_transfer(&p, p.a, again, p.b, cb, 10000);
	t_pair_free(&p);
}
END_TEST

/* Without timestamps a TIME_WAIT is never taken over by a connect. */
START_TEST(test_time_wait_reuse_needs_timestamps)
{
	struct pair p;
	t_pair_range(&p, PORT_FIRST, PORT_FIRST);
	int l80 = tcp_listen(p.b, 0, 80, 4, NULL);
	int tw = t_cycle(&p, l80, 80);
	tcp_conn_get(p.a, tw)->ts_ok = false;
	p.now += 10 * STACK_NS_PER_SEC;
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EADDRNOTAVAIL);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_connect_time_wait_reused), 0);
	/* Nor when our clock would not be above what the old one sent. */
	tcp_conn_get(p.a, tw)->ts_ok = true;
	tcp_conn_get(p.a, tw)->ts_last_sent =
	    tcp_ts_now(p.a, tcp_conn_get(p.a, tw), p.now) + 1;
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EADDRNOTAVAIL);
	t_pair_free(&p);
}
END_TEST

/* A connect from an explicit local port takes a TIME_WAIT over only
 * as a chosen port does: once timestamps keep the two apart, with the
 * ISN above all the old connection sent; before, EADDRNOTAVAIL. */
START_TEST(test_explicit_port_takes_time_wait_over_only_when_safe)
{
	struct pair p;
	uint32_t raddr;
	uint16_t rport;
	t_pair_range(&p, PORT_FIRST, PORT_FIRST + 10);
	int l80 = tcp_listen(p.b, 0, 80, 4, NULL);
	int tw = t_cycle(&p, l80, 80);
	uint16_t port = t_lport(p.a, tw);
	uint32_t old_snd_max = tcp_conn_get(p.a, tw)->snd_max;

	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, port, PEER_ADDR, 80, NULL),
			 -EADDRNOTAVAIL);
	ck_assert_int_eq(t_state(p.a, tw), TCPS_TIME_WAIT);
	p.now += TCP_TW_REUSE_AGE_NS;
	int again = tcp_connect(p.a, p.now, 0, port, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(again, 0);
	ck_assert_uint_eq(tcp_conn_get(p.a, again)->iss, old_snd_max + 65537);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_CONNECTED, again, NULL));
	int cb = tcp_accept(p.b, l80, &raddr, &rport);
	ck_assert_int_ge(cb, 0);
	ck_assert_uint_eq(rport, port);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_connect_time_wait_reused), 1);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_ports");
	TCase *tc = tcase_create("ports");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ports_walk_the_configured_range_then_run_out);
	tcase_add_test(tc, test_listening_port_is_skipped);
	tcase_add_test(tc, test_port_offset_depends_on_the_peer);
	tcase_add_test(tc,
		       test_time_wait_port_is_free_for_another_peer_and_reused);
	tcase_add_test(tc, test_time_wait_reuse_needs_timestamps);
	tcase_add_test(tc,
		       test_explicit_port_takes_time_wait_over_only_when_safe);
	suite_add_tcase(s, tc);
	return t_run(s);
}
