/*
 * test_tcp_states.c - µTCP: handshake, close and the state machine; listeners,
 * SYN cookies, the connection table and ICMP errors
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"
#include <signal.h>

/* A SYN from A's address and port of connection `c` (B's) to B, with a
 * timestamp option. */
static void t_syn_to_b(struct pair *p, const struct tcp_conn *c, uint32_t seq,
		       uint32_t tsval)
{
	struct tframe f;
	uint8_t ts[12];

	t_ts_opt(ts, tsval, 0);
	t_tcp_frame(&f, &(struct t_tcp){.saddr = OUR_ADDR,
					.daddr = PEER_ADDR,
					.sport = c->rport,
					.dport = c->lport,
					.seq = seq,
					.flags = TCP_SYN,
					.wnd = 65535,
					.opts = ts,
					.optlen = sizeof(ts)});
	t_input(p->b, p->now, &f);
}

START_TEST(test_handshake_negotiates_options)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	struct tcp_conn *a = tcp_conn_get(p.a, ca), *b = tcp_conn_get(p.b, cb);
	ck_assert_int_eq(a->state, TCPS_ESTABLISHED);
	ck_assert_int_eq(b->state, TCPS_ESTABLISHED);
	ck_assert(a->ts_ok && b->ts_ok);
	ck_assert(a->sack_ok && b->sack_ok);
	ck_assert(a->ws_ok && b->ws_ok);
	ck_assert_uint_eq(a->snd_wscale, b->rcv_wscale);
	ck_assert_uint_eq(a->mss, 1460 - 12);
	ck_assert_uint_eq(a->snd_una, b->irs + 1);
	ck_assert_uint_eq(b->snd_una, a->irs + 1);
	ck_assert_uint_eq(a->cwnd, 10 * a->mss);
	ck_assert_uint_gt(a->srtt, 0);
	/* The rules each side applied: an active open, a passive one. */
	ck_assert_uint_eq(t_rule(p.a, open_active), 1);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_2), 1);
	ck_assert_uint_eq(t_rule(p.b, open_passive), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_1), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_3d), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_3), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_orderly_close_and_time_wait)
{
	struct pair p;
	int ca, cb;
	uint8_t buf[16];
	size_t got = 0;
	t_open(&p, &ca, &cb);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "bye", 3), 3);
	ck_assert_int_eq(tcp_shutdown(p.a, p.now, ca), 0);
	t_exchange(&p);
	/* B's ACK of the FIN waits for a reply to carry it (tcp_fin_in);
	 * none comes, so the delayed-ACK timer sends it. */
	ck_assert_int_eq(t_state(p.a, ca), TCPS_FIN_WAIT_1);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSE_WAIT);
	t_delack_expire(&p, p.b, cb);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_FIN_WAIT_2);
	ck_assert_int_eq(t_read_all(&p, p.b, cb, buf, sizeof(buf), &got), 1);
	ck_assert_uint_eq(got, 3);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "x", 1), -EPIPE);
	/* B answers and closes. */
	ck_assert_int_eq(tcp_send(p.b, p.now, cb, "ok", 2), 2);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_ptr_null(tcp_conn_get(p.b, cb)); /* B is done and gone */
	got = 0;
	ck_assert_int_eq(t_read_all(&p, p.a, ca, buf, sizeof(buf), &got), 1);
	ck_assert_mem_eq(buf, "ok", 2);
	tcp_close(p.a, p.now, ca);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_uint_eq(t_rule(p.a, shutdown_call), 1);
	ck_assert_uint_eq(t_rule(p.a, our_fin_acked), 1); /* FIN_WAIT_2 */
	ck_assert_uint_eq(t_rule(p.a, fin_in), 1);	  /* TIME_WAIT */
	ck_assert_uint_eq(t_rule(p.b, fin_in), 1);	  /* CLOSE_WAIT */
	ck_assert_uint_eq(t_rule(p.b, close_call), 1);
	ck_assert_uint_eq(t_rule(p.b, our_fin_acked), 1); /* LAST_ACK */
	/* 2MSL later the connection is freed. */
	p.now += TCP_TIME_WAIT_NS;
	stack_timer(p.a, p.now);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	ck_assert_uint_eq(t_rule(p.a, timer_tt_2msl_1), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_simultaneous_close)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	tcp_shutdown(p.a, p.now, ca);
	tcp_shutdown(p.b, p.now, cb);
	/* Both FINs cross: each side goes FIN_WAIT_1 -> CLOSING. */
	t_move(&p, p.a, p.b);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSING);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
	ck_assert_uint_gt(t_rule(p.a, fin_in), 0);
	ck_assert_uint_gt(t_rule(p.b, fin_in), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_simultaneous_open)
{
	/* Both connect to each other from fixed ports; the SYNs cross
	 * (RFC 9293 3.5, figure 8): SYN_SENT, SYN_RECEIVED, ESTABLISHED on
	 * both sides, and data flows both ways. */
	struct pair p;
	uint8_t buf[16];
	size_t got = 0;
	t_pair(&p);
	int u = udp_socket_open(p.a, 0, 0, 0, 0); /* resolve ARP first */
	udp_send(p.a, p.now, u, PEER_ADDR, 9, "x", 1);
	t_exchange(&p);
	t_drain(p.b);
	int ca = tcp_connect(p.a, p.now, 0, 5000, PEER_ADDR, 6000, NULL);
	int cb = tcp_connect(p.b, p.now, 0, 6000, OUR_ADDR, 5000, NULL);
	ck_assert_int_ge(ca, 0);
	ck_assert_int_ge(cb, 0);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_SYN_SENT);
	/* Each SYN reaches the other while it waits in SYN_SENT. */
	struct pkt *sa[4], *sb[4];
	ck_assert_int_eq(t_hold(p.a, sa, 4), 1);
	ck_assert_int_eq(t_hold(p.b, sb, 4), 1);
	t_deliver(&p, p.a, p.b, sa[0]);
	t_deliver(&p, p.b, p.a, sb[0]);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_SYN_RECEIVED);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_SYN_RECEIVED);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_ESTABLISHED);
	ck_assert(t_event(p.a, STACK_EV_TCP_CONNECTED, ca, NULL));
	ck_assert(t_event(p.b, STACK_EV_TCP_CONNECTED, cb, NULL));
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "ping", 4), 4);
	t_exchange(&p);
	ck_assert_int_eq(t_read_all(&p, p.b, cb, buf, sizeof(buf), &got), 0);
	ck_assert_uint_eq(got, 4);
	ck_assert_mem_eq(buf, "ping", 4);
	t_transfer(&p, p.b, cb, p.a, ca, 100000);
	ck_assert_uint_gt(
	    t_rule(p.a, deliver_in_2b) + t_rule(p.b, deliver_in_2b), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_connect_to_closed_port_is_refused)
{
	struct pair p;
	int err = 0;
	t_pair(&p);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 81, NULL);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_rx_no_conn), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_5), 1);
	ck_assert_uint_eq(t_rule(p.a, deliver_in_7d), 1);
	const uint8_t *d;
	size_t n;
	ck_assert_int_eq(tcp_recv_peek(p.a, ca, &d, &n), -ECONNREFUSED);
	tcp_close(p.a, p.now, ca);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	t_pair_free(&p);
}
END_TEST

START_TEST(test_unread_data_on_close_sends_reset)
{
	struct pair p;
	int ca, cb, err = 0;
	t_open(&p, &ca, &cb);
	tcp_send(p.a, p.now, ca, "unread", 6);
	t_exchange(&p);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "x", 1), -ECONNRESET);
	ck_assert_uint_gt(t_rule(p.a, close_unread_reset) +
			      t_rule(p.b, close_unread_reset),
			  0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_syn_cookies_when_half_open_bound_reached)
{
	struct pair p;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_syn_backlog = 0; /* every SYN gets a cookie */
	t_pair_lim(&p, &lim);
	int l = tcp_listen(p.b, 0, 80, 4, NULL);
	int ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	t_exchange(&p);
	ck_assert_uint_eq(
	    stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_sent), 1);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_ok),
			  1);
	ck_assert_uint_eq(t_rule(p.b, syn_cookie_sent), 1);
	ck_assert_uint_eq(t_rule(p.b, syn_cookie_ack), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_1), 0);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_3d), 1);
	int cb = tcp_accept(p.b, l, NULL, NULL);
	ck_assert_int_ge(cb, 0);
	struct tcp_conn *b = tcp_conn_get(p.b, cb);
	ck_assert(b->ws_ok && b->sack_ok && b->ts_ok); /* carried by TS */
	t_transfer(&p, p.a, ca, p.b, cb, 100000);
	t_transfer(&p, p.b, cb, p.a, ca, 100000);
	t_pair_free(&p);
}
END_TEST

/* A's bytes on connection ca, whose cookie's ACK B dropped, carry the
 * cookie again: B's listener l takes the connection (its cookies_ok-th),
 * and no reset comes to A for it. */
static void cookie_bytes_get_in(struct pair *p, int l, int ca,
				uint64_t cookies_ok)
{
	uint64_t resets = stack_counter_get(p->a, STACK_CTR_tcp_rx_resets);

	t_send_all(p->a, p->now, ca, "hello", 5);
	t_exchange(p);
	ck_assert_int_ge(tcp_accept(p->b, l, NULL, NULL), 0);
	ck_assert_uint_eq(stack_counter_get(p->b, STACK_CTR_tcp_syn_cookies_ok),
			  cookies_ok);
	ck_assert_int_eq(t_state(p->a, ca), TCPS_ESTABLISHED);
	ck_assert_uint_eq(stack_counter_get(p->a, STACK_CTR_tcp_rx_resets),
			  resets);
}

/* The ACK of a valid SYN cookie that finds the table full is dropped,
 * as Linux drops it, not reset: the peer's connection, established on
 * its side, is taken by its next segment once there is room. */
START_TEST(test_syn_cookie_ack_to_a_full_table_is_dropped)
{
	struct pair p;
	struct stack_limits lim, lim_b;
	int l, la, cb, ca;
	stack_limits_default(&lim);
	lim_b = lim;
	lim_b.tcp_conns_max = 1;   /* B's table: one connection */
	lim_b.tcp_syn_backlog = 0; /* every SYN gets a cookie */
	p = (struct pair){.now = T0};
	p.a = t_tcp_stack(OUR_MAC, OUR_ADDR, &lim);
	p.b = t_tcp_stack(PEER_MAC, PEER_ADDR, &lim_b);
	la = tcp_listen(p.a, 0, 81, 4, NULL);
	ck_assert_int_ge(la, 0);
	cb = tcp_connect(p.b, p.now, 0, 0, OUR_ADDR, 81, NULL);
	ck_assert_int_ge(cb, 0);
	l = tcp_listen(p.b, 0, 80, 4, NULL);
	ck_assert_int_ge(l, 0);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_ESTABLISHED);
	ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	t_exchange(&p);
	ck_assert_uint_eq(
	    stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_sent), 1);
	ck_assert_uint_ge(
	    stack_counter_get(p.b, STACK_CTR_tcp_conns_table_full), 1);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_ESTABLISHED);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_resets), 0);
	ck_assert_int_eq(tcp_accept(p.b, l, NULL, NULL), -EAGAIN);
	/* Room, and A's first bytes carry the cookie again. */
	tcp_abort(p.b, p.now, cb);
	t_exchange(&p);
	cookie_bytes_get_in(&p, l, ca, 1);
	t_drain(p.a);
	t_drain(p.b);
	t_pair_free(&p);
}
END_TEST

/* The ACK of a valid SYN cookie that finds the listener's accept queue
 * full is dropped, as Linux drops it (without tcp_abort_on_overflow),
 * not reset: the peer's connection, established on its side, is taken
 * by its next segment once the application has accepted. */
START_TEST(test_syn_cookie_ack_to_a_full_accept_queue_is_dropped)
{
	struct pair p;
	struct stack_limits lim;
	int l, ca1, ca2;
	stack_limits_default(&lim);
	lim.tcp_syn_backlog = 0; /* every SYN gets a cookie */
	t_pair_lim(&p, &lim);
	l = tcp_listen(p.b, 0, 80, 1, NULL);
	ck_assert_int_ge(l, 0);
	/* two SYNs before either ACK: both get cookies, the second ACK
	 * finds the queue full with the first connection */
	ca1 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ca2 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca1, 0);
	ck_assert_int_ge(ca2, 0);
	t_exchange(&p);
	ck_assert_uint_eq(
	    stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_sent), 2);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_syn_cookies_ok),
			  1);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_listen_overflow),
			  1);
	ck_assert_int_eq(t_state(p.a, ca2), TCPS_ESTABLISHED);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_rx_resets), 0);
	/* The application accepts the first; A's bytes on the second
	 * carry its cookie again and find room. */
	ck_assert_int_ge(tcp_accept(p.b, l, NULL, NULL), 0);
	ck_assert_int_eq(tcp_accept(p.b, l, NULL, NULL), -EAGAIN);
	cookie_bytes_get_in(&p, l, ca2, 2);
	t_drain(p.a);
	t_drain(p.b);
	t_pair_free(&p);
}
END_TEST

/* Entering a state performs its entry actions: TIME_WAIT stops every
 * timer but 2 MSL and frees the send side; each state entered counts. */
START_TEST(test_state_entry_actions_and_counts)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_enter_established), 1);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_enter_syn_sent),
			  1);
	ck_assert_uint_eq(
	    stack_counter_get(p.b, STACK_CTR_tcp_enter_syn_received), 1);
	ck_assert_uint_eq(a->cwnd, TCP_INIT_CWND_SEGS * a->mss);
	tcp_shutdown(p.a, p.now, ca);
	tcp_shutdown(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(a->state, TCPS_TIME_WAIT);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_enter_time_wait),
			  1);
	ck_assert_uint_eq(a->t_2msl, p.now + TCP_TIME_WAIT_NS);
	ck_assert(!a->t_rexmt && !a->t_delack && !a->t_keep && !a->t_reo &&
		  !a->t_tlp);
	ck_assert_ptr_null(a->txr);
	ck_assert_uint_eq(a->sndbuf.len, 0);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_bad_transitions),
			  0);
	t_pair_free(&p);
}
END_TEST

#ifndef NDEBUG
/* An impossible transition aborts a debug build. */
START_TEST(test_impossible_transition_aborts)
{
	struct pair p;
	int ca, cb;
	t_open(&p, &ca, &cb);
	tcp_set_state(p.a, p.now, tcp_conn_get(p.a, ca), TCPS_SYN_SENT);
}
END_TEST
#endif

/* A listener answers an ACK that returns no cookie with a reset
 * (deliver_in_1b) and ignores a RST (deliver_in_7b). */
START_TEST(test_listener_resets_a_stray_ack_and_ignores_a_rst)
{
	struct tframe f;
	struct stack *s = t_stack();
	ck_assert_int_ge(tcp_listen(s, 0, 80, 4, NULL), 0);
	t_drain(s);
	for (int i = 0; i < 2; i++) {
		t_tcp_frame(
		    &f, &(struct t_tcp){.saddr = PEER_ADDR,
					.daddr = OUR_ADDR,
					.sport = 40000,
					.dport = 80,
					.seq = 1000,
					.ack = 2000,
					.flags = i == 0 ? TCP_ACK : TCP_RST});
		t_input(s, T0, &f);
	}
	ck_assert_uint_eq(t_rule(s, deliver_in_1b), 1);
	ck_assert_uint_eq(t_rule(s, deliver_in_7b), 1);
	ck_assert_uint_eq(stack_counter_get(s, STACK_CTR_tcp_syn_cookies_bad),
			  1);
	ck_assert_uint_eq(stack_counter_get(s, STACK_CTR_tcp_tx_resets), 1);
	t_drain(s);
	stack_free(s);
}
END_TEST

START_TEST(test_syn_sent_rules)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid, err;
	/* A RST without an acceptable ACK is ignored. */
	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	t_inject(&p, s, id, 0, TCP_RST);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_SENT);
	ck_assert_uint_eq(t_rule(s, deliver_in_2a), 1);
	/* With it, the connection is refused. */
	t_inject(&p, s, id, 0, TCP_RST | TCP_ACK);
	ck_assert(t_event(s, STACK_EV_TCP_ERROR, id, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_uint_eq(t_rule(s, deliver_in_7d), 1);
	t_pair_free(&p);
	/* A bare SYN is a simultaneous open: SYN_RECEIVED and a SYN-ACK. */
	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	t_inject(&p, s, id, 0, TCP_SYN);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_RECEIVED);
	ck_assert_uint_eq(t_rule(s, deliver_in_2b), 1);
	struct tcp_seg synack;
	t_pop_seg(s, &synack);
	ck_assert_uint_eq(synack.flags, TCP_SYN | TCP_ACK);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_syn_received_rules)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid;
	/* The peer's SYN again: the SYN-ACK is sent again. */
	t_into_state(&p, TCPS_SYN_RECEIVED, &s, &id, &os, &oid);
	struct tcp_conn *c = tcp_conn_get(s, id);
	t_inject(&p, s, id, -1, TCP_SYN); /* seq = irs */
	ck_assert_uint_eq(c->retransmits, 1);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_RECEIVED);
	ck_assert_uint_eq(t_rule(s, synack_resend), 1);
	t_drain(s);
	/* A RST at rcv_nxt: back to listening, the half-open one goes. */
	t_inject(&p, s, id, 0, TCP_RST);
	ck_assert_ptr_null(tcp_conn_get(s, id));
	ck_assert_uint_eq(t_rule(s, deliver_in_7a), 1);
	ck_assert_uint_eq(s->tcp->listeners[0].nsyn, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_sockopts_read_back_and_change_one_at_a_time)
{
	struct pair p;
	int ca, cb;
	struct tcp_sockopts o;
	t_open(&p, &ca, &cb);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert(!o.nodelay && !o.keepalive);
	o.nodelay = true;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert(o.nodelay && !o.keepalive);
	/* keepcnt is kept in a byte: 255 reads back, 256 is refused even
	 * with keepalive off. */
	o.keepcnt = 255;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), 0);
	ck_assert_int_eq(tcp_get_sockopts(p.a, ca, &o), 0);
	ck_assert_uint_eq(o.keepcnt, 255);
	o.keepcnt = 256;
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), -EINVAL);
	o.keepcnt = 255;
	o.sndbuf = 100; /* below the minimum */
	ck_assert_int_eq(tcp_set_sockopts(p.a, p.now, ca, &o), -EINVAL);
	ck_assert_int_eq(tcp_get_sockopts(p.a, 999, &o), -EBADF);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_time_wait_is_taken_over_by_a_newer_syn)
{
	/* RFC 6191: a SYN with a higher timestamp, or an equal one and a
	 * higher sequence number, opens a new connection over TIME_WAIT;
	 * an older one does not. */
	for (int i = 0; i < 3; i++) {
		struct pair p;
		int ca, cb, l;
		t_pair(&p);
		t_connect(&p, &ca, &cb, &l);
		tcp_shutdown(p.b, p.now, cb); /* B closes first */
		t_exchange(&p);
		tcp_close(p.a, p.now, ca);
		t_exchange(&p);
		ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
		struct tcp_conn *b = tcp_conn_get(p.b, cb);
		uint32_t ts = b->ts_recent, rcv = b->rcv_nxt;
		tcp_close(p.b, p.now, cb); /* an orphan now */
		t_drain(p.b);
		if (i == 0)
			t_syn_to_b(&p, b, rcv - 100000, ts + 1);
		else if (i == 1)
			t_syn_to_b(&p, b, rcv + 100000, ts);
		else
			t_syn_to_b(&p, b, rcv - 100000, ts);
		struct tcp_seg out;
		t_pop_seg(p.b, &out);
		uint8_t flags = out.flags;
		if (i < 2) {
			ck_assert_uint_eq(
			    stack_counter_get(p.b,
					      STACK_CTR_tcp_time_wait_reused),
			    1);
			ck_assert_uint_eq(t_rule(p.b, time_wait_syn_reopen), 1);
			ck_assert_uint_eq(flags, TCP_SYN | TCP_ACK);
		} else {
			ck_assert_uint_eq(
			    stack_counter_get(p.b,
					      STACK_CTR_tcp_time_wait_reused),
			    0);
			ck_assert_uint_eq(flags, TCP_ACK); /* challenge ACK */
			ck_assert_int_eq(t_state(p.b, cb), TCPS_TIME_WAIT);
		}
		t_drain(p.b);
		t_pair_free(&p);
	}
}
END_TEST

START_TEST(test_full_table_recycles_time_wait_then_refuses)
{
	struct pair p;
	int ca, cb, l;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_conns_max = 2;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	/* A closes first and lets go: one TIME_WAIT orphan in A's table. */
	tcp_shutdown(p.a, p.now, ca);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	tcp_close(p.a, p.now, ca);
	int c2 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(c2, 0); /* the free slot */
	int c3 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(c3, 0); /* the TIME_WAIT one, recycled */
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_time_wait_recycled), 1);
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EMFILE);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_conns_table_full), 1);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

/* A TIME_WAIT connection whose user has not closed it is the user's:
 * its id may not go to a new connection while the user holds it (the
 * user would act on the new one, and the old one's READABLE, queued in
 * the same turn, would be dropped with it). A full table refuses. */
START_TEST(test_full_table_keeps_a_time_wait_the_user_holds)
{
	struct pair p;
	int ca, cb, l, cookie, error = -1;
	uint32_t raddr;
	uint16_t rport;
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.tcp_conns_max = 1;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	ck_assert_int_eq(tcp_set_user(p.a, ca, &cookie), 0);
	/* A closes its side first and keeps the id: TIME_WAIT, held, and
	 * the end of stream's READABLE queued. */
	tcp_shutdown(p.a, p.now, ca);
	tcp_close(p.b, p.now, cb);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	/* Neither a connect nor a SYN from the peer takes its slot. */
	ck_assert_int_eq(tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL),
			 -EMFILE);
	l = tcp_listen(p.a, 0, 81, 8, NULL);
	ck_assert_int_ge(l, 0);
	cb = tcp_connect(p.b, p.now, 0, 0, OUR_ADDR, 81, NULL);
	ck_assert_int_ge(cb, 0);
	t_exchange(&p);
	ck_assert_int_eq(tcp_accept(p.a, l, &raddr, &rport), -EAGAIN);
	/* The SYN is dropped, not answered: the peer's connection waits to
	 * send it again (a cookie's ACK would find the table full and be
	 * reset, the peer's connection taken for established). */
	ck_assert_int_eq(t_state(p.b, cb), TCPS_SYN_SENT);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_rx_resets), 0);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_time_wait_recycled), 0);
	ck_assert_uint_ge(
	    stack_counter_get(p.a, STACK_CTR_tcp_conns_table_full), 2);
	/* The id is still the user's connection, with its cookie and its
	 * event. */
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	ck_assert_ptr_eq(tcp_get_user(p.a, ca), &cookie);
	ck_assert(t_event(p.a, STACK_EV_TCP_READABLE, ca, &error));
	ck_assert_int_eq(error, 0);
	/* Once the user lets go, the slot may be recycled: the peer's SYN,
	 * sent again, takes it. */
	tcp_close(p.a, p.now, ca);
	for (int i = 0; i < 10 && t_state(p.b, cb) == TCPS_SYN_SENT; i++)
		t_tick(&p, 5 * STACK_NS_PER_SEC);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_ESTABLISHED);
	ck_assert_int_eq(tcp_accept(p.a, l, &raddr, &rport), ca);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_time_wait_recycled), 1);
	ck_assert_uint_eq(stack_counter_get(p.b, STACK_CTR_tcp_rx_resets), 0);
	t_drain(p.a);
	t_drain(p.b);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_event_queue_full_drops_udp_errors_only)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.udp_sockets_max = 1;
	lim.tcp_conns_max = 1;
	lim.tcp_listeners_max = 1;
	struct stack *s = t_stack_lim(&lim);
	struct tframe f;
	t_learn_peer(s);
	int sock = udp_socket_open(s, 0, 5555, PEER_ADDR, 53);
	ck_assert_int_eq(udp_send(s, T0, sock, 0, 0, "q", 1), 0);
	struct pkt *q = t_pop_ipv4(s, IPV4_PROTO_UDP);
	uint32_t qlen = q->len - 14;
	/* A port unreachable quoting it, many times, events never popped. */
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, 1, 1, 0, 8 + qlen);
	uint8_t *m = f.b + f.len;
	memset(m, 0, 8);
	m[0] = 3;
	m[1] = 3;
	memcpy(m + 8, q->data + 14, qlen);
	put_be16(m + 2, csum_fold(csum_partial(m, 8 + qlen, 0)));
	f.len += 8 + qlen;
	stack_pkt_free(s, q);
	for (int i = 0; i < 100; i++)
		t_input(s, T0, &f);
	/* The queue holds what every socket could have pending at once. */
	uint32_t cap = 2 * lim.udp_sockets_max + 4 * lim.tcp_conns_max +
		       lim.tcp_listeners_max + 64;
	ck_assert_uint_eq(stack_counter_get(s, STACK_CTR_stack_events_dropped),
			  100 - cap);
	struct stack_event ev;
	uint32_t n = 0;
	while (stack_pop_event(s, &ev))
		n++;
	ck_assert_uint_eq(n, cap);
	stack_free(s);
}
END_TEST

START_TEST(test_icmp_port_unreachable_refuses_connect)
{
	struct pair p;
	struct stack *s, *os;
	int id, oid, err = 0;
	t_into_state(&p, TCPS_SYN_SENT, &s, &id, &os, &oid);
	struct tcp_conn *c = tcp_conn_get(s, id);
	/* B's kernel answers the SYN with port unreachable: build it
	 * by hand, quoting the SYN's IPv4 and TCP headers. */
	struct tframe f;
	uint8_t quote[28];
	memset(quote, 0, sizeof(quote));
	quote[0] = 0x45;
	put_be16(quote + 2, 40);
	quote[8] = 64;
	quote[9] = IPV4_PROTO_TCP;
	put_be32(quote + 12, c->laddr);
	put_be32(quote + 16, c->raddr);
	put_be16(quote + 10, csum_fold(csum_partial(quote, 20, 0)));
	put_be16(quote + 20, c->lport);
	put_be16(quote + 22, c->rport);
	put_be32(quote + 24, c->iss);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_ICMP, 1, 0, 8 + 28);
	uint8_t *m = f.b + f.len;
	memset(m, 0, 8);
	m[0] = 3;
	m[1] = 3;
	memcpy(m + 8, quote, 28);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	f.len += 36;
	/* A forgery with a sequence number we never sent changes nothing. */
	put_be32(m + 8 + 24, c->iss + 100000);
	put_be16(m + 2, 0);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	t_input(s, p.now, &f);
	ck_assert_int_eq(t_state(s, id), TCPS_SYN_SENT);
	put_be32(m + 8 + 24, c->iss);
	put_be16(m + 2, 0);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	t_input(s, p.now, &f);
	ck_assert(t_event(s, STACK_EV_TCP_ERROR, id, &err));
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_uint_gt(t_rule(p.a, icmp_refused), 0);
	t_pair_free(&p);
}
END_TEST

/* abort resets the connection: the peer learns it (deliver_in_7). */
START_TEST(test_abort_resets_the_peer)
{
	struct pair p;
	int ca, cb, err = 0;
	t_open(&p, &ca, &cb);
	tcp_abort(p.a, p.now, ca);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	t_exchange(&p);
	ck_assert(t_event(p.b, STACK_EV_TCP_ERROR, cb, &err));
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_uint_eq(t_rule(p.a, abort_call), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_7), 1);
	t_pair_free(&p);
}
END_TEST

/* tcp_reset() resets as abort does (the peer learns it), but the id
 * stays the caller's: what had arrived is read, then ECONNRESET (and
 * the error event), until tcp_close() lets go of it. */
START_TEST(test_reset_keeps_the_id_and_what_arrived)
{
	struct pair p;
	int ca, cb, err = 0;
	const uint8_t *d;
	size_t n;

	t_open(&p, &ca, &cb);
	ck_assert_int_eq(tcp_send(p.b, p.now, cb, "hi", 2), 2);
	t_exchange(&p);
	ck_assert_int_eq(tcp_reset(p.a, p.now, ca), 0);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_int_eq(tcp_recv_peek(p.a, ca, &d, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(d, "hi", 2), 0);
	tcp_recv_consume(p.a, p.now, ca, n);
	ck_assert_int_eq(tcp_recv_peek(p.a, ca, &d, &n), -ECONNRESET);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, "x", 1), -ECONNRESET);
	ck_assert_int_eq(tcp_reset(p.a, p.now, ca), 0); /* failed already */
	t_exchange(&p);
	ck_assert(t_event(p.b, STACK_EV_TCP_ERROR, cb, &err));
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_uint_eq(t_rule(p.a, abort_call), 1);
	ck_assert_uint_eq(t_rule(p.b, deliver_in_7), 1);
	tcp_close(p.a, p.now, ca);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	ck_assert_int_eq(tcp_reset(p.a, p.now, ca), -EBADF);
	t_pair_free(&p);
}
END_TEST

/* A listener whose accept queue is full drops a SYN (the peer tries
 * again); closing the listener resets what it had not handed over. */
START_TEST(test_full_accept_queue_drops_syns_and_close_resets_it)
{
	struct pair p;
	int err = 0;
	t_pair(&p);
	int l = tcp_listen(p.b, 0, 80, 1, NULL);
	int c1 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	t_exchange(&p);
	int c2 = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	t_exchange(&p);
	ck_assert_uint_eq(t_rule(p.b, listen_queue_full), 1);
	ck_assert_int_eq(t_state(p.a, c1), TCPS_ESTABLISHED);
	ck_assert_int_eq(t_state(p.a, c2), TCPS_SYN_SENT);
	tcp_listen_close(p.b, p.now, l);
	ck_assert_uint_eq(t_rule(p.b, listen_close), 1);
	t_exchange(&p);
	ck_assert(t_event(p.a, STACK_EV_TCP_ERROR, c1, &err));
	ck_assert_int_eq(err, ECONNRESET);
	t_drain(p.a);
	t_pair_free(&p);
}
END_TEST

/* Data for a connection its user closed resets it (SHLD-3). */
START_TEST(test_data_after_close_resets)
{
	struct pair p;
	int ca, cb, err = 0;
	t_open(&p, &ca, &cb);
	tcp_close(p.a, p.now, ca);
	t_exchange(&p);
	t_delack_expire(&p, p.b, cb);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_FIN_WAIT_2);
	t_send_all(p.b, p.now, cb, "late", 4);
	t_exchange(&p);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca));
	ck_assert_uint_eq(t_rule(p.a, data_after_close), 1);
	ck_assert(t_event(p.b, STACK_EV_TCP_ERROR, cb, &err));
	ck_assert_int_eq(err, ECONNRESET);
	t_pair_free(&p);
}
END_TEST

/* Every rule of tcp_rules.h has a counter status shows, an RFC section
 * and a description. */
struct t_rule_entry {
	enum stack_counter counter;
	const char *counter_name, *section, *description;
};
#define T_RULE_ENTRY(X, name, sec, desc)                                       \
	{STACK_CTR_tcp_rule_##name, "tcp_rule_" #name, sec, desc},
static const struct t_rule_entry t_rules[] = {TCP_RULES(T_RULE_ENTRY, x)};

START_TEST(test_every_rule_has_a_counter_and_a_section)
{
	ck_assert_uint_gt(sizeof(t_rules) / sizeof(*t_rules), 50);
	for (size_t i = 0; i < sizeof(t_rules) / sizeof(*t_rules); i++) {
		const struct t_rule_entry *r = &t_rules[i];
		ck_assert_str_eq(stack_counter_name(r->counter),
				 r->counter_name);
		ck_assert_msg(strncmp(r->section, "RFC ", 4) == 0, "%s: %s",
			      r->counter_name, r->section);
		ck_assert_uint_gt(strlen(r->description), 10);
	}
}
END_TEST

/* A FIN that finds the packet pool empty is not lost: it goes as soon
 * as a buffer frees, from the retransmission/persist timer, even with
 * nothing else in flight (100,000 closes at once once left connections
 * in CLOSE_WAIT for ever). */
START_TEST(test_fin_without_a_buffer_goes_when_one_frees)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[64];
	uint32_t nheld;
	int ca, cb, listener;

	stack_limits_default(&lim);
	lim.pkt_small_max = 64;
	lim.pkt_large_max = 8;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &listener);
	t_exchange(&p);
	/* B's side: the peer closes first, so B is in CLOSE_WAIT. */
	tcp_close(p.a, p.now, ca);
	t_exchange(&p);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSE_WAIT);
	/* B's pool runs dry, then B closes: its FIN cannot be built. */
	nheld = t_pool_fill(p.b, 64, held, 64);
	ck_assert_ptr_null(stack_pkt_alloc(p.b, 100));
	tcp_close(p.b, p.now, cb);
	ck_assert_ptr_null(stack_pop_tx(p.b));
	ck_assert_uint_ne(stack_next_deadline(p.b), STACK_NO_DEADLINE);
	/* The pool frees; the timer sends the FIN and the peer ACKs it. */
	t_pool_release(p.b, held, &nheld);
	for (int i = 0; i < 20 && t_state(p.b, cb) != TCPS_CLOSED; i++)
		t_tick(&p, 1000 * MS);
	ck_assert_int_eq(t_state(p.b, cb), TCPS_CLOSED);
	ck_assert_int_eq(t_state(p.a, ca), TCPS_TIME_WAIT);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_states");
	TCase *tc = tcase_create("states");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handshake_negotiates_options);
	tcase_add_test(tc, test_orderly_close_and_time_wait);
	tcase_add_test(tc, test_simultaneous_close);
	tcase_add_test(tc, test_simultaneous_open);
	tcase_add_test(tc, test_connect_to_closed_port_is_refused);
	tcase_add_test(tc, test_unread_data_on_close_sends_reset);
	tcase_add_test(tc, test_syn_cookies_when_half_open_bound_reached);
	tcase_add_test(tc, test_state_entry_actions_and_counts);
#ifndef NDEBUG
	tcase_add_test_raise_signal(tc, test_impossible_transition_aborts,
				    SIGABRT);
#endif
	tcase_add_test(tc, test_listener_resets_a_stray_ack_and_ignores_a_rst);
	tcase_add_test(tc, test_syn_sent_rules);
	tcase_add_test(tc, test_syn_received_rules);
	tcase_add_test(tc, test_sockopts_read_back_and_change_one_at_a_time);
	tcase_add_test(tc, test_time_wait_is_taken_over_by_a_newer_syn);
	tcase_add_test(tc, test_full_table_recycles_time_wait_then_refuses);
	tcase_add_test(tc, test_full_table_keeps_a_time_wait_the_user_holds);
	tcase_add_test(tc, test_syn_cookie_ack_to_a_full_table_is_dropped);
	tcase_add_test(tc,
		       test_syn_cookie_ack_to_a_full_accept_queue_is_dropped);
	tcase_add_test(tc, test_event_queue_full_drops_udp_errors_only);
	tcase_add_test(tc, test_icmp_port_unreachable_refuses_connect);
	tcase_add_test(tc, test_every_rule_has_a_counter_and_a_section);
	tcase_add_test(tc, test_abort_resets_the_peer);
	tcase_add_test(tc, test_reset_keeps_the_id_and_what_arrived);
	tcase_add_test(tc,
		       test_full_accept_queue_drops_syns_and_close_resets_it);
	tcase_add_test(tc, test_data_after_close_resets);
	tcase_add_test(tc, test_fin_without_a_buffer_goes_when_one_frees);
	suite_add_tcase(s, tc);
	return t_run(s);
}
