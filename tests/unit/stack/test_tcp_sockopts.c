/*
 * test_tcp_sockopts.c - µTCP: the socket options a kernel socket has
 * that the stack applies: IP_TOS and IP_TTL on every segment (RFC 9293
 * MUST-48, MUST-49), TCP_MAXSEG clamping the MSS, SO_LINGER 0 turning
 * close into abort (RFC 9293 3.10.5), and options read back as set.
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

/* Options with the given TOS, TTL and MSS clamp, the rest default. */
static struct tcp_sockopts opts_with(struct stack *s, uint8_t tos, uint8_t ttl,
				     uint16_t maxseg)
{
	struct tcp_sockopts o;

	tcp_sockopts_default(s, &o);
	o.tos = tos;
	o.ttl = ttl;
	o.maxseg = maxseg;
	return o;
}

/* MUST-48, MUST-49: the user's TOS and TTL are in the SYN's IPv4
 * header; TCP_MAXSEG is the MSS the SYN advertises (Linux's user_mss).
 * The ECN bits of IP_TOS stay TCP's, as on Linux. */
START_TEST(test_syn_carries_the_users_tos_ttl_and_maxseg)
{
	struct pair p;
	struct tcp_sockopts o, back;
	struct tcp_seg seg;
	struct pkt *f;
	const uint8_t *ip;
	int ca;

	t_pair(&p);
	t_learn_peer(p.a);
	o = opts_with(p.a, 0xb8 | 0x03, 17, 1000);
	ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, &o);
	ck_assert_int_ge(ca, 0);
	f = t_pop_ipv4(p.a, IPV4_PROTO_TCP);
	ip = f->data + ETH_HDR_LEN;
	ck_assert_uint_eq(ip[1], 0xb8);
	ck_assert_uint_eq(ip[8], 17);
	t_parse(f, &seg);
	ck_assert(seg.flags & TCP_SYN);
	ck_assert(seg.has_mss);
	ck_assert_uint_eq(seg.mss, 1000);
	stack_pkt_free(p.a, f);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &back), 0);
	ck_assert_uint_eq(back.tos, 0xb8);
	ck_assert_uint_eq(back.ttl, 17);
	ck_assert_uint_eq(back.maxseg, 1000);
	t_pair_free(&p);
}
END_TEST

/* Without options the header has TOS 0 and the default TTL (64). */
START_TEST(test_default_tos_and_ttl)
{
	struct pair p;
	struct pkt *f;
	const uint8_t *ip;

	t_pair(&p);
	t_learn_peer(p.a);
	ck_assert_int_ge(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL), 0);
	f = t_pop_ipv4(p.a, IPV4_PROTO_TCP);
	ip = f->data + ETH_HDR_LEN;
	ck_assert_uint_eq(ip[1], 0);
	ck_assert_uint_eq(ip[8], STACK_DEFAULT_TTL);
	stack_pkt_free(p.a, f);
	t_pair_free(&p);
}
END_TEST

/* A listener's TCP_MAXSEG is what its SYN-ACKs advertise, so both ends
 * send segments of at most that much (RFC 9293 3.7.1: the send MSS is
 * at most the peer's). Set at its limits: 88 and 32767 are taken, 87
 * and 32768 refused, as Linux's setsockopt(TCP_MAXSEG). */
START_TEST(test_listener_maxseg_clamps_both_directions)
{
	struct pair p;
	struct tcp_sockopts o;
	uint32_t raddr;
	uint16_t rport;
	int listener, ca, cb;

	t_pair(&p);
	o = opts_with(p.b, 0, 0, TCP_MAXSEG_MIN - 1);
	ck_assert_int_eq(tcp_listen(p.b, 0, 80, 4, &o), -EINVAL);
	o.maxseg = TCP_MAXSEG_MAX + 1;
	ck_assert_int_eq(tcp_listen(p.b, 0, 80, 4, &o), -EINVAL);
	o.maxseg = TCP_MAXSEG_MAX;
	listener = tcp_listen(p.b, 0, 81, 4, &o);
	ck_assert_int_ge(listener, 0);
	tcp_listen_close(p.b, p.now, listener);
	o.maxseg = TCP_MAXSEG_MIN;
	listener = tcp_listen(p.b, 0, 80, 4, &o);
	ck_assert_int_ge(listener, 0);
	ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	t_exchange(&p);
	cb = tcp_accept(p.b, listener, &raddr, &rport);
	ck_assert_int_ge(cb, 0);
	ck_assert_uint_eq(tcp_conn_get(p.b, cb)->our_mss, TCP_MAXSEG_MIN);
	ck_assert_uint_le(tcp_conn_get(p.b, cb)->mss, TCP_MAXSEG_MIN);
	ck_assert_uint_le(tcp_conn_get(p.a, ca)->mss, TCP_MAXSEG_MIN);
	t_pair_free(&p);
}
END_TEST

/* SO_LINGER with a zero time: close() is ABORT (RFC 9293 3.10.5), a
 * RST and no FIN, and the peer learns ECONNRESET, as on Linux. */
START_TEST(test_close_with_linger_zero_resets)
{
	struct pair p;
	struct tcp_sockopts o;
	struct tcp_seg seg;
	struct pkt *held[4];
	int listener, ca, cb, err = 0;

	t_pair(&p);
	t_connect(&p, &ca, &cb, &listener);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	o.linger = true;
	o.linger_s = 0;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	tcp_close(p.a, p.now, ca);
	ck_assert_uint_eq(t_rule(p.a, close_linger_zero), 1);
	ck_assert_int_eq(t_hold(p.a, held, 4), 1);
	t_parse(held[0], &seg);
	ck_assert(seg.flags & TCP_RST);
	ck_assert(!(seg.flags & TCP_FIN));
	t_deliver(&p, p.a, p.b, held[0]);
	ck_assert(t_event(p.b, STACK_EV_TCP_ERROR, cb, &err));
	ck_assert_int_eq(err, ECONNRESET);
	t_pair_free(&p);
}
END_TEST

/* A linger time above 0 changes nothing in the stack: close sends FIN. */
START_TEST(test_close_with_linger_time_sends_fin)
{
	struct pair p;
	struct tcp_sockopts o;
	struct tcp_seg seg;
	int listener, ca, cb;

	t_pair(&p);
	t_connect(&p, &ca, &cb, &listener);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	o.linger = true;
	o.linger_s = 5;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert(o.linger);
	ck_assert_uint_eq(o.linger_s, 5);
	tcp_close(p.a, p.now, ca);
	t_pop_seg(p.a, &seg);
	ck_assert(seg.flags & TCP_FIN);
	ck_assert(!(seg.flags & TCP_RST));
	ck_assert_uint_eq(t_rule(p.a, close_linger_zero), 0);
	t_pair_free(&p);
}
END_TEST

/* The receive buffer reads back as the user set it, even where the
 * window scale fixed at the handshake keeps the window below it. */
START_TEST(test_rcvbuf_reads_back_as_set)
{
	struct pair p;
	struct tcp_sockopts o;
	int listener, ca, cb;

	t_pair(&p);
	t_connect(&p, &ca, &cb, &listener);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	o.rcvbuf = 64u << 20;
	o.sndbuf = 12345;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert_uint_eq(o.rcvbuf, 64u << 20);
	ck_assert_uint_eq(o.sndbuf, 12345);
	ck_assert_uint_lt(tcp_conn_get(p.a, ca)->rcv_wnd_max, 64u << 20);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_sockopts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_syn_carries_the_users_tos_ttl_and_maxseg);
	tcase_add_test(tc, test_default_tos_and_ttl);
	tcase_add_test(tc, test_listener_maxseg_clamps_both_directions);
	tcase_add_test(tc, test_close_with_linger_zero_resets);
	tcase_add_test(tc, test_close_with_linger_time_sends_fin);
	tcase_add_test(tc, test_rcvbuf_reads_back_as_set);
	suite_add_tcase(s, tc);
	return t_run(s);
}
